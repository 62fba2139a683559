// SPDX-License-Identifier: BSD-3-Clause
// Private to app/: deck -> 1D scalar TS problem (Burgers, Allen-Cahn) and the run around the solve.
#pragma once

#include "npde/decomp/communicator.hpp"
#include "npde/io/deck.hpp"
#include "npde/reference/grid_solution.hpp"
#include "npde/reference/scalar_ts_1d.hpp"

namespace npde::app::detail {

/// The equation-independent part of a 1D scalar TS problem from a validated deck: domain, grid
/// (reference.grid, default `default_points`), initial and boundary data, source, times, snapshots
/// and PETSc options. The caller sets diffusivity, advection and reaction. `equation` names the
/// equation in messages. Throws npde::InputError naming the deck key for values it cannot use.
reference::ScalarTs1dProblem scalar_ts_1d_from_deck(const io::Deck& deck, const char* equation, int default_points);

/// Collective on `comm`. Solves `problem`, logs progress every 10 % of the simulated time, and adds
/// the deck's exact solution (problem.exact, if given) with its relative L2 error ("rel_l2_exact").
reference::GridSolution run_scalar_ts_1d(const decomp::Communicator& comm, const io::Deck& deck,
                                         reference::ScalarTs1dProblem problem, const char* equation);

}  // namespace npde::app::detail
