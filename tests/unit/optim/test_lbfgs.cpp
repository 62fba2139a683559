// SPDX-License-Identifier: BSD-3-Clause
// L-BFGS: quadratic and Rosenbrock convergence, strong-Wolfe steps, failures, determinism, float.
#include <npde/core/error.hpp>
#include <npde/optim/lbfgs.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <vector>

namespace {

using npde::View1;
using npde::optim::Lbfgs;
using npde::optim::LbfgsOptions;
using npde::optim::LbfgsStep;
using npde::optim::Objective;

// Host function f(x, g) -> loss in double, wrapped as a device Objective<T>.
using HostFunction = std::function<double(const std::vector<double>& x, std::vector<double>& g)>;

template <class T>
Objective<T> wrap(const HostFunction& hf) {
  return [hf](const View1<T>& x, const View1<T>& grad) {
    auto xh = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), x);
    std::vector<double> xv(xh.data(), xh.data() + xh.extent(0)), gv(xv.size());
    const double f = hf(xv, gv);
    auto gh = Kokkos::create_mirror_view(grad);
    for (std::size_t i = 0; i < gv.size(); ++i) gh(i) = static_cast<T>(gv[i]);
    Kokkos::deep_copy(grad, gh);
    return static_cast<T>(f);
  };
}

template <class T>
View1<T> to_device(const std::vector<double>& v) {
  View1<T> d("x", v.size());
  auto h = Kokkos::create_mirror_view(d);
  for (std::size_t i = 0; i < v.size(); ++i) h(i) = static_cast<T>(v[i]);
  Kokkos::deep_copy(d, h);
  return d;
}

template <class T>
std::vector<double> to_host(const View1<T>& d) {
  auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), d);
  return std::vector<double>(h.data(), h.data() + h.extent(0));
}

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

// Extended Rosenbrock (Moré, Garbow, Hillstrom): independent 2D pairs, minimiser (1, ..., 1).
double rosenbrock(const std::vector<double>& x, std::vector<double>& g) {
  double f = 0;
  for (std::size_t i = 0; i + 1 < x.size(); i += 2) {
    const double a = x[i + 1] - x[i] * x[i], b = 1 - x[i];
    f += 100 * a * a + b * b;
    g[i] = -400 * x[i] * a - 2 * b;
    g[i + 1] = 200 * a;
  }
  return f;
}

std::vector<double> rosenbrock_start(int n) {
  std::vector<double> x(n);
  for (int i = 0; i < n; ++i) x[i] = i % 2 == 0 ? -1.2 : 1.0;
  return x;
}

// SPD quadratic 0.5 x'Ax - b'x, A = Q diag(lambda) Q^T with lambda in [1, cond] and Q a Householder
// reflection; the minimiser x* is chosen and b = A x*.
struct Quadratic {
  int n;
  std::vector<double> a, b, x_star;
  Quadratic(int n_, double cond) : n(n_), a(n_ * n_, 0.0), b(n_), x_star(n_) {
    double vv = 0;
    for (int i = 0; i < n; ++i) vv += std::pow(i + 1.0, 2);
    for (int k = 0; k < n; ++k) {
      const double lambda = std::pow(cond, double(k) / (n - 1));
      for (int i = 0; i < n; ++i)
        for (int j = 0; j < n; ++j) {
          const double qik = (i == k) - 2.0 * (i + 1) * (k + 1) / vv, qjk = (j == k) - 2.0 * (j + 1) * (k + 1) / vv;
          a[i + n * j] += qik * lambda * qjk;
        }
    }
    for (int i = 0; i < n; ++i) x_star[i] = std::sin(1.0 + i);
    for (int i = 0; i < n; ++i) b[i] = 0;
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j) b[i] += a[i + n * j] * x_star[j];
  }
  double operator()(const std::vector<double>& x, std::vector<double>& g) const {
    double f = 0;
    for (int i = 0; i < n; ++i) {
      double ax = 0;
      for (int j = 0; j < n; ++j) ax += a[i + n * j] * x[j];
      g[i] = ax - b[i];
      f += 0.5 * x[i] * ax - b[i] * x[i];
    }
    return f;
  }
};

struct RunResult {
  std::vector<double> x;
  int iterations = 0, evaluations = 0;
  bool converged = false;
  std::vector<std::vector<double>> trajectory;
};

