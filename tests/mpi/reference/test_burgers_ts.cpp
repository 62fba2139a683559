// SPDX-License-Identifier: BSD-3-Clause
// Viscous Burgers through the 1D TS solver: Cole-Hopf exact solution, order in space, rank independence.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include "npde/core/error.hpp"
#include "npde/decomp/communicator.hpp"
#include "npde/reference/petsc_env.hpp"
#include "npde/reference/scalar_ts_1d.hpp"

namespace {

using npde::decomp::Communicator;
using npde::reference::GridSolution;
using npde::reference::ScalarTs1dProblem;

// One communicator for the whole file: every solve then reuses the same duplicate of MPI_COMM_WORLD.
const Communicator& world() {
  static const Communicator comm = Communicator::world();
  return comm;
}

const double pi = std::acos(-1.0);
const double nu = 0.01 / pi;

// Cole-Hopf solution of u_t + u u_x = nu u_xx, u(x, 0) = -sin(pi x) (Basdevant et al., Comput.
// Fluids 14 (1986) 23-41): with f(y) = exp(-cos(pi y) / (2 pi nu)) and the heat kernel,
//   u(x, t) = -Int sin(pi (x - e)) f(x - e) exp(-e^2 / (4 nu t)) de / Int f(x - e) exp(-e^2 / (4 nu t)) de.
// Both integrands share the exponent E(e) = -cos(pi (x - e)) / (2 pi nu) - e^2 / (4 nu t), whose
// maximum (up to 1 / (pi nu) = 100 above its value at e = 0) is subtracted before exponentiating.
// Beyond |e| = sqrt(4 nu t * 150) the Gaussian has fallen 50 below any possible maximum; the
// trapezoid rule on the smooth, negligible-at-the-ends integrand converges spectrally.
double cole_hopf(double x, double t, int n_nodes = 6000) {
  if (t <= 0) return -std::sin(pi * x);
  const double range = std::sqrt(4 * nu * t * 150.0), de = 2 * range / n_nodes;
  std::vector<double> exponent(static_cast<std::size_t>(n_nodes) + 1);
  double e_max = -1e300;
  for (int k = 0; k <= n_nodes; ++k) {
    const double e = -range + k * de;
    exponent[k] = -std::cos(pi * (x - e)) / (2 * pi * nu) - e * e / (4 * nu * t);
    e_max = std::max(e_max, exponent[k]);
  }
  double num = 0, den = 0;
  for (int k = 0; k <= n_nodes; ++k) {
    const double e = -range + k * de, w = std::exp(exponent[k] - e_max) * (k == 0 || k == n_nodes ? 0.5 : 1.0);
    num += std::sin(pi * (x - e)) * w;
    den += w;
  }
  return -num / den;
}

ScalarTs1dProblem burgers(int points, double t_end, int snapshots, const std::string& options = "") {
  ScalarTs1dProblem p;
  p.lower = -1, p.upper = 1, p.points = points;
  p.diffusivity = nu, p.advection = 1.0;
  p.initial = [](double x) { return -std::sin(pi * x); };
  p.boundary_lower = [](double) { return 0.0; };
  p.boundary_upper = [](double) { return 0.0; };
  p.t_start = 0, p.t_end = t_end, p.snapshots = snapshots;
  p.petsc_options = options;
  return p;
}

// Relative L2 error of snapshot s against Cole-Hopf at the grid points.
double error_at(const GridSolution& g, std::size_t s) {
  const auto& x = g.axes[0];
  const auto& u = g.fields[0].second;
  double d2 = 0, e2 = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double exact = cole_hopf(x[i], g.series[s]);
    d2 += (u[s * x.size() + i] - exact) * (u[s * x.size() + i] - exact);
    e2 += exact * exact;
  }
  return std::sqrt(d2 / e2);
}

double summary(const GridSolution& g, const std::string& key) {
  for (const auto& [k, v] : g.summary)
    if (k == key) return v;
  throw std::runtime_error("no summary key " + key);
}

