#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Kernel tests and jet benchmarks of a kernels-only device build, side by side with PyTorch's PINN
# step on the same GPU. One command, for a short lease on a GPU node:
#
#   scripts/gpu_check.sh BUILD_DIR [OUT_DIR] [--quick]
#
# BUILD_DIR is a build made with -DNPDE_KERNELS_ONLY=ON against a Kokkos 4 with CUDA (and
# -DNPDE_GTEST_SOURCE_DIR=... where GoogleTest is not installed), see docs/developing.md. It runs
#   1. test_unit_nn and test_unit_pde (the jets, FD-checked, and the samplers) on the device;
#   2. bench_jet_kernels: the GEMM peak, the layer GEMM shapes, and forward+backward of the
#      plain and modified MLP jets at N = 1e5 and 1e6 points in float64 and float32; then, in
#      float64 at the largest N and chunk, the third-order (stream-function) jet and 64 Gaussians;
#   3. the peer's torch_pinn_step.py on the GPU (bench/torch_on_gpu.py), where python3 has a CUDA
#      PyTorch; the script is taken from NPDE_TORCH_SCRIPT or bench/.
# Logs go to OUT_DIR (default gpu-check/): tests_nn.log, tests_pde.log, bench.log, torch.log.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:?usage: gpu_check.sh BUILD_DIR [OUT_DIR] [--quick]}"
out="${2:-gpu-check}"
quick=0
[[ "${3:-}" == --quick || "${2:-}" == --quick ]] && quick=1
[[ "$out" == --quick ]] && out=gpu-check
mkdir -p "$out"
for exe in tests/test_unit_nn tests/test_unit_pde bench/bench_jet_kernels; do
  [[ -x "$build/$exe" ]] || { echo "gpu_check.sh: error: $build/$exe not found (a kernels-only build with tests?)" >&2; exit 1; }
done
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
rc=0
echo "== kernel tests"
for t in nn pde; do
  "$build/tests/test_unit_$t" >"$out/tests_$t.log" 2>&1
  r=$?
  tail -3 "$out/tests_$t.log"
  ((r == 0)) || rc=1
done
echo "== jet benchmark"
ns=(100000 1000000) chunks=(16384 131072) reps=3 min_time=0.2
((quick)) && ns=(100000) chunks=(131072)
"$build/bench/bench_jet_kernels" --peak 8192 --shapes --dtype float64 float32 --n "${ns[@]}" \
  --chunk "${chunks[@]}" --network mlp modified_mlp --reps $reps --min-time $min_time 2>&1 | tee "$out/bench.log"
((PIPESTATUS[0] == 0)) || rc=1
for extra in "--jet stream" "--gaussians 64"; do
  # shellcheck disable=SC2086
  "$build/bench/bench_jet_kernels" $extra --dtype float64 --n "${ns[-1]}" --chunk "${chunks[-1]}" --reps $reps \
    --min-time $min_time 2>&1 | grep npde-kernels | tee -a "$out/bench.log"
  ((PIPESTATUS[0] == 0)) || rc=1
done
torch_script="${NPDE_TORCH_SCRIPT:-$root/bench/torch_pinn_step.py}"
if [[ -f "$torch_script" ]] && python3 -c "import torch; assert torch.cuda.is_available()" 2>/dev/null; then
  echo "== PyTorch peer on the GPU"
  PYTHONUNBUFFERED=1 python3 "$root/bench/torch_on_gpu.py" "$torch_script" --n "${ns[@]}" \
    --dtype float64 float32 --reps $reps --min-time $min_time 2>&1 | tee "$out/torch.log"
else
  echo "gpu_check.sh: no CUDA PyTorch or no $torch_script: peer skipped"
fi
exit $rc
