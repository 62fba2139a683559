// SPDX-License-Identifier: BSD-3-Clause
// Adam: bias-corrected first step, hand-computed sequence, schedules, convergence, determinism.
#include <npde/core/error.hpp>
#include <npde/optim/adam.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

namespace {

using npde::HostView1;
using npde::View1;
using npde::optim::Adam;
using npde::optim::AdamOptions;

template <class T>
View1<T> to_device(const std::vector<double>& v) {
  View1<T> d("x", v.size());
  auto h = Kokkos::create_mirror_view(d);
  for (std::size_t i = 0; i < v.size(); ++i) h(i) = static_cast<T>(v[i]);
  Kokkos::deep_copy(d, h);
  return d;
}

template <class T>
std::vector<T> to_host(const View1<T>& d) {
  auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), d);
  return std::vector<T>(h.data(), h.data() + h.extent(0));
}

// Gradient of f(x) = 0.5 * sum_i a_i (x_i - c_i)^2, computed on the host.
template <class T>
void quadratic_gradient(const View1<T>& x, const View1<T>& g, const std::vector<double>& a,
                        const std::vector<double>& c) {
  auto xh = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), x);
  auto gh = Kokkos::create_mirror_view(g);
  for (std::size_t i = 0; i < a.size(); ++i) gh(i) = static_cast<T>(a[i] * (xh(i) - c[i]));
  Kokkos::deep_copy(g, gh);
}

// With zero moments, m_hat = g and v_hat = g^2, so the first update is lr * g / (|g| + eps).
template <class T>
void check_first_step_is_sign() {
  const std::vector<double> g0{0.5, -3.0, 100.0, -1e-3};
  AdamOptions opts;
  opts.lr = 1e-3;
  Adam<T> adam(g0.size(), opts);
  auto p = to_device<T>(std::vector<double>(g0.size(), 1.0));
  auto g = to_device<T>(g0);
  adam.step(p, g);
  const auto ph = to_host(p);
  for (std::size_t i = 0; i < g0.size(); ++i) {
    // Deviation from lr*sign(g) is lr*eps/|g|, plus rounding of 1 - lr in T.
    const double tol = 2 * opts.lr * opts.eps / std::abs(g0[i]) + 4 * std::numeric_limits<T>::epsilon();
    EXPECT_NEAR(ph[i], 1.0 - opts.lr * (g0[i] > 0 ? 1 : -1), tol) << "i = " << i;
  }
  EXPECT_EQ(adam.iteration(), 1);
}

// Five steps on f = 0.5 * a (x - c)^2 against the textbook formulas evaluated in long double.
template <class T>
void check_hand_computed_sequence(double rel_tol) {
  const double a = 3.0, c = 0.25;
  AdamOptions opts;
  opts.lr = 0.1;
  opts.beta1 = 0.8;
  opts.beta2 = 0.9;
  opts.eps = 1e-6;
  Adam<T> adam(1, opts);
  auto x = to_device<T>({2.0});
  View1<T> g("g", 1);
  long double xr = 2.0L, m = 0, v = 0;
  for (int t = 1; t <= 5; ++t) {
    quadratic_gradient<T>(x, g, {a}, {c});
    adam.step(x, g);
    const long double gr = a * (xr - c);
    m = opts.beta1 * m + (1 - opts.beta1) * gr;
    v = opts.beta2 * v + (1 - opts.beta2) * gr * gr;
    const long double m_hat = m / (1 - std::pow((long double)opts.beta1, t));
    const long double v_hat = v / (1 - std::pow((long double)opts.beta2, t));
    xr -= opts.lr * m_hat / (std::sqrt(v_hat) + opts.eps);
    const double xd = to_host(x)[0];
    EXPECT_NEAR(xd, static_cast<double>(xr), rel_tol * std::abs(static_cast<double>(xr))) << "step " << t;
  }
  const double m_dev = to_host(adam.first_moment())[0];
  EXPECT_NEAR(m_dev, static_cast<double>(m), 1e3 * rel_tol * std::abs(static_cast<double>(m)));
}

