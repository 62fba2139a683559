// SPDX-License-Identifier: BSD-3-Clause
// Staged training (Adam, then L-BFGS, ...) of a PoissonPinn with progress output and a history.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "npde/optim/adam.hpp"
#include "npde/optim/lbfgs.hpp"
#include "npde/pinn/poisson_pinn.hpp"

namespace npde::pinn {

/// One optimisation stage.
struct StageConfig {
  std::string optimizer = "adam";  ///< "adam" or "lbfgs"
  int iterations = 1000;
  optim::AdamOptions adam;
  optim::LbfgsOptions lbfgs;
};

/// What train() does.
struct TrainConfig {
  std::vector<StageConfig> stages;
  int log_every = 100;       ///< progress line and validation error every log_every iterations
  int resample_every = 0;    ///< new collocation points every k Adam iterations (0: never)
  bool quiet = false;        ///< no progress lines
};

/// One row of the loss history (every iteration).
struct HistoryRow {
  long iteration = 0;   ///< 1-based, counted over all stages
  int stage = 0;
  double loss = 0, loss_pde = 0, loss_bc = 0;
  double lr = 0;
  double wall = 0;      ///< seconds since training started
  double rel_l2 = 0;    ///< validation error vs exact at logged iterations, NaN elsewhere
};

struct TrainResult {
  std::vector<HistoryRow> history;
  double seconds = 0;
  long iterations = 0;
  double final_loss = 0;
};

/// Collective. Runs the stages on pinn's network in place. Loss and gradient of each evaluation
/// are the allreduced ones, so every rank takes identical steps. Progress lines on rank 0:
/// iteration, loss terms, learning rate, iterations/s, ETA of the stage.
template <class T>
TrainResult train(PoissonPinn<T>& pinn, const TrainConfig& config);

}  // namespace npde::pinn
