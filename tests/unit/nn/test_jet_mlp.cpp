// SPDX-License-Identifier: BSD-3-Clause
// Forward jets against finite differences of the network value, and the reverse pass against
// finite differences of a loss, for every activation, 1D-3D, Laplacian/diagonal/mixed channels on all
// or on some tangents (space-time shapes), and the channel layout and validation of JetSpec.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "npde/core/error.hpp"
#include "npde/core/rng.hpp"
#include "npde/nn/jet_mlp.hpp"

namespace {

using npde::nn::Activation;
using npde::nn::Architecture;
using npde::nn::JetMlp;
using npde::nn::JetSpec;
using npde::nn::Mlp;
using npde::nn::InputEmbedding;

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
  JetMlp<double> jm(net, JetSpec::value_only(net.raw_inputs()), n);
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
  const int d = net.raw_inputs();
  std::vector<double> xp(x.begin() + std::size_t(d) * p, x.begin() + std::size_t(d) * (p + 1));
  for (std::size_t k = 0; k < dims.size(); ++k) xp[dims[k]] += steps[k];
  return eval_values(net, xp, 1)[o];
}

// Adds every mixed pair of tangent positions to `spec`.
JetSpec with_all_mixed(JetSpec spec) {
  for (int a = 0; a < spec.n_tangents(); ++a)
    for (int b = a + 1; b < spec.n_tangents(); ++b) spec.mixed.push_back({a, b});
  return spec;
}

// Value, tangents on all inputs, the given Laplacian and diagonal terms (tangent positions).
JetSpec space_time(int n_inputs, std::vector<int> laplacian_terms, std::vector<int> diagonal_terms) {
  JetSpec s = JetSpec::first_order(n_inputs);
  s.laplacian_terms = std::move(laplacian_terms);
  s.diagonal_terms = std::move(diagonal_terms);
  return s;
}

// PirateNet: alphas away from their initial 0, so that every path of the blocks carries weight.
void set_alphas(Mlp<double>& net) {
  auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), net.params());
  for (int b = 0; b < net.n_blocks(); ++b) h(net.alpha_offset() + b) = 0.3 + 0.25 * b;
  Kokkos::deep_copy(net.params(), h);
}

// Every channel of `spec` against central differences of the network value.
void check_jets(const JetSpec& spec, Activation act, int n_out, const InputEmbedding& emb = {},
                Architecture arch = Architecture::Plain) {
  const int d = spec.n_inputs;
  const int pw = emb.n_features();  // PirateNet: the width of the features
  const std::vector<int> hidden = arch == Architecture::Plain    ? std::vector<int>{12, 10}
                                  : arch == Architecture::Pirate ? std::vector<int>(6, pw)
                                                                 : std::vector<int>{10, 10, 10};
  Mlp<double> net(emb.empty() ? d : emb.n_features(), hidden, n_out, act, arch);
  net.init_glorot(42 + d, arch != Architecture::Plain);  // encoder biases away from 0: their paths carry weight
  if (arch == Architecture::Pirate) set_alphas(net);
  net.set_embedding(emb);
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
      std::vector<double> second(spec.n_tangents());  // d2/dx^2 per tangent position
      for (int k = 0; k < spec.n_tangents(); ++k) {
        const int dim = spec.tangents[k];
        const double fp = shifted(net, x, p, o, {dim}, {h1}), fm = shifted(net, x, p, o, {dim}, {-h1});
        EXPECT_NEAR(at(o, spec.tangent_channel(k), p), (fp - fm) / (2 * h1), kTolJet * scale) << "d/dx" << dim;
        const double gp = shifted(net, x, p, o, {dim}, {h2}), gm = shifted(net, x, p, o, {dim}, {-h2});
        second[k] = (gp - 2 * f0 + gm) / (h2 * h2);
      }
      if (spec.has_laplacian()) {
        double lap = 0;
        for (int k : spec.laplacian_terms) lap += second[k];
        EXPECT_NEAR(at(o, spec.laplacian_channel(), p), lap, 1e2 * kTolJet * scale) << "Laplacian";
      }
      for (int i = 0; i < spec.n_diagonal(); ++i) {
        const int k = spec.diagonal_terms[i];
        EXPECT_NEAR(at(o, spec.diagonal_channel(i), p), second[k], 1e2 * kTolJet * scale)
            << "d2/dx" << spec.tangents[k];
      }
      for (int m = 0; m < spec.n_mixed(); ++m) {
        const int a = spec.tangents[spec.mixed[m].first], b = spec.tangents[spec.mixed[m].second];
        const double fpp = shifted(net, x, p, o, {a, b}, {h2, h2}), fpm = shifted(net, x, p, o, {a, b}, {h2, -h2});
        const double fmp = shifted(net, x, p, o, {a, b}, {-h2, h2}), fmm = shifted(net, x, p, o, {a, b}, {-h2, -h2});
        EXPECT_NEAR(at(o, spec.mixed_channel(m), p), (fpp - fpm - fmp + fmm) / (4 * h2 * h2), 1e2 * kTolJet * scale)
            << "mixed " << a << "," << b;
      }
    }
  // third order: the x_c derivative of the second-order channel of (a, b), checked above, by central
  // differences of the jets with every point moved along x_c
  for (int m = 0; m < spec.n_third(); ++m) {
    const auto& t = spec.third[m];
    const int dim = spec.tangents[t[2]], pair = spec.second_channel(t[0], t[1]);
    ASSERT_GE(pair, 0);
    auto xp = x, xm = x;
    for (int p = 0; p < n; ++p) {
      xp[dim + std::size_t(d) * p] += h1;
      xm[dim + std::size_t(d) * p] -= h1;
    }
    const auto jp = eval_jets(jm, xp, n, n_out), jn = eval_jets(jm, xm, n, n_out);
    for (int p = 0; p < n; ++p)
      for (int o = 0; o < n_out; ++o) {
        const std::size_t e = o + std::size_t(n_out) * (std::size_t(pair) * n + p);
        const double fd = (jp[e] - jn[e]) / (2 * h1);
        EXPECT_NEAR(at(o, spec.third_channel(m), p), fd, kTolJet * std::max(1.0, std::fabs(fd)))
            << "third " << t[0] << t[1] << t[2] << " at point " << p;
      }
  }
}

