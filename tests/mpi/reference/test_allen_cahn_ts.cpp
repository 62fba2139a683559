// SPDX-License-Identifier: BSD-3-Clause
// Allen-Cahn through the 1D TS solver: self-convergence order, maximum principle, symmetry, ranks.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "npde/decomp/communicator.hpp"
#include "npde/reference/petsc_env.hpp"
#include "npde/reference/scalar_ts_1d.hpp"

namespace {

using npde::decomp::Communicator;
using npde::reference::GridSolution;
using npde::reference::ScalarTs1dProblem;

// One communicator for the whole file: every solve reuses the same duplicate of MPI_COMM_WORLD.
const Communicator& world() {
  static const Communicator comm = Communicator::world();
  return comm;
}

const double pi = std::acos(-1.0);

// The two published variants, both from u0 = x^2 cos(pi x) on [-1, 1], t in [0, 1]:
// Dirichlet u(+-1) = -1 with u_t = 0.001 u_xx + 5 (u - u^3) (e.g. Wight & Zhao, arXiv:2007.04542);
// periodic with u_t = 1e-4 u_xx - 5 u^3 + 5 u (Raissi, Perdikaris & Karniadakis, JCP 378 (2019)).
ScalarTs1dProblem allen_cahn(bool periodic, int points, double t_end, int snapshots, const std::string& options = "") {
  ScalarTs1dProblem p;
  p.lower = -1, p.upper = 1, p.points = points, p.periodic = periodic;
  p.diffusivity = periodic ? 1e-4 : 1e-3;
  p.reaction = 5.0;
  p.initial = [](double x) { return x * x * std::cos(pi * x); };
  p.boundary_lower = [](double) { return -1.0; };
  p.boundary_upper = [](double) { return -1.0; };
  p.t_start = 0, p.t_end = t_end, p.snapshots = snapshots;
  p.petsc_options = options;
  return p;
}

// The last snapshot.
std::vector<double> final_state(const GridSolution& g) {
  const std::size_t n = g.axes[0].size();
  return {g.fields[0].second.end() - static_cast<std::ptrdiff_t>(n), g.fields[0].second.end()};
}

// Self-convergence: the grids halve h and nest (coarse point i is fine point 2i), so the differences
// of consecutive solutions at the coarse points shrink by 2^p for a method of order p.
void expect_second_order(bool periodic, const std::vector<int>& grids, double t_end, const char* name) {
  const char* tight = "-ts_rtol 1e-9 -ts_atol 1e-10";
  std::vector<std::vector<double>> u;
  for (int points : grids)
    u.push_back(final_state(npde::reference::solve_scalar_ts_1d(world(), allen_cahn(periodic, points, t_end, 2, tight))));
  std::vector<double> diffs;
  for (std::size_t l = 0; l + 1 < u.size(); ++l) {
    double d2 = 0;
    for (std::size_t i = 0; i < u[l].size(); ++i) d2 += std::pow(u[l][i] - u[l + 1][2 * i], 2);
    diffs.push_back(std::sqrt(d2 / u[l].size()));
  }
  for (std::size_t l = 0; l + 1 < diffs.size(); ++l) {
    const double order = std::log2(diffs[l] / diffs[l + 1]);
    if (world().is_root())
      std::printf("[ %s ] grids %d/%d/%d: rms differences %.3e, %.3e, observed order %.3f\n", name, grids[l],
                  grids[l + 1], grids[l + 2], diffs[l], diffs[l + 1], order);
    EXPECT_GT(order, 1.8) << name;
    EXPECT_LT(order, 2.3) << name;
  }
}

TEST(AllenCahnTs, DirichletSecondOrderBySelfConvergence) {
  expect_second_order(false, {257, 513, 1025}, 1.0, "allen-cahn dirichlet");
}

TEST(AllenCahnTs, PeriodicSecondOrderBySelfConvergence) {
  expect_second_order(true, {512, 1024, 2048}, 1.0, "allen-cahn periodic");
}

// Both variants: |u| <= 1 (the reaction pushes towards +-1, diffusion averages: a maximum principle
// that the semi-discrete scheme keeps), and the even initial data and boundary data stay even.
void expect_bounded_and_even(bool periodic, int points) {
  const GridSolution g = npde::reference::solve_scalar_ts_1d(world(), allen_cahn(periodic, points, 1.0, 11));
  const auto& x = g.axes[0];
  const auto& u = g.fields[0].second;
  const std::size_t n = x.size();
  double overshoot = 0, asymmetry = 0;
  for (std::size_t s = 0; s < g.series.size(); ++s)
    for (std::size_t i = 0; i < n; ++i) {
      overshoot = std::max(overshoot, std::abs(u[s * n + i]) - 1.0);
      // Mirror of x_i: closed axis n-1-i; periodic axis (x_0 = -1 = x_n) (n - i) mod n.
      const std::size_t mirror = periodic ? (n - i) % n : n - 1 - i;
      asymmetry = std::max(asymmetry, std::abs(u[s * n + i] - u[s * n + mirror]));
    }
  if (world().is_root())
    std::printf("[ allen-cahn %s %d ] %s: max |u| - 1 = %.2e, max |u(x) - u(-x)| = %.2e, %.0f steps, %.3f s\n",
                periodic ? "periodic" : "dirichlet", points, g.summary_text[0].second.c_str(), overshoot, asymmetry,
                g.summary[1].second, g.summary[0].second);
  EXPECT_LT(overshoot, 1e-6);
  EXPECT_LT(asymmetry, 1e-10);
  // The dynamics happened: by t = 1 the middle has switched to the +1 phase in both variants.
  EXPECT_GT(*std::max_element(u.end() - static_cast<std::ptrdiff_t>(n), u.end()), 0.9);
}

TEST(AllenCahnTs, DirichletBoundedAndSymmetric) { expect_bounded_and_even(false, 513); }
TEST(AllenCahnTs, PeriodicBoundedAndSymmetric) { expect_bounded_and_even(true, 1024); }

TEST(AllenCahnTs, SameResultOnOneRankAndOnAll) {
  for (bool periodic : {false, true}) {
    const auto p = allen_cahn(periodic, periodic ? 512 : 257, 1.0, 3);
    const GridSolution all = npde::reference::solve_scalar_ts_1d(world(), p);
    const GridSolution one = npde::reference::solve_scalar_ts_1d(Communicator::self(), p);
    ASSERT_EQ(all.fields[0].second.size(), one.fields[0].second.size());
    double diff = 0;
    for (std::size_t l = 0; l < one.fields[0].second.size(); ++l)
      diff = std::max(diff, std::abs(all.fields[0].second[l] - one.fields[0].second[l]));
    if (world().is_root())
      std::printf("[ allen-cahn %s ranks ] max |u_all - u_self| = %.2e over %d ranks\n",
                  periodic ? "periodic" : "dirichlet", diff, world().size());
    EXPECT_LT(diff, 1e-9);
  }
}

}  // namespace
