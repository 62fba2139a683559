// SPDX-License-Identifier: BSD-3-Clause
// The FNO model: parameter layout and counts, and the reverse pass of the whole model (lifting, blocks
// with spectral convolution, skip, channel MLP and soft gating, projection) against central
// differences, with dense and Tucker spectral weights.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "npde/core/error.hpp"
#include "npde/core/rng.hpp"
#include "npde/fno/fno_model.hpp"

namespace {

using npde::fno::FnoModel;
using npde::fno::FnoShape;
using Kind = npde::fno::SpectralWeights::Kind;

void check_gradient(const FnoShape& s, long tile = 0) {
  FnoModel<double> model(s);
  model.set_tile_points(tile);
  std::vector<double> w(model.n_params());
  model.init(w.data(), 5);
  const int batch = 2, nx = 8, ny = 6;
  const std::size_t nin = std::size_t(batch) * s.in * nx * ny, nout = std::size_t(batch) * s.out * nx * ny;
  std::vector<double> x(nin), y(nout), wt(nout);
  for (std::size_t i = 0; i < nin; ++i) x[i] = 2 * npde::rng::uniform(2, 1, i) - 1;
  for (std::size_t i = 0; i < nout; ++i) wt[i] = 0.5 + npde::rng::uniform(2, 2, i);
  auto loss = [&](const std::vector<double>& ww, const std::vector<double>& xx) {
    std::vector<double> yy(nout);
    model.forward(ww.data(), xx.data(), batch, nx, ny, yy.data());
    double l = 0;
    for (std::size_t i = 0; i < nout; ++i) l += 0.5 * wt[i] * yy[i] * yy[i];
    return l;
  };
  model.forward(w.data(), x.data(), batch, nx, ny, y.data());
  std::vector<double> yb(nout), g(w.size(), 0.0), xb(nin);
  for (std::size_t i = 0; i < nout; ++i) yb[i] = wt[i] * y[i];
  model.backward(w.data(), yb.data(), xb.data(), g.data());
  const double h = 1e-6;
  double worst = 0;
  for (std::size_t i = 0; i < w.size(); ++i) {
    auto wp = w, wm = w;
    wp[i] += h, wm[i] -= h;
    const double fd = (loss(wp, x) - loss(wm, x)) / (2 * h);
    const double err = std::fabs(fd - g[i]) / std::max(1.0, std::fabs(fd));
    worst = std::max(worst, err);
    EXPECT_LT(err, 1e-6) << "parameter " << i << " fd " << fd << " analytic " << g[i];
  }
  for (std::size_t i = 0; i < nin; i += 5) {
    auto xp = x, xm = x;
    xp[i] += h, xm[i] -= h;
    const double fd = (loss(w, xp) - loss(w, xm)) / (2 * h);
    EXPECT_NEAR(xb[i], fd, 1e-6 * std::max(1.0, std::fabs(fd))) << "input " << i;
  }
  EXPECT_LT(worst, 1e-6);
}

TEST(FnoModel, GradientDense) { check_gradient({1, 1, 4, 2, 4, 4, 2, 2, {}}); }
TEST(FnoModel, GradientTuckerTwoChannels) { check_gradient({2, 2, 4, 2, 4, 4, 2, 2, {Kind::Tucker, 1.0, {2, 3, 2, 2}}}); }

// tiles of 7 points: 48 points per sample make six whole tiles and a short one
TEST(FnoModel, GradientInTilesOfSevenPoints) { check_gradient({2, 1, 4, 2, 4, 4, 2, 2, {}}, 7); }

TEST(FnoModel, TilesGiveTheWholeSampleResult) {
  const FnoShape s{2, 2, 6, 2, 4, 4, 2, 2, {Kind::Tucker, 0.5, {}}};
  const int batch = 3, nx = 8, ny = 6;
  const std::size_t nin = std::size_t(batch) * s.in * nx * ny, nout = std::size_t(batch) * s.out * nx * ny;
  std::vector<double> x(nin), yb(nout);
  for (std::size_t i = 0; i < nin; ++i) x[i] = 2 * npde::rng::uniform(3, 1, i) - 1;
  for (std::size_t i = 0; i < nout; ++i) yb[i] = npde::rng::uniform(3, 2, i) - 0.5;
  auto run = [&](long tile, std::vector<double>& y, std::vector<double>& g, std::vector<double>& xb) {
    FnoModel<double> model(s);
    model.set_tile_points(tile);
    std::vector<double> w(model.n_params());
    model.init(w.data(), 4);
    y.assign(nout, 0), g.assign(w.size(), 0), xb.assign(nin, 0);
    model.forward(w.data(), x.data(), batch, nx, ny, y.data());
    model.backward(w.data(), yb.data(), xb.data(), g.data());
    return model.tile_points();
  };
  std::vector<double> y1, g1, xb1, y2, g2, xb2;
  EXPECT_EQ(run(0, y1, g1, xb1), nx * ny);  // automatic: a whole sample this small
  EXPECT_EQ(run(5, y2, g2, xb2), 5);
  for (std::size_t i = 0; i < nout; ++i) EXPECT_NEAR(y2[i], y1[i], 1e-13 * (1 + std::fabs(y1[i]))) << "output " << i;
  for (std::size_t i = 0; i < nin; ++i) EXPECT_NEAR(xb2[i], xb1[i], 1e-13 * (1 + std::fabs(xb1[i]))) << "input " << i;
  for (std::size_t i = 0; i < g1.size(); ++i) EXPECT_NEAR(g2[i], g1[i], 1e-12 * (1 + std::fabs(g1[i]))) << "parameter " << i;
}

// predict(): forward()'s output bit for bit (float and double, dense and Tucker weights, three
// blocks through one set of fields, whole samples and tiles of 5); at another resolution between
// forward() and backward() it leaves forward()'s state alone; at forward()'s shape it uses forward()'s
// workspace, and backward() then refuses to run.
template <class T>
void check_predict(const FnoShape& s, long tile) {
  const int batch = 3, nx = 8, ny = 6;
  const std::size_t nin = std::size_t(batch) * s.in * nx * ny, nout = std::size_t(batch) * s.out * nx * ny;
  std::vector<T> x(nin), yb(nout), x2(std::size_t(2) * s.in * 16 * 12);
  for (std::size_t i = 0; i < nin; ++i) x[i] = T(2 * npde::rng::uniform(6, 1, i) - 1);
  for (std::size_t i = 0; i < nout; ++i) yb[i] = T(npde::rng::uniform(6, 2, i) - 0.5);
  for (std::size_t i = 0; i < x2.size(); ++i) x2[i] = T(2 * npde::rng::uniform(6, 3, i) - 1);
  const std::size_t n2 = std::size_t(2) * s.out * 16 * 12;
  std::vector<T> y2(n2), y2_ref(n2);
  auto train = [&](bool predict_between, std::vector<T>& y, std::vector<T>& yp, std::vector<T>& g) {
    FnoModel<T> model(s);
    model.set_tile_points(tile);
    std::vector<T> w(model.n_params());
    model.init(w.data(), 9);
    y.assign(nout, T(0)), yp.assign(nout, T(0)), g.assign(w.size(), T(0));
    model.forward(w.data(), x.data(), batch, nx, ny, y.data());
    if (predict_between) model.predict(w.data(), x2.data(), 2, 16, 12, y2.data());  // another shape: its own workspace
    model.backward(w.data(), yb.data(), nullptr, g.data());
    model.predict(w.data(), x.data(), batch, nx, ny, yp.data());  // forward()'s shape: its workspace
    EXPECT_THROW(model.backward(w.data(), yb.data(), nullptr, g.data()), npde::Error);
  };
  std::vector<T> y, yp, g, y0, yp0, g0;
  train(true, y, yp, g);
  train(false, y0, yp0, g0);
  for (std::size_t i = 0; i < nout; ++i) ASSERT_EQ(yp[i], y[i]) << "output " << i << " tile " << tile;
  for (std::size_t i = 0; i < g.size(); ++i) ASSERT_EQ(g[i], g0[i]) << "parameter " << i << " tile " << tile;
  // the own workspace's result (lifting and projection in a scratch tile) is forward()'s at that shape
  FnoModel<T> other(s);
  other.set_tile_points(tile);
  std::vector<T> w(other.n_params());
  other.init(w.data(), 9);
  other.forward(w.data(), x2.data(), 2, 16, 12, y2_ref.data());
  for (std::size_t i = 0; i < n2; ++i) ASSERT_EQ(y2[i], y2_ref[i]) << "output " << i << " at 16 x 12, tile " << tile;
}

TEST(FnoModel, PredictIsForwardWithoutItsState) {
  const FnoShape dense{2, 2, 6, 3, 4, 4, 2, 2, {}};
  const FnoShape tucker{2, 1, 6, 3, 4, 4, 2, 2, {Kind::Tucker, 0.5, {}}};
  for (long tile : {0L, 5L}) {
    check_predict<double>(dense, tile);
    check_predict<float>(dense, tile);
    check_predict<float>(tucker, tile);
  }
}

TEST(FnoModel, ParameterCounts) {
  // in 1, out 1, width 32, 4 blocks of 12 x 12 modes (7 columns), ratios 2
  const FnoShape s{1, 1, 32, 4, 12, 12, 2, 2, {}};
  const FnoModel<double> m(s);
  const std::size_t spectral = 4 * 2 * 32 * 32 * 12 * 7;
  EXPECT_EQ(m.spectral_params(), spectral);
  EXPECT_EQ(m.dense_spectral_params(), spectral);
  const std::size_t lift = (64 * 3 + 64) + (32 * 64 + 32), proj = (64 * 32 + 64) + (1 * 64 + 1);
  const std::size_t block = 32 + 32 * 32 + (16 * 32 + 16) + (32 * 16 + 32) + 32;
  EXPECT_EQ(m.n_params(), lift + proj + 4 * block + spectral);
  FnoShape t = s;
  t.weights = {Kind::Tucker, 0.1, {}};
  const FnoModel<double> tucker(t);
  EXPECT_LT(double(tucker.spectral_params()), 0.11 * double(spectral));
  EXPECT_EQ(tucker.dense_spectral_params(), spectral);
  EXPECT_THROW(FnoModel<double>(FnoShape{1, 1, 1, 4, 12, 12, 2, 2, {}}), npde::Error);  // width 1
}

}  // namespace

