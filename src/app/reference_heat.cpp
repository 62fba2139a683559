// SPDX-License-Identifier: BSD-3-Clause
// Heat problem -> linear diffusion-reaction reference solve with PETSc TS (u_t = D Lap u - r u + f).
#include <vector>

#include "app/reference_common.hpp"
#include "npde/app/reference_problems.hpp"
#include "npde/core/log.hpp"
#include "npde/pde/scalar_equations.hpp"
#include "npde/reference/heat_ts.hpp"

namespace npde::app {

reference::GridSolution reference_heat(const decomp::Communicator& comm, const io::Deck& deck,
                                       const pde::Problem& equation) {
  using Heat = pde::HeatEquation<1>;  // the coefficient names of every dimension
  // 1. The solver's problem: box, times, coefficients and data from the equation, the rest from the
  //    deck's reference section (every rank builds the same, so input errors agree).
  reference::HeatTsProblem problem;
  const int dim = equation.n_space;
  problem.dim = dim;
  for (int a = 0; a < dim; ++a) problem.lower[a] = equation.box.lower[a], problem.upper[a] = equation.box.upper[a];
  problem.t_start = equation.box.lower[dim];
  problem.t_end = equation.box.upper[dim];
  detail::check_time_settings(deck, "chosen from the grid");
  problem.diffusivity = detail::coefficient<Heat>(equation, "diffusivity", true);
  problem.reaction = detail::coefficient<Heat>(equation, "reaction");
  problem.grid = detail::reference_grid(deck, equation, 65, 3);
  problem.time_step = deck.time_step;
  problem.snapshots = deck.snapshots;
  problem.petsc_options = deck.reference_petsc;
  // The solver calls these from one thread per rank, as Expression requires. The initial value is
  // the exact solution at the start when the deck gives no problem.initial.
  const Expression& source = equation.data.at(0);
  const Expression& initial = detail::initial_value(equation);
  const double t_start = problem.t_start;
  problem.source = [&source, dim](const double* x, double t) { return source.eval(detail::Inputs(dim, x, t).v); };
  problem.boundary = [&equation, dim](const double* x, double t) {
    return equation.dirichlet_value(0, detail::Inputs(dim, x, t).v);
  };
  problem.initial = [&initial, dim, t_start](const double* x) {
    return initial.eval(detail::Inputs(dim, x, t_start).v);
  };

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
  detail::add_exact(solution, equation, false);
  return solution;
}

}  // namespace npde::app
