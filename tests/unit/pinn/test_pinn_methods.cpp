// SPDX-License-Identifier: BSD-3-Clause
// The PINN's methods against its failure modes on one rank: causal training, loss weighting
// (annealing, grad-norm), Fourier features and the periodic embedding, adaptive sampling (RAD, RAR-D),
// weight factorisation, the modified MLP, PirateNet blocks and standardised inputs.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <set>
#include <vector>

#include "npde/core/error.hpp"
#include "npde/decomp/communicator.hpp"
#include "npde/pinn/catalogue.hpp"
#include "npde/pinn/pinn.hpp"
#include "npde/pinn/trainer.hpp"
#include "npde/pinn/trial.hpp"
#include "pinn_test_support.hpp"

namespace {

using namespace npde_test;

// Causal training: after adapt() the chunk weights are fixed, so the gradient is that of the weighted
// loss (checked by finite differences), the weights follow w_k = exp(-eps sum_{i<k} L_i), and the
// residual term is w_pde / M sum_k w_k L_k.
TEST(Pinn, CausalTrainingWeightsAndGradient) {
  Problem p = space_time("burgers", {0.05}, true);
  p.conditions.push_back(condition(ConditionKind::Dirichlet, {0, 1}, "0", p));
  p.conditions.push_back(condition(ConditionKind::Initial, {}, "-sin(pi*x)", p));
  PinnOptions o = small_options();
  o.causal_chunks = 5;
  o.causal_epsilon = 3.0;
  Pinn<double> pinn(Communicator::self(), p, npde::pinn::make_catalogue_kernel<double>("burgers", 1), o);
  ASSERT_EQ(pinn.extra_names().size(), 10u);
  EXPECT_EQ(pinn.extra_names()[0], "causal_weight_0");
  EXPECT_EQ(pinn.extra_names()[9], "causal_loss_4");
  // before the first adapt every chunk weighs 1
  for (int k = 0; k < 5; ++k) EXPECT_EQ(pinn.extra_values()[k], 1.0);
  pinn.adapt(0);
  const auto v = pinn.extra_values();
  double cumulative = 0, weighted = 0;
  for (int k = 0; k < 5; ++k) {
    EXPECT_GT(v[5 + k], 0.0) << "chunk " << k;
    EXPECT_NEAR(v[k], std::exp(-3.0 * cumulative), 1e-14) << "chunk " << k;
    cumulative += v[5 + k];
    weighted += v[k] * v[5 + k];
  }
  EXPECT_LT(v[4], 1.0);
  View1<double> grad("grad", pinn.n_params());
  pinn.loss_and_gradient(grad);
  EXPECT_NEAR(pinn.last_terms()[0], o.weight_pde / 5 * weighted, 1e-12 * weighted);
  check_gradient(pinn, {"pde"});
}

// Loss balancing: the weights after one update (momentum 0) against the formulas evaluated on the
// terms' own gradients, each taken from a model that weighs that term alone.
namespace balancing {

Problem burgers_soft() {
  Problem p = space_time("burgers", {0.05}, false);
  p.conditions.push_back(condition(ConditionKind::Dirichlet, {0, 1}, "0", p));
  p.conditions.push_back(condition(ConditionKind::Initial, {}, "-sin(pi*x)", p));
  return p;
}

/// Burgers with the two walls as separate terms of the bc group (bc_x-, bc_x+).
Problem burgers_two_walls() {
  Problem p = space_time("burgers", {0.05}, false);
  p.conditions.push_back(condition(ConditionKind::Dirichlet, {0}, "0", p));
  p.conditions.push_back(condition(ConditionKind::Dirichlet, {1}, "0.2", p));
  p.conditions.push_back(condition(ConditionKind::Initial, {}, "-sin(pi*x)", p));
  return p;
}

/// Gradient over the network's parameters of term `group` with weight 1 (the others 0).
std::vector<double> term_gradient(const std::string& group, const Problem& problem = burgers_soft(),
                                  const PinnOptions& options = small_options()) {
  Pinn<double> pinn(Communicator::self(), problem, npde::pinn::make_catalogue_kernel<double>("burgers", 1), options);
  std::vector<std::pair<std::string, double>> w{{"pde", 0.0}, {"bc", 0.0}, {"initial", 0.0}};
  for (auto& [g, v] : w) v = g == group ? 1.0 : 0.0;
  pinn.set_stage_weights(w);
  View1<double> grad("grad", pinn.n_params());
  pinn.loss_and_gradient(grad);
  auto g = to_vector(grad);
  g.resize(pinn.network().n_params());
  return g;
}

}  // namespace balancing

// Annealing with one factor per group (the two walls share the boundary's) and the per-layer ratio of
// the paper's cavity code: lambda_hat = max over the layers of max |dL_r/dW| / mean |d(lambda L_bc)/dW|,
// lambda <- 0.9 lambda + 0.1 lambda_hat, every bc term's weight lambda times its deck weight.
TEST(Pinn, AnnealingSharedGroupWeightPerLayerRatio) {
  PinnOptions o = small_options();
  o.balancing = PinnOptions::Balancing::Annealing;
  o.balance_every = 10;
  o.balance_momentum = 0.9;
  o.balance_shared = true;
  o.balance_per_layer = true;
  const Problem p = balancing::burgers_two_walls();
  Pinn<double> pinn(Communicator::self(), p, npde::pinn::make_catalogue_kernel<double>("burgers", 1), o);
  ASSERT_EQ(pinn.term_names(), (std::vector<std::string>{"pde", "bc_x-", "bc_x+", "initial"}));
  pinn.adapt(10);
  const auto& net = pinn.network();
  const char* groups[3] = {"pde", "bc", "initial"};
  std::vector<double> grad[3];
  for (int k = 0; k < 3; ++k) grad[k] = balancing::term_gradient(groups[k], p);  // bc: both walls, weight 1 each
  const double deck[3] = {1.3, 2.5, 0.7};
  double expect[3];
  for (int k = 1; k < 3; ++k) {
    double ratio = 0;
    for (int l = 0; l < net.n_layers(); ++l) {
      double mx = 0, mean = 0;
      for (std::size_t i = net.weight_offset(l); i < net.bias_offset(l); ++i) {
        mx = std::max(mx, std::abs(grad[0][i]));
        mean += std::abs(deck[k] * grad[k][i]);
      }
      ratio = std::max(ratio, mx / (mean / double(net.bias_offset(l) - net.weight_offset(l))));
    }
    expect[k] = deck[k] * (0.9 + 0.1 * ratio);  // lambda was 1
  }
  const auto w = pinn.extra_values();
  EXPECT_EQ(w[0], 1.3);
  EXPECT_NEAR(w[1], expect[1], 1e-9 * expect[1]);
  EXPECT_NEAR(w[2], expect[1], 1e-9 * expect[1]);  // the two walls share the group's factor
  EXPECT_NEAR(w[3], expect[2], 1e-9 * expect[2]);
  EXPECT_NE(w[1], 2.5);
}

TEST(Pinn, GradNormWeightsFollowJaxpi) {
  PinnOptions o = small_options();
  o.balancing = PinnOptions::Balancing::GradNorm;
  o.balance_every = 1;
  o.balance_momentum = 0.0;
  Pinn<double> pinn(Communicator::self(), balancing::burgers_soft(),
                    npde::pinn::make_catalogue_kernel<double>("burgers", 1), o);
  ASSERT_EQ(pinn.term_names(), (std::vector<std::string>{"pde", "bc", "initial"}));
  EXPECT_EQ(pinn.extra_names(), (std::vector<std::string>{"weight_pde", "weight_bc", "weight_initial"}));
  EXPECT_EQ(pinn.extra_values(), (std::vector<double>{1.3, 2.5, 0.7}));  // the deck's weights to start
  pinn.adapt(0);
  double norm[3], mean = 0;
  const char* groups[3] = {"pde", "bc", "initial"};
  for (int k = 0; k < 3; ++k) {
    double s = 0;
    for (double v : balancing::term_gradient(groups[k])) s += v * v;
    norm[k] = std::sqrt(s);
    mean += norm[k] / 3;
  }
  const auto w = pinn.extra_values();
  for (int k = 0; k < 3; ++k) EXPECT_NEAR(w[k], mean / (norm[k] + 1e-5 * mean), 1e-9 * w[k]) << groups[k];
  check_gradient(pinn, {"pde", "bc", "initial"});  // the weights stay fixed between updates
}

TEST(Pinn, AnnealingWeightsFollowTheGradientPathologiesCode) {
  PinnOptions o = small_options();
  o.balancing = PinnOptions::Balancing::Annealing;
  o.balance_every = 10;
  o.balance_momentum = 0.0;
  Pinn<double> pinn(Communicator::self(), balancing::burgers_soft(),
                    npde::pinn::make_catalogue_kernel<double>("burgers", 1), o);
  pinn.adapt(5);  // not an update iteration
  EXPECT_EQ(pinn.extra_values(), (std::vector<double>{1.3, 2.5, 0.7}));
  pinn.adapt(10);
  const auto& net = pinn.network();
  const auto gr = balancing::term_gradient("pde");
  double max_r = 0;
  for (int l = 0; l < net.n_layers(); ++l)
    for (std::size_t i = net.weight_offset(l); i < net.bias_offset(l); ++i) max_r = std::max(max_r, std::abs(gr[i]));
  const auto w = pinn.extra_values();
  EXPECT_EQ(w[0], 1.3);  // the residual keeps its weight
  const double initial[3] = {1.3, 2.5, 0.7};
  const char* groups[3] = {"pde", "bc", "initial"};
  for (int k = 1; k < 3; ++k) {
    const auto gk = balancing::term_gradient(groups[k]);
    double mean = 0;
    for (int l = 0; l < net.n_layers(); ++l) {
      double layer = 0;
      for (std::size_t i = net.weight_offset(l); i < net.bias_offset(l); ++i) layer += std::abs(initial[k] * gk[i]);
      mean += layer / double(net.bias_offset(l) - net.weight_offset(l)) / net.n_layers();
    }
    EXPECT_NEAR(w[k], max_r / mean, 1e-9 * w[k]) << groups[k];
  }
}

// Annealing with a modified MLP: the statistics over the main layers and the two encoders (include),
// or over the main layers alone (exclude, the paper's code).
TEST(Pinn, AnnealingWithOrWithoutTheEncoders) {
  PinnOptions base = small_options();
  base.architecture = npde::nn::Architecture::Modified;
  base.balancing = PinnOptions::Balancing::Annealing;
  base.balance_every = 10;
  base.balance_momentum = 0.0;
  PinnOptions plain_grad = base;
  plain_grad.balancing = PinnOptions::Balancing::Fixed;
  const char* groups[3] = {"pde", "bc", "initial"};
  std::vector<double> g[3];
  for (int k = 0; k < 3; ++k) g[k] = balancing::term_gradient(groups[k], balancing::burgers_soft(), plain_grad);
  const double initial[3] = {1.3, 2.5, 0.7};
  std::vector<double> got[2];
  for (bool encoders : {false, true}) {
    SCOPED_TRACE(encoders ? "include" : "exclude");
    PinnOptions o = base;
    o.balance_encoders = encoders;
    Pinn<double> pinn(Communicator::self(), balancing::burgers_soft(),
                      npde::pinn::make_catalogue_kernel<double>("burgers", 1), o);
    pinn.adapt(10);
    auto dense = pinn.network().dense_layers();
    ASSERT_EQ(dense.size(), std::size_t(pinn.network().n_layers() + 2));  // the main layers, then U and V
    if (!encoders) dense.resize(std::size_t(pinn.network().n_layers()));
    double max_r = 0;
    for (const auto& d : dense)
      for (std::size_t i = d.w; i < d.b; ++i) max_r = std::max(max_r, std::abs(g[0][i]));
    got[encoders] = pinn.extra_values();
    for (int k = 1; k < 3; ++k) {
      double mean = 0;
      for (const auto& d : dense) {
        double layer = 0;
        for (std::size_t i = d.w; i < d.b; ++i) layer += std::abs(initial[k] * g[k][i]);
        mean += layer / double(d.b - d.w) / double(dense.size());
      }
      EXPECT_NEAR(got[encoders][k], max_r / mean, 1e-9 * got[encoders][k]) << groups[k];
    }
  }
  EXPECT_NE(got[0][1], got[1][1]);
}

// Fourier features: the parameter gradient through the fixed features, and exact periodicity along a
// hard periodic axis (frequencies rounded to whole cycles per period).
TEST(Pinn, FourierFeaturesGradientAndPeriodicity) {
  Problem p = space_time("allen_cahn", {0.01, 5.0}, true);
  p.conditions.push_back(condition(ConditionKind::Periodic, {0}, "", p));
  p.conditions.push_back(condition(ConditionKind::Initial, {}, "x^2*cos(pi*x)", p));
  PinnOptions o = small_options();
  o.fourier_frequencies = 6;
  o.fourier_sigma = 2.0;
  Pinn<double> pinn(Communicator::self(), p, npde::pinn::make_catalogue_kernel<double>("allen_cahn", 1), o);
  EXPECT_TRUE(pinn.periodic_embedded());
  EXPECT_EQ(pinn.network().widths()[0], 12);  // 2 x 6 features
  for (double t : {0.1, 0.55, 0.9}) {
    const auto u = pinn.predict({-1.0, t, 1.0, t});
    EXPECT_NEAR(u[0], u[1], 1e-12) << "t = " << t;
  }
  check_gradient(pinn, {"pde"});
  // soft periodic conditions: plain Fourier features and the pair term
  Problem q = p;
  q.hard = false;
  Pinn<double> soft(Communicator::self(), q, npde::pinn::make_catalogue_kernel<double>("allen_cahn", 1), o);
  EXPECT_FALSE(soft.periodic_embedded());
  check_gradient(soft, {"pde", "periodic", "initial"});
}

// RAD: drawing the interior points with density |r| (c = 0) puts them where the residual is large,
// so the mean squared residual over them exceeds that of a (near-)uniform draw from the same candidates.
TEST(Pinn, AdaptiveSamplingFollowsTheResidual) {
  auto mean_residual = [](double k, double c) {
    PinnOptions o = small_options();
    o.n_interior = 1500;
    o.rad_candidates = 6000;
    o.rad_k = k;
    o.rad_c = c;
    // a source peaked around (0.3, 0.5): the residual of the untrained network is large there
    Problem p = balancing::burgers_soft();
    p.data[0] = Expression("20*exp(-50*((x-0.3)^2 + (t-0.5)^2))", p.input_names(), "test.source");
    Pinn<double> pinn(Communicator::self(), p, npde::pinn::make_catalogue_kernel<double>("burgers", 1), o);
    pinn.sample(1);
    View1<double> grad("grad", pinn.n_params());
    pinn.loss_and_gradient(grad);
    return pinn.last_terms()[0] / o.weight_pde;  // mean r^2 over the drawn points
  };
  const double uniform = mean_residual(1.0, 1e12), rad1 = mean_residual(1.0, 0.0), rad2 = mean_residual(2.0, 0.0);
  std::printf("[ rad      ] mean r^2 over the drawn points: %.4e (p ~ 1), %.4e (p ~ |r|), %.4e (p ~ r^2)\n", uniform,
              rad1, rad2);
  EXPECT_GT(rad1, 5 * uniform);
  EXPECT_GT(rad2, 1.5 * rad1);
}

// RAR-D: the round-0 set stays, each round adds `rar_add` distinct candidates, and with density |r|
// (c = 0) the added points sit where the residual is large.
TEST(Pinn, RarDKeepsTheSetAndAddsWhereTheResidualIsLarge) {
  PinnOptions o = small_options();
  o.n_interior = 500;
  o.rad_candidates = 6000;
  o.adaptive = PinnOptions::Adaptive::RarD;
  o.rar_add = 300;
  o.rad_k = 1.0;
  o.rad_c = 0.0;
  Problem p = balancing::burgers_soft();
  p.data[0] = Expression("20*exp(-50*((x-0.3)^2 + (t-0.5)^2))", p.input_names(), "test.source");
  Pinn<double> pinn(Communicator::self(), p, npde::pinn::make_catalogue_kernel<double>("burgers", 1), o);
  View1<double> grad("grad", pinn.n_params());
  auto mean_r2 = [&]() {
    pinn.loss_and_gradient(grad);
    return pinn.last_terms()[0] / o.weight_pde;
  };
  pinn.sample(0);
  const double base = mean_r2();
  EXPECT_EQ(pinn.term_points()[0], 500u);
  EXPECT_TRUE(pinn.adaptive_state().empty());
  pinn.sample(1);
  EXPECT_EQ(pinn.term_points()[0], 800u);
  const std::vector<double> s1 = pinn.adaptive_state();
  ASSERT_EQ(s1.size(), 800u * 2);
  const auto round0 = npde::pde::sample_interior(p.box, o.sampler, 500, o.seed, 0);
  EXPECT_TRUE(std::equal(round0.begin(), round0.end(), s1.begin()));
  std::set<std::pair<double, double>> added;
  for (std::size_t q = 500; q < 800; ++q) added.insert({s1[2 * q], s1[2 * q + 1]});
  EXPECT_EQ(added.size(), 300u);  // without replacement
  const double after = mean_r2();
  const double mean_added = (after * 800 - base * 500) / 300;
  std::printf("[ rar-d    ] mean r^2: round-0 set %.4e, added points %.4e\n", base, mean_added);
  EXPECT_GT(mean_added, 5 * base);
  pinn.sample(2);  // grows again, the earlier set kept
  const std::vector<double> s2 = pinn.adaptive_state();
  ASSERT_EQ(s2.size(), 1100u * 2);
  EXPECT_TRUE(std::equal(s1.begin(), s1.end(), s2.begin()));
  // the state restores the grown set into a fresh model
  Pinn<double> other(Communicator::self(), p, npde::pinn::make_catalogue_kernel<double>("burgers", 1), o);
  other.sample(0);
  other.set_adaptive_state(s2);
  EXPECT_EQ(other.term_points()[0], 1100u);
  other.loss_and_gradient(grad);
  pinn.loss_and_gradient(grad);
  EXPECT_EQ(other.last_terms()[0], pinn.last_terms()[0]);
}

// Random weight factorisation: the network starts as the unfactorised Glorot one, the parameters
// are (V, b, s), and the gradient over all of them (s included) matches finite differences.
TEST(Pinn, WeightFactorizationStartsAsGlorotWithExactGradient) {
  Problem p = balancing::burgers_soft();
  PinnOptions o = small_options();
  Pinn<double> plain(Communicator::self(), p, npde::pinn::make_catalogue_kernel<double>("burgers", 1), o);
  o.weight_factorization = true;
  o.rwf_mean = 0.5;
  o.rwf_stddev = 0.1;
  Pinn<double> rwf(Communicator::self(), p, npde::pinn::make_catalogue_kernel<double>("burgers", 1), o);
  const std::size_t n_units = 12 + 12 + 1;  // one s per output unit of each layer
  EXPECT_EQ(rwf.n_params(), plain.n_params() + n_units);
  const std::vector<double> pts{-0.5, 0.1, 0.2, 0.7, 0.9, 0.95};
  const auto a = plain.predict(pts), b = rwf.predict(pts);
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(b[i], a[i], 1e-14 * (1 + std::abs(a[i])));
  // the s entries sit between the network's (V, b) and nothing else: check_gradient covers them all
  check_gradient(rwf, {"pde", "bc", "initial"});
}

// The modified MLP under weight factorisation: the encoders are factorised too (one s per output
// unit of every dense map), and the gradient over everything matches finite differences.
TEST(Pinn, ModifiedMlpWithWeightFactorizationGradient) {
  Problem p = balancing::burgers_soft();
  PinnOptions o = small_options();
  o.architecture = npde::nn::Architecture::Modified;
  Pinn<double> mod(Communicator::self(), p, npde::pinn::make_catalogue_kernel<double>("burgers", 1), o);
  o.weight_factorization = true;
  Pinn<double> rwf(Communicator::self(), p, npde::pinn::make_catalogue_kernel<double>("burgers", 1), o);
  EXPECT_EQ(rwf.n_params(), mod.n_params() + (12 + 12 + 1) + 2 * 12);
  const std::vector<double> pts{-0.5, 0.1, 0.2, 0.7, 0.9, 0.95};
  const auto a = mod.predict(pts), b = rwf.predict(pts);
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(b[i], a[i], 1e-14 * (1 + std::abs(a[i])));
  check_gradient(rwf, {"pde", "bc", "initial"});
}

// PirateNet over Fourier features, with and without weight factorisation: the blocks' alphas travel
// with the factorised parameters, and the gradient over everything matches finite differences.
TEST(Pinn, PirateNetGradient) {
  Problem p = balancing::burgers_soft();
  PinnOptions o = small_options();
  o.hidden = {12, 12, 12};
  o.fourier_frequencies = 6;
  o.architecture = npde::nn::Architecture::Pirate;
  Pinn<double> pirate(Communicator::self(), p, npde::pinn::make_catalogue_kernel<double>("burgers", 1), o);
  EXPECT_EQ(pirate.network().n_blocks(), 1);
  // move alpha off 0 so that the block's layers reach the output
  auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), pirate.params());
  h(pirate.network().alpha_offset()) = 0.4;
  Kokkos::deep_copy(pirate.params(), h);
  check_gradient(pirate, {"pde", "bc", "initial"});
  o.weight_factorization = true;
  Pinn<double> rwf(Communicator::self(), p, npde::pinn::make_catalogue_kernel<double>("burgers", 1), o);
  auto hr = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), rwf.params());
  hr(rwf.network().alpha_offset()) = 0.4;
  Kokkos::deep_copy(rwf.params(), hr);
  check_gradient(rwf, {"pde", "bc", "initial"});
}

