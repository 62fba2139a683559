// SPDX-License-Identifier: BSD-3-Clause
// Equation problem -> 1D scalar TS problem, shared by the Burgers and Allen-Cahn reference glue.
#include "app/reference_scalar_1d.hpp"

#include <cmath>

#include "app/reference_common.hpp"
#include "npde/core/log.hpp"

namespace npde::app::detail {

reference::ScalarTs1dProblem scalar_ts_1d_problem(const io::Deck& deck, const pde::Problem& equation,
                                                  int default_points) {
  reference::ScalarTs1dProblem p;
  p.lower = equation.box.lower[0], p.upper = equation.box.upper[0];
  p.t_start = equation.box.lower[1], p.t_end = equation.box.upper[1];
  p.periodic = condition_value(equation, pde::ConditionKind::Periodic) != nullptr;
  p.points = reference_grid(deck, equation, default_points, p.periodic ? 4 : 5,
                            p.periodic ? "points per period" : "points")[0];
  check_time_settings(deck, "adaptive");
  p.time_step = deck.time_step;
  p.snapshots = deck.snapshots;
  p.petsc_options = deck.reference_petsc;

  // The solver calls these from one thread per rank, as Expression requires.
  p.initial = at_time(initial_value(equation), p.t_start);
  if (!p.periodic) {
    p.boundary_lower = end_value(equation, p.lower);
    p.boundary_upper = end_value(equation, p.upper);
  }
  // "0" is the deck's default for an absent source: skip the callback entirely then.
  if (equation.data.at(0).text() != "0") p.source = of_x_t(equation.data.at(0));
  return p;
}

reference::GridSolution run_scalar_ts_1d(const decomp::Communicator& comm, const pde::Problem& equation,
                                         reference::ScalarTs1dProblem problem) {
  const char* name = equation.equation.c_str();
  log::info(log::format(name, " reference: ", problem.points, problem.periodic ? " periodic" : "", " points on [",
                        problem.lower, ", ", problem.upper, "], t in [", problem.t_start, ", ", problem.t_end, "], ",
                        problem.snapshots, " snapshots"));
  const double t0 = problem.t_start, span = problem.t_end - problem.t_start;
  int next_tenth = 1;
  problem.progress = [&next_tenth, t0, span, name](double t, int steps) {
    if (t < t0 + 0.1 * next_tenth * span * (1 - 1e-12)) return;
    while (t >= t0 + 0.1 * next_tenth * span * (1 - 1e-12)) ++next_tenth;
    log::info(log::format(name, ": t = ", t, " (", static_cast<int>(std::lround(100 * (t - t0) / span)), " %), ",
                          steps, " steps"));
  };
  reference::GridSolution g = reference::solve_scalar_ts_1d(comm, problem);
  add_exact(g, equation, true);
  for (const auto& [key, value] : g.summary)
    if (key == "seconds") log::info(log::format(name, " reference done in ", value, " s"));
  return g;
}

}  // namespace npde::app::detail