// Iterates L-BFGS from x0. With check_wolfe, re-evaluates every accepted point independently and
// verifies the returned loss/gradient and both strong-Wolfe conditions on s = x_new - x_old.
template <class T>
RunResult run_lbfgs(const HostFunction& hf, const std::vector<double>& x0, const LbfgsOptions& opts,
                    int max_iterations, bool check_wolfe, const npde::optim::Segments& segments = {}) {
  const auto f = wrap<T>(hf);
  const std::size_t n = x0.size();
  auto x = to_device<T>(x0);
  View1<T> g("g", n);
  T loss = f(x, g);
  RunResult r;
  r.evaluations = 1;
  Lbfgs<T> opt(n, opts, segments);
  // Slack for comparing with re-evaluated values: rounding of s and of the sums.
  const double slack = 1e3 * std::numeric_limits<T>::epsilon();
  while (r.iterations < max_iterations) {
    const auto x_old = to_host(x), g_old = to_host(g);
    const double f_old = loss;
    const LbfgsStep st = opt.step(x, loss, g, f);
    r.evaluations += st.evaluations;
    EXPECT_LE(st.evaluations, 2 * opts.max_line_search);
    EXPECT_LE(opt.history_size(), opts.history);
    if (st.step_length > 0) {
      ++r.iterations;
      const auto x_new = to_host(x), g_new = to_host(g);
      r.trajectory.push_back(x_new);
      EXPECT_LE(st.loss, f_old);
      if (check_wolfe) {
        std::vector<double> g_ref(n);
        std::vector<double> x_cast(n);
        for (std::size_t i = 0; i < n; ++i) x_cast[i] = static_cast<T>(x_new[i]);
        const double f_ref = static_cast<T>(hf(x_cast, g_ref));
        EXPECT_EQ(f_ref, static_cast<double>(loss)) << "returned loss is not the loss at the returned x";
        for (std::size_t i = 0; i < n; ++i) EXPECT_EQ(static_cast<T>(g_ref[i]), static_cast<T>(g_new[i]));
        std::vector<double> s(n);
        for (std::size_t i = 0; i < n; ++i) s[i] = x_new[i] - x_old[i];
        const double dphi0 = dot(g_old, s), dphi1 = dot(g_new, s);
        EXPECT_TRUE(st.strong_wolfe) << "iteration " << r.iterations;
        EXPECT_LT(dphi0, 0.0) << "not a descent step";
        EXPECT_LE(f_ref, f_old + opts.c1 * dphi0 + slack * std::abs(f_old)) << "Armijo, iteration " << r.iterations;
        EXPECT_LE(std::abs(dphi1), -opts.c2 * dphi0 * (1 + slack) + slack * std::abs(dphi0))
            << "curvature, iteration " << r.iterations;
      }
    }
    if (st.converged) {
      r.converged = true;
      break;
    }
  }
  r.x = to_host(x);
  return r;
}

double max_error(const std::vector<double>& x, const std::vector<double>& ref) {
  double e = 0;
  for (std::size_t i = 0; i < x.size(); ++i) e = std::max(e, std::abs(x[i] - ref[i]));
  return e;
}

TEST(Lbfgs, SolvesStronglyConvexQuadraticInAboutNIterations) {
  // BFGS terminates in n steps on a quadratic only with (near-)exact line minimisation, hence the
  // small c2; the cubic zoom is exact on a quadratic. tolerance_change = 0 lets the gradient decide.
  constexpr int n = 12;
  const Quadratic q(n, 100.0);
  LbfgsOptions o;
  o.c2 = 0.1;
  o.tolerance_change = 0;
  o.tolerance_grad = 1e-11;
  const auto r = run_lbfgs<double>(q, std::vector<double>(n, 0.0), o, 200, true);
  EXPECT_TRUE(r.converged);
  EXPECT_LE(r.iterations, n + 3);
  EXPECT_LT(max_error(r.x, q.x_star), 1e-10);
}

TEST(Lbfgs, SolvesQuadraticWithDefaultOptions) {
  // Unit steps accepted by the loose default c2 = 0.9 give superlinear, not finite, convergence;
  // the loss then stops resolving progress near |x - x*| ~ sqrt(eps), which ends the run.
  constexpr int n = 12;
  const Quadratic q(n, 100.0);
  const auto r = run_lbfgs<double>(q, std::vector<double>(n, 0.0), LbfgsOptions{}, 200, true);
  EXPECT_TRUE(r.converged);
  EXPECT_LE(r.iterations, 4 * n);
  EXPECT_LT(max_error(r.x, q.x_star), 1e-7);
}