// Quadratic with eigenvalues 1 .. 1e3 in a rotated basis (so coordinates are coupled).
template <class T>
double minimise_ill_conditioned(int steps) {
  constexpr int n = 6;
  std::vector<double> q(n * n), lambda(n);
  for (int i = 0; i < n; ++i) lambda[i] = std::pow(1e3, double(i) / (n - 1));
  // Householder reflection I - 2 v v^T / v^T v with v = (1, 2, ..., n): orthogonal and dense.
  double vv = 0;
  for (int i = 0; i < n; ++i) vv += double(i + 1) * (i + 1);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) q[i + n * j] = (i == j) - 2.0 * (i + 1) * (j + 1) / vv;
  std::vector<double> a(n * n, 0.0);  // A = Q diag(lambda) Q^T
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j)
      for (int k = 0; k < n; ++k) a[i + n * j] += q[i + n * k] * lambda[k] * q[j + n * k];
  const std::vector<double> x_star{1, -2, 0.5, 3, -1, 2};
  AdamOptions opts;
  opts.lr = 0.05;
  Adam<T> adam(n, opts);
  auto x = to_device<T>(std::vector<double>(n, 0.0));
  View1<T> g("g", n);
  for (int s = 0; s < steps; ++s) {
    auto xh = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), x);
    auto gh = Kokkos::create_mirror_view(g);
    for (int i = 0; i < n; ++i) {
      double gi = 0;
      for (int j = 0; j < n; ++j) gi += a[i + n * j] * (xh(j) - x_star[j]);
      gh(i) = static_cast<T>(gi);
    }
    Kokkos::deep_copy(g, gh);
    adam.step(x, g);
  }
  const auto xr = to_host(x);
  double err = 0;
  for (int i = 0; i < n; ++i) err = std::max(err, std::abs(double(xr[i]) - x_star[i]));
  return err;
}

// Runs Adam twice from the same state, and once restarted from a copied checkpoint mid-way.
template <class T>
void check_determinism_and_restart() {
  const std::vector<double> a{1, 10, 100}, c{0.3, -0.7, 1.1};
  AdamOptions opts;
  opts.lr = 0.02;
  opts.decay = "step";
  opts.decay_rate = 0.5;
  opts.decay_steps = 7;
  const auto run = [&](Adam<T>& adam, const View1<T>& x, int steps) {
    View1<T> g("g", a.size());
    for (int s = 0; s < steps; ++s) {
      quadratic_gradient<T>(x, g, a, c);
      adam.step(x, g);
    }
  };
  Adam<T> first(a.size(), opts), second(a.size(), opts);
  auto x1 = to_device<T>({0, 0, 0});
  auto x2 = to_device<T>({0, 0, 0});
  run(first, x1, 20);
  run(second, x2, 10);
  // Restart: a fresh optimiser receives the moments and the counter, as a checkpoint would.
  Adam<T> restarted(a.size(), opts);
  Kokkos::deep_copy(restarted.first_moment(), second.first_moment());
  Kokkos::deep_copy(restarted.second_moment(), second.second_moment());
  restarted.set_iteration(second.iteration());
  run(restarted, x2, 10);
  const auto h1 = to_host(x1), h2 = to_host(x2);
  EXPECT_EQ(0, std::memcmp(h1.data(), h2.data(), h1.size() * sizeof(T)));
  EXPECT_EQ(first.iteration(), restarted.iteration());
  EXPECT_DOUBLE_EQ(first.learning_rate(), restarted.learning_rate());
}

template <class T>
class AdamTyped : public ::testing::Test {};
using Scalars = ::testing::Types<double, float>;
TYPED_TEST_SUITE(AdamTyped, Scalars);

