// SPDX-License-Identifier: BSD-3-Clause
// Allen-Cahn problem -> reference solve (1D, PETSc TS), u_t = diffusivity u_xx + reaction (u - u^3) + source.
#include <algorithm>
#include <cmath>
#include <utility>

#include "app/reference_common.hpp"
#include "app/reference_scalar_1d.hpp"
#include "npde/app/reference_problems.hpp"
#include "npde/pde/scalar_equations.hpp"

namespace npde::app {

reference::GridSolution reference_allen_cahn(const decomp::Communicator& comm, const io::Deck& deck,
                                             const pde::Problem& equation) {
  reference::ScalarTs1dProblem p = detail::scalar_ts_1d_problem(deck, equation, 1025);
  p.diffusivity = detail::coefficient<pde::AllenCahnEquation>(equation, "diffusivity", true);
  p.reaction = detail::coefficient<pde::AllenCahnEquation>(equation, "reaction");
  p.advection = 0.0;
  auto sol = detail::run_scalar_ts_1d(comm, equation, std::move(p));
  // Without a source the equation has a maximum principle: |u0| <= 1 keeps |u| <= 1 for all times.
  // The largest |u| over all snapshots is the cheapest check that the stiff solve stayed stable.
  double max_abs = 0;
  for (double v : sol.fields.front().second) max_abs = std::max(max_abs, std::abs(v));
  sol.summary.emplace_back("max_abs_u", max_abs);
  return sol;
}

}  // namespace npde::app
