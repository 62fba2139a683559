// SPDX-License-Identifier: BSD-3-Clause
// Tensor-product grids over a box.
#include "npde/pde/grid.hpp"

#include "npde/core/error.hpp"

namespace npde::pde {

namespace {
void check_grid(const Box& box, const std::vector<int>& n) {
  check_box(box);
  NPDE_REQUIRE(static_cast<int>(n.size()) == box.dim, "n has " << n.size() << " entries, dim = " << box.dim);
  for (int a = 0; a < box.dim; ++a) NPDE_REQUIRE(n[a] >= 2, "n[" << a << "] = " << n[a] << " (at least 2)");
}
}  // namespace

std::vector<double> grid_axis(const Box& box, const std::vector<int>& n, int axis) {
  check_grid(box, n);
  NPDE_REQUIRE(axis >= 0 && axis < box.dim, "axis = " << axis << ", dim = " << box.dim);
  const int m = n[axis];
  const double lo = box.lower[axis];
  const double hi = box.upper[axis];
  std::vector<double> x(m);
  // i/(m-1) per point rather than accumulating a step, so no rounding drifts along the axis and
  // the last point is the bound itself.
  for (int i = 0; i < m; ++i) x[i] = lo + (hi - lo) * (static_cast<double>(i) / (m - 1));
  x[m - 1] = hi;
  return x;
}

std::size_t grid_size(const Box& box, const std::vector<int>& n) {
  check_grid(box, n);
  std::size_t total = 1;
  for (int a = 0; a < box.dim; ++a) total *= static_cast<std::size_t>(n[a]);
  return total;
}

std::vector<double> grid_points(const Box& box, const std::vector<int>& n) {
  const std::size_t total = grid_size(box, n);
  const int dim = box.dim;
  std::vector<std::vector<double>> axes(dim);
  for (int a = 0; a < dim; ++a) axes[a] = grid_axis(box, n, a);
  std::vector<double> points(total * dim);
  for (std::size_t p = 0; p < total; ++p) {
    std::size_t rest = p;
    for (int a = 0; a < dim; ++a) {
      const std::size_t i = rest % static_cast<std::size_t>(n[a]);
      rest /= static_cast<std::size_t>(n[a]);
      points[p * dim + a] = axes[a][i];
    }
  }
  return points;
}

}  // namespace npde::pde
