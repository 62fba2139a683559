// SPDX-License-Identifier: BSD-3-Clause
// Multi-domain PINNs over MPI: the gradient (own terms plus the interface terms computed from the
// exchanged records) is the exact gradient of the reported loss; loss, gradient, training and a
// restart on another rank count give the same bits as the whole decomposition on one rank.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "npde/core/error.hpp"
#include "npde/decomp/communicator.hpp"
#include "npde/decomp/exchange.hpp"
#include "npde/pde/problem.hpp"
#include "npde/pinn/catalogue.hpp"
#include "npde/pinn/multidomain.hpp"
#include "npde/pinn/trainer.hpp"
#include "support/spread_gradient.hpp"

namespace {

using npde::decomp::Communicator;
using npde::pde::Problem;
using npde::pinn::DecompositionOptions;
using npde::pinn::MultiDomainPinn;
using npde::pinn::PinnOptions;

// -Lap u = f on [0,1] x [-0.5,1], soft Dirichlet conditions.
Problem poisson() {
  Problem p;
  p.equation = "poisson";
  p.n_space = 2;
  p.box.dim = 2;
  p.box.lower[1] = -0.5;
  const auto vars = p.input_names();
  const std::string exact = "sin(pi*x)*sin(pi*y) + 0.5*x*y";
  p.data.emplace_back("2*pi^2*sin(pi*x)*sin(pi*y)", vars, "test.source");
  p.exact.emplace_back(npde::Expression(exact, vars, "test.exact"));
  npde::pde::Condition c;
  c.faces = {0, 1, 2, 3};
  c.value = npde::Expression(exact, vars, "test.boundary");
  p.conditions.push_back(std::move(c));
  p.hard = false;
  return p;
}

// u_t + u u_x = nu u_xx on [-1,1] x [0,1], u(x,0) = -sin(pi x), u(+-1,t) = 0 (soft).
Problem burgers() {
  Problem p;
  p.equation = "burgers";
  p.n_space = 1;
  p.time_dependent = true;
  p.box.dim = 2;
  p.box.lower[0] = -1.0;
  const auto vars = p.input_names();
  p.coefficients = {0.01 / M_PI};
  p.data.emplace_back("0", vars, "test.source");
  p.exact.emplace_back(std::nullopt);
  npde::pde::Condition bc;
  bc.faces = {0, 1};
  bc.value = npde::Expression("0", vars, "test.bc");
  npde::pde::Condition ic;
  ic.kind = npde::pde::ConditionKind::Initial;
  ic.value = npde::Expression("-sin(pi*x)", vars, "test.ic");
  p.conditions = {bc, ic};
  p.hard = false;
  return p;
}

PinnOptions options() {
  PinnOptions o;
  o.hidden = {8, 8};
  o.n_interior = 203;
  o.n_boundary = 61;
  o.n_initial = 41;
  o.chunk = 64;
  o.seed = 3;
  o.n_validation = 200;
  return o;
}

template <class T>
MultiDomainPinn<T> make(const Communicator& comm, const Problem& p, const DecompositionOptions& d,
                        const PinnOptions& o = options()) {
  const std::string eq = p.equation;
  const int dim = p.n_space;
  return MultiDomainPinn<T>(comm, p, [eq, dim] { return npde::pinn::make_catalogue_kernel<T>(eq, dim); }, o, d);
}

DecompositionOptions all_terms(std::vector<int> subdomains) {
  DecompositionOptions d;
  d.subdomains = std::move(subdomains);
  d.interface_points = 17;
  for (int k = 0; k < npde::pinn::kInterfaceTerms; ++k) d.weights[k] = 0.5 + 0.25 * k;
  d.gradient_step = 1e-2;
  return d;
}

using npde::test::host_values;

// Central differences of the collective loss along a few parameters of every subdomain against the
// gradient.
void check_gradient(const Problem& p, const DecompositionOptions& d, const PinnOptions& o = options()) {
  const Communicator world = Communicator::world();
  auto net = make<double>(world, p, d, o);
  npde::test::check_spread_gradient(net, world);
}

/// Every interface term alone, then all together.
void check_every_term(const Problem& p) {
  for (int k = 0; k <= npde::pinn::kInterfaceTerms; ++k) {
    DecompositionOptions d = all_terms({2, 2});
    if (k < npde::pinn::kInterfaceTerms)
      for (int j = 0; j < npde::pinn::kInterfaceTerms; ++j)
        if (j != k) d.weights[j] = 0;
    SCOPED_TRACE(k < npde::pinn::kInterfaceTerms ? npde::pinn::interface_term_name(k) : "all terms");
    check_gradient(p, d);
  }
}

TEST(MultiDomainPinn, GradientIsTheLossGradientPoisson) { check_every_term(poisson()); }

// Subdomains with their own widths (decomposition.networks): parameter vectors of different sizes,
// spread over the ranks; every interface term on, so the interface records of networks of different
// shapes meet.
TEST(MultiDomainPinn, GradientWithOwnNetworks) {
  DecompositionOptions d = all_terms({2, 2});
  d.networks = {{{1, 0}, {12, 5}}, {{0, 1}, {3}}};
  const Communicator world = Communicator::world();
  auto net = make<double>(world, poisson(), d);
  // 2-8-8-1 (and 2-12-5-1, 2-3-1) after the subdomain's standardisation: cells (0, 0), (1, 0), (0, 1), (1, 1)
  const std::size_t plain = 2 * 8 + 8 + 8 * 8 + 8 + 8 + 1;
  for (int s = 0; s < 4; ++s) {
    const auto& c = net.partition()[s].cell;
    const std::size_t want = c[0] == 1 && c[1] == 0 ? 2 * 12 + 12 + 12 * 5 + 5 + 5 + 1
                             : c[0] == 0 && c[1] == 1 ? 2 * 3 + 3 + 3 + 1
                                                      : plain;
    EXPECT_EQ(net.params_of(s), want) << "subdomain " << s;
  }
  npde::test::check_spread_gradient(net, world);
  check_gradient(burgers(), d);
}

// Faces at chosen positions (decomposition.cuts): the cores follow the cuts, the interfaces lie on
// them, the gradient is the loss's (every term on) and the loss does not depend on the rank count.
TEST(MultiDomainPinn, CutsPlaceTheSubdomains) {
  DecompositionOptions d = all_terms({3, 2});
  d.cuts = {{0.2, 0.35}, {0.3}};
  const Communicator world = Communicator::world(), self = Communicator::self();
  auto a = make<double>(world, poisson(), d);
  const double xs[4] = {0, 0.2, 0.35, 1};
  for (int s = 0; s < a.partition().size(); ++s) {
    const auto& sd = a.partition()[s];
    EXPECT_EQ(sd.core_lower[0], xs[sd.cell[0]]);
    EXPECT_EQ(sd.core_upper[0], xs[sd.cell[0] + 1]);
    EXPECT_EQ(sd.core_upper[1], sd.cell[1] == 0 ? 0.3 : 1.0);
  }
  auto fresh = make<double>(world, poisson(), d);
  auto b = make<double>(self, poisson(), d);
  npde::View1<double> ga("ga", fresh.n_params()), gb("gb", b.n_params());
  EXPECT_EQ(fresh.loss_and_gradient(ga), b.loss_and_gradient(gb));
  EXPECT_EQ(fresh.gather(host_values(ga)), host_values(gb));
  npde::test::check_spread_gradient(a, world);
  // a point just left of a cut is the lower subdomain's, one on it the upper's
  const std::vector<double> pts{0.2 - 1e-9, 0.5, 0.2, 0.5, 0.5, 0.3};
  EXPECT_EQ(a.subdomain_of(pts), (std::vector<int>{3, 4, 5}));
}

TEST(MultiDomainPinn, GradientIsTheLossGradientBurgersSpaceTime) {
  // the flux is Burgers' u^2/2 - nu u_x across x and u across t; uyy reads u_tt
  check_every_term(burgers());
}

// Navier-Stokes in the stream-function form: every subdomain's network holds psi and p, the interface
// records carry u = psi_y, v = -psi_x and their derivatives (psi to third order); all terms on, 2 x 2
// subdomains (1, 2 and 4 ranks).
TEST(MultiDomainPinn, GradientIsTheLossGradientStreamFunction) {
  Problem p;
  p.equation = "navier_stokes";
  p.n_space = 2;
  p.box.dim = 2;
  p.outputs = {"u", "v", "p"};
  p.coefficients = {10};
  const auto vars = p.input_names();
  p.data.emplace_back("0", vars, "test.f_u");
  p.data.emplace_back("0", vars, "test.f_v");
  p.exact.assign(3, std::nullopt);
  p.up_to_constant = {false, false, true};
  for (int o = 0; o < 2; ++o) {
    npde::pde::Condition c;
    c.faces = {0, 1, 2, 3};
    c.output = o;
    c.value = npde::Expression(o == 0 ? "y" : "0", vars, "test.bc");
    p.conditions.push_back(std::move(c));
  }
  p.hard = false;
  PinnOptions o = options();
  o.stream_function = true;
  check_gradient(p, all_terms({2, 2}), o);
}

// The whole decomposition on MPI_COMM_SELF (every subdomain on one rank) against the world run.
TEST(MultiDomainPinn, LossAndGradientAreRankCountIndependent) {
  const Communicator world = Communicator::world(), self = Communicator::self();
  for (const auto& d : {DecompositionOptions::xpinn(), DecompositionOptions::cpinn()}) {
    DecompositionOptions dd = d;
    dd.subdomains = {2, 2};
    dd.interface_points = 13;
    auto a = make<double>(world, burgers(), dd);
    auto b = make<double>(self, burgers(), dd);
    npde::View1<double> ga("ga", a.n_params()), gb("gb", b.n_params());
    const double la = a.loss_and_gradient(ga), lb = b.loss_and_gradient(gb);
    EXPECT_EQ(la, lb);
    EXPECT_EQ(a.gather(host_values(ga)), host_values(gb));
    EXPECT_EQ(a.last_terms(), b.last_terms());
    EXPECT_EQ(a.extra_values(), b.extra_values());
    EXPECT_EQ(a.term_names(), b.term_names());
  }
}

npde::pinn::TrainConfig config() {
  npde::pinn::TrainConfig c;
  c.quiet = true;
  c.log_every = 5;
  npde::pinn::StageConfig adam, lbfgs;
  adam.optimizer = "adam";
  adam.iterations = 10;
  adam.adam.lr = 5e-3;
  lbfgs.optimizer = "lbfgs";
  lbfgs.iterations = 8;
  c.stages = {adam, lbfgs};
  return c;
}

// Adam then L-BFGS (dot products reduced over the ranks' subdomains): the same history and parameters
// on the world as on one rank; a checkpointed state taken on the world resumes on one rank (another rank
// count) and continues bit for bit.
TEST(MultiDomainPinn, TrainingAndRestartAcrossRankCounts) {
  const Communicator world = Communicator::world(), self = Communicator::self();
  DecompositionOptions d = DecompositionOptions::xpinn();
  d.subdomains = {2, 2};
  d.interface_points = 11;
  d.networks = {{{1, 1}, {5, 9, 4}}};  // one subdomain with its own widths: uneven parameter blocks
  auto a = make<double>(world, poisson(), d);
  auto b = make<double>(self, poisson(), d);
  npde::pinn::TrainState mid;
  npde::pinn::TrainHooks hooks;
  hooks.checkpoint_every = 13;  // inside the L-BFGS stage
  hooks.checkpoint = [&](const npde::pinn::TrainState& s) {
    if (s.global_iteration == 13) mid = s;
  };
  const auto ra = npde::pinn::train(a, config(), hooks);
  const auto rb = npde::pinn::train(b, config());
  ASSERT_EQ(ra.history.size(), rb.history.size());
  for (std::size_t i = 0; i < ra.history.size(); ++i) {
    EXPECT_EQ(ra.history[i].loss, rb.history[i].loss) << "iteration " << i + 1;
    EXPECT_EQ(ra.history[i].extras, rb.history[i].extras) << "iteration " << i + 1;
  }
  EXPECT_EQ(a.gather(host_values(a.params())), host_values(b.params()));
  EXPECT_TRUE(std::isfinite(ra.history.back().rel_l2));
  EXPECT_EQ(ra.history.back().rel_l2, rb.history.back().rel_l2);
  EXPECT_LT(ra.history.back().loss, ra.history.front().loss);
  // resume the world's state on one rank
  ASSERT_EQ(mid.global_iteration, 13);
  ASSERT_EQ(mid.params.size(), b.n_params_global());
  auto c = make<double>(self, poisson(), d);
  const auto rc = npde::pinn::train(c, config(), {}, &mid);
  EXPECT_EQ(rc.history.back().loss, ra.history.back().loss);
  EXPECT_EQ(host_values(c.params()), host_values(b.params()));
}

TEST(MultiDomainPinn, PredictTakesEachPointFromItsSubdomain) {
  const Communicator world = Communicator::world(), self = Communicator::self();
  DecompositionOptions d = DecompositionOptions::xpinn();
  d.subdomains = {4, 1};
  auto a = make<double>(world, poisson(), d);
  auto b = make<double>(self, poisson(), d);
  // each rank asks for its own (different) points
  std::vector<double> pts;
  for (int i = 0; i < 7 + world.rank(); ++i) pts.insert(pts.end(), {0.1 + 0.13 * i, -0.4 + 0.2 * i});
  // the same points in other batches (GEMMs of other sizes): equal to round-off
  const auto ua = a.predict(pts), ub = b.predict(pts);
  ASSERT_EQ(ua.size(), ub.size());
  for (std::size_t i = 0; i < ua.size(); ++i) EXPECT_NEAR(ua[i], ub[i], 1e-13 * std::max(1.0, std::abs(ub[i])));
  const auto s = a.subdomain_of(pts);
  EXPECT_EQ(s.front(), 0);
  EXPECT_EQ(s.back(), 3);
}

TEST(MultiDomainPinn, ClearErrors) {
  const Communicator world = Communicator::world();
  DecompositionOptions d = DecompositionOptions::xpinn();
  d.subdomains = {2, 2};
  Problem hard = poisson();
  hard.hard = true;
  EXPECT_THROW(make<double>(world, hard, d), npde::InputError);
  DecompositionOptions too_many = d;
  too_many.subdomains = {2, 2, 2};
  EXPECT_THROW(make<double>(world, poisson(), too_many), npde::InputError);
  Problem line = poisson();  // a 1D problem has no second input for uyy
  line.n_space = 1;
  line.box.dim = 1;
  line.data = {npde::Expression("1", line.input_names(), "test.source")};
  line.exact = {std::nullopt};
  line.conditions[0].faces = {0, 1};
  line.conditions[0].value = npde::Expression("0", line.input_names(), "test.bc");
  DecompositionOptions uyy = d;
  uyy.subdomains = {world.size()};
  uyy.weights[npde::pinn::kIfUyy] = 1;
  EXPECT_THROW(make<double>(world, line, uyy), npde::InputError);
  uyy.weights[npde::pinn::kIfUyy] = 0;
  EXPECT_NO_THROW(make<double>(world, line, uyy));
  Problem periodic = burgers();
  periodic.conditions[0].kind = npde::pde::ConditionKind::Periodic;
  periodic.conditions[0].faces = {0};
  EXPECT_THROW(make<double>(world, periodic, d), npde::InputError);  // the periodic axis x is split
  DecompositionOptions along_t = d;
  along_t.subdomains = {1, 4};
  EXPECT_NO_THROW(make<double>(world, periodic, along_t));
  DecompositionOptions outside = d;  // a network for a subdomain the split does not have
  outside.networks = {{{2, 0}, {4}}};
  EXPECT_THROW(make<double>(world, poisson(), outside), npde::InputError);
  outside.networks = {{{1, 1}, {}}};
  EXPECT_THROW(make<double>(world, poisson(), outside), npde::InputError);
  DecompositionOptions few = d;
  few.subdomains = {1, 1};
  if (world.size() > 1) {
    EXPECT_THROW(make<double>(world, poisson(), few), npde::InputError);  // more ranks than subdomains
  }
}

// Each interface term's value against a hand computation from the two networks at the interface
// point of a 1D problem (derivatives by central differences of the networks' values).
TEST(MultiDomainPinn, InterfaceTermsMatchAHandComputation) {
  const Communicator self = Communicator::self();
  Problem p;
  p.equation = "poisson";
  p.n_space = 1;
  p.box.dim = 1;
  const auto vars = p.input_names();
  p.data.emplace_back("pi^2*sin(pi*x)", vars, "test.source");
  p.exact.emplace_back(std::nullopt);
  npde::pde::Condition c;
  c.faces = {0, 1};
  c.value = npde::Expression("0", vars, "test.bc");
  p.conditions.push_back(c);
  p.hard = false;
  auto f = [](double x) { return M_PI * M_PI * std::sin(M_PI * x); };
  for (int k = 0; k < npde::pinn::kInterfaceTerms; ++k) {
    if (k == npde::pinn::kIfUyy) continue;  // needs a second input
    DecompositionOptions d;
    d.subdomains = {2};
    d.weights[std::size_t(k)] = 1.5;
    d.gradient_step = 0.1;  // h = 0.05
    auto net = make<double>(self, p, d);
    npde::View1<double> g("g", net.n_params());
    net.loss_and_gradient(g);
    const double value = net.last_terms().back();  // the only interface term, last
    auto u = [&](int s, double x) { return net.predict_subdomain(s, {x})[0]; };
    auto ux = [&](int s, double x) { return (u(s, x + 1e-5) - u(s, x - 1e-5)) / 2e-5; };
    auto uxx = [&](int s, double x) { return (u(s, x + 1e-3) - 2 * u(s, x) + u(s, x - 1e-3)) / 1e-6; };
    auto r = [&](int s, double x) { return -uxx(s, x) - f(x); };
    auto rn = [&](int s) { return (r(s, 0.55) - r(s, 0.45)) / 0.1; };
    const double x = 0.5;
    double hand = 0;
    switch (k) {
      case npde::pinn::kIfContinuity: hand = std::pow(u(0, x) - u(1, x), 2); break;
      case npde::pinn::kIfAverage: {
        const double m = 0.5 * (u(0, x) + u(1, x));
        hand = std::pow(u(0, x) - m, 2) + std::pow(u(1, x) - m, 2);
        break;
      }
      case npde::pinn::kIfResidual: hand = r(0, x) * r(0, x) + r(1, x) * r(1, x); break;
      case npde::pinn::kIfResidualContinuity: hand = std::pow(r(0, x) - r(1, x), 2); break;
      case npde::pinn::kIfFlux:  // Poisson: the normal derivative
      case npde::pinn::kIfUx: hand = std::pow(ux(0, x) - ux(1, x), 2); break;
      case npde::pinn::kIfResidualGradient: hand = rn(0) * rn(0) + rn(1) * rn(1); break;
      case npde::pinn::kIfUxx: hand = std::pow(uxx(0, x) - uxx(1, x), 2); break;
      default: break;
    }
    EXPECT_NEAR(value, 1.5 * hand, 1e-4 * std::max(1.0, std::abs(1.5 * hand))) << npde::pinn::interface_term_name(k);
    EXPECT_EQ(net.term_names().back(), std::string("if_") + npde::pinn::interface_term_name(k));
  }
}

TEST(Exchange, MessagesToOtherRanksAndToItself) {
  const Communicator world = Communicator::world();
  const int r = world.rank(), p = world.size(), next = (r + 1) % p, prev = (r + p - 1) % p;
  std::vector<double> out{double(r), 2.0 * r}, in(2, -1.0), self_out{7.0 + r}, self_in{0.0};
  npde::decomp::Exchange ex(world);
  ex.receive(prev, 1, in.data(), 2);
  ex.receive(r, 2, self_in.data(), 1);
  ex.send(next, 1, out.data(), 2);
  ex.send(r, 2, self_out.data(), 1);
  ex.finish();
  EXPECT_EQ(in, (std::vector<double>{double(prev), 2.0 * prev}));
  EXPECT_EQ(self_in[0], 7.0 + r);
}

// progress() between posting and finish() (as FBPINN calls it between chunks), with messages large
// enough for MPI's rendezvous protocol: the data arrive intact; progress() on an exchange with nothing
// posted, or after finish(), does nothing.
TEST(Exchange, ProgressBeforeFinishLargeMessages) {
  const Communicator world = Communicator::world();
  const int r = world.rank(), p = world.size(), next = (r + 1) % p, prev = (r + p - 1) % p;
  const std::size_t n = 1 << 17;  // 1 MiB
  std::vector<double> out(n), in(n, -1.0);
  for (std::size_t i = 0; i < n; ++i) out[i] = double(r) + 1e-6 * double(i);
  npde::decomp::Exchange ex(world);
  ex.progress();
  ex.receive(prev, 3, in.data(), n);
  ex.send(next, 3, out.data(), n);
  for (int k = 0; k < 20; ++k) ex.progress();
  ex.finish();
  ex.progress();
  for (std::size_t i = 0; i < n; i += 997) ASSERT_EQ(in[i], double(prev) + 1e-6 * double(i)) << i;
  EXPECT_EQ(in[n - 1], double(prev) + 1e-6 * double(n - 1));
}

}  // namespace
