// SPDX-License-Identifier: BSD-3-Clause
// The run driver behind the npde command: deck -> run -> report.
#pragma once

#include <string>

#include "npde/app/cli.hpp"
#include "npde/decomp/communicator.hpp"

namespace npde::app {

/// Exit codes of the command (docs/usage.md).
/// 3: stopped cleanly on a signal or the wall-time limit after writing a checkpoint ("requeue me");
/// 4: the NaN guard gave up.
enum ExitCode {
  ExitSuccess = 0,
  ExitFailure = 1,
  ExitInput = 2,
  ExitStopped = 3,
  ExitDiverged = 4,
  ExitSolverFailed = 5  ///< a reference solver did not converge (same verdict on every rank)
};

/// Collective. Runs cl.verb on cl.deck. Bad input yields one message on rank 0 and ExitInput on
/// every rank; a runtime failure after validation aborts the job (a rank alone cannot recover).
int run(const decomp::Communicator& comm, const CommandLine& cl);

/// Multi-line version report: npde, git hash, Kokkos backend, PETSc, HDF5, MPI, BLAS core, precisions.
std::string version_text();

}  // namespace npde::app