// Loss = 1/2 sum over outputs, channels, points of wt_c * jet^2; checks dLoss/dparams by central differences.
void check_param_gradient(const JetSpec& spec, Activation act, const InputEmbedding& emb = {},
                          Architecture arch = Architecture::Plain,
                          npde::nn::OutputMap map = npde::nn::OutputMap::Fields) {
  const int d = spec.n_inputs;
  const std::vector<int> hidden = arch == Architecture::Plain    ? std::vector<int>{9, 7}
                                  : arch == Architecture::Pirate ? std::vector<int>(6, emb.n_features())
                                                                 : std::vector<int>{7, 7};
  Mlp<double> net(emb.empty() ? d : emb.n_features(), hidden, 2, act, arch);
  net.init_glorot(7, arch != Architecture::Plain);
  if (arch == Architecture::Pirate) set_alphas(net);
  net.set_embedding(emb);
  net.set_output_map(map);
  const int n = 6, C = spec.n_channels(), no = net.n_model_outputs();
  JetMlp<double> jm(net, spec, n);
  ASSERT_EQ(jm.n_outputs(), no);
  const auto x = random_points(d, n, 11);
  // channel weights that make every channel's part of the loss O(1): third-order channels of fast
  // features reach ~1e2, and a loss of ~1e5 would drown central differences in rounding
  std::vector<double> wt(C);
  {
    const auto j0 = eval_jets(jm, x, n, no);
    for (int c = 0; c < C; ++c) {
      double big = 1;
      for (int p = 0; p < n; ++p)
        for (int o = 0; o < no; ++o) big = std::max(big, std::fabs(j0[o + std::size_t(no) * (std::size_t(c) * n + p)]));
      wt[c] = (0.5 + 0.25 * c) / (big * big);
    }
  }
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

// Tangents on some inputs, in another order than the inputs: positions, dimensions and list indices
// all differ, so a kernel that confuses them fails.
JetSpec subset_reordered() {
  JetSpec s = JetSpec::value_only(3);
  s.tangents = {2, 0};      // d/dx2, d/dx0
  s.laplacian_terms = {1};  // d2/dx0^2 alone
  s.diagonal_terms = {0};   // d2/dx2^2
  s.mixed = {{0, 1}};       // d2/dx0 dx2
  return s;
}

}  // namespace

// Old SecondOrder::Laplacian / Diagonal shapes (all tangents), optionally with all mixed pairs.
TEST(JetMlp, TanhLaplacian1D) { check_jets(JetSpec::laplacian(1), Activation::Tanh, 1); }
TEST(JetMlp, TanhLaplacian2D) { check_jets(JetSpec::laplacian(2), Activation::Tanh, 1); }
TEST(JetMlp, TanhDiagonalMixed3D) { check_jets(with_all_mixed(JetSpec::diagonal(3)), Activation::Tanh, 2); }
TEST(JetMlp, SinLaplacian3D) { check_jets(with_all_mixed(JetSpec::laplacian(3)), Activation::Sin, 1); }
TEST(JetMlp, SinDiagonal2D) { check_jets(with_all_mixed(JetSpec::diagonal(2)), Activation::Sin, 1); }
TEST(JetMlp, SoftplusLaplacian2D) { check_jets(with_all_mixed(JetSpec::laplacian(2)), Activation::Softplus, 1); }
TEST(JetMlp, SoftplusDiagonal1D) { check_jets(JetSpec::diagonal(1), Activation::Softplus, 3); }

// Per-tangent second-order channels: Burgers (x, t) needs u_xx but not u_tt.
TEST(JetMlp, TanhBurgersDiagonalXOnly) { check_jets(space_time(2, {}, {0}), Activation::Tanh, 1); }
TEST(JetMlp, SinBurgersDiagonalXOnly) { check_jets(space_time(2, {}, {0}), Activation::Sin, 2); }
// Heat 2D (x, y, t): the spatial Laplacian u_xx + u_yy and u_t, no u_tt.
TEST(JetMlp, TanhHeat2DSpatialLaplacian) { check_jets(space_time(3, {0, 1}, {}), Activation::Tanh, 1); }
TEST(JetMlp, SoftplusHeat2DSpatialLaplacian) { check_jets(space_time(3, {0, 1}, {}), Activation::Softplus, 1); }
// A Laplacian over some tangents and diagonal channels on others at once, with and without mixed.
TEST(JetMlp, TanhLaplacianAndDiagonal2D) { check_jets(space_time(2, {0}, {0, 1}), Activation::Tanh, 1); }
TEST(JetMlp, SinLaplacianAndDiagonalMixed3D) {
  check_jets(with_all_mixed(space_time(3, {1, 2}, {2, 0})), Activation::Sin, 2);
}
// Three outputs (a system) with a partial Laplacian.
TEST(JetMlp, TanhThreeOutputsLaplacian) { check_jets(space_time(3, {0, 1}, {}), Activation::Tanh, 3); }
TEST(JetMlp, SinThreeOutputsFullLaplacian) { check_jets(JetSpec::laplacian(2), Activation::Sin, 3); }
TEST(JetMlp, TanhTangentSubsetReordered) { check_jets(subset_reordered(), Activation::Tanh, 2); }

