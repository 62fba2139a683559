#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Weak scaling of multi-domain PINNs: one subdomain per rank, the same points per subdomain, 1 -> 2 ranks.
#
# Usage: scripts/bench_multidomain.sh [--iterations 400] [--points 2048] [--overlap 0.5] [--methods "xpinn fbpinn"]
#                                     [--reps 1]
# For XPINN (inputs/xpinn_poisson2d.yaml, 2-20-20-1 per subdomain) and FBPINN
# (inputs/fbpinn_helmholtz2d.yaml, 2-16-16-1, overlap 0.5 or --overlap): `npde train` of Adam iterations only,
#   1 rank   1 subdomain, `points` interior points
#   2 ranks  2 subdomains (2 x 1), 2 x `points`
#   1 rank   the same 2 subdomains on one rank (what the second rank saves)
#   1 rank   FBPINN only: 1 subdomain with as many points as the largest extent of the 2-rank run
#            (/summary network_points_max): the weak scaling at equal network work per rank
# and prints per row: ms per iteration, the weak-scaling efficiency t(1 rank, 1 subdomain) / t(2 ranks,
# 2 subdomains) (the last FBPINN row: with the extent's points on the 1 rank), the bytes sent between ranks per evaluation (all ranks) and the largest share of a
# rank's evaluation time spent waiting for its neighbours (from /summary). With --reps N the runs
# are repeated N times, interleaved, and each row shows its fastest (a shared machine's timings scatter). Needs the build of
# scripts/quickstart.sh (NPDE_BUILD_DIR, default build/).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${NPDE_BUILD_DIR:-$root/build}"
iterations=400 points=2048 overlap=0.5 methods="xpinn fbpinn" reps=1
while (($#)); do
  case "$1" in
    --iterations) iterations="$2"; shift ;;
    --points) points="$2"; shift ;;
    --overlap) overlap="$2"; shift ;;
    --methods) methods="$2"; shift ;;
    --reps) reps="$2"; shift ;;
    *) echo "bench_multidomain.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
  shift
done
# shellcheck source=scripts/npde-env.sh
source "$root/scripts/npde-env.sh"
npde="$build/src/npde"
[[ -x "$npde" ]] || { echo "bench_multidomain.sh: build first (scripts/quickstart.sh)" >&2; exit 1; }
export OMPI_ALLOW_RUN_AS_ROOT="${OMPI_ALLOW_RUN_AS_ROOT:-1}" OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="${OMPI_ALLOW_RUN_AS_ROOT_CONFIRM:-1}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# run <ranks> <deck> <subdomains> <points> <boundary>: prints "ms_per_iteration bytes wait network_points"
run() {
  local out="$work/run_$1_$3.h5" log="$work/log" extra=()
  [[ $2 == *fbpinn* ]] && extra=(--set "decomposition.overlap=$overlap")
  mpirun -n "$1" "$npde" train "$2" --quiet --set "decomposition.subdomains=$3" "${extra[@]}" \
    --set "training.points.interior=$4" --set "training.points.boundary=$5" \
    --set "training.stages=[{optimizer: adam, iterations: $iterations, lr: 1e-3}]" \
    --set "training.log_every=$iterations" --set "output.file=$out" > "$log" 2>&1 ||
    { echo "bench_multidomain.sh: npde failed:" >&2; tail -3 "$log" >&2; exit 1; }
  awk -v it="$iterations" '
    $1 == "train_seconds" { t = $2 } $1 == "exchange_bytes_per_evaluation" { b = $2 }
    $1 == "exchange_wait_fraction" { w = $2 } $1 == "network_points_max" { p = $2 }
    END { printf "%.3f %.0f %.3f %.0f\n", 1000 * t / it, b, w, p }' "$log"
}

smaller() { awk -v x="$1" -v y="$2" 'BEGIN { print (x < y ? x : y) }'; }

# efficiency: t(1 rank, 1 subdomain) / t(2 ranks, 2 subdomains), the weak scaling; same work:
# t(1 rank, 2 subdomains) / (2 t(2 ranks, 2 subdomains)), what the second rank gains on the same problem
# (FBPINN's overlap points make a subdomain of a split box more work than the whole box's one)
printf '%-8s %-34s %12s %12s %10s %16s %12s\n' method configuration "ms/iteration" efficiency "same work" "bytes/eval" "wait share"
for method in $methods; do
  deck="$root/inputs/xpinn_poisson2d.yaml"
  [[ $method == fbpinn ]] && deck="$root/inputs/fbpinn_helmholtz2d.yaml"
  t1=1e30 t2=1e30 t3=1e30 t4=1e30 extent=0
  for ((r = 0; r < reps; ++r)); do
    read -r a b1 w1 _ <<< "$(run 1 "$deck" "[1,1]" "$points" 256)"
    t1=$(smaller "$a" "$t1")
    read -r a b2 w2 extent <<< "$(run 2 "$deck" "[2,1]" "$((2 * points))" 512)"
    t2=$(smaller "$a" "$t2")
    read -r a b3 w3 _ <<< "$(run 1 "$deck" "[2,1]" "$((2 * points))" 512)"
    t3=$(smaller "$a" "$t3")
    if [[ $method == fbpinn && $extent -gt 0 ]]; then
      read -r a b4 w4 _ <<< "$(run 1 "$deck" "[1,1]" "$extent" 256)"
      t4=$(smaller "$a" "$t4")
    fi
  done
  eff=$(awk -v a="$t1" -v b="$t2" 'BEGIN { printf "%.0f %%", 100 * a / b }')
  same=$(awk -v a="$t3" -v b="$t2" 'BEGIN { printf "%.0f %%", 100 * a / (2 * b) }')
  printf '%-8s %-34s %12s %12s %10s %16s %12s\n' "$method" "1 rank, 1 subdomain, $points points" "$t1" "-" "-" "$b1" "$w1"
  printf '%-8s %-34s %12s %12s %10s %16s %12s\n' "$method" "2 ranks, 2 subdomains" "$t2" "$eff" "$same" "$b2" "$w2"
  printf '%-8s %-34s %12s %12s %10s %16s %12s\n' "$method" "1 rank, 2 subdomains" "$t3" "-" "-" "$b3" "$w3"
  if [[ $method == fbpinn && $extent -gt 0 ]]; then
    matched=$(awk -v a="$t4" -v b="$t2" 'BEGIN { printf "%.0f %%", 100 * a / b }')
    printf '%-8s %-34s %12s %12s %10s %16s %12s\n' "$method" "1 rank, 1 subdomain, $extent points" "$t4" "$matched" \
      "-" "$b4" "$w4"
  fi
done
