// SPDX-License-Identifier: BSD-3-Clause
// Method-of-lines PETSc TS solver for one scalar 1D advection-diffusion-reaction equation
// (viscous Burgers, Allen-Cahn) on a distributed DMDA.
#pragma once

#include <functional>
#include <string>

#include "npde/decomp/communicator.hpp"
#include "npde/reference/grid_solution.hpp"

namespace npde::reference {

/// u_t + a (u^2/2)_x = nu u_xx + r (u - u^3) + s(x, t) on [lower, upper] x [t_start, t_end], with
/// u(x, t_start) = initial(x) and either Dirichlet data at both ends or periodic boundaries.
/// Burgers: a = 1, r = 0. Allen-Cahn: a = 0, r = the reaction rate (5 in the published cases).
struct ScalarTs1dProblem {
  double lower = -1, upper = 1;  ///< interval, lower < upper
  /// Grid points: Dirichlet, including both end points (>= 5); periodic, points per period (>= 4,
  /// x_i = lower + i (upper - lower) / points, x = upper is x_0 again).
  int points = 257;
  bool periodic = false;
  double diffusivity = 0;  ///< nu > 0
  double advection = 0;    ///< a: coefficient of the Burgers flux u^2/2
  double reaction = 0;     ///< r: coefficient of the bistable reaction u - u^3
  std::function<double(double x)> initial;  ///< u at t_start, called at every grid point
  /// Dirichlet values at x = lower and x = upper as functions of t (ignored when periodic).
  std::function<double(double t)> boundary_lower, boundary_upper;
  std::function<double(double x, double t)> source;  ///< s; empty means 0
  double t_start = 0, t_end = 1;  ///< t_end > t_start
  /// > 0: fixed step (shortened where it would pass an output time); 0: adaptive steps under the
  /// TS error tolerances (npde defaults atol 1e-7, rtol 1e-6; -ts_atol/-ts_rtol override).
  double time_step = 0;
  int snapshots = 101;  ///< output times, evenly spaced over [t_start, t_end] including both (>= 2)
  /// PETSc options for this solve; they override npde's defaults (see docs/solvers/burgers.md) and
  /// are themselves overridden by the command line given to reference::initialize().
  std::string petsc_options;
  /// Optional; called on every rank after each accepted step with the time reached and the steps
  /// taken so far (for progress logs). Must not throw.
  std::function<void(double t, int steps)> progress;
};

/// Collective on `comm`. Second-order central differences on a DMDA over `comm`: the flux uses the
/// conservative skew-symmetric split F_{i+1/2} = a (u_i^2 + u_i u_{i+1} + u_{i+1}^2) / 6, which also
/// conserves the discrete energy under advection; Dirichlet end values enter as ghost points, so the
/// unknowns are the interior points only. Time: PETSc TS, by default ARKIMEX 3 (L-stable ESDIRK,
/// all terms implicit) with adaptive steps; Newton (SNES) on the assembled tridiagonal Jacobian,
/// GMRES + block Jacobi/ILU. Returns the snapshots replicated on every rank: axes {x} (closed axis,
/// or periodic axis), series_kind "time", fields {"u"} (n_snapshots x n_x, time slowest), summary
/// seconds / time_steps / rejected_steps / snes_iterations / ksp_iterations, summary_text "solver".
/// Throws npde::Error on invalid problems (same verdict on every rank), a PETSc error, a callback
/// that throws (on any rank), or a step that fails (TS divergence).
GridSolution solve_scalar_ts_1d(const decomp::Communicator& comm, const ScalarTs1dProblem& problem);

}  // namespace npde::reference
