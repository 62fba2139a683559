// SPDX-License-Identifier: BSD-3-Clause
// Klein-Gordon problem -> 1D reference solve with PETSc TS (u_tt - c^2 u_xx + gamma u^3 = f).
#include <algorithm>
#include <cmath>

#include "app/reference_common.hpp"
#include "npde/app/reference_problems.hpp"
#include "npde/core/log.hpp"
#include "npde/pde/scalar_equations.hpp"
#include "npde/reference/klein_gordon_ts.hpp"

namespace npde::app {

reference::GridSolution reference_klein_gordon(const decomp::Communicator& comm, const io::Deck& deck,
                                               const pde::Problem& equation) {
  using KleinGordon = pde::KleinGordonEquation;
  // 1. The solver's problem: interval, times, coefficients and data from the equation, the rest from
  //    the deck's reference section (every rank builds the same, so input errors agree).
  reference::KleinGordonProblem problem;
  problem.lower = equation.box.lower[0];
  problem.upper = equation.box.upper[0];
  problem.t_start = equation.box.lower[1];
  problem.t_end = equation.box.upper[1];
  detail::check_time_settings(deck, "half the grid spacing over c");
  problem.grid = detail::reference_grid(deck, equation, 257, 4)[0];
  problem.wave_speed = detail::coefficient<KleinGordon>(equation, "wave_speed", true);
  problem.cubic = detail::coefficient<KleinGordon>(equation, "cubic");
  problem.time_step = deck.time_step;
  problem.snapshots = deck.snapshots;
  problem.petsc_options = deck.reference_petsc;
  // The solver calls these from one thread per rank, as Expression requires. The initial value is
  // the exact solution at the start when the deck gives no problem.initial; the rate is 0 unless given.
  problem.source = detail::of_x_t(equation.data.at(0));
  problem.boundary_lower = detail::end_value(equation, problem.lower);
  problem.boundary_upper = detail::end_value(equation, problem.upper);
  problem.initial = detail::at_time(detail::initial_value(equation), problem.t_start);
  const Expression* rate = detail::condition_value(equation, pde::ConditionKind::InitialRate);
  problem.initial_rate = rate ? detail::at_time(*rate, problem.t_start) : [](double) { return 0.0; };
  log::info(log::format("reference: klein_gordon on ", problem.grid, " points, t in [", problem.t_start, ", ",
                        problem.t_end, "], ", deck.snapshots, " snapshots"));

  // 2. Solve.
  reference::GridSolution solution = reference::solve_klein_gordon_ts(comm, problem);

  // 3. Exact solution at every snapshot; errors at the final time and over all snapshots.
  detail::add_exact(solution, equation, false);
  if (!solution.exact.empty()) {
    const auto& u = solution.fields.at(0).second;
    const auto& values = solution.exact.front().second;
    double max_error = 0;
    for (std::size_t l = 0; l < u.size(); ++l) max_error = std::max(max_error, std::abs(u[l] - values[l]));
    detail::add_relative_error(solution, "rel_l2_exact_all_times", u, values);
    solution.summary.emplace_back("max_abs_error", max_error);
  }
  return solution;
}

}  // namespace npde::app
