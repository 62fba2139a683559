// SPDX-License-Identifier: BSD-3-Clause
// JetChunks: a point set's jets chunk by chunk against one JetMlp pass (outputs, parameter gradient,
// ranges of chunks in any order) and its shape errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "npde/core/error.hpp"
#include "npde/core/rng.hpp"
#include "npde/nn/jet_chunks.hpp"
#include "npde/nn/jet_mlp.hpp"

namespace {

using npde::nn::Activation;
using npde::nn::JetChunks;
using npde::nn::JetMlp;
using npde::nn::JetSpec;
using npde::nn::Mlp;

/// n points of d coordinates in [-1, 1), on the device.
npde::View1<double> device_points(int d, int n, std::uint64_t seed) {
  npde::View1<double> x("x", std::size_t(d) * n);
  auto h = Kokkos::create_mirror_view(x);
  for (std::size_t i = 0; i < h.extent(0); ++i) h(i) = 2.0 * npde::rng::uniform(seed, 7, i) - 1.0;
  Kokkos::deep_copy(x, h);
  return x;
}
// JetChunks: the same jets and parameter gradient as one JetMlp pass over all points, for chunks
// that divide the points, that leave a short last chunk, of one point, and of all of them at once;
// a second forward with fewer points reuses the chunks (whose reverse passes share one scratch).
void check_against_one_pass(const Mlp<double>& net, const JetSpec& spec) {
  const int n = 37, no = net.n_model_outputs();
  const auto xd = device_points(2, n, 11);
  auto host = [](const double* p, std::size_t count) {
    Kokkos::View<const double*, npde::MemSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>> v(p, count);
    auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), v);
    return std::vector<double>(h.data(), h.data() + count);
  };
  // a fixed adjoint of the output jets: the loss sum_i adj_i out_i
  auto adjoint_for = [&](int m) {
    npde::View1<double> a("adj", std::size_t(no) * spec.n_channels() * m);
    auto ah = Kokkos::create_mirror_view(a);
    for (std::size_t i = 0; i < ah.extent(0); ++i) ah(i) = std::sin(0.37 * double(i) + 0.1);
    Kokkos::deep_copy(a, ah);
    return a;
  };
  for (int m : {n, 20}) {  // all points, then a smaller set
    JetMlp<double> one(net, spec, n);
    one.forward(xd.data(), m);
    const std::size_t count = std::size_t(no) * spec.n_channels() * m;
    const auto ref = host(one.output(), count);
    const auto adj = adjoint_for(m);
    npde::View1<double> gref("g", net.n_params());
    one.backward(xd.data(), m, adj.data(), gref.data());
    const auto gr = host(gref.data(), gref.extent(0));
    for (int chunk : {1, 6, 10, 37, 64}) {
      JetChunks<double> jc(net, spec, n, chunk);
      EXPECT_EQ(jc.n_channels(), spec.n_channels());
      jc.forward(xd.data(), n);  // a forward at all points first: the chunks are reused below
      jc.forward(xd.data(), m);
      const auto got = host(jc.output(), count);
      for (std::size_t i = 0; i < count; ++i) ASSERT_NEAR(got[i], ref[i], 1e-14 * std::max(1.0, std::fabs(ref[i]))) << "chunk " << chunk << " entry " << i;
      npde::View1<double> g("g", net.n_params());
      Kokkos::deep_copy(g, 1.0);  // backward adds
      jc.backward(xd.data(), m, adj.data(), g.data());
      const auto gg = host(g.data(), g.extent(0));
      for (std::size_t i = 0; i < gg.size(); ++i)
        ASSERT_NEAR(gg[i] - 1.0, gr[i], 1e-12 * std::max(1.0, std::fabs(gr[i]))) << "chunk " << chunk << " parameter " << i;
      // the same in parts: the chunks' forward in two ranges, their reverse passes last range first
      const int K = jc.chunks(m), split = K / 2;
      EXPECT_EQ(K, std::max(1, (m + chunk - 1) / chunk));
      JetChunks<double> parts(net, spec, n, chunk);
      parts.forward(xd.data(), m, 0, split);
      parts.forward(xd.data(), m, split, K);
      const auto got2 = host(parts.output(), count);
      for (std::size_t i = 0; i < count; ++i) ASSERT_EQ(got2[i], got[i]) << "chunk " << chunk << " entry " << i;
      Kokkos::deep_copy(g, 0.0);
      parts.backward(xd.data(), m, adj.data(), g.data(), split, K);
      parts.backward(xd.data(), m, adj.data(), g.data(), 0, split);
      const auto g2 = host(g.data(), g.extent(0));
      for (std::size_t i = 0; i < g2.size(); ++i)
        ASSERT_NEAR(g2[i], gr[i], 1e-12 * std::max(1.0, std::fabs(gr[i]))) << "chunk " << chunk << " parameter " << i;
    }
  }
}

JetSpec second_order_2d() {
  JetSpec spec = JetSpec::diagonal(2);
  spec.mixed = {{0, 1}};
  return spec;
}

TEST(JetChunks, EqualsOnePassForAnyChunk) {
  Mlp<double> net(2, {12, 10}, 2, Activation::Tanh);
  net.init_glorot(5);
  check_against_one_pass(net, second_order_2d());
}

// The gated networks' and the Gaussian features' reverse-pass workspaces (encoder adjoints, gate
// adjoints, feature adjoints) are shared by the chunks as well.
TEST(JetChunks, EqualsOnePassForGatedNetworksAndGaussianFeatures) {
  Mlp<double> modified(2, {10, 10, 10}, 2, Activation::Tanh, npde::nn::Architecture::Modified);
  modified.init_glorot(6, true);
  check_against_one_pass(modified, second_order_2d());
  const auto fourier = npde::nn::InputEmbedding::fourier({-1.0, -1.0}, {0.0, 0.0}, 4, 0.7, 5);
  Mlp<double> pirate(fourier.n_features(), std::vector<int>(6, fourier.n_features()), 1, Activation::Tanh,
                     npde::nn::Architecture::Pirate);
  pirate.init_glorot(7, true);
  pirate.set_embedding(fourier);
  check_against_one_pass(pirate, second_order_2d());
  const auto gauss = npde::nn::InputEmbedding::gaussian({-1.0, -1.0}, {1.0, 1.0}, 5, 0.35, 17);
  Mlp<double> features(gauss.n_features(), {9, 7}, 1, Activation::Tanh);
  features.init_glorot(8);
  features.set_embedding(gauss);
  check_against_one_pass(features, second_order_2d());
}

TEST(JetChunks, ShapeErrors) {
  Mlp<double> net(2, {12, 10}, 2, Activation::Tanh);
  net.init_glorot(5);
  const JetSpec spec = second_order_2d();
  const int n = 37;
  const auto xd = device_points(2, n, 11);
  JetChunks<double> jc(net, spec, n, 8);
  EXPECT_THROW(jc.forward(xd.data(), n + 1), npde::Error);  // beyond the capacity
  jc.forward(xd.data(), 10);
  EXPECT_THROW(jc.backward(xd.data(), 12, nullptr, nullptr), npde::Error);  // not the last forward's points
  EXPECT_THROW(JetChunks<double>(net, spec, n, 0), npde::Error);
  EXPECT_THROW(jc.forward(xd.data(), 10, 1, 3), npde::Error);  // 10 points make 2 chunks of 8
}

}  // namespace
