// SPDX-License-Identifier: BSD-3-Clause
// Periodic vorticity solver: exact decaying and forced modes, time order, energy/enstrophy balances.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "npde/core/error.hpp"
#include "npde/decomp/communicator.hpp"
#include "npde/reference/ns_vorticity.hpp"
#include "npde/reference/petsc_env.hpp"
#include "npde/reference/random_field.hpp"

namespace {

using npde::decomp::Communicator;
using npde::reference::NsVorticityProblem;
using npde::reference::NsVorticitySolution;

const double pi = std::acos(-1.0);

template <class F>
std::vector<double> on_grid(F&& f, int n) {
  std::vector<double> v(static_cast<std::size_t>(n) * n);
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < n; ++i) {
      const double x[2] = {static_cast<double>(i) / n, static_cast<double>(j) / n};
      v[static_cast<std::size_t>(j) * n + i] = f(x);
    }
  return v;
}

std::vector<double> even_times(double t0, double t1, int count) {
  std::vector<double> t(count);
  for (int s = 0; s < count; ++s) t[s] = t0 + (t1 - t0) * s / (count - 1);
  return t;
}

NsVorticityProblem make_problem(int n, double nu, std::vector<double> w0, double t_end, int snapshots) {
  NsVorticityProblem p;
  p.grid = {n, n};
  p.viscosity = nu;
  p.initial = std::move(w0);
  p.t_end = t_end;
  p.output_times = even_times(0, t_end, snapshots);
  return p;
}

// Slice s of a series, and the largest relative deviation of a series from exact values.
std::vector<double> slice(const NsVorticitySolution& r, std::size_t s) {
  const std::size_t n = r.w.size() / r.times.size();
  return std::vector<double>(r.w.begin() + s * n, r.w.begin() + (s + 1) * n);
}
double max_abs(const std::vector<double>& a) {
  double m = 0;
  for (double v : a) m = std::max(m, std::abs(v));
  return m;
}
double max_difference(const std::vector<double>& a, const std::vector<double>& b) {
  double m = 0;
  for (std::size_t l = 0; l < a.size(); ++l) m = std::max(m, std::abs(a[l] - b[l]));
  return m;
}

// Modes with one |k|^2 = 5: psi is proportional to w, so u . grad w = 0 and every mode decays as
// exp(-nu 4 pi^2 5 t) -- but only if u, v and the gradient are computed with the right signs.
double shell_mode(const double* x) {
  return std::sin(2 * pi * (x[0] + 2 * x[1])) + std::cos(2 * pi * (2 * x[0] - x[1])) +
         0.5 * std::sin(4 * pi * x[0]) * std::cos(2 * pi * x[1]);
}

TEST(NsVorticity, ExactDecayOfASingleShellOfModes) {
  const double nu = 1e-3, rate = nu * 4 * pi * pi * 5;
  const auto w0 = on_grid(shell_mode, 32);
  for (double dt : {0.01, 0.0}) {
    NsVorticityProblem p = make_problem(32, nu, w0, 1.0, 11);
    p.time_step = dt;
    const NsVorticitySolution r = npde::reference::solve_ns_vorticity(p);
    ASSERT_EQ(r.times.size(), 11u);
    ASSERT_EQ(r.w.size(), 11u * 32 * 32);
    double worst = 0;
    for (std::size_t s = 0; s < r.times.size(); ++s) {
      std::vector<double> exact = w0;
      for (double& v : exact) v *= std::exp(-rate * r.times[s]);
      worst = std::max(worst, max_difference(slice(r, s), exact) / max_abs(exact));
    }
    if (Communicator::world().is_root())
      std::printf("[ shell |k|^2=5, %s ] max rel error %.2e, %d steps (dt %.4f..%.4f), %s, %.3f s\n",
                  dt > 0 ? "dt 0.01" : "CFL", worst, r.steps, r.min_time_step, r.max_time_step, r.ts_type.c_str(),
                  r.seconds);
    EXPECT_LE(worst, dt > 0 ? 1e-12 : 1e-9);
    EXPECT_EQ(r.ts_type, "rk 4");
    if (dt > 0) {
      EXPECT_EQ(r.steps, 100);
    }
    // Parseval integrals: all modes share |k|^2 = 5 (4 pi^2), int w0^2 = 1 + 1/16.
    const double k2 = 4 * pi * pi * 5, z0 = 0.5 * (1.0 + 1.0 / 16);
    EXPECT_NEAR(r.enstrophy[0], z0, 1e-13);
    EXPECT_NEAR(r.energy[0], z0 / k2, 1e-15);
    EXPECT_NEAR(r.palinstrophy[0], z0 * k2, 1e-10);
  }
}