TEST(JetMlpGradient, TanhLaplacian2D) { check_param_gradient(with_all_mixed(JetSpec::laplacian(2)), Activation::Tanh); }
TEST(JetMlpGradient, TanhDiagonal3D) {
  JetSpec s = JetSpec::diagonal(3);
  s.mixed = {{0, 1}};
  check_param_gradient(s, Activation::Tanh);
}
TEST(JetMlpGradient, SinLaplacian1D) { check_param_gradient(JetSpec::laplacian(1), Activation::Sin); }
TEST(JetMlpGradient, SoftplusDiagonal2D) {
  check_param_gradient(with_all_mixed(JetSpec::diagonal(2)), Activation::Softplus);
}
TEST(JetMlpGradient, TanhValueOnly2D) { check_param_gradient(JetSpec::value_only(2), Activation::Tanh); }
TEST(JetMlpGradient, TanhFirstOrder2D) { check_param_gradient(JetSpec::first_order(2), Activation::Tanh); }
TEST(JetMlpGradient, TanhBurgersDiagonalXOnly) { check_param_gradient(space_time(2, {}, {0}), Activation::Tanh); }
TEST(JetMlpGradient, SoftplusBurgersDiagonalXOnly) {
  check_param_gradient(space_time(2, {}, {0}), Activation::Softplus);
}
TEST(JetMlpGradient, TanhHeat2DSpatialLaplacian) {
  check_param_gradient(space_time(3, {0, 1}, {}), Activation::Tanh);
}
TEST(JetMlpGradient, SinHeat2DSpatialLaplacian) { check_param_gradient(space_time(3, {0, 1}, {}), Activation::Sin); }
TEST(JetMlpGradient, TanhLaplacianAndDiagonalMixed2D) {
  check_param_gradient(with_all_mixed(space_time(2, {0}, {0, 1})), Activation::Tanh);
}
TEST(JetMlpGradient, SoftplusLaplacianAndDiagonalMixed3D) {
  check_param_gradient(with_all_mixed(space_time(3, {1, 2}, {2, 0})), Activation::Softplus);
}
TEST(JetMlpGradient, TanhTangentSubsetReordered) { check_param_gradient(subset_reordered(), Activation::Tanh); }

