// SPDX-License-Identifier: BSD-3-Clause
// Operator-learning losses with their gradients (docs/numerics.md, "Fourier neural operators").
#pragma once

#include "npde/core/types.hpp"

namespace npde::fno {

/// Relative L2 loss as neuraloperator's LpLoss(p = 2) with its default mean reduction:
/// L = (1/B) sum_b ||y_b - t_b|| / ||t_b|| over samples b of n values each (the grid spacing cancels
/// in the ratio). Writes dL/dy into ybar (when not null) and returns L. A sample whose target is zero
/// is an error (the ratio is undefined).
template <class T>
double relative_l2(const T* y, const T* target, int batch, long n, T* ybar);

}  // namespace npde::fno
