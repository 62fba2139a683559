// SPDX-License-Identifier: BSD-3-Clause
// Lowest eigenpairs of the 1D Schroedinger operator -d^2/dx^2 + V in a box, by SLEPc on a PETSc DMDA.
#pragma once

#include <functional>
#include <string>

#include "npde/decomp/communicator.hpp"
#include "npde/reference/grid_solution.hpp"

namespace npde::reference {

/// -psi'' + V(x) psi = E psi on [lower, upper], psi(lower) = psi(upper) = 0 (units hbar^2 / 2m = 1).
struct SchrodingerProblem {
  double lower = 0, upper = 1;                ///< the box
  int grid = 257;                             ///< points INCLUDING both ends, >= 4
  std::function<double(double x)> potential;  ///< V, evaluated inside [lower, upper] only
  /// true: each row uses the mean of V over its cell [x_i - h/2, x_i + h/2] (adaptive quadrature that
  /// locates jumps), which keeps eigenvalues second order for piecewise-smooth V; false: V(x_i).
  bool cell_average = true;
  int eigenpairs = 4;                         ///< how many of the lowest eigenpairs, 1 <= n <= grid - 2
  /// Options for this solve (-eps_*, -st_*: e.g. -eps_tol, -eps_type, -st_type). They override
  /// npde's defaults (Krylov-Schur, shift-and-invert at min V, direct LU, tol 1e-12) and are
  /// themselves overridden by options given to initialize().
  std::string petsc_options;
};

/// Collective on `comm`. Second-order central differences on the interior points of a 1D DMDA over
/// `comm` give the symmetric tridiagonal H = -D2 + diag(V_i); SLEPc's Krylov-Schur with
/// shift-and-invert at sigma = min_i V_i (below the whole spectrum, so H - sigma is positive
/// definite and the wanted eigenvalues are the ones nearest sigma) finds the lowest ones.
/// Starts SLEPc if it is not running yet (PETSc must be: initialize()).
///
/// Returns, identical on every rank: axes {x} (grid points, both ends included), series_kind
/// "eigenvalue", series = the eigenvalues E_0 <= E_1 <= ..., field "psi" (one mode per series
/// entry, psi = 0 at the ends, normalised to trapezoidal Int psi^2 dx = 1, sign such that the first
/// value above 1e-3 max |psi| is positive), summary {"seconds", "eigenvalue_<n>", "eps_iterations",
/// "max_relative_residual"}, summary_text {"solver"}. No exact field: the caller adds it.
/// Throws npde::Error on invalid problems, a potential that throws or is not finite on any rank,
/// PETSc/SLEPc errors, or fewer converged eigenpairs than requested.
GridSolution solve_schrodinger_eps(const decomp::Communicator& comm, const SchrodingerProblem& problem);

/// Mean of v over [a, b] (a < b) by adaptive Simpson quadrature on 4 initial panels with an absolute
/// tolerance per panel that does not shrink with depth, so a jump is located by bisection to
/// ~1e-13 (b - a) instead of stalling the recursion. Features narrower than (b - a) / 16 may be missed.
/// Not collective.
double interval_mean(const std::function<double(double)>& v, double a, double b);

}  // namespace npde::reference
