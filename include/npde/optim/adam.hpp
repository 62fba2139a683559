// SPDX-License-Identifier: BSD-3-Clause
// Adam with bias correction and optional exponential/step learning-rate decay.
#pragma once

#include <npde/core/types.hpp>
#include <npde/optim/state.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

namespace npde::optim {

/// Adam hyper-parameters (deck: one `training.stages` entry with `optimizer: adam`).
struct AdamOptions {
  double lr = 1e-3;             ///< base learning rate, > 0
  double beta1 = 0.9;           ///< first-moment decay, in [0, 1)
  double beta2 = 0.999;         ///< second-moment decay, in [0, 1)
  double eps = 1e-8;            ///< added to sqrt(v_hat), > 0
  std::string decay = "none";   ///< "none", "exponential" or "step"
  double decay_rate = 1.0;      ///< factor per decay_steps iterations, > 0
  int decay_steps = 1000;       ///< > 0
};

/// Throws npde::InputError (one line naming the key) when an option is out of range.
void validate(const AdamOptions& opts);

/// Learning rate at 0-based iteration k >= 0: "none" -> lr; "exponential" ->
/// lr * decay_rate^(k / decay_steps) with a real exponent; "step" -> lr * decay_rate^floor(k / decay_steps).
/// Throws npde::InputError for an unknown decay name.
double scheduled_lr(const AdamOptions& opts, long k);

/// Adam optimiser over one flat parameter View (see docs/numerics.md).
/// Not collective and deterministic: equal inputs give bit-identical parameters on every rank.
template <class T>
class Adam {
 public:
  /// Allocates the two moment buffers (shape (n), device, zeroed) once. Validates opts.
  Adam(std::size_t n, const AdamOptions& opts);

  /// One bias-corrected Adam update of params in place, then increments the step counter.
  /// [in,out] params: shape (n), device. [in] grad: shape (n), device.
  void step(const View1<T>& params, const View1<const T>& grad);
  /// The same for the parameters with mask(i) != 0 only; the others, and their moments, stay as they
  /// are. Each parameter counts its own steps for the bias corrections (from the first masked step on:
  /// a parameter frozen for a while resumes like a fresh Adam's), so that an optimiser over several
  /// networks trained by turns acts as one Adam per network; the learning rate follows iteration().
  /// An empty mask is step(params, grad). [in] mask: shape (n), device.
  void step(const View1<T>& params, const View1<const T>& grad, const View1<const std::uint8_t>& mask);

  /// Learning rate the next step uses: scheduled_lr(options, iteration()) * lr_scale().
  double learning_rate() const;
  /// Number of steps taken (or set by set_iteration).
  long iteration() const { return m_iteration; }
  /// Restores the step counter from a checkpoint (drives the schedule and the bias correction).
  void set_iteration(long k);

  /// First moment m, shape (n), device; shares memory with the optimiser (deep_copy into it to restore).
  View1<T> first_moment() const { return m_m; }
  /// Second moment v, shape (n), device; shares memory with the optimiser.
  View1<T> second_moment() const { return m_v; }
  /// Zeroes both moments and the step counter.
  void reset();

  /// Host copy of the whole state (moments, step counter, lr scale).
  AdamState state() const;
  /// Restores a state taken from an optimiser of the same size (throws npde::Error otherwise).
  void set_state(const AdamState& s);

  /// Multiplies the scheduled learning rate by s > 0 (e.g. a NaN guard halving it).
  void set_lr_scale(double s);
  double lr_scale() const { return m_lr_scale; }

  const AdamOptions& options() const { return m_opts; }
  std::size_t size() const { return m_n; }

 private:
  std::size_t m_n;
  AdamOptions m_opts;
  View1<T> m_m, m_v;
  Kokkos::View<double*, MemSpace> m_steps;  ///< per-parameter step counts (masked steps; empty: m_iteration)
  long m_iteration = 0;
  double m_lr_scale = 1.0;
};

extern template class Adam<double>;
extern template class Adam<float>;

}  // namespace npde::optim