// f = F sin(2 pi x) + G t cos(2 pi y), w0 = 0: each forced mode obeys w' = -a w + forcing exactly.
TEST(NsVorticity, ForcedModesFollowTheLinearOdeIncludingTimeDependentForcing) {
  const double nu = 0.02, a = nu * 4 * pi * pi, F = 0.3, G = 0.7, T = 2.0;
  NsVorticityProblem p = make_problem(16, nu, std::vector<double>(16 * 16, 0.0), T, 5);
  p.forcing = [=](const double* x, double t) { return F * std::sin(2 * pi * x[0]) + G * t * std::cos(2 * pi * x[1]); };
  p.forcing_depends_on_time = true;
  p.time_step = 0.005;
  const NsVorticitySolution r = npde::reference::solve_ns_vorticity(p);
  const double t = T;
  const double amp_x = F / a * (1 - std::exp(-a * t)), amp_y = G * (t / a - (1 - std::exp(-a * t)) / (a * a));
  const auto exact = on_grid([&](const double* x) { return amp_x * std::sin(2 * pi * x[0]) + amp_y * std::cos(2 * pi * x[1]); }, 16);
  const double error = max_difference(slice(r, 4), exact) / max_abs(exact);
  if (Communicator::world().is_root()) std::printf("[ forced modes ] rel error at t = %.1f: %.2e\n", T, error);
  EXPECT_LE(error, 1e-10);
}

// Richardson estimate of the time order with fixed steps dt, dt/2, dt/4 on a nonlinear flow.
TEST(NsVorticity, ObservedTimeOrderOfRk4IsFour) {
  npde::reference::RandomFieldParams rf;
  rf.alpha = 2.5, rf.tau = 7, rf.seed = 5;
  auto w0 = npde::reference::sample_random_field(rf, 0, 32, 32);
  for (double& v : w0) v *= 20;  // O(5) vorticity: the advection dominates on t in [0, 0.5]
  std::vector<std::vector<double>> finals;
  for (double dt : {0.02, 0.01, 0.005}) {
    NsVorticityProblem p = make_problem(32, 1e-3, w0, 0.5, 2);
    p.forcing = [](const double* x, double) { return 0.1 * (std::sin(2 * pi * (x[0] + x[1])) + std::cos(2 * pi * (x[0] + x[1]))); };
    p.time_step = dt;
    finals.push_back(slice(npde::reference::solve_ns_vorticity(p), 1));
  }
  const double d1 = max_difference(finals[0], finals[1]), d2 = max_difference(finals[1], finals[2]);
  const double order = std::log2(d1 / d2);
  if (Communicator::world().is_root())
    std::printf("[ time order ] max|w| %.2f, |w_dt - w_dt/2| %.2e, |w_dt/2 - w_dt/4| %.2e, observed order %.2f\n",
                max_abs(finals[2]), d1, d2, order);
  EXPECT_GE(order, 3.7);
  EXPECT_LE(order, 4.3);
}

