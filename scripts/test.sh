#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Set-up as in quickstart.sh, then the whole ctest suite; the exit code is ctest's.
#
# Usage: scripts/test.sh [ctest args...]   e.g. scripts/test.sh -L unit
# Knobs: NPDE_CTEST_JOBS (default 2, sized for a 2-core runner), NPDE_BUILD_DIR,
# NPDE_CMAKE_ARGS, NPDE_BUILD_JOBS.
set -euo pipefail

# shellcheck source=scripts/lib/setup.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/setup.sh"
cd "$NPDE_ROOT"

npde_setup

command -v ctest >/dev/null || npde_die "ctest not found (comes with cmake)"
jobs="${NPDE_CTEST_JOBS:-2}"
cd "$NPDE_BUILD_DIR"
npde_log "running: ctest --output-on-failure -j$jobs $*"
status=0
ctest --output-on-failure -j"$jobs" "$@" || status=$?
npde_log "ctest exit code: $status"
exit "$status"