// The factories reproduce the layouts of the former SecondOrder::Laplacian / Diagonal specs.
TEST(JetSpec, FactoryLayoutsUnchanged) {
  const JetSpec v = JetSpec::value_only(3);
  EXPECT_EQ(v.n_channels(), 1);
  EXPECT_EQ(v.n_second(), 0);
  EXPECT_FALSE(v.has_laplacian());
  EXPECT_EQ(v.laplacian_channel(), -1);

  JetSpec lap = JetSpec::laplacian(3);
  lap.mixed = {{0, 2}};
  EXPECT_EQ(lap.tangents, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(lap.n_second(), 1);
  EXPECT_EQ(lap.n_channels(), 6);
  EXPECT_EQ(lap.laplacian_channel(), 4);
  EXPECT_EQ(lap.mixed_channel(0), 5);

  JetSpec diag = JetSpec::diagonal(3);
  diag.mixed = {{0, 1}};
  EXPECT_EQ(diag.n_second(), 3);
  EXPECT_EQ(diag.n_channels(), 8);
  EXPECT_FALSE(diag.has_laplacian());
  for (int k = 0; k < 3; ++k) EXPECT_EQ(diag.diagonal_channel(k), 4 + k);
  EXPECT_EQ(diag.mixed_channel(0), 7);
}

// Channel order: value, tangents, Laplacian, diagonal (in list order), mixed.
TEST(JetSpec, PerTangentChannels) {
  const JetSpec burgers = space_time(2, {}, {0});
  EXPECT_EQ(burgers.n_channels(), 4);  // u, u_x, u_t, u_xx
  EXPECT_EQ(burgers.diagonal_channel(burgers.find_diagonal(burgers.find_tangent(0))), 3);
  EXPECT_EQ(burgers.find_diagonal(burgers.find_tangent(1)), -1);  // no u_tt

  const JetSpec heat = space_time(3, {0, 1}, {});
  EXPECT_EQ(heat.n_channels(), 5);  // u, u_x, u_y, u_t, u_xx + u_yy
  EXPECT_EQ(heat.laplacian_channel(), 4);
  EXPECT_EQ(heat.n_diagonal(), 0);

  JetSpec both = space_time(3, {2}, {2, 0});
  both.mixed = {{0, 1}};
  EXPECT_EQ(both.laplacian_channel(), 4);
  EXPECT_EQ(both.diagonal_channel(0), 5);  // d2/dx2^2
  EXPECT_EQ(both.diagonal_channel(1), 6);  // d2/dx0^2
  EXPECT_EQ(both.find_diagonal(0), 1);
  EXPECT_EQ(both.find_diagonal(1), -1);
  EXPECT_EQ(both.mixed_channel(0), 7);
  EXPECT_EQ(both.n_channels(), 8);

  JetSpec sub = JetSpec::value_only(3);
  sub.tangents = {2, 0};
  EXPECT_EQ(sub.find_tangent(2), 0);
  EXPECT_EQ(sub.find_tangent(0), 1);
  EXPECT_EQ(sub.find_tangent(1), -1);
}

TEST(JetSpec, DescribeNamesTheInputs) {
  EXPECT_EQ(space_time(2, {}, {0}).describe(), "value + 2 tangents (x0 x1) + 1 diagonal (x0) (4 channels)");
  EXPECT_EQ(JetSpec::laplacian(2).describe(), "value + 2 tangents (x0 x1) + Laplacian (x0 x1) (4 channels)");
}

TEST(JetSpec, ValidateRejectsBadSecondOrderTerms) {
  EXPECT_NO_THROW(space_time(2, {0, 1}, {1, 0}).validate());
  EXPECT_THROW(space_time(2, {2}, {}).validate(), npde::Error);      // Laplacian position out of range
  EXPECT_THROW(space_time(2, {-1}, {}).validate(), npde::Error);
  EXPECT_THROW(space_time(2, {0, 0}, {}).validate(), npde::Error);   // Laplacian position twice
  EXPECT_THROW(space_time(2, {}, {2}).validate(), npde::Error);      // diagonal position out of range
  EXPECT_THROW(space_time(2, {}, {-1}).validate(), npde::Error);
  EXPECT_THROW(space_time(2, {}, {1, 1}).validate(), npde::Error);   // diagonal position twice
  JetSpec none = JetSpec::value_only(2);
  none.diagonal_terms = {0};  // second order without tangents
  EXPECT_THROW(none.validate(), npde::Error);
  none.diagonal_terms.clear();
  none.laplacian_terms = {0};
  EXPECT_THROW(none.validate(), npde::Error);
  JetSpec pairs = JetSpec::first_order(3);
  pairs.mixed = {{0, 1}, {0, 1}};
  EXPECT_THROW(pairs.validate(), npde::Error);  // mixed pair twice
  pairs.mixed = {{1, 0}};
  EXPECT_THROW(pairs.validate(), npde::Error);  // pair order
  // JetMlp validates at construction
  Mlp<double> net(2, {4}, 1, Activation::Tanh);
  EXPECT_THROW(JetMlp<double>(net, space_time(2, {}, {3}), 4), npde::Error);
}

// An input embedding in front of the first layer: x0 passed through, x1 periodic (cos and sin), and a
// feature of both inputs (mixed second derivatives nonzero). Every channel and the parameter gradient
// against finite differences; the outputs are periodic in x1 to rounding.
InputEmbedding test_embedding() {
  InputEmbedding e = InputEmbedding::periodic({-1.0, 0.25}, {0.0, 1.3});
  npde::nn::Feature f;
  f.kind = npde::nn::FeatureKind::Cos;
  f.omega = {0.7, -1.1};
  f.shift = 0.2;
  e.features.push_back(f);
  return e;
}

TEST(JetMlpEmbedding, TanhAllChannels2D) {
  check_jets(with_all_mixed(space_time(2, {0, 1}, {0, 1})), Activation::Tanh, 2, test_embedding());
}
TEST(JetMlpEmbedding, SinSubsetOfTangents) {
  JetSpec s = JetSpec::value_only(2);
  s.tangents = {1};
  s.diagonal_terms = {0};
  check_jets(s, Activation::Sin, 1, test_embedding());
}
TEST(JetMlpEmbedding, ParameterGradient) {
  check_param_gradient(with_all_mixed(space_time(2, {0}, {1})), Activation::Tanh, test_embedding());
}
TEST(JetMlpEmbedding, PeriodicOutputs) {
  const InputEmbedding e = InputEmbedding::periodic({-1.0, 0.25}, {0.0, 1.3});
  EXPECT_EQ(e.n_features(), 3);
  Mlp<double> net(3, {8}, 1, Activation::Tanh);
  net.init_glorot(3);
  net.set_embedding(e);
  for (double x0 : {-0.4, 0.9}) {
    const auto lo = eval_values(net, {x0, 0.25}, 1), hi = eval_values(net, {x0, 0.25 + 1.3}, 1);
    EXPECT_NEAR(lo[0], hi[0], 1e-14);
  }
}

namespace {

// Random Fourier features: 2m cos/sin features whose frequencies have the requested spread, are
// whole cycles per period along a periodic axis, and are reproducible from the seed.
TEST(InputEmbedding, FourierFeatures) {
  using npde::nn::FeatureKind;
  using npde::nn::InputEmbedding;
  const double sigma = 1.5, period = 2.0;
  const int m = 4000;
  const auto e = InputEmbedding::fourier({-1.0, 0.0}, {period, 0.0}, m, sigma, 11);
  ASSERT_EQ(e.n_features(), 2 * m);
  EXPECT_EQ(e.features[0].kind, FeatureKind::Cos);
  EXPECT_EQ(e.features[1].kind, FeatureKind::Sin);
  double sum = 0, sum2 = 0;
  for (int j = 0; j < m; ++j) {
    const auto& f = e.features[std::size_t(2 * j)];
    // periodic axis: omega = 2 pi k / L with k whole, and the shift makes the phase 0 at x = -1
    const double k = f.omega[0] * period / (2 * M_PI);
    EXPECT_NEAR(k, std::round(k), 1e-9) << j;
    EXPECT_NEAR(f.shift, f.omega[0] * 1.0, 1e-12) << j;
    const double b = f.omega[1] / (2 * M_PI);  // free axis: sigma N(0, 1)
    sum += b;
    sum2 += b * b;
  }
  const double mean = sum / m, sd = std::sqrt(sum2 / m - mean * mean);
  EXPECT_LT(std::abs(mean), 4 * sigma / std::sqrt(double(m)));
  EXPECT_NEAR(sd, sigma, 0.05 * sigma);
  const auto again = InputEmbedding::fourier({-1.0, 0.0}, {period, 0.0}, m, sigma, 11);
  EXPECT_EQ(again.features[7].omega, e.features[7].omega);
  EXPECT_NE(InputEmbedding::fourier({-1.0, 0.0}, {period, 0.0}, m, sigma, 12).features[7].omega, e.features[7].omega);
}

}  // namespace

// The modified MLP (gates mixing the encoders U and V into every hidden layer): every channel and
// the parameter gradient (encoders included) against finite differences.
TEST(JetMlpModified, TanhAllChannels2D) {
  check_jets(with_all_mixed(space_time(2, {0, 1}, {0, 1})), Activation::Tanh, 2, {}, Architecture::Modified);
}
TEST(JetMlpModified, SinHeat2DSpatialLaplacian) {
  check_jets(space_time(3, {0, 1}, {}), Activation::Sin, 1, {}, Architecture::Modified);
}
TEST(JetMlpModified, SoftplusSubsetReordered) {
  check_jets(subset_reordered(), Activation::Softplus, 2, {}, Architecture::Modified);
}
TEST(JetMlpModified, EmbeddingAllChannels) {
  check_jets(with_all_mixed(space_time(2, {0}, {0, 1})), Activation::Tanh, 1, test_embedding(),
             Architecture::Modified);
}
TEST(JetMlpModifiedGradient, TanhLaplacianMixed2D) {
  check_param_gradient(with_all_mixed(JetSpec::laplacian(2)), Activation::Tanh, {}, Architecture::Modified);
}
TEST(JetMlpModifiedGradient, SinDiagonalMixed3D) {
  check_param_gradient(with_all_mixed(space_time(3, {1, 2}, {2, 0})), Activation::Sin, {}, Architecture::Modified);
}
TEST(JetMlpModifiedGradient, SoftplusBurgers) {
  check_param_gradient(space_time(2, {}, {0}), Activation::Softplus, {}, Architecture::Modified);
}
TEST(JetMlpModifiedGradient, Embedding) {
  check_param_gradient(with_all_mixed(space_time(2, {0}, {1})), Activation::Tanh, test_embedding(),
                       Architecture::Modified);
}

// Layout: the layers keep the plain network's offsets and initial values; the encoders follow.
TEST(JetMlpModified, ParameterLayout) {
  Mlp<double> plain(3, {8, 8}, 2, Activation::Tanh), mod(3, {8, 8}, 2, Activation::Tanh, Architecture::Modified);
  EXPECT_EQ(mod.n_params(), plain.n_params() + 2 * 8 * (3 + 1));
  EXPECT_EQ(mod.encoder(0).w, plain.n_params());
  EXPECT_EQ(mod.encoder(1).w, mod.encoder(0).b + 8);
  EXPECT_EQ(mod.dense_layers().size(), 5u);
  EXPECT_EQ(mod.macs_per_point(), plain.macs_per_point() + 2 * 3 * 8);
  plain.init_glorot(5);
  mod.init_glorot(5);
  auto p = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), plain.params());
  auto m = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), mod.params());
  for (std::size_t i = 0; i < plain.n_params(); ++i) EXPECT_EQ(p(i), m(i));
  double enc = 0;
  for (std::size_t i = mod.encoder(0).w; i < mod.encoder(0).b; ++i) enc += std::abs(m(i));
  EXPECT_GT(enc, 0.0);
  for (int k = 0; k < 2; ++k)
    for (int i = 0; i < 8; ++i) EXPECT_EQ(m(mod.encoder(k).b + std::size_t(i)), 0.0);
  // random encoder biases: U(-a, a), a = sqrt(6 / (1 + width)), nothing else changed
  Mlp<double> rnd(3, {8, 8}, 2, Activation::Tanh, Architecture::Modified);
  rnd.init_glorot(5, true);
  auto r = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), rnd.params());
  std::size_t differ = 0;
  for (std::size_t i = 0; i < mod.n_params(); ++i) differ += r(i) != m(i);
  EXPECT_EQ(differ, 2u * 8u);
  for (int k = 0; k < 2; ++k)
    for (int i = 0; i < 8; ++i) {
      const double b = r(mod.encoder(k).b + std::size_t(i));
      EXPECT_NE(b, 0.0);
      EXPECT_LT(std::abs(b), std::sqrt(6.0 / 9.0));
    }
  EXPECT_THROW(plain.init_glorot(5, true), npde::Error);
  EXPECT_THROW(Mlp<double>(3, {8, 6}, 1, Activation::Tanh, Architecture::Modified), npde::Error);
  EXPECT_THROW(Mlp<double>(3, {}, 1, Activation::Tanh, Architecture::Modified), npde::Error);
  EXPECT_THROW(plain.encoder(0), npde::Error);
}

