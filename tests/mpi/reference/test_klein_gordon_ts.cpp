// SPDX-License-Identifier: BSD-3-Clause
// Klein-Gordon TS reference: error against a manufactured solution, convergence order, rank independence.
#include <gtest/gtest.h>

#include <cmath>
#include <algorithm>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include "npde/core/error.hpp"
#include "npde/decomp/communicator.hpp"
#include "npde/reference/grid_solution.hpp"
#include "npde/reference/klein_gordon_ts.hpp"
#include "npde/reference/petsc_env.hpp"

namespace {

using npde::decomp::Communicator;
using npde::reference::GridSolution;
using npde::reference::KleinGordonProblem;

const double pi = std::acos(-1.0);

// The benchmark of the PINN literature: u = x cos(5 pi t) + (x t)^3 on [0, 1]^2. Its x-dependence is
// cubic, which central differences differentiate exactly, so the error left is the time error.
double exact(double x, double t, double = 1, double = 1) { return x * std::cos(5 * pi * t) + std::pow(x * t, 3); }

KleinGordonProblem benchmark(int grid, double c = 1, double gamma = 1, const std::string& options = "") {
  KleinGordonProblem p;
  p.grid = grid;
  p.wave_speed = c;
  p.cubic = gamma;
  p.snapshots = 5;
  p.petsc_options = options;
  p.source = [c, gamma](double x, double t) {
    const double u = exact(x, t);
    const double u_tt = -25 * pi * pi * x * std::cos(5 * pi * t) + 6 * x * x * x * t;
    const double u_xx = 6 * x * t * t * t;
    return u_tt - c * c * u_xx + gamma * u * u * u;
  };
  p.initial = [](double x) { return x; };
  p.initial_rate = [](double) { return 0.0; };
  p.boundary_lower = [](double t) { return exact(0, t); };
  p.boundary_upper = [](double t) { return exact(1, t); };
  return p;
}

// Largest pointwise error over all snapshots and grid points.
double max_error(const GridSolution& s, double (*u)(double, double, double, double)) {
  const auto& x = s.axes[0];
  const auto& values = s.fields[0].second;
  double e = 0;
  for (std::size_t k = 0; k < s.series.size(); ++k)
    for (std::size_t i = 0; i < x.size(); ++i)
      e = std::max(e, std::abs(values[k * x.size() + i] - u(x[i], s.series[k], 1, 1)));
  return e;
}

void print(const char* name, int grid, double error, double order) {
  if (Communicator::world().is_root())
    std::printf("[ %s ] grid %d: max error %.3e, observed order %.3f\n", name, grid, error, order);
}

TEST(KleinGordonTs, LayoutAndSnapshots) {
  const GridSolution s = npde::reference::solve_klein_gordon_ts(Communicator::world(), benchmark(33));
  ASSERT_EQ(s.dim(), 1);
  ASSERT_EQ(s.axes[0].size(), 33u);
  EXPECT_DOUBLE_EQ(s.axes[0].front(), 0.0);
  EXPECT_DOUBLE_EQ(s.axes[0].back(), 1.0);
  EXPECT_EQ(s.series_kind, "time");
  ASSERT_EQ(s.series.size(), 5u);
  EXPECT_DOUBLE_EQ(s.series.front(), 0.0);
  EXPECT_DOUBLE_EQ(s.series[2], 0.5);
  EXPECT_DOUBLE_EQ(s.series.back(), 1.0);
  ASSERT_EQ(s.fields.size(), 1u);
  EXPECT_EQ(s.fields[0].first, "u");
  ASSERT_EQ(s.fields[0].second.size(), 5u * 33u);
  // Default step 0.5 h = 1/64 divides the snapshot interval 1/4 exactly: 16 steps each.
  double steps = 0, dt = 0;
  for (const auto& [key, value] : s.summary) {
    if (key == "time_steps") steps = value;
    if (key == "time_step") dt = value;
  }
  EXPECT_DOUBLE_EQ(dt, 1.0 / 64);
  EXPECT_EQ(steps, 64);
  // The initial snapshot is the initial condition itself.
  for (std::size_t i = 0; i < 33; ++i) EXPECT_DOUBLE_EQ(s.fields[0].second[i], s.axes[0][i]);
}

TEST(KleinGordonTs, SecondOrderWithStepProportionalToGrid) {
  const int grids[] = {33, 65, 129};
  double previous = 0;
  for (int grid : grids) {
    const double e = max_error(npde::reference::solve_klein_gordon_ts(Communicator::world(), benchmark(grid)), exact);
    if (previous > 0) {
      const double order = std::log2(previous / e);
      print("cn", grid, e, order);
      EXPECT_GE(order, 1.8);
      EXPECT_LE(order, 2.3);
    }
    previous = e;
  }
}

// A solution that is not a cubic in x, so the space error counts too: u = sin(pi x) cos(2 pi t) with
// c = 2, the standing wave of the linear equation, plus the cubic term moved into the source.
double standing(double x, double t, double, double) { return std::sin(pi * x) * std::cos(2 * pi * t); }

TEST(KleinGordonTs, SecondOrderInSpaceWithFourthOrderTime) {
  double previous = 0;
  for (int grid : {17, 33, 65}) {
    KleinGordonProblem p = benchmark(grid, 2.0, 1.0, "-ts_type rk -ts_rk_type 4");
    p.source = [](double x, double t) { return std::pow(standing(x, t, 0, 0), 3); };
    p.initial = [](double x) { return std::sin(pi * x); };
    p.boundary_lower = p.boundary_upper = [](double) { return 0.0; };
    const GridSolution s = npde::reference::solve_klein_gordon_ts(Communicator::world(), p);
    const double e = max_error(s, standing);
    EXPECT_NE(s.summary_text[0].second.find("rk"), std::string::npos) << s.summary_text[0].second;
    if (previous > 0) {
      const double order = std::log2(previous / e);
      print("rk4 standing wave", grid, e, order);
      EXPECT_GE(order, 1.8);
      EXPECT_LE(order, 2.3);
    }
    previous = e;
  }
}

TEST(KleinGordonTs, ErrorAgainstExactOnTheDeckGrid) {
  KleinGordonProblem p = benchmark(129);
  p.time_step = 1.0 / 512;
  const GridSolution s = npde::reference::solve_klein_gordon_ts(Communicator::world(), p);
  const double e = max_error(s, exact);
  if (Communicator::world().is_root()) std::printf("[ cn dt 1/512 ] grid 129: max error %.3e\n", e);
  EXPECT_LT(e, 2e-3);
}

// Rank independence: the same problem on one rank (self) and on all ranks agrees to solver tolerance.
TEST(KleinGordonTs, SameResultOnOneRankAndOnAll) {
  const KleinGordonProblem p = benchmark(65);
  const GridSolution all = npde::reference::solve_klein_gordon_ts(Communicator::world(), p);
  const GridSolution one = npde::reference::solve_klein_gordon_ts(Communicator::self(), p);
  ASSERT_EQ(all.fields[0].second.size(), one.fields[0].second.size());
  double diff = 0;
  for (std::size_t l = 0; l < one.fields[0].second.size(); ++l)
    diff = std::max(diff, std::abs(all.fields[0].second[l] - one.fields[0].second[l]));
  if (Communicator::world().is_root()) std::printf("[ ranks ] max |u_all - u_one| = %.2e\n", diff);
  EXPECT_LT(diff, 1e-9);
}

TEST(KleinGordonTs, RejectsBadProblemsAndThrowingCallbacks) {
  KleinGordonProblem p = benchmark(3);
  EXPECT_THROW(npde::reference::solve_klein_gordon_ts(Communicator::world(), p), npde::Error);
  p = benchmark(33);
  p.snapshots = 1;
  EXPECT_THROW(npde::reference::solve_klein_gordon_ts(Communicator::world(), p), npde::Error);
  p = benchmark(33);
  // Throws on rank 0's part of the grid only; every rank must still get the exception.
  p.source = [](double x, double t) -> double {
    if (x < 0.2 && t > 0.3) throw std::runtime_error("bad source");
    return 0.0;
  };
  try {
    npde::reference::solve_klein_gordon_ts(Communicator::world(), p);
    ADD_FAILURE() << "no exception";
  } catch (const npde::Error& e) {
    if (Communicator::world().is_root()) {
      EXPECT_NE(std::string(e.what()).find("bad source"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
