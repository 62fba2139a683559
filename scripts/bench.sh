#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# PINN training-step benchmark, npde side by side with PyTorch; prints Markdown tables (docs/benchmarks.md).
#
# Usage: scripts/bench.sh [--quick] [--out FILE] [--reps R (7)] [--min-time S (0.3)] [--ranks P]
#                         [--skip-torch] [--skip-breakdown] [--skip-sweep] [--skip-systems]
#   --quick       N = 1k and 10k only (about 3 min, 9 with the systems; the full run adds 100k)
#   --out FILE    also write the report to FILE
#   --ranks P     the parallel configuration: npde on P MPI ranks, PyTorch on P threads (default 2)
#   --chunk C     npde's points per jet pass (default: the library's PinnOptions default)
#   --skip-*      leave out PyTorch, the time breakdown, the chunk-size sweep at N = 10k, or the
#                 Burgers and Navier-Stokes steps (the equation kernel; Poisson is always run)
#   --quiet-wait  on a shared machine: wait for idle CPUs before each run (up to 5 min) and repeat a run
#                 (3 tries in all) during which other work took more than 10 % of the CPU time
#   --log FILE    keep the raw result lines in FILE; --tables-from FILE: only make the tables from them
# Builds nothing: expects bench_pinn_step in $NPDE_BUILD_DIR/bench (default build/, as made by
# scripts/quickstart.sh). PyTorch: Debian's python3-torch run by /usr/bin/python3 (NPDE_TORCH_PYTHON),
# script from NPDE_TORCH_SCRIPT, bench/ or /work/shared/bench/torch_pinn_step.py; for Burgers and
# Navier-Stokes bench/torch_pinn_step_systems.py (NPDE_TORCH_SYSTEMS_SCRIPT).
# Both sides get the same OpenBLAS kernels (OPENBLAS_CORETYPE) and one BLAS thread per rank/thread.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${NPDE_BUILD_DIR:-$root/build}"
[[ "$build" == /* ]] || build="$PWD/$build"
die() {
  echo "bench.sh: error: $*" >&2
  exit 1
}

quick=0 out="" raw="" from="" chunk="" reps=7 min_time=0.3 ranks=2 skip_torch=0 skip_breakdown=0 skip_sweep=0
skip_systems=0 quiet_wait=0
while (($#)); do
  case "$1" in
    --quick) quick=1 ;;
    --out) out="${2:?--out needs a file}"; shift ;;
    --log) raw="${2:?--log needs a file}"; shift ;;
    --tables-from) from="${2:?--tables-from needs a file}"; shift ;;
    --reps) reps="${2:?}"; shift ;;
    --min-time) min_time="${2:?}"; shift ;;
    --ranks) ranks="${2:?}"; shift ;;
    --chunk) chunk="${2:?}"; shift ;;
    --skip-torch) skip_torch=1 ;;
    --skip-breakdown) skip_breakdown=1 ;;
    --skip-sweep) skip_sweep=1 ;;
    --skip-systems) skip_systems=1 ;;
    --quiet-wait) quiet_wait=1 ;;
    -h | --help) sed -n '3,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
  shift
done
ns=(1000 10000 100000)
((quick)) && ns=(1000 10000)
sweep_chunks=(128 256 512 1024 2048 4096)

# 1. Environment: the same OpenBLAS kernels and one BLAS thread per rank for npde and PyTorch.
if [[ -f "$root/scripts/npde-env.sh" ]]; then
  # shellcheck source=scripts/npde-env.sh
  source "$root/scripts/npde-env.sh"
else
  export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
  if [[ -z "${OPENBLAS_CORETYPE:-}" ]] && grep -m1 '^flags' /proc/cpuinfo | grep -qw avx512f; then
    export OPENBLAS_CORETYPE=SkylakeX  # Debian's OpenBLAS misdetects some AVX-512 CPUs otherwise
  fi
  [[ "$(id -u)" != 0 ]] || export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
export OPENBLAS_NUM_THREADS=1

exe="$build/bench/bench_pinn_step"
[[ -x "$exe" ]] || die "$exe not built (run scripts/quickstart.sh, or set NPDE_BUILD_DIR)"
command -v mpirun >/dev/null || die "mpirun not found (Debian: apt-get install openmpi-bin)"
cores="$(lscpu -p=Core,Socket 2>/dev/null | grep -v '^#' | sort -u | wc -l || true)"
cpus="$(getconf _NPROCESSORS_ONLN)"  # not nproc: GNU nproc obeys OMP_NUM_THREADS=1
[[ "$cores" -gt 0 ]] 2>/dev/null || cores="$cpus"
mpi=(mpirun -n "$ranks" --bind-to core)
((ranks <= cores)) || mpi=(mpirun -n "$ranks" --oversubscribe --bind-to none)

py="${NPDE_TORCH_PYTHON:-/usr/bin/python3}"
torch_script=""
for c in "${NPDE_TORCH_SCRIPT:-}" "$root/bench/torch_pinn_step.py" /work/shared/bench/torch_pinn_step.py; do
  if [[ -n "$c" && -f "$c" ]]; then torch_script="$c"; break; fi
done
torch_systems_script=""
for c in "${NPDE_TORCH_SYSTEMS_SCRIPT:-}" "$root/bench/torch_pinn_step_systems.py" \
  /work/shared/bench/torch_pinn_step_systems.py; do
  if [[ -n "$c" && -f "$c" ]]; then torch_systems_script="$c"; break; fi
done
torch_env=()
if ((!skip_torch)); then
  if ! "$py" -c 'import torch' 2>/dev/null; then
    echo "bench.sh: $py cannot import torch (Debian: apt-get install python3-torch): PyTorch columns skipped" >&2
    skip_torch=1
  fi
  if ((!skip_torch)) && [[ -z "$torch_script" ]]; then
    echo "bench.sh: torch_pinn_step.py not found: PyTorch Poisson columns skipped" >&2
  fi
  if ((!skip_torch && !skip_systems)) && [[ -z "$torch_systems_script" ]]; then
    echo "bench.sh: torch_pinn_step_systems.py not found: PyTorch Burgers/Navier-Stokes columns skipped" >&2
  fi
  # PyTorch's best large-N setting (see the script's notes): jemalloc that keeps its pages.
  for j in /usr/lib/*/libjemalloc.so.2; do
    [[ -f "$j" ]] && torch_env=("LD_PRELOAD=$j" "MALLOC_CONF=dirty_decay_ms:-1,muzzy_decay_ms:-1") && break
  done
fi

# 2. Runs. Every result line goes to one log that the tables are made from.
log="$(mktemp /tmp/npde-bench.XXXXXX)"
trap 'rm -f "$log" "${run_out:-}" "${run_best:-}"' EXIT  # run_out, run_best: measure's temporary outputs
load_before="n/a" load_after="n/a" busy_before="n/a"
# Busy and idle CPU time of the machine and the CPU time of this script's finished children (jiffies).
cpu_snapshot() {
  local _ a b c d e s
  read -r _ a b c d e _ </proc/stat
  read -r -a s </proc/$$/stat
  echo "$((a + b + c)) $((d + e)) $((s[15] + s[16]))"
}
# Percentage of the CPUs busy over `seconds` (default 1).
cpus_busy() {
  local _ a1 b1 c1 d1 e1 a2 b2 c2 d2 e2
  read -r _ a1 b1 c1 d1 e1 _ </proc/stat
  sleep "${1:-1}"
  read -r _ a2 b2 c2 d2 e2 _ </proc/stat
  awk -v u=$((a2 + b2 + c2 - a1 - b1 - c1)) -v i=$((d2 + e2 - d1 - e1)) 'BEGIN { printf "%.0f", 100 * u / (u + i + 1e-9) }'
}
# Runs a command, showing it and its output on stderr; its output also goes to stdout.
run() {
  echo "+ $*" >&2
  "$@" | tee -a /dev/stderr  # -a: a plain-file stderr must not be truncated
}
# measure FILTER CMD...: runs CMD and appends its output, through `sed FILTER`, to the log, followed by a
# line `bench-run other_busy=X% ...`: the share of all CPU time during it that went to other work.
# With --quiet-wait it first waits (up to 5 min) for the CPUs to be idle, and runs CMD again (3 tries in
# all) while other work took more than 10 % of the CPU time, keeping the cleanest try.
measure() {
  local filter="$1" try best=-1 run_best="" run_out other b0 i0 o0 b1 i1 o1 waited=0
  shift
  for try in 1 2 3; do
    if ((quiet_wait)); then
      while (($(cpus_busy 5) >= 10 && waited < 300)); do waited=$((waited + 5)); done
    fi
    read -r b0 i0 o0 < <(cpu_snapshot)
    run_out="$(mktemp /tmp/npde-bench-run.XXXXXX)"
    run "$@" | sed "$filter" >"$run_out"
    read -r b1 i1 o1 < <(cpu_snapshot)
    other="$(awk -v b=$((b1 - b0)) -v i=$((i1 - i0)) -v o=$((o1 - o0)) \
      'BEGIN { x = 100 * (b - o) / (b + i + 1e-9); printf "%.0f", (x < 0 ? 0 : x) }')"
    if ((best < 0 || other < best)); then
      [[ -z "$run_best" ]] || rm -f "$run_best"
      best="$other" run_best="$run_out"
    else
      rm -f "$run_out"
    fi
    ((quiet_wait && best > 10)) || break
    echo "bench.sh: other work took $other% of the CPU time during that run: running it again" >&2
  done
  cat "$run_best" >>"$log"
  rm -f "$run_best"
  echo "bench-run other_busy=$best tries=$try waited_s=$waited cmd=$(printf '%s_' "$@" | cut -c1-300)" >>"$log"
}
if [[ -n "$from" ]]; then
  cp "$from" "$log"
else
  load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
  # Share of the CPUs busy with other work over one second before the start (a load average lags).
  busy_before="$(cpus_busy 1)"
  equations=(poisson)
  ((skip_systems)) || equations+=(burgers navier_stokes)
  dtypes=(float64 float32)
  common=(--n "${ns[@]}" --reps "$reps" --min-time "$min_time")
  # npde: one run per rank count, equation and dtype (short runs: a burst of other work spoils less)
  for launcher in "" mpi; do
    for eq in "${equations[@]}"; do
      for dt in "${dtypes[@]}"; do
        step_args=(--dtype "$dt" "${common[@]}")
        if [[ "$eq" == poisson ]]; then
          step_args+=(--peak 2048)  # the default equation: no --equation, so an older driver runs it too
        else
          step_args+=(--equation "$eq")
        fi
        ((skip_breakdown)) || step_args+=(--breakdown)
        [[ -z "$chunk" ]] || step_args+=(--chunk "$chunk")
        if [[ -z "$launcher" ]]; then
          measure '' "$exe" "${step_args[@]}"
        else
          measure '' "${mpi[@]}" "$exe" "${step_args[@]}"
        fi
      done
    done
  done
  if ((!skip_torch)) && [[ -n "$torch_script" ]]; then
    for t in 1 "$ranks"; do
      for dt in "${dtypes[@]}"; do
        measure '' env "${torch_env[@]}" "$py" "$torch_script" --threads "$t" --dtype "$dt" "${common[@]}"
      done
    done
  fi
  if ((!skip_torch && !skip_systems)) && [[ -n "$torch_systems_script" ]]; then
    for t in 1 "$ranks"; do
      for eq in burgers navier_stokes; do
        for dt in "${dtypes[@]}"; do
          measure '' env "${torch_env[@]}" "$py" "$torch_systems_script" --equation "$eq" --threads "$t" \
            --dtype "$dt" "${common[@]}"
        done
      done
    done
  fi
  if ((!skip_sweep)); then
    for dt in "${dtypes[@]}"; do
      sweep_args=(--dtype "$dt" --n 10000 --chunk "${sweep_chunks[@]}" --reps "$reps" --min-time "$min_time")
      measure 's/^npde/sweep/' "$exe" "${sweep_args[@]}" --breakdown
      measure 's/^npde/sweep/' "${mpi[@]}" "$exe" "${sweep_args[@]}"
    done
  fi
  load_after="$(cut -d' ' -f1-3 /proc/loadavg)"
  [[ -z "$raw" ]] || cp "$log" "$raw"
fi

# 3. Tables, from the key=value lines of the log (P = the parallel rank/thread count).
read -r -d '' tables <<'AWK' || true
function kv(   i, s) { delete f; for (i = 1; i <= NF; ++i) { s = index($i, "="); if (s) f[substr($i, 1, s - 1)] = substr($i, s + 1) } }
function ms(a, b) { return (a == "" ? "n/a" : sprintf("%.1f / %.1f", a, b)) }
function pps(x) { return (x == "" ? "n/a" : sprintf("%.3g", x)) }
function pct(x) { return sprintf("%.0f%%", 100 * x) }
function add(list, n, v) { if (!((list, v) in seen)) { seen[list, v]; order[list, ++count[list]] = v } }
/^npde-peak/ { kv(); peak[f["dtype"], f["ranks"]] = (f["ranks"] == 1 ? f["gflops_per_core_min"] : f["gflops_per_core_mean"]) }
/^npde arch/ { kv(); k = f["dtype"] SUBSEP f["N"] SUBSEP f["ranks"]; nmin[k] = f["step_ms_min"]; nmed[k] = f["step_ms_median"]
               npps[k] = f["points_per_s"]; ngf[k] = f["gflops"]; add("d", 0, f["dtype"]); add("n", 0, f["N"]); mchunk = f["chunk"] }
/^npde-breakdown/ { kv(); k = f["dtype"] SUBSEP f["N"] SUBSEP f["ranks"]; bstep[k] = f["step_ms"]; blg[k] = f["loss_grad_ms"]
                    bjet[k] = f["jet_ms"]; bgemm[k] = f["gemm_ms"]; bgg[k] = f["gemm_gflops"] }
/^torch arch/ { kv(); k = f["dtype"] SUBSEP f["N"] SUBSEP f["threads"]; tmin[k] = f["step_ms_min"]; tmed[k] = f["step_ms_median"]
                tpps[k] = f["points_per_s"] }
/^npde-eq / { kv(); k = f["eq"] SUBSEP f["dtype"] SUBSEP f["N"] SUBSEP f["ranks"]; emin[k] = f["step_ms_min"]
              emed[k] = f["step_ms_median"]; epps[k] = f["points_per_s"]; egf[k] = f["gflops"]; earch[f["eq"]] = f["arch"]
              ech[f["eq"]] = f["channels"]; add("e", 0, f["eq"]); add("ed", 0, f["dtype"]); add("en", 0, f["N"]) }
/^npde-eq-breakdown/ { kv(); k = f["eq"] SUBSEP f["dtype"] SUBSEP f["N"] SUBSEP f["ranks"]; ebstep[k] = f["step_ms"]
                       eblg[k] = f["loss_grad_ms"]; ebjet[k] = f["jet_ms"]; ebgemm[k] = f["gemm_ms"]; ebgg[k] = f["gemm_gflops"] }
/^torch-eq / { kv(); k = f["eq"] SUBSEP f["dtype"] SUBSEP f["N"] SUBSEP f["threads"]; etmin[k] = f["step_ms_min"]
               etmed[k] = f["step_ms_median"]; etpps[k] = f["points_per_s"] }
/^sweep arch/ { kv(); k = f["dtype"] SUBSEP f["ranks"] SUBSEP f["chunk"]; sstep[k] = f["step_ms_min"]; add("c", 0, f["chunk"]); add("sd", 0, f["dtype"]) }
/^sweep-breakdown/ { kv(); k = f["dtype"] SUBSEP f["chunk"]; sjet[k] = f["jet_ms"]; sgemm[k] = f["gemm_ms"]; sgg[k] = f["gemm_gflops"] }
END {
  nd = count["d"]; nn = count["n"]
  print "Training step (1 core: npde 1 rank vs torch 1 thread; " P " cores: npde " P " MPI ranks vs torch " P " threads;"
  print "npde chunk = " mchunk " points per jet pass)."
  print "Times in ms, min / median over repetitions; speedup = npde pts/s / torch pts/s; % peak = GFLOP/s over"
  print "(cores x the per-core 2048^3 GEMM rate measured with that many cores busy)."
  print ""
  print "| dtype | N | cores | npde ms | npde pts/s | torch ms | torch pts/s | speedup | npde GFLOP/s | % peak |"
  print "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  for (a = 1; a <= nd; ++a) for (b = 1; b <= nn; ++b) for (c = 1; c <= 2; ++c) {
    d = order["d", a]; n = order["n", b]; p = (c == 1 ? 1 : P); k = d SUBSEP n SUBSEP p; if (!(k in nmin)) continue
    sp = (tpps[k] != "") ? sprintf("%.2fx", npps[k] / tpps[k]) : "n/a"
    pk = peak[d, p]; pc = pk > 0 ? pct(ngf[k] / (p * pk)) : "n/a"
    printf "| %s | %d | %d | %s | %s | %s | %s | %s | %.1f | %s |\n", d, n, p, ms(nmin[k], nmed[k]), pps(npps[k]),
           ms(tmin[k], tmed[k]), pps(tpps[k]), sp, ngf[k], pc
  }
  print ""
  printf "Per-core GEMM rate (2048^3 through nn::gemm = cblas_?gemm, GFLOP/s): float64 %s alone, %s with %d busy; " \
         "float32 %s alone, %s with %d busy.\n", peak["float64", 1], peak["float64", P], P, peak["float32", 1], peak["float32", P], P
  print ""
  print "Scaling 1 -> " P " cores: efficiency = t1 / (" P " tP) from the minimum step times."
  print ""
  print "| dtype | N | npde efficiency | torch efficiency |"
  print "|---|---:|---:|---:|"
  for (a = 1; a <= nd; ++a) for (b = 1; b <= nn; ++b) {
    d = order["d", a]; n = order["n", b]; k1 = d SUBSEP n SUBSEP 1; kp = d SUBSEP n SUBSEP P
    if (nmin[kp] == "" || nmin[k1] == "") continue
    te = (tmin[kp] != "" && tmin[k1] != "") ? pct(tmin[k1] / (P * tmin[kp])) : "n/a"
    printf "| %s | %d | %s | %s |\n", d, n, pct(nmin[k1] / (P * nmin[kp])), te
  }
  if (length(bjet) > 0) {
    print ""
    print "Where the time goes (ms, minima; jets, GEMM and their GFLOP/s are per rank, the slowest rank):"
    print "jets = JetMlp forward + backward over the rank's points; GEMM = the same layer GEMMs alone;"
    print "outside GEMM = jets - GEMM (first layer, bias, activation jets); residual + allreduce = loss&grad - jets;"
    print "Adam = step - loss&grad. All four timed in turns in one process, so their differences are meaningful."
    print ""
    print "| dtype | N | cores | step | loss&grad | jets | GEMM | outside GEMM | residual + allreduce | Adam | GEMM share | GEMM GFLOP/s (% of core peak) |"
    print "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    for (a = 1; a <= nd; ++a) for (b = 1; b <= nn; ++b) for (c = 1; c <= 2; ++c) {
      d = order["d", a]; n = order["n", b]; p = (c == 1 ? 1 : P); k = d SUBSEP n SUBSEP p; if (!(k in bjet)) continue
      pk = peak[d, p]
      printf "| %s | %d | %d | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %s | %.1f (%s) |\n", d, n, p, bstep[k], blg[k],
             bjet[k], bgemm[k], bjet[k] - bgemm[k], blg[k] - bjet[k], bstep[k] - blg[k], pct(bgemm[k] / bstep[k]), bgg[k],
             (pk > 0 ? pct(bgg[k] / pk) : "n/a")
    }
  }
  if (count["e"] > 0) {
    print ""
    print "Space-time and system equations (same cores, threads and peak as above): npde = JetMlp jets with"
    print "jet_spec_of(Eq::needs) + pinn::EquationKernel (residuals and their adjoint by dual numbers) + reverse"
    print "pass + allreduce + Adam; torch = the same residuals with every derivative by nested autograd + Adam."
    print "C = jet channels, credited 3 C 2 N sum_l w_l w_{l+1} FLOP per step on both sides (the outputs of a"
    print "system are the last layer's width)."
    print ""
    print "| equation | arch | C | dtype | N | cores | npde ms | npde pts/s | torch ms | torch pts/s | speedup | npde GFLOP/s | % peak |"
    print "|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    for (e = 1; e <= count["e"]; ++e) for (a = 1; a <= count["ed"]; ++a) for (b = 1; b <= count["en"]; ++b) for (c = 1; c <= 2; ++c) {
      q = order["e", e]; d = order["ed", a]; n = order["en", b]; p = (c == 1 ? 1 : P); k = q SUBSEP d SUBSEP n SUBSEP p
      if (!(k in emin)) continue
      sp = (etpps[k] != "") ? sprintf("%.2fx", epps[k] / etpps[k]) : "n/a"
      pk = peak[d, p]; pc = pk > 0 ? pct(egf[k] / (p * pk)) : "n/a"
      printf "| %s | %s | %s | %s | %d | %d | %s | %s | %s | %s | %s | %.1f | %s |\n", q, earch[q], ech[q], d, n, p,
             ms(emin[k], emed[k]), pps(epps[k]), ms(etmin[k], etmed[k]), pps(etpps[k]), sp, egf[k], pc
    }
    if (length(ebjet) > 0) {
      print ""
      print "Where their time goes (ms, minima, as for Poisson; kernel + allreduce = loss&grad - jets: the equation"
      print "kernel's residuals and dual-number adjoint, the loss sums and the gradient allreduce):"
      print ""
      print "| equation | dtype | N | cores | step | loss&grad | jets | GEMM | outside GEMM | kernel + allreduce | Adam | GEMM share |"
      print "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
      for (e = 1; e <= count["e"]; ++e) for (a = 1; a <= count["ed"]; ++a) for (b = 1; b <= count["en"]; ++b) for (c = 1; c <= 2; ++c) {
        q = order["e", e]; d = order["ed", a]; n = order["en", b]; p = (c == 1 ? 1 : P); k = q SUBSEP d SUBSEP n SUBSEP p
        if (!(k in ebjet)) continue
        printf "| %s | %s | %d | %d | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %s |\n", q, d, n, p, ebstep[k], eblg[k],
               ebjet[k], ebgemm[k], ebjet[k] - ebgemm[k], eblg[k] - ebjet[k], ebstep[k] - eblg[k], pct(ebgemm[k] / ebstep[k])
      }
    }
  }
  if (count["c"] > 0) {
    print ""
    print "Chunk size (PinnOptions::chunk) at N = 10000: minimum step time in ms; at 1 core also the jets and"
    print "their GEMMs alone (ms) and the GEMM rate (GFLOP/s)."
    print ""
    hdr = "| dtype | cores | time |"; sep = "|---|---:|---|"
    for (c = 1; c <= count["c"]; ++c) { hdr = hdr " " order["c", c] " |"; sep = sep "---:|" }
    print hdr; print sep
    for (a = 1; a <= count["sd"]; ++a) {
      d = order["sd", a]
      for (r = 1; r <= 2; ++r) {
        p = (r == 1 ? 1 : P); line = "| " d " | " p " | step |"
        for (c = 1; c <= count["c"]; ++c) { k = d SUBSEP p SUBSEP order["c", c]; line = line " " (k in sstep ? sprintf("%.1f", sstep[k]) : "n/a") " |" }
        print line
      }
      lj = "| " d " | 1 | jets |"; lg = "| " d " | 1 | GEMM |"; lr = "| " d " | 1 | GEMM GFLOP/s |"
      for (c = 1; c <= count["c"]; ++c) {
        k = d SUBSEP order["c", c]
        lj = lj " " (k in sjet ? sprintf("%.1f", sjet[k]) : "n/a") " |"
        lg = lg " " (k in sgemm ? sprintf("%.1f", sgemm[k]) : "n/a") " |"
        lr = lr " " (k in sgg ? sprintf("%.1f", sgg[k]) : "n/a") " |"
      }
      if (length(sjet) > 0) { print lj; print lg; print lr }
    }
  }
}
AWK

