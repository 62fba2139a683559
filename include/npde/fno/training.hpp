// SPDX-License-Identifier: BSD-3-Clause
// Data-parallel training of an FNO / TFNO on samples held in memory: shuffled batches split over the
// ranks, one allreduce of the gradient per step, Adam with weight decay and an epoch schedule, the
// NaN guard, stop requests and checkpoints at any step (docs/numerics.md, "Fourier neural operators").
#pragma once

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "npde/core/types.hpp"
#include "npde/decomp/communicator.hpp"
#include "npde/fno/fno_model.hpp"
#include "npde/fno/patching.hpp"
#include "npde/optim/state.hpp"

namespace npde::fno {

/// Samples in the model's layout: x (n, cin, n1, n2) model inputs (normalised), y (n, cout, n1, n2)
/// targets in physical units; n2 is the fastest axis (the stored fields' x), n1 the stored y.
template <class T>
struct SampleSet {
  int n = 0, cin = 0, cout = 0, n1 = 0, n2 = 0;
  View1<T> x, y;
  /// Extra per-sample input kept in physical units for a physics loss (Darcy: the coefficient a),
  /// (n, n1, n2); empty otherwise.
  View1<T> coefficient;
  /// The output mollifier m (n1 x n2) that builds a zero boundary into the prediction u = m N
  /// (empty: none); part of the model, so the same at every resolution (sin(pi x) sin(pi y)).
  View1<T> mollifier;
  /// The physics loss's source term f on the grid (n1 x n2; empty without a physics loss).
  View1<T> source;
  double h1 = 0, h2 = 0;  ///< grid spacings along n1 and n2 (the physics loss)
  long points() const { return long(n1) * n2; }
};

/// Per-channel Gaussian normalisation z = (v - mean_c) / std_c, over the samples and grid points of
/// a training set (neuraloperator's UnitGaussianNormalizer over dims (0, 2, 3)); std_c of a constant
/// channel is taken as 1.
struct ChannelNormalizer {
  std::vector<double> mean, stddev;
  /// From n samples of `channels` channels of `points` values each, (n, channels, points) in C order.
  static ChannelNormalizer fit(const std::vector<double>& v, int n, int channels, long points);
  /// Identity for `channels` channels.
  static ChannelNormalizer identity(int channels);
  void encode(std::vector<double>& v, long points) const;  ///< in place, (n, channels, points)
};

/// The physics (PINO) loss of Darcy flow, per sample: ||r|| / ||f|| over the interior nodes, r the
/// residual -div(a grad u) - f of the predicted u in the reference solver's discretisation (5 points,
/// harmonic-mean face coefficients), u = 0 on the boundary built in by the mollifier; `preconditioned`:
/// ||L^-1 r|| / ||L^-1 f|| instead, L the 5-point -Laplacian (a sine-transform solve), which measures
/// the residual as an error in u (up to the coefficient's contrast) rather than its roughest modes.
/// Values into `per_sample` (when not null); ubar = scale x the gradient. Fields (batch, n1, n2).
template <class T>
double darcy_residual_sum(const T* u, const T* a, const T* f, int batch, int n1, int n2, double h1, double h2,
                          double scale, T* ubar, double* per_sample = nullptr, bool preconditioned = false);

/// How to train (deck: `training` of an operator deck).
struct OperatorTrainConfig {
  int epochs = 100, batch = 16;
  double lr = 1e-3, weight_decay = 1e-4;
  std::string schedule = "step";  ///< none, step (gamma every `schedule_step` epochs), cosine (to 0 at `epochs`)
  int schedule_step = 100;
  double schedule_gamma = 0.5;
  std::string loss = "l2";        ///< l2, h1 (relative, summed over the batch and divided by its size)
  bool periodic = false;          ///< the fields' grid is periodic (H1 differences wrap around)
  double weight_data = 1.0, weight_physics = 0.0;  ///< physics: Darcy's residual (darcy_residual_sum)
  bool physics_preconditioned = true;               ///< the residual in the inverse-Laplacian norm
  std::uint64_t seed = 0;         ///< the data order of epoch e is a permutation drawn from (seed, e)
  int log_every = 1;              ///< epochs between test evaluations and progress lines
  bool quiet = false;             ///< no progress lines
  /// Multigrid patching (MG-TFNO; levels 0: none): the model sees patches; a step's (field, patch)
  /// items are split over the ranks, so one field's patches may sit on different ranks. Relative L2
  /// loss only, no physics loss.
  Patching patching;
};

/// One row of the history, one per epoch.
struct EpochRow {
  long epoch = 0;
  double train_loss = 0;   ///< mean over the epoch's samples of the training loss
  double test_rel_l2 = 0;  ///< mean relative L2 error on the test set (NaN on epochs not evaluated)
  double lr = 0;
  double wall_time = 0;    ///< training seconds so far
};

/// Everything a continuation needs: between two steps, nothing else influences training.
struct OperatorTrainState {
  long epoch = 0, step = 0;     ///< next epoch (0-based) and next step within it
  double epoch_loss = 0;        ///< sum of the per-sample losses of the epoch's steps so far
  std::vector<double> params;
  optim::AdamState adam;
  double nan_scale = 1.0;       ///< learning-rate factor left by the NaN guard
  int nan_recoveries = 0;
  double seconds = 0;           ///< training seconds before this run
  std::vector<EpochRow> history;
};

/// Driver callbacks, each called on every rank at the same point.
struct OperatorTrainHooks {
  std::function<bool(double elapsed, double per_step)> stop_requested;  ///< local; combined over ranks
  std::function<void(const OperatorTrainState&)> checkpoint;           ///< every checkpoint_every epochs and on stop
  long checkpoint_every = 0;
  std::function<void(const std::vector<EpochRow>&)> history_block;     ///< at every progress line
  long inject_nan_at = 0;  ///< test hook: global step whose loss is made NaN once (0: never; steps count from 1)
  long stop_at = 0;        ///< test hook: stop request after this global step (0: never)
};

struct OperatorTrainResult {
  std::vector<EpochRow> history;
  double seconds = 0;
  long epochs = 0, steps = 0;
  double samples_per_second = 0;  // this run's samples over its wall time (evaluations, checkpoints included)
  /// the training steps' own rate once warm: the samples of the epochs after this run's first over
  /// the time of their steps (no evaluations or checkpoints); 0 when the run did one epoch
  double steady_samples_per_second = 0;
  bool stopped = false;
  int nan_recoveries = 0;
};

/// Thrown on every rank alike when the NaN guard gives up.
class OperatorDiverged : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Learning-rate factor of epoch e (0-based).
double schedule_factor(const OperatorTrainConfig& cfg, long epoch);

/// Collective. Trains `params` (the model's flat parameters) in place on `train`; evaluates on `test`
/// every log_every epochs. `out_norm` decodes the model's outputs (losses compare physical values).
/// Every rank holds every sample; a step's global batch is split in contiguous blocks over the ranks,
/// each rank's block padded to a fixed size so that no step allocates.
template <class T>
OperatorTrainResult train_operator(const decomp::Communicator& comm, FnoModel<T>& model, View1<T> params,
                                   const OperatorTrainConfig& cfg, const SampleSet<T>& train, const SampleSet<T>& test,
                                   const ChannelNormalizer& out_norm, const OperatorTrainHooks& hooks = {},
                                   const OperatorTrainState* resume = nullptr);

/// Collective. Relative L2 error of every sample of `set` (the model's decoded outputs against the
/// targets), on every rank; `predictions` (when not null) receives the decoded outputs of every sample
/// in the layout of set.y. `chunk` samples per forward pass and rank.
template <class T>
std::vector<double> evaluate_operator(const decomp::Communicator& comm, FnoModel<T>& model, const View1<T>& params,
                                      const SampleSet<T>& set, const ChannelNormalizer& out_norm, int chunk,
                                      std::vector<double>* predictions = nullptr, const Patching* patching = nullptr);

}  // namespace npde::fno
