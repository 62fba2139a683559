// SPDX-License-Identifier: BSD-3-Clause
// Translation of a validated deck into the library's problem, network and training objects.
#pragma once

#include "npde/io/deck.hpp"
#include "npde/pde/problem.hpp"
#include "npde/pinn/highdim.hpp"
#include "npde/pinn/multidomain.hpp"
#include "npde/pinn/options.hpp"
#include "npde/pinn/trainer.hpp"
#include "npde/reference/poisson_fd.hpp"

namespace npde::app {

/// True for the equations with a neural solver (pinn::catalogue_equations): those make_equation_problem
/// builds a problem for.
bool has_neural_solver(const std::string& pde);
/// The problem of a catalogue deck's equation (every problem.pde with a neural solver): space(-time)
/// box, conditions, data, coefficients in the order of the equation's coefficient_names, exact
/// solutions. The one definition both the PINN trains and the classical reference solves
/// (app::reference_<pde>). Throws InputError naming the key.
pde::Problem make_equation_problem(const io::Deck& deck);
/// Throws InputError (naming problem.boundary) if a hard problem's conditions cannot be built into
/// trial functions (pinn::TrialFunction of every output): what a training run checks before any work.
void check_trial_functions(const pde::Problem& problem);
/// Network, points and loss options.
pinn::PinnOptions make_pinn_options(const io::Deck& deck);
/// The decomposition of a deck with a `decomposition` section: the method's interface weights with the
/// deck's replacing them.
pinn::DecompositionOptions make_decomposition_options(const io::Deck& deck);
/// The high-dimensional test problem of a `highdim` deck and its model's options.
pinn::TwoBody make_two_body(const io::Deck& deck);
pinn::HighDimOptions make_highdim_options(const io::Deck& deck);
/// Stages and logging.
pinn::TrainConfig make_train_config(const io::Deck& deck, bool quiet);
/// The finite-difference reference problem of a Poisson `problem` (make_equation_problem) on `grid`
/// (petsc options from the deck).
reference::PoissonFdProblem make_reference_problem(const io::Deck& deck, const pde::Problem& problem,
                                                   const std::vector<int>& grid);

}  // namespace npde::app
