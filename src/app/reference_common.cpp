// SPDX-License-Identifier: BSD-3-Clause
// Private to app/: what the reference glue of the catalogue equations shares.
#include "app/reference_common.hpp"

#include <cmath>
#include <utility>

#include "npde/reference/poisson_fd.hpp"

namespace npde::app::detail {

Inputs::Inputs(int n_space, const double* x, double t) {
  for (int d = 0; d < n_space; ++d) v[d] = x[d];
  v[n_space] = t;
}

double checked_coefficient(const pde::Problem& problem, int index, const std::string& name, bool positive) {
  NPDE_REQUIRE(index < static_cast<int>(problem.coefficients.size()),
               problem.equation << " problem has " << problem.coefficients.size() << " coefficients, no '" << name
                                << "'");
  const double value = problem.coefficients[static_cast<std::size_t>(index)];
  if (positive && !(value > 0 && std::isfinite(value)))
    NPDE_INPUT_ERROR("problem.coefficients." << name << ": must be > 0, got " << value);
  if (!std::isfinite(value)) NPDE_INPUT_ERROR("problem.coefficients." << name << ": must be finite, got " << value);
  return value;
}

const Expression* condition_value(const pde::Problem& problem, pde::ConditionKind kind) {
  for (const auto& c : problem.conditions)
    if (c.kind == kind && c.output == 0) return &c.value;
  return nullptr;
}

const Expression& initial_value(const pde::Problem& problem) {
  const Expression* initial = condition_value(problem, pde::ConditionKind::Initial);
  NPDE_REQUIRE(initial, problem.equation << " problem without an initial condition");
  return *initial;
}

std::function<double(double)> end_value(const pde::Problem& problem, double x) {
  return [&problem, x](double t) {
    const double v[2] = {x, t};
    return problem.dirichlet_value(0, v);
  };
}

std::function<double(double, double)> of_x_t(const Expression& e) {
  return [&e](double x, double t) {
    const double v[2] = {x, t};
    return e.eval(v);
  };
}

std::function<double(double)> at_time(const Expression& e, double t) {
  return [&e, t](double x) {
    const double v[2] = {x, t};
    return e.eval(v);
  };
}

std::vector<int> reference_grid(const io::Deck& deck, const pde::Problem& problem, int default_points,
                                int min_points, const char* unit) {
  const int n_space = problem.n_space;
  const std::vector<int> grid = deck.reference_grid.empty() ? std::vector<int>(n_space, default_points)
                                                            : deck.reference_grid;
  if (static_cast<int>(grid.size()) != n_space)
    NPDE_INPUT_ERROR("reference.grid: " << grid.size() << " entries for a " << n_space << "D domain");
  for (int n : grid)
    if (n < min_points)
      NPDE_INPUT_ERROR("reference.grid: " << problem.equation << " needs at least " << min_points << " " << unit
                                          << (n_space > 1 ? " per axis" : "") << ", got " << n);
  return grid;
}

void check_time_settings(const io::Deck& deck, const char* zero_step) {
  if (!(deck.time_step >= 0) || !std::isfinite(deck.time_step))
    NPDE_INPUT_ERROR("reference.time_step: must be >= 0 (0: " << zero_step << "), got " << deck.time_step);
  if (deck.snapshots < 2)
    NPDE_INPUT_ERROR("reference.snapshots: need at least 2 (start and end), got " << deck.snapshots);
}

std::vector<double> exact_on_grid(const reference::GridSolution& solution, const pde::Problem& problem, int output) {
  const Expression& exact = *problem.exact.at(static_cast<std::size_t>(output));
  const int dim = problem.n_space;
  const std::size_t nx = solution.axes[0].size(), ny = dim > 1 ? solution.axes[1].size() : 1,
                    nz = dim > 2 ? solution.axes[2].size() : 1;
  const std::vector<double> steady{0.0};
  std::vector<double> values;
  values.reserve(nx * ny * nz * (problem.time_dependent ? solution.series.size() : 1));
  for (double t : problem.time_dependent ? solution.series : steady)
    for (std::size_t k = 0; k < nz; ++k)
      for (std::size_t j = 0; j < ny; ++j)
        for (std::size_t i = 0; i < nx; ++i) {
          const double x[3] = {solution.axes[0][i], dim > 1 ? solution.axes[1][j] : 0.0,
                               dim > 2 ? solution.axes[2][k] : 0.0};
          values.push_back(exact.eval(Inputs(dim, x, t).v));
        }
  return values;
}

void add_relative_error(reference::GridSolution& solution, const std::string& key, const std::vector<double>& u,
                        const std::vector<double>& exact) {
  double norm2 = 0;
  for (double v : exact) norm2 += v * v;
  if (norm2 > 0) solution.summary.emplace_back(key, reference::relative_l2(u, exact));
}

void add_exact(reference::GridSolution& solution, const pde::Problem& problem, bool all_times) {
  if (!problem.exact.at(0)) return;
  std::vector<double> values = exact_on_grid(solution, problem, 0);
  const auto& u = solution.fields.at(0).second;
  const auto first = static_cast<std::ptrdiff_t>(all_times ? 0 : values.size() - solution.n_points());
  add_relative_error(solution, "rel_l2_exact", std::vector<double>(u.begin() + first, u.end()),
                     std::vector<double>(values.begin() + first, values.end()));
  solution.exact.emplace_back(problem.outputs.at(0), std::move(values));
}

}  // namespace npde::app::detail
