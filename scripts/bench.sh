#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# PINN training-step benchmark, npde side by side with PyTorch; prints Markdown tables (docs/benchmarks.md).
#
# Usage: scripts/bench.sh [--quick] [--out FILE] [--reps R] [--min-time S] [--ranks P]
#                         [--skip-torch] [--skip-kernels] [--skip-sweep]
#   --quick       N = 1k and 10k only (the full run adds 100k and takes ~15 min on 2 cores)
#   --out FILE    also write the report to FILE
#   --ranks P     the parallel configuration: npde on P MPI ranks, PyTorch on P threads (default 2)
# Builds nothing: expects bench_pinn_step and bench_jet_kernels in $NPDE_BUILD_DIR/bench (default
# build/, as made by scripts/quickstart.sh). PyTorch: Debian's python3-torch run by /usr/bin/python3
# (NPDE_TORCH_PYTHON), script from NPDE_TORCH_SCRIPT, bench/ or /work/shared/bench/torch_pinn_step.py.
# Both sides get the same OpenBLAS kernels (OPENBLAS_CORETYPE) and one BLAS thread per rank/thread.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${NPDE_BUILD_DIR:-$root/build}"
[[ "$build" == /* ]] || build="$PWD/$build"
die() {
  echo "bench.sh: error: $*" >&2
  exit 1
}

quick=0 out="" reps=5 min_time=0.5 ranks=2 skip_torch=0 skip_kernels=0 skip_sweep=0
while (($#)); do
  case "$1" in
    --quick) quick=1 ;;
    --out) out="${2:?--out needs a file}"; shift ;;
    --reps) reps="${2:?}"; shift ;;
    --min-time) min_time="${2:?}"; shift ;;
    --ranks) ranks="${2:?}"; shift ;;
    --skip-torch) skip_torch=1 ;;
    --skip-kernels) skip_kernels=1 ;;
    --skip-sweep) skip_sweep=1 ;;
    -h | --help) sed -n '3,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
  shift
done
ns=(1000 10000 100000)
((quick)) && ns=(1000 10000)
sweep_chunks=(256 512 1024 2048 4096)

# 1. Environment: the same OpenBLAS kernels and one BLAS thread per rank for npde and PyTorch.
if [[ -f "$root/scripts/npde-env.sh" ]]; then
  # shellcheck source=scripts/npde-env.sh
  source "$root/scripts/npde-env.sh"
else
  export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
  if [[ -z "${OPENBLAS_CORETYPE:-}" ]] && grep -m1 '^flags' /proc/cpuinfo | grep -qw avx512f; then
    export OPENBLAS_CORETYPE=SkylakeX  # Debian's OpenBLAS misdetects AVX-512 CPUs otherwise
  fi
  [[ "$(id -u)" != 0 ]] || export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
export OPENBLAS_NUM_THREADS=1

step_exe="$build/bench/bench_pinn_step"
kern_exe="$build/bench/bench_jet_kernels"
[[ -x "$step_exe" ]] || die "$step_exe not built (run scripts/quickstart.sh, or set NPDE_BUILD_DIR)"
((skip_kernels)) || [[ -x "$kern_exe" ]] || die "$kern_exe not built"
command -v mpirun >/dev/null || die "mpirun not found (Debian: apt-get install openmpi-bin)"
cores="$(lscpu -p=Core,Socket 2>/dev/null | grep -v '^#' | sort -u | wc -l || true)"
cpus="$(getconf _NPROCESSORS_ONLN)"  # not nproc: GNU nproc obeys OMP_NUM_THREADS=1
[[ "$cores" -gt 0 ]] 2>/dev/null || cores="$cpus"
mpi_args=(-n "$ranks" --bind-to core)
((ranks <= cores)) || mpi_args=(-n "$ranks" --oversubscribe --bind-to none)

py="${NPDE_TORCH_PYTHON:-/usr/bin/python3}"
torch_script=""
for c in "${NPDE_TORCH_SCRIPT:-}" "$root/bench/torch_pinn_step.py" /work/shared/bench/torch_pinn_step.py; do
  if [[ -n "$c" && -f "$c" ]]; then torch_script="$c"; break; fi
done
torch_env=()
if ((!skip_torch)); then
  if [[ -z "$torch_script" ]]; then
    echo "bench.sh: torch_pinn_step.py not found: PyTorch columns skipped" >&2; skip_torch=1
  elif ! "$py" -c 'import torch' 2>/dev/null; then
    echo "bench.sh: $py cannot import torch (Debian: apt-get install python3-torch): skipped" >&2; skip_torch=1
  fi
  # PyTorch's best large-N setting (see the script's notes): jemalloc that keeps its pages.
  for j in /usr/lib/*/libjemalloc.so.2; do
    [[ -f "$j" ]] && torch_env=("LD_PRELOAD=$j" "MALLOC_CONF=dirty_decay_ms:-1,muzzy_decay_ms:-1") && break
  done
fi

# 2. Runs. Every result line goes to one log that the tables are made from.
log="$(mktemp /tmp/npde-bench.XXXXXX)"
trap 'rm -f "$log"' EXIT
common=(--n "${ns[@]}" --reps "$reps" --min-time "$min_time")
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
# Share of the CPUs busy with other work over one second before the start (a load average lags).
busy_before="$(
  read -r _ a1 b1 c1 d1 e1 _ </proc/stat
  sleep 1
  read -r _ a2 b2 c2 d2 e2 _ </proc/stat
  awk -v u=$((a2 + b2 + c2 - a1 - b1 - c1)) -v i=$((d2 + e2 - d1 - e1)) 'BEGIN { printf "%.0f", 100 * u / (u + i + 1e-9) }'
)"
# Runs a command, showing it and its output on stderr; its output also goes to stdout.
run() {
  echo "+ $*" >&2
  "$@" | tee /dev/stderr
}
run "$step_exe" "${common[@]}" --peak 2048 >>"$log"
chunk="$(awk '/^npde arch/ { for (i = 1; i <= NF; ++i) if ($i ~ /^chunk=/) { print substr($i, 7); exit } }' "$log")"
# right after the 1-rank steps, so the breakdown table compares runs made under the same conditions
if ((!skip_kernels)); then
  run "$kern_exe" "${common[@]}" --chunk "$chunk" >>"$log"
fi
run mpirun "${mpi_args[@]}" "$step_exe" "${common[@]}" --peak 2048 >>"$log"
if ((!skip_torch)); then
  run env "${torch_env[@]}" "$py" "$torch_script" --threads 1 --n "${ns[@]}" --reps "$reps" --min-time "$min_time" >>"$log"
  run env "${torch_env[@]}" "$py" "$torch_script" --threads "$ranks" --n "${ns[@]}" --reps "$reps" \
    --min-time "$min_time" >>"$log"
fi
if ((!skip_sweep)); then
  for p in 1 "$ranks"; do
    pre=()
    ((p == 1)) || pre=(mpirun "${mpi_args[@]}")
    run "${pre[@]}" "$step_exe" --n 10000 --chunk "${sweep_chunks[@]}" --reps "$reps" --min-time "$min_time" \
      | sed 's/^npde /npde-sweep /' >>"$log"
  done
fi
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

# 3. Report.
commit="$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
[[ -z "$(git -C "$root" status --porcelain -- src include 2>/dev/null)" ]] || commit="$commit + uncommitted changes in src/ include/"
model="$(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1)"
report() {
  echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC'), npde commit $commit"
  echo "Machine: $model, $cores cores ($cpus CPUs); load average before $load_before, after $load_after"
  echo "CPUs busy with other work just before the start: $busy_before%"
  if ((busy_before > 10)); then
    echo "WARNING: the machine was busy before the run: timings are unreliable"
  fi
  awk '/^npde-info ranks=1 / { $1 = ""; $2 = ""; print "  npde:" $0; exit }' "$log"
  grep -m1 '^torch .*threads=1 ' "$log" | sed 's/^/  /' || echo "  torch: not run"
  ((${#torch_env[@]} == 0)) || echo "  torch ran with ${torch_env[*]}"
  echo "Command: scripts/bench.sh$( ((quick)) && echo ' --quick') --reps $reps --min-time $min_time --ranks $ranks"
  echo
  awk -v P="$ranks" -f - "$log" <<'AWK'
function kv(   i, s) { delete f; for (i = 1; i <= NF; ++i) { s = index($i, "="); if (s) f[substr($i, 1, s - 1)] = substr($i, s + 1) } }
function r2(x) { return sprintf("%.2f", x) }
function ms(a, b) { return (a == "" ? "n/a" : sprintf("%.1f / %.1f", a, b)) }
function pps(x) { return (x == "" ? "n/a" : sprintf("%.3g", x)) }
/^npde-peak/   { kv(); peak[f["dtype"], f["ranks"]] = (f["ranks"] == 1 ? f["gflops_per_core_min"] : f["gflops_per_core_mean"]) }
/^npde arch/   { kv(); k = f["dtype"] SUBSEP f["N"] SUBSEP f["ranks"]; nmin[k] = f["step_ms_min"]; nmed[k] = f["step_ms_median"]
                 npps[k] = f["points_per_s"]; ngf[k] = f["gflops"]; if (!(f["dtype"] in seen_d)) { seen_d[f["dtype"]]; dts[++nd] = f["dtype"] }
                 if (!(f["N"] in seen_n)) { seen_n[f["N"]]; nsz[++nn] = f["N"] } }
/^torch arch/  { kv(); k = f["dtype"] SUBSEP f["N"] SUBSEP f["threads"]; tmin[k] = f["step_ms_min"]; tmed[k] = f["step_ms_median"]; tpps[k] = f["points_per_s"] }
/^npde-kernels/ { kv(); k = f["dtype"] SUBSEP f["N"]; kfwd[k] = f["fwd_ms"]; kjet[k] = f["jet_ms"]; kgemm[k] = f["gemm_ms"]; kgg[k] = f["gemm_gflops"] }
/^npde-sweep/  { kv(); k = f["dtype"] SUBSEP f["ranks"] SUBSEP f["chunk"]; swp[k] = f["step_ms_min"]; sgf[k] = f["gflops"]
                 if (!(f["chunk"] in seen_c)) { seen_c[f["chunk"]]; chs[++nc] = f["chunk"] } ; if (!(f["ranks"] in seen_r)) { seen_r[f["ranks"]]; rks[++nr] = f["ranks"] } }
END {
  print "Training step (1 core: npde 1 rank vs torch 1 thread; " P " cores: npde " P " MPI ranks vs torch " P " threads)."
  print "Times in ms, min / median; speedup = npde pts/s / torch pts/s; % peak = GFLOP/s over cores x measured per-core DGEMM/SGEMM rate."
  print ""
  print "| dtype | N | cores | npde ms | npde pts/s | torch ms | torch pts/s | speedup | npde GFLOP/s | % peak |"
  print "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  for (a = 1; a <= nd; ++a) for (b = 1; b <= nn; ++b) for (c = 1; c <= 2; ++c) {
    p = (c == 1 ? 1 : P); k = dts[a] SUBSEP nsz[b] SUBSEP p; if (!(k in nmin)) continue
    sp = (k in tpps) ? sprintf("%.2fx", npps[k] / tpps[k]) : "n/a"
    pk = peak[dts[a], p]; pct = pk > 0 ? sprintf("%.0f%%", 100 * ngf[k] / (p * pk)) : "n/a"
    printf "| %s | %d | %d | %s | %s | %s | %s | %s | %s | %s |\n", dts[a], nsz[b], p, ms(nmin[k], nmed[k]), pps(npps[k]),
           ms(tmin[k], tmed[k]), pps(tpps[k]), sp, r2(ngf[k]), pct
  }
  print ""
  print "Per-core GEMM rate (2048^3, GFLOP/s): " \
        "float64 " peak["float64", 1] " alone, " peak["float64", P] " with " P " busy; float32 " peak["float32", 1] " alone, " peak["float32", P] " with " P " busy."
  print ""
  print "Scaling 1 -> " P " cores (efficiency = t1 / (" P " t" P "), from the minimum times):"
  print ""
  print "| dtype | N | npde efficiency | torch efficiency |"
  print "|---|---:|---:|---:|"
  for (a = 1; a <= nd; ++a) for (b = 1; b <= nn; ++b) {
    k1 = dts[a] SUBSEP nsz[b] SUBSEP 1; kp = dts[a] SUBSEP nsz[b] SUBSEP P; if (!(kp in nmin)) continue
    te = (kp in tmin && k1 in tmin) ? sprintf("%.0f%%", 100 * tmin[k1] / (P * tmin[kp])) : "n/a"
    printf "| %s | %d | %.0f%% | %s |\n", dts[a], nsz[b], 100 * nmin[k1] / (P * nmin[kp]), te
  }
  if (length(kjet) > 0) {
    print ""
    print "Where the time goes, 1 core (ms): jets = JetMlp forward + backward; GEMM = the same layer GEMMs alone;"
    print "outside GEMM = jets - GEMM (first layer, bias, activation jets); rest = step - jets (residual, allreduce, Adam, copies)."
    print ""
    print "| dtype | N | step | jets (fwd) | GEMM | outside GEMM | rest | GEMM share of step | GEMM GFLOP/s |"
    print "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    for (a = 1; a <= nd; ++a) for (b = 1; b <= nn; ++b) {
      k = dts[a] SUBSEP nsz[b]; k1 = k SUBSEP 1; if (!(k in kjet) || !(k1 in nmin)) continue
      printf "| %s | %d | %.1f | %.1f (%.1f) | %.1f | %.1f | %.1f | %.0f%% | %s |\n", dts[a], nsz[b], nmin[k1], kjet[k], kfwd[k],
             kgemm[k], kjet[k] - kgemm[k], nmin[k1] - kjet[k], 100 * kgemm[k] / nmin[k1], kgg[k]
    }
  }
  if (nc > 0) {
    print ""
    print "Chunk size (PinnOptions::chunk) at N = 10000: step ms (min)."
    print ""
    hdr = "| dtype | cores |"; sep = "|---|---:|"
    for (c = 1; c <= nc; ++c) { hdr = hdr " " chs[c] " |"; sep = sep "---:|" }
    print hdr; print sep
    for (a = 1; a <= nd; ++a) for (r = 1; r <= nr; ++r) {
      line = "| " dts[a] " | " rks[r] " |"
      for (c = 1; c <= nc; ++c) { k = dts[a] SUBSEP rks[r] SUBSEP chs[c]; line = line " " (k in swp ? sprintf("%.1f", swp[k]) : "n/a") " |" }
      print line
    }
  }
}
AWK
}
if [[ -n "$out" ]]; then
  report | tee "$out"
else
  report
fi
