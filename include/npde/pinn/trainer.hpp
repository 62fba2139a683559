// SPDX-License-Identifier: BSD-3-Clause
// Staged training (Adam, then L-BFGS, ...) of a PINN model: progress output, history, resumable
// state for checkpoints, collective stop requests and a NaN/Inf guard with roll-back.
#pragma once

#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "npde/optim/adam.hpp"
#include "npde/optim/lbfgs.hpp"
#include "npde/pinn/model.hpp"

namespace npde::pinn {

/// One optimisation stage.
struct StageConfig {
  std::string optimizer = "adam";  ///< "adam", "lbfgs" or "ssbfgs"
  int iterations = 1000;
  /// New collocation points every k global iterations during this stage (0: never; -1: the
  /// TrainConfig's resample_every for an Adam stage, never for a quasi-Newton stage). In a
  /// quasi-Newton stage the curvature information is kept and the loss re-evaluated on the new points.
  int resample_every = -1;
  optim::AdamOptions adam;
  optim::LbfgsOptions lbfgs;
  /// Adam: an exponential moving average of the parameters, a <- average a + (1 - average) p after
  /// every step from a = p at the stage's start (0: none). The validation error is the average's,
  /// and the stage ends with the parameters set to it; the loss columns stay the iterate's.
  double average = 0;
  /// Collocation point counts of this stage (0: the model's own); a change from the previous stage
  /// draws a new point round at the stage's start.
  StagePoints points;
  /// Loss-term weights of this stage, by group (Model::set_stage_weights); empty: the model's own.
  std::vector<std::pair<std::string, double>> weights;
};

/// What train() does.
struct TrainConfig {
  std::vector<StageConfig> stages;
  int log_every = 100;       ///< progress line and validation error every log_every iterations
  int resample_every = 0;    ///< new collocation points every k Adam iterations (0: never)
  bool quiet = false;        ///< no progress lines
  int max_nan_retries = 3;   ///< roll-backs (each halving the learning rate) before giving up
};

/// One row of the loss history (every iteration).
struct HistoryRow {
  long iteration = 0;   ///< 1-based, counted over all stages
  int stage = 0;
  double loss = 0;
  std::vector<double> terms;  ///< weighted loss terms, in the model's term_names() order
  std::vector<double> extras; ///< the model's extra columns (extra_names() order)
  double lr = 0;
  double wall = 0;      ///< seconds of training since the run started (summed over restarts)
  double rel_l2 = 0;    ///< validation error vs exact at logged iterations, NaN elsewhere
};

/// Everything that determines how training continues after iteration `global_iteration`
/// (all ranks hold the same state). Only the current stage's optimiser state is meaningful.
struct TrainState {
  long global_iteration = 0;
  int stage = 0;
  long stage_iteration = 0;    ///< iterations done in `stage`
  bool stage_done = false;     ///< the stage finished (iterations reached or L-BFGS converged)
  std::uint64_t sample_round = 0;
  int nan_retries = 0;
  double lr_scale = 1.0;       ///< product of the NaN guard's halvings
  double wall = 0;             ///< training seconds so far
  std::vector<double> params;
  bool has_adam = false, has_lbfgs = false;
  optim::AdamState adam;
  optim::LbfgsState lbfgs;
  std::vector<double> average;          ///< the current Adam stage's averaged parameters (empty: none)
  std::vector<HistoryRow> history;
  std::vector<std::string> term_names;  ///< the model's loss terms (names of HistoryRow::terms)
  std::vector<std::string> extra_names; ///< the model's extra history columns (HistoryRow::extras)
  std::vector<double> model_state;      ///< Model::adaptive_state()
};

/// Callbacks into the driver. All are optional; every one is called on every rank at the same point.
struct TrainHooks {
  /// Local request to stop (a signal flag, the wall-time limit); train() combines the ranks' answers
  /// with one reduction per iteration, so all stop at the same iteration. elapsed_seconds counts this
  /// call of train() only (not the runs a resumed state comes from), seconds_per_iteration likewise.
  std::function<bool(double elapsed_seconds, double seconds_per_iteration)> stop_requested;
  /// Called with the state every `checkpoint_every` iterations and when stopping on request.
  std::function<void(const TrainState&)> checkpoint;
  long checkpoint_every = 0;
  /// Called with the whole history at every progress line (e.g. to flush it to the output file).
  std::function<void(const std::vector<HistoryRow>&)> history_block;
  /// Test hook: makes the loss of this global iteration non-finite once (0: never).
  long inject_nan_at = 0;
  /// Test hook: a stop request (as by a signal) before global iteration stop_at + 1, unless this call
  /// of train() starts there (0: never).
  long stop_at = 0;
};

struct TrainResult {
  std::vector<HistoryRow> history;
  double seconds = 0;   ///< training wall time of this run plus the restored runs
  long iterations = 0;
  double final_loss = 0;
  bool stopped = false; ///< stopped on request (checkpoint written): the run should be requeued
  int nan_recoveries = 0;
};

/// Thrown (on every rank alike) when the NaN guard gives up.
class TrainingDiverged : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Collective. Runs the stages on the model's parameters in place, from the beginning or from `resume`.
/// Every evaluation's loss and gradient are allreduced, so every rank takes identical steps, and a
/// resumed run reproduces the uninterrupted one bit for bit. Progress lines on rank 0.
template <class T>
TrainResult train(Model<T>& pinn, const TrainConfig& config, const TrainHooks& hooks = {},
                  const TrainState* resume = nullptr);

}  // namespace npde::pinn