TYPED_TEST(AdamTyped, FirstStepIsLrTimesSign) { check_first_step_is_sign<TypeParam>(); }
TYPED_TEST(AdamTyped, MatchesHandComputedSequence) {
  check_hand_computed_sequence<TypeParam>(std::is_same_v<TypeParam, double> ? 1e-13 : 1e-5);
}
TYPED_TEST(AdamTyped, DeterministicAndRestartable) { check_determinism_and_restart<TypeParam>(); }

TEST(Adam, MinimisesIllConditionedQuadratic) {
  // Condition number 1e3. With exact gradients the bias-corrected update shrinks with m, so a
  // constant lr still converges to rounding level; float stops near its own resolution.
  EXPECT_LT(minimise_ill_conditioned<double>(3000), 1e-9);
  EXPECT_LT(minimise_ill_conditioned<float>(3000), 1e-4);
}

TEST(AdamSchedule, NoneIsConstant) {
  AdamOptions o;
  o.lr = 0.01;
  EXPECT_EQ(npde::optim::scheduled_lr(o, 0), 0.01);
  EXPECT_EQ(npde::optim::scheduled_lr(o, 123456), 0.01);
}

TEST(AdamSchedule, ExponentialUsesRealExponent) {
  AdamOptions o;
  o.lr = 0.01;
  o.decay = "exponential";
  o.decay_rate = 0.25;
  o.decay_steps = 100;
  EXPECT_DOUBLE_EQ(npde::optim::scheduled_lr(o, 0), 0.01);
  EXPECT_DOUBLE_EQ(npde::optim::scheduled_lr(o, 50), 0.01 * 0.5);  // half a period: sqrt(rate)
  EXPECT_DOUBLE_EQ(npde::optim::scheduled_lr(o, 100), 0.01 * 0.25);
  EXPECT_DOUBLE_EQ(npde::optim::scheduled_lr(o, 300), 0.01 * std::pow(0.25, 3));
  // Strictly decreasing between period boundaries.
  EXPECT_LT(npde::optim::scheduled_lr(o, 101), npde::optim::scheduled_lr(o, 100));
}

TEST(AdamSchedule, StepIsPiecewiseConstant) {
  AdamOptions o;
  o.lr = 1.0;
  o.decay = "step";
  o.decay_rate = 0.5;
  o.decay_steps = 10;
  EXPECT_EQ(npde::optim::scheduled_lr(o, 9), 1.0);
  EXPECT_EQ(npde::optim::scheduled_lr(o, 10), 0.5);
  EXPECT_EQ(npde::optim::scheduled_lr(o, 19), 0.5);
  EXPECT_EQ(npde::optim::scheduled_lr(o, 25), 0.25);
}

TEST(AdamSchedule, OptimiserFollowsScheduleAndScale) {
  AdamOptions o;
  o.lr = 1.0;
  o.decay = "step";
  o.decay_rate = 0.5;
  o.decay_steps = 2;
  Adam<double> adam(3, o);
  View1<double> p("p", 3), g("g", 3);
  Kokkos::deep_copy(g, 1.0);
  for (long k = 0; k < 5; ++k) {
    EXPECT_EQ(adam.learning_rate(), npde::optim::scheduled_lr(o, k));
    adam.step(p, g);
  }
  adam.set_iteration(40);
  adam.set_lr_scale(0.5);
  EXPECT_EQ(adam.learning_rate(), 0.5 * npde::optim::scheduled_lr(o, 40));
  EXPECT_THROW(adam.set_lr_scale(0.0), npde::Error);
}

TEST(AdamOptions, RejectsBadInput) {
  AdamOptions o;
  o.decay = "cosine";
  EXPECT_THROW(Adam<double>(4, o), npde::InputError);
  EXPECT_THROW(npde::optim::scheduled_lr(o, 0), npde::InputError);
  o = AdamOptions{};
  o.decay_steps = 0;
  EXPECT_THROW(npde::optim::validate(o), npde::InputError);
  o = AdamOptions{};
  o.beta2 = 1.0;
  EXPECT_THROW(npde::optim::validate(o), npde::InputError);
  EXPECT_NO_THROW(npde::optim::validate(AdamOptions{}));
}

}  // namespace

