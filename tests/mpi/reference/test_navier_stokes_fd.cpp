// SPDX-License-Identifier: BSD-3-Clause
// Steady Navier-Stokes reference: Kovasznay convergence order, Ghia cavity profiles, rank independence, errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "npde/core/error.hpp"
#include "npde/decomp/communicator.hpp"
#include "npde/reference/navier_stokes_fd.hpp"
#include "npde/reference/petsc_env.hpp"
#include "npde/reference/poisson_fd.hpp"

namespace {

using npde::decomp::Communicator;
using npde::reference::NavierStokesFdProblem;
using npde::reference::NavierStokesFdSolution;

const double kovasznay_lower[2] = {-0.5, -0.5}, kovasznay_upper[2] = {1.0, 1.5};

struct Errors {
  double u, v, p;
};

// Relative L2 errors at the nodes against the exact Kovasznay flow, p shifted to the exact mean.
Errors kovasznay_errors(const NavierStokesFdSolution& s, double re) {
  const int nx = s.grid[0], ny = s.grid[1];
  std::vector<double> u, v, p;
  for (int j = 0; j < ny; ++j)
    for (int i = 0; i < nx; ++i) {
      const double x[2] = {kovasznay_lower[0] + (kovasznay_upper[0] - kovasznay_lower[0]) * i / (nx - 1.0),
                           kovasznay_lower[1] + (kovasznay_upper[1] - kovasznay_lower[1]) * j / (ny - 1.0)};
      double uvp[3];
      npde::reference::kovasznay_exact(re, x, uvp);
      u.push_back(uvp[0]), v.push_back(uvp[1]), p.push_back(uvp[2]);
    }
  double shift = 0;
  for (std::size_t k = 0; k < p.size(); ++k) shift += (p[k] - s.p[k]) / static_cast<double>(p.size());
  std::vector<double> p_shifted = s.p;
  for (double& value : p_shifted) value += shift;
  return {npde::reference::relative_l2(s.u, u), npde::reference::relative_l2(s.v, v),
          npde::reference::relative_l2(p_shifted, p)};
}

double max_abs_difference(const std::vector<double>& a, const std::vector<double>& b) {
  double worst = 0;
  for (std::size_t k = 0; k < a.size(); ++k) worst = std::max(worst, std::abs(a[k] - b[k]));
  return worst;
}

TEST(NavierStokesFd, KovasznaySecondOrder) {
  const Communicator world = Communicator::world();
  const double re = 40;
  // h = 1/12, 1/24, 1/48 on [-0.5, 1] x [-0.5, 1.5].
  const std::vector<std::vector<int>> grids = {{19, 25}, {37, 49}, {73, 97}};
  std::vector<Errors> errors;
  for (const auto& g : grids) {
    const auto s = npde::reference::solve_navier_stokes_fd(
        world, npde::reference::kovasznay_problem(g, re, kovasznay_lower, kovasznay_upper));
    errors.push_back(kovasznay_errors(s, re));
    if (world.is_root())
      std::printf("[ Kovasznay Re 40 ] %dx%d: rel L2 u %.3e v %.3e p %.3e (%d Newton, %.2f s)\n", g[0], g[1],
                  errors.back().u, errors.back().v, errors.back().p, s.snes_iterations, s.seconds);
  }
  for (std::size_t l = 0; l + 1 < errors.size(); ++l) {
    const double order_u = std::log2(errors[l].u / errors[l + 1].u);
    const double order_v = std::log2(errors[l].v / errors[l + 1].v);
    const double order_p = std::log2(errors[l].p / errors[l + 1].p);
    if (world.is_root()) std::printf("[ Kovasznay Re 40 ] orders u %.3f v %.3f p %.3f\n", order_u, order_v, order_p);
    EXPECT_GE(order_u, 1.8) << "refinement " << l;
    EXPECT_GE(order_v, 1.8) << "refinement " << l;
    EXPECT_GE(order_p, 1.7) << "refinement " << l;
    EXPECT_LE(order_u, 2.3) << "refinement " << l;
  }
  EXPECT_LT(errors.back().u, 1e-2);
}

TEST(NavierStokesFd, CavityRe100MatchesGhia) {
  const Communicator world = Communicator::world();
  const std::string dir = NPDE_TEST_DATA_DIR;
  const auto u_table = npde::reference::read_centreline_table(dir + "/ghia1982_u_vertical_centreline.csv");
  const auto v_table = npde::reference::read_centreline_table(dir + "/ghia1982_v_horizontal_centreline.csv");
  ASSERT_EQ(u_table.coord.size(), 17u);
  ASSERT_EQ(v_table.coord.size(), 17u);
  const std::vector<int> grid = {65, 65};
  const auto s = npde::reference::solve_navier_stokes_fd(world, npde::reference::cavity_problem(grid, 100));
  const double du = npde::reference::max_centreline_deviation(u_table, 100, true, s.u, grid);
  const double dv = npde::reference::max_centreline_deviation(v_table, 100, false, s.v, grid);
  if (world.is_root())
    std::printf("[ cavity Re 100 65x65 ] max |u - Ghia| %.4f, max |v - Ghia| %.4f (%d Newton, %.2f s)\n", du, dv,
                s.snes_iterations, s.seconds);
  // Measured 0.0053 / 0.0086 at 65x65 (0.0049 / 0.0091 at 129x129, the rest being mostly Ghia's
  // own discretisation error); the bounds leave ~40 % for other platforms' round-off and MUMPS.
  EXPECT_LT(du, 0.0075);
  EXPECT_LT(dv, 0.012);
  // Without continuation Re = 100 is one stage.
  EXPECT_EQ(s.stages.size(), 1u);
}

// The deck grids (129 x 129, Ghia's own) at Re = 100, 400, 1000 with continuation: about a minute,
// so not part of ctest. Run with --gtest_also_run_disabled_tests; the numbers are in the docs.
TEST(NavierStokesFd, DISABLED_CavityGhiaAtDeckGrids) {
  const Communicator world = Communicator::world();
  const std::string dir = NPDE_TEST_DATA_DIR;
  const auto u_table = npde::reference::read_centreline_table(dir + "/ghia1982_u_vertical_centreline.csv");
  const auto v_table = npde::reference::read_centreline_table(dir + "/ghia1982_v_horizontal_centreline.csv");
  for (int n : {65, 129})
    for (double re : {100.0, 400.0, 1000.0}) {
      const std::vector<int> grid = {n, n};
      const auto s = npde::reference::solve_navier_stokes_fd(world, npde::reference::cavity_problem(grid, re));
      const double du = npde::reference::max_centreline_deviation(u_table, re, true, s.u, grid);
      const auto v_dev = npde::reference::centreline_deviations(v_table, re, false, s.v, grid);
      // Table II's Re = 400 entry at x = 0.9063 (-0.23827) is out of line with its neighbours (a
      // misprint, see the CSV); it is reported but left out of the maximum.
      double dv = 0, dv_misprint = 0;
      for (std::size_t k = 0; k < v_dev.size(); ++k) {
        const bool misprint = re == 400 && std::abs(v_table.coord[k] - 0.9063) < 1e-9;
        (misprint ? dv_misprint : dv) = std::max(misprint ? dv_misprint : dv, std::abs(v_dev[k]));
      }
      if (world.is_root()) {
        std::printf("[ cavity Re %g %dx%d ] max |u - Ghia| %.4f, max |v - Ghia| %.4f (%d Newton, %.2f s)\n", re, n, n,
                    du, dv, s.snes_iterations, s.seconds);
        if (re == 400) std::printf("[ cavity Re 400 %dx%d ] |v - Ghia| at x = 0.9063: %.4f\n", n, n, dv_misprint);
        const auto u_dev = npde::reference::centreline_deviations(u_table, re, true, s.u, grid);
        for (std::size_t k = 0; k < u_dev.size(); ++k)
          std::printf("    y %.4f du %+.4f   x %.4f dv %+.4f\n", u_table.coord[k], u_dev[k], v_table.coord[k], v_dev[k]);
      }
      EXPECT_LT(std::max(du, dv), 0.05) << "Re " << re;
    }
}

TEST(NavierStokesFd, SameResultOnAllRanksAsOnOneRank) {
  const Communicator world = Communicator::world();
  const std::vector<int> grid = {21, 17};
  NavierStokesFdProblem p = npde::reference::cavity_problem(grid, 300);
  p.continuation = {100};
  const auto all = npde::reference::solve_navier_stokes_fd(world, p);
  const auto one = npde::reference::solve_navier_stokes_fd(Communicator::self(), p);
  ASSERT_EQ(all.stages.size(), 2u);
  const double du = max_abs_difference(all.u, one.u), dv = max_abs_difference(all.v, one.v),
               dp = max_abs_difference(all.p, one.p);
  if (world.is_root())
    std::printf("[ cavity 21x17 Re 100->300 ] %d ranks vs 1: max diff u %.1e v %.1e p %.1e\n", world.size(), du, dv,
                dp);
  EXPECT_LE(std::max({du, dv, dp}), 1e-8);
}

TEST(NavierStokesFd, WallNodesCarryTheBoundaryData) {
  const std::vector<int> grid = {9, 11};
  const auto s = npde::reference::solve_navier_stokes_fd(Communicator::world(),
                                                         npde::reference::cavity_problem(grid, 10));
  for (int i = 0; i < grid[0]; ++i) {
    const double lid = (i == 0 || i == grid[0] - 1) ? 0.0 : 1.0;
    EXPECT_EQ(s.u[static_cast<std::size_t>(grid[1] - 1) * grid[0] + i], lid) << i;
    EXPECT_EQ(s.u[i], 0.0) << i;
    EXPECT_EQ(s.v[i], 0.0) << i;
  }
  double mean = 0;
  for (double value : s.p) mean += value / static_cast<double>(s.p.size());
  EXPECT_NEAR(mean, 0.0, 1e-12);
}

TEST(NavierStokesFd, PerSolveOptionsApplyAndDoNotLeak) {
  const Communicator world = Communicator::world();
  NavierStokesFdProblem p = npde::reference::cavity_problem({17, 17}, 100);
  p.petsc_options = "-snes_max_it 1";
  EXPECT_THROW(npde::reference::solve_navier_stokes_fd(world, p), npde::Error);
  p.petsc_options = "-ksp_type fgmres";
  const auto s = npde::reference::solve_navier_stokes_fd(world, p);
  EXPECT_NE(s.solver.find("fgmres"), std::string::npos) << s.solver;
  p.petsc_options = "";
  const auto d = npde::reference::solve_navier_stokes_fd(world, p);
  EXPECT_NE(d.solver.find("newtonls + KSP gmres/lu"), std::string::npos) << d.solver;
  EXPECT_GT(d.snes_iterations, 1);
}

TEST(NavierStokesFd, InvalidProblemsThrow) {
  const Communicator world = Communicator::world();
  EXPECT_THROW(npde::reference::solve_navier_stokes_fd(world, npde::reference::cavity_problem({4, 9}, 100)),
               npde::Error);
  EXPECT_THROW(npde::reference::solve_navier_stokes_fd(world, npde::reference::cavity_problem({9}, 100)), npde::Error);
  EXPECT_THROW(npde::reference::solve_navier_stokes_fd(world, npde::reference::cavity_problem({9, 9}, -1)),
               npde::Error);
  EXPECT_THROW(npde::reference::read_centreline_table("/nonexistent/table.csv"), npde::Error);
}

}  // namespace
