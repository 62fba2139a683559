// SPDX-License-Identifier: BSD-3-Clause
// Helmholtz problem -> finite-difference reference solve (-Lap u - k^2 u = f, Dirichlet data).
#include "app/reference_common.hpp"
#include "npde/app/reference_problems.hpp"
#include "npde/core/log.hpp"
#include "npde/pde/scalar_equations.hpp"
#include "npde/reference/helmholtz_fd.hpp"

namespace npde::app {

reference::GridSolution reference_helmholtz(const decomp::Communicator& comm, const io::Deck& deck,
                                            const pde::Problem& equation) {
  // 1. The solver's problem: box, wavenumber and data from the equation, grid and options from the
  //    deck (every rank builds the same, so input errors agree).
  reference::HelmholtzFdProblem problem;
  problem.dim = equation.n_space;
  for (int a = 0; a < problem.dim; ++a)
    problem.lower[a] = equation.box.lower[a], problem.upper[a] = equation.box.upper[a];
  problem.k = detail::coefficient<pde::HelmholtzEquation<1>>(equation, "k");
  problem.grid = detail::reference_grid(deck, equation, 65, 3);
  // The solver calls these from one thread per rank, as Expression requires.
  const Expression& source = equation.data.at(0);
  problem.source = [&source](const double* x) { return source.eval(x); };
  problem.boundary = [&equation](const double* x) { return equation.dirichlet_value(0, x); };
  problem.petsc_options = deck.reference_petsc;

  // 2. Solve.
  const double lambda_min =
      reference::smallest_dirichlet_eigenvalue(problem.dim, problem.lower, problem.upper, problem.grid);
  log::info(log::format("reference: Helmholtz k = ", problem.k, ", k^2 ", problem.k * problem.k < lambda_min ? "<" : ">=",
                        " lambda_min = ", lambda_min, " (", problem.k * problem.k < lambda_min ? "definite" : "indefinite",
                        ")"));
  reference::GridSolution solution = reference::solve_helmholtz_fd(comm, problem);

  // 3. Exact solution at the grid points and the error.
  detail::add_exact(solution, equation, false);
  return solution;
}

}  // namespace npde::app
