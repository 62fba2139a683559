// SPDX-License-Identifier: BSD-3-Clause
// Deck -> heat / linear diffusion-reaction reference solve with PETSc TS (u_t = D Lap u - r u + f).
#include <cmath>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "app/reference_expr.hpp"
#include "npde/app/reference_problems.hpp"
#include "npde/core/error.hpp"
#include "npde/core/expression.hpp"
#include "npde/core/log.hpp"
#include "npde/pde/box.hpp"
#include "npde/reference/heat_ts.hpp"
#include "npde/reference/poisson_fd.hpp"

namespace npde::app {
namespace {

// Expression variables (x[, y[, z]], t) for the point x at time t.
struct Point {
  double v[4] = {0, 0, 0, 0};
  Point(int dim, const double* x, double t) {
    for (int d = 0; d < dim; ++d) v[d] = x[d];
    v[dim] = t;
  }
};

void check_deck(const io::Deck& deck) {
  if (deck.dim < 1 || deck.dim > 3) NPDE_INPUT_ERROR("problem.domain: heat needs 1 to 3 dimensions");
  if (!(deck.t_end > deck.t_start))
    NPDE_INPUT_ERROR("problem.time: end (" << deck.t_end << ") must be greater than start (" << deck.t_start << ")");
  if (!(deck.time_step >= 0) || !std::isfinite(deck.time_step))
    NPDE_INPUT_ERROR("reference.time_step: must be >= 0 (0: chosen from the grid), got " << deck.time_step);
  if (deck.snapshots < 2) NPDE_INPUT_ERROR("reference.snapshots: need at least 2 (start and end), got " << deck.snapshots);
  const auto d = deck.coefficients.find("diffusivity");
  if (d == deck.coefficients.end()) NPDE_INPUT_ERROR("problem.coefficients.diffusivity: required for heat");
  if (!(d->second > 0) || !std::isfinite(d->second))
    NPDE_INPUT_ERROR("problem.coefficients.diffusivity: must be positive, got " << d->second);
  if (deck.initial.empty() && !deck.exact)
    NPDE_INPUT_ERROR("problem.initial: required for heat (or give problem.exact, whose value at start is used)");
}

}  // namespace

reference::GridSolution reference_heat(const decomp::Communicator& comm, const io::Deck& deck) {
  // 1. The problem from the deck (every rank builds the same, so input errors agree).
  check_deck(deck);
  const pde::Box box = detail::deck_box(deck);
  std::vector<std::string> space = {"x", "y", "z"};
  space.resize(static_cast<std::size_t>(deck.dim));
  std::vector<std::string> space_time = space;
  space_time.push_back("t");
  const Expression source(deck.source, space_time, "problem.source");
  const std::vector<detail::FaceCondition> conditions = detail::dirichlet_conditions(deck, box, space_time, "heat");
  std::optional<Expression> exact;
  if (deck.exact) exact = Expression(*deck.exact, space_time, "problem.exact");
  // Without problem.initial the exact solution at t_start is the initial state.
  const Expression initial = deck.initial.empty() ? Expression() : Expression(deck.initial, space, "problem.initial");

  reference::HeatTsProblem problem;
  problem.dim = deck.dim;
  for (int a = 0; a < deck.dim; ++a) problem.lower[a] = deck.lower[a], problem.upper[a] = deck.upper[a];
  problem.grid = deck.reference_grid.empty() ? std::vector<int>(deck.dim, 65) : deck.reference_grid;
  if (static_cast<int>(problem.grid.size()) != deck.dim)
    NPDE_INPUT_ERROR("reference.grid: " << problem.grid.size() << " entries for a " << deck.dim << "D domain");
  for (int n : problem.grid)
    if (n < 3) NPDE_INPUT_ERROR("reference.grid: heat needs at least 3 points per axis, got " << n);
  problem.diffusivity = deck.coefficients.at("diffusivity");
  // A linear reaction term -r u, if the deck's schema allows problem.coefficients.reaction for heat.
  const auto r = deck.coefficients.find("reaction");
  problem.reaction = r == deck.coefficients.end() ? 0.0 : r->second;
  problem.t_start = deck.t_start;
  problem.t_end = deck.t_end;
  problem.time_step = deck.time_step;
  problem.snapshots = deck.snapshots;
  problem.petsc_options = deck.reference_petsc;
  const int dim = deck.dim;
  const double t_start = deck.t_start;
  // The solver calls these from one thread per rank, as Expression requires.
  problem.source = [&source, dim](const double* x, double t) { return source.eval(Point(dim, x, t).v); };
  problem.boundary = [&](const double* x, double t) {
    return detail::boundary_value(conditions, box, x, Point(box.dim, x, t).v);
  };
  if (initial.defined())
    problem.initial = [&initial](const double* x) { return initial.eval(x); };
  else
    problem.initial = [&exact, dim, t_start](const double* x) { return exact->eval(Point(dim, x, t_start).v); };

  double dt = 0;
  int n_steps = 0;
  reference::heat_time_step(problem, &dt, &n_steps);
  log::info(log::format("reference: heat, BDF2 time steps: ", n_steps, " x dt = ", dt, ", ", deck.snapshots,
                        " snapshots"));
  // One line per ~10 % of the steps on runs long enough to want them.
  const int every = n_steps >= 100 ? (n_steps + 9) / 10 : 0;
  if (every > 0)
    problem.progress = [every](int step, int total, double t) {
      if (step % every == 0 || step == total)
        log::info(log::format("reference: heat step ", step, "/", total, ", t = ", t));
    };

  // 2. Solve.
  reference::GridSolution solution = reference::solve_heat_ts(comm, problem);

  // 3. Exact solution at every snapshot and the error at the final time.
  if (exact) {
    const std::size_t n_points = solution.n_points();
    std::vector<double> values;
    values.reserve(n_points * solution.series.size());
    for (double t : solution.series)
      detail::for_each_grid_point(solution, dim,
                                  [&](const double* x) { values.push_back(exact->eval(Point(dim, x, t).v)); });
    const auto& u = solution.fields.at(0).second;
    const auto final_begin = static_cast<std::ptrdiff_t>(values.size() - n_points);
    const std::vector<double> u_final(u.begin() + final_begin, u.end());
    const std::vector<double> exact_final(values.begin() + final_begin, values.end());
    bool nonzero = false;
    for (double v : exact_final) nonzero = nonzero || v != 0;
    // A zero exact solution has no relative error; the field comparison is still written.
    if (nonzero) solution.summary.emplace_back("rel_l2_exact", reference::relative_l2(u_final, exact_final));
    solution.exact.emplace_back("u", std::move(values));
  }
  return solution;
}

}  // namespace npde::app