// Many inputs (the value channel of the first layer becomes a GEMM): a few tangents among 20 inputs
// with their Laplacian, as stochastic dimension sampling requests them, and the parameter gradient.
JetSpec many_inputs() {
  JetSpec s = JetSpec::value_only(20);
  s.tangents = {3, 17, 0};
  s.laplacian_terms = {0, 1, 2};
  return s;
}
TEST(JetMlpManyInputs, SubsetOfTangents) { check_jets(many_inputs(), Activation::Tanh, 1); }
TEST(JetMlpManyInputs, ParameterGradient) { check_param_gradient(many_inputs(), Activation::Tanh); }
TEST(JetMlpManyInputs, ModifiedParameterGradient) {
  check_param_gradient(many_inputs(), Activation::Sin, {}, Architecture::Modified);
}

// set_tangents moves the channels to other dimensions: the jets are those of a spec built that way.
TEST(JetMlpManyInputs, SetTangentsMovesTheChannels) {
  Mlp<double> net(20, {10, 10}, 1, Activation::Tanh);
  net.init_glorot(9);
  const int n = 4;
  JetMlp<double> moved(net, many_inputs(), n);
  moved.set_tangents({5, 11, 19});
  JetSpec direct = many_inputs();
  direct.tangents = {5, 11, 19};
  JetMlp<double> built(net, direct, n);
  const auto x = random_points(20, n, 5);
  const auto a = eval_jets(moved, x, n, 1), b = eval_jets(built, x, n, 1);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i], b[i]) << i;
  EXPECT_THROW(moved.set_tangents({1, 2}), npde::Error);      // another count
  EXPECT_THROW(moved.set_tangents({1, 1, 2}), npde::Error);   // twice
  EXPECT_THROW(moved.set_tangents({1, 2, 20}), npde::Error);  // out of range
}

