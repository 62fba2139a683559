// SPDX-License-Identifier: BSD-3-Clause
// Klein-Gordon reference solver in 1D: method of lines on a PETSc DMDA, time stepping with PETSc TS.
#pragma once

#include <functional>
#include <string>

#include "npde/decomp/communicator.hpp"
#include "npde/reference/grid_solution.hpp"

namespace npde::reference {

/// u_tt - c^2 u_xx + gamma u^3 = f(x, t) on [lower, upper] x [t_start, t_end], with
/// u(x, t_start) = u0(x), u_t(x, t_start) = v0(x) and Dirichlet data u(lower, t), u(upper, t).
struct KleinGordonProblem {
  double lower = 0, upper = 1;        ///< space interval
  int grid = 129;                     ///< points INCLUDING both end points, >= 4
  double t_start = 0, t_end = 1;      ///< time interval, t_end > t_start
  double wave_speed = 1;              ///< c > 0
  double cubic = 1;                   ///< gamma (any sign)
  /// Largest time step; 0: 0.5 h / c. The step actually taken is the largest one <= this that
  /// divides the interval between snapshots into whole steps.
  double time_step = 0;
  int snapshots = 101;                ///< output times, evenly spaced, including t_start and t_end (>= 2)
  std::function<double(double x, double t)> source;        ///< f
  std::function<double(double x)> initial;                 ///< u0
  std::function<double(double x)> initial_rate;           ///< v0 = u_t at t_start
  std::function<double(double t)> boundary_lower;          ///< u(lower, t)
  std::function<double(double t)> boundary_upper;          ///< u(upper, t)
  /// Options for this solve (no prefix: -ts_type, -ts_adapt_type, -snes_*, -ksp_*, -pc_*). They
  /// override npde's defaults (-ts_type cn at a fixed step, SNES rtol 1e-10, KSP rtol 1e-12) and are
  /// themselves overridden by options given to initialize().
  std::string petsc_options;
};

/// Collective on `comm`. Second-order central differences in x on the interior points of a 1D DMDA
/// (dof 2: u and v = u_t) distributed over `comm`; the Dirichlet values enter through ghost points
/// refreshed at every right-hand-side evaluation. The first-order system is advanced with PETSc TS,
/// by default Crank-Nicolson (second order, no numerical damping) at a fixed step with Newton on the
/// cubic term (analytic Jacobian). Explicit methods work too, e.g. -ts_type rk -ts_rk_type 4 (fourth
/// order in time; stable for dt <= 1.4 h / c).
///
/// Returns, identical on every rank: axes {x} (grid points, both ends included), series_kind
/// "time", series = the snapshot times, field "u" (snapshots x grid, ends from the Dirichlet data),
/// summary {"seconds" (max over ranks), "time_step", "time_steps", "rhs_evaluations"} and
/// summary_text {"solver"}. No exact field: the caller adds it.
/// Throws npde::Error on invalid problems (same verdict on every rank), PETSc errors, callbacks that
/// throw on any rank, or a step that fails (e.g. SNES divergence of an implicit method).
GridSolution solve_klein_gordon_ts(const decomp::Communicator& comm, const KleinGordonProblem& problem);

}  // namespace npde::reference