# 4. Report.
commit="$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
[[ -z "$(git -C "$root" status --porcelain -- src include 2>/dev/null)" ]] || commit="$commit + uncommitted changes in src/ include/"
model="$(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1)"
report() {
  [[ -z "$from" ]] || echo "Tables remade from $from (date, commit and load below are of the remake)"
  echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC'), npde commit $commit"
  echo "Machine: $model, $cores cores ($cpus CPUs); load average before $load_before, after $load_after"
  echo "CPUs busy with other work just before the start: $busy_before$([[ $busy_before == n/a ]] || echo %)"
  if [[ "$busy_before" != n/a ]] && ((busy_before > 10 && !quiet_wait)); then
    echo "WARNING: the machine was busy before the run: timings are unreliable"
  fi
  awk '/^bench-run / { for (i = 2; i <= NF; ++i) if ($i ~ /^other_busy=/) { v = substr($i, 12) + 0; ++n; s += v
                         if (v > m) m = v; if (v > 10) ++bad } }
       END { if (!n) exit
             printf "CPU time taken by other work during the %d runs: mean %.0f%%, most %.0f%%\n", n, s / n, m
             if (bad) printf "WARNING: other work took more than 10%% of the CPU time during %d runs: their rows are unreliable" \
                             " (bench-run lines of --log)\n", bad }' "$log"
  awk '/^npde-info ranks=1 / { $1 = ""; $2 = ""; print "  npde:" $0; exit }' "$log"
  grep -m1 '^torch .*threads=1 ' "$log" | sed 's/^/  /' || echo "  torch: not run"
  ((${#torch_env[@]} == 0)) || echo "  torch ran with ${torch_env[*]}"
  echo "Command: scripts/bench.sh$( ((quick)) && echo ' --quick')${chunk:+ --chunk $chunk} --reps $reps" \
    "--min-time $min_time --ranks $ranks$( ((skip_torch)) && echo ' --skip-torch')$( ((skip_breakdown)) && echo ' --skip-breakdown')$( ((skip_sweep)) && echo ' --skip-sweep')$( ((skip_systems)) && echo ' --skip-systems')$( ((quiet_wait)) && echo ' --quiet-wait')"
  echo
  awk -v P="$ranks" "$tables" "$log"
}
if [[ -n "$out" ]]; then
  report | tee "$out"
else
  report
fi
