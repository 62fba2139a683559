#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Builds npde with AddressSanitizer + UndefinedBehaviorSanitizer and runs the whole ctest suite.
#
# Usage: scripts/sanitize.sh [ctest args...]   e.g. scripts/sanitize.sh -L unit
# Configures the CMake preset "asan" (RelWithDebInfo, NPDE_SANITIZE=address;undefined), builds,
# runs ctest and exits with ctest's code. The sanitizer options reach every test and every MPI
# rank through the tests' ENVIRONMENT (cmake/NpdeSanitizers.cmake), so a plain `ctest` in the
# build directory behaves the same.
# Knobs: NPDE_ASAN_BUILD_DIR (default <repo>/build-asan), NPDE_BUILD_JOBS (default 2: the
# instrumented compile needs ~2x the memory and time), NPDE_CTEST_JOBS (default 2),
# NPDE_SANITIZE_FULL_STACKS (default 0; 1: full malloc stacks, ~4x slower tests, narrower leak
# suppressions that also check npde's PETSc objects), NPDE_CMAKE_ARGS (extra configure
# arguments, split on whitespace).
set -euo pipefail

# shellcheck source=scripts/lib/setup.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/setup.sh"
build_dir="${NPDE_ASAN_BUILD_DIR:-$NPDE_ROOT/build-asan}"
# Relative means relative to where the user called from, as for NPDE_BUILD_DIR.
[[ "$build_dir" == /* ]] || build_dir="$PWD/$build_dir"
cd "$NPDE_ROOT"

command -v cmake >/dev/null || npde_die "cmake not found"
command -v ctest >/dev/null || npde_die "ctest not found (comes with cmake)"
build_jobs="${NPDE_BUILD_JOBS:-2}"
ctest_jobs="${NPDE_CTEST_JOBS:-2}"
full_stacks=OFF
[[ "${NPDE_SANITIZE_FULL_STACKS:-0}" == 0 ]] || full_stacks=ON
# shellcheck disable=SC2206  # split on whitespace, documented
extra_args=(-DNPDE_SANITIZE_FULL_STACKS=$full_stacks ${NPDE_CMAKE_ARGS:-})

t0=$SECONDS
npde_log "configuring preset asan in $build_dir"
cmake --preset asan -B "$build_dir" "${extra_args[@]}" || npde_die "configure failed"

npde_log "building with -j$build_jobs"
cmake --build "$build_dir" -j"$build_jobs" || npde_die "build failed"
t_build=$((SECONDS - t0))
npde_log "configure + build: ${t_build} s"

cd "$build_dir"
npde_log "full malloc stacks: $full_stacks; each test gets:"
ctest --show-only=json-v1 | grep -oE '"[A-Z]+SAN_OPTIONS=[^"]*"' | sort -u | sed 's/^/   /'
npde_log "running: ctest --output-on-failure -j$ctest_jobs $*"
t1=$SECONDS
status=0
ctest --output-on-failure -j"$ctest_jobs" "$@" || status=$?
npde_log "ctest: $((SECONDS - t1)) s, total $((SECONDS - t0)) s"
npde_log "ctest exit code: $status"
exit "$status"
