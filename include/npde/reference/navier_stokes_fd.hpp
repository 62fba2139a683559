// SPDX-License-Identifier: BSD-3-Clause
// Steady incompressible Navier-Stokes reference solver (staggered MAC finite differences, PETSc SNES),
// its two benchmark cases (lid-driven cavity, Kovasznay flow) and centreline-profile helpers.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "npde/decomp/communicator.hpp"

namespace npde::reference {

/// (u . grad) u + grad p - (1/Re) Lap u = 0, div u = 0 on the box [lower, upper] with Dirichlet
/// velocity on the whole boundary.
struct NavierStokesFdProblem {
  double lower[2] = {0, 0}, upper[2] = {1, 1};  ///< box corners
  std::vector<int> grid;                        ///< nodes per axis INCLUDING boundary nodes, each >= 5; size 2
  double reynolds = 100;                        ///< Re > 0 (kinematic viscosity 1/Re)
  /// Wall velocity: writes (u, v) at the boundary point x (2 entries). Called on every rank before
  /// the solve, at all wall nodes (corners only for the node output) and at Gauss points of wall faces.
  std::function<void(const double* x, double* uv)> boundary_velocity;
  /// Continuation: the Reynolds numbers solved before `reynolds`, each from the previous solution.
  /// Negative entries or values >= reynolds are dropped. Default (`auto_continuation`): the members
  /// of {100, 400, 1000, 3200, 10000} below `reynolds`.
  std::vector<double> continuation;
  bool auto_continuation = true;  ///< use the default ladder when `continuation` is empty
  /// Solver options for this solve; they override npde's defaults (newtonls + GMRES + LU via MUMPS,
  /// see docs/solvers/navier_stokes.md) and are overridden by the command line's options.
  std::string petsc_options;
};

/// Result of solve_navier_stokes_fd; identical on every rank.
struct NavierStokesFdSolution {
  std::vector<int> grid;        ///< as requested
  /// Velocity and pressure at all nodes, x fastest: u[i + nx * j]. Wall nodes carry the boundary
  /// data (corners: 0 for the cavity, see boundary_velocity); p has zero mean over the nodes.
  std::vector<double> u, v, p;
  std::vector<double> stages;   ///< Reynolds numbers solved, the last one is the problem's
  int snes_iterations = 0;      ///< Newton iterations, all stages
  int ksp_iterations = 0;       ///< linear iterations, all stages
  double residual_norm = 0;     ///< final ||F||_2 of the last stage
  double seconds = 0;           ///< setup + all stages, max over ranks
  std::string solver;           ///< what ran, e.g. "MAC 129x129, SNES newtonls + KSP gmres/lu (mumps)"
};

/// Collective on `comm`. Staggered (MAC) second-order central differences in conservative form on a
/// dof-3 PETSc DMDA distributed over `comm`; Newton (SNES) with a coloured finite-difference Jacobian,
/// continuation in Re, result interpolated to the nodes and gathered onto every rank. Progress (one
/// line per stage) goes to npde::log::info. Throws npde::Error on invalid problems, PETSc errors,
/// or a stage whose Newton iteration diverges.
NavierStokesFdSolution solve_navier_stokes_fd(const decomp::Communicator& comm, const NavierStokesFdProblem& problem);

/// Lid-driven cavity on the unit square: u = 1 on y = 1 (0 < x < 1), no slip elsewhere, corners 0.
NavierStokesFdProblem cavity_problem(const std::vector<int>& grid, double reynolds);

/// Kovasznay (1948) flow: lambda = Re/2 - sqrt(Re^2/4 + 4 pi^2).
double kovasznay_lambda(double reynolds);
/// Exact (u, v, p) of Kovasznay flow at x (2 entries) into uvp (3 entries); p = (1 - e^{2 lambda x}) / 2.
void kovasznay_exact(double reynolds, const double* x, double* uvp);
/// Kovasznay flow on the box [lower, upper] with the exact velocity on the boundary.
NavierStokesFdProblem kovasznay_problem(const std::vector<int>& grid, double reynolds, const double* lower,
                                        const double* upper);

/// A centreline table: coordinates and one column of values per Reynolds number.
struct CentrelineTable {
  std::vector<double> coord;                ///< y (vertical centreline) or x (horizontal centreline)
  std::vector<double> reynolds;             ///< column headers
  std::vector<std::vector<double>> values;  ///< values[r][k] at coord[k] for reynolds[r]
};

/// Reads a CSV of "coord,<value at Re_1>,<value at Re_2>,..." rows; lines starting with '#' are
/// comments; the header row names the columns "y" or "x" then "re<number>". Throws npde::Error if
/// the file is missing or malformed. Not collective.
CentrelineTable read_centreline_table(const std::string& path);

/// computed - table at each of the table's points for column `reynolds` (throws if absent): the
/// computed profile is u along x = 0.5 (vertical = true, table coordinate y) or v along y = 0.5
/// (vertical = false), interpolated bilinearly from node values `field` on the unit-square grid
/// (nodes incl. boundary, x fastest). Not collective.
std::vector<double> centreline_deviations(const CentrelineTable& table, double reynolds, bool vertical,
                                          const std::vector<double>& field, const std::vector<int>& grid);
/// Max |centreline_deviations(...)|.
double max_centreline_deviation(const CentrelineTable& table, double reynolds, bool vertical,
                                const std::vector<double>& field, const std::vector<int>& grid);

}  // namespace npde::reference
