// SPDX-License-Identifier: BSD-3-Clause
// The catalogue's scalar equations: each residual vanishes (to rounding) on a known solution, given
// by its analytic jet, and its dual-number derivatives with respect to the jet entries match
// central differences of the plain-number residual.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "npde/core/dual.hpp"
#include "npde/core/rng.hpp"
#include "npde/pde/scalar_equations.hpp"

namespace {

using namespace npde::pde;
constexpr double kPi = 3.14159265358979323846;
// Rounding of a few products of O(100) numbers.
constexpr double kTolResidual = 1e-11;
// Central differences with h = 1e-6 on polynomials of degree <= 3 in the entries.
constexpr double kTolDerivative = 1e-6;

/// Canonical jet of one output.
struct Jet {
  double e[kCanonical] = {};
  void set_value(double v) { e[canonical_value()] = v; }
  void set_d(int k, double v) { e[canonical_d(k)] = v; }
  void set_dd(int k, double v) { e[canonical_dd(k)] = v; }
  void set_lap(double v) { e[canonical_lap()] = v; }
};

template <class Eq>
double residual_of(const Jet& u, double data, const std::vector<double>& k) {
  double r[Eq::n_residuals];
  const double d[1] = {data};
  Eq::template residual<double, double, double>(Fields<double>{u.e}, d, k.data(), r);
  return r[0];
}

/// Dual derivative of residual 0 with respect to every canonical entry, against central differences.
template <class Eq>
void check_dual(const std::vector<double>& k) {
  Jet u;
  for (int c = 0; c < kCanonical; ++c) u.e[c] = -1.5 + 3.0 * npde::rng::uniform(7, 3, std::uint64_t(c));
  const double data[1] = {0.3};
  using D = npde::Dual<double, kCanonical>;
  D ud[kCanonical];
  for (int c = 0; c < kCanonical; ++c) ud[c] = D::variable(u.e[c], c);
  D r[Eq::n_residuals];
  Eq::template residual<D, double, double>(Fields<D>{ud}, data, k.data(), r);
  EXPECT_NEAR(r[0].v, residual_of<Eq>(u, data[0], k), 1e-14);
  for (int c = 0; c < kCanonical; ++c) {
    const double h = 1e-6;
    Jet up = u, um = u;
    up.e[c] += h;
    um.e[c] -= h;
    const double fd = (residual_of<Eq>(up, data[0], k) - residual_of<Eq>(um, data[0], k)) / (2 * h);
    EXPECT_NEAR(r[0].d[c], fd, kTolDerivative * (1 + std::abs(fd))) << Eq::name << " entry " << c;
  }
}

// Helmholtz 2D: u = sin(pi x) sin(4 pi y), f = ((1 + 16) pi^2 - k^2) u (the helmholtz2d deck).
TEST(ScalarEquations, HelmholtzVanishesOnItsExactSolution) {
  const double k = 1.0, x = 0.3, y = -0.7;
  const double u = std::sin(kPi * x) * std::sin(4 * kPi * y);
  Jet j;
  j.set_value(u);
  j.set_lap(-17 * kPi * kPi * u);
  EXPECT_NEAR(residual_of<HelmholtzEquation<2>>(j, (17 * kPi * kPi - k * k) * u, {k}), 0.0, kTolResidual);
}

// Heat 1D (the heat1d deck's first mode with reaction): u = exp(-(D + r) t) sin x, f = 0.
TEST(ScalarEquations, HeatVanishesOnADecayingMode) {
  const double D = 0.7, r = 0.2, x = 1.1, t = 0.4;
  const double u = std::exp(-(D + r) * t) * std::sin(x);
  Jet j;
  j.set_value(u);
  j.set_d(0, std::exp(-(D + r) * t) * std::cos(x));
  j.set_d(1, -(D + r) * u);
  j.set_lap(-u);
  EXPECT_NEAR(residual_of<HeatEquation<1>>(j, 0.0, {D, r}), 0.0, kTolResidual);
}

// Burgers: the steady viscous shock u = -tanh(x / (2 nu)) solves u u_x = nu u_xx.
TEST(ScalarEquations, BurgersVanishesOnTheViscousShock) {
  const double nu = 0.05, x = 0.03;
  const double th = std::tanh(x / (2 * nu)), s2 = 1 - th * th;
  Jet j;
  j.set_value(-th);
  j.set_d(0, -s2 / (2 * nu));
  j.set_d(1, 0.0);
  j.set_dd(0, th * s2 / (2 * nu * nu));
  EXPECT_NEAR(residual_of<BurgersEquation>(j, 0.0, {nu}), 0.0, kTolResidual * 1e3);  // entries O(100)
}

// Allen-Cahn: the steady front u = tanh(a x), a = sqrt(rho / (2 D)).
TEST(ScalarEquations, AllenCahnVanishesOnTheSteadyFront) {
  const double D = 1e-3, rho = 5, a = std::sqrt(rho / (2 * D)), x = 0.01;
  const double th = std::tanh(a * x), s2 = 1 - th * th;
  Jet j;
  j.set_value(th);
  j.set_d(0, a * s2);
  j.set_dd(0, -2 * a * a * th * s2);
  EXPECT_NEAR(residual_of<AllenCahnEquation>(j, 0.0, {D, rho}), 0.0, kTolResidual * 1e3);
}

// Klein-Gordon (the klein_gordon1d deck): u = x cos(5 pi t) + (x t)^3 with its source.
TEST(ScalarEquations, KleinGordonVanishesOnTheDeckSolution) {
  const double x = 0.4, t = 0.7, c = 1, g = 1;
  const double u = x * std::cos(5 * kPi * t) + std::pow(x * t, 3);
  Jet j;
  j.set_value(u);
  j.set_dd(0, 6 * x * t * t * t);
  j.set_dd(1, -25 * kPi * kPi * x * std::cos(5 * kPi * t) + 6 * x * x * x * t);
  const double f = -25 * kPi * kPi * x * std::cos(5 * kPi * t) + 6 * x * x * x * t - 6 * x * t * t * t + u * u * u;
  EXPECT_NEAR(residual_of<KleinGordonEquation>(j, f, {c, g}), 0.0, kTolResidual * 1e2);
}

TEST(ScalarEquations, PoissonVanishesOnAHarmonicPlusQuadratic) {
  Jet j;
  j.set_value(0.25);
  j.set_lap(-3.0);  // u = -(x^2 + y^2 + z^2) / 2 + ..., -Lap u = 3
  EXPECT_NEAR(residual_of<PoissonEquation<3>>(j, 3.0, {}), 0.0, kTolResidual);
}

TEST(ScalarEquations, DualDerivativesMatchFiniteDifferences) {
  check_dual<PoissonEquation<2>>({});
  check_dual<HelmholtzEquation<2>>({2.0});
  check_dual<HeatEquation<2>>({0.5, 0.3});
  check_dual<BurgersEquation>({0.01});
  check_dual<AllenCahnEquation>({1e-3, 5.0});
  check_dual<KleinGordonEquation>({1.2, -0.7});
}

// The channel bookkeeping the PINN relies on.
TEST(ScalarEquations, NeedsCountChannels) {
  EXPECT_EQ(channels_of(BurgersEquation::needs), 4);        // u, u_x, u_t, u_xx
  EXPECT_EQ(channels_of(HeatEquation<2>::needs), 5);        // u, u_x, u_y, u_t, Lap_xy u
  EXPECT_EQ(channels_of(KleinGordonEquation::needs), 5);    // u, u_x, u_t, u_xx, u_tt
  EXPECT_EQ(channels_of(HelmholtzEquation<3>::needs), 5);   // u, grad u, Lap u
}

}  // namespace
