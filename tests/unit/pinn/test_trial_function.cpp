// SPDX-License-Identifier: BSD-3-Clause
// Hard-BC trial function pieces: the box distance D (zeros, sign, derivatives) for every subset of
// constrained faces, and the fourth-order finite-difference jets of expressions (leading error term).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "npde/core/expression.hpp"
#include "npde/core/rng.hpp"
#include "npde/pde/box.hpp"
#include "npde/pde/poisson.hpp"
#include "npde/pinn/trial_function.hpp"

namespace {

using npde::pde::Box;
using npde::pinn::BoxDistance;
using npde::pinn::ScalarJet;

Box make_box(int dim) {
  Box b;
  b.dim = dim;
  const double lo[3] = {-1.0, 0.5, -2.0}, hi[3] = {2.0, 3.0, -1.25};  // unequal extents, off-origin
  for (int a = 0; a < 3; ++a) {
    b.lower[a] = lo[a];
    b.upper[a] = hi[a];
  }
  return b;
}

// A point strictly inside the box, from uniform numbers in (0.05, 0.95) per axis.
void interior_point(const Box& b, std::uint64_t counter, double* x) {
  for (int a = 0; a < b.dim; ++a) {
    const double t = 0.05 + 0.9 * npde::rng::uniform(11, 3, counter * 3 + a);
    x[a] = b.lower[a] + t * (b.upper[a] - b.lower[a]);
  }
}

// D is a polynomial of degree <= 2 in each coordinate, so central differences of its value are exact
// up to rounding: eps / h for the gradient, eps / h^2 for the Laplacian.
constexpr double kStepD = 1e-3;
constexpr double kTolD = 1e-9;

void check_distance(int dim, unsigned face_mask) {
  const Box box = make_box(dim);
  std::vector<int> faces;
  for (int f = 0; f < 2 * dim; ++f)
    if (face_mask & (1u << f)) faces.push_back(f);
  const BoxDistance dist(box, faces);
  SCOPED_TRACE(::testing::Message() << "dim " << dim << ", face mask " << face_mask);

  for (std::uint64_t s = 0; s < 6; ++s) {
    double x[3] = {0, 0, 0};
    interior_point(box, s, x);
    const ScalarJet j = dist.eval(x);
    EXPECT_GT(j.value, 0.0);
    EXPECT_LE(j.value, 1.0 + 1e-15);  // order one: the network output keeps its scale
    double lap_fd = 0;
    for (int k = 0; k < dim; ++k) {
      double xp[3] = {x[0], x[1], x[2]}, xm[3] = {x[0], x[1], x[2]};
      xp[k] += kStepD;
      xm[k] -= kStepD;
      const double fp = dist.eval(xp).value, fm = dist.eval(xm).value;
      const double grad_fd = (fp - fm) / (2 * kStepD);
      lap_fd += (fp - 2 * j.value + fm) / (kStepD * kStepD);
      EXPECT_NEAR(j.grad[k], grad_fd, kTolD) << "axis " << k;
      const bool constrained = face_mask & (3u << (2 * k));
      if (!constrained) {
        EXPECT_EQ(j.grad[k], 0.0) << "unconstrained axis " << k;
      }
    }
    EXPECT_NEAR(j.lap, lap_fd, 1e-6);
  }

  // On each face: zero exactly when constrained, positive when not (other coordinates inside).
  for (int f = 0; f < 2 * dim; ++f) {
    double x[3] = {0, 0, 0};
    interior_point(box, 100 + f, x);
    x[npde::pde::face_axis(f)] = npde::pde::face_coordinate(box, f);
    const double v = dist.eval(x).value;
    if (face_mask & (1u << f))
      EXPECT_EQ(v, 0.0) << "constrained face " << f;
    else
      EXPECT_GT(v, 0.0) << "free face " << f;
  }
}

TEST(BoxDistance, EverySubsetOfFacesIn1D2D3D) {
  for (int dim = 1; dim <= 3; ++dim)
    for (unsigned mask = 0; mask < (1u << (2 * dim)); ++mask) check_distance(dim, mask);
}

TEST(BoxDistance, NormalisedShapes) {
  // Both faces of an axis: 4 (x-l)(u-x)/(u-l)^2 peaks at 1 in the middle; one face: linear, 1 at the far face.
  const Box box = make_box(1);  // [-1, 2]
  const double mid = 0.5, far_lower = 2.0, far_upper = -1.0;
  EXPECT_DOUBLE_EQ(BoxDistance(box, {0, 1}).eval(&mid).value, 1.0);
  EXPECT_DOUBLE_EQ(BoxDistance(box, {0}).eval(&far_lower).value, 1.0);
  EXPECT_DOUBLE_EQ(BoxDistance(box, {1}).eval(&far_upper).value, 1.0);
  EXPECT_DOUBLE_EQ(BoxDistance(box, {}).eval(&mid).value, 1.0);
  // 2D: the value is the product of the per-axis factors.
  const Box b2 = make_box(2);
  const double p[2] = {0.5, 1.75};  // centre of [-1,2] x [0.5,3]
  EXPECT_DOUBLE_EQ(BoxDistance(b2, {0, 1, 2, 3}).eval(p).value, 1.0);
  EXPECT_DOUBLE_EQ(BoxDistance(b2, {0, 3}).eval(p).value, 0.25);
}

// ---- expression_jet: fourth-order central differences ----
// Leading truncation terms: first derivative h^4/30 f^(5), second derivative h^4/90 f^(6), with
// FD = exact - term. At h = 0.05 the next term is O(h^6), a few per cent of the leading one at most.

struct JetCase {
  int dim;
  const char* text;
  double x[3];
  ScalarJet exact;
  double d5[3];  // fifth derivative along each axis
  double d6;     // sum over axes of the sixth derivatives
};

JetCase case_2d() {
  JetCase c{2, "exp(x)*sin(2*y)", {0.3, 0.4, 0}, {}, {}, 0};
  const double ex = std::exp(c.x[0]), s = std::sin(2 * c.x[1]), co = std::cos(2 * c.x[1]);
  c.exact.value = ex * s;
  c.exact.grad[0] = ex * s;
  c.exact.grad[1] = 2 * ex * co;
  c.exact.lap = ex * s - 4 * ex * s;
  c.d5[0] = ex * s;
  c.d5[1] = 32 * ex * co;
  c.d6 = ex * s - 64 * ex * s;
  return c;
}

JetCase case_3d() {
  JetCase c{3, "exp(x)*sin(2*y)*cos(z)", {-0.2, 0.4, 0.7}, {}, {}, 0};
  const double ex = std::exp(c.x[0]), s = std::sin(2 * c.x[1]), co = std::cos(2 * c.x[1]);
  const double cz = std::cos(c.x[2]), sz = std::sin(c.x[2]);
  const double g = ex * s * cz;
  c.exact.value = g;
  c.exact.grad[0] = g;
  c.exact.grad[1] = 2 * ex * co * cz;
  c.exact.grad[2] = -ex * s * sz;
  c.exact.lap = g - 4 * g - g;
  c.d5[0] = g;
  c.d5[1] = 32 * ex * co * cz;
  c.d5[2] = -ex * s * sz;
  c.d6 = g - 64 * g - g;
  return c;
}

JetCase case_1d() {
  JetCase c{1, "sin(3*x)", {0.35, 0, 0}, {}, {}, 0};
  const double s = std::sin(3 * c.x[0]), co = std::cos(3 * c.x[0]);
  c.exact.value = s;
  c.exact.grad[0] = 3 * co;
  c.exact.lap = -9 * s;
  c.d5[0] = 243 * co;
  c.d6 = -729 * s;
  return c;
}

TEST(ExpressionJet, ErrorIsTheFourthOrderTruncationTerm) {
  for (const JetCase& c : {case_1d(), case_2d(), case_3d()}) {
    SCOPED_TRACE(c.text);
    const npde::Expression g(c.text, npde::pde::PoissonProblem::variables(c.dim), "test.g");
    for (double h : {0.05, 0.025}) {
      const double hs[3] = {h, h, h};
      const ScalarJet j = npde::pinn::expression_jet(g, c.dim, c.x, hs);
      EXPECT_DOUBLE_EQ(j.value, c.exact.value);
      const double h4 = h * h * h * h;
      for (int k = 0; k < c.dim; ++k) {
        const double err = j.grad[k] - c.exact.grad[k], predicted = -h4 / 30 * c.d5[k];
        EXPECT_NEAR(err, predicted, 0.05 * std::abs(predicted) + 1e-12) << "grad " << k << ", h " << h;
      }
      const double err = j.lap - c.exact.lap, predicted = -h4 / 90 * c.d6;
      EXPECT_NEAR(err, predicted, 0.05 * std::abs(predicted) + 1e-11) << "lap, h " << h;
    }
  }
}

TEST(ExpressionJet, PerAxisStepsAndProductionStepAccuracy) {
  // The step PoissonPinn uses (1e-3 of the extent): truncation ~1e-13, rounding ~eps/h^2 ~ 1e-9.
  const JetCase c = case_3d();
  const npde::Expression g(c.text, npde::pde::PoissonProblem::variables(3), "test.g");
  const double hs[3] = {1e-3, 2e-3, 0.5e-3};
  const ScalarJet j = npde::pinn::expression_jet(g, 3, c.x, hs);
  for (int k = 0; k < 3; ++k) EXPECT_NEAR(j.grad[k], c.exact.grad[k], 1e-10) << k;
  EXPECT_NEAR(j.lap, c.exact.lap, 1e-7);
}

}  // namespace
