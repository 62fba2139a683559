// SPDX-License-Identifier: BSD-3-Clause
// Host helpers on gathered grid functions: relative error and multilinear interpolation.
#include <algorithm>
#include <cmath>

#include "npde/core/error.hpp"
#include "npde/reference/grid_solution.hpp"
#include "npde/reference/poisson_fd.hpp"

namespace npde::reference {

double relative_l2(const std::vector<double>& u, const std::vector<double>& exact) {
  NPDE_REQUIRE(u.size() == exact.size(), "u has " << u.size() << " values, exact has " << exact.size());
  NPDE_REQUIRE(!u.empty(), "empty grid function");
  double diff2 = 0, exact2 = 0;
  for (std::size_t l = 0; l < u.size(); ++l) {
    diff2 += (u[l] - exact[l]) * (u[l] - exact[l]);
    exact2 += exact[l] * exact[l];
  }
  NPDE_REQUIRE(exact2 > 0, "exact values are all zero; a relative error is undefined");
  return std::sqrt(diff2 / exact2);
}

double interpolate(const std::vector<double>& u, int dim, const double* lower, const double* upper,
                   const std::vector<int>& grid, const double* x) {
  NPDE_REQUIRE(dim >= 1 && dim <= 3, "dim = " << dim);
  NPDE_REQUIRE(static_cast<int>(grid.size()) == dim, "grid has " << grid.size() << " entries for dim = " << dim);
  std::size_t n_points = 1;
  for (int d = 0; d < dim; ++d) {
    NPDE_REQUIRE(grid[d] >= 2, "grid[" << d << "] = " << grid[d]);
    NPDE_REQUIRE(upper[d] > lower[d], "axis " << d << ": lower = " << lower[d] << ", upper = " << upper[d]);
    n_points *= static_cast<std::size_t>(grid[d]);
  }
  NPDE_REQUIRE(u.size() == n_points, "u has " << u.size() << " values, grid has " << n_points);

  // Cell index and local coordinate per axis; the last cell is closed so x == upper is inside.
  std::size_t cell[3] = {0, 0, 0}, stride[3] = {1, 1, 1};
  double weight[3] = {0, 0, 0};
  for (int d = 0; d < dim; ++d) {
    const double n_cells = grid[d] - 1;
    double t = (x[d] - lower[d]) / (upper[d] - lower[d]) * n_cells;
    // Round-off from the caller's coordinate arithmetic may put a boundary point a hair outside.
    NPDE_REQUIRE(t >= -1e-9 && t <= n_cells + 1e-9,
                 "x[" << d << "] = " << x[d] << " outside [" << lower[d] << ", " << upper[d] << "]");
    t = std::clamp(t, 0.0, n_cells);
    cell[d] = std::min(static_cast<std::size_t>(t), static_cast<std::size_t>(grid[d] - 2));
    weight[d] = t - static_cast<double>(cell[d]);
    if (d > 0) stride[d] = stride[d - 1] * static_cast<std::size_t>(grid[d - 1]);
  }

  double value = 0;
  for (int corner = 0; corner < (1 << dim); ++corner) {
    double w = 1;
    std::size_t index = 0;
    for (int d = 0; d < dim; ++d) {
      const int upper_side = (corner >> d) & 1;
      w *= upper_side ? weight[d] : 1.0 - weight[d];
      index += (cell[d] + upper_side) * stride[d];
    }
    value += w * u[index];
  }
  return value;
}

std::vector<double> closed_axis(double lo, double hi, int n) {
  NPDE_REQUIRE(n >= 2 && lo < hi, "closed axis needs n >= 2 and lo < hi, got n = " << n);
  std::vector<double> x(static_cast<std::size_t>(n));
  const double h = (hi - lo) / (n - 1);
  for (int i = 0; i < n; ++i) x[i] = lo + i * h;
  x.back() = hi;  // exact end point, not lo + (n-1)*h rounded
  return x;
}

std::vector<double> periodic_axis(double lo, double hi, int n) {
  NPDE_REQUIRE(n >= 1 && lo < hi, "periodic axis needs n >= 1 and lo < hi, got n = " << n);
  std::vector<double> x(static_cast<std::size_t>(n));
  const double h = (hi - lo) / n;
  for (int i = 0; i < n; ++i) x[i] = lo + i * h;
  return x;
}

}  // namespace npde::reference