TEST(BurgersTs, QuadratureOfColeHopfIsConverged) {
  // Halving the node spacing must not change the exact values: the test's yardstick is sound.
  for (double t : {0.1, 0.5, 1.0})
    for (double x : {-0.7, -0.01, 0.003, 0.4})
      EXPECT_NEAR(cole_hopf(x, t, 6000), cole_hopf(x, t, 12000), 1e-12) << "x = " << x << ", t = " << t;
  // Odd in x, and the front at x = 0 has formed: u(-0.01, 1) is close to the outer value ~0.3.
  EXPECT_NEAR(cole_hopf(0.3, 0.7), -cole_hopf(-0.3, 0.7), 1e-13);
  EXPECT_GT(cole_hopf(-0.02, 1.0), 0.2);
}

TEST(BurgersTs, MatchesColeHopfThroughTheFront) {
  const GridSolution g = npde::reference::solve_scalar_ts_1d(world(), burgers(1025, 1.0, 5));
  ASSERT_EQ(g.series.size(), 5u);
  ASSERT_EQ(g.axes[0].size(), 1025u);
  ASSERT_EQ(g.fields[0].second.size(), 5u * 1025u);
  EXPECT_DOUBLE_EQ(g.series.back(), 1.0);
  for (std::size_t s = 0; s < g.series.size(); ++s) {
    const double error = error_at(g, s);
    if (world().is_root())
      std::printf("[ burgers 1025 ] t = %.2f: rel L2 vs Cole-Hopf %.3e\n", g.series[s], error);
    EXPECT_LT(error, 2e-3) << "t = " << g.series[s];
  }
  if (world().is_root())
    std::printf("[ burgers 1025 ] %s: %.0f steps (%.0f rejected), %.0f Newton, %.0f KSP, %.3f s\n",
                g.summary_text[0].second.c_str(), summary(g, "time_steps"), summary(g, "rejected_steps"),
                summary(g, "snes_iterations"), summary(g, "ksp_iterations"), summary(g, "seconds"));
  // An exact Jacobian keeps Newton at a few iterations per stage (3 implicit stages per step).
  EXPECT_LT(summary(g, "snes_iterations"), 4 * 3 * summary(g, "time_steps"));
}

TEST(BurgersTs, SecondOrderInSpace) {
  // Before the front (t = 0.2, max |u_x| ~ 8.5) and with tight time tolerances, the error is the
  // spatial one; the grids halve h.
  const char* tight = "-ts_rtol 1e-10 -ts_atol 1e-11";
  std::vector<double> errors;
  for (int points : {81, 161, 321}) {
    const GridSolution g = npde::reference::solve_scalar_ts_1d(world(), burgers(points, 0.2, 2, tight));
    errors.push_back(error_at(g, 1));
  }
  for (std::size_t l = 0; l + 1 < errors.size(); ++l) {
    const double order = std::log2(errors[l] / errors[l + 1]);
    if (world().is_root())
      std::printf("[ burgers order ] rel L2 %.3e -> %.3e, observed order %.3f\n", errors[l], errors[l + 1], order);
    EXPECT_GT(order, 1.8);
    EXPECT_LT(order, 2.3);
  }
}

