// SPDX-License-Identifier: BSD-3-Clause
// Deck -> Helmholtz finite-difference reference solve (-Lap u - k^2 u = f, Dirichlet data).
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "app/reference_expr.hpp"
#include "npde/app/reference_problems.hpp"
#include "npde/core/error.hpp"
#include "npde/core/expression.hpp"
#include "npde/core/log.hpp"
#include "npde/pde/box.hpp"
#include "npde/reference/helmholtz_fd.hpp"
#include "npde/reference/poisson_fd.hpp"

namespace npde::app {
namespace {

std::vector<int> checked_grid(const io::Deck& deck) {
  const std::vector<int> grid = deck.reference_grid.empty() ? std::vector<int>(deck.dim, 65) : deck.reference_grid;
  if (static_cast<int>(grid.size()) != deck.dim)
    NPDE_INPUT_ERROR("reference.grid: " << grid.size() << " entries for a " << deck.dim << "D domain");
  for (int n : grid)
    if (n < 3) NPDE_INPUT_ERROR("reference.grid: Helmholtz needs at least 3 points per axis, got " << n);
  return grid;
}

}  // namespace

reference::GridSolution reference_helmholtz(const decomp::Communicator& comm, const io::Deck& deck) {
  // 1. The problem from the deck (every rank builds the same, so input errors agree).
  if (deck.dim < 1 || deck.dim > 3) NPDE_INPUT_ERROR("problem.domain: Helmholtz needs 1 to 3 dimensions");
  const auto k_entry = deck.coefficients.find("k");
  if (k_entry == deck.coefficients.end()) NPDE_INPUT_ERROR("problem.coefficients.k: required for helmholtz");
  if (!std::isfinite(k_entry->second)) NPDE_INPUT_ERROR("problem.coefficients.k: must be finite");
  const pde::Box box = detail::deck_box(deck);
  std::vector<std::string> vars = {"x", "y", "z"};
  vars.resize(static_cast<std::size_t>(deck.dim));
  const Expression source(deck.source, vars, "problem.source");
  const std::vector<detail::FaceCondition> conditions = detail::dirichlet_conditions(deck, box, vars, deck.pde);

  reference::HelmholtzFdProblem problem;
  problem.dim = deck.dim;
  for (int a = 0; a < deck.dim; ++a) problem.lower[a] = deck.lower[a], problem.upper[a] = deck.upper[a];
  problem.grid = checked_grid(deck);
  problem.k = k_entry->second;
  // The solver calls these from one thread per rank, as Expression requires.
  problem.source = [&source](const double* x) { return source.eval(x); };
  problem.boundary = [&conditions, &box](const double* x) { return detail::boundary_value(conditions, box, x, x); };
  problem.petsc_options = deck.reference_petsc;

  // 2. Solve.
  const double lambda_min =
      reference::smallest_dirichlet_eigenvalue(problem.dim, problem.lower, problem.upper, problem.grid);
  log::info(log::format("reference: Helmholtz k = ", problem.k, ", k^2 ", problem.k * problem.k < lambda_min ? "<" : ">=",
                        " lambda_min = ", lambda_min, " (", problem.k * problem.k < lambda_min ? "definite" : "indefinite",
                        ")"));
  reference::GridSolution solution = reference::solve_helmholtz_fd(comm, problem);

  // 3. Exact solution at the grid points and the error.
  if (deck.exact) {
    const Expression exact(*deck.exact, vars, "problem.exact");
    std::vector<double> values;
    values.reserve(solution.n_points());
    detail::for_each_grid_point(solution, deck.dim, [&](const double* x) { values.push_back(exact.eval(x)); });
    bool nonzero = false;
    for (double v : values) nonzero = nonzero || v != 0;
    // A zero exact solution has no relative error; the field comparison is still written.
    if (nonzero)
      solution.summary.emplace_back("rel_l2_exact", reference::relative_l2(solution.fields.at(0).second, values));
    solution.exact.emplace_back("u", std::move(values));
  }
  return solution;
}

}  // namespace npde::app
