// SPDX-License-Identifier: BSD-3-Clause
// 2D incompressible Navier-Stokes in vorticity form on a periodic box: FFTW pseudo-spectral, PETSc TS.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace npde::reference {

/// w_t + u . grad w = nu Lap w + f on the periodic box [lower, upper], u = (psi_y, -psi_x), -Lap psi = w.
struct NsVorticityProblem {
  double lower[2] = {0, 0}, upper[2] = {1, 1};  ///< one period per axis
  std::vector<int> grid;                         ///< {nx, ny} points per period, each even and >= 8
  double viscosity = 1e-3;                       ///< nu >= 0
  /// w(x, t_start) at the grid points x_i = lower + i L / n, x fastest: initial[i + nx * j]. Its mean
  /// is a constant of the motion (the k = 0 mode only sees the forcing's mean).
  std::vector<double> initial;
  /// f(x, t) with x of 2 entries; empty means f = 0. Called on the grid once, or at every right-hand
  /// side evaluation when forcing_depends_on_time.
  std::function<double(const double* x, double t)> forcing;
  bool forcing_depends_on_time = false;
  double t_start = 0, t_end = 1;                 ///< t_end > t_start
  /// Output times, nondecreasing, within [t_start, t_end]; the solver steps onto each exactly.
  std::vector<double> output_times;
  /// 0: adaptive CFL step (see docs/solvers/ns_vorticity.md); > 0: at most this step, shrunk so that
  /// every output interval holds a whole number of equal steps.
  double time_step = 0;
  double cfl = 0.5;                              ///< dt = cfl min(h) / (max|u| + max|v|) in the adaptive mode
  /// TS options for this solve (default: -ts_type rk -ts_rk_type 4 -ts_adapt_type none); they override
  /// npde's defaults and are themselves overridden by options given to initialize().
  std::string petsc_options;
  /// Called after each output time with (t, accepted steps so far, wall seconds so far); empty: none.
  std::function<void(double t, int steps, double seconds)> progress;
};

/// Result of solve_ns_vorticity.
struct NsVorticitySolution {
  std::vector<int> grid;       ///< as requested
  std::vector<double> times;   ///< the output times
  std::vector<double> w;       ///< times.size() * nx * ny values, time slowest, x fastest
  /// Per output time, integrals over the box: energy 0.5 int |u|^2, enstrophy 0.5 int w^2 and
  /// palinstrophy 0.5 int |grad w|^2 (spectral, all resolved modes; the mean mode carries no velocity).
  std::vector<double> energy, enstrophy, palinstrophy;
  int steps = 0;               ///< accepted time steps
  double min_time_step = 0, max_time_step = 0;
  double seconds = 0;          ///< setup + time stepping wall time
  std::string ts_type;         ///< e.g. "rk 4"
};

/// Not collective: runs on the calling rank with PETSc on PETSC_COMM_SELF. Pseudo-spectral in space
/// (FFTW r2c/c2r, velocity and vorticity gradient from the 2/3-rule truncated vorticity, nonlinear
/// term truncated likewise, so the advection conserves energy and enstrophy exactly in space),
/// method of lines in time through PETSc TS. Throws npde::Error on invalid problems, PETSc errors,
/// a throwing forcing callback or a non-finite state.
NsVorticitySolution solve_ns_vorticity(const NsVorticityProblem& problem);

}  // namespace npde::reference
