// SPDX-License-Identifier: BSD-3-Clause
// What the trainer needs of a physics-informed model: a flat parameter vector, a collective loss
// with its gradient, named loss terms, resampling and a validation error.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "npde/core/error.hpp"
#include "npde/core/types.hpp"
#include "npde/decomp/communicator.hpp"
#include "npde/optim/objective.hpp"

namespace npde::pinn {

/// Collocation point counts of one training stage, global over the ranks (0: the model's own count).
struct StagePoints {
  std::size_t interior = 0;
  std::size_t boundary = 0;  ///< per boundary condition, as training.points.boundary
  std::size_t initial = 0;
  bool empty() const { return interior == 0 && boundary == 0 && initial == 0; }
};

/// A model trained by pinn::train. Every rank holds the same parameters; the loss is summed over
/// the ranks' points inside loss_and_gradient (collective), so all ranks see identical numbers.
/// A model whose parameters are spread over the ranks (multi-domain PINNs: each rank holds its
/// subdomains' networks) says so through segments(); params() and the gradient are then the rank's
/// part, the loss is still the global one, and gather()/scatter() convert between the rank's part and
/// the global vector (checkpoints hold the global one, so a run restarts on any rank count).
template <class T>
class Model {
 public:
  virtual ~Model() = default;
  /// The communicator the points are split over.
  virtual const decomp::Communicator& comm() const = 0;
  /// The flat parameter vector (device), updated in place by the optimisers.
  virtual View1<T> params() = 0;
  virtual std::size_t n_params() const = 0;
  /// Collective. Draws point set `round` (deterministic in the seed and round, any rank count).
  virtual void sample(std::uint64_t round) = 0;
  /// Collective. Loss at the current parameters; the gradient is written to grad (n_params, device).
  virtual T loss_and_gradient(const View1<T>& grad) = 0;
  /// Names of the loss terms ("pde", "bc", "initial", ...), fixed for the model's life.
  virtual const std::vector<std::string>& term_names() const = 0;
  /// Weighted values of the terms at the last evaluation (summed over ranks), in term_names() order;
  /// their sum is the loss.
  virtual const std::vector<double>& last_terms() const = 0;
  /// Collective. Relative L2 error against the exact solution on fixed validation points (NaN if none).
  virtual double validation_error() = 0;
  /// Local. Sets the weights of the loss terms for a training stage: the model's own weights, then
  /// each override (group, weight) applied to every term of that group ("pde": the residuals, "bc":
  /// boundary, Neumann and periodic terms, "initial": initial value and rate, "data", and the
  /// eigenproblem groups "normalisation", "orthogonality", "energy"). An empty list restores the
  /// model's weights (with adaptive loss weights: the current ones stay, the overrides set new starting
  /// values). Throws npde::InputError for a group the model has no term of.
  virtual void set_stage_weights(const std::vector<std::pair<std::string, double>>& overrides) = 0;
  /// Local. The point counts of a training stage (`training.stages[].points`); the next sample() draws
  /// them. Returns whether they differ from the counts of the points drawn now (the trainer then draws
  /// a new round). Throws npde::InputError where the model has no such counts.
  virtual bool set_stage_points(const StagePoints& points) {
    if (!points.empty()) NPDE_INPUT_ERROR("training.stages[].points is not available for this model");
    return false;
  }
  /// Local. The parameters the optimiser may change at the next step (1) and those it must keep (0),
  /// shape (n_params()), device; empty: all of them. A scheduled FBPINN keeps the networks of the
  /// subdomains that a phase does not train (their gradient is zero, but Adam's moments would move
  /// them); the trainer hands it to Adam::step, which then counts each parameter's own steps.
  virtual View1<const std::uint8_t> trainable() const { return {}; }
  /// Local. Trained scalars for the progress line, e.g. "viscosity 3.18e-03" (empty: none).
  virtual std::string progress_note() const { return {}; }
  /// Collective. Adaptive weights (causal weights, loss balancing): called by the trainer before each
  /// Adam iteration's evaluation (after any resampling) and before the first evaluation of an L-BFGS
  /// stage; the weights then stay fixed through the evaluations until the next call, so an L-BFGS
  /// stage minimises one objective. `iteration` is the global iteration about to run (0-based).
  virtual void adapt(long iteration) { (void)iteration; }
  /// The adaptive weights' state, for checkpoints (empty: none); set_adaptive_state restores it
  /// (after sample() of the same round), so a resumed run continues bit for bit.
  virtual std::vector<double> adaptive_state() const { return {}; }
  virtual void set_adaptive_state(const std::vector<double>& state) { (void)state; }
  /// Names of extra per-iteration history columns (e.g. "causal_weight_3"), fixed for the model's
  /// life, and their values at the last evaluation.
  virtual std::vector<std::string> extra_names() const { return {}; }
  virtual std::vector<double> extra_values() const { return {}; }
  /// Parameters spread over ranks: the rank's segments of the global vector (inactive by default).
  virtual optim::Segments segments() const { return {}; }
  /// Length of the global parameter vector.
  virtual std::size_t n_params_global() const { return n_params(); }
  /// Collective with active segments. The global vector (every rank gets it) from each rank's part
  /// (host values of length n_params()).
  virtual std::vector<double> gather(const std::vector<double>& local) const { return local; }
  /// Local. This rank's part of a global vector.
  virtual std::vector<double> scatter(const std::vector<double>& global) const { return global; }
};

}  // namespace npde::pinn