namespace {

// A mask keeps what it leaves out (parameters and moments), and each parameter counts its own steps: one
// frozen for the first steps starts like a fresh Adam when freed (its first update lr * sign(g)), while
// the others go on as an unmasked Adam would. The counts travel with the state.
TEST(Adam, MaskedStepsCountPerParameter) {
  AdamOptions opts;
  opts.lr = 1e-2;
  const std::size_t n = 4;
  Adam<double> masked(n, opts), plain(n, opts);
  auto p = to_device<double>({1.0, 2.0, 3.0, 4.0});
  auto q = to_device<double>({1.0, 2.0, 3.0, 4.0});
  const std::vector<double> a{1, 2, 3, 4}, c{0, 0, 0, 0};
  View1<double> g("g", n), h("h", n);
  Kokkos::View<std::uint8_t*, Kokkos::LayoutLeft, npde::MemSpace> mask("mask", n);
  auto mh = Kokkos::create_mirror_view(mask);
  mh(0) = 1, mh(1) = 1, mh(2) = 0, mh(3) = 0;
  Kokkos::deep_copy(mask, mh);
  for (int k = 0; k < 5; ++k) {
    quadratic_gradient(p, g, a, c);
    masked.step(p, g, mask);
    quadratic_gradient(q, h, a, c);
    plain.step(q, h);
  }
  auto ph = to_host(p), qh = to_host(q);
  EXPECT_EQ(ph[0], qh[0]);  // the same arithmetic as the plain step
  EXPECT_EQ(ph[1], qh[1]);
  EXPECT_EQ(ph[2], 3.0);  // frozen, moments untouched
  EXPECT_EQ(ph[3], 4.0);
  EXPECT_EQ(to_host(masked.first_moment())[2], 0.0);
  EXPECT_EQ(masked.iteration(), 5);
  const auto s = masked.state();
  ASSERT_EQ(s.steps.size(), n);
  // (compared element by element: GCC 12.2's SLP vectoriser with AVX-512 stored the literal
  // std::vector<double>{5, 5, 0, 0} here as four 5s; docs/developing.md)
  EXPECT_EQ(s.steps[0], 5.0);
  EXPECT_EQ(s.steps[1], 5.0);
  EXPECT_EQ(s.steps[2], 0.0);
  EXPECT_EQ(s.steps[3], 0.0);
  // freed: parameter 2 takes a fresh Adam's first step; a restored copy continues bit for bit
  Adam<double> restored(n, opts);
  restored.set_state(s);
  auto r = to_device<double>(to_host(p));
  mh(2) = 1;
  Kokkos::deep_copy(mask, mh);
  quadratic_gradient(p, g, a, c);
  masked.step(p, g, mask);
  restored.step(r, g, mask);
  ph = to_host(p);
  EXPECT_NEAR(ph[2], 3.0 - opts.lr, 1e-10);  // lr * sign(g), off by lr * eps / |g|
  EXPECT_EQ(ph[3], 4.0);
  EXPECT_EQ(to_host(r), ph);
  const auto steps6 = masked.state().steps;
  EXPECT_EQ(steps6[0], 6.0);
  EXPECT_EQ(steps6[1], 6.0);
  EXPECT_EQ(steps6[2], 1.0);
  EXPECT_EQ(steps6[3], 0.0);
  // a plain state (no counts) restores a plain optimiser; reset drops the counts
  masked.reset();
  EXPECT_TRUE(masked.state().steps.empty());
  EXPECT_THROW(restored.set_state([&] {
    auto bad = s;
    bad.steps.pop_back();
    return bad;
  }()), npde::Error);
}

}  // namespace
