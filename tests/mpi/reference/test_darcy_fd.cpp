// SPDX-License-Identifier: BSD-3-Clause
// Darcy finite differences: manufactured order, agreement with Poisson, rank independence, jumps.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "npde/core/error.hpp"
#include "npde/decomp/communicator.hpp"
#include "npde/reference/darcy_fd.hpp"
#include "npde/reference/petsc_env.hpp"
#include "npde/reference/poisson_fd.hpp"
#include "npde/reference/random_field.hpp"

namespace {

using npde::decomp::Communicator;
using npde::reference::DarcyProblem;
using npde::reference::FdSolution;
using Field = std::function<double(const double*)>;

const double pi = std::acos(-1.0);

std::vector<double> on_grid(const Field& f, int nx, int ny) {
  std::vector<double> v(static_cast<std::size_t>(nx) * ny);
  for (int j = 0; j < ny; ++j)
    for (int i = 0; i < nx; ++i) {
      const double x[2] = {static_cast<double>(i) / (nx - 1), static_cast<double>(j) / (ny - 1)};
      v[static_cast<std::size_t>(j) * nx + i] = f(x);
    }
  return v;
}

DarcyProblem make_problem(const Field& a, const Field& f, const Field& g, int nx, int ny) {
  DarcyProblem p;
  p.grid = {nx, ny};
  p.coefficient = on_grid(a, nx, ny);
  p.source = f;
  p.boundary = g;
  return p;
}

// Smooth manufactured case with nonzero boundary data:
// a = 2 + sin(pi x) cos(2 pi y), u = sin(pi x) sin(2 pi y) + y e^x, f = -div(a grad u).
double smooth_a(const double* x) { return 2 + std::sin(pi * x[0]) * std::cos(2 * pi * x[1]); }
double smooth_u(const double* x) { return std::sin(pi * x[0]) * std::sin(2 * pi * x[1]) + x[1] * std::exp(x[0]); }
double smooth_f(const double* x) {
  const double sx = std::sin(pi * x[0]), cx = std::cos(pi * x[0]);
  const double s2y = std::sin(2 * pi * x[1]), c2y = std::cos(2 * pi * x[1]), ex = std::exp(x[0]);
  const double a_x = pi * cx * c2y, a_y = -2 * pi * sx * s2y;
  const double u_x = pi * cx * s2y + x[1] * ex, u_y = 2 * pi * sx * c2y + ex;
  const double lap_u = -5 * pi * pi * sx * s2y + x[1] * ex;
  return -(a_x * u_x + a_y * u_y + smooth_a(x) * lap_u);
}

// Circular inclusion of the FNO Darcy contrast (12 inside, 3 outside), f = 1, u = 0.
double inclusion_a(const double* x) {
  const double r2 = (x[0] - 0.5) * (x[0] - 0.5) + (x[1] - 0.45) * (x[1] - 0.45);
  return r2 < 0.3 * 0.3 ? 12.0 : 3.0;
}
double one(const double*) { return 1.0; }
double zero(const double*) { return 0.0; }

double max_abs_difference(const std::vector<double>& a, const std::vector<double>& b) {
  EXPECT_EQ(a.size(), b.size());
  double m = 0;
  for (std::size_t l = 0; l < a.size() && l < b.size(); ++l) m = std::max(m, std::abs(a[l] - b[l]));
  return m;
}

TEST(DarcyFd, SecondOrderForASmoothCoefficient) {
  const Communicator world = Communicator::world();
  std::vector<double> errors;
  for (int n : {17, 33, 65}) {
    const FdSolution s = npde::reference::solve_darcy_fd(world, make_problem(smooth_a, smooth_f, smooth_u, n, n));
    errors.push_back(npde::reference::relative_l2(s.u, on_grid(smooth_u, n, n)));
    EXPECT_EQ(s.ksp_type, "cg");
    EXPECT_EQ(s.pc_type, "gamg");
  }
  for (std::size_t l = 0; l + 1 < errors.size(); ++l) {
    const double order = std::log2(errors[l] / errors[l + 1]);
    if (world.is_root()) std::printf("[ smooth a ] rel L2 %.3e -> %.3e, observed order %.3f\n", errors[l], errors[l + 1], order);
    EXPECT_GE(order, 1.8);
    EXPECT_LE(order, 2.2);
  }
}

TEST(DarcyFd, ConstantCoefficientIsThePoissonSolverScaled) {
  const Communicator world = Communicator::world();
  const int nx = 25, ny = 17;
  DarcyProblem d = make_problem([](const double*) { return 4.0; }, smooth_f, smooth_u, nx, ny);
  npde::reference::PoissonFdProblem p;
  p.grid = {nx, ny};
  // -div(4 grad u) = f  <=>  -Lap u = f / 4 with the same boundary data.
  p.source = [](const double* x) { return smooth_f(x) / 4.0; };
  p.boundary = smooth_u;
  const FdSolution darcy = npde::reference::solve_darcy_fd(world, d);
  const FdSolution poisson = npde::reference::solve_poisson_fd(world, p);
  EXPECT_LE(max_abs_difference(darcy.u, poisson.u), 1e-9);
}

TEST(DarcyFd, SameResultOnAllRanksAsOnOneRankForARandomCoefficient) {
  const Communicator world = Communicator::world();
  npde::reference::RandomFieldParams rf;
  rf.thresholded = true;
  rf.seed = 4;
  const int n = 41;
  DarcyProblem p = make_problem(one, one, zero, n, n);
  p.coefficient = npde::reference::threshold_field(rf, npde::reference::sample_random_field_closed(rf, 3, n, n));
  const FdSolution all = npde::reference::solve_darcy_fd(world, p);
  const FdSolution self = npde::reference::solve_darcy_fd(Communicator::self(), p);
  const double scale = *std::max_element(self.u.begin(), self.u.end());
  const double difference = max_abs_difference(all.u, self.u);
  if (world.is_root())
    std::printf("[ random a ] max u %.4e, max |u(%d ranks) - u(1 rank)| = %.2e, %d iterations\n", scale, world.size(),
                difference, all.iterations);
  EXPECT_GT(scale, 0.0);
  EXPECT_LE(difference, 1e-9 * scale);
  for (int i = 0; i < n; ++i) EXPECT_NEAR(all.u[i], 0.0, 1e-10 * scale);  // the Dirichlet rows hold g
}

// A jump in a across a curve: self-convergence against a 4x finer grid (coarse nodes are fine nodes).
TEST(DarcyFd, DiscontinuousCoefficientConverges) {
  const Communicator world = Communicator::world();
  const int fine_n = 257;
  const FdSolution fine = npde::reference::solve_darcy_fd(world, make_problem(inclusion_a, one, zero, fine_n, fine_n));
  std::vector<double> errors;
  for (int n : {17, 33, 65}) {
    const FdSolution s = npde::reference::solve_darcy_fd(world, make_problem(inclusion_a, one, zero, n, n));
    const int stride = (fine_n - 1) / (n - 1);
    std::vector<double> restricted;
    for (int j = 0; j < n; ++j)
      for (int i = 0; i < n; ++i) restricted.push_back(fine.u[static_cast<std::size_t>(j * stride) * fine_n + i * stride]);
    errors.push_back(npde::reference::relative_l2(s.u, restricted));
  }
  for (std::size_t l = 0; l + 1 < errors.size(); ++l) {
    const double order = std::log2(errors[l] / errors[l + 1]);
    if (world.is_root())
      std::printf("[ inclusion 12/3 ] rel L2 vs 257^2 %.3e -> %.3e, observed order %.3f\n", errors[l], errors[l + 1], order);
    EXPECT_GE(order, 0.7);
  }
  EXPECT_LE(errors.back(), 1e-2);
}

TEST(DarcyFd, InvalidProblemsThrow) {
  const Communicator world = Communicator::world();
  DarcyProblem p = make_problem(one, one, zero, 9, 9);
  p.coefficient[40] = 0.0;
  EXPECT_THROW(npde::reference::solve_darcy_fd(world, p), npde::Error);
  p = make_problem(one, one, zero, 9, 9);
  p.coefficient.pop_back();
  EXPECT_THROW(npde::reference::solve_darcy_fd(world, p), npde::Error);
  p = make_problem(one, one, zero, 9, 9);
  p.grid = {9};
  EXPECT_THROW(npde::reference::solve_darcy_fd(world, p), npde::Error);
  p = make_problem(one, one, zero, 9, 9);
  p.petsc_options = "-ksp_type no_such_method";
  EXPECT_THROW(npde::reference::solve_darcy_fd(world, p), npde::Error);
  EXPECT_EQ(npde::reference::solve_darcy_fd(world, make_problem(one, one, zero, 9, 9)).ksp_type, "cg");
}

}  // namespace
