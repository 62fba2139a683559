// SPDX-License-Identifier: BSD-3-Clause
// Deck -> classical reference solve, one entry per equation of the benchmark catalogue.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "npde/decomp/communicator.hpp"
#include "npde/io/deck.hpp"
#include "npde/reference/grid_solution.hpp"

namespace npde::app {

/// Each function: collective on `comm`. Builds the solver's problem from a validated deck of its
/// equation (deck.pde), solves it on deck.reference_grid with deck.reference_petsc options (which the
/// command line's PETSc options override), and returns the solution with its exact counterpart
/// where known and the summary numbers (seconds, errors, iteration counts). Logs progress on long
/// runs. Throws npde::InputError for deck values the solver cannot use (one line, naming the key) and
/// npde::Error for solver failures.
reference::GridSolution reference_helmholtz(const decomp::Communicator& comm, const io::Deck& deck);
reference::GridSolution reference_heat(const decomp::Communicator& comm, const io::Deck& deck);
reference::GridSolution reference_burgers(const decomp::Communicator& comm, const io::Deck& deck);
reference::GridSolution reference_allen_cahn(const decomp::Communicator& comm, const io::Deck& deck);
reference::GridSolution reference_klein_gordon(const decomp::Communicator& comm, const io::Deck& deck);
reference::GridSolution reference_schrodinger(const decomp::Communicator& comm, const io::Deck& deck);
reference::GridSolution reference_navier_stokes(const decomp::Communicator& comm, const io::Deck& deck);
/// The largest deviations of the centreline profiles u(0.5, y) and v(x, 0.5) of a cavity solution
/// (node fields on `grid`) from Ghia et al. (1982) at the deck's Reynolds number: "ghia_max_abs_u",
/// "ghia_max_abs_v"; empty if the tables are not found or lack that Reynolds number. Not collective.
std::vector<std::pair<std::string, double>> ghia_deviations(const io::Deck& deck, const std::vector<double>& u,
                                                            const std::vector<double>& v, const std::vector<int>& grid);
reference::GridSolution reference_darcy(const decomp::Communicator& comm, const io::Deck& deck);
reference::GridSolution reference_ns_vorticity(const decomp::Communicator& comm, const io::Deck& deck);

}  // namespace npde::app
