// SPDX-License-Identifier: BSD-3-Clause
// The general PINN on one rank: the loss gradient (jets of every shape, trial functions, named
// condition terms) against finite differences for space-time, soft, hard, periodic, Neumann and
// initial-rate problems; trial functions meet their conditions exactly; a short training run of
// the Klein-Gordon benchmark reaches a loose bound. The methods against the failure modes (loss
// weighting, causal training, feature embeddings, architectures, adaptive sampling) are in
// test_pinn_methods.cpp.
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

TEST(Pinn, GradientPoissonSoft) {
  Problem p;
  p.equation = "poisson";
  p.n_space = 1;
  p.box.dim = 1;
  p.data.emplace_back("x^2", p.input_names(), "f");
  p.exact.emplace_back(std::nullopt);
  p.hard = false;
  p.conditions.push_back(condition(ConditionKind::Dirichlet, {0, 1}, "1", p));
  check_gradient(p, {"pde", "bc"});
}

TEST(Pinn, GradientBurgersHard) {
  Problem p = space_time("burgers", {0.05}, true);
  p.conditions.push_back(condition(ConditionKind::Dirichlet, {0, 1}, "0", p));
  p.conditions.push_back(condition(ConditionKind::Initial, {}, "-sin(pi*x)", p));
  check_gradient(p, {"pde"});
}

// Navier-Stokes in the stream-function form: the network holds psi and p, u = psi_y and v = -psi_x, so
// continuity vanishes exactly, the gradient through third derivatives of psi is exact, the predicted
// velocity is divergence free (central differences of predict()), and hard walls are refused.
TEST(Pinn, StreamFunctionNavierStokes) {
  Problem p;
  p.equation = "navier_stokes";
  p.n_space = 2;
  p.box.dim = 2;
  p.box.lower[0] = 0, p.box.upper[0] = 1;
  p.box.lower[1] = 0, p.box.upper[1] = 2;
  p.outputs = {"u", "v", "p"};
  p.coefficients = {20};
  p.data.emplace_back("0.1*y", p.input_names(), "f_u");
  p.data.emplace_back("x", p.input_names(), "f_v");
  p.exact.assign(3, std::nullopt);
  p.up_to_constant = {false, false, true};
  p.hard = false;
  for (int o = 0; o < 2; ++o) {
    Condition c = condition(ConditionKind::Dirichlet, {0, 1, 2, 3}, o == 0 ? "y*(2 - y)" : "0.5", p);
    c.output = o;
    p.conditions.push_back(c);
  }
  PinnOptions o = small_options();
  o.stream_function = true;
  Pinn<double> pinn(Communicator::self(), p, npde::pinn::make_catalogue_kernel<double>("navier_stokes", 2), o);
  EXPECT_EQ(pinn.network().n_outputs(), 2);  // psi, p
  check_gradient(pinn, {"momentum_x", "momentum_y", "continuity", "bc_u", "bc_v"}, {"continuity"});
  const double h = 1e-4;
  const std::vector<double> x0{0.3, 0.7, 0.81, 1.45};
  for (std::size_t q = 0; q < x0.size(); q += 2) {
    const std::vector<double> pts{x0[q] + h, x0[q + 1], x0[q] - h, x0[q + 1], x0[q], x0[q + 1] + h, x0[q], x0[q + 1] - h};
    const auto w = pinn.predict(pts);  // (u, v, p) per point
    const double ux = (w[0] - w[3]) / (2 * h), vy = (w[7] - w[10]) / (2 * h);
    EXPECT_GT(std::abs(ux), 1e-3);
    EXPECT_NEAR(ux + vy, 0.0, 1e-7 * (std::abs(ux) + 1));
  }
  p.hard = true;  // hard walls: a trial function of u and v
  EXPECT_THROW(Pinn<double>(Communicator::self(), p, npde::pinn::make_catalogue_kernel<double>("navier_stokes", 2), o),
               npde::InputError);
}