TEST(Lbfgs, SolvesRosenbrock2D) {
  const auto r = run_lbfgs<double>(rosenbrock, rosenbrock_start(2), LbfgsOptions{}, 200, true);
  EXPECT_TRUE(r.converged);
  EXPECT_LT(r.iterations, 200);
  EXPECT_LT(max_error(r.x, std::vector<double>(2, 1.0)), 1e-8);
}

TEST(Lbfgs, SolvesRosenbrock10D) {
  const auto r = run_lbfgs<double>(rosenbrock, rosenbrock_start(10), LbfgsOptions{}, 200, true);
  EXPECT_TRUE(r.converged);
  EXPECT_LT(r.iterations, 200);
  EXPECT_LT(max_error(r.x, std::vector<double>(10, 1.0)), 1e-8);
}

TEST(Lbfgs, LargeDiagonalQuadraticExercisesBlockedReductions) {
  // n is not a multiple of the reduction block count, so a dropped or doubled tail element in the
  // dot products would break the two-loop recursion and the convergence checked here.
  constexpr int n = 5003;
  const HostFunction diag = [](const std::vector<double>& x, std::vector<double>& g) {
    double f = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double lambda = 1.0 + 9.0 * double(i % 97) / 96.0, e = x[i] - std::cos(double(i));
      g[i] = lambda * e;
      f += 0.5 * lambda * e * e;
    }
    return f;
  };
  LbfgsOptions o;
  o.tolerance_grad = 1e-9;
  const auto r = run_lbfgs<double>(diag, std::vector<double>(n, 0.0), o, 200, false);
  EXPECT_TRUE(r.converged);
  std::vector<double> x_star(n);
  for (int i = 0; i < n; ++i) x_star[i] = std::cos(double(i));
  EXPECT_LT(max_error(r.x, x_star), 1e-8);
}

TEST(Lbfgs, ShortHistoryStillConverges) {
  LbfgsOptions o;
  o.history = 3;
  const auto r = run_lbfgs<double>(rosenbrock, rosenbrock_start(10), o, 400, true);
  EXPECT_LT(max_error(r.x, std::vector<double>(10, 1.0)), 1e-8);
}

TEST(Lbfgs, FloatInstantiation) {
  // float resolves the Rosenbrock valley only to about sqrt(eps_float) in x.
  LbfgsOptions o;
  o.tolerance_grad = 1e-5;
  const auto r = run_lbfgs<float>(rosenbrock, rosenbrock_start(2), o, 200, false);
  EXPECT_TRUE(r.converged);
  EXPECT_LT(max_error(r.x, std::vector<double>(2, 1.0)), 2e-3);
  const Quadratic q(8, 10.0);
  const auto rq = run_lbfgs<float>(q, std::vector<double>(8, 0.0), o, 100, false);
  EXPECT_LT(max_error(rq.x, q.x_star), 1e-3);
}

TEST(Lbfgs, BitIdenticalRuns) {
  const auto a = run_lbfgs<double>(rosenbrock, rosenbrock_start(10), LbfgsOptions{}, 60, false);
  const auto b = run_lbfgs<double>(rosenbrock, rosenbrock_start(10), LbfgsOptions{}, 60, false);
  ASSERT_EQ(a.trajectory.size(), b.trajectory.size());
  EXPECT_EQ(a.evaluations, b.evaluations);
  for (std::size_t k = 0; k < a.trajectory.size(); ++k)
    EXPECT_EQ(0, std::memcmp(a.trajectory[k].data(), b.trajectory[k].data(), a.x.size() * sizeof(double)))
        << "iteration " << k;
}

// A vector in segments (as spread over ranks; here all on one rank, the allreduce a counter): the
// two-loop recursion runs on the pairs' dot products, brought up to date by one batched reduction per
// direction. The iterates follow the plain recursion's to rounding, convergence and strong-Wolfe steps
// are kept, and an iteration takes at most 4 collectives besides one per line-search evaluation
// (the plain recursion with segments took 2 per stored pair, 2m + 6 in all).
npde::optim::Segments three_segments(long* calls) {
  npde::optim::Segments seg;
  seg.offsets = {0, 3, 7, 10};
  seg.ids = {0, 1, 2};
  seg.total = 3;
  seg.allreduce_sum = [calls](double*, std::size_t) { ++*calls; };
  return seg;
}

