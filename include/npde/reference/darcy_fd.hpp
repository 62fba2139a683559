// SPDX-License-Identifier: BSD-3-Clause
// Finite-difference Darcy flow solver -div(a grad u) = f with a nodal, possibly discontinuous coefficient.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "npde/decomp/communicator.hpp"
#include "npde/reference/poisson_fd.hpp"

namespace npde::reference {

/// -div(a grad u) = f on the rectangle [lower, upper] with Dirichlet data u = g on the whole boundary.
struct DarcyProblem {
  double lower[2] = {0, 0}, upper[2] = {1, 1};     ///< box corners
  std::vector<int> grid;                            ///< {nx, ny} points per axis INCLUDING boundary points, each >= 3
  /// a > 0 at every grid point, x fastest: coefficient[i + nx * j] (e.g. a thresholded random field).
  std::vector<double> coefficient;
  std::function<double(const double* x)> source;    ///< f, called at interior grid points (x has 2 entries)
  std::function<double(const double* x)> boundary;  ///< g, called at boundary grid points
  /// Solver options for this solve; they override npde's defaults (CG + GAMG, rtol 1e-12) and are
  /// themselves overridden by options given to initialize() (the command line).
  std::string petsc_options;
};

/// Collective on `comm`. Cell-centred-flux 5-point finite differences: the flux through the face
/// between nodes P and Q uses the harmonic mean 2 a_P a_Q / (a_P + a_Q), which is exact for a
/// 1D layered medium with the interface midway between nodes and keeps the scheme second order
/// for smooth a. Assembled on a PETSc DMDA over `comm` (symmetric positive definite: Dirichlet
/// couplings moved to the right-hand side), solved with KSP, gathered onto every rank in natural
/// order. Throws npde::Error on invalid problems (same verdict on every rank), on a PETSc error, on a
/// callback that throws on any rank, or when KSP does not converge.
FdSolution solve_darcy_fd(const decomp::Communicator& comm, const DarcyProblem& problem);

}  // namespace npde::reference