TEST(Pinn, GradientHeatSoftWithNeumann) {
  Problem p = space_time("heat", {0.8, 0.1}, false);
  p.conditions.push_back(condition(ConditionKind::Dirichlet, {0}, "cos(t)", p));
  p.conditions.push_back(condition(ConditionKind::Neumann, {1}, "0.5*t", p));
  p.conditions.push_back(condition(ConditionKind::Initial, {}, "x^2", p));
  check_gradient(p, {"pde", "bc", "neumann", "initial"});
}

// Hard: the periodic axis enters as cos/sin (no periodic term), the initial value by the trial function.
TEST(Pinn, GradientAllenCahnPeriodicEmbeddedWithHardInitial) {
  Problem p = space_time("allen_cahn", {0.01, 5.0}, true);
  p.conditions.push_back(condition(ConditionKind::Periodic, {0}, "", p));
  p.conditions.push_back(condition(ConditionKind::Initial, {}, "x^2*cos(pi*x)", p));
  check_gradient(p, {"pde"});
}

// Soft: the periodic pair term (value and derivative continuity) beside a soft initial term.
TEST(Pinn, GradientAllenCahnPeriodicSoft) {
  Problem p = space_time("allen_cahn", {0.01, 5.0}, false);
  p.conditions.push_back(condition(ConditionKind::Periodic, {0}, "", p));
  p.conditions.push_back(condition(ConditionKind::Initial, {}, "x^2*cos(pi*x)", p));
  check_gradient(p, {"pde", "periodic", "initial"});
}

// The embedded network is periodic with its derivatives: with periodic initial data, u and u_x agree on
// the two faces at any t.
TEST(Pinn, PeriodicEmbeddingIsExact) {
  Problem p = space_time("allen_cahn", {0.01, 5.0}, true);
  p.conditions.push_back(condition(ConditionKind::Periodic, {0}, "", p));
  p.conditions.push_back(condition(ConditionKind::Initial, {}, "sin(pi*x) + cos(pi*x)^2", p));
  Pinn<double> pinn(Communicator::self(), p, npde::pinn::make_catalogue_kernel<double>("allen_cahn", 1),
                    small_options());
  EXPECT_TRUE(pinn.periodic_embedded());
  for (double t : {0.0, 0.37, 1.0}) {
    const auto u = pinn.predict({-1.0, t, 1.0, t, -1.0 + 1e-4, t, 1.0 + 1e-4, t});
    EXPECT_NEAR(u[0], u[1], 1e-14);
    EXPECT_NEAR(u[2] - u[0], u[3] - u[1], 1e-14);  // the same slope across the seam
  }
}

TEST(Pinn, GradientKleinGordonHardBlendAndRate) {
  Problem p = space_time("klein_gordon", {1.0, 1.0}, true);
  p.conditions.push_back(condition(ConditionKind::Dirichlet, {0}, "0", p));
  p.conditions.push_back(condition(ConditionKind::Dirichlet, {1}, "cos(5*pi*t) + t^3", p));
  p.conditions.push_back(condition(ConditionKind::Initial, {}, "x", p));
  p.conditions.push_back(condition(ConditionKind::InitialRate, {}, "0", p));
  check_gradient(p, {"pde"});
}

// Inverse problem: the viscosity is a parameter (scaled to start at 1) and a data term fits observations;
// the gradient with respect to the coefficient comes from the residual evaluated with a dual coefficient.
TEST(Pinn, GradientBurgersInverse) {
  Problem p = space_time("burgers", {0.02}, true);
  p.conditions.push_back(condition(ConditionKind::Dirichlet, {0, 1}, "0", p));
  p.conditions.push_back(condition(ConditionKind::Initial, {}, "-sin(pi*x)", p));
  p.trainable = {true};
  npde::pde::Observations obs;
  for (int i = 0; i < 23; ++i) {
    const double x = -0.9 + 0.08 * i, t = 0.04 * i;
    obs.points.insert(obs.points.end(), {x, t});
    obs.values.push_back(-std::sin(3.14159 * x) * std::exp(-t));
  }
  p.observations.push_back(obs);
  check_gradient(p, {"pde", "data"});
  Pinn<double> pinn(Communicator::self(), p, npde::pinn::make_catalogue_kernel<double>("burgers", 1), small_options());
  EXPECT_EQ(pinn.n_params(), pinn.network().n_params() + 1);
  EXPECT_DOUBLE_EQ(pinn.coefficients()[0], 0.02);
}