// PirateNet (two blocks of three layers, the features as the first block's input): every channel and
// the gradient (alphas included) against finite differences; at alpha = 0 the blocks pass their input.
InputEmbedding pirate_embedding(int d) {
  InputEmbedding e = InputEmbedding::fourier(std::vector<double>(d, -1.0), std::vector<double>(d, 0.0), 4, 0.7, 5);
  return e;
}
TEST(JetMlpPirate, TanhAllChannels2D) {
  check_jets(with_all_mixed(space_time(2, {0, 1}, {0, 1})), Activation::Tanh, 2, pirate_embedding(2),
             Architecture::Pirate);
}
TEST(JetMlpPirate, SinHeat) { check_jets(space_time(3, {0, 1}, {}), Activation::Sin, 1, pirate_embedding(3), Architecture::Pirate); }
TEST(JetMlpPirateGradient, TanhLaplacianMixed2D) {
  check_param_gradient(with_all_mixed(JetSpec::laplacian(2)), Activation::Tanh, pirate_embedding(2), Architecture::Pirate);
}
TEST(JetMlpPirateGradient, SoftplusBurgers) {
  check_param_gradient(space_time(2, {}, {0}), Activation::Softplus, pirate_embedding(2), Architecture::Pirate);
}
TEST(JetMlpPirate, StartsAsTheLinearMapOfTheFeatures) {
  const InputEmbedding e = pirate_embedding(2);
  Mlp<double> net(e.n_features(), std::vector<int>(6, e.n_features()), 1, Activation::Tanh, Architecture::Pirate);
  net.init_glorot(3);
  net.set_embedding(e);
  EXPECT_EQ(net.n_blocks(), 2);
  // alpha = 0: u = W_out phi(x) + b_out exactly
  const std::vector<double> x{0.3, -0.6};
  auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), net.params());
  const std::size_t w0 = net.weight_offset(net.n_layers() - 1);
  double u = 0;
  for (int j = 0; j < e.n_features(); ++j) {
    const auto& f = e.features[std::size_t(j)];
    const double s = f.omega[0] * x[0] + f.omega[1] * x[1] + f.shift;
    u += h(w0 + j) * (f.kind == npde::nn::FeatureKind::Cos ? std::cos(s) : std::sin(s));
  }
  EXPECT_NEAR(eval_values(net, x, 1)[0], u, 1e-13);
  EXPECT_THROW(Mlp<double>(8, {8, 8}, 1, Activation::Tanh, Architecture::Pirate), npde::Error);     // not blocks of 3
  EXPECT_THROW(Mlp<double>(6, {8, 8, 8}, 1, Activation::Tanh, Architecture::Pirate), npde::Error);  // input width
  Mlp<double> bare(8, {8, 8, 8}, 1, Activation::Tanh, Architecture::Pirate);
  EXPECT_THROW(JetMlp<double>(bare, JetSpec::value_only(8), 4), npde::Error);  // no embedding
}

// Physics-Informed Gaussians: trainable centres and widths in front of the network. Every channel
// (value, tangents, Laplacian, diagonal, mixed; subsets of the inputs) against finite differences,
// and the gradient of every parameter, the Gaussians' centres and log-widths included.
namespace {
InputEmbedding gaussian_embedding(int d) {
  return InputEmbedding::gaussian(std::vector<double>(std::size_t(d), -1.0), std::vector<double>(std::size_t(d), 1.0),
                                  5, 0.35, 17);
}
}  // namespace

