// SPDX-License-Identifier: BSD-3-Clause
// Gaussian random fields N(0, sigma^2 (-Lap + tau^2 I)^(-alpha)) on periodic 2D grids, sampled by FFT.
#pragma once

#include <cstdint>
#include <vector>

namespace npde::reference {

/// Parameters of the field (the reference-side mirror of io::RandomFieldSpec; see docs/solvers/darcy.md).
struct RandomFieldParams {
  double alpha = 2.0, tau = 3.0;  ///< covariance sigma^2 (-Lap + tau^2 I)^(-alpha); alpha > dim/2 = 1, tau > 0
  double sigma = 0;               ///< 0: tau^(alpha - dim/2) = tau^(alpha - 1), which makes the field O(1)
  std::uint64_t seed = 0;
  bool thresholded = false;       ///< two-valued coefficient: above where field >= threshold, else below
  double threshold = 0.0, above = 12.0, below = 3.0;
};

/// The sigma actually used (params.sigma, or tau^(alpha - 1) when it is 0). Not collective.
double effective_sigma(const RandomFieldParams& params);

/// Variance lambda_k of the Fourier coefficient of mode k = (kx, ky) (integers, cycles per period)
/// on the periodic box of periods (lx, ly): sigma^2 (4 pi^2 (kx^2/lx^2 + ky^2/ly^2) + tau^2)^(-alpha)
/// / (lx ly), so that the field is sum_k sqrt(lambda_k) xi_k exp(2 pi i (kx x/lx + ky y/ly)).
/// Returns 0 for k = 0 (the mean is removed). Not collective.
double random_field_mode_variance(const RandomFieldParams& params, int kx, int ky, double lx = 1, double ly = 1);

/// Pointwise variance of a field sampled on an nx x ny periodic grid: the sum of lambda_k over the
/// modes the grid resolves (|kx| <= nx/2, |ky| <= ny/2, each wavenumber class counted once). Not collective.
double random_field_grid_variance(const RandomFieldParams& params, int nx, int ny, double lx = 1, double ly = 1);

/// Sample `index` of the Gaussian field (thresholding is NOT applied) at the nx x ny periodic grid
/// points x_i = i lx / nx, y_j = j ly / ny, stored x fastest (values[i + nx * j]). Pure function of
/// (params, index, nx, ny, lx, ly): the Fourier coefficient of mode k is drawn from npde::rng with
/// counters keyed by k itself, so a sample is the same on any rank and its coarse modes are the
/// same at every resolution. Not collective. nx, ny >= 2.
std::vector<double> sample_random_field(const RandomFieldParams& params, std::uint64_t index, int nx, int ny,
                                        double lx = 1, double ly = 1);

/// The same sample at the points of a closed nx x ny grid on a box (both end points per axis, as
/// the Darcy grid): the field with periods (lx, ly) sampled at (nx - 1) x (ny - 1) periodic points,
/// the last row and column repeating the first. Not collective. nx, ny >= 3.
std::vector<double> sample_random_field_closed(const RandomFieldParams& params, std::uint64_t index, int nx, int ny,
                                               double lx = 1, double ly = 1);

/// Two-valued coefficient: above where field >= threshold, else below (params' values). Not collective.
std::vector<double> threshold_field(const RandomFieldParams& params, const std::vector<double>& field);

}  // namespace npde::reference
