// SPDX-License-Identifier: BSD-3-Clause
// Operator losses and training helpers: the relative L2 and H1 losses' values and gradients (central
// differences; periodic and bounded grids), per-channel normalisation, the learning-rate schedules.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "npde/core/rng.hpp"
#include "npde/fno/losses.hpp"
#include "npde/fno/training.hpp"

namespace {

using npde::fno::relative_h1_sum;
using npde::fno::relative_l2_sum;

std::vector<double> field(std::size_t n, std::uint64_t stream, double offset) {
  std::vector<double> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = offset + 2 * npde::rng::uniform(11, stream, i) - 1;
  return v;
}

TEST(FnoLosses, RelativeL2SumIsTheSumOfRatiosAndItsGradientIsScaled) {
  const int batch = 3;
  const long n = 10;
  const auto y = field(batch * n, 1, 0.0), t = field(batch * n, 2, 0.5);
  std::vector<double> g(y.size()), per(batch);
  const double scale = 0.25;
  const double l = relative_l2_sum<double>(y.data(), t.data(), batch, n, scale, g.data(), per.data());
  double want = 0;
  for (int b = 0; b < batch; ++b) {
    double d2 = 0, t2 = 0;
    for (long i = 0; i < n; ++i) d2 += std::pow(y[b * n + i] - t[b * n + i], 2), t2 += t[b * n + i] * t[b * n + i];
    EXPECT_NEAR(per[b], std::sqrt(d2 / t2), 1e-14);
    want += std::sqrt(d2 / t2);
  }
  EXPECT_NEAR(l, want, 1e-13);
  const double h = 1e-6;
  for (std::size_t i = 0; i < y.size(); ++i) {
    auto yp = y, ym = y;
    yp[i] += h, ym[i] -= h;
    const double fd = scale * (relative_l2_sum<double>(yp.data(), t.data(), batch, n, 1, nullptr) -
                               relative_l2_sum<double>(ym.data(), t.data(), batch, n, 1, nullptr)) / (2 * h);
    EXPECT_NEAR(g[i], fd, 1e-8) << "value " << i;
  }
}

void check_h1(bool periodic) {
  const int batch = 2, channels = 2, n1 = 5, n2 = 4;
  const std::size_t n = std::size_t(batch) * channels * n1 * n2;
  const auto y = field(n, 3, 0.0), t = field(n, 4, 0.3);
  const double h1 = 0.25, h2 = 1.0 / 3.0, scale = 0.5;
  std::vector<double> g(n), per(batch);
  const double l = relative_h1_sum<double>(y.data(), t.data(), batch, channels, n1, n2, h1, h2, periodic, scale,
                                           g.data(), per.data());
  // the norm written out directly from its definition
  auto norm2 = [&](const std::vector<double>& v, int b) {
    double s = 0;
    for (int c = 0; c < channels; ++c) {
      auto at = [&](int i, int j) { return v[((std::size_t(b) * channels + c) * n1 + i) * n2 + j]; };
      for (int i = 0; i < n1; ++i)
        for (int j = 0; j < n2; ++j) {
          int ilo = i - 1, ihi = i + 1, jlo = j - 1, jhi = j + 1;
          double s1 = 2 * h1, s2 = 2 * h2;
          if (periodic) {
            ilo = (ilo + n1) % n1, ihi %= n1, jlo = (jlo + n2) % n2, jhi %= n2;
          } else {
            if (ilo < 0) ilo = 0, s1 = h1;
            if (ihi >= n1) ihi = n1 - 1, s1 = h1;
            if (jlo < 0) jlo = 0, s2 = h2;
            if (jhi >= n2) jhi = n2 - 1, s2 = h2;
          }
          const double d1 = (at(ihi, j) - at(ilo, j)) / s1, d2 = (at(i, jhi) - at(i, jlo)) / s2;
          s += at(i, j) * at(i, j) + d1 * d1 + d2 * d2;
        }
    }
    return s;
  };
  std::vector<double> e(n);
  for (std::size_t i = 0; i < n; ++i) e[i] = y[i] - t[i];
  double want = 0;
  for (int b = 0; b < batch; ++b) {
    const double r = std::sqrt(norm2(e, b) / norm2(t, b));
    EXPECT_NEAR(per[b], r, 1e-13);
    want += r;
  }
  EXPECT_NEAR(l, want, 1e-12);
  const double h = 1e-6;
  for (std::size_t i = 0; i < n; ++i) {
    auto yp = y, ym = y;
    yp[i] += h, ym[i] -= h;
    const double fd = scale *
                      (relative_h1_sum<double>(yp.data(), t.data(), batch, channels, n1, n2, h1, h2, periodic, 1, nullptr) -
                       relative_h1_sum<double>(ym.data(), t.data(), batch, channels, n1, n2, h1, h2, periodic, 1, nullptr)) /
                      (2 * h);
    EXPECT_NEAR(g[i], fd, 1e-8) << "value " << i;
  }
}

TEST(FnoLosses, RelativeH1OnAPeriodicGrid) { check_h1(true); }
TEST(FnoLosses, RelativeH1OnABoundedGrid) { check_h1(false); }

TEST(FnoLosses, DarcyResidualValueAndGradient) {
  const int batch = 2, n1 = 6, n2 = 5;
  const long P = long(n1) * n2;
  const double h1 = 0.2, h2 = 0.25, scale = 0.7;
  auto u = field(std::size_t(batch) * P, 5, 0.0), a = field(std::size_t(batch) * P, 6, 3.0), f = field(std::size_t(P), 7, 1.0);
  std::vector<double> g(u.size()), per(batch);
  const double l = npde::fno::darcy_residual_sum<double>(u.data(), a.data(), f.data(), batch, n1, n2, h1, h2, scale,
                                                        g.data(), per.data());
  // the residual written out: harmonic-mean faces, interior nodes only
  double want = 0;
  for (int b = 0; b < batch; ++b) {
    auto U = [&](int i, int j) { return u[b * P + i * n2 + j]; };
    auto A = [&](int i, int j) { return a[b * P + i * n2 + j]; };
    auto face = [](double x, double y) { return 2 * x * y / (x + y); };
    double r2 = 0, f2 = 0;
    for (int i = 1; i + 1 < n1; ++i)
      for (int j = 1; j + 1 < n2; ++j) {
        const double r = (face(A(i, j), A(i - 1, j)) * (U(i, j) - U(i - 1, j)) +
                          face(A(i, j), A(i + 1, j)) * (U(i, j) - U(i + 1, j))) / (h1 * h1) +
                         (face(A(i, j), A(i, j - 1)) * (U(i, j) - U(i, j - 1)) +
                          face(A(i, j), A(i, j + 1)) * (U(i, j) - U(i, j + 1))) / (h2 * h2) - f[i * n2 + j];
        r2 += r * r, f2 += f[i * n2 + j] * f[i * n2 + j];
      }
    EXPECT_NEAR(per[b], std::sqrt(r2 / f2), 1e-12 * per[b]);
    want += std::sqrt(r2 / f2);
  }
  EXPECT_NEAR(l, want, 1e-12 * want);
  const double h = 1e-6;
  for (std::size_t i = 0; i < u.size(); ++i) {
    auto up = u, um = u;
    up[i] += h, um[i] -= h;
    const double fd = scale *
                      (npde::fno::darcy_residual_sum<double>(up.data(), a.data(), f.data(), batch, n1, n2, h1, h2, 1, nullptr) -
                       npde::fno::darcy_residual_sum<double>(um.data(), a.data(), f.data(), batch, n1, n2, h1, h2, 1, nullptr)) /
                      (2 * h);
    EXPECT_NEAR(g[i], fd, 1e-7 * std::max(1.0, std::fabs(fd))) << "node " << i;
  }
}

TEST(FnoLosses, PreconditionedDarcyResidualIsTheErrorForTheLaplacian) {
  // a = 1 makes A the Laplacian L itself: with f = L v, ||L^-1 (L u - f)|| / ||L^-1 f|| = ||u - v|| / ||v||
  const int n1 = 9, n2 = 7;
  const long P = long(n1) * n2;
  const double h1 = 1.0 / (n1 - 1), h2 = 1.0 / (n2 - 1);
  std::vector<double> v(P, 0.0), u(P, 0.0), a(P, 1.0), f(P, 0.0);
  for (int i = 1; i + 1 < n1; ++i)
    for (int j = 1; j + 1 < n2; ++j) {
      v[i * n2 + j] = npde::rng::normal(8, 1, i * n2 + j);
      u[i * n2 + j] = v[i * n2 + j] + 0.1 * npde::rng::normal(8, 2, i * n2 + j);
    }
  for (int i = 1; i + 1 < n1; ++i)
    for (int j = 1; j + 1 < n2; ++j) {
      const long c = long(i) * n2 + j;
      f[c] = (2 * v[c] - v[c - n2] - v[c + n2]) / (h1 * h1) + (2 * v[c] - v[c - 1] - v[c + 1]) / (h2 * h2);
    }
  double e2 = 0, v2 = 0;
  for (long c = 0; c < P; ++c) e2 += (u[c] - v[c]) * (u[c] - v[c]), v2 += v[c] * v[c];
  double per = 0;
  npde::fno::darcy_residual_sum<double>(u.data(), a.data(), f.data(), 1, n1, n2, h1, h2, 0, nullptr, &per, true);
  EXPECT_NEAR(per, std::sqrt(e2 / v2), 1e-10);
  // and its gradient against central differences, on a varying coefficient
  const int batch = 2;
  auto ub = field(std::size_t(batch) * P, 9, 0.0), ab = field(std::size_t(batch) * P, 10, 3.0);
  std::vector<double> g(ub.size());
  npde::fno::darcy_residual_sum<double>(ub.data(), ab.data(), f.data(), batch, n1, n2, h1, h2, 0.5, g.data(), nullptr,
                                        true);
  const double h = 1e-6;
  for (std::size_t i = 0; i < ub.size(); ++i) {
    auto up = ub, um = ub;
    up[i] += h, um[i] -= h;
    const double fd =
        0.5 *
        (npde::fno::darcy_residual_sum<double>(up.data(), ab.data(), f.data(), batch, n1, n2, h1, h2, 1, nullptr, nullptr, true) -
         npde::fno::darcy_residual_sum<double>(um.data(), ab.data(), f.data(), batch, n1, n2, h1, h2, 1, nullptr, nullptr, true)) /
        (2 * h);
    EXPECT_NEAR(g[i], fd, 1e-7 * std::max(1.0, std::fabs(fd))) << "node " << i;
  }
}

TEST(FnoTraining, ChannelNormalizerFitsPerChannel) {
  // 2 samples, 2 channels, 3 points: channel 0 = {1..6} values, channel 1 constant 4
  const std::vector<double> v{1, 2, 3, 4, 4, 4, 4, 5, 6, 4, 4, 4};
  const auto z = npde::fno::ChannelNormalizer::fit(v, 2, 2, 3);
  EXPECT_DOUBLE_EQ(z.mean[0], 3.5);
  EXPECT_NEAR(z.stddev[0], std::sqrt(17.5 / 6), 1e-14);
  EXPECT_DOUBLE_EQ(z.mean[1], 4.0);
  EXPECT_DOUBLE_EQ(z.stddev[1], 1.0);  // a constant channel is shifted, not divided by zero
  auto w = v;
  z.encode(w, 3);
  EXPECT_NEAR(w[0], (1 - 3.5) / z.stddev[0], 1e-14);
  EXPECT_DOUBLE_EQ(w[3], 0.0);
}

TEST(FnoTraining, Schedules) {
  npde::fno::OperatorTrainConfig c;
  c.epochs = 10;
  c.schedule = "step", c.schedule_step = 4, c.schedule_gamma = 0.5;
  EXPECT_DOUBLE_EQ(npde::fno::schedule_factor(c, 3), 1.0);
  EXPECT_DOUBLE_EQ(npde::fno::schedule_factor(c, 4), 0.5);
  EXPECT_DOUBLE_EQ(npde::fno::schedule_factor(c, 9), 0.25);
  c.schedule = "cosine";
  EXPECT_DOUBLE_EQ(npde::fno::schedule_factor(c, 0), 1.0);
  EXPECT_NEAR(npde::fno::schedule_factor(c, 5), 0.5, 1e-15);
  c.schedule = "none";
  EXPECT_DOUBLE_EQ(npde::fno::schedule_factor(c, 7), 1.0);
}

}  // namespace
