#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# FNO / TFNO training step, npde beside PyTorch on the same cores in one run.
#
# Usage: scripts/bench_fno.sh [--res "64 128"] [--hidden "32 64"] [--impl "factorized dense"]
#                             [--reps 5] [--min-time 1.0] [--train-reps 3] [--skip-torch] [--skip-train]
# For each configuration (batch 16, 16 modes, 4 blocks, Tucker rank 0.1 for "factorized"):
#   npde, 1 core     build/bench/bench_fno_step: step ms, samples/s, GFLOP/s and % of this machine's
#                    single-core GEMM peak, inference samples/s
#   PyTorch          ../shared/bench/torch_tfno_step.py (Debian's python3-torch) on 1 and 2 threads
#   npde train       `npde train` of a Darcy deck (the model of inputs/tfno_darcy.yaml) on 1 and 2 ranks
#                    (data parallel) for 6 epochs of 128 samples made here by `npde dataset`: the run's
#                    steady training samples/s (summary `steady_samples_per_second`: epochs 2-6, their
#                    steps alone, as PyTorch's script times steps alone; the whole run's average, with
#                    the first epoch's warm-up and the test evaluations, is lower on runs this short),
#                    the best of --train-reps runs per rank count (1 and 2 ranks in turn; PyTorch's
#                    figure is likewise its best repetition), and the 1 -> 2 rank efficiency; the row "mg-tfno" does
#                    the same with multigrid patching (1 level: the 4 patches of a field over the ranks)
# Needs the build of scripts/quickstart.sh (NPDE_BUILD_DIR, default build/). PyTorch's script:
# NPDE_TORCH_TFNO_SCRIPT, else bench/torch_tfno_step.py, else ../shared/bench/torch_tfno_step.py.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${NPDE_BUILD_DIR:-$root/build}"
res="64" hidden="32 64" impl="factorized dense" reps=5 min_time=1.0 train_reps=3 skip_torch=0 skip_train=0
while (($#)); do
  case "$1" in
    --res) res="$2"; shift ;;
    --hidden) hidden="$2"; shift ;;
    --impl) impl="$2"; shift ;;
    --reps) reps="$2"; shift ;;
    --min-time) min_time="$2"; shift ;;
    --train-reps) train_reps="$2"; shift ;;
    --skip-torch) skip_torch=1 ;;
    --skip-train) skip_train=1 ;;
    *) echo "bench_fno.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
  shift
done
# shellcheck source=scripts/npde-env.sh
source "$root/scripts/npde-env.sh"
bench="$build/bench/bench_fno_step" npde="$build/src/npde"
[[ -x "$bench" && -x "$npde" ]] || { echo "bench_fno.sh: build first (scripts/quickstart.sh)" >&2; exit 1; }
py="${NPDE_TORCH_PYTHON:-/usr/bin/python3}"
torch_script=""
for c in "${NPDE_TORCH_TFNO_SCRIPT:-}" "$root/bench/torch_tfno_step.py" "$root/../shared/bench/torch_tfno_step.py"; do
  if [[ -n "$c" && -f "$c" ]]; then torch_script="$c"; break; fi
done
if ((!skip_torch)) && { [[ -z "$torch_script" ]] || ! "$py" -c 'import torch' 2>/dev/null; }; then
  echo "bench_fno.sh: no PyTorch ($py -c 'import torch', apt-get install python3-torch) or no torch_tfno_step.py: PyTorch skipped" >&2
  skip_torch=1
