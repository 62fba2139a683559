// SPDX-License-Identifier: BSD-3-Clause
// Heat / diffusion-reaction TS reference: orders in space, time and jointly, snapshots, rank independence.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "npde/core/error.hpp"
#include "npde/decomp/communicator.hpp"
#include "npde/reference/heat_ts.hpp"
#include "npde/reference/petsc_env.hpp"
#include "npde/reference/poisson_fd.hpp"

namespace {

using npde::decomp::Communicator;
using npde::reference::GridSolution;
using npde::reference::HeatTsProblem;
using TimeField = std::function<double(const double*, double)>;

const double pi = std::acos(-1.0);

// A problem with its exact solution u(x, t).
struct Case {
  HeatTsProblem problem;
  TimeField exact;
};

// The 1D benchmark on [-pi, pi] x [0, 1]: u = e^{-t} (sin x + sin 2x/2 + sin 3x/3 + sin 4x/4 + sin 8x/8).
Case benchmark_1d(int n) {
  Case c;
  c.exact = [](const double* x, double t) {
    const double s = std::sin(x[0]) + std::sin(2 * x[0]) / 2 + std::sin(3 * x[0]) / 3 + std::sin(4 * x[0]) / 4 +
                     std::sin(8 * x[0]) / 8;
    return std::exp(-t) * s;
  };
  HeatTsProblem& p = c.problem;
  p.dim = 1;
  p.lower[0] = -pi, p.upper[0] = pi;
  p.grid = {n};
  p.t_start = 0, p.t_end = 1;
  p.snapshots = 11;
  p.source = [](const double* x, double t) {
    return std::exp(-t) * (1.5 * std::sin(2 * x[0]) + 8.0 / 3 * std::sin(3 * x[0]) + 3.75 * std::sin(4 * x[0]) +
                           63.0 / 8 * std::sin(8 * x[0]));
  };
  p.boundary = c.exact;
  const TimeField u = c.exact;
  p.initial = [u](const double* x) { return u(x, 0.0); };
  return c;
}

// 2D on [0,1]^2 with D = 1/2 and time-dependent boundary data: u = e^{-t} sin(pi x) sin(pi y) +
// cos(t) (x^2 - y^2), so f = u_t - D Lap u = (pi^2 - 1) e^{-t} sin sin - sin(t) (x^2 - y^2).
Case manufactured_2d(int n) {
  Case c;
  c.exact = [](const double* x, double t) {
    return std::exp(-t) * std::sin(pi * x[0]) * std::sin(pi * x[1]) + std::cos(t) * (x[0] * x[0] - x[1] * x[1]);
  };
  HeatTsProblem& p = c.problem;
  p.dim = 2;
  p.grid = {n, n};
  p.diffusivity = 0.5;
  p.t_start = 0, p.t_end = 1;
  p.snapshots = 5;
  p.source = [](const double* x, double t) {
    return (pi * pi - 1) * std::exp(-t) * std::sin(pi * x[0]) * std::sin(pi * x[1]) -
           std::sin(t) * (x[0] * x[0] - x[1] * x[1]);
  };
  p.boundary = c.exact;
  const TimeField u = c.exact;
  p.initial = [u](const double* x) { return u(x, 0.0); };
  return c;
}

// Linear reaction: u_t = D u_xx - r u + f on [0, pi], u = e^{-t} sin x + t, f = (D + r - 1) e^{-t} sin x + 1 + r t.
Case reaction_1d(int n) {
  Case c;
  const double D = 0.7, r = 2.5;
  c.exact = [](const double* x, double t) { return std::exp(-t) * std::sin(x[0]) + t; };
  HeatTsProblem& p = c.problem;
  p.dim = 1;
  p.lower[0] = 0, p.upper[0] = pi;
  p.grid = {n};
  p.diffusivity = D, p.reaction = r;
  p.t_start = 0.5, p.t_end = 1.5;
  p.snapshots = 3;
  p.source = [D, r](const double* x, double t) { return (D + r - 1) * std::exp(-t) * std::sin(x[0]) + 1 + r * t; };
  p.boundary = c.exact;
  p.initial = [](const double* x) { return std::exp(-0.5) * std::sin(x[0]) + 0.5; };
  return c;
}

std::vector<double> last_snapshot(const GridSolution& s) {
  const auto& u = s.fields.at(0).second;
  return std::vector<double>(u.end() - static_cast<std::ptrdiff_t>(s.n_points()), u.end());
}

std::vector<double> exact_at(const Case& c, const GridSolution& s, double t) {
  std::vector<double> values;
  const std::size_t nx = s.axes[0].size(), ny = s.dim() > 1 ? s.axes[1].size() : 1;
  for (std::size_t j = 0; j < ny; ++j)
    for (std::size_t i = 0; i < nx; ++i) {
      const double x[2] = {s.axes[0][i], s.dim() > 1 ? s.axes[1][j] : 0.0};
      values.push_back(c.exact(x, t));
    }
  return values;
}

double summary(const GridSolution& s, const std::string& key) {
  for (const auto& [name, value] : s.summary)
    if (name == key) return value;
  ADD_FAILURE() << "no summary entry " << key;
  return NAN;
}

GridSolution solve(Case c, double dt = 0, const Communicator& comm = Communicator::world()) {
  c.problem.time_step = dt;
  return npde::reference::solve_heat_ts(comm, c.problem);
}

double final_error(const Case& c, const GridSolution& s) {
  return npde::reference::relative_l2(last_snapshot(s), exact_at(c, s, c.problem.t_end));
}

void expect_orders(const std::vector<double>& errors, const char* name) {
  for (std::size_t l = 0; l + 1 < errors.size(); ++l) {
    const double order = std::log2(errors[l] / errors[l + 1]);
    if (Communicator::world().is_root())
      std::printf("[ %s ] error %.3e -> %.3e, observed order %.3f\n", name, errors[l], errors[l + 1], order);
    EXPECT_GE(order, 1.8) << name << " refinement " << l;
    EXPECT_LE(order, 2.3) << name << " refinement " << l;
  }
}

TEST(HeatTs, Benchmark1DSecondOrderInSpace) {
  std::vector<double> errors;
  for (int n : {33, 65, 129}) {
    const Case c = benchmark_1d(n);
    const GridSolution s = solve(c, 2e-3);
    errors.push_back(final_error(c, s));
  }
  expect_orders(errors, "1D benchmark, space, dt = 2e-3");
}

// The time error alone: each run against a run with dt / 64 on the same grid. Steps start at 0.05:
// with dt = 0.1 the sin 8x mode (eigenvalue 64, 64 dt = 6.4) is still pre-asymptotic (order 1.7).
TEST(HeatTs, Benchmark1DSecondOrderInTime) {
  const Case c = benchmark_1d(129);
  const std::vector<double> fine = last_snapshot(solve(c, 0.05 / 64));
  std::vector<double> errors;
  for (double dt : {0.05, 0.025, 0.0125}) errors.push_back(npde::reference::relative_l2(last_snapshot(solve(c, dt)), fine));
  expect_orders(errors, "1D benchmark, time, 129 points");
}

// Default step (dt ~ h): both errors shrink together, and the 257-point deck grid is accurate.
TEST(HeatTs, Benchmark1DJointOrderWithDefaultStep) {
  std::vector<double> errors;
  for (int n : {65, 129, 257}) {
    const Case c = benchmark_1d(n);
    const GridSolution s = solve(c);
    errors.push_back(final_error(c, s));
    if (Communicator::world().is_root())
      std::printf("[ 1D benchmark %d ] dt %.4g, %g steps, rel L2(t=1) %.3e, %.3f s\n", n, summary(s, "dt"),
                  summary(s, "time_steps"), errors.back(), summary(s, "seconds"));
  }
  expect_orders(errors, "1D benchmark, dt ~ h");
  EXPECT_LE(errors.back(), 1e-3);
}

TEST(HeatTs, Manufactured2DJointOrderWithTimeDependentBoundary) {
  std::vector<double> errors;
  for (int n : {17, 33, 65}) {
    const Case c = manufactured_2d(n);
    const GridSolution s = solve(c);
    errors.push_back(final_error(c, s));
    if (Communicator::world().is_root())
      std::printf("[ 2D %dx%d ] dt %.4g, %g steps, %g linear its, rel L2(t=1) %.3e, %.3f s\n", n, n, summary(s, "dt"),
                  summary(s, "time_steps"), summary(s, "linear_iterations"), errors.back(), summary(s, "seconds"));
  }
  expect_orders(errors, "2D manufactured, dt ~ h");
}

// Space order with the reaction term in both residual and Jacobian; dt small enough that the time
// error (which partly cancels the space error here and blurs a joint order) stays below 1 %.
TEST(HeatTs, LinearReactionTermIsSecondOrder) {
  std::vector<double> errors;
  for (int n : {9, 17, 33}) {
    const Case c = reaction_1d(n);
    errors.push_back(final_error(c, solve(c, 2.5e-3)));
  }
  expect_orders(errors, "1D diffusion-reaction, space, dt = 2.5e-3");
}

TEST(HeatTs, SnapshotsAreEvenlySpacedAndStartWithTheInitialData) {
  Case c = manufactured_2d(17);
  c.problem.t_start = 0.25, c.problem.t_end = 1.25, c.problem.snapshots = 6;
  const TimeField u = c.exact;
  c.problem.initial = [u](const double* x) { return u(x, 0.25); };
  const GridSolution s = solve(c, 0.03);
  EXPECT_EQ(s.series_kind, "time");
  ASSERT_EQ(s.series.size(), 6u);
  for (int k = 0; k < 6; ++k) EXPECT_NEAR(s.series[k], 0.25 + 0.2 * k, 1e-12);
  EXPECT_EQ(s.series.back(), 1.25);
  // 0.2 / 0.03 -> 7 steps per interval, dt = 0.2 / 7 <= 0.03.
  EXPECT_EQ(summary(s, "time_steps"), 35.0);
  EXPECT_NEAR(summary(s, "dt"), 0.2 / 7, 1e-15);
  ASSERT_EQ(s.fields.at(0).second.size(), 6 * s.n_points());
  const std::vector<double> first(s.fields[0].second.begin(),
                                  s.fields[0].second.begin() + static_cast<std::ptrdiff_t>(s.n_points()));
  EXPECT_LE(npde::reference::relative_l2(first, exact_at(c, s, 0.25)), 1e-14);
  // Every snapshot is close to the exact solution at its time.
  for (int k = 1; k < 6; ++k) {
    const std::vector<double> snap(
        s.fields[0].second.begin() + static_cast<std::ptrdiff_t>(k * s.n_points()),
        s.fields[0].second.begin() + static_cast<std::ptrdiff_t>((k + 1) * s.n_points()));
    EXPECT_LE(npde::reference::relative_l2(snap, exact_at(c, s, s.series[k])), 1e-2) << "snapshot " << k;
  }
}

TEST(HeatTs, SameResultOnAllRanksAsOnOneRank) {
  const Communicator world = Communicator::world();
  for (const Case& c : {benchmark_1d(65), manufactured_2d(33)}) {
    const auto all = solve(c, 0, world).fields[0].second;
    const auto one = solve(c, 0, Communicator::self()).fields[0].second;
    ASSERT_EQ(all.size(), one.size());
    double difference = 0;
    for (std::size_t l = 0; l < all.size(); ++l) difference = std::max(difference, std::abs(all[l] - one[l]));
    if (world.is_root())
      std::printf("[ %dD ] max |u(%d ranks) - u(1 rank)| over all snapshots = %.2e\n", c.problem.dim, world.size(),
                  difference);
    EXPECT_LE(difference, 1e-8);
  }
}

TEST(HeatTs, OptionsSelectCrankNicolsonAndRejectAdaptivity) {
  Case c = manufactured_2d(17);
  c.problem.petsc_options = "-ts_type cn -pc_type jacobi";
  const GridSolution s = solve(c);
  EXPECT_LE(final_error(c, s), 1e-2);
  bool found = false;
  for (const auto& [key, value] : s.summary_text)
    if (key == "ts_type") {
      found = true;
      EXPECT_EQ(value, "cn");
    }
  EXPECT_TRUE(found);
  c.problem.petsc_options = "-ts_adapt_type basic";
  EXPECT_THROW(solve(c), npde::Error);
}

TEST(HeatTs, ProgressIsReportedForEveryStep) {
  Case c = benchmark_1d(33);
  int calls = 0, last = 0, total = 0;
  c.problem.progress = [&](int step, int n_steps, double) {
    ++calls;
    last = step;
    total = n_steps;
  };
  const GridSolution s = solve(c, 0.05);
  EXPECT_EQ(calls, 20);
  EXPECT_EQ(last, 20);
  EXPECT_EQ(total, 20);
  EXPECT_EQ(summary(s, "time_steps"), 20.0);
}

TEST(HeatTs, InvalidProblemsThrow) {
  const Communicator world = Communicator::world();
  Case c = benchmark_1d(2);
  EXPECT_THROW(npde::reference::solve_heat_ts(world, c.problem), npde::Error);
  c = benchmark_1d(17);
  c.problem.snapshots = 1;
  EXPECT_THROW(npde::reference::solve_heat_ts(world, c.problem), npde::Error);
  c = benchmark_1d(17);
  c.problem.t_end = c.problem.t_start;
  EXPECT_THROW(npde::reference::solve_heat_ts(world, c.problem), npde::Error);
  c = benchmark_1d(17);
  c.problem.initial = nullptr;
  EXPECT_THROW(npde::reference::solve_heat_ts(world, c.problem), npde::Error);
}

}  // namespace
