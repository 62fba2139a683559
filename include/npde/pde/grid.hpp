// SPDX-License-Identifier: BSD-3-Clause
// Tensor-product grids over a box (evaluation and output points), boundary included.
#pragma once

#include "npde/pde/box.hpp"

#include <cstddef>
#include <vector>

namespace npde::pde {

/// 1D coordinates of axis `axis` of the grid: n[axis] >= 2 values from lower to upper inclusive, both
/// endpoints exact. n has box.dim entries. Host, not collective.
std::vector<double> grid_axis(const Box& box, const std::vector<int>& n, int axis);

/// Tensor grid of n[0] x ... x n[dim-1] points including the boundary, row-major (N, dim), ordered with
/// x fastest: point index = i + n0*(j + n1*k). Host, not collective.
std::vector<double> grid_points(const Box& box, const std::vector<int>& n);

/// Number of points of that grid, the product of n.
std::size_t grid_size(const Box& box, const std::vector<int>& n);

}  // namespace npde::pde