// Eigenproblem: trained energy, the scale-free residual term sum r^2 / int psi^2 (whose 1/Q derivative is
// added after the allreduce), normalisation and orthogonality against an earlier state on a Simpson grid.
TEST(Pinn, GradientSchrodingerEigen) {
  Problem p;
  p.equation = "schrodinger";
  p.n_space = 1;
  p.box.dim = 1;
  p.data.emplace_back("3*x^2", p.input_names(), "V");
  p.exact.emplace_back(std::nullopt);
  p.coefficients = {7.0};
  p.trainable = {true};
  p.conditions.push_back(condition(ConditionKind::Dirichlet, {0, 1}, "0", p));
  p.eigen.quadrature = 33;
  p.eigen.weight_normalisation = 1.7;
  p.eigen.weight_orthogonality = 2.3;
  std::vector<double> prev(33), dprev(33);
  for (int i = 0; i < 33; ++i) {
    const double x = i / 32.0;
    prev[i] = std::sqrt(2.0) * std::sin(3.14159265358979 * x);
    dprev[i] = std::sqrt(2.0) * 3.14159265358979 * std::cos(3.14159265358979 * x);
  }
  p.eigen.previous = {prev};
  p.eigen.previous_derivative = {dprev};
  check_gradient(p, {"pde", "normalisation", "orthogonality"});
  // the Rayleigh-quotient term (earlier state projected out) and the energy following it
  p.eigen.energy_term = true;
  p.eigen.weight_energy = 0.6;
  check_gradient(p, {"pde", "normalisation", "orthogonality", "energy"});
}

// A stage's weights scale their group's terms (Neumann and periodic count as bc), the model's own come
// back with an empty list, and a group without a term is refused.
TEST(Pinn, StageWeightsScaleTheirGroups) {
  Problem p = space_time("heat", {0.5, 0.0}, false);
  p.conditions.push_back(condition(ConditionKind::Dirichlet, {0}, "0", p));
  p.conditions.push_back(condition(ConditionKind::Neumann, {1}, "t", p));
  p.conditions.push_back(condition(ConditionKind::Initial, {}, "x", p));
  Pinn<double> pinn(Communicator::self(), p, npde::pinn::make_catalogue_kernel<double>("heat", 1), small_options());
  ASSERT_EQ(pinn.term_names(), (std::vector<std::string>{"pde", "bc", "neumann", "initial"}));
  View1<double> grad("grad", pinn.n_params());
  pinn.loss_and_gradient(grad);
  const std::vector<double> base = pinn.last_terms();
  pinn.set_stage_weights({{"bc", 2.0 * 2.5}, {"pde", 0.0}});  // small_options: weight_bc 2.5
  const double loss = pinn.loss_and_gradient(grad);
  const auto& t = pinn.last_terms();
  EXPECT_EQ(t[0], 0.0);
  EXPECT_NEAR(t[1], 2 * base[1], 1e-14 * base[1]);
  EXPECT_NEAR(t[2], 2 * base[2], 1e-14 * base[2]);
  EXPECT_EQ(t[3], base[3]);
  EXPECT_NEAR(loss, t[1] + t[2] + t[3], 1e-14 * loss);
  pinn.set_stage_weights({});
  pinn.loss_and_gradient(grad);
  EXPECT_EQ(pinn.last_terms(), base);
  EXPECT_THROW(pinn.set_stage_weights({{"data", 1.0}}), npde::InputError);
}

