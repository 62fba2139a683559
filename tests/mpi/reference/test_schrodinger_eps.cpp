// SPDX-License-Identifier: BSD-3-Clause
// Schroedinger EPS reference: infinite, finite and double wells against analytic spectra; orders; ranks.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "npde/core/error.hpp"
#include "npde/decomp/communicator.hpp"
#include "npde/reference/grid_solution.hpp"
#include "npde/reference/petsc_env.hpp"
#include "npde/reference/schrodinger_eps.hpp"

namespace {

using npde::decomp::Communicator;
using npde::reference::GridSolution;
using npde::reference::SchrodingerProblem;

const double pi = std::acos(-1.0);

// All roots of a continuous f on (lo, hi): sign changes on a fine scan, then bisection.
std::vector<double> roots(const std::function<double(double)>& f, double lo, double hi, int scan = 20000) {
  std::vector<double> found;
  double a = lo, fa = f(lo);
  for (int s = 1; s <= scan; ++s) {
    const double b = lo + (hi - lo) * s / scan, fb = f(b);
    if (fa * fb < 0) {
      double l = a, r = b, fl = fa;
      for (int it = 0; it < 200 && r - l > 1e-15 * r; ++it) {
        const double m = 0.5 * (l + r), fm = f(m);
        (fl * fm <= 0 ? r : l) = m;
        if (fl * fm > 0) fl = fm;
      }
      found.push_back(0.5 * (l + r));
    }
    a = b, fa = fb;
  }
  return found;
}

// Bound states of the well V = 0 on |x| < a/2, V0 outside, on the whole line (k^2 = E,
// kappa^2 = V0 - E): even k tan(k a/2) = kappa, odd -k cot(k a/2) = kappa, each multiplied by the
// cos/sin so they have no poles.
std::vector<double> finite_well_levels(double a, double v0) {
  auto even = [=](double e) {
    const double k = std::sqrt(e), kappa = std::sqrt(v0 - e);
    return k * std::sin(k * a / 2) - kappa * std::cos(k * a / 2);
  };
  auto odd = [=](double e) {
    const double k = std::sqrt(e), kappa = std::sqrt(v0 - e);
    return k * std::cos(k * a / 2) + kappa * std::sin(k * a / 2);
  };
  std::vector<double> levels = roots(even, 1e-12, v0 * (1 - 1e-14));
  for (double e : roots(odd, 1e-12, v0 * (1 - 1e-14))) levels.push_back(e);
  std::sort(levels.begin(), levels.end());
  return levels;
}

// Levels below vb of the box [0, 1] with V = vb on |x - 1/2| < w/2: psi = sin(k x) next to the wall,
// cosh / sinh(kappa (x - 1/2)) under the barrier; matching psi'/psi at x = d = (1 - w)/2 gives
// even k cot(k d) = -kappa tanh(kappa w/2), odd k cot(k d) = -kappa coth(kappa w/2).
std::vector<double> double_well_levels(double w, double vb) {
  const double d = 0.5 * (1 - w);
  auto match = [=](double e, bool odd) {
    const double k = std::sqrt(e), kappa = std::sqrt(vb - e);
    const double t = odd ? 1.0 / std::tanh(kappa * w / 2) : std::tanh(kappa * w / 2);
    return k * std::cos(k * d) + kappa * t * std::sin(k * d);
  };
  std::vector<double> levels = roots([&](double e) { return match(e, false); }, 1e-9, vb * (1 - 1e-14));
  for (double e : roots([&](double e) { return match(e, true); }, 1e-9, vb * (1 - 1e-14))) levels.push_back(e);
  std::sort(levels.begin(), levels.end());
  return levels;
}

SchrodingerProblem finite_well(int grid, bool average) {
  SchrodingerProblem p;
  p.lower = -4, p.upper = 4, p.grid = grid, p.eigenpairs = 3, p.cell_average = average;
  p.potential = [](double x) { return std::abs(x) < 0.5 ? 0.0 : 50.0; };
  return p;
}

SchrodingerProblem double_well(int grid) {
  SchrodingerProblem p;
  p.grid = grid, p.eigenpairs = 4;
  p.potential = [](double x) { return std::abs(x - 0.5) < 0.1 ? 500.0 : 0.0; };
  return p;
}

GridSolution solve(const SchrodingerProblem& p) { return npde::reference::solve_schrodinger_eps(Communicator::world(), p); }

// Largest eigenvalue error of the first exact.size() levels.
double level_error(const GridSolution& s, const std::vector<double>& exact) {
  double e = 0;
  for (std::size_t n = 0; n < exact.size(); ++n) e = std::max(e, std::abs(s.series.at(n) - exact[n]));
  return e;
}

// Observed orders between consecutive grids of the largest eigenvalue error.
std::vector<double> orders(const std::function<SchrodingerProblem(int)>& make, const std::vector<int>& grids,
                           const std::vector<double>& exact, const char* name) {
  std::vector<double> errors, result;
  for (int g : grids) errors.push_back(level_error(solve(make(g)), exact));
  for (std::size_t l = 0; l + 1 < errors.size(); ++l) {
    result.push_back(std::log2(errors[l] / errors[l + 1]));
    if (Communicator::world().is_root())
      std::printf("[ %s ] grid %d: max |E - E_exact| %.3e, observed order %.3f\n", name, grids[l + 1], errors[l + 1],
                  result.back());
  }
  return result;
}

TEST(SchrodingerEps, IntervalMeanLocatesJumps) {
  auto step = [](double x) { return x < 0.3 ? 0.0 : 50.0; };
  EXPECT_NEAR(npde::reference::interval_mean(step, 0, 1), 35.0, 1e-10);
  EXPECT_NEAR(npde::reference::interval_mean(step, 0.2, 0.4), 25.0, 1e-10);
  EXPECT_NEAR(npde::reference::interval_mean([](double x) { return x * x; }, 0, 3), 3.0, 1e-12);
}

TEST(SchrodingerEps, InfiniteWellMatchesTheDiscreteAndExactSpectrum) {
  SchrodingerProblem p;
  p.grid = 129;
  p.potential = [](double) { return 0.0; };
  const GridSolution s = solve(p);
  ASSERT_EQ(s.series_kind, "eigenvalue");
  ASSERT_EQ(s.series.size(), 4u);
  ASSERT_EQ(s.fields.size(), 1u);
  EXPECT_EQ(s.fields[0].first, "psi");
  ASSERT_EQ(s.fields[0].second.size(), 4u * 129u);
  const double h = 1.0 / 128;
  const auto& x = s.axes[0];
  for (int n = 1; n <= 4; ++n) {
    // The discrete operator's eigenvalues are known in closed form: 4/h^2 sin^2(n pi h / 2).
    const double discrete = 4 / (h * h) * std::pow(std::sin(n * pi * h / 2), 2);
    EXPECT_NEAR(s.series[n - 1], discrete, 1e-9 * discrete);
    EXPECT_NEAR(s.series[n - 1], n * n * pi * pi, 1e-3 * n * n * pi * pi);
    double psi_error = 0, norm = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double psi = s.fields[0].second[(n - 1) * x.size() + i];
      psi_error = std::max(psi_error, std::abs(psi - std::sqrt(2.0) * std::sin(n * pi * x[i])));
      norm += psi * psi * h;
    }
    EXPECT_NEAR(norm, 1.0, 1e-12);
    EXPECT_LT(psi_error, 1e-3) << "mode " << n;
  }
  const std::vector<double> exact = {pi * pi, 4 * pi * pi, 9 * pi * pi, 16 * pi * pi};
  auto make = [](int g) {
    SchrodingerProblem q;
    q.grid = g;
    q.potential = [](double) { return 0.0; };
    return q;
  };
  for (double order : orders(make, {33, 65, 129}, exact, "infinite well")) EXPECT_NEAR(order, 2.0, 0.1);
}

