// SPDX-License-Identifier: BSD-3-Clause
// Equation problem + reference settings -> classical reference solve, one entry per catalogue equation.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "npde/decomp/communicator.hpp"
#include "npde/io/deck.hpp"
#include "npde/pde/problem.hpp"
#include "npde/reference/grid_solution.hpp"

namespace npde::app {

/// Each function: collective on `comm`. Converts `equation`, the deck's equation problem
/// (make_equation_problem; its coefficients may differ from the deck's, as for the true value of an
/// inverse problem), into the solver's problem, takes the reference settings from `deck`
/// (reference.grid, time_step, snapshots, eigenpairs, reference.petsc, which the command line's PETSc
/// options override), solves it, and returns the solution with its exact counterpart where known and
/// the summary numbers (seconds, errors, iteration counts). `equation` is referenced during the solve
/// only. Logs progress on long runs. Throws npde::InputError for deck values the solver cannot use
/// (one line, naming the key) and npde::Error for solver failures.
reference::GridSolution reference_helmholtz(const decomp::Communicator& comm, const io::Deck& deck,
                                            const pde::Problem& equation);
reference::GridSolution reference_heat(const decomp::Communicator& comm, const io::Deck& deck,
                                       const pde::Problem& equation);
reference::GridSolution reference_burgers(const decomp::Communicator& comm, const io::Deck& deck,
                                          const pde::Problem& equation);
reference::GridSolution reference_allen_cahn(const decomp::Communicator& comm, const io::Deck& deck,
                                             const pde::Problem& equation);
reference::GridSolution reference_klein_gordon(const decomp::Communicator& comm, const io::Deck& deck,
                                               const pde::Problem& equation);
reference::GridSolution reference_schrodinger(const decomp::Communicator& comm, const io::Deck& deck,
                                              const pde::Problem& equation);
reference::GridSolution reference_navier_stokes(const decomp::Communicator& comm, const io::Deck& deck,
                                                const pde::Problem& equation);
/// The largest deviations of the centreline profiles u(0.5, y) and v(x, 0.5) of a cavity solution
/// (node fields on `grid`) from Ghia et al. (1982) at Reynolds number `re`: "ghia_max_abs_u",
/// "ghia_max_abs_v"; empty if the tables (found from the deck's folder) are not found or lack that
/// Reynolds number. Not collective.
std::vector<std::pair<std::string, double>> ghia_deviations(const io::Deck& deck, double re,
                                                            const std::vector<double>& u, const std::vector<double>& v,
                                                            const std::vector<int>& grid);
/// Operator problems (random inputs, no pde::Problem): the same, from the deck alone.
reference::GridSolution reference_darcy(const decomp::Communicator& comm, const io::Deck& deck);
reference::GridSolution reference_ns_vorticity(const decomp::Communicator& comm, const io::Deck& deck);

}  // namespace npde::app
