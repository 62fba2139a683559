// SPDX-License-Identifier: BSD-3-Clause
// Stop requests by signal: SIGUSR1 (SLURM's warning before preemption), SIGTERM and SIGINT only set
// a flag; the trainer checks it once per iteration on every rank (see pinn::TrainHooks).
#pragma once

namespace npde::app {

/// Installs the handlers (idempotent).
void install_stop_signals();
/// Number of the first stop signal received, or 0.
int stop_signal();
/// Name for messages ("SIGUSR1", ...).
const char* signal_name(int sig);

}  // namespace npde::app