TEST(SchrodingerEps, FiniteWellSecondOrderOnlyWithCellAverages) {
  const std::vector<double> exact = finite_well_levels(1.0, 50.0);
  ASSERT_EQ(exact.size(), 3u);
  if (Communicator::world().is_root())
    std::printf("[ finite well ] analytic levels %.10f %.10f %.10f\n", exact[0], exact[1], exact[2]);
  // The jumps at x = +-1/2 sit on grid points of every grid here, so point values see a well that is
  // h/2 too narrow on each side: first order. Cell averages put V0/2 there: second order.
  const std::vector<int> grids = {129, 257, 513};
  for (double order : orders([](int g) { return finite_well(g, true); }, grids, exact, "finite well, cell mean"))
    EXPECT_GE(order, 1.8);
  for (double order : orders([](int g) { return finite_well(g, false); }, grids, exact, "finite well, point V"))
    EXPECT_LT(order, 1.4);
  // The box [-4, 4] truncates the decaying tails: that error must be far below the grid's.
  EXPECT_LT(level_error(solve(finite_well(513, true)), exact), 0.05);
}

TEST(SchrodingerEps, DoubleWellDoubletsConvergeAtSecondOrder) {
  const std::vector<double> exact = double_well_levels(0.2, 500.0);
  ASSERT_GE(exact.size(), 4u);
  if (Communicator::world().is_root())
    std::printf("[ double well ] analytic levels %.8f %.8f %.8f %.8f\n", exact[0], exact[1], exact[2], exact[3]);
  const std::vector<double> lowest(exact.begin(), exact.begin() + 4);
  // Jumps at x = 0.4 and 0.6: on grid points for 80 * 2^k cells.
  for (double order : orders(double_well, {81, 161, 321}, lowest, "double well")) EXPECT_GE(order, 1.8);
  // Near-degenerate doublets: both members lie just below the ground level of one half well
  // (pi / d)^2 for the first doublet, and the splitting is tunnelling-small and accurate.
  const GridSolution s = solve(double_well(321));
  const double half = std::pow(pi / 0.4, 2);
  EXPECT_LT(s.series[0], s.series[1]);
  EXPECT_LT(s.series[1], half);
  const double split = s.series[1] - s.series[0], split_exact = exact[1] - exact[0];
  EXPECT_LT(split, 0.05 * s.series[0]);
  EXPECT_NEAR(split, split_exact, 0.02 * split_exact);
  if (Communicator::world().is_root())
    std::printf("[ double well ] splitting %.6f (exact %.6f), second doublet %.6f (exact %.6f)\n", split, split_exact,
                s.series[3] - s.series[2], exact[3] - exact[2]);
  // The doublet's even member has no node, the odd one exactly one (at the centre).
  const auto& psi = s.fields[0].second;
  const std::size_t nx = s.axes[0].size();
  EXPECT_GT(psi[nx / 2], 0.1);
  EXPECT_NEAR(psi[nx + nx / 2], 0.0, 1e-8);
}