TEST(Lbfgs, SpreadVectorBatchesItsReductions) {
  long calls = 0;
  const auto plain = run_lbfgs<double>(rosenbrock, rosenbrock_start(10), LbfgsOptions{}, 200, true);
  const auto spread = run_lbfgs<double>(rosenbrock, rosenbrock_start(10), LbfgsOptions{}, 200, true,
                                        three_segments(&calls));
  EXPECT_TRUE(spread.converged);
  EXPECT_LT(max_error(spread.x, std::vector<double>(10, 1.0)), 1e-8);
  for (std::size_t k = 0; k < 10; ++k) EXPECT_LT(max_error(spread.trajectory[k], plain.trajectory[k]), 1e-10) << k;
  EXPECT_LE(calls, 4L * (spread.iterations + 1) + spread.evaluations);
  EXPECT_GT(spread.iterations, 10);
  // a history shorter than the run: the ring buffer's columns are overwritten and recomputed
  LbfgsOptions o;
  o.history = 3;
  const auto short_history = run_lbfgs<double>(rosenbrock, rosenbrock_start(10), o, 400, true, three_segments(&calls));
  EXPECT_LT(max_error(short_history.x, std::vector<double>(10, 1.0)), 1e-8);
}

// The batched recursion's dot products are recomputed from a restored state: the continued run has
// the same bits as the uninterrupted one.
TEST(Lbfgs, SpreadVectorStateRoundTripIsBitIdentical) {
  long calls = 0;
  const auto f = wrap<double>(rosenbrock);
  LbfgsOptions o;
  o.history = 5;
  // restore: into a fresh optimiser (a restart), or into the same one after it went on (a roll-back)
  auto run = [&](int first, int second, int restore) {
    auto x = to_device<double>(rosenbrock_start(10));
    View1<double> g("g", 10);
    double loss = f(x, g);
    Lbfgs<double> a(10, o, three_segments(&calls));
    for (int k = 0; k < first; ++k) a.step(x, loss, g, f);
    const auto saved = a.state();
    const auto x_saved = to_host(x), g_saved = to_host(g);
    const double loss_saved = loss;
    Lbfgs<double> b(10, o, three_segments(&calls));
    if (restore == 1) b.set_state(saved);
    if (restore == 2) {
      for (int k = 0; k < 4; ++k) a.step(x, loss, g, f);
      a.set_state(saved);
      Kokkos::deep_copy(x, to_device<double>(x_saved));
      Kokkos::deep_copy(g, to_device<double>(g_saved));
      loss = loss_saved;
    }
    Lbfgs<double>& c = restore == 1 ? b : a;
    for (int k = 0; k < second; ++k) c.step(x, loss, g, f);
    return to_host(x);
  };
  const auto straight = run(12, 9, 0);
  for (int restore : {1, 2}) {
    const auto restored = run(12, 9, restore);
    EXPECT_EQ(0, std::memcmp(straight.data(), restored.data(), 10 * sizeof(double))) << "restore " << restore;
  }
}

TEST(Lbfgs, StopsAtStationaryPointWithoutEvaluating) {
  const auto f = wrap<double>(rosenbrock);
  auto x = to_device<double>({1.0, 1.0});
  View1<double> g("g", 2);
  double loss = f(x, g);
  Lbfgs<double> opt(2, LbfgsOptions{});
  const auto st = opt.step(x, loss, g, f);
  EXPECT_TRUE(st.converged);
  EXPECT_EQ(st.evaluations, 0);
  EXPECT_EQ(st.reason, "gradient below tolerance_grad");
}

TEST(Lbfgs, FailedLineSearchLeavesPointUnchanged) {
  // Loss is NaN away from the start point (a diverged network): no step can make progress.
  const std::vector<double> x0{0.3, -0.4, 0.5};
  const HostFunction nan_away = [x0](const std::vector<double>& x, std::vector<double>& g) {
    for (std::size_t i = 0; i < x.size(); ++i) g[i] = 1.0 + i;
    return x == x0 ? 1.0 : std::numeric_limits<double>::quiet_NaN();
  };
  const auto f = wrap<double>(nan_away);
  auto x = to_device<double>(x0);
  View1<double> g("g", 3);
  double loss = f(x, g);
  LbfgsOptions o;
  o.max_line_search = 10;
  Lbfgs<double> opt(3, o);
  const auto st = opt.step(x, loss, g, f);
  EXPECT_TRUE(st.converged);
  EXPECT_EQ(st.reason, "line search made no progress");
  EXPECT_EQ(st.evaluations, o.max_line_search);
  EXPECT_EQ(st.step_length, 0.0);
  EXPECT_EQ(loss, 1.0);
  EXPECT_EQ(to_host(x), x0);
  EXPECT_EQ(to_host(g), (std::vector<double>{1.0, 2.0, 3.0}));
}

