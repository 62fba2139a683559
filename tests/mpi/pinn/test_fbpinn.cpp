// SPDX-License-Identifier: BSD-3-Clause
// FBPINN over MPI: the windowed sum's gradient (jets to the owners, adjoints back) is the exact gradient
// of its loss; loss, gradient, training and a restart on another rank count give the same bits as the
// whole decomposition on one rank; the windowed sum meets the hard conditions.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "npde/core/error.hpp"
#include "npde/decomp/communicator.hpp"
#include "npde/pde/problem.hpp"
#include "npde/pinn/catalogue.hpp"
#include "npde/pinn/fbpinn.hpp"
#include "npde/pinn/trainer.hpp"
#include "support/spread_gradient.hpp"

namespace {

using npde::decomp::Communicator;
using npde::pde::Problem;
using npde::pinn::DecompositionOptions;
using npde::pinn::FbPinn;
using npde::pinn::PinnOptions;

// -Lap u = f on [0,1] x [-0.5,1] with a non-zero boundary value, hard conditions.
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
  p.hard = true;
  return p;
}

// Burgers on [-1,1] x [0,1], u(x,0) = -sin(pi x), u(+-1,t) = 0, hard.
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
  p.hard = true;
  return p;
}

PinnOptions options() {
  PinnOptions o;
  o.hidden = {8, 8};
  o.n_interior = 307;
  o.chunk = 64;
  o.seed = 4;
  o.n_validation = 300;
  return o;
}

DecompositionOptions fb(std::vector<int> subdomains, double overlap = 0.3) {
  DecompositionOptions d = DecompositionOptions::fbpinn();
  d.subdomains = std::move(subdomains);
  d.overlap = overlap;
  return d;
}

FbPinn<double> make(const Communicator& comm, const Problem& p, const DecompositionOptions& d) {
  return FbPinn<double>(comm, p, npde::pinn::make_catalogue_kernel<double>(p.equation, p.n_space), options(), d);
}

using npde::test::host_values;

// Collective. Trains the decomposition on all ranks, keeping the state at iteration 7, and on this rank
// alone: the same loss history and parameters; a restart on this rank alone from the kept state ends on
// the same loss and parameters. `all` and `mid` get the all-rank run's result and the kept state.
void check_training_across_ranks(const Problem& p, const DecompositionOptions& d, const npde::pinn::TrainConfig& c,
                                 npde::pinn::TrainResult& all, npde::pinn::TrainState& mid) {
  const Communicator world = Communicator::world(), self = Communicator::self();
  auto a = make(world, p, d);
  auto b = make(self, p, d);
  npde::pinn::TrainHooks hooks;
  hooks.checkpoint_every = 7;
  hooks.checkpoint = [&](const npde::pinn::TrainState& s) {
    if (s.global_iteration == 7) mid = s;
  };
  all = npde::pinn::train(a, c, hooks);
  const auto rb = npde::pinn::train(b, c);
  ASSERT_EQ(all.history.size(), rb.history.size());
  for (std::size_t i = 0; i < all.history.size(); ++i) EXPECT_EQ(all.history[i].loss, rb.history[i].loss) << i;
  EXPECT_EQ(a.gather(host_values(a.params())), host_values(b.params()));
  ASSERT_EQ(mid.global_iteration, 7);
  auto r = make(self, p, d);
  const auto rr = npde::pinn::train(r, c, {}, &mid);
  EXPECT_EQ(rr.history.back().loss, rb.history.back().loss);
  EXPECT_EQ(host_values(r.params()), host_values(b.params()));
}

void check_gradient(const Problem& p, const DecompositionOptions& d) {
  const Communicator world = Communicator::world();
  auto net = make(world, p, d);
  npde::test::check_spread_gradient(net, world);
}

TEST(FbPinn, GradientIsTheLossGradient) {
  check_gradient(poisson(), fb({2, 2}));     // Laplacian channel
  check_gradient(poisson(), fb({4, 1}, 0.6));
  check_gradient(burgers(), fb({2, 2}));     // first and diagonal channels, trial function in t
  DecompositionOptions own = fb({4, 1});
  own.networks = {{{1}, {4, 13}}, {{2, 0}, {5}}};  // networks of their own widths blend in the overlaps
  check_gradient(poisson(), own);
  DecompositionOptions cut = fb({3, 2}, 0.5);  // cores of unequal widths, bands of the narrower core
  cut.cuts = {{0.15, 0.35}, {0.1}};
  check_gradient(poisson(), cut);
}