TEST(SchrodingerEps, SameResultOnOneRankAndOnAll) {
  const SchrodingerProblem p = double_well(161);
  const GridSolution all = solve(p);
  const GridSolution one = npde::reference::solve_schrodinger_eps(Communicator::self(), p);
  ASSERT_EQ(all.series.size(), one.series.size());
  for (std::size_t n = 0; n < one.series.size(); ++n) EXPECT_NEAR(all.series[n], one.series[n], 1e-9 * one.series[n]);
  double diff = 0;
  for (std::size_t l = 0; l < one.fields[0].second.size(); ++l)
    diff = std::max(diff, std::abs(all.fields[0].second[l] - one.fields[0].second[l]));
  if (Communicator::world().is_root()) std::printf("[ ranks ] max |psi_all - psi_one| = %.2e\n", diff);
  EXPECT_LT(diff, 1e-7);
}

TEST(SchrodingerEps, RejectsBadProblems) {
  SchrodingerProblem p = double_well(81);
  p.eigenpairs = 80;
  EXPECT_THROW(solve(p), npde::Error);
  p = double_well(81);
  // Not finite on rank 0's part only; every rank must still get the exception.
  p.potential = [](double x) { return x < 0.1 ? std::log(-1.0) : 0.0; };
  EXPECT_THROW(solve(p), npde::Error);
}

}  // namespace