TEST(JetMlpGaussian, TanhAllChannels2D) {
  check_jets(with_all_mixed(space_time(2, {0, 1}, {0, 1})), Activation::Tanh, 2, gaussian_embedding(2));
}
TEST(JetMlpGaussian, SinSubsetReordered3D) { check_jets(subset_reordered(), Activation::Sin, 1, gaussian_embedding(3)); }
TEST(JetMlpGaussian, ModifiedHeat) {
  check_jets(space_time(3, {0, 1}, {}), Activation::Tanh, 1, gaussian_embedding(3), Architecture::Modified);
}
TEST(JetMlpGaussianGradient, TanhAllChannels2D) {
  check_param_gradient(with_all_mixed(space_time(2, {0, 1}, {0, 1})), Activation::Tanh, gaussian_embedding(2));
}
TEST(JetMlpGaussianGradient, SinSubsetReordered3D) {
  check_param_gradient(subset_reordered(), Activation::Sin, gaussian_embedding(3));
}
TEST(JetMlpGaussianGradient, ModifiedLaplacianMixed2D) {
  check_param_gradient(with_all_mixed(JetSpec::laplacian(2)), Activation::Tanh, gaussian_embedding(2),
                       Architecture::Modified);
}
TEST(JetMlpGaussian, ParametersAfterTheNetwork) {
  const InputEmbedding e = gaussian_embedding(2);
  Mlp<double> net(5, {8}, 1, Activation::Tanh);
  const std::size_t plain = net.n_params();
  net.init_glorot(1);
  net.set_embedding(e);
  ASSERT_EQ(net.n_params(), plain + 2 * 5 * 2);
  EXPECT_EQ(net.gaussian_offset(), plain);
  const auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), net.params());
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(h(plain + i), e.gaussians.mu[i]);
    EXPECT_GE(e.gaussians.mu[i], -1.0);
    EXPECT_LE(e.gaussians.mu[i], 1.0);
    EXPECT_NEAR(std::exp(h(plain + 10 + i)), 0.35 * 2.0, 1e-15);
  }
  EXPECT_THROW(net.set_embedding(InputEmbedding::gaussian({0.0}, {1.0}, 4, 0.1, 1)), npde::Error);  // 4 features, 5 inputs
  Mlp<double> pirate(4, {4, 4, 4}, 1, Activation::Tanh, Architecture::Pirate);
  EXPECT_THROW(pirate.set_embedding(InputEmbedding::gaussian({0.0}, {1.0}, 4, 0.1, 1)), npde::Error);
}

// Third-order channels (the stream-function form of Navier-Stokes needs psi_xxx ... psi_yyy): every
// one against central differences of an already checked second-order channel, the parameter
// gradient through them, for every activation, the modified MLP and fixed input features.
namespace {
// psi(x, y): all first, second and third derivatives (u = psi_y, v = -psi_x and their Laplacians)
JetSpec stream_function() {
  JetSpec s = JetSpec::diagonal(2);
  s.mixed = {{0, 1}};
  s.third = {{0, 0, 0}, {0, 0, 1}, {0, 1, 1}, {1, 1, 1}};
  return s;
}
// three inputs, tangents on x2 and x0 only (positions differ from dimensions), a subset of triples
JetSpec third_subset() {
  JetSpec s = JetSpec::value_only(3);
  s.tangents = {2, 0};
  s.laplacian_terms = {0, 1};
  s.diagonal_terms = {1, 0};
  s.mixed = {{0, 1}};
  s.third = {{0, 1, 1}, {0, 0, 0}};
  return s;
}
}  // namespace

TEST(JetMlpThird, TanhStreamFunction) { check_jets(stream_function(), Activation::Tanh, 2); }
TEST(JetMlpThird, SinStreamFunction) { check_jets(stream_function(), Activation::Sin, 1); }
TEST(JetMlpThird, SoftplusSubset) { check_jets(third_subset(), Activation::Softplus, 2); }
TEST(JetMlpThird, ModifiedStreamFunction) {
  check_jets(stream_function(), Activation::Tanh, 2, {}, Architecture::Modified);
}
TEST(JetMlpThird, FixedFeatures) { check_jets(stream_function(), Activation::Tanh, 1, test_embedding()); }
TEST(JetMlpThirdGradient, TanhStreamFunction) { check_param_gradient(stream_function(), Activation::Tanh); }
TEST(JetMlpThirdGradient, SoftplusSubset) { check_param_gradient(third_subset(), Activation::Softplus); }
TEST(JetMlpThirdGradient, SinModified) {
  check_param_gradient(stream_function(), Activation::Sin, {}, Architecture::Modified);
}
TEST(JetMlpThirdGradient, FixedFeaturesModified) {
  check_param_gradient(stream_function(), Activation::Tanh, test_embedding(), Architecture::Modified);
}
TEST(JetSpec, ThirdOrderLayoutAndValidation) {
  const JetSpec s = stream_function();
  EXPECT_EQ(s.n_channels(), 1 + 2 + 2 + 1 + 4);
  EXPECT_EQ(s.third_channel(0), 6);
  EXPECT_EQ(s.second_channel(1, 0), s.mixed_channel(0));
  EXPECT_EQ(s.second_channel(1, 1), s.diagonal_channel(1));
  const auto L = npde::nn::make_layout(s);
  EXPECT_EQ(L.n_third, 4);
  // (0, 1, 1): the pairs opposite each position are (1, 1), (0, 1), (0, 1)
  EXPECT_EQ(L.third_pair[2][0], s.diagonal_channel(1));
  EXPECT_EQ(L.third_pair[2][1], s.mixed_channel(0));
  EXPECT_EQ(L.third_pair[2][2], s.mixed_channel(0));
  JetSpec no_mixed = s;
  no_mixed.mixed.clear();
  EXPECT_THROW(no_mixed.validate(), npde::Error);  // (0, 0, 1) needs d2/dx0 dx1
  JetSpec unsorted = s;
  unsorted.third = {{1, 0, 0}};
  EXPECT_THROW(unsorted.validate(), npde::Error);
  JetSpec twice = s;
  twice.third.push_back({0, 0, 0});
  EXPECT_THROW(twice.validate(), npde::Error);
  EXPECT_NE(s.describe().find("4 third-order"), std::string::npos);
}