TEST(Lbfgs, FailedSearchWithHistoryRetriesFromSteepestDescent) {
  // Build a history on Rosenbrock, then make every move non-finite: both the quasi-Newton search
  // and the steepest-descent retry fail, the history is gone and the point is untouched.
  const auto f = wrap<double>(rosenbrock);
  auto x = to_device<double>(rosenbrock_start(2));
  View1<double> g("g", 2);
  double loss = f(x, g);
  LbfgsOptions o;
  o.max_line_search = 8;
  Lbfgs<double> opt(2, o);
  for (int k = 0; k < 3; ++k) opt.step(x, loss, g, f);
  ASSERT_GT(opt.history_size(), 0);
  const auto x_before = to_host(x), g_before = to_host(g);
  const double loss_before = loss;
  const HostFunction nan_away = [x_before](const std::vector<double>& xv, std::vector<double>& gv) {
    return xv == x_before ? rosenbrock(xv, gv) : std::numeric_limits<double>::quiet_NaN();
  };
  const auto st = opt.step(x, loss, g, wrap<double>(nan_away));
  EXPECT_TRUE(st.converged);
  EXPECT_EQ(st.evaluations, 2 * o.max_line_search);
  EXPECT_EQ(opt.history_size(), 0);
  EXPECT_EQ(to_host(x), x_before);
  EXPECT_EQ(to_host(g), g_before);
  EXPECT_EQ(loss, loss_before);
}

TEST(Lbfgs, BacksOffFromNonFiniteRegion) {
  // Quadratic that is NaN outside |x|_inf < 1.5: the first trial steps overshoot into it.
  const Quadratic q(4, 10.0);
  const HostFunction guarded = [&q](const std::vector<double>& x, std::vector<double>& g) {
    for (double v : x)
      if (std::abs(v) >= 1.5) return std::numeric_limits<double>::quiet_NaN();
    return q(x, g);
  };
  LbfgsOptions o;
  o.lr = 50.0;  // deliberately far too long first steps
  const auto r = run_lbfgs<double>(guarded, std::vector<double>(4, 0.0), o, 100, false);
  EXPECT_LT(max_error(r.x, q.x_star), 1e-7);  // about sqrt(eps) cond: where the loss stops resolving
}

TEST(LbfgsOptions, RejectsBadInput) {
  LbfgsOptions o;
  o.history = 0;
  EXPECT_THROW(Lbfgs<double>(3, o), npde::InputError);
  o = LbfgsOptions{};
  o.c1 = 0.95;
  EXPECT_THROW(npde::optim::validate(o), npde::InputError);
  o = LbfgsOptions{};
  o.max_line_search = 0;
  EXPECT_THROW(npde::optim::validate(o), npde::InputError);
  EXPECT_NO_THROW(npde::optim::validate(LbfgsOptions{}));
}

TEST(Lbfgs, RejectsMismatchedExtents) {
  const auto f = wrap<double>(rosenbrock);
  Lbfgs<double> opt(4, LbfgsOptions{});
  View1<double> x("x", 2), g("g", 2);
  double loss = 0;
  EXPECT_THROW(opt.step(x, loss, g, f), npde::Error);
}

}  // namespace

// ---- self-scaled BFGS on a dense inverse Hessian (LbfgsOptions::dense) ----

