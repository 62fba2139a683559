// SPDX-License-Identifier: BSD-3-Clause
// Deck -> Allen-Cahn reference solve (1D, PETSc TS), u_t = diffusivity u_xx + reaction (u - u^3) + source.
#include <algorithm>
#include <cmath>
#include <utility>

#include "app/reference_scalar_1d.hpp"
#include "npde/app/reference_problems.hpp"
#include "npde/core/error.hpp"

namespace npde::app {

reference::GridSolution reference_allen_cahn(const decomp::Communicator& comm, const io::Deck& deck) {
  reference::ScalarTs1dProblem p = detail::scalar_ts_1d_from_deck(deck, "allen_cahn", 1025);
  p.diffusivity = io::coefficient(deck, "diffusivity");
  if (!(p.diffusivity > 0)) NPDE_INPUT_ERROR("problem.coefficients.diffusivity: must be > 0, got " << p.diffusivity);
  p.reaction = io::coefficient(deck, "reaction");
  p.advection = 0.0;
  auto sol = detail::run_scalar_ts_1d(comm, deck, std::move(p), "allen_cahn");
  // Without a source the equation has a maximum principle: |u0| <= 1 keeps |u| <= 1 for all times.
  // The largest |u| over all snapshots is the cheapest check that the stiff solve stayed stable.
  double max_abs = 0;
  for (double v : sol.fields.front().second) max_abs = std::max(max_abs, std::abs(v));
  sol.summary.emplace_back("max_abs_u", max_abs);
  return sol;
}

}  // namespace npde::app