// The stream-function output map: the model's jets (u = psi_y, v = -psi_x, p) against the network's own
// psi and p channels (checked above against finite differences), the parameter gradient through the
// map, and what it refuses.
namespace {
using npde::nn::OutputMap;

// Model jet channel c of output o at point p, and network jet channel of output o.
double entry(const std::vector<double>& j, int no, int n, int o, int c, int p) {
  return j[o + std::size_t(no) * (std::size_t(c) * n + p)];
}

void check_stream_map(const JetSpec& model, Architecture arch) {
  const int n = 5;
  Mlp<double> net(2, {8, 8}, 2, Activation::Tanh, arch);  // psi, p
  net.init_glorot(5);
  const JetSpec full = stream_function();
  JetMlp<double> ja(net, full, n);  // the network's psi and p, all channels to third order
  const auto x = random_points(2, n, 3);
  const auto a = eval_jets(ja, x, n, 2);
  net.set_output_map(OutputMap::StreamFunction);
  JetMlp<double> jb(net, model, n);
  ASSERT_EQ(jb.n_outputs(), 3);
  ASSERT_EQ(jb.n_channels(), model.n_channels());
  const auto b = eval_jets(jb, x, n, 3);
  // psi's derivative over the dimension multiset d, from the full jet
  auto psi = [&](std::vector<int> d, int o, int p) {
    std::sort(d.begin(), d.end());
    if (d.empty()) return entry(a, 2, n, o, 0, p);
    if (d.size() == 1) return entry(a, 2, n, o, full.tangent_channel(d[0]), p);
    if (d.size() == 2) return entry(a, 2, n, o, full.second_channel(d[0], d[1]), p);
    for (int m = 0; m < full.n_third(); ++m)
      if (full.third[m][0] == d[0] && full.third[m][1] == d[1] && full.third[m][2] == d[2])
        return entry(a, 2, n, o, full.third_channel(m), p);
    ADD_FAILURE() << "no third-order channel";
    return 0.0;
  };
  // every model channel as a sum of dimension multisets
  std::vector<std::vector<std::vector<int>>> chan(model.n_channels());
  chan[0] = {{}};
  for (int k = 0; k < model.n_tangents(); ++k) chan[model.tangent_channel(k)] = {{model.tangents[k]}};
  for (int k : model.laplacian_terms) chan[model.laplacian_channel()].push_back({model.tangents[k], model.tangents[k]});
  for (int i = 0; i < model.n_diagonal(); ++i) {
    const int dim = model.tangents[model.diagonal_terms[i]];
    chan[model.diagonal_channel(i)] = {{dim, dim}};
  }
  for (int m = 0; m < model.n_mixed(); ++m)
    chan[model.mixed_channel(m)] = {{model.tangents[model.mixed[m].first], model.tangents[model.mixed[m].second]}};
  for (int p = 0; p < n; ++p)
    for (int c = 0; c < model.n_channels(); ++c) {
      double u = 0, v = 0, pr = 0;
      for (auto d : chan[c]) {
        pr += psi(d, 1, p);
        d.push_back(1);
        u += psi(d, 0, p);
        d.back() = 0;
        v -= psi(d, 0, p);
      }
      EXPECT_NEAR(entry(b, 3, n, 0, c, p), u, 1e-12 * std::max(1.0, std::fabs(u))) << "u channel " << c;
      EXPECT_NEAR(entry(b, 3, n, 1, c, p), v, 1e-12 * std::max(1.0, std::fabs(v))) << "v channel " << c;
      EXPECT_NEAR(entry(b, 3, n, 2, c, p), pr, 1e-12 * std::max(1.0, std::fabs(pr))) << "p channel " << c;
    }
}
}  // namespace

// Navier-Stokes' jet: value, both tangents and the Laplacian
TEST(StreamFunction, NavierStokesJet) { check_stream_map(JetSpec::laplacian(2), Architecture::Plain); }
// value only (Dirichlet conditions on u, v), and a y tangent alone (the x tangent is added after it)
TEST(StreamFunction, ValueAndOneTangent) {
  check_stream_map(JetSpec::value_only(2), Architecture::Plain);
  JetSpec s = JetSpec::value_only(2);
  s.tangents = {1};
  check_stream_map(s, Architecture::Modified);
}
// diagonal and mixed second derivatives of u and v (psi to third order)
TEST(StreamFunction, SecondOrderChannels) {
  JetSpec s = JetSpec::diagonal(2);
  s.mixed = {{0, 1}};
  check_stream_map(s, Architecture::Plain);
}
TEST(StreamFunction, ParameterGradient) {
  check_param_gradient(JetSpec::laplacian(2), Activation::Tanh, {}, Architecture::Plain, OutputMap::StreamFunction);
  check_param_gradient(JetSpec::laplacian(2), Activation::Sin, {}, Architecture::Modified, OutputMap::StreamFunction);
}
TEST(StreamFunction, Refusals) {
  Mlp<double> one(1, {4}, 2, Activation::Tanh);
  EXPECT_THROW(one.set_output_map(OutputMap::StreamFunction), npde::Error);  // one input
  Mlp<double> net(2, {4}, 2, Activation::Tanh);
  net.init_glorot(1);
  net.set_output_map(OutputMap::StreamFunction);
  EXPECT_THROW(JetMlp<double>(net, stream_function(), 4), npde::Error);  // u's third order: psi's fourth
  JetMlp<double> jm(net, JetSpec::laplacian(2), 4);
  EXPECT_THROW(jm.set_tangents({1, 0}), npde::Error);
  // the network's own jet: the model's entries first, psi's higher ones appended
  const JetSpec& inner = jm.network_spec();
  EXPECT_EQ(inner.n_third(), 4);
  EXPECT_EQ(inner.laplacian_channel(), JetSpec::laplacian(2).laplacian_channel());
}