TEST(Ssbfgs, SolvesQuadraticAndRosenbrock) {
  constexpr int n = 12;
  const Quadratic q(n, 100.0);
  LbfgsOptions o;
  o.dense = true;
  o.c2 = 0.1;
  o.tolerance_change = 0;
  o.tolerance_grad = 1e-11;
  // Al-Baali's scaling gives up BFGS's finite termination on a quadratic; the Wolfe checks hold until
  // the loss stops resolving progress, after which the search returns its best point
  const auto r = run_lbfgs<double>(q, std::vector<double>(n, 0.0), o, 200, false);
  std::printf("[ ssbfgs   ] quadratic n = %d: %d iterations, max error %.2e\n", n, r.iterations, max_error(r.x, q.x_star));
  EXPECT_TRUE(r.converged);
  EXPECT_LE(r.iterations, 4 * n);
  EXPECT_LT(max_error(r.x, q.x_star), 1e-7);  // about sqrt(eps) cond: where the loss stops resolving
  LbfgsOptions d;
  d.dense = true;
  const auto rr = run_lbfgs<double>(rosenbrock, rosenbrock_start(10), d, 2000, true);
  std::printf("[ ssbfgs   ] Rosenbrock 10D: %d iterations, max error %.2e\n", rr.iterations,
              max_error(rr.x, std::vector<double>(10, 1.0)));
  EXPECT_TRUE(rr.converged);
  EXPECT_LT(max_error(rr.x, std::vector<double>(10, 1.0)), 1e-6);
}

// After every update the dense inverse Hessian satisfies the secant condition H y = s, stays
// symmetric positive definite on the pair (y'Hy > 0), and the second update is Al-Baali's scaled
// BFGS of the first: H2 = BFGS(H1 / tau, s, y) with tau = min(1, 1/b), b = -t s'g0 / s'y.
TEST(Ssbfgs, UpdateIsTheScaledBfgsFormula) {
  constexpr int n = 6;
  const Quadratic q(n, 30.0);
  LbfgsOptions o;
  o.dense = true;
  const auto f = wrap<double>(q);
  auto x = to_device<double>(std::vector<double>(n, 0.3));
  View1<double> g("g", n);
  double loss = f(x, g);
  Lbfgs<double> opt(n, o);
  std::vector<double> h_prev;
  for (int it = 0; it < 3; ++it) {
    const auto x0 = to_host(x), g0 = to_host(g);
    const LbfgsStep st = opt.step(x, loss, g, f);
    ASSERT_GT(st.step_length, 0.0);
    const auto x1 = to_host(x), g1 = to_host(g);
    std::vector<double> s(n), y(n);
    for (int i = 0; i < n; ++i) s[i] = x1[i] - x0[i], y[i] = g1[i] - g0[i];
    const double sy = dot(s, y), rho = 1 / sy;
    // the upper triangle holds H (row-major)
    const auto hs = opt.state().h;
    ASSERT_EQ(hs.size(), std::size_t(n * n));
    auto H = [&](const std::vector<double>& m, int i, int j) { return i <= j ? m[i * n + j] : m[j * n + i]; };
    for (int i = 0; i < n; ++i) {
      double hy = 0;
      for (int j = 0; j < n; ++j) hy += H(hs, i, j) * y[j];
      EXPECT_NEAR(hy, s[i], 1e-10 * (1 + std::abs(s[i]))) << "secant, update " << it << ", row " << i;
    }
    if (it == 1) {
      const double b = -st.step_length * rho * dot(s, g0), tau = std::min(1.0, 1.0 / b);
      std::vector<double> a(n * n), ay(n, 0.0);
      for (int i = 0; i < n; ++i)
        for (int j = 0; j < n; ++j) a[i * n + j] = H(h_prev, i, j) / tau;
      for (int i = 0; i < n; ++i)
        for (int j = 0; j < n; ++j) ay[i] += a[i * n + j] * y[j];
      const double yay = dot(y, ay);
      for (int i = 0; i < n; ++i)
        for (int j = i; j < n; ++j) {
          const double want = a[i * n + j] - rho * (ay[i] * s[j] + s[i] * ay[j]) + rho * (1 + rho * yay) * s[i] * s[j];
          EXPECT_NEAR(H(hs, i, j), want, 1e-12 * (1 + std::abs(want))) << i << ", " << j;
        }
    }
    h_prev = hs;
  }
}

TEST(Ssbfgs, StateRoundTripsAndRejectsOtherSizes) {
  LbfgsOptions o;
  o.dense = true;
  Lbfgs<double> a(4, o);
  auto st = a.state();
  EXPECT_EQ(st.h.size(), 16u);
  EXPECT_TRUE(st.s.empty());
  Lbfgs<double> b(4, o);
  EXPECT_NO_THROW(b.set_state(st));
  st.h.resize(9);
  EXPECT_THROW(b.set_state(st), npde::Error);
  EXPECT_THROW(Lbfgs<double>(npde::optim::kMaxDenseParameters + 1, o), npde::Error);
}