TEST(FbPinn, RankCountIndependentAndConditionsExact) {
  const Communicator world = Communicator::world(), self = Communicator::self();
  auto a = make(world, poisson(), fb({2, 2}));
  auto b = make(self, poisson(), fb({2, 2}));
  npde::View1<double> ga("ga", a.n_params()), gb("gb", b.n_params());
  EXPECT_EQ(a.loss_and_gradient(ga), b.loss_and_gradient(gb));
  EXPECT_EQ(a.gather(host_values(ga)), host_values(gb));
  EXPECT_EQ(a.extra_values(), b.extra_values());
  EXPECT_EQ(a.validation_error(), b.validation_error());
  // on the boundary the blended solution is the boundary data, whatever the networks
  std::vector<double> pts;
  for (int i = 0; i <= 10; ++i) pts.insert(pts.end(), {0.1 * i, -0.5, 1.0, -0.5 + 0.15 * i});
  const auto u = a.predict(pts);
  for (std::size_t k = 0; k < u.size(); ++k) {
    const double x = pts[2 * k], y = pts[2 * k + 1];
    EXPECT_NEAR(u[k], std::sin(M_PI * x) * std::sin(M_PI * y) + 0.5 * x * y, 1e-9) << x << ", " << y;
  }
}

TEST(FbPinn, TrainingAndRestartAcrossRankCounts) {
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
  c.resample_every = 4;
  DecompositionOptions d = fb({2, 2});
  d.networks = {{{0, 1}, {6, 11}}};  // one subdomain with its own widths: uneven parameter blocks
  npde::pinn::TrainResult ra;
  npde::pinn::TrainState mid;
  check_training_across_ranks(burgers(), d, c, ra, mid);
  EXPECT_LT(ra.history.back().loss, ra.history.front().loss);
}