TEST(BurgersTs, SourceAndTimeDependentBoundaryDataConvergeAtSecondOrder) {
  // Manufactured u = exp(-t) sin(pi x) + t x with nu = 0.1: the source and the end values u(+-1) = +-t
  // go through their callbacks; the error at t = 1 must fall by 4 per halving of h.
  const double visc = 0.1;
  auto exact = [](double x, double t) { return std::exp(-t) * std::sin(pi * x) + t * x; };
  std::vector<double> errors;
  for (int points : {65, 129, 257}) {
    ScalarTs1dProblem p = burgers(points, 1.0, 2, "-ts_rtol 1e-10 -ts_atol 1e-11");
    p.diffusivity = visc;
    p.initial = [&](double x) { return exact(x, 0); };
    p.boundary_lower = [](double t) { return -t; };
    p.boundary_upper = [](double t) { return t; };
    p.source = [visc, &exact](double x, double t) {
      const double e = std::exp(-t), u_t = -e * std::sin(pi * x) + x, u_x = pi * e * std::cos(pi * x) + t,
                   u_xx = -pi * pi * e * std::sin(pi * x);
      return u_t + exact(x, t) * u_x - visc * u_xx;
    };
    const GridSolution g = npde::reference::solve_scalar_ts_1d(world(), p);
    double d2 = 0, e2 = 0;
    for (std::size_t i = 0; i < g.axes[0].size(); ++i) {
      const double ex = exact(g.axes[0][i], 1.0), u = g.fields[0].second[g.axes[0].size() + i];
      d2 += (u - ex) * (u - ex), e2 += ex * ex;
    }
    errors.push_back(std::sqrt(d2 / e2));
  }
  for (std::size_t l = 0; l + 1 < errors.size(); ++l) {
    const double order = std::log2(errors[l] / errors[l + 1]);
    if (world().is_root())
      std::printf("[ burgers manufactured ] rel L2 %.3e -> %.3e, observed order %.3f\n", errors[l], errors[l + 1], order);
    EXPECT_GT(order, 1.8);
    EXPECT_LT(order, 2.3);
  }
}

TEST(BurgersTs, SameResultOnOneRankAndOnAll) {
  const auto p = burgers(513, 0.6, 4);
  const GridSolution all = npde::reference::solve_scalar_ts_1d(world(), p);
  const GridSolution one = npde::reference::solve_scalar_ts_1d(Communicator::self(), p);
  ASSERT_EQ(all.fields[0].second.size(), one.fields[0].second.size());
  double diff = 0;
  for (std::size_t l = 0; l < one.fields[0].second.size(); ++l)
    diff = std::max(diff, std::abs(all.fields[0].second[l] - one.fields[0].second[l]));
  if (world().is_root())
    std::printf("[ burgers ranks ] max |u_all - u_self| = %.2e over %d ranks\n", diff, world().size());
  EXPECT_LT(diff, 1e-9);
}

TEST(BurgersTs, FixedStepAgreesWithAdaptive) {
  auto p = burgers(257, 0.3, 4);
  const GridSolution adaptive = npde::reference::solve_scalar_ts_1d(world(), p);
  p.time_step = 1e-3;
  const GridSolution fixed = npde::reference::solve_scalar_ts_1d(world(), p);
  EXPECT_EQ(summary(fixed, "time_steps"), 300);
  double diff = 0;
  for (std::size_t l = 0; l < fixed.fields[0].second.size(); ++l)
    diff = std::max(diff, std::abs(fixed.fields[0].second[l] - adaptive.fields[0].second[l]));
  EXPECT_LT(diff, 1e-4);
}

TEST(BurgersTs, InvalidProblemsAndThrowingCallbacksFailOnEveryRank) {
  auto p = burgers(257, 0.1, 1);
  EXPECT_THROW(npde::reference::solve_scalar_ts_1d(world(), p), npde::Error);
  p = burgers(3, 0.1, 2);
  EXPECT_THROW(npde::reference::solve_scalar_ts_1d(world(), p), npde::Error);
  // A source that fails on the last rank only: every rank must get the exception (no hang).
  p = burgers(65, 0.1, 2);
  const int last = world().size() - 1, rank = world().rank();
  p.source = [rank, last](double x, double t) -> double {
    if (rank == last && t > 0.05 && x > 0.5) throw std::runtime_error("source failed");
    return 0.0;
  };
  try {
    npde::reference::solve_scalar_ts_1d(world(), p);
    ADD_FAILURE() << "no exception";
  } catch (const npde::Error& e) {
    EXPECT_NE(std::string(e.what()).find("callback threw"), std::string::npos) << e.what();
  }
}

}  // namespace
