// SPDX-License-Identifier: BSD-3-Clause
// Operator-learning losses with their gradients (docs/numerics.md, "Fourier neural operators").
#pragma once

#include "npde/core/types.hpp"

namespace npde::fno {

/// Workspace `slot` of the losses (host memory, as the FFT layers), grown to the largest request and
/// then reused, so that a training step allocates nothing after its first (one per slot and process;
/// the losses are called from one thread).
UView1<double> loss_workspace(int slot, std::size_t n);

/// Relative L2 loss as neuraloperator's LpLoss(p = 2) with its default mean reduction:
/// L = (1/B) sum_b ||y_b - t_b|| / ||t_b|| over samples b of n values each (the grid spacing cancels
/// in the ratio). Writes dL/dy into ybar (when not null) and returns L. A sample whose target is zero
/// is an error (the ratio is undefined).
template <class T>
double relative_l2(const T* y, const T* target, int batch, long n, T* ybar);

/// The sum over samples of ||y_b - t_b|| / ||t_b|| (per-sample ratios into `per_sample` when not
/// null); ybar (when not null) = scale x its gradient. The data-parallel form: each rank sums its
/// samples and scales by 1 / (the global batch).
template <class T>
double relative_l2_sum(const T* y, const T* target, int batch, long n, double scale, T* ybar,
                       double* per_sample = nullptr);

/// The same ratio in the discrete H1 norm, ||e||^2 + ||D1 e||^2 + ||D2 e||^2 summed over the channels
/// of fields (batch, channels, n1, n2) (n2 fastest) on a grid of spacing h1, h2: D the centred
/// difference, wrapped around on a periodic grid, one-sided (first order) at the ends of a bounded one.
template <class T>
double relative_h1_sum(const T* y, const T* target, int batch, int channels, int n1, int n2, double h1, double h2,
                       bool periodic, double scale, T* ybar, double* per_sample = nullptr);

}  // namespace npde::fno