// decomposition.schedule: layer by layer along x, the loss over the points of the training layer's
// windows, the networks that cover them trained (earlier layers fixed, the rest idle); the gradient is
// still the loss's where nothing is fixed, the optimiser leaves the others' parameters alone, the last
// phase is the plain FBPINN, and training over the phases is the same on any rank count and restarts
// bit for bit (Adam's per-parameter step counts in the state).
TEST(FbPinn, ScheduleTrainsLayersByTurns) {
  using Role = FbPinn<double>::Role;
  const Communicator world = Communicator::world(), self = Communicator::self();
  DecompositionOptions d = fb({4, 1}, 0.5);
  d.schedule = {0, 3, false};
  auto a = make(world, poisson(), d);
  auto roles = [&] {
    std::vector<Role> r;
    for (int s = 0; s < 4; ++s) r.push_back(a.role(s));
    return r;
  };
  EXPECT_EQ(roles(), (std::vector<Role>{Role::Trained, Role::Trained, Role::Idle, Role::Idle}));
  EXPECT_GT(a.loss_points(), 0u);
  EXPECT_LT(a.loss_points(), options().n_interior / 2);
  npde::test::check_spread_gradient(a, world);  // nothing fixed yet: the loss's own gradient
  a.adapt(3);
  EXPECT_EQ(a.phase(), 1);
  EXPECT_EQ(roles(), (std::vector<Role>{Role::Fixed, Role::Trained, Role::Trained, Role::Idle}));
  npde::View1<double> g("g", a.n_params());
  a.loss_and_gradient(g);
  const auto grad = a.gather(host_values(g));
  std::vector<std::uint8_t> mask;
  if (a.trainable().extent(0) > 0) {
    auto mh = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), a.trainable());
    std::vector<double> m(mh.data(), mh.data() + mh.extent(0));
    for (double v : a.gather(m)) mask.push_back(std::uint8_t(v));
  }
  ASSERT_EQ(mask.size(), a.n_params_global());
  std::size_t at = 0;
  for (int s = 0; s < 4; ++s) {
    double norm = 0;
    for (std::size_t i = 0; i < a.params_of(s); ++i, ++at) {
      norm += std::abs(grad[at]);
      EXPECT_EQ(mask[at], a.role(s) == Role::Trained ? 1 : 0) << s;
    }
    if (a.role(s) == Role::Trained)
      EXPECT_GT(norm, 0) << s;
    else
      EXPECT_EQ(norm, 0) << s;
  }
  // past the layers: every subdomain trains, as without a schedule
  a.adapt(12);
  EXPECT_EQ(a.phase(), 4);
  EXPECT_EQ(a.trainable().extent(0), 0u);
  EXPECT_EQ(a.loss_points(), options().n_interior);
  auto plain = make(world, poisson(), fb({4, 1}, 0.5));
  npde::View1<double> gp("gp", plain.n_params());
  EXPECT_EQ(a.loss_and_gradient(g), plain.loss_and_gradient(gp));
  // the upper end first
  DecompositionOptions up = d;
  up.schedule.from_upper = true;
  auto u = make(world, poisson(), up);
  EXPECT_EQ(u.role(3), Role::Trained);
  EXPECT_EQ(u.role(0), Role::Idle);

  // training through the phases: 1 rank against all, restart from a mid-phase checkpoint
  npde::pinn::TrainConfig c;
  c.quiet = true;
  c.log_every = 2;
  npde::pinn::StageConfig adam;
  adam.optimizer = "adam";
  adam.iterations = 14;
  adam.adam.lr = 5e-3;
  c.stages = {adam};
  auto fresh = make(self, poisson(), d);
  const auto first = host_values(fresh.params());
  // phase 0 (iterations 0-2) then phase 1 (3-5): layer 0 is fixed through phase 1 (Adam's moments would
  // move it on), layer 3 never trains
  auto params_after = [&](long iterations) {
    npde::pinn::TrainConfig short_c = c;
    short_c.stages[0].iterations = iterations;
    auto net = make(self, poisson(), d);
    npde::pinn::train(net, short_c);
    return host_values(net.params());
  };
  const auto p3 = params_after(3), p6 = params_after(6);
  const long n0 = long(fresh.params_of(0)), n01 = n0 + long(fresh.params_of(1));
  const long n012 = n01 + long(fresh.params_of(2));
  EXPECT_FALSE(std::equal(p3.begin(), p3.begin() + n0, first.begin()));        // trained in phase 0
  EXPECT_TRUE(std::equal(p3.begin(), p3.begin() + n0, p6.begin()));            // fixed in phase 1
  EXPECT_FALSE(std::equal(p3.begin() + n0, p3.begin() + n01, p6.begin() + n0));  // layer 1 trains on
  EXPECT_FALSE(std::equal(p3.begin() + n01, p3.begin() + n012, p6.begin() + n01));  // layer 2 joins
  EXPECT_TRUE(std::equal(p6.begin() + n012, p6.end(), first.begin() + n012));  // layer 3 idle
  npde::pinn::TrainResult rb;
  npde::pinn::TrainState mid;
  check_training_across_ranks(poisson(), d, c, rb, mid);
  ASSERT_EQ(mid.adam.steps.size(), fresh.n_params_global());  // the masked Adam's step counts in the state
}

TEST(FbPinn, ClearErrors) {
  const Communicator world = Communicator::world();
  Problem soft = poisson();
  soft.hard = false;
  EXPECT_THROW(make(world, soft, fb({2, 2})), npde::InputError);  // fbpinn takes hard conditions
  Problem neumann = poisson();
  neumann.conditions[0].kind = npde::pde::ConditionKind::Neumann;
  neumann.conditions[0].faces = {0};
  EXPECT_THROW(make(world, neumann, fb({2, 2})), npde::InputError);  // no trial function for it
  EXPECT_THROW(make(world, poisson(), fb({2, 2}, 0.0)), npde::InputError);
  DecompositionOptions sched = fb({2, 2});
  sched.schedule = {1, 0, false};
  EXPECT_THROW(make(world, poisson(), sched), npde::InputError);  // every 0
  sched.schedule = {2, 10, false};
  EXPECT_THROW(make(world, poisson(), sched), npde::InputError);  // no third input
  DecompositionOptions unsplit = fb({2, 1});
  unsplit.schedule = {1, 10, false};
  EXPECT_THROW(make(world, poisson(), unsplit), npde::InputError);  // nothing to schedule along y
}

}  // namespace
