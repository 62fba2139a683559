#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# From a fresh Debian 12 machine to a first training run: packages, Release build, one run.
#
# Usage: scripts/quickstart.sh [deck.yaml]   (default inputs/poisson2d.yaml)
# Knobs: NPDE_RANKS (default 2), NPDE_BUILD_DIR, NPDE_CMAKE_ARGS, NPDE_BUILD_JOBS.
set -euo pipefail

# shellcheck source=scripts/lib/setup.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/setup.sh"
cd "$NPDE_ROOT"

deck="${1:-inputs/poisson2d.yaml}"
ranks="${NPDE_RANKS:-2}"

npde_setup

exe="$NPDE_BUILD_DIR/src/npde"
[[ -x "$exe" ]] || npde_die "$exe was not built (is src/app/main.cpp in the tree?)"
[[ -f "$deck" ]] || npde_die "input deck $deck not found"
command -v mpirun >/dev/null || npde_die "mpirun not found (Debian: apt-get install openmpi-bin)"

read -r -a mpi_args <<<"$(npde_mpirun_args "$ranks")"
npde_log "running: mpirun ${mpi_args[*]} $exe train $deck"
exec mpirun "${mpi_args[@]}" "$exe" train "$deck"
