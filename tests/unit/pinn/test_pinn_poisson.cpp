// SPDX-License-Identifier: BSD-3-Clause
// Poisson on the general PINN, one rank: the parameter gradient (jets + dual-number residual adjoint +
// reverse pass) against finite differences of the loss, hard and soft BCs in 1D-3D; chunk size and
// float vs double; exact boundary values of the hard-BC trial function; and a short training run that
// must solve a 1D problem.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "npde/core/rng.hpp"
#include "npde/decomp/communicator.hpp"
#include "npde/pde/problem.hpp"
#include "npde/pde/sampler.hpp"
#include "npde/pinn/catalogue.hpp"
#include "npde/pinn/pinn.hpp"
#include "npde/pinn/trainer.hpp"
#include "npde/pinn/trial.hpp"

namespace {

using npde::View1;
using npde::decomp::Communicator;
using npde::pde::Problem;
using npde::pinn::PinnOptions;

using npde::pinn::Pinn;

// -Lap u = f with u = prod sin(pi x_k) + 0.5 prod x_k (harmonic part, so g is not zero on the boundary).
Problem make_problem(int dim, bool hard = true) {
  Problem p;
  p.equation = "poisson";
  p.n_space = dim;
  p.box.dim = dim;
  const double lo[3] = {-1.0, 0.0, 0.0}, hi[3] = {1.0, 1.0, 2.0};
  for (int a = 0; a < 3; ++a) {
    p.box.lower[a] = lo[a];
    p.box.upper[a] = hi[a];
  }
  static const char* sines[3] = {"sin(pi*x)", "sin(pi*x)*sin(pi*y)", "sin(pi*x)*sin(pi*y)*sin(pi*z)"};
  static const char* products[3] = {"x", "x*y", "x*y*z"};
  const auto vars = p.input_names();
  const std::string exact = std::string(sines[dim - 1]) + " + 0.5*" + products[dim - 1];
  p.data.emplace_back(std::to_string(dim) + "*pi^2*" + sines[dim - 1], vars, "test.source");
  p.exact.emplace_back(npde::Expression(exact, vars, "test.exact"));
  npde::pde::Condition c;
  c.kind = npde::pde::ConditionKind::Dirichlet;
  for (int f = 0; f < 2 * dim; ++f) c.faces.push_back(f);
  c.value = npde::Expression(exact, vars, "test.boundary");
  p.conditions.push_back(std::move(c));
  p.hard = hard;
  return p;
}

template <class T>
std::unique_ptr<npde::pinn::ResidualKernel<T>> kernel(int dim) {
  return npde::pinn::make_catalogue_kernel<T>("poisson", dim);
}

PinnOptions small_options(bool hard_bc) {
  PinnOptions o;
  o.hidden = {16, 16};
  o.hard_bc = hard_bc;
  o.weight_pde = 1.3;  // non-unit weights: each must scale its own term and gradient
  o.weight_bc = 2.5;
  o.n_interior = 150;
  o.n_boundary = 70;
  o.chunk = 64;  // several chunks per set, the last one partial
  o.seed = 7;
  o.n_validation = 200;
  return o;
}

template <class T>
std::vector<double> to_host(const View1<T>& v) {
  auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), v);
  return std::vector<double>(h.data(), h.data() + h.extent(0));
}

// Loss with parameter i set to `value` (through a host mirror of the flat parameter View).
double loss_with_param(Pinn<double>& pinn, std::size_t i, double value, const View1<double>& scratch) {
  const View1<double> params = pinn.params();
  auto host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), params);
  host(i) = value;
  Kokkos::deep_copy(params, host);
  return pinn.loss_and_gradient(scratch);
}

