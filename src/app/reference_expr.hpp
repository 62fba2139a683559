// SPDX-License-Identifier: BSD-3-Clause
// Private to app/: Dirichlet face data and exact-solution sampling shared by the box-grid reference decks.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "npde/core/expression.hpp"
#include "npde/io/deck.hpp"
#include "npde/pde/box.hpp"
#include "npde/reference/grid_solution.hpp"

namespace npde::app::detail {

/// Dirichlet data u = value on a set of faces (from one problem.boundary entry).
struct FaceCondition {
  std::vector<int> faces;
  Expression value;
};

/// The deck's domain as a box. Not collective.
pde::Box deck_box(const io::Deck& deck);

/// problem.boundary as Dirichlet conditions over `vars`. Every face must carry exactly one Dirichlet
/// condition; periodic faces are not supported. `solver` names the solver in messages. Not
/// collective; throws npde::InputError naming the deck key for entries it cannot use.
std::vector<FaceCondition> dirichlet_conditions(const io::Deck& deck, const pde::Box& box,
                                                const std::vector<std::string>& vars, const std::string& solver);

/// The value of the first condition whose faces hold x (edges and corners belong to several faces),
/// evaluated at the expression variables `vars` (x itself, or x followed by t). Not collective.
double boundary_value(const std::vector<FaceCondition>& conditions, const pde::Box& box, const double* x,
                      const double* vars);

/// Calls f(x) at every point of the solution's `dim`-D grid, x fastest (the order of its fields);
/// x has 3 entries, those past dim 0. Not collective.
void for_each_grid_point(const reference::GridSolution& solution, int dim, const std::function<void(const double*)>& f);

}  // namespace npde::app::detail
