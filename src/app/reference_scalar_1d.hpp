// SPDX-License-Identifier: BSD-3-Clause
// Private to app/: equation problem -> 1D scalar TS problem (Burgers, Allen-Cahn) and the run around the solve.
#pragma once

#include "npde/decomp/communicator.hpp"
#include "npde/io/deck.hpp"
#include "npde/pde/problem.hpp"
#include "npde/reference/grid_solution.hpp"
#include "npde/reference/scalar_ts_1d.hpp"

namespace npde::app::detail {

/// The equation-independent part of a 1D scalar TS problem: interval, times, initial and boundary
/// data (Dirichlet or periodic) and source from `equation`; grid (reference.grid, default
/// `default_points`), time step, snapshots and PETSc options from the deck. The caller sets
/// diffusivity, advection and reaction. `equation` stays referenced by the callbacks. Throws
/// npde::InputError naming the deck key for reference settings the solver cannot use.
reference::ScalarTs1dProblem scalar_ts_1d_problem(const io::Deck& deck, const pde::Problem& equation,
                                                  int default_points);

/// Collective on `comm`. Solves `problem`, logs progress every 10 % of the simulated time, and adds
/// the equation's exact solution (if it has one) with its relative L2 error over all snapshots
/// ("rel_l2_exact").
reference::GridSolution run_scalar_ts_1d(const decomp::Communicator& comm, const pde::Problem& equation,
                                         reference::ScalarTs1dProblem problem);

}  // namespace npde::app::detail