fi
# PyTorch's best setting here: jemalloc keeping its pages (as scripts/bench.sh)
torch_env=()
for j in /usr/lib/*/libjemalloc.so.2; do
  [[ -f "$j" ]] && torch_env=("LD_PRELOAD=$j" "MALLOC_CONF=dirty_decay_ms:-1,muzzy_decay_ms:-1") && break
done
mpirun_cmd=(mpirun)
[[ $(id -u) == 0 ]] && mpirun_cmd+=(--allow-run-as-root)
field() { sed -n "s/.*[ ]$1=\([^ ]*\).*/\1/p" <<<"$2" | head -1; }
# train_best RES SETS...: train1 / train2 = the best steady samples/s of --train-reps runs on 1 and 2
# ranks (taken in turn, so that both see the same stretches of the machine)
train_best() {
  local r="$1" n k out rate best
  shift
  train1=0 train2=0
  for ((k = 0; k < train_reps; ++k)); do
    for n in 1 2; do
      out="$("${mpirun_cmd[@]}" -n "$n" "$npde" train "$tmp/deck.yaml" --quiet "$@" --set "data.train=$tmp/train$r.h5" \
        --set "data.test=$tmp/train$r.h5" --set "output.file=$tmp/model.h5" 2>&1)"
      rate="$(sed -n 's/^ *steady_samples_per_second *\([0-9.e+-]*\).*/\1/p' <<<"$out" | head -1)"
      [[ -n "$rate" ]] || { echo "bench_fno.sh: npde train printed no rate:" >&2; tail -3 <<<"$out" >&2; exit 1; }
      best="train$n"
      if awk -v a="$rate" -v b="${!best}" 'BEGIN { exit !(a > b) }'; then printf -v "$best" '%s' "$rate"; fi
    done
  done
}
echo "machine: $(getconf _NPROCESSORS_ONLN) cores, OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}, $(date -u +%Y-%m-%dT%H:%MZ)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
((${#torch_env[@]} == 0)) || echo "torch runs with ${torch_env[*]}"
printf '%-10s %4s %4s | %9s %9s %7s %6s %9s | %9s %9s %9s | %10s %10s %7s\n' impl res hid "npde ms" "npde s/s" GFLOP/s \
  "%peak" "infer s/s" "torch1 ms" "torch2 ms" "torch2 s/s" "train1 s/s" "train2 s/s" scaling
# the training deck: Darcy data made here, the model of inputs/tfno_darcy.yaml
cat >"$tmp/deck.yaml" <<'YAML'
problem:
  pde: darcy
  domain: {lower: [0, 0], upper: [1, 1]}
  random_field: {alpha: 2, tau: 3, seed: 0, threshold: 0, above: 12, below: 3}
reference: {petsc: "-ksp_type cg -pc_type gamg -ksp_rtol 1e-12"}
dataset: {samples: 128}
model: {kind: tfno, width: 32, blocks: 4, modes: [16, 16]}
data: {train: train.h5, test: train.h5, n_test: 16}
training: {precision: float, epochs: 6, batch: 16, lr: 5e-3}
output: {file: model.h5}
YAML
for r in $res; do
  if ((!skip_train)); then
    "${mpirun_cmd[@]}" -n 2 "$npde" dataset "$tmp/deck.yaml" --quiet --set "reference.grid=[$r,$r]" \
      --set "output.file=$tmp/train$r.h5" >/dev/null
  fi
  for h in $hidden; do
    for i in $impl; do
      line="$(OPENBLAS_NUM_THREADS=1 "$bench" --res "$r" --hidden "$h" --impl "$i" --dtype float32 --reps "$reps" \
        --min-time "$min_time" | grep '^npde tfno')"
      t1="-" t2="-" t2s="-" train1="-" train2="-" scaling="-"
      if ((!skip_torch)); then
        t1="$(env "${torch_env[@]}" OPENBLAS_NUM_THREADS=1 "$py" "$torch_script" --threads 1 --res "$r" --hidden "$h" \
          --impl "$i" --reps "$reps" --min-time "$min_time" | grep '^torch tfno')"
        t2="$(env "${torch_env[@]}" OPENBLAS_NUM_THREADS=1 "$py" "$torch_script" --threads 2 --res "$r" --hidden "$h" \
          --impl "$i" --reps "$reps" --min-time "$min_time" | grep '^torch tfno')"
        t2s="$(field samples_per_s "$t2")" t1="$(field step_ms_min "$t1")" t2="$(field step_ms_min "$t2")"
      fi
      if ((!skip_train)); then
        kind=tfno; [[ $i == dense ]] && kind=fno
        train_best "$r" --set "model.kind=$kind" --set "model.width=$h"
        scaling="$(awk -v a="$train1" -v b="$train2" 'BEGIN { if (a > 0) printf "%.0f%%", 100 * b / (2 * a) }')"
      fi
      printf '%-10s %4s %4s | %9s %9s %7s %6s %9s | %9s %9s %9s | %10s %10s %7s\n' "$i" "$r" "$h" \
        "$(field step_ms_min "$line")" "$(field samples_per_s "$line")" "$(field gflops "$line")" \
        "$(field pct_peak "$line")" "$(field infer_samples_per_s "$line")" "$t1" "$t2" "$t2s" "$train1" "$train2" \
        "$scaling"
      if ((!skip_train)) && [[ $i == factorized ]]; then  # MG-TFNO: the patches of a field over the ranks
        train_best "$r" --set model.kind=tfno --set "model.width=$h" --set model.patching.levels=1
        scaling="$(awk -v a="$train1" -v b="$train2" 'BEGIN { if (a > 0) printf "%.0f%%", 100 * b / (2 * a) }')"
        printf '%-10s %4s %4s | %9s %9s %7s %6s %9s | %9s %9s %9s | %10s %10s %7s\n' mg-tfno "$r" "$h" - - - - - - - - \
          "$train1" "$train2" "$scaling"
      fi
    done
  done
done
