// SPDX-License-Identifier: BSD-3-Clause
// Burgers problem -> viscous Burgers reference solve (1D, PETSc TS), u_t + u u_x = viscosity u_xx + source.
#include <utility>

#include "app/reference_common.hpp"
#include "app/reference_scalar_1d.hpp"
#include "npde/app/reference_problems.hpp"
#include "npde/pde/scalar_equations.hpp"

namespace npde::app {

reference::GridSolution reference_burgers(const decomp::Communicator& comm, const io::Deck& deck,
                                          const pde::Problem& equation) {
  // 1025 points: cell Peclet number |u| h / nu = 0.6 for the standard nu = 0.01/pi, so the central
  // flux resolves the front at x = 0 without wiggles (docs/solvers/burgers.md).
  reference::ScalarTs1dProblem p = detail::scalar_ts_1d_problem(deck, equation, 1025);
  p.diffusivity = detail::coefficient<pde::BurgersEquation>(equation, "viscosity", true);
  p.advection = 1.0;
  p.reaction = 0.0;
  return detail::run_scalar_ts_1d(comm, equation, std::move(p));
}

}  // namespace npde::app
