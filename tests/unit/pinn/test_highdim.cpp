// SPDX-License-Identifier: BSD-3-Clause
// The two-body problem on the unit ball and its SDGD model: the exact solution's Laplacian against
// finite differences, the points in the ball, the gradient against finite differences for both
// forms, the sampled Laplacian unbiased (its mean over many draws is the exact one), the draw the
// same on every call for an iteration, and a short training run that lowers the error.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <set>
#include <vector>

#include "npde/core/error.hpp"
#include "npde/core/rng.hpp"
#include "npde/decomp/communicator.hpp"
#include "npde/optim/adam.hpp"
#include "npde/pinn/highdim.hpp"

namespace {

using npde::View1;
using npde::decomp::Communicator;
using npde::pinn::HighDimOptions;
using npde::pinn::HighDimPinn;
using npde::pinn::TwoBody;

std::vector<double> to_vector(const View1<double>& v) {
  auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), v);
  return std::vector<double>(h.data(), h.data() + h.extent(0));
}

HighDimOptions small(int B) {
  HighDimOptions o;
  o.hidden = {16, 16};
  o.n_interior = 40;
  o.n_validation = 50;
  o.sdgd_dimensions = B;
  o.seed = 3;
  o.chunk = 16;  // several chunks, the last one partial
  return o;
}

TEST(TwoBody, LaplacianAgainstFiniteDifferences) {
  TwoBody p;
  p.dimension = 7;
  p.coefficient_seed = 4;
  std::vector<double> x{0.1, -0.3, 0.25, 0.05, -0.2, 0.33, -0.1};
  const double h = 1e-4, u0 = p.exact(x.data());
  double lap = 0;
  for (int k = 0; k < 7; ++k) {
    auto xp = x, xm = x;
    xp[k] += h;
    xm[k] -= h;
    lap += (p.exact(xp.data()) - 2 * u0 + p.exact(xm.data())) / (h * h);
  }
  EXPECT_NEAR(p.exact_laplacian(x.data()), lap, 1e-6 * std::max(1.0, std::abs(lap)));
  EXPECT_DOUBLE_EQ(p.source(x.data()), -p.exact_laplacian(x.data()));
  p.form = TwoBody::Form::AllenCahn;
  EXPECT_DOUBLE_EQ(p.source(x.data()), p.exact_laplacian(x.data()) + u0 - u0 * u0 * u0);
  // zero on the sphere
  std::vector<double> s(7, 1.0 / std::sqrt(7.0));
  EXPECT_NEAR(p.exact(s.data()), 0.0, 1e-14);
}

// Gradient of the loss against central differences, both forms, with the dimensions sampled.
void check_gradient(TwoBody::Form form, npde::nn::Architecture arch) {
  TwoBody p;
  p.dimension = 12;
  p.form = form;
  HighDimOptions o = small(3);
  o.architecture = arch;
  o.sdgd_independent = false;  // one draw: the gradient is the loss's own
  HighDimPinn<double> net(Communicator::self(), p, o);
  net.adapt(5);
  EXPECT_EQ(net.dimensions().size(), 3u);
  const std::size_t np = net.n_params();
  View1<double> grad("grad", np), scratch("scratch", np);
  const double loss = net.loss_and_gradient(grad);
  EXPECT_GT(loss, 0.0);
  EXPECT_EQ(loss, net.last_terms()[0]);
  const auto g = to_vector(grad), p0 = to_vector(net.params());
  auto loss_at = [&](std::size_t i, double v) {
    auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), net.params());
    h(i) = v;
    Kokkos::deep_copy(net.params(), h);
    return net.loss_and_gradient(scratch);
  };
  for (int s = 0; s < 24; ++s) {
    const std::size_t i = (s * 7919u) % np;
    const double h = 1e-5 * std::max(1.0, std::abs(p0[i]));
    const double fd = (loss_at(i, p0[i] + h) - loss_at(i, p0[i] - h)) / (2 * h);
    loss_at(i, p0[i]);
    EXPECT_NEAR(g[i], fd, 1e-6 * (std::abs(fd) + loss)) << "parameter " << i;
  }
}

TEST(HighDimPinn, GradientPoisson) { check_gradient(TwoBody::Form::Poisson, npde::nn::Architecture::Plain); }
TEST(HighDimPinn, GradientAllenCahnModified) {
  check_gradient(TwoBody::Form::AllenCahn, npde::nn::Architecture::Modified);
}

