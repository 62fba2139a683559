// SPDX-License-Identifier: BSD-3-Clause
// Dual numbers against central finite differences of the plain functions, and the muParser Expression wrapper.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "npde/core/dual.hpp"
#include "npde/core/error.hpp"
#include "npde/core/expression.hpp"

namespace {

using npde::Dual;

// Central difference (f(x+h) - f(x-h)) / 2h: truncation ~ h^2 f'''/6, rounding ~ eps |f| / h.
constexpr double kStep = 1e-5;
constexpr double kTol = 1e-8;  // relative to max(1, |f'|)

double central_difference(const std::function<double(double)>& f, double x) {
  return (f(x + kStep) - f(x - kStep)) / (2 * kStep);
}

// One unary function as its dual and plain versions.
struct Unary {
  std::string name;
  std::function<Dual<double, 2>(const Dual<double, 2>&)> dual;
  std::function<double(double)> plain;
};

std::vector<Unary> unary_functions() {
  using D = Dual<double, 2>;
  std::vector<Unary> fs = {
      {"sin", [](const D& a) { return sin(a); }, [](double a) { return std::sin(a); }},
      {"cos", [](const D& a) { return cos(a); }, [](double a) { return std::cos(a); }},
      {"exp", [](const D& a) { return exp(a); }, [](double a) { return std::exp(a); }},
      {"log", [](const D& a) { return log(a); }, [](double a) { return std::log(a); }},
      {"tanh", [](const D& a) { return tanh(a); }, [](double a) { return std::tanh(a); }},
      {"sqrt", [](const D& a) { return sqrt(a); }, [](double a) { return std::sqrt(a); }},
  };
  for (int p = 0; p <= 5; ++p)
    fs.push_back({"ipow" + std::to_string(p), [p](const D& a) { return ipow(a, p); },
                  [p](double a) { return std::pow(a, p); }});
  return fs;
}

TEST(Dual, UnaryFunctionsMatchFiniteDifferences) {
  // Positive points so log and sqrt are defined; values off the integers so nothing is special.
  const std::vector<double> points = {0.13, 0.7, 1.3, 2.45, 3.9};
  for (const auto& f : unary_functions()) {
    for (double x : points) {
      // Seed the two tangents with different weights: the chain rule must scale each of them.
      Dual<double, 2> a(x);
      a.d[0] = 1.0;
      a.d[1] = -2.5;
      const Dual<double, 2> r = f.dual(a);
      const double fd = central_difference(f.plain, x);
      const double tol = kTol * std::max(1.0, std::abs(fd));
      EXPECT_NEAR(r.v, f.plain(x), 1e-14 * std::max(1.0, std::abs(r.v))) << f.name << " at " << x;
      EXPECT_NEAR(r.d[0], fd, tol) << f.name << " at " << x;
      EXPECT_NEAR(r.d[1], -2.5 * fd, 2.5 * tol) << f.name << " at " << x;
    }
  }
}

TEST(Dual, ZerothPowerIsConstant) {
  const auto x = Dual<double, 1>::variable(1.7, 0);
  const auto r = ipow(x, 0);
  EXPECT_EQ(r.v, 1.0);
  EXPECT_EQ(r.d[0], 0.0);
  EXPECT_EQ(npde::ipow(3.0, 0), 1.0);
  EXPECT_EQ(npde::ipow(-2.0, 3), -8.0);
}

TEST(Dual, BinaryOperatorsFollowProductAndQuotientRules) {
  using D = Dual<double, 2>;
  const double av = 1.7, bv = -0.6;
  const D a = D::variable(av, 0), b = D::variable(bv, 1);
  const D s = a + b, m = a - b, p = a * b, q = a / b, n = -a;
  EXPECT_DOUBLE_EQ(s.v, av + bv);
  EXPECT_DOUBLE_EQ(s.d[0], 1.0);
  EXPECT_DOUBLE_EQ(s.d[1], 1.0);
  EXPECT_DOUBLE_EQ(m.d[0], 1.0);
  EXPECT_DOUBLE_EQ(m.d[1], -1.0);
  EXPECT_DOUBLE_EQ(p.v, av * bv);
  EXPECT_DOUBLE_EQ(p.d[0], bv);
  EXPECT_DOUBLE_EQ(p.d[1], av);
  EXPECT_DOUBLE_EQ(q.v, av / bv);
  EXPECT_DOUBLE_EQ(q.d[0], 1.0 / bv);
  EXPECT_DOUBLE_EQ(q.d[1], -av / (bv * bv));
  EXPECT_DOUBLE_EQ(n.v, -av);
  EXPECT_DOUBLE_EQ(n.d[0], -1.0);
  EXPECT_DOUBLE_EQ(n.d[1], 0.0);
}

TEST(Dual, MixedScalarOperandsAreConstants) {
  using D = Dual<double, 1>;
  const double xv = 0.8;
  const D x = D::variable(xv, 0);
  // Each entry: dual result, expected value, expected derivative d/dx.
  const struct {
    const char* name;
    D r;
    double v, d;
  } cases[] = {
      {"x+c", x + 2.0, xv + 2.0, 1.0},        {"c+x", 2.0 + x, 2.0 + xv, 1.0},
      {"x-c", x - 2.0, xv - 2.0, 1.0},        {"c-x", 2.0 - x, 2.0 - xv, -1.0},
      {"x*c", x * 3.0, 3.0 * xv, 3.0},        {"c*x", 3.0 * x, 3.0 * xv, 3.0},
      {"x/c", x / 4.0, xv / 4.0, 0.25},       {"c/x", 4.0 / x, 4.0 / xv, -4.0 / (xv * xv)},
  };
  for (const auto& c : cases) {
    EXPECT_DOUBLE_EQ(c.r.v, c.v) << c.name;
    EXPECT_DOUBLE_EQ(c.r.d[0], c.d) << c.name;
  }
  EXPECT_EQ(npde::value_of(x), xv);
  EXPECT_EQ(npde::value_of(1.25), 1.25);
  static_assert(npde::is_dual<D>::value && !npde::is_dual<double>::value, "is_dual");
}

// A nonlinear residual of several jet entries (u, u_x, u_y, Lap u), written once as a template.
template <class V>
V composite_residual(const V* q, double f) {
  // Plain doubles take the std:: functions; duals find npde's overloads by argument-dependent lookup.
  using npde::ipow;
  using std::cos, std::exp, std::log, std::sin, std::sqrt, std::tanh;
  const V& u = q[0];
  const V& ux = q[1];
  const V& uy = q[2];
  const V& lap = q[3];
  return -lap + ipow(u, 3) + tanh(ux * uy) + exp(-u) * sqrt(1.0 + ux * ux) + sin(u) * cos(uy) / (2.0 + u * u) +
         log(1.5 + ux * ux) - f;
}

TEST(Dual, CompositeResidualGradientMatchesFiniteDifferences) {
  constexpr int N = 4;
  using D = Dual<double, N>;
  const double f = 0.37;
  const double points[3][N] = {{0.3, -0.8, 1.1, 2.0}, {-1.2, 0.4, 0.25, -3.0}, {0.9, 1.7, -0.6, 0.1}};
  for (const auto& q0 : points) {
    D q[N];
    for (int k = 0; k < N; ++k) q[k] = D::variable(q0[k], k);
    const D r = composite_residual(q, f);
    EXPECT_NEAR(r.v, composite_residual(q0, f), 1e-14 * std::max(1.0, std::abs(r.v)));
    for (int k = 0; k < N; ++k) {
      auto along_k = [&](double t) {
        double qs[N];
        for (int j = 0; j < N; ++j) qs[j] = q0[j];
        qs[k] = t;
        return composite_residual(qs, f);
      };
      const double fd = central_difference(along_k, q0[k]);
      EXPECT_NEAR(r.d[k], fd, kTol * std::max(1.0, std::abs(fd))) << "variable " << k;
    }
  }
}

TEST(Dual, FloatInstantiationAgreesWithDouble) {
  using Df = Dual<float, 4>;
  using Dd = Dual<double, 4>;
  const double q0[4] = {0.3, -0.8, 1.1, 2.0};
  Df qf[4];
  Dd qd[4];
  for (int k = 0; k < 4; ++k) {
    qf[k] = Df::variable(float(q0[k]), k);
    qd[k] = Dd::variable(q0[k], k);
  }
  // The float residual mixes float duals with float constants only.
  const Df rf = -qf[3] + ipow(qf[0], 3) + tanh(qf[1] * qf[2]) + exp(-qf[0]) - 0.37f;
  const Dd rd = -qd[3] + ipow(qd[0], 3) + tanh(qd[1] * qd[2]) + exp(-qd[0]) - 0.37;
  EXPECT_NEAR(rf.v, rd.v, 1e-5);
  for (int k = 0; k < 4; ++k) EXPECT_NEAR(rf.d[k], rd.d[k], 1e-5 * std::max(1.0, std::abs(rd.d[k]))) << k;
}

// ---- npde::Expression ----

TEST(Expression, EvaluatesVariablesAndConstants) {
  const npde::Expression g("x*y + 1 - z/2", {"x", "y", "z"}, "test.g");
  const double p[3] = {2.0, 3.0, 4.0};
  EXPECT_DOUBLE_EQ(g.eval(p), 5.0);
  EXPECT_TRUE(g.defined());
  EXPECT_EQ(g.n_vars(), 3u);
  EXPECT_EQ(g.text(), "x*y + 1 - z/2");

  const double x0 = 0.0;
  EXPECT_DOUBLE_EQ(npde::Expression("pi", {"x"}, "test.pi").eval(&x0), M_PI);
  EXPECT_DOUBLE_EQ(npde::Expression("e", {"x"}, "test.e").eval(&x0), M_E);
  const double xh = 0.5;
  EXPECT_NEAR(npde::Expression("sin(pi*x)", {"x"}, "test.s").eval(&xh), 1.0, 1e-15);
  const double one = 1.0;
  EXPECT_NEAR(npde::Expression("log(e^x)", {"x"}, "test.l").eval(&one), 1.0, 1e-15);
}

TEST(Expression, EvalManyIsRowMajor) {
  const npde::Expression g("10*x + y", {"x", "y"}, "test.g");
  const std::vector<double> pts = {1, 2, 3, 4, 5, 6};  // (3, 2)
  std::vector<double> out(3);
  g.eval_many(pts.data(), 3, out.data());
  EXPECT_DOUBLE_EQ(out[0], 12.0);
  EXPECT_DOUBLE_EQ(out[1], 34.0);
  EXPECT_DOUBLE_EQ(out[2], 56.0);
}

void expect_input_error_naming(const std::string& text, const std::string& key) {
  try {
    npde::Expression g(text, {"x", "y"}, key);
    ADD_FAILURE() << "no exception for '" << text << "'";
  } catch (const npde::InputError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(key), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << "message is not one line: " << msg;
  }
}

TEST(Expression, BadTextThrowsInputErrorNamingTheKey) {
  expect_input_error_naming("x +* y", "problem.source");
  expect_input_error_naming("sin(x", "problem.exact");
  expect_input_error_naming("x + z", "problem.boundary[1].value");  // z is not a variable in 2D
  expect_input_error_naming("foo(x)", "problem.boundary[0].value");
}

TEST(Expression, UndefinedExpressionRefusesToEvaluate) {
  const npde::Expression g;
  EXPECT_FALSE(g.defined());
  const double x = 0;
  EXPECT_THROW(g.eval(&x), npde::Error);
}

TEST(Expression, CopiesAreIndependent) {
  npde::Expression copy_constructed, copy_assigned;
  {
    const npde::Expression g("x^2 + y", {"x", "y"}, "test.g");
    copy_constructed = npde::Expression(g);
    copy_assigned = npde::Expression("0", {"x", "y"}, "test.other");
    copy_assigned = g;
    // Interleaved evaluations: each copy binds its own variable storage.
    const double a[2] = {3.0, 1.0}, b[2] = {-2.0, 0.5};
    const double va = copy_constructed.eval(a);
    const double vb = copy_assigned.eval(b);
    EXPECT_DOUBLE_EQ(g.eval(b), 4.5);
    EXPECT_DOUBLE_EQ(va, 10.0);
    EXPECT_DOUBLE_EQ(vb, 4.5);
  }
  // The original is gone: the copies must still evaluate (no dangling variable pointers).
  const double c[2] = {1.0, 2.0};
  EXPECT_DOUBLE_EQ(copy_constructed.eval(c), 3.0);
  EXPECT_DOUBLE_EQ(copy_assigned.eval(c), 3.0);
  EXPECT_EQ(copy_assigned.text(), "x^2 + y");
  // Moved-to expressions keep working too.
  npde::Expression moved(std::move(copy_constructed));
  EXPECT_DOUBLE_EQ(moved.eval(c), 3.0);
}

}  // namespace
