// SPDX-License-Identifier: BSD-3-Clause
// Finite-difference Helmholtz reference: convergence orders (definite and indefinite), rank independence, options.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "npde/core/error.hpp"
#include "npde/decomp/communicator.hpp"
#include "npde/reference/helmholtz_fd.hpp"
#include "npde/reference/petsc_env.hpp"
#include "npde/reference/poisson_fd.hpp"

namespace {

using npde::decomp::Communicator;
using npde::reference::GridSolution;
using npde::reference::HelmholtzFdProblem;
using Field = std::function<double(const double*)>;

const double pi = std::acos(-1.0);

// u = prod_d sin(a_d pi x_d) on a box; f = (pi^2 sum a_d^2 - k^2) u.
struct SineCase {
  int dim;
  double lower, upper;  // the same interval on every axis
  double a[3];
  double k;
  Field exact() const {
    const SineCase c = *this;
    return [c](const double* x) {
      double v = 1;
      for (int d = 0; d < c.dim; ++d) v *= std::sin(c.a[d] * pi * x[d]);
      return v;
    };
  }
  Field source() const {
    double factor = -k * k;
    for (int d = 0; d < dim; ++d) factor += a[d] * a[d] * pi * pi;
    const Field u = exact();
    return [u, factor](const double* x) { return factor * u(x); };
  }
};

// The gradient-pathologies benchmark (Wang, Teng, Perdikaris 2021): a1 = 1, a2 = 4, k = 1 on [-1,1]^2.
const SineCase benchmark{2, -1, 1, {1, 4, 0}, 1};
// a1 = a2 = 4, k = 4 pi: k^2 = 64 (pi/2)^2 lies between the Dirichlet eigenvalues 61 and 65 (pi/2)^2,
// so about 60 eigenvalues of -Lap lie below k^2 and the operator is strongly indefinite.
const SineCase high{2, -1, 1, {4, 4, 0}, 4 * pi};
// 1D: k^2 = 100 lies between (3 pi)^2 and (4 pi)^2.
const SineCase high_1d{1, 0, 1, {3, 0, 0}, 10};

HelmholtzFdProblem make_problem(const SineCase& c, int n, const std::string& options = "") {
  HelmholtzFdProblem p;
  p.dim = c.dim;
  for (int d = 0; d < 3; ++d) p.lower[d] = c.lower, p.upper[d] = c.upper;
  p.grid.assign(c.dim, n);
  p.k = c.k;
  p.source = c.source();
  p.boundary = c.exact();
  p.petsc_options = options;
  return p;
}

double summary(const GridSolution& s, const std::string& key) {
  for (const auto& [name, value] : s.summary)
    if (name == key) return value;
  ADD_FAILURE() << "no summary entry " << key;
  return NAN;
}
std::string summary_text(const GridSolution& s, const std::string& key) {
  for (const auto& [name, value] : s.summary_text)
    if (name == key) return value;
  ADD_FAILURE() << "no summary_text entry " << key;
  return "";
}

std::vector<double> sample(const SineCase& c, const GridSolution& s) {
  const Field u = c.exact();
  const std::size_t nx = s.axes[0].size(), ny = c.dim > 1 ? s.axes[1].size() : 1;
  std::vector<double> values;
  for (std::size_t j = 0; j < ny; ++j)
    for (std::size_t i = 0; i < nx; ++i) {
      const double x[2] = {s.axes[0][i], c.dim > 1 ? s.axes[1][j] : 0.0};
      values.push_back(u(x));
    }
  return values;
}

// Solves on each grid, checks the observed order between consecutive ones and returns the solutions.
std::vector<GridSolution> expect_second_order(const SineCase& c, const std::vector<int>& grids, const char* name) {
  std::vector<GridSolution> sols;
  std::vector<double> errors;
  for (int n : grids) {
    sols.push_back(npde::reference::solve_helmholtz_fd(Communicator::world(), make_problem(c, n)));
    errors.push_back(npde::reference::relative_l2(sols.back().fields[0].second, sample(c, sols.back())));
    if (Communicator::world().is_root())
      std::printf("[ %s ] grid %d: rel L2 %.3e, %s, %g iterations, %.3f s\n", name, n, errors.back(),
                  summary_text(sols.back(), "solver").c_str(), summary(sols.back(), "iterations"),
                  summary(sols.back(), "seconds"));
  }
  for (std::size_t l = 0; l + 1 < errors.size(); ++l) {
    const double order = std::log2(errors[l] / errors[l + 1]);
    if (Communicator::world().is_root()) std::printf("[ %s ] observed order %.3f\n", name, order);
    EXPECT_GE(order, 1.8) << name << " refinement " << l;
    EXPECT_LE(order, 2.3) << name << " refinement " << l;
  }
  return sols;
}

double max_abs_difference(const std::vector<double>& a, const std::vector<double>& b) {
  EXPECT_EQ(a.size(), b.size());
  double m = 0;
  for (std::size_t l = 0; l < a.size() && l < b.size(); ++l) m = std::max(m, std::abs(a[l] - b[l]));
  return m;
}

TEST(HelmholtzFd, BenchmarkIsDefiniteAndSecondOrder) {
  const auto sols = expect_second_order(benchmark, {33, 65, 129}, "a=(1,4) k=1");
  for (const auto& s : sols) {
    EXPECT_EQ(summary(s, "indefinite"), 0.0);
    EXPECT_EQ(summary_text(s, "ksp_type"), "cg");
    EXPECT_EQ(summary_text(s, "pc_type"), "gamg");
  }
  EXPECT_LE(npde::reference::relative_l2(sols.back().fields[0].second, sample(benchmark, sols.back())), 4e-3);
  ASSERT_EQ(sols.back().axes.size(), 2u);
  EXPECT_EQ(sols.back().axes[1].front(), -1.0);
  EXPECT_EQ(sols.back().axes[1].back(), 1.0);
  EXPECT_TRUE(sols.back().series_kind.empty());
}

TEST(HelmholtzFd, HighWavenumberIsIndefiniteAndSecondOrder) {
  const auto sols = expect_second_order(high, {65, 129, 257}, "a=(4,4) k=4pi");
  for (const auto& s : sols) {
    EXPECT_EQ(summary(s, "indefinite"), 1.0);
    EXPECT_EQ(summary_text(s, "ksp_type"), "gmres");
    EXPECT_EQ(summary_text(s, "pc_type"), "lu");
    EXPECT_LE(summary(s, "iterations"), 3.0);
    // The true residual relative to ||b|| ~ ||f||_2: a direct solve leaves only round-off.
    EXPECT_LE(summary(s, "residual_norm"), 1e-6);
  }
}

TEST(HelmholtzFd, OneDimensionalIndefiniteIsSecondOrder) {
  expect_second_order(high_1d, {65, 129, 257}, "1D a=3 k=10");
}

TEST(HelmholtzFd, SameResultOnAllRanksAsOnOneRank) {
  const Communicator world = Communicator::world();
  for (const SineCase& c : {benchmark, high}) {
    const GridSolution all = npde::reference::solve_helmholtz_fd(world, make_problem(c, 49));
    const GridSolution one = npde::reference::solve_helmholtz_fd(Communicator::self(), make_problem(c, 49));
    const double difference = max_abs_difference(all.fields[0].second, one.fields[0].second);
    if (world.is_root()) std::printf("[ k=%.3f ] max |u(%d ranks) - u(1 rank)| = %.2e\n", c.k, world.size(), difference);
    EXPECT_LE(difference, 1e-9) << "k = " << c.k;
  }
}

// lambda_min is the first eigenvalue of the discrete operator: it sits just below the continuous
// pi^2 sum 1/L_d^2 with an O(h^2) gap, and the solver changes its default exactly there.
TEST(HelmholtzFd, DefinitenessSwitchesAtTheSmallestDiscreteEigenvalue) {
  const double lower[2] = {-1, 0}, upper[2] = {1, 3};
  const double continuous = pi * pi * (1.0 / 4 + 1.0 / 9);
  double previous_gap = 0;
  for (int n : {17, 33}) {
    const double lambda = npde::reference::smallest_dirichlet_eigenvalue(2, lower, upper, {n, n});
    const double gap = continuous - lambda;
    EXPECT_GT(gap, 0.0);
    if (previous_gap > 0) {
      EXPECT_NEAR(previous_gap / gap, 4.0, 0.2);
    }
    previous_gap = gap;
  }
  const double square_lower[2] = {-1, -1}, square_upper[2] = {1, 1};
  const double lambda = npde::reference::smallest_dirichlet_eigenvalue(2, square_lower, square_upper, {33, 33});
  for (const double factor : {0.99, 1.01}) {
    SineCase c = benchmark;
    c.k = std::sqrt(factor * lambda);
    const GridSolution s = npde::reference::solve_helmholtz_fd(Communicator::world(), make_problem(c, 33));
    EXPECT_EQ(summary(s, "indefinite"), factor < 1 ? 0.0 : 1.0) << "k^2 = " << factor << " lambda_min";
    EXPECT_NEAR(summary(s, "lambda_min"), lambda, 1e-12 * lambda);
  }
}

TEST(HelmholtzFd, PerSolveOptionsOverrideTheDefaults) {
  const Communicator world = Communicator::world();
  // Not a sine case: its source is a discrete eigenvector, which unpreconditioned GMRES solves at once.
  HelmholtzFdProblem p = make_problem(high, 33);
  p.source = [](const double* x) { return 1.0 + x[0] * x[1]; };
  p.boundary = [](const double* x) { return x[0] - x[1]; };
  const GridSolution base = npde::reference::solve_helmholtz_fd(world, p);
  p.petsc_options = "-ksp_type gmres -pc_type none -ksp_max_it 20000 -ksp_gmres_restart 400";
  const GridSolution other = npde::reference::solve_helmholtz_fd(world, p);
  EXPECT_EQ(summary_text(other, "pc_type"), "none");
  EXPECT_GT(summary(other, "iterations"), 10.0);
  EXPECT_LE(max_abs_difference(base.fields[0].second, other.fields[0].second), 1e-7);
}

TEST(HelmholtzFd, InvalidProblemsThrow) {
  const Communicator world = Communicator::world();
  EXPECT_THROW(npde::reference::solve_helmholtz_fd(world, make_problem(benchmark, 2)), npde::Error);
  HelmholtzFdProblem p = make_problem(benchmark, 9);
  p.grid = {9};
  EXPECT_THROW(npde::reference::solve_helmholtz_fd(world, p), npde::Error);
  p = make_problem(benchmark, 9);
  p.boundary = nullptr;
  EXPECT_THROW(npde::reference::solve_helmholtz_fd(world, p), npde::Error);
}

}  // namespace