void check_gradient(int dim, bool hard_bc) {
  SCOPED_TRACE(::testing::Message() << dim << "D, " << (hard_bc ? "hard" : "soft") << " BC");
  Pinn<double> pinn(Communicator::self(), make_problem(dim, hard_bc), kernel<double>(dim),
                           small_options(hard_bc));
  const std::size_t np = pinn.n_params();
  View1<double> grad("grad", np), scratch("scratch", np);
  const double loss = pinn.loss_and_gradient(grad);
  // hard: the residual alone; soft: the residual and the boundary term
  const std::vector<std::string> expected_terms =
      hard_bc ? std::vector<std::string>{"pde"} : std::vector<std::string>{"pde", "bc"};
  ASSERT_EQ(pinn.term_names(), expected_terms);
  const auto& terms = pinn.last_terms();
  for (double t : terms) EXPECT_GT(t, 0.0);
  EXPECT_DOUBLE_EQ(loss, terms[0] + (hard_bc ? 0.0 : terms[1]));

  const auto g = to_host(grad);
  double g_inf = 0;
  for (double v : g) g_inf = std::max(g_inf, std::abs(v));
  ASSERT_GT(g_inf, 0.0);

  // Central differences, h = 1e-6: truncation h^2 L''' ~ 1e-12 L''', rounding eps L / h ~ 1e-10 L.
  const double h = 1e-6;
  const double tol = 1e-6 * std::max(1.0, g_inf);
  const auto p0 = to_host(pinn.params());
  double worst = 0;
  for (int s = 0; s < 30; ++s) {
    // The last index is the output bias; the rest are drawn over all layers.
    const std::size_t i = s == 0 ? np - 1 : std::size_t(npde::rng::uniform(99, dim, s) * double(np)) % np;
    const double lp = loss_with_param(pinn, i, p0[i] + h, scratch);
    const double lm = loss_with_param(pinn, i, p0[i] - h, scratch);
    loss_with_param(pinn, i, p0[i], scratch);
    const double fd = (lp - lm) / (2 * h);
    worst = std::max(worst, std::abs(g[i] - fd) / std::max(1.0, g_inf));
    EXPECT_NEAR(g[i], fd, tol) << "parameter " << i << " of " << np;
  }
  std::printf("[ gradient ] %dD %s BC: |grad|_inf %.3e, worst |ad - fd| / max(1, |grad|_inf) %.2e\n", dim,
              hard_bc ? "hard" : "soft", g_inf, worst);
}

TEST(PinnPoisson, GradientMatchesFiniteDifferencesHardBc) {
  for (int dim = 1; dim <= 3; ++dim) check_gradient(dim, true);
}

TEST(PinnPoisson, GradientMatchesFiniteDifferencesSoftBc) {
  for (int dim = 1; dim <= 3; ++dim) check_gradient(dim, false);
}

TEST(PinnPoisson, ChunkSizeDoesNotChangeLossOrGradient) {
  for (bool hard : {true, false}) {
    PinnOptions a = small_options(hard), b = a;
    b.chunk = 2048;  // one chunk holds every point
    Pinn<double> pa(Communicator::self(), make_problem(2, hard), kernel<double>(2), a),
        pb(Communicator::self(), make_problem(2, hard), kernel<double>(2), b);
    View1<double> ga("ga", pa.n_params()), gb("gb", pb.n_params());
    const double la = pa.loss_and_gradient(ga), lb = pb.loss_and_gradient(gb);
    EXPECT_NEAR(la, lb, 1e-12 * la) << (hard ? "hard" : "soft");
    const auto ha = to_host(ga), hb = to_host(gb);
    for (std::size_t i = 0; i < ha.size(); ++i) EXPECT_NEAR(ha[i], hb[i], 1e-10 * std::max(1.0, std::abs(hb[i])));
  }
}

TEST(PinnPoisson, FloatLossMatchesDouble) {
  for (bool hard : {true, false}) {
    for (int dim = 1; dim <= 3; ++dim) {
      const auto opts = small_options(hard);
      Pinn<double> pd(Communicator::self(), make_problem(dim, hard), kernel<double>(dim), opts);
      Pinn<float> pf(Communicator::self(), make_problem(dim, hard), kernel<float>(dim), opts);
      View1<double> gd("gd", pd.n_params());
      View1<float> gf("gf", pf.n_params());
      const double ld = pd.loss_and_gradient(gd);
      const double lf = pf.loss_and_gradient(gf);
      EXPECT_NEAR(lf, ld, 1e-4 * ld) << dim << "D " << (hard ? "hard" : "soft");
      // Gradient: single precision through second-derivative jets; max-norm relative bound.
      const auto hd = to_host(gd), hf = to_host(gf);
      double g_inf = 0, diff = 0;
      for (std::size_t i = 0; i < hd.size(); ++i) {
        g_inf = std::max(g_inf, std::abs(hd[i]));
        diff = std::max(diff, std::abs(hd[i] - hf[i]));
      }
      EXPECT_LT(diff, 1e-4 * g_inf) << dim << "D " << (hard ? "hard" : "soft");
      std::printf("[ float    ] %dD %s BC: loss rel diff %.2e, grad max diff / |grad|_inf %.2e\n", dim,
                  hard ? "hard" : "soft", std::abs(lf - ld) / ld, diff / g_inf);
    }
  }
}