#include "npde/fno/losses.hpp"

namespace {
TEST(RelativeL2, ValueAndGradient) {
  const int batch = 3;
  const long n = 10;
  std::vector<double> y(batch * n), t(batch * n), g(batch * n);
  for (std::size_t i = 0; i < y.size(); ++i) y[i] = npde::rng::normal(1, 1, i), t[i] = npde::rng::normal(1, 2, i);
  const double l = npde::fno::relative_l2(y.data(), t.data(), batch, n, g.data());
  double ref = 0;
  for (int b = 0; b < batch; ++b) {
    double d2 = 0, t2 = 0;
    for (long i = 0; i < n; ++i) d2 += std::pow(y[b * n + i] - t[b * n + i], 2), t2 += t[b * n + i] * t[b * n + i];
    ref += std::sqrt(d2 / t2);
  }
  EXPECT_NEAR(l, ref / batch, 1e-14);
  const double h = 1e-6;
  for (std::size_t i = 0; i < y.size(); ++i) {
    auto yp = y, ym = y;
    yp[i] += h, ym[i] -= h;
    const double fd = (npde::fno::relative_l2(yp.data(), t.data(), batch, n, static_cast<double*>(nullptr)) -
                       npde::fno::relative_l2(ym.data(), t.data(), batch, n, static_cast<double*>(nullptr))) / (2 * h);
    EXPECT_NEAR(g[i], fd, 1e-8);
  }
  std::vector<double> zero(batch * n, 0.0);
  EXPECT_THROW(npde::fno::relative_l2(y.data(), zero.data(), batch, n, g.data()), npde::Error);
}
}  // namespace

