// SPDX-License-Identifier: BSD-3-Clause
// Forward jets against finite differences of the network value, and the reverse pass against
// finite differences of a loss, for every activation, 1D-3D, Laplacian/diagonal/mixed channels.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "npde/core/rng.hpp"
#include "npde/nn/jet_mlp.hpp"

namespace {

using npde::nn::Activation;
using npde::nn::JetMlp;
using npde::nn::JetSpec;
using npde::nn::Mlp;
using npde::nn::SecondOrder;

// Finite-difference steps chosen for double: O(h^2) truncation vs O(eps/h^k) rounding.
constexpr double kStep1 = 1e-5;   // first derivatives: error ~ 1e-10
constexpr double kStep2 = 1e-4;   // second derivatives: error ~ 1e-8
constexpr double kTolJet = 2e-6;  // relative to max(1, |value|)

std::vector<double> random_points(int d, int n, std::uint64_t seed) {
  std::vector<double> x(std::size_t(d) * n);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = 2.0 * npde::rng::uniform(seed, 7, i) - 1.0;
  return x;
}

// Network values (all outputs) at points x (d, n) via a value-only jet.
std::vector<double> eval_values(const Mlp<double>& net, const std::vector<double>& x, int n) {
  JetMlp<double> jm(net, JetSpec::value_only(net.n_inputs()), n);
  npde::View1<double> xd("x", x.size());
  auto xh = Kokkos::create_mirror_view(xd);
  for (std::size_t i = 0; i < x.size(); ++i) xh(i) = x[i];
  Kokkos::deep_copy(xd, xh);
  jm.forward(xd.data(), n);
  const int no = net.n_outputs();
  std::vector<double> out(std::size_t(no) * n);
  Kokkos::View<const double*, npde::MemSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>> ov(jm.output(), out.size());
  auto oh = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), ov);
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = oh(i);
  return out;
}

std::vector<double> eval_jets(JetMlp<double>& jm, const std::vector<double>& x, int n, int no) {
  npde::View1<double> xd("x", x.size());
  auto xh = Kokkos::create_mirror_view(xd);
  for (std::size_t i = 0; i < x.size(); ++i) xh(i) = x[i];
  Kokkos::deep_copy(xd, xh);
  jm.forward(xd.data(), n);
  std::vector<double> out(std::size_t(no) * jm.n_channels() * n);
  Kokkos::View<const double*, npde::MemSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>> ov(jm.output(), out.size());
  auto oh = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), ov);
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = oh(i);
  return out;
}

// f(x + sum_k s_k h e_{dims_k}) at point p, output o.
double shifted(const Mlp<double>& net, const std::vector<double>& x, int p, int o, const std::vector<int>& dims,
               const std::vector<double>& steps) {
  const int d = net.n_inputs();
  std::vector<double> xp(x.begin() + std::size_t(d) * p, x.begin() + std::size_t(d) * (p + 1));
  for (std::size_t k = 0; k < dims.size(); ++k) xp[dims[k]] += steps[k];
  return eval_values(net, xp, 1)[o];
}

void check_jets(int d, Activation act, SecondOrder second, bool with_mixed, int n_out) {
  Mlp<double> net(d, {12, 10}, n_out, act);
  net.init_glorot(42 + d);
  JetSpec spec = JetSpec::laplacian(d);
  spec.second = second;
  if (with_mixed)
    for (int a = 0; a < d; ++a)
      for (int b = a + 1; b < d; ++b) spec.mixed.push_back({a, b});
  const int n = 5;
  JetMlp<double> jm(net, spec, n);
  const auto x = random_points(d, n, 3);
  const auto jets = eval_jets(jm, x, n, n_out);
  const auto vals = eval_values(net, x, n);
  auto at = [&](int o, int c, int p) { return jets[o + std::size_t(n_out) * (std::size_t(c) * n + p)]; };
  const double h1 = kStep1, h2 = kStep2;
  for (int p = 0; p < n; ++p)
    for (int o = 0; o < n_out; ++o) {
      const double f0 = vals[o + std::size_t(n_out) * p];
      const double scale = std::max(1.0, std::fabs(f0));
      EXPECT_NEAR(at(o, 0, p), f0, 1e-13 * scale);
      double lap = 0;
      for (int k = 0; k < d; ++k) {
        const double fp = shifted(net, x, p, o, {k}, {h1}), fm = shifted(net, x, p, o, {k}, {-h1});
        EXPECT_NEAR(at(o, spec.tangent_channel(k), p), (fp - fm) / (2 * h1), kTolJet * scale) << "d/dx" << k;
        const double gp = shifted(net, x, p, o, {k}, {h2}), gm = shifted(net, x, p, o, {k}, {-h2});
        const double second_k = (gp - 2 * f0 + gm) / (h2 * h2);
        lap += second_k;
        if (second == SecondOrder::Diagonal) {
          EXPECT_NEAR(at(o, spec.diagonal_channel(k), p), second_k, 1e2 * kTolJet * scale) << "d2/dx" << k;
        }
      }
      if (second == SecondOrder::Laplacian) {
        EXPECT_NEAR(at(o, spec.laplacian_channel(), p), lap, 1e2 * kTolJet * scale) << "Laplacian";
      }
      for (std::size_t m = 0; m < spec.mixed.size(); ++m) {
        const int a = spec.mixed[m].first, b = spec.mixed[m].second;
        const double fpp = shifted(net, x, p, o, {a, b}, {h2, h2}), fpm = shifted(net, x, p, o, {a, b}, {h2, -h2});
        const double fmp = shifted(net, x, p, o, {a, b}, {-h2, h2}), fmm = shifted(net, x, p, o, {a, b}, {-h2, -h2});
        EXPECT_NEAR(at(o, spec.mixed_channel(int(m)), p), (fpp - fpm - fmp + fmm) / (4 * h2 * h2),
                    1e2 * kTolJet * scale)
            << "mixed " << a << "," << b;
      }
    }
}