// A stage's point counts: the model then draws exactly what a model built with those counts draws
// (same seed, same round), per term; going back to the options' counts restores the first model.
TEST(Pinn, StagePointsDrawWhatTheCountsWould) {
  Problem p = space_time("heat", {0.5, 0.0}, false);
  p.conditions.push_back(condition(ConditionKind::Dirichlet, {0}, "0", p));
  p.conditions.push_back(condition(ConditionKind::Neumann, {1}, "t", p));
  p.conditions.push_back(condition(ConditionKind::Initial, {}, "x", p));
  const auto make = [&](const PinnOptions& o) {
    return Pinn<double>(Communicator::self(), p, npde::pinn::make_catalogue_kernel<double>("heat", 1), o);
  };
  Pinn<double> pinn = make(small_options());
  PinnOptions bigger = small_options();
  bigger.n_interior = 157, bigger.n_boundary = 61, bigger.n_initial = 45;
  Pinn<double> want = make(bigger);
  View1<double> grad("grad", pinn.n_params());
  pinn.sample(3);
  pinn.loss_and_gradient(grad);
  const std::vector<double> base = pinn.last_terms();
  const auto base_points = pinn.term_points();
  EXPECT_FALSE(pinn.set_stage_points({}));  // the options' counts already
  ASSERT_TRUE(pinn.set_stage_points({157, 61, 45}));
  pinn.sample(3);
  EXPECT_FALSE(pinn.set_stage_points({157, 61, 45}));  // drawn now
  want.sample(3);
  const double loss = pinn.loss_and_gradient(grad);
  const std::vector<double> g = to_vector(grad);
  EXPECT_EQ(loss, want.loss_and_gradient(grad));
  EXPECT_EQ(pinn.last_terms(), want.last_terms());
  EXPECT_EQ(g, to_vector(grad));
  EXPECT_EQ(pinn.term_points(), want.term_points());
  EXPECT_NE(pinn.last_terms(), base);
  // only the boundary count: the interior and initial sets are the options'
  ASSERT_TRUE(pinn.set_stage_points({0, 61, 0}));
  EXPECT_EQ(pinn.term_points(), want.term_points());  // counts change with the next draw
  pinn.sample(4);
  EXPECT_EQ(pinn.term_points(), (std::vector<std::size_t>{base_points[0], 61, 61, base_points[3]}));
  ASSERT_TRUE(pinn.set_stage_points({}));
  pinn.sample(3);
  pinn.loss_and_gradient(grad);
  EXPECT_EQ(pinn.last_terms(), base);
  EXPECT_EQ(pinn.term_points(), base_points);
}

TEST(Pinn, GradientKleinGordonSoft) {
  Problem p = space_time("klein_gordon", {1.0, 1.0}, false);
  p.conditions.push_back(condition(ConditionKind::Dirichlet, {0}, "0", p));
  p.conditions.push_back(condition(ConditionKind::Dirichlet, {1}, "cos(5*pi*t) + t^3", p));
  p.conditions.push_back(condition(ConditionKind::Initial, {}, "x", p));
  p.conditions.push_back(condition(ConditionKind::InitialRate, {}, "0", p));
  check_gradient(p, {"pde", "bc_x-", "bc_x+", "initial", "initial_rate"});
}

