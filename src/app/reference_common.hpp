// SPDX-License-Identifier: BSD-3-Clause
// Private to app/: what the reference glue of the catalogue equations shares: the deck's reference
// settings, the equation's coefficients and conditions, its exact solution on a solver's grid.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "npde/core/error.hpp"
#include "npde/core/expression.hpp"
#include "npde/io/deck.hpp"
#include "npde/pde/problem.hpp"
#include "npde/reference/grid_solution.hpp"

namespace npde::app::detail {

/// The inputs (x[, y[, z]], t) of the space point x (n_space entries) at time t, as the problem's
/// expressions take them.
struct Inputs {
  double v[4] = {0, 0, 0, 0};
  Inputs(int n_space, const double* x, double t);
};

/// Coefficient `index` of `problem`, named `name` in messages. Throws npde::InputError naming
/// problem.coefficients.<name> unless it is finite and, with `positive`, > 0. Not collective.
double checked_coefficient(const pde::Problem& problem, int index, const std::string& name, bool positive);

/// Coefficient `name` of a problem of equation Eq (a pde/ equation struct, whose coefficient_names
/// order the problem's coefficients follow); checked as checked_coefficient does.
template <class Eq>
double coefficient(const pde::Problem& problem, const std::string& name, bool positive = false) {
  for (int k = 0; k < Eq::n_coefficients; ++k)
    if (name == Eq::coefficient_names[k]) return checked_coefficient(problem, k, name, positive);
  NPDE_REQUIRE(false, Eq::name << " has no coefficient '" << name << "'");
}

/// The value of the problem's first condition of `kind` (on output 0), or nullptr if it has none.
const Expression* condition_value(const pde::Problem& problem, pde::ConditionKind kind);
/// The value of the initial condition, which every time-dependent problem has.
const Expression& initial_value(const pde::Problem& problem);

/// Callbacks of a 1D time-dependent problem for the solvers (they hold references: `problem` and `e`
/// must outlive them): the Dirichlet data of output 0 at the end x as a function of t; an expression
/// of (x, t); an expression of (x, t) at the fixed time t.
std::function<double(double)> end_value(const pde::Problem& problem, double x);
std::function<double(double, double)> of_x_t(const Expression& e);
std::function<double(double)> at_time(const Expression& e, double t);

/// reference.grid for `problem`: one entry per space dimension, each >= min_points (`unit` says what
/// they count), deck.reference_grid or `default_points` per axis where it is empty. Throws
/// npde::InputError naming reference.grid. Not collective.
std::vector<int> reference_grid(const io::Deck& deck, const pde::Problem& problem, int default_points,
                                int min_points, const char* unit = "points");

/// Checks reference.time_step (finite, >= 0; `zero_step` says what 0 means) and reference.snapshots
/// (>= 2). Throws npde::InputError naming the key. Not collective.
void check_time_settings(const io::Deck& deck, const char* zero_step);

/// The exact solution of `output` (problem.exact[output], required) at every point of the solution's
/// grid, x fastest, and at every time of its series if the problem is time-dependent (time slowest):
/// the layout of the solution's fields. Not collective.
std::vector<double> exact_on_grid(const reference::GridSolution& solution, const pde::Problem& problem, int output);

/// Appends relative_l2(u, exact) to the solution's summary as `key`, unless the exact values are all
/// zero: a zero exact solution has no relative error (the fields are still compared in the file).
void add_relative_error(reference::GridSolution& solution, const std::string& key, const std::vector<double>& u,
                        const std::vector<double>& exact);

/// If the scalar problem has an exact solution: adds it to the solution's exact fields (named as its
/// output) and its relative error as "rel_l2_exact", over the last snapshot (steady: the grid) or,
/// with `all_times`, over every snapshot. Not collective.
void add_exact(reference::GridSolution& solution, const pde::Problem& problem, bool all_times);

}  // namespace npde::app::detail