// Standardised inputs: the network sees (x - m)/s, the derivatives stay those in x (the gradient
// check goes through the residual), and the start equals a plain network whose first layer is
// W/s with bias -W m/s.
TEST(Pinn, StandardizedInputs) {
  Problem p = balancing::burgers_soft();
  PinnOptions o = small_options();
  o.standardize_inputs = true;
  Pinn<double> pinn(Communicator::self(), p, npde::pinn::make_catalogue_kernel<double>("burgers", 1), o);
  check_gradient(pinn, {"pde", "bc", "initial"});
  const auto& e = pinn.network().embedding();
  ASSERT_EQ(e.n_features(), 2);
  // x in [-1, 1]: s = 1/sqrt(3), m = 0; t in [0, 1]: s = 0.5/sqrt(3), m = 0.5
  EXPECT_NEAR(e.features[0].omega[0], std::sqrt(3.0), 1e-14);
  EXPECT_NEAR(e.features[0].shift, 0.0, 1e-14);
  EXPECT_NEAR(e.features[1].omega[1], 2 * std::sqrt(3.0), 1e-14);
  EXPECT_NEAR(e.features[1].shift, -std::sqrt(3.0), 1e-14);
  o.fourier_frequencies = 4;
  EXPECT_THROW(Pinn<double>(Communicator::self(), p, npde::pinn::make_catalogue_kernel<double>("burgers", 1), o),
               npde::Error);
}

}  // namespace
