// SPDX-License-Identifier: BSD-3-Clause
// Gaussian random fields: determinism on every rank, independence of samples, spectrum and variance.
#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <cstdio>
#include <vector>

#include "npde/core/error.hpp"
#include "npde/decomp/communicator.hpp"
#include "npde/reference/random_field.hpp"

namespace {

using npde::decomp::Communicator;
using npde::reference::RandomFieldParams;

const double pi = std::acos(-1.0);

// Fourier coefficient c_k = (1/N) sum_x u(x) exp(-2 pi i k.x) of a field on an nx x ny periodic grid.
std::complex<double> mode(const std::vector<double>& u, int nx, int ny, int kx, int ky) {
  std::complex<double> c = 0;
  for (int j = 0; j < ny; ++j)
    for (int i = 0; i < nx; ++i)
      c += u[j * nx + i] * std::polar(1.0, -2 * pi * (static_cast<double>(kx) * i / nx + static_cast<double>(ky) * j / ny));
  return c / static_cast<double>(nx * ny);
}

double mean_square(const std::vector<double>& u) {
  double s = 0;
  for (double v : u) s += v * v;
  return s / static_cast<double>(u.size());
}

TEST(RandomField, SampleIsAPureFunctionOfSeedAndIndexOnEveryRank) {
  const Communicator world = Communicator::world();
  RandomFieldParams p;
  p.seed = 42;
  const auto a = npde::reference::sample_random_field(p, 7, 24, 20);
  const auto b = npde::reference::sample_random_field(p, 7, 24, 20);
  ASSERT_EQ(a.size(), 24u * 20u);
  EXPECT_EQ(a, b);
  // Every rank must hold the same bits: compare with rank 0's copy.
  const std::vector<double> root = world.allgatherv(world.is_root() ? a : std::vector<double>{});
  ASSERT_EQ(root.size(), a.size());
  EXPECT_EQ(root, a) << "rank " << world.rank();
}

TEST(RandomField, DifferentIndicesAndSeedsGiveDifferentSamples) {
  RandomFieldParams p;
  const auto base = npde::reference::sample_random_field(p, 0, 32, 32);
  auto other_seed = p;
  other_seed.seed = 1;
  for (const auto& other : {npde::reference::sample_random_field(p, 1, 32, 32),
                            npde::reference::sample_random_field(other_seed, 0, 32, 32)}) {
    double diff = 0;
    for (std::size_t l = 0; l < base.size(); ++l) diff += (base[l] - other[l]) * (base[l] - other[l]);
    // Independent samples: E|u - v|^2 = 2 Var u; far from 0.
    EXPECT_GT(diff / base.size(), 0.5 * mean_square(base));
  }
}

TEST(RandomField, MeanIsZeroAndCoarseModesDoNotDependOnTheResolution) {
  RandomFieldParams p;
  p.seed = 3;
  const auto coarse = npde::reference::sample_random_field(p, 5, 16, 12);
  const auto fine = npde::reference::sample_random_field(p, 5, 64, 48);
  double sum = 0;
  for (double v : coarse) sum += v;
  EXPECT_NEAR(sum / coarse.size(), 0.0, 1e-14);
  for (const auto& [kx, ky] : {std::pair{1, 0}, std::pair{0, 1}, std::pair{2, -3}, std::pair{-5, 4}}) {
    const auto c = mode(coarse, 16, 12, kx, ky), f = mode(fine, 64, 48, kx, ky);
    EXPECT_NEAR(std::abs(c - f), 0.0, 1e-12 * std::abs(c)) << "mode (" << kx << ", " << ky << ")";
  }
}

// E|c_k|^2 = lambda_k per mode and E[mean of u^2] = sum lambda_k, within sampling error.
TEST(RandomField, EmpiricalSpectrumAndVarianceMatchTheFormula) {
  const Communicator world = Communicator::world();
  RandomFieldParams p;  // FNO Darcy: alpha 2, tau 3, sigma = tau^(alpha - 1)
  p.seed = 11;
  const int n = 32, samples = 400;
  const std::vector<std::pair<int, int>> modes = {{1, 0}, {0, 1}, {1, 1}, {2, -1}, {3, 2}, {16, 0}, {16, 16}};
  std::vector<double> power(modes.size(), 0.0);
  double sum_ms = 0, sum_ms2 = 0;
  // Split the samples over the ranks (the sample does not depend on where it is drawn).
  for (int s = world.rank(); s < samples; s += world.size()) {
    const auto u = npde::reference::sample_random_field(p, static_cast<std::uint64_t>(s), n, n);
    for (std::size_t m = 0; m < modes.size(); ++m) power[m] += std::norm(mode(u, n, n, modes[m].first, modes[m].second));
    const double ms = mean_square(u);
    sum_ms += ms, sum_ms2 += ms * ms;
  }
  world.allreduce_sum(power.data(), power.size());
  sum_ms = world.sum(sum_ms), sum_ms2 = world.sum(sum_ms2);

  for (std::size_t m = 0; m < modes.size(); ++m) {
    const double lambda = npde::reference::random_field_mode_variance(p, modes[m].first, modes[m].second);
    const double ratio = power[m] / samples / lambda;
    // |c_k|^2 / lambda_k is Exp(1) (chi^2_1 for the self-conjugate Nyquist modes, std sqrt 2).
    const double tolerance = 5 * std::sqrt(2.0 / samples);
    if (world.is_root()) std::printf("[ mode (%d,%d) ] E|c|^2 / lambda = %.3f\n", modes[m].first, modes[m].second, ratio);
    EXPECT_NEAR(ratio, 1.0, tolerance) << "mode (" << modes[m].first << ", " << modes[m].second << ")";
  }
  const double mean = sum_ms / samples, stderr_ = std::sqrt((sum_ms2 / samples - mean * mean) / samples);
  const double expected = npde::reference::random_field_grid_variance(p, n, n);
  if (world.is_root())
    std::printf("[ variance ] empirical %.4f +- %.4f, formula %.4f\n", mean, stderr_, expected);
  EXPECT_NEAR(mean, expected, 5 * stderr_);
  // The default sigma makes the variance independent of tau's scale: about 1/(4 pi (alpha - 1)) less the
  // missing mean mode, i.e. a standard deviation of about 0.16 here.
  EXPECT_GT(expected, 0.01);
  EXPECT_LT(expected, 1.0);
}

TEST(RandomField, ClosedGridRepeatsThePeriodicSampleAndThresholdingGivesTwoValues) {
  RandomFieldParams p;
  p.seed = 9;
  p.thresholded = true;
  const auto periodic = npde::reference::sample_random_field(p, 2, 16, 16);
  const auto closed = npde::reference::sample_random_field_closed(p, 2, 17, 17);
  ASSERT_EQ(closed.size(), 17u * 17u);
  for (int j = 0; j < 17; ++j)
    for (int i = 0; i < 17; ++i) EXPECT_EQ(closed[j * 17 + i], periodic[(j % 16) * 16 + i % 16]);
  const auto a = npde::reference::threshold_field(p, closed);
  int n_above = 0;
  for (std::size_t l = 0; l < a.size(); ++l) {
    EXPECT_TRUE(a[l] == p.above || a[l] == p.below);
    EXPECT_EQ(a[l] == p.above, closed[l] >= p.threshold);
    n_above += a[l] == p.above;
  }
  EXPECT_GT(n_above, 0);
  EXPECT_LT(n_above, static_cast<int>(a.size()));
}

TEST(RandomField, InvalidParametersThrow) {
  RandomFieldParams p;
  p.tau = 0;
  EXPECT_THROW(npde::reference::sample_random_field(p, 0, 8, 8), npde::Error);
  EXPECT_THROW(npde::reference::sample_random_field(RandomFieldParams{}, 0, 1, 8), npde::Error);
  EXPECT_THROW(npde::reference::sample_random_field_closed(RandomFieldParams{}, 0, 2, 8), npde::Error);
}

}  // namespace