#include "npde/fno/gelu.hpp"

namespace {
// GELU against its definition with erf; the float path (a polynomial erf that vectorises) within
// float's resolution, and its derivative consistent with the value.
TEST(Gelu, ValueAndDerivative) {
  double worst_f = 0;
  for (int k = -800; k <= 800; ++k) {
    const double z = k / 100.0;
    const double cdf = 0.5 * (1 + std::erf(z / std::sqrt(2.0)));
    const double a = z * cdf, d = cdf + z * std::exp(-0.5 * z * z) / std::sqrt(2 * M_PI);
    double ad, dd;
    npde::fno::gelu_both(z, ad, dd);
    EXPECT_NEAR(ad, a, 1e-15 * std::max(1.0, std::fabs(z)));
    EXPECT_NEAR(dd, d, 1e-14);
    float af, df;
    npde::fno::gelu_both(float(z), af, df);
    worst_f = std::max(worst_f, std::fabs(af - a) / std::max(1.0, std::fabs(z)));
    EXPECT_NEAR(df, d, 5e-7) << z;
  }
  EXPECT_LT(worst_f, 5e-7);
  // the float exponential behind it, over its whole range (relative error a few float ulps)
  double worst_e = 0;
  for (int k = 0; k <= 100000; ++k) {
    const float x = -90.0f * float(k) / 100000.0f;
    const double ref = std::exp(std::max(double(x), -87.0));
    worst_e = std::max(worst_e, std::fabs(double(npde::fno::detail::exp_nonpositive(x)) - ref) / ref);
  }
  EXPECT_LT(worst_e, 4e-7);
}
}  // namespace
