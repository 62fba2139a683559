// SPDX-License-Identifier: BSD-3-Clause
// Finite-difference Poisson reference solver on a structured PETSc grid, and grid-function helpers.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "npde/decomp/communicator.hpp"

namespace npde::reference {

/// -Lap u = f on the box [lower, upper] (dim 1..3) with Dirichlet data u = g on the whole boundary.
struct PoissonFdProblem {
  int dim = 2;                                      ///< 1, 2 or 3
  double lower[3] = {0, 0, 0}, upper[3] = {1, 1, 1};  ///< box corners; entries past dim are ignored
  std::vector<int> grid;                            ///< points per axis INCLUDING boundary points, each >= 3; size dim
  std::function<double(const double* x)> source;    ///< f, called at interior grid points (x has dim entries)
  std::function<double(const double* x)> boundary;  ///< g, called at boundary grid points
  /// Solver options for this solve, e.g. "-ksp_type cg -pc_type gamg". They override npde's defaults
  /// (CG + GAMG, rtol 1e-12) and are themselves overridden by options given to initialize().
  std::string petsc_options;
};

/// Result of solve_poisson_fd; identical on every rank.
struct FdSolution {
  std::vector<int> grid;          ///< as requested
  std::vector<double> u;          ///< all grid points, x fastest: u[i + nx*(j + ny*k)]
  int iterations = 0;             ///< KSP iterations
  double residual_norm = 0;       ///< true residual ||b - A u||_2 of the assembled system after the solve
  double seconds = 0;             ///< grid setup + assembly + solve wall time, max over ranks
  std::string ksp_type, pc_type;  ///< what actually ran
};

/// Collective on `comm`. Second-order central differences (3/5/7-point, h may differ per axis) on a
/// PETSc DMDA distributed over `comm`, solved with KSP, gathered onto every rank in natural order.
/// Boundary points stay unknowns with scaled identity rows (row scale = interior diagonal) and their
/// coupling moved into the interior right-hand side, so the matrix is symmetric positive definite.
/// Throws npde::Error on invalid problems (same verdict on every rank), on a PETSc error, on a
/// callback that throws on any rank, or when KSP does not converge.
FdSolution solve_poisson_fd(const decomp::Communicator& comm, const PoissonFdProblem& problem);

/// Relative L2 error ||u - exact||_2 / ||exact||_2 over all entries (same sizes, exact nonzero). Not collective.
double relative_l2(const std::vector<double>& u, const std::vector<double>& exact);

/// Multilinear interpolation at x (dim entries, inside the box) of a grid function u stored x fastest
/// with grid[d] points per axis on [lower, upper] (endpoints included). Not collective.
double interpolate(const std::vector<double>& u, int dim, const double* lower, const double* upper,
                   const std::vector<int>& grid, const double* x);

}  // namespace npde::reference
