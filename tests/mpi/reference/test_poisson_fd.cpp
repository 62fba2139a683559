// SPDX-License-Identifier: BSD-3-Clause
// Finite-difference Poisson reference: convergence orders, rank independence, options, errors, helpers.
#include <gtest/gtest.h>
#include <petscsys.h>

#include <cmath>
#include <cstdio>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "npde/core/error.hpp"
#include "npde/core/rng.hpp"
#include "npde/decomp/communicator.hpp"
#include "npde/reference/poisson_fd.hpp"

namespace {

using npde::decomp::Communicator;
using npde::reference::FdSolution;
using npde::reference::PoissonFdProblem;
using Field = std::function<double(const double*)>;

const double pi = std::acos(-1.0);

// Manufactured problem: exact solution u and its source f = -Lap u on a box.
struct Manufactured {
  int dim;
  double lower[3], upper[3];
  Field exact, source;
};

PoissonFdProblem make_problem(const Manufactured& m, const std::vector<int>& grid, const std::string& options = "") {
  PoissonFdProblem p;
  p.dim = m.dim;
  for (int d = 0; d < 3; ++d) p.lower[d] = m.lower[d], p.upper[d] = m.upper[d];
  p.grid = grid;
  p.source = m.source;
  p.boundary = m.exact;
  p.petsc_options = options;
  return p;
}

// Exact values at every grid point in the solver's natural order (x fastest).
std::vector<double> sample(const Manufactured& m, const std::vector<int>& grid) {
  const int nx = grid[0], ny = m.dim > 1 ? grid[1] : 1, nz = m.dim > 2 ? grid[2] : 1;
  std::vector<double> values;
  for (int k = 0; k < nz; ++k)
    for (int j = 0; j < ny; ++j)
      for (int i = 0; i < nx; ++i) {
        const int idx[3] = {i, j, k};
        double x[3] = {0, 0, 0};
        for (int d = 0; d < m.dim; ++d)
          x[d] = m.lower[d] + (m.upper[d] - m.lower[d]) * idx[d] / static_cast<double>(grid[d] - 1);
        values.push_back(m.exact(x));
      }
  return values;
}

double solve_error(const Manufactured& m, const std::vector<int>& grid) {
  const FdSolution s = npde::reference::solve_poisson_fd(Communicator::world(), make_problem(m, grid));
  return npde::reference::relative_l2(s.u, sample(m, grid));
}

// Errors on grids refined by 2 per axis, and the observed orders between consecutive ones.
void expect_second_order(const Manufactured& m, const std::vector<std::vector<int>>& grids, const char* name) {
  std::vector<double> errors;
  for (const auto& g : grids) errors.push_back(solve_error(m, g));
  for (std::size_t l = 0; l + 1 < errors.size(); ++l) {
    const double order = std::log2(errors[l] / errors[l + 1]);
    if (Communicator::world().is_root())
      std::printf("[ %s ] grid %d: rel L2 %.3e -> %.3e, observed order %.3f\n", name, grids[l + 1][0], errors[l],
                  errors[l + 1], order);
    EXPECT_GE(order, 1.8) << name << " refinement " << l;
    EXPECT_LE(order, 2.2) << name << " refinement " << l;
  }
}

Manufactured sine_1d() {
  return {1, {-1, 0, 0}, {1, 0, 0}, [](const double* x) { return std::sin(pi * x[0]); },
          [](const double* x) { return pi * pi * std::sin(pi * x[0]); }};
}
Manufactured sine_2d() {
  return {2, {0, 0, 0}, {1, 1, 0}, [](const double* x) { return std::sin(pi * x[0]) * std::sin(pi * x[1]); },
          [](const double* x) { return 2 * pi * pi * std::sin(pi * x[0]) * std::sin(pi * x[1]); }};
}
// exp(x) cos(y) is harmonic and nonzero on the boundary; the sine part gives a nonzero source.
Manufactured box_2d() {
  return {2, {0, 0, 0}, {2, 1, 0},
          [](const double* x) { return std::exp(x[0]) * std::cos(x[1]) + std::sin(pi * x[0]) * std::sin(pi * x[1]); },
          [](const double* x) { return 2 * pi * pi * std::sin(pi * x[0]) * std::sin(pi * x[1]); }};
}
Manufactured sine_3d() {
  return {3, {0, 0, 0}, {1, 1, 1},
          [](const double* x) { return std::sin(pi * x[0]) * std::sin(pi * x[1]) * std::sin(pi * x[2]); },
          [](const double* x) { return 3 * pi * pi * std::sin(pi * x[0]) * std::sin(pi * x[1]) * std::sin(pi * x[2]); }};
}

double max_abs_difference(const std::vector<double>& a, const std::vector<double>& b) {
  EXPECT_EQ(a.size(), b.size());
  double m = 0;
  for (std::size_t l = 0; l < a.size() && l < b.size(); ++l) m = std::max(m, std::abs(a[l] - b[l]));
  return m;
}

TEST(PoissonFd, SecondOrder1D) { expect_second_order(sine_1d(), {{17}, {33}, {65}}, "1D sin(pi x) on [-1,1]"); }

TEST(PoissonFd, SecondOrder2DAndAccurateAt129) {
  expect_second_order(sine_2d(), {{33, 33}, {65, 65}, {129, 129}}, "2D sin sin on unit square");
  const FdSolution s = npde::reference::solve_poisson_fd(Communicator::world(), make_problem(sine_2d(), {129, 129}));
  const double error = npde::reference::relative_l2(s.u, sample(sine_2d(), {129, 129}));
  if (Communicator::world().is_root())
    std::printf("[ 2D 129^2 ] rel L2 %.3e, %d %s/%s iterations, true residual %.2e, %.3f s\n", error, s.iterations,
                s.ksp_type.c_str(), s.pc_type.c_str(), s.residual_norm, s.seconds);
  EXPECT_LE(error, 1e-4);
  EXPECT_EQ(s.grid, (std::vector<int>{129, 129}));
  EXPECT_EQ(s.u.size(), 129u * 129u);
  EXPECT_EQ(s.ksp_type, "cg");
  EXPECT_EQ(s.pc_type, "gamg");
  EXPECT_GT(s.iterations, 0);
  EXPECT_GT(s.seconds, 0.0);
}

// hx = 4 hy: the per-axis scaling must be right for the order to show.
TEST(PoissonFd, SecondOrderOnAnisotropicBoxWithBoundaryData) {
  expect_second_order(box_2d(), {{17, 33}, {33, 65}, {65, 129}}, "2D exp(x)cos(y)+sin sin on [0,2]x[0,1]");
}

TEST(PoissonFd, BoundaryValuesAreTheDirichletData) {
  const Manufactured m = box_2d();
  const std::vector<int> grid = {9, 5};
  const FdSolution s = npde::reference::solve_poisson_fd(Communicator::world(), make_problem(m, grid));
  const std::vector<double> exact = sample(m, grid);
  for (int j = 0; j < grid[1]; ++j)
    for (int i = 0; i < grid[0]; ++i)
      if (i == 0 || j == 0 || i == grid[0] - 1 || j == grid[1] - 1) {
        EXPECT_NEAR(s.u[i + grid[0] * j], exact[i + grid[0] * j], 1e-9) << "i " << i << " j " << j;
      }
}

TEST(PoissonFd, SecondOrder3D) { expect_second_order(sine_3d(), {{9, 9, 9}, {17, 17, 17}, {33, 33, 33}}, "3D sin^3"); }

TEST(PoissonFd, SameResultOnAllRanksAsOnOneRank) {
  const Communicator world = Communicator::world();
  for (const auto& [m, grid] : {std::pair{box_2d(), std::vector<int>{33, 17}},
                                std::pair{sine_3d(), std::vector<int>{17, 13, 9}}}) {
    const FdSolution all = npde::reference::solve_poisson_fd(world, make_problem(m, grid));
    const FdSolution one = npde::reference::solve_poisson_fd(Communicator::self(), make_problem(m, grid));
    const double difference = max_abs_difference(all.u, one.u);
    if (world.is_root())
      std::printf("[ %dD ] max |u(%d ranks) - u(1 rank)| = %.2e\n", m.dim, world.size(), difference);
    EXPECT_LE(difference, 1e-10) << "dim " << m.dim << " on " << world.size() << " ranks";
  }
}

TEST(PoissonFd, PerSolveOptionsChangeTheSolverAndDoNotLeak) {
  const Communicator world = Communicator::world();
  const PoissonFdProblem base = make_problem(box_2d(), {33, 17});
  const FdSolution reference = npde::reference::solve_poisson_fd(world, base);

  PoissonFdProblem other = base;
  other.petsc_options = "-ksp_type gmres -pc_type jacobi -ksp_max_it 2000";
  const FdSolution s = npde::reference::solve_poisson_fd(world, other);
  EXPECT_EQ(s.ksp_type, "gmres");
  EXPECT_EQ(s.pc_type, "jacobi");
  EXPECT_LE(max_abs_difference(s.u, reference.u), 1e-8);

  const FdSolution again = npde::reference::solve_poisson_fd(world, base);
  EXPECT_EQ(again.ksp_type, "cg");
  EXPECT_EQ(again.pc_type, "gamg");
}

// Options given to initialize() (the process-wide database) win over a problem's petsc_options.
TEST(PoissonFd, ProcessWideOptionsOverridePerSolveOptions) {
  ASSERT_EQ(PetscOptionsSetValue(NULL, "-ksp_type", "bcgs"), 0);
  FdSolution s;
  EXPECT_NO_THROW(s = npde::reference::solve_poisson_fd(Communicator::world(),
                                                        make_problem(box_2d(), {17, 9}, "-ksp_type cg -pc_type jacobi")));
  ASSERT_EQ(PetscOptionsClearValue(NULL, "-ksp_type"), 0);
  EXPECT_EQ(s.ksp_type, "bcgs");
  EXPECT_EQ(s.pc_type, "jacobi");
}

TEST(PoissonFd, InvalidProblemsThrow) {
  const Communicator world = Communicator::world();
  EXPECT_THROW(npde::reference::solve_poisson_fd(world, make_problem(sine_2d(), {2, 9})), npde::Error);
  EXPECT_THROW(npde::reference::solve_poisson_fd(world, make_problem(sine_2d(), {9})), npde::Error);
  PoissonFdProblem no_source = make_problem(sine_1d(), {9});
  no_source.source = nullptr;
  EXPECT_THROW(npde::reference::solve_poisson_fd(world, no_source), npde::Error);
}

TEST(PoissonFd, PetscErrorsBecomeExceptionsWithPetscsMessage) {
  const Communicator world = Communicator::world();
  try {
    npde::reference::solve_poisson_fd(world, make_problem(sine_2d(), {9, 9}, "-ksp_type no_such_method"));
    ADD_FAILURE() << "unknown KSP type accepted";
  } catch (const npde::Error& e) {
    if (world.is_root()) std::printf("[ expected error ] %s\n", e.what());
    EXPECT_NE(std::string(e.what()).find("no_such_method"), std::string::npos) << e.what();
  }
  try {
    // Not sine_2d: its source is a discrete eigenvector, which Jacobi-CG solves in one step.
    npde::reference::solve_poisson_fd(world, make_problem(box_2d(), {17, 17}, "-ksp_max_it 1 -pc_type jacobi"));
    ADD_FAILURE() << "one Jacobi-CG iteration reported convergence";
  } catch (const npde::Error& e) {
    EXPECT_NE(std::string(e.what()).find("DIVERGED_ITS"), std::string::npos) << e.what();
  }
  // Nothing of the failed solves stays behind.
  EXPECT_EQ(npde::reference::solve_poisson_fd(world, make_problem(sine_2d(), {9, 9})).ksp_type, "cg");
}

TEST(PoissonFd, CallbackThrowingOnOneRankThrowsOnAllRanks) {
  const Communicator world = Communicator::world();
  PoissonFdProblem p = make_problem(sine_2d(), {17, 17});
  const int rank = world.rank();
  p.source = [rank](const double*) -> double {
    if (rank == 0) throw std::runtime_error("source refused");
    return 1.0;
  };
  try {
    npde::reference::solve_poisson_fd(world, p);
    ADD_FAILURE() << "no exception";
  } catch (const npde::Error& e) {
    if (rank == 0) {
      EXPECT_NE(std::string(e.what()).find("source refused"), std::string::npos) << e.what();
    }
  }
}

TEST(GridFunction, RelativeL2OfUniformScalingIsTheScale) {
  const std::vector<double> exact = {1, -2, 3, 0.5};
  std::vector<double> u = exact;
  for (double& v : u) v *= 1.001;
  EXPECT_NEAR(npde::reference::relative_l2(u, exact), 1e-3, 1e-14);
  EXPECT_THROW(npde::reference::relative_l2(u, {1, 2}), npde::Error);
}

// A multilinear function (every monomial of degree <= 1 per axis) is reproduced exactly.
TEST(GridFunction, InterpolationIsExactForMultilinearFunctions) {
  const double lower[3] = {-1, 0, 2}, upper[3] = {1, 3, 2.5};
  const std::vector<int> all_grids = {5, 4, 3};
  for (int dim = 1; dim <= 3; ++dim) {
    const std::vector<int> grid(all_grids.begin(), all_grids.begin() + dim);
    double coefficient[8];
    for (int s = 0; s < 8; ++s) coefficient[s] = 2 * npde::rng::uniform(7, dim, s) - 1;
    const auto f = [&](const double* x) {
      double value = 0;
      for (int subset = 0; subset < (1 << dim); ++subset) {
        double term = coefficient[subset];
        for (int d = 0; d < dim; ++d)
          if ((subset >> d) & 1) term *= x[d];
        value += term;
      }
      return value;
    };
    Manufactured m{dim, {lower[0], lower[1], lower[2]}, {upper[0], upper[1], upper[2]}, f, f};
    const std::vector<double> u = sample(m, grid);
    for (int p = 0; p < 50; ++p) {
      double x[3];
      for (int d = 0; d < dim; ++d) x[d] = lower[d] + (upper[d] - lower[d]) * npde::rng::uniform(11, d, p);
      EXPECT_NEAR(npde::reference::interpolate(u, dim, lower, upper, grid, x), f(x), 1e-12) << "dim " << dim;
    }
    EXPECT_NEAR(npde::reference::interpolate(u, dim, lower, upper, grid, upper), f(upper), 1e-12);
    double outside[3] = {upper[0] + 0.1, upper[1], upper[2]};
    EXPECT_THROW(npde::reference::interpolate(u, dim, lower, upper, grid, outside), npde::Error);
  }
}

}  // namespace