TEST(PinnPoisson, HardBcPredictionIsTheLiftOnTheBoundary) {
  for (int dim = 1; dim <= 3; ++dim) {
    const Problem problem = make_problem(dim);
    Pinn<double> hard(Communicator::self(), problem, kernel<double>(dim), small_options(true));
    // same seed: the same network N
    Pinn<double> soft(Communicator::self(), make_problem(dim, false), kernel<double>(dim), small_options(false));
    const auto& g = problem.conditions.front().value;
    std::vector<int> faces;
    for (int f = 0; f < 2 * dim; ++f) faces.push_back(f);
    const auto xb = npde::pde::sample_boundary(problem.box, faces, npde::pde::SamplerKind::Sobol, 40, 3, 0);
    const auto ub = hard.predict(xb);
    for (std::size_t p = 0; p < ub.size(); ++p)
      EXPECT_NEAR(ub[p], g.eval(xb.data() + p * dim), 1e-14) << "point " << p;

    // Inside: u = G + D N, with N the raw network output (the soft-BC model of the same seed).
    const auto xi = npde::pde::sample_interior(problem.box, npde::pde::SamplerKind::Uniform, 40, 3, 0);
    const auto ui = hard.predict(xi), ni = soft.predict(xi);
    const npde::pinn::TrialFunction trial(problem, 0);
    double max_correction = 0;
    for (std::size_t p = 0; p < ui.size(); ++p) {
      const double* x = xi.data() + p * dim;
      const double expected = trial.value(x, ni[p]);
      EXPECT_NEAR(ui[p], expected, 1e-14 * std::max(1.0, std::abs(expected)));
      max_correction = std::max(max_correction, std::abs(ui[p] - trial.value(x, 0.0)));
    }
    EXPECT_GT(max_correction, 1e-6) << "the network part is missing inside the domain";
  }
}

TEST(PinnPoisson, ValidationErrorIsNanWithoutExactSolution) {
  Problem p = make_problem(1);
  p.exact[0].reset();
  Pinn<double> pinn(Communicator::self(), p, kernel<double>(1), small_options(true));
  EXPECT_TRUE(std::isnan(pinn.validation_error()));
}

TEST(PinnPoisson, ShortTrainingSolves1dPoisson) {
  // -u'' = pi^2 sin(pi x) on [-1, 1], u(+-1) = 0, exact u = sin(pi x).
  Problem p;
  p.equation = "poisson";
  p.box.dim = 1;
  p.box.lower[0] = -1.0;
  p.box.upper[0] = 1.0;
  p.data.emplace_back("pi^2*sin(pi*x)", p.input_names(), "test.source");
  p.exact.emplace_back(npde::Expression("sin(pi*x)", p.input_names(), "test.exact"));
  npde::pde::Condition c;
  c.kind = npde::pde::ConditionKind::Dirichlet;
  c.faces = {0, 1};
  c.value = npde::Expression("0", p.input_names(), "test.boundary");
  p.conditions.push_back(std::move(c));
  PinnOptions o;
  o.hidden = {16, 16};
  o.n_interior = 128;
  o.seed = 1;
  o.n_validation = 512;
  Pinn<double> pinn(Communicator::self(), p, kernel<double>(1), o);
  const double err0 = pinn.validation_error();

  npde::pinn::TrainConfig cfg;
  cfg.quiet = true;
  cfg.log_every = 100;
  npde::pinn::StageConfig adam, lbfgs;
  adam.optimizer = "adam";
  adam.iterations = 300;
  adam.adam.lr = 1e-2;
  lbfgs.optimizer = "lbfgs";
  lbfgs.iterations = 200;
  cfg.stages = {adam, lbfgs};
  const auto result = npde::pinn::train(pinn, cfg);
  const double err = pinn.validation_error();
  std::printf("[ training ] 1D Poisson: rel L2 %.3e -> %.3e, loss %.3e -> %.3e in %ld iterations, %.2f s\n", err0,
              err, result.history.front().loss, result.final_loss, result.iterations, result.seconds);
  EXPECT_LT(err, 1e-2);
  EXPECT_LT(result.final_loss, 1e-3 * result.history.front().loss);
  ASSERT_FALSE(result.history.empty());
  EXPECT_EQ(result.history.back().iteration, result.iterations);
  EXPECT_DOUBLE_EQ(result.history.back().rel_l2, err);  // logged at the end of the last stage
}

}  // namespace
