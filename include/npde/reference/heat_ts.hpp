// SPDX-License-Identifier: BSD-3-Clause
// Heat / linear diffusion-reaction reference solver u_t = D Lap u - r u + f with PETSc TS on a DMDA.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "npde/decomp/communicator.hpp"
#include "npde/reference/grid_solution.hpp"

namespace npde::reference {

/// u_t = D Lap u - r u + f(x, t) on the box [lower, upper] (dim 1..3) for t in [t_start, t_end],
/// u = g(x, t) on the whole boundary, u(x, t_start) = u0(x) inside.
struct HeatTsProblem {
  int dim = 1;                                        ///< 1, 2 or 3
  double lower[3] = {0, 0, 0}, upper[3] = {1, 1, 1};  ///< box corners; entries past dim are ignored
  std::vector<int> grid;                              ///< points per axis including boundary, each >= 3; size dim
  double diffusivity = 1;                             ///< D > 0 (length^2 / time)
  double reaction = 0;                                ///< r (1 / time); any sign
  double t_start = 0, t_end = 1;                      ///< t_end > t_start
  /// Largest time step wanted; 0: the smallest grid spacing h_min (dt ~ h makes the space and time
  /// errors of the second-order scheme shrink together). The step used divides every interval
  /// between snapshots into the same whole number of steps, so it may be a little smaller.
  double time_step = 0;
  int snapshots = 11;                                 ///< output times, evenly spaced incl. t_start and t_end; >= 2
  std::function<double(const double* x, double t)> source;    ///< f at interior points (x has dim entries)
  std::function<double(const double* x, double t)> boundary;  ///< g at boundary points
  std::function<double(const double* x)> initial;             ///< u0 at interior points
  /// Options for this solve, e.g. "-ts_type cn -pc_type ilu". They override the defaults (TS bdf
  /// order 2, fixed step, SNES ksponly, KSP gmres + gamg, rtol 1e-8) and are overridden by options
  /// given to initialize(). Adaptive stepping is rejected: the snapshots need the fixed step.
  std::string petsc_options;
  /// Optional; called on every rank after each time step with (steps done, total steps, time).
  /// It must not communicate; npde::log::info prints on rank 0 only, which suits it.
  std::function<void(int step, int n_steps, double t)> progress;
};

/// The fixed time step solve_heat_ts uses for `problem` and the number of steps. Not collective.
/// Throws npde::Error for an invalid problem.
void heat_time_step(const HeatTsProblem& problem, double* dt, int* n_steps);

/// Collective on `comm`. Second-order central differences in space on a PETSc DMDA distributed over
/// `comm`; boundary points are algebraic unknowns u - g(x, t) = 0, so the implicit TS method imposes
/// the Dirichlet data at every stage. Default time integrator BDF2 with a fixed step (its first step
/// is BDF1, which keeps global second order). Returns series_kind "time": `series` holds the
/// snapshot times, field "u" all snapshots (snapshot slowest, then x fastest), replicated on every
/// rank; summary "seconds" (max over ranks), "time_steps", "dt", "linear_iterations";
/// summary_text "solver", "ts_type", "ksp_type", "pc_type". Throws npde::Error on invalid problems,
/// PETSc errors, callbacks that throw on any rank, or when a step fails.
GridSolution solve_heat_ts(const decomp::Communicator& comm, const HeatTsProblem& problem);

}  // namespace npde::reference
