// SPDX-License-Identifier: BSD-3-Clause
// An input embedding in front of an Mlp: fixed features f_j(omega_j . x + shift_j) with f_j the
// identity, cos or sin, or trainable Gaussians (PIG). It carries the jets by the chain rule
// (docs/numerics.md, "Input embeddings").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace npde::nn {

/// The function of one feature.
enum class FeatureKind { Linear, Cos, Sin };

/// One feature of the embedding: f(omega . x + shift).
struct Feature {
  FeatureKind kind = FeatureKind::Linear;
  std::vector<double> omega;  ///< one entry per raw input
  double shift = 0;
};

/// Trainable Gaussian features (Physics-Informed Gaussians): feature k = exp(-1/2 sum_a r_ka^2),
/// r_ka = (x_a - mu_ka) / sigma_ka. Here the initial centres and widths (row k at k * n_inputs); the
/// network trains them as parameters (Mlp::gaussian_offset(): mu, then log sigma).
struct GaussianFeatures {
  int count = 0;
  std::vector<double> mu, sigma;
};

/// Most raw inputs Gaussian features take (their jets keep per-axis scratch on the stack).
inline constexpr int kMaxGaussianInputs = 8;

/// The features the network sees instead of its raw inputs (empty: the raw inputs themselves).
struct InputEmbedding {
  int n_inputs = 0;  ///< raw inputs (the JetSpec's n_inputs)
  std::vector<Feature> features;
  GaussianFeatures gaussians;  ///< trainable; exclusive with `features`

  bool empty() const { return features.empty() && gaussians.count == 0; }
  bool gaussian() const { return gaussians.count > 0; }
  int n_features() const { return gaussian() ? gaussians.count : int(features.size()); }
  /// x_a passed through unchanged for every axis, except cos and sin of 2 pi (x_a - lower_a) / period_a
  /// for the axes with period_a > 0: outputs exactly periodic in those axes, with all derivatives.
  static InputEmbedding periodic(const std::vector<double>& lower, const std::vector<double>& period);
  /// Random Fourier features (Tancik et al. 2020): cos and sin of 2 pi b_j . (x - lower) for
  /// j < n_frequencies, b_j entries sigma N(0, 1) drawn from (seed, j, axis). Along axes with
  /// period_a > 0 the entry is rounded to a whole number of cycles per period, so the features are
  /// exactly periodic there. 2 n_frequencies features, no raw inputs.
  static InputEmbedding fourier(const std::vector<double>& lower, const std::vector<double>& period, int n_frequencies,
                                double sigma, std::uint64_t seed);
  /// Standardised inputs: (x_a - m_a) / s_a with m_a, s_a the mean and standard deviation of the
  /// uniform distribution on [lower_a, upper_a] (midpoint, half-width / sqrt 3), as codes that
  /// normalise their inputs by the statistics of a large uniform sample do. Linear features only.
  static InputEmbedding standardized(const std::vector<double>& lower, const std::vector<double>& upper);
  /// Physics-Informed Gaussians (Kang et al., ICLR 2025): `count` Gaussians with centres drawn
  /// uniformly in the box from (seed, k, axis) and widths sigma_a = width * (upper_a - lower_a).
  static InputEmbedding gaussian(const std::vector<double>& lower, const std::vector<double>& upper, int count,
                                 double width, std::uint64_t seed);
  /// One line for logs, e.g. "x, cos/sin(2 pi (t ...)/1)".
  std::string describe() const;
};

}  // namespace npde::nn
