// SPDX-License-Identifier: BSD-3-Clause
// Finite-difference Helmholtz reference solver -Lap u - k^2 u = f on a box with Dirichlet data.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "npde/decomp/communicator.hpp"
#include "npde/reference/grid_solution.hpp"

namespace npde::reference {

/// -Lap u - k^2 u = f on the box [lower, upper] (dim 1..3) with u = g on the whole boundary.
struct HelmholtzFdProblem {
  int dim = 2;                                        ///< 1, 2 or 3
  double lower[3] = {0, 0, 0}, upper[3] = {1, 1, 1};  ///< box corners; entries past dim are ignored
  std::vector<int> grid;                              ///< points per axis including boundary, each >= 3; size dim
  double k = 1;                                       ///< wavenumber (only k^2 enters); units 1/length
  std::function<double(const double* x)> source;      ///< f at interior grid points (x has dim entries)
  std::function<double(const double* x)> boundary;    ///< g at boundary grid points
  /// Options for this solve, e.g. "-ksp_type gmres -pc_type ilu". They override the defaults chosen
  /// from the spectrum (see solve_helmholtz_fd) and are overridden by options given to initialize().
  std::string petsc_options;
};

/// Smallest eigenvalue of the discrete Dirichlet operator -Lap_h on `grid` points of the box:
/// sum_d 4/h_d^2 sin^2(pi h_d / (2 L_d)). The discrete operator -Lap_h - k^2 is positive definite
/// iff k^2 is below it. Not collective.
double smallest_dirichlet_eigenvalue(int dim, const double* lower, const double* upper, const std::vector<int>& grid);

/// Collective on `comm`. Second-order central differences (3/5/7-point stencil, h per axis) on a
/// PETSc DMDA distributed over `comm`, solved with KSP and gathered onto every rank.
/// Default solver: CG + GAMG (rtol 1e-12) when k^2 < smallest_dirichlet_eigenvalue (the matrix is
/// SPD); otherwise (indefinite) GMRES preconditioned by a sparse direct LU (MUMPS), which converges
/// in one iteration. Returns a steady GridSolution: field "u" (x fastest), summary "seconds" (setup,
/// assembly and solve, max over ranks), "iterations", "residual_norm" (true ||b - A u||_2),
/// "lambda_min" (the eigenvalue above), "indefinite" (0 or 1); summary_text "solver",
/// "ksp_type", "pc_type". Throws npde::Error on invalid problems (same verdict on all ranks), PETSc
/// errors, callbacks that throw on any rank, or when KSP does not converge.
GridSolution solve_helmholtz_fd(const decomp::Communicator& comm, const HelmholtzFdProblem& problem);

}  // namespace npde::reference