TEST(HighDimPinn, PointsInTheBallAndDimensionsDistinct) {
  TwoBody p;
  p.dimension = 30;
  HighDimPinn<double> net(Communicator::self(), p, small(8));
  // the trial function vanishes on the sphere and the points lie inside it
  std::vector<double> sphere(30, 0.0);
  sphere[4] = 1.0;
  EXPECT_NEAR(net.predict(sphere)[0], 0.0, 1e-14);
  for (long it : {0L, 1L, 977L}) {
    net.adapt(it);
    const auto dims = net.dimensions();
    EXPECT_EQ(std::set<int>(dims.begin(), dims.end()).size(), 8u);
    for (int k : dims) EXPECT_TRUE(k >= 0 && k < 30);
    net.adapt(it + 1);
    net.adapt(it);
    EXPECT_EQ(net.dimensions(), dims);  // a function of the iteration alone
  }
  EXPECT_THROW(HighDimPinn<double>(Communicator::self(), p, small(31)), npde::Error);
}

// The radii of the validation points: uniform in the ball's volume, r^d ~ U(0, 1); uniform in the
// radius (the SDGD and STDE codes' sampling), r ~ U(0, 1). 4000 points: the means within 4.5 standard
// errors (1 / sqrt(12 n) = 0.0046), and the other law's mean far outside.
TEST(HighDimPinn, RadiusLaws) {
  TwoBody p;
  p.dimension = 10;
  HighDimOptions o = small(4);
  o.n_validation = 4000;
  for (const bool uniform : {false, true}) {
    o.radius_uniform = uniform;
    HighDimPinn<double> net(Communicator::self(), p, o);
    std::vector<double> u, exact, radius;
    net.validation_fields(u, exact, radius);
    ASSERT_EQ(radius.size(), 4000u);
    double mean_r = 0, mean_rd = 0;
    for (double r : radius) {
      EXPECT_LE(r, 1.0);
      mean_r += r / 4000.0;
      mean_rd += std::pow(r, 10) / 4000.0;
    }
    if (uniform) {
      EXPECT_NEAR(mean_r, 0.5, 0.021);
      EXPECT_LT(mean_rd, 0.2);  // E r^10 = 1/11 for r ~ U(0, 1)
    } else {
      EXPECT_NEAR(mean_rd, 0.5, 0.021);
      EXPECT_GT(mean_r, 0.85);  // E r = d / (d + 1) = 0.91
    }
  }
}

// SDGD's estimator is unbiased: the residual is affine in the sampled Laplacian, so its mean over
// many draws equals the residual with the exact Laplacian (B = d), to within the sampling error.
TEST(HighDimPinn, SampledLaplacianIsUnbiased) {
  TwoBody p;
  p.dimension = 10;
  HighDimOptions o = small(10);
  o.n_interior = 6;
  HighDimPinn<double> exact(Communicator::self(), p, o);
  const auto r_exact = exact.residuals();
  o.sdgd_dimensions = 3;
  HighDimPinn<double> sampled(Communicator::self(), p, o);
  const int draws = 4000;
  std::vector<double> sum(r_exact.size(), 0.0), sum2(r_exact.size(), 0.0);
  double max_dev = 0;
  for (int k = 0; k < draws; ++k) {
    sampled.adapt(k);
    const auto r = sampled.residuals();
    for (std::size_t i = 0; i < r.size(); ++i) {
      sum[i] += r[i];
      sum2[i] += r[i] * r[i];
      max_dev = std::max(max_dev, std::abs(r[i] - r_exact[i]));
    }
  }
  EXPECT_GT(max_dev, 1e-3);  // the single draws do differ
  for (std::size_t i = 0; i < r_exact.size(); ++i) {
    const double mean = sum[i] / draws, sd = std::sqrt(std::max(sum2[i] / draws - mean * mean, 0.0));
    EXPECT_NEAR(mean, r_exact[i], 5 * sd / std::sqrt(double(draws)) + 1e-12) << "point " << i;
  }
}