// A hard trial function meets its conditions exactly (up to the lift's finite differences): G equals
// the data and D vanishes on the Dirichlet faces and at t0; G_t equals the initial rate at t0.
TEST(TrialFunction, MeetsDirichletInitialAndRate) {
  Problem p = space_time("klein_gordon", {1.0, 1.0}, true);
  const Expression lo("sin(t)", p.input_names(), "t"), hi("1 + x*t^2", p.input_names(), "t");
  p.conditions.push_back(condition(ConditionKind::Dirichlet, {0}, "sin(t)", p));
  p.conditions.push_back(condition(ConditionKind::Dirichlet, {1}, "1 + x*t^2", p));
  // compatible with the boundary data at t = 0: u0(-1) = 0, u0(1) = 1; u1(-1) = 1, u1(1) = 0
  p.conditions.push_back(condition(ConditionKind::Initial, {}, "(x + 1)^2/4", p));
  p.conditions.push_back(condition(ConditionKind::InitialRate, {}, "(1 - x)/2", p));
  const npde::pinn::TrialFunction trial(p, 0);
  ASSERT_TRUE(trial.active());
  for (std::size_t i = 0; i < p.conditions.size(); ++i) EXPECT_TRUE(trial.absorbs(i));
  for (double n : {-2.0, 0.0, 3.5}) {
    for (double t : {0.0, 0.3, 1.0}) {
      const double xl[2] = {-1.0, t}, xu[2] = {1.0, t};
      // the rate correction's one-sided difference of B_t leaves rounding of ~1e-13
      EXPECT_NEAR(trial.value(xl, n), lo.eval(xl), 1e-11);
      EXPECT_NEAR(trial.value(xu, n), hi.eval(xu), 1e-11);
    }
    for (double x : {-0.6, 0.1, 0.9}) {
      const double x0[2] = {x, 0.0};
      EXPECT_NEAR(trial.value(x0, n), (x + 1) * (x + 1) / 4, 1e-13);
    }
  }
  for (double x : {-0.6, 0.1, 0.9}) {
    const double x0[2] = {x, 0.0};
    npde::pinn::CanonicalJet g, d;
    trial.eval(x0, 0b11u, 0b11u, 0u, g, d);
    EXPECT_NEAR(g.e[npde::pde::canonical_d(1)], (1 - x) / 2, 1e-8);  // G_t = u1 at t0
    EXPECT_EQ(d.e[npde::pde::canonical_value()], 0.0);
    EXPECT_EQ(d.e[npde::pde::canonical_d(1)], 0.0);                    // D = O(t^2): u_t = G_t
  }
}

// The lift is the transfinite (Coons) interpolation of the face data: it meets different expressions on
// the four faces of a 2D box (compatible at the corners) and, from boundary data only, is not the
// function the data came from inside the box.
TEST(TrialFunction, LiftMeetsDifferentDataOnEveryFace) {
  Problem p;
  p.equation = "helmholtz";
  p.n_space = 2;
  p.box.dim = 2;
  p.box.lower[0] = -1;
  p.coefficients = {1.0};
  // faces of h(x, y) = x^2 y^2 + sin(x) + y on [-1, 1] x [0, 1]
  p.conditions.push_back(condition(ConditionKind::Dirichlet, {0}, "y^2 + sin(-1) + y", p));
  p.conditions.push_back(condition(ConditionKind::Dirichlet, {1}, "y^2 + sin(1) + y", p));
  p.conditions.push_back(condition(ConditionKind::Dirichlet, {2}, "sin(x)", p));
  p.conditions.push_back(condition(ConditionKind::Dirichlet, {3}, "x^2 + sin(x) + 1", p));
  const npde::pinn::TrialFunction trial(p, 0);
  auto h = [](double x, double y) { return x * x * y * y + std::sin(x) + y; };
  for (double s : {0.0, 0.21, 0.5, 0.93, 1.0}) {
    const double pts[4][2] = {{-1, s}, {1, s}, {2 * s - 1, 0}, {2 * s - 1, 1}};
    for (const auto& q : pts) EXPECT_NEAR(trial.value(q, 7.0), h(q[0], q[1]), 1e-14) << q[0] << " " << q[1];
  }
  const double inside[2] = {0.3, 0.6};
  EXPECT_GT(std::abs(trial.value(inside, 0.0) - h(0.3, 0.6)), 1e-3);  // built from the faces only
  // a face with two Dirichlet conditions has no lift
  p.conditions.push_back(condition(ConditionKind::Dirichlet, {3}, "0", p));
  EXPECT_THROW(npde::pinn::TrialFunction(p, 0), npde::InputError);
}