// f = 0: the truncated advection conserves energy and enstrophy, so dZ/dt = -2 nu P and dE/dt = -2 nu Z.
TEST(NsVorticity, EnergyAndEnstrophyBalancesWithoutForcing) {
  npde::reference::RandomFieldParams rf;
  rf.alpha = 2.5, rf.tau = 7, rf.seed = 8;
  auto w0 = npde::reference::sample_random_field(rf, 1, 32, 32);
  for (double& v : w0) v *= 20;
  {
    // Long enough (t in [0, 4]) that the CFL limit, not the cap of 100 steps per run, sets the step.
    // Space conserves both exactly; the drift left is RK4's, so halving the CFL number cuts it ~16x.
    double drift_z[2], drift_e[2];
    for (int c = 0; c < 2; ++c) {
      NsVorticityProblem p = make_problem(32, 0.0, w0, 4.0, 3);
      p.cfl = c == 0 ? 0.5 : 0.25;
      const NsVorticitySolution r = npde::reference::solve_ns_vorticity(p);
      drift_z[c] = std::abs(r.enstrophy.back() / r.enstrophy.front() - 1);
      drift_e[c] = std::abs(r.energy.back() / r.energy.front() - 1);
      if (Communicator::world().is_root())
        std::printf("[ inviscid, cfl %.2f ] relative drift: enstrophy %.2e, energy %.2e over %d steps (dt %.4f..%.4f)\n",
                    p.cfl, drift_z[c], drift_e[c], r.steps, r.min_time_step, r.max_time_step);
      EXPECT_GT(r.steps, 100);
      EXPECT_LT(r.max_time_step, 0.04);
      EXPECT_LE(drift_z[c], 1e-4);
      EXPECT_LE(drift_e[c], 1e-5);
      // Something happened: the flow changed by much more than the drift.
      EXPECT_GT(max_difference(slice(r, 0), slice(r, 2)), 0.1 * max_abs(w0));
    }
    EXPECT_GT(drift_z[0] / drift_z[1], 8.0);
  }
  const double nu = 0.005;
  const NsVorticitySolution r = npde::reference::solve_ns_vorticity(make_problem(32, nu, w0, 1.0, 41));
  // Simpson's rule over the 41 snapshots for int P dt and int Z dt.
  double int_p = 0, int_z = 0;
  const double h = r.times[1] - r.times[0];
  for (std::size_t s = 0; s < r.times.size(); ++s) {
    const double w = (s == 0 || s + 1 == r.times.size()) ? 1 : (s % 2 ? 4 : 2);
    int_p += w * h / 3 * r.palinstrophy[s];
    int_z += w * h / 3 * r.enstrophy[s];
    if (s > 0) {
      EXPECT_LT(r.enstrophy[s], r.enstrophy[s - 1]) << "enstrophy grew at t = " << r.times[s];
    }
  }
  const double dz = r.enstrophy.back() - r.enstrophy.front(), de = r.energy.back() - r.energy.front();
  if (Communicator::world().is_root())
    std::printf("[ viscous ] Z %.4f -> %.4f (change %.4e, -2 nu int P %.4e); E change %.4e, -2 nu int Z %.4e\n",
                r.enstrophy.front(), r.enstrophy.back(), dz, -2 * nu * int_p, de, -2 * nu * int_z);
  EXPECT_NEAR(dz, -2 * nu * int_p, 1e-3 * std::abs(dz));
  EXPECT_NEAR(de, -2 * nu * int_z, 1e-3 * std::abs(de));
}

TEST(NsVorticity, DeterministicAndOptionsSelectTheScheme) {
  const auto w0 = on_grid([](const double* x) { return std::sin(2 * pi * x[0]) + std::cos(4 * pi * x[1]); }, 16);
  NsVorticityProblem p = make_problem(16, 1e-3, w0, 0.5, 3);
  const NsVorticitySolution a = npde::reference::solve_ns_vorticity(p), b = npde::reference::solve_ns_vorticity(p);
  EXPECT_EQ(a.w, b.w);
  p.petsc_options = "-ts_type ssp";
  const NsVorticitySolution c = npde::reference::solve_ns_vorticity(p);
  EXPECT_EQ(c.ts_type, "ssp");
  EXPECT_LE(max_difference(a.w, c.w), 1e-4 * max_abs(w0));
  p.petsc_options = "-ts_type no_such_scheme";
  EXPECT_THROW(npde::reference::solve_ns_vorticity(p), npde::Error);
  EXPECT_EQ(npde::reference::solve_ns_vorticity(make_problem(16, 1e-3, w0, 0.1, 2)).ts_type, "rk 4");
}

TEST(NsVorticity, InvalidProblemsThrow) {
  const std::vector<double> w0(16 * 16, 0.0);
  EXPECT_THROW(npde::reference::solve_ns_vorticity(make_problem(15, 1e-3, std::vector<double>(225), 1, 2)), npde::Error);
  EXPECT_THROW(npde::reference::solve_ns_vorticity(make_problem(16, 1e-3, std::vector<double>(10), 1, 2)), npde::Error);
  EXPECT_THROW(npde::reference::solve_ns_vorticity(make_problem(16, -1, w0, 1, 2)), npde::Error);
  NsVorticityProblem p = make_problem(16, 1e-3, w0, 1, 2);
  p.output_times = {0.5, 0.2};
  EXPECT_THROW(npde::reference::solve_ns_vorticity(p), npde::Error);
  p.output_times = {2.0};
  EXPECT_THROW(npde::reference::solve_ns_vorticity(p), npde::Error);
  // A forcing callback that throws becomes an npde::Error, not a crash.
  p = make_problem(16, 1e-3, w0, 1, 2);
  p.forcing = [](const double*, double) -> double { throw std::runtime_error("forcing refused"); };
  EXPECT_THROW(npde::reference::solve_ns_vorticity(p), npde::Error);
}

}  // namespace
