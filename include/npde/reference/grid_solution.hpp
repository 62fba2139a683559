// SPDX-License-Identifier: BSD-3-Clause
// The common result of every classical reference solver: named fields on a tensor grid, steady or
// as a series (time snapshots, eigenmodes), plus the numbers the run reports.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace npde::reference {

/// A reference solution on a tensor-product grid, replicated on every rank of the solve.
///
/// Layout: a field holds `n_series() * n_points()` doubles, series index slowest, then the grid
/// in C order with x fastest: value(s, i, j, k) = values[((s * nz + k) * ny + j) * nx + i]. This is
/// the HDF5 layout (s, z, y, x) written under /fields/<group>/<name>.
struct GridSolution {
  /// Coordinates of the grid points per axis, x first (1 to 3 axes). Non-periodic axes include
  /// both end points; periodic axes hold n points x_i = lower + i * L / n (the end point is x_0).
  std::vector<std::vector<double>> axes;
  /// What the leading series axis is: "" (a steady field, n_series() == 1), "time" (snapshots at
  /// `series` times) or "eigenvalue" (modes sorted by `series`, the eigenvalues).
  std::string series_kind;
  std::vector<double> series;
  /// Computed fields, in output order, e.g. {"u", ...}, {"u", "v", "p"}, {"psi", ...}.
  std::vector<std::pair<std::string, std::vector<double>>> fields;
  /// Exact solutions of the same names and shapes where one is known (written under /fields/exact;
  /// the writer adds /fields/error = reference - exact).
  std::vector<std::pair<std::string, std::vector<double>>> exact;
  /// Numbers reported in the run summary and stored as /summary attributes, e.g. "seconds",
  /// "rel_l2_exact", "time_steps", "snes_iterations". Keys are snake_case.
  std::vector<std::pair<std::string, double>> summary;
  /// Text reported likewise, e.g. {"solver", "TS bdf2 + SNES newtonls + KSP gmres/ilu on 257"}.
  std::vector<std::pair<std::string, std::string>> summary_text;

  std::size_t n_points() const {
    std::size_t n = 1;
    for (const auto& a : axes) n *= a.size();
    return n;
  }
  std::size_t n_series() const { return series_kind.empty() ? 1 : series.size(); }
  int dim() const { return static_cast<int>(axes.size()); }
};

/// Evenly spaced axis with both end points: n >= 2 points on [lo, hi].
std::vector<double> closed_axis(double lo, double hi, int n);
/// Periodic axis: n points lo + i * (hi - lo) / n, i = 0..n-1.
std::vector<double> periodic_axis(double lo, double hi, int n);

}  // namespace npde::reference
