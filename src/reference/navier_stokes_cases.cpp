// SPDX-License-Identifier: BSD-3-Clause
// Navier-Stokes benchmark cases (lid-driven cavity, Kovasznay flow) and centreline-table comparison.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <string>

#include "npde/core/error.hpp"
#include "npde/reference/navier_stokes_fd.hpp"
#include "npde/reference/poisson_fd.hpp"

namespace npde::reference {

NavierStokesFdProblem cavity_problem(const std::vector<int>& grid, double reynolds) {
  NavierStokesFdProblem p;
  p.grid = grid;
  p.reynolds = reynolds;
  // The lid covers the open top edge; the two top corners belong to the side walls (u = 0). The MAC
  // scheme never uses the corner values, they only appear in the node output.
  p.boundary_velocity = [](const double* x, double* uv) {
    uv[0] = (x[1] == 1.0 && x[0] > 0.0 && x[0] < 1.0) ? 1.0 : 0.0;
    uv[1] = 0.0;
  };
  return p;
}

double kovasznay_lambda(double reynolds) {
  const double pi = std::acos(-1.0);
  return 0.5 * reynolds - std::sqrt(0.25 * reynolds * reynolds + 4.0 * pi * pi);
}

void kovasznay_exact(double reynolds, const double* x, double* uvp) {
  const double pi = std::acos(-1.0), lambda = kovasznay_lambda(reynolds);
  const double e = std::exp(lambda * x[0]);
  uvp[0] = 1.0 - e * std::cos(2.0 * pi * x[1]);
  uvp[1] = lambda / (2.0 * pi) * e * std::sin(2.0 * pi * x[1]);
  uvp[2] = 0.5 * (1.0 - e * e);
}

NavierStokesFdProblem kovasznay_problem(const std::vector<int>& grid, double reynolds, const double* lower,
                                        const double* upper) {
  NavierStokesFdProblem p;
  p.grid = grid;
  p.reynolds = reynolds;
  for (int d = 0; d < 2; ++d) p.lower[d] = lower[d], p.upper[d] = upper[d];
  p.boundary_velocity = [reynolds](const double* x, double* uv) {
    double uvp[3];
    kovasznay_exact(reynolds, x, uvp);
    uv[0] = uvp[0], uv[1] = uvp[1];
  };
  return p;
}

CentrelineTable read_centreline_table(const std::string& path) {
  std::ifstream in(path);
  NPDE_REQUIRE(in.good(), "cannot read centreline table " << path);
  CentrelineTable t;
  std::string line;
  bool have_header = false;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> cells;
    std::stringstream ss(line);
    for (std::string cell; std::getline(ss, cell, ',');) {
      const auto b = cell.find_first_not_of(" \t\r"), e = cell.find_last_not_of(" \t\r");
      cells.push_back(b == std::string::npos ? std::string() : cell.substr(b, e - b + 1));
    }
    if (!have_header) {
      NPDE_REQUIRE(cells.size() >= 2 && (cells[0] == "y" || cells[0] == "x"),
                   path << ":" << line_no << ": header must be 'y' or 'x' then re<number> columns");
      for (std::size_t k = 1; k < cells.size(); ++k) {
        NPDE_REQUIRE(cells[k].rfind("re", 0) == 0, path << ":" << line_no << ": column '" << cells[k] << "'");
        t.reynolds.push_back(std::stod(cells[k].substr(2)));
      }
      t.values.resize(t.reynolds.size());
      have_header = true;
      continue;
    }
    NPDE_REQUIRE(cells.size() == t.reynolds.size() + 1,
                 path << ":" << line_no << ": " << cells.size() << " cells, expected " << t.reynolds.size() + 1);
    t.coord.push_back(std::stod(cells[0]));
    for (std::size_t k = 1; k < cells.size(); ++k) t.values[k - 1].push_back(std::stod(cells[k]));
  }
  NPDE_REQUIRE(have_header && !t.coord.empty(), path << ": no data rows");
  return t;
}

std::vector<double> centreline_deviations(const CentrelineTable& table, double reynolds, bool vertical,
                                          const std::vector<double>& field, const std::vector<int>& grid) {
  std::size_t column = table.reynolds.size();
  for (std::size_t r = 0; r < table.reynolds.size(); ++r)
    if (std::abs(table.reynolds[r] - reynolds) < 1e-9 * reynolds) column = r;
  NPDE_REQUIRE(column < table.reynolds.size(), "centreline table has no column for Re = " << reynolds);
  NPDE_REQUIRE(grid.size() == 2 && field.size() == static_cast<std::size_t>(grid[0]) * grid[1],
               "field of " << field.size() << " values does not match the grid");
  const double lower[2] = {0, 0}, upper[2] = {1, 1};
  std::vector<double> deviations;
  for (std::size_t k = 0; k < table.coord.size(); ++k) {
    const double x[2] = {vertical ? 0.5 : table.coord[k], vertical ? table.coord[k] : 0.5};
    deviations.push_back(interpolate(field, 2, lower, upper, grid, x) - table.values[column][k]);
  }
  return deviations;
}

double max_centreline_deviation(const CentrelineTable& table, double reynolds, bool vertical,
                                const std::vector<double>& field, const std::vector<int>& grid) {
  double worst = 0;
  for (double d : centreline_deviations(table, reynolds, vertical, field, grid)) worst = std::max(worst, std::abs(d));
  return worst;
}

}  // namespace npde::reference