// The Klein-Gordon benchmark (exact solution known) trains to a loose bound in a few seconds.
TEST(Pinn, KleinGordonTrainsShort) {
  Problem p = space_time("klein_gordon", {1.0, 1.0}, true);
  p.box.lower[0] = 0;
  const auto v = p.input_names();
  p.data.clear();
  p.data.emplace_back("-25*pi^2*x*cos(5*pi*t) + 6*x^3*t - 6*x*t^3 + (x*cos(5*pi*t) + (x*t)^3)^3", v, "f");
  p.exact.clear();
  p.exact.emplace_back(Expression("x*cos(5*pi*t) + (x*t)^3", v, "exact"));
  p.conditions.push_back(condition(ConditionKind::Dirichlet, {0}, "0", p));
  p.conditions.push_back(condition(ConditionKind::Dirichlet, {1}, "cos(5*pi*t) + t^3", p));
  p.conditions.push_back(condition(ConditionKind::Initial, {}, "x", p));
  p.conditions.push_back(condition(ConditionKind::InitialRate, {}, "0", p));
  PinnOptions o;
  o.hidden = {20, 20, 20};
  o.n_interior = 800;
  o.seed = 1;
  Pinn<double> pinn(Communicator::self(), p, npde::pinn::make_catalogue_kernel<double>("klein_gordon", 1), o);
  npde::pinn::TrainConfig cfg;
  cfg.quiet = true;
  npde::pinn::StageConfig adam, lbfgs;
  adam.optimizer = "adam";
  adam.iterations = 200;
  adam.adam.lr = 2e-3;
  lbfgs.optimizer = "lbfgs";
  lbfgs.iterations = 150;
  cfg.stages = {adam, lbfgs};
  const double before = pinn.validation_error();
  npde::pinn::train(pinn, cfg);
  const double after = pinn.validation_error();
  EXPECT_GT(before, 0.1);  // the trial function alone (u = G + D N, N untrained) is far off
  // measured 2.7e-4 with 2 ranks and these settings; the bound leaves room for BLAS differences
  EXPECT_LT(after, 1e-2);
}

}  // namespace

namespace {
// The kernel's adjoint of sum_j scale_j sum_p r_jp^2 with respect to the network's output jets,
// against central differences (Burgers: four channels, hard trial data).
TEST(EquationKernel, AdjointMatchesFiniteDifferences) {
  auto kernel = npde::pinn::make_catalogue_kernel<double>("burgers", 1);
  kernel->set_coefficients({0.05});
  const int n = 3, C = 4, W = npde::pinn::aux_width(1, 1);
  View1<double> out("out", C * n), aux("aux", W * n), sq("sq", n), adj("adj", C * n);
  auto oh = Kokkos::create_mirror_view(out);
  auto ah = Kokkos::create_mirror_view(aux);
  for (int i = 0; i < C * n; ++i) oh(i) = std::sin(1.3 * i + 0.2);
  for (int i = 0; i < W * n; ++i) ah(i) = std::cos(0.7 * i + 0.1);
  Kokkos::deep_copy(out, oh);
  Kokkos::deep_copy(aux, ah);
  const double scale[1] = {0.8};
  auto loss = [&]() {
    kernel->evaluate(n, out.data(), aux.data(), 1u, scale, sq.data(), adj.data());
    auto s = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), sq);
    double l = 0;
    for (int p = 0; p < n; ++p) l += scale[0] * s(p);
    return l;
  };
  loss();
  const std::vector<double> a = to_vector(adj);
  for (int i = 0; i < C * n; ++i) {
    const double h = 1e-6, v = oh(i);
    oh(i) = v + h;
    Kokkos::deep_copy(out, oh);
    const double lp = loss();
    oh(i) = v - h;
    Kokkos::deep_copy(out, oh);
    const double lm = loss();
    oh(i) = v;
    Kokkos::deep_copy(out, oh);
    EXPECT_NEAR(a[i], (lp - lm) / (2 * h), 1e-7 * (1 + std::abs(a[i]))) << "entry " << i;
  }
}
}  // namespace