// Loss = 1/2 sum over outputs, channels, points of wt_c * jet^2; checks dLoss/dparams by central differences.
void check_param_gradient(int d, Activation act, SecondOrder second) {
  Mlp<double> net(d, {9, 7}, 2, act);
  net.init_glorot(7);
  JetSpec spec = JetSpec::laplacian(d);
  spec.second = second;
  if (d >= 2) spec.mixed.push_back({0, 1});
  const int n = 6, C = spec.n_channels(), no = net.n_outputs();
  JetMlp<double> jm(net, spec, n);
  const auto x = random_points(d, n, 11);
  std::vector<double> wt(C);
  for (int c = 0; c < C; ++c) wt[c] = 0.5 + 0.25 * c;
  auto loss_of = [&]() {
    const auto j = eval_jets(jm, x, n, no);
    double l = 0;
    for (int c = 0; c < C; ++c)
      for (int p = 0; p < n; ++p)
        for (int o = 0; o < no; ++o) {
          const double v = j[o + std::size_t(no) * (std::size_t(c) * n + p)];
          l += 0.5 * wt[c] * v * v;
        }
    return l;
  };
  // analytic gradient
  const auto j = eval_jets(jm, x, n, no);
  npde::View1<double> adj("adj", j.size()), grad("grad", net.n_params()), xd("x", x.size());
  auto adjh = Kokkos::create_mirror_view(adj);
  for (int c = 0; c < C; ++c)
    for (int p = 0; p < n; ++p)
      for (int o = 0; o < no; ++o) {
        const std::size_t e = o + std::size_t(no) * (std::size_t(c) * n + p);
        adjh(e) = wt[c] * j[e];
      }
  Kokkos::deep_copy(adj, adjh);
  auto xh = Kokkos::create_mirror_view(xd);
  for (std::size_t i = 0; i < x.size(); ++i) xh(i) = x[i];
  Kokkos::deep_copy(xd, xh);
  jm.forward(xd.data(), n);
  jm.backward(xd.data(), n, adj.data(), grad.data());
  auto gh = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), grad);
  auto ph = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), net.params());
  const double h = 1e-6;
  double max_rel = 0;
  for (std::size_t i = 0; i < net.n_params(); ++i) {
    const double orig = ph(i);
    ph(i) = orig + h;
    Kokkos::deep_copy(net.params(), ph);
    const double lp = loss_of();
    ph(i) = orig - h;
    Kokkos::deep_copy(net.params(), ph);
    const double lm = loss_of();
    ph(i) = orig;
    Kokkos::deep_copy(net.params(), ph);
    const double fd = (lp - lm) / (2 * h);
    const double err = std::fabs(fd - gh(i)) / std::max(1.0, std::fabs(fd));
    max_rel = std::max(max_rel, err);
    EXPECT_LT(err, 1e-6) << "param " << i << " fd " << fd << " analytic " << gh(i);
  }
  EXPECT_LT(max_rel, 1e-6);
}

}  // namespace

TEST(JetMlp, TanhLaplacian1D) { check_jets(1, Activation::Tanh, SecondOrder::Laplacian, false, 1); }
TEST(JetMlp, TanhLaplacian2D) { check_jets(2, Activation::Tanh, SecondOrder::Laplacian, false, 1); }
TEST(JetMlp, TanhDiagonalMixed3D) { check_jets(3, Activation::Tanh, SecondOrder::Diagonal, true, 2); }
TEST(JetMlp, SinLaplacian3D) { check_jets(3, Activation::Sin, SecondOrder::Laplacian, true, 1); }
TEST(JetMlp, SinDiagonal2D) { check_jets(2, Activation::Sin, SecondOrder::Diagonal, true, 1); }
TEST(JetMlp, SoftplusLaplacian2D) { check_jets(2, Activation::Softplus, SecondOrder::Laplacian, true, 1); }
TEST(JetMlp, SoftplusDiagonal1D) { check_jets(1, Activation::Softplus, SecondOrder::Diagonal, false, 3); }

TEST(JetMlpGradient, TanhLaplacian2D) { check_param_gradient(2, Activation::Tanh, SecondOrder::Laplacian); }
TEST(JetMlpGradient, TanhDiagonal3D) { check_param_gradient(3, Activation::Tanh, SecondOrder::Diagonal); }
TEST(JetMlpGradient, SinLaplacian1D) { check_param_gradient(1, Activation::Sin, SecondOrder::Laplacian); }
TEST(JetMlpGradient, SoftplusDiagonal2D) { check_param_gradient(2, Activation::Softplus, SecondOrder::Diagonal); }
TEST(JetMlpGradient, TanhValueOnly2D) { check_param_gradient(2, Activation::Tanh, SecondOrder::None); }