// Independent draws: the gradient 2 mean r_I grad r_J is unbiased for the exact gradient of the mean
// squared residual (B = d), which the same-draw gradient is not.
TEST(HighDimPinn, IndependentDrawsGiveAnUnbiasedGradient) {
  TwoBody p;
  p.dimension = 8;
  HighDimOptions o = small(8);
  o.n_interior = 5;
  o.hidden = {8};
  HighDimPinn<double> exact(Communicator::self(), p, o);
  View1<double> grad("grad", exact.n_params());
  exact.loss_and_gradient(grad);
  const auto g_exact = to_vector(grad);
  auto mean_gradient = [&](bool independent, std::vector<double>& sd) {
    o.sdgd_dimensions = 2;
    o.sdgd_independent = independent;
    HighDimPinn<double> net(Communicator::self(), p, o);
    const int draws = 3000;
    std::vector<double> sum(g_exact.size(), 0.0), sum2(g_exact.size(), 0.0);
    int differ = 0;
    for (int k = 0; k < draws; ++k) {
      net.adapt(k);
      differ += net.dimensions() != net.gradient_dimensions();
      net.loss_and_gradient(grad);
      const auto g = to_vector(grad);
      for (std::size_t i = 0; i < g.size(); ++i) {
        sum[i] += g[i];
        sum2[i] += g[i] * g[i];
      }
    }
    EXPECT_EQ(differ > draws / 2, independent);  // 27 of 28 pairs differ from an independent draw
    sd.resize(sum.size());
    for (std::size_t i = 0; i < sum.size(); ++i) {
      sum[i] /= draws;
      sd[i] = std::sqrt(std::max(sum2[i] / draws - sum[i] * sum[i], 0.0) / draws);
    }
    return sum;
  };
  std::vector<double> sd, sd_same;
  const auto g_ind = mean_gradient(true, sd);
  const auto g_same = mean_gradient(false, sd_same);
  int biased = 0;
  for (std::size_t i = 0; i < g_exact.size(); i += 7) {
    EXPECT_NEAR(g_ind[i], g_exact[i], 5 * sd[i] + 1e-12) << "parameter " << i;
    if (std::abs(g_same[i] - g_exact[i]) > 5 * sd_same[i]) ++biased;
  }
  EXPECT_GT(biased, 0);  // the same-draw gradient is measurably biased on this problem
}

// A short Adam run with B = 4 of 20 dimensions lowers the validation error.
TEST(HighDimPinn, ShortTrainingLowersTheError) {
  TwoBody p;
  p.dimension = 20;
  HighDimOptions o = small(4);
  o.hidden = {32, 32};
  o.n_interior = 64;
  HighDimPinn<double> net(Communicator::self(), p, o);
  const double e0 = net.validation_error();
  npde::optim::AdamOptions ao;
  ao.lr = 2e-3;
  npde::optim::Adam<double> adam(net.n_params(), ao);
  View1<double> grad("grad", net.n_params());
  for (int it = 0; it < 400; ++it) {
    if (it % 10 == 0) net.sample(std::uint64_t(it / 10));
    net.adapt(it);
    net.loss_and_gradient(grad);
    adam.step(net.params(), grad);
  }
  const double e1 = net.validation_error();
  std::printf("[ sdgd     ] d = 20, B = 4: validation rel. L2 %.3e -> %.3e after 400 Adam steps\n", e0, e1);
  EXPECT_LT(e1, 0.5 * e0);
}

}  // namespace

// The exact Laplacian in several jet passes (d above the tangents one pass carries): the same residuals
// and gradient as one pass, to round-off, with a shorter last pass (10 = 4 + 4 + 2) and equal ones
// (10 = 5 + 5), both forms.
TEST(HighDimPinn, ExactLaplacianInPasses) {
  for (auto form : {TwoBody::Form::Poisson, TwoBody::Form::AllenCahn})
    for (int per_pass : {4, 5}) {
      TwoBody p;
      p.dimension = 10;
      p.form = form;
      HighDimOptions o = small(10);
      HighDimPinn<double> one(Communicator::self(), p, o);
      o.pass_dimensions = per_pass;
      HighDimPinn<double> passes(Communicator::self(), p, o);
      const auto r1 = one.residuals(), r2 = passes.residuals();
      ASSERT_EQ(r1.size(), r2.size());
      for (std::size_t i = 0; i < r1.size(); ++i) EXPECT_NEAR(r2[i], r1[i], 1e-12 * std::max(1.0, std::abs(r1[i])));
      const std::size_t np = one.n_params();
      View1<double> g1("g1", np), g2("g2", np);
      const double l1 = one.loss_and_gradient(g1), l2 = passes.loss_and_gradient(g2);
      EXPECT_NEAR(l2, l1, 1e-12 * l1);
      const auto a = to_vector(g1), b = to_vector(g2);
      double scale = 0;
      for (double v : a) scale = std::max(scale, std::abs(v));
      for (std::size_t i = 0; i < np; ++i) EXPECT_NEAR(b[i], a[i], 1e-11 * scale) << "parameter " << i;
      EXPECT_TRUE(passes.adaptive_state().empty());
    }
}
