// SPDX-License-Identifier: BSD-3-Clause
// L-BFGS: two-loop recursion, strong-Wolfe line search (bracketing + cubic zoom), pair updates.
#include <npde/optim/lbfgs.hpp>

#include <npde/core/error.hpp>

#include "optim/vector_ops.hpp"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

namespace npde::optim {

namespace {

// Zoom never tries a point closer to either end of the bracket than this fraction of its width,
// so a bad interpolant cannot stall the bracket (Nocedal & Wright, section 3.5).
constexpr double k_zoom_margin = 0.1;
// Extrapolation while bracketing moves the trial to between these multiples of the last
// increment beyond the current point: at least doubling keeps the number of bracketing steps
// logarithmic, the cap stops a flat cubic from jumping to an absurd step.
constexpr double k_extrapolate_min = 1.0;
constexpr double k_extrapolate_max = 10.0;

struct Sample {
  double t, f, dphi;
};

// Minimiser of the cubic matching value and slope at a and b (N&W eq. 3.59); NaN if none.
double cubic_minimizer(const Sample& a, const Sample& b) {
  const double d1 = a.dphi + b.dphi - 3.0 * (a.f - b.f) / (a.t - b.t);
  const double disc = d1 * d1 - a.dphi * b.dphi;
  if (!(disc >= 0)) return std::numeric_limits<double>::quiet_NaN();
  const double d2 = std::copysign(std::sqrt(disc), b.t - a.t);
  return b.t - (b.t - a.t) * (b.dphi + d2 - d1) / (b.dphi - a.dphi + 2.0 * d2);
}

bool finite(double v) { return std::isfinite(v); }

}  // namespace

void validate(const LbfgsOptions& o) {
  const auto key = [](const char* k) { return std::string("training.stages[lbfgs].") + k; };
  if (!(o.lr > 0) || !std::isfinite(o.lr)) NPDE_INPUT_ERROR(key("lr") << " must be > 0, got " << o.lr);
  if (o.history < 1) NPDE_INPUT_ERROR(key("history") << " must be >= 1, got " << o.history);
  if (!(o.tolerance_grad >= 0)) NPDE_INPUT_ERROR(key("tolerance_grad") << " must be >= 0, got " << o.tolerance_grad);
  if (!(o.tolerance_change >= 0))
    NPDE_INPUT_ERROR(key("tolerance_change") << " must be >= 0, got " << o.tolerance_change);
  if (o.max_line_search < 1) NPDE_INPUT_ERROR(key("max_line_search") << " must be >= 1, got " << o.max_line_search);
  if (!(o.c1 > 0 && o.c1 < o.c2 && o.c2 < 1))
    NPDE_INPUT_ERROR(key("c1") << " and c2 must satisfy 0 < c1 < c2 < 1, got " << o.c1 << ", " << o.c2);
}

template <class T>
Lbfgs<T>::Lbfgs(std::size_t n, const LbfgsOptions& opts, const Segments& segments)
    : m_n(n), m_opts(opts), m_reducer(std::make_unique<detail::Reducer>()) {
  validate(opts);
  NPDE_REQUIRE(!(opts.dense && segments.active()), "a dense inverse Hessian over parameters spread across ranks");
  m_reducer->set_segments(segments);
  NPDE_REQUIRE(!opts.dense || n <= kMaxDenseParameters,
               "a dense inverse Hessian for " << n << " parameters (at most " << kMaxDenseParameters << ")");
  const auto m = opts.dense ? std::size_t(0) : static_cast<std::size_t>(opts.history);
  if (opts.dense) m_h.assign(n * n, 0.0);
  m_s = View2<T>(Kokkos::ViewAllocateWithoutInitializing("npde::optim::Lbfgs::s"), n, m);
  m_y = View2<T>(Kokkos::ViewAllocateWithoutInitializing("npde::optim::Lbfgs::y"), n, m);
  m_rho.assign(m, 0.0);
  m_alpha.assign(m, 0.0);
  m_batched = segments.active() && !opts.dense;
  if (m_batched) {
    for (auto* v : {&m_ss, &m_sy, &m_yy}) v->assign(m * m, 0.0);
    m_stale.assign(m, 1);
  }
  const auto vec = [n](const char* label) { return View1<T>(Kokkos::ViewAllocateWithoutInitializing(label), n); };
  m_x0 = vec("npde::optim::Lbfgs::x0");
  m_g0 = vec("npde::optim::Lbfgs::g0");
  m_d = vec("npde::optim::Lbfgs::direction");
  m_g_trial = vec("npde::optim::Lbfgs::g_trial");
  m_g_lo = vec("npde::optim::Lbfgs::g_lo");
}

template <class T>
Lbfgs<T>::~Lbfgs() = default;
template <class T>
Lbfgs<T>::Lbfgs(Lbfgs&&) = default;
template <class T>
Lbfgs<T>& Lbfgs<T>::operator=(Lbfgs&&) = default;

template <class T>
LbfgsState Lbfgs<T>::state() const {
  LbfgsState st;
  auto sh = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), m_s);
  auto yh = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), m_y);
  st.s.assign(sh.data(), sh.data() + sh.size());
  st.y.assign(yh.data(), yh.data() + yh.size());
  st.rho = m_rho;
  st.head = m_head;
  st.count = m_count;
  st.gamma = m_gamma;
  st.iteration = m_iteration;
  st.h = m_h;
  return st;
}

template <class T>
void Lbfgs<T>::set_state(const LbfgsState& st) {
  const std::size_t want = m_opts.dense ? 0 : m_n * std::size_t(m_opts.history);
  NPDE_REQUIRE(st.s.size() == want && st.y.size() == want && st.rho.size() == m_rho.size(),
               "L-BFGS state with " << st.s.size() << " pair entries for n = " << m_n << ", history = "
                                    << m_opts.history);
  NPDE_REQUIRE(st.h.size() == m_h.size(), "quasi-Newton state with an inverse Hessian of " << st.h.size()
                                                                                           << " entries for n = " << m_n);
  NPDE_REQUIRE(st.count >= 0 && st.count <= std::max(m_opts.dense ? 1 : m_opts.history, 1) &&
                   (m_opts.dense || (st.head >= 0 && st.head < m_opts.history)),
               "L-BFGS state head " << st.head << ", count " << st.count);
  m_h = st.h;
  auto sh = Kokkos::create_mirror_view(m_s);
  auto yh = Kokkos::create_mirror_view(m_y);
  for (std::size_t i = 0; i < want; ++i) {
    sh.data()[i] = T(st.s[i]);
    yh.data()[i] = T(st.y[i]);
  }
  Kokkos::deep_copy(m_s, sh);
  Kokkos::deep_copy(m_y, yh);
  m_rho = st.rho;
  m_head = st.head;
  m_count = st.count;
  m_gamma = st.gamma;
  m_iteration = st.iteration;
  std::fill(m_stale.begin(), m_stale.end(), 1);  // the dot products follow from the restored pairs
}

template <class T>
long Lbfgs<T>::collectives() const {
  return m_reducer->collectives();
}

template <class T>
void Lbfgs<T>::reset() {
  m_head = 0;
  m_count = 0;
  m_gamma = 1.0;
}

template <class T>
int Lbfgs<T>::slot(int k) const {
  const int m = m_opts.history;
  return ((m_head - m_count + k) % m + m) % m;
}

template <class T>
void Lbfgs<T>::compute_direction(const View1<T>& grad) {
  if (m_opts.dense) {
    // d = -H g with the dense inverse Hessian (H = I before the first curvature pair)
    const auto gh = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), grad);
    std::vector<double> g(gh.data(), gh.data() + m_n), d(m_n);
    if (m_count == 0) {
      for (std::size_t i = 0; i < m_n; ++i) d[i] = -g[i];
    } else {
      cblas_dsymv(CblasRowMajor, CblasUpper, int(m_n), -1.0, m_h.data(), int(m_n), g.data(), 1, 0.0, d.data(), 1);
    }
    auto dh = Kokkos::create_mirror_view(m_d);
    for (std::size_t i = 0; i < m_n; ++i) dh(i) = T(d[i]);
    Kokkos::deep_copy(m_d, dh);
    return;
  }
  if (m_batched) return compute_direction_batched(grad);
  // Two-loop recursion: d = -H g with H0 = gamma I (N&W alg. 7.4).
  auto& red = *m_reducer;
  Kokkos::deep_copy(m_d, grad);
  for (int k = m_count - 1; k >= 0; --k) {
    const int j = slot(k);
    const auto s = Kokkos::subview(m_s, Kokkos::ALL, j);
    const auto y = Kokkos::subview(m_y, Kokkos::ALL, j);
    m_alpha[j] = m_rho[j] * red.dot(s, m_d);
    detail::axpy(-m_alpha[j], y, m_d);
  }
  detail::scale(m_gamma, m_d);
  for (int k = 0; k < m_count; ++k) {
    const int j = slot(k);
    const auto s = Kokkos::subview(m_s, Kokkos::ALL, j);
    const auto y = Kokkos::subview(m_y, Kokkos::ALL, j);
    const double beta = m_rho[j] * red.dot(y, m_d);
    detail::axpy(m_alpha[j] - beta, s, m_d);
  }
  detail::scale(-1.0, m_d);
}

template <class T>
void Lbfgs<T>::compute_direction_batched(const View1<T>& grad) {
  // The same recursion as compute_direction with d = sum_i (a_i s_i + b_i y_i) + c g kept as
  // coefficients: every dot product it takes is one of the pairs' with each other or with g
  // (Chen et al.'s vector-free L-BFGS). One batched reduction brings g's and the stale columns' dot
  // products: 1 collective instead of 2 per stored pair.
  auto& red = *m_reducer;
  const int m = m_opts.history;
  const auto s_of = [&](int j) { return Kokkos::subview(m_s, Kokkos::ALL, j); };
  const auto y_of = [&](int j) { return Kokkos::subview(m_y, Kokkos::ALL, j); };
  std::vector<int> live;
  for (int k = 0; k < m_count; ++k) live.push_back(slot(k));
  std::vector<std::size_t> gs(std::size_t(m), 0), gy(std::size_t(m), 0);
  for (int j : live) {
    gs[std::size_t(j)] = red.batch_dot(grad, s_of(j));
    gy[std::size_t(j)] = red.batch_dot(grad, y_of(j));
  }
  struct Entry {
    std::size_t q;
    double* to[2];
  };
  std::vector<Entry> entries;
  const auto at = [m](std::vector<double>& v, int i, int j) { return &v[std::size_t(i) * std::size_t(m) + std::size_t(j)]; };
  for (int j : live) {
    if (!m_stale[std::size_t(j)]) continue;
    for (int i : live) {
      // row and column j of each matrix (the other stale columns fill their own)
      entries.push_back({red.batch_dot(s_of(j), s_of(i)), {at(m_ss, j, i), at(m_ss, i, j)}});
      entries.push_back({red.batch_dot(s_of(j), y_of(i)), {at(m_sy, j, i), nullptr}});
      entries.push_back({red.batch_dot(y_of(j), s_of(i)), {at(m_sy, i, j), nullptr}});
      entries.push_back({red.batch_dot(y_of(j), y_of(i)), {at(m_yy, j, i), at(m_yy, i, j)}});
    }
  }
  const std::vector<double> v = red.batch_end();
  for (const auto& e : entries)
    for (double* p : e.to)
      if (p) *p = v[e.q];
  for (int j : live) m_stale[std::size_t(j)] = 0;
  // coefficients of d over (s_j, y_j, g)
  std::vector<double> a(std::size_t(m), 0.0), b(std::size_t(m), 0.0);
  double c = 1.0;
  const auto dot_s = [&](int j) {  // d's = sum_i a_i s_i's_j + b_i y_i's_j + c g's_j
    double r = c * v[gs[std::size_t(j)]];
    for (int i : live) r += a[std::size_t(i)] * *at(m_ss, i, j) + b[std::size_t(i)] * *at(m_sy, j, i);
    return r;
  };
  const auto dot_y = [&](int j) {
    double r = c * v[gy[std::size_t(j)]];
    for (int i : live) r += a[std::size_t(i)] * *at(m_sy, i, j) + b[std::size_t(i)] * *at(m_yy, i, j);
    return r;
  };
  for (int k = m_count - 1; k >= 0; --k) {
    const int j = slot(k);
    m_alpha[std::size_t(j)] = m_rho[std::size_t(j)] * dot_s(j);
    b[std::size_t(j)] -= m_alpha[std::size_t(j)];
  }
  c *= m_gamma;
  for (int j : live) a[std::size_t(j)] *= m_gamma, b[std::size_t(j)] *= m_gamma;
  for (int k = 0; k < m_count; ++k) {
    const int j = slot(k);
    const double beta = m_rho[std::size_t(j)] * dot_y(j);
    a[std::size_t(j)] += m_alpha[std::size_t(j)] - beta;
  }
  // d = -(c g + sum_j a_j s_j + b_j y_j)
  Kokkos::deep_copy(m_d, T(0));
  detail::axpy(-c, grad, m_d);
  for (int j : live) {
    detail::axpy(-a[std::size_t(j)], s_of(j), m_d);
    detail::axpy(-b[std::size_t(j)], y_of(j), m_d);
  }
}

template <class T>
typename Lbfgs<T>::LineSearch Lbfgs<T>::line_search(const View1<T>& x, const Objective<T>& f, double f0,
                                                   double dphi0, double t0, double d_inf) {
  // Strong-Wolfe search along m_d from m_x0 (N&W alg. 3.5 bracketing, 3.6 zoom). Invariant: m_g_lo
  // holds the gradient at `lo`, the best point so far that satisfies sufficient decrease.
  auto& red = *m_reducer;
  const double c1 = m_opts.c1, c2 = m_opts.c2;
  LineSearch out;
  double t_last = 0;
  const auto evaluate = [&](double t) {
    detail::add_scaled(x, m_x0, t, m_d);
    t_last = t;
    Sample s{t, static_cast<double>(f(x, m_g_trial)), 0.0};
    s.dphi = red.dot(m_g_trial, m_d);
    ++out.evaluations;
    // A non-finite loss (diverged network) counts as "too large": the search shrinks the step.
    if (!finite(s.f) || !finite(s.dphi)) s.f = std::numeric_limits<double>::infinity();
    return s;
  };
  const auto armijo_fails = [&](const Sample& s) { return s.f > f0 + c1 * s.t * dphi0; };
  const auto curvature_holds = [&](const Sample& s) { return std::abs(s.dphi) <= -c2 * dphi0; };
  const auto finish = [&](const Sample& s, bool wolfe) {
    out.t = s.t;
    out.f = s.f;
    out.found = s.t > 0;
    out.strong_wolfe = wolfe;
    // Leave x at the returned point (the same kernel and t give the same bits as when evaluated).
    if (t_last != s.t) detail::add_scaled(x, m_x0, s.t, m_d);
    return out;
  };

  const auto zoom = [&](Sample lo, Sample hi) {
    while (out.evaluations < m_opts.max_line_search) {
      const double a = std::min(lo.t, hi.t), b = std::max(lo.t, hi.t), w = b - a;
      if (w * d_inf <= m_opts.tolerance_change || w <= std::numeric_limits<double>::epsilon() * b) break;
      double t = finite(hi.f) ? cubic_minimizer(lo, hi) : std::numeric_limits<double>::quiet_NaN();
      if (!finite(t)) t = 0.5 * (a + b);
      t = std::clamp(t, a + k_zoom_margin * w, b - k_zoom_margin * w);
      const Sample s = evaluate(t);
      if (armijo_fails(s) || s.f >= lo.f) {
        hi = s;
      } else {
        if (curvature_holds(s)) {
          std::swap(m_g_lo, m_g_trial);
          return finish(s, true);
        }
        if (s.dphi * (hi.t - lo.t) >= 0) hi = lo;
        lo = s;
        std::swap(m_g_lo, m_g_trial);
      }
    }
    return finish(lo, false);  // best sufficient-decrease point, or t = 0 (failure)
  };

  Sample prev{0.0, f0, dphi0};
  double t = t0;
  while (true) {
    if (out.evaluations >= m_opts.max_line_search || !finite(t)) return finish(prev, false);
    const Sample cur = evaluate(t);
    if (armijo_fails(cur) || (prev.t > 0 && cur.f >= prev.f)) return zoom(prev, cur);
    if (curvature_holds(cur)) {
      std::swap(m_g_lo, m_g_trial);
      return finish(cur, true);
    }
    std::swap(m_g_lo, m_g_trial);
    if (cur.dphi >= 0) return zoom(cur, prev);
    const double inc = cur.t - prev.t;
    double t_next = cubic_minimizer(prev, cur);
    const double t_min = cur.t + k_extrapolate_min * inc, t_max = cur.t + k_extrapolate_max * inc;
    t = finite(t_next) ? std::clamp(t_next, t_min, t_max) : t_max;
    prev = cur;
  }
}

template <class T>
void Lbfgs<T>::update_dense(const View1<T>& x, const View1<T>& grad, double t) {
  // Self-scaled BFGS (Oren & Luenberger's family with Al-Baali's scaling, as Urban et al. use it for
  // PINNs): rho = 1/s'y, b = -t rho s'g0 (= s'B s / s'y with B = H^-1, since B s = -t g0),
  // tau = min(1, 1/b), then H <- H/tau followed by the BFGS update of H/tau. The first pair scales
  // H = I to (s'y / y'y) I instead (tau = y'y / s'y).
  const auto host = [this](const View1<T>& v) {
    const auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), v);
    return std::vector<double>(h.data(), h.data() + m_n);
  };
  const auto xv = host(x), x0 = host(m_x0), gv = host(grad), g0 = host(m_g0);
  std::vector<double> s(m_n), y(m_n), hy(m_n);
  double sy = 0, yy = 0, sg0 = 0;
  for (std::size_t i = 0; i < m_n; ++i) {
    s[i] = xv[i] - x0[i];
    y[i] = gv[i] - g0[i];
    sy += s[i] * y[i];
    yy += y[i] * y[i];
    sg0 += s[i] * g0[i];
  }
  if (!(sy > std::numeric_limits<T>::epsilon() * yy)) return;  // keeps H positive definite
  const double rho = 1.0 / sy;
  const int n = int(m_n);
  if (m_count == 0) {
    std::fill(m_h.begin(), m_h.end(), 0.0);
    for (std::size_t i = 0; i < m_n; ++i) m_h[i * m_n + i] = sy / yy;
  } else {
    const double b = -t * rho * sg0;
    const double tau = b > 0 && std::isfinite(b) ? std::min(1.0, 1.0 / b) : 1.0;
    if (tau != 1.0) cblas_dscal(n * n, 1.0 / tau, m_h.data(), 1);
  }
  cblas_dsymv(CblasRowMajor, CblasUpper, n, 1.0, m_h.data(), n, y.data(), 1, 0.0, hy.data(), 1);
  double yhy = 0;
  for (std::size_t i = 0; i < m_n; ++i) yhy += y[i] * hy[i];
  // H <- H - rho (Hy s' + s Hy') + rho (1 + rho y'Hy) s s'
  cblas_dsyr2(CblasRowMajor, CblasUpper, n, -rho, hy.data(), 1, s.data(), 1, m_h.data(), n);
  cblas_dsyr(CblasRowMajor, CblasUpper, n, rho * (1.0 + rho * yhy), s.data(), 1, m_h.data(), n);
  m_count = 1;
}

template <class T>
void Lbfgs<T>::update_history(const View1<T>& x, const View1<T>& grad, double t) {
  if (m_opts.dense) {
    update_dense(x, grad, t);
    return;
  }
  // Pair s = x - x0, y = g - g0 from the accepted step. Skipped when s'y is not safely positive,
  // which keeps the implicit inverse Hessian positive definite; the test runs before anything is
  // written because the target column may hold the oldest pair still in use.
  auto& red = *m_reducer;
  double sy = 0, yy = 0;
  if (m_batched) {  // with the new gradient's |g|_inf for the convergence test: one reduction
    const std::size_t q_sy = red.batch_dot_of_differences(x, m_x0, grad, m_g0);
    const std::size_t q_yy = red.batch_dot_of_differences(grad, m_g0, grad, m_g0);
    const std::size_t q_inf = red.batch_norm_inf(grad);
    const auto v = red.batch_end();
    sy = v[q_sy], yy = v[q_yy], m_g_inf_new = v[q_inf];
  } else {
    sy = red.dot_of_differences(x, m_x0, grad, m_g0);
    yy = red.dot_of_differences(grad, m_g0, grad, m_g0);
  }
  if (!(sy > std::numeric_limits<T>::epsilon() * yy)) return;
  const int j = m_head;
  detail::difference(Kokkos::subview(m_s, Kokkos::ALL, j), x, m_x0);
  detail::difference(Kokkos::subview(m_y, Kokkos::ALL, j), grad, m_g0);
  m_rho[j] = 1.0 / sy;
  m_gamma = sy / yy;
  if (m_batched) m_stale[std::size_t(j)] = 1;
  m_head = (m_head + 1) % m_opts.history;
  m_count = std::min(m_count + 1, m_opts.history);
}

template <class T>
LbfgsStep Lbfgs<T>::step(const View1<T>& x, T& loss, const View1<T>& grad, const Objective<T>& f) {
  detail::ScopedRegion region("npde::optim::Lbfgs::step");
  NPDE_REQUIRE(x.extent(0) == m_n && grad.extent(0) == m_n,
               "x " << x.extent(0) << ", grad " << grad.extent(0) << ", optimiser size " << m_n);
  auto& red = *m_reducer;
  LbfgsStep out;
  out.loss = static_cast<double>(loss);
  const double f0 = static_cast<double>(loss);
  const double g_inf = red.norm_inf(grad);
  if (!finite(f0) || !finite(g_inf)) {
    out.converged = true;
    out.reason = "non-finite loss or gradient";
    return out;
  }
  if (g_inf <= m_opts.tolerance_grad) {
    out.converged = true;
    out.reason = "gradient below tolerance_grad";
    return out;
  }

  // 1. Direction and line search. A history that yields no descent direction, or a direction
  // along which the search fails, is dropped and the search retried once from steepest descent:
  // stale pairs from an earlier region of a PINN loss are the usual cause of such failures.
  Kokkos::deep_copy(m_x0, x);
  Kokkos::deep_copy(m_g0, grad);
  double d_inf = 0;
  // g'd, |d|_inf and (without curvature pairs) |g|_1: one batched reduction when spread over ranks
  double dphi0 = 0, g_1 = 0;
  const auto slopes = [&]() {
    if (!m_batched) {
      dphi0 = red.dot(grad, m_d);
      d_inf = red.norm_inf(m_d);
      g_1 = m_count == 0 ? red.norm_1(grad) : 0.0;
      return;
    }
    const std::size_t q_dphi = red.batch_dot(grad, m_d), q_inf = red.batch_norm_inf(m_d);
    const std::size_t q_1 = m_count == 0 ? red.batch_norm_1(grad) : 0;
    const auto v = red.batch_end();
    dphi0 = v[q_dphi];
    d_inf = v[q_inf];
    g_1 = m_count == 0 ? v[q_1] : 0.0;
  };
  const auto search = [&]() {
    compute_direction(grad);
    slopes();
    if (!(dphi0 < 0) && m_count > 0) {
      reset();
      compute_direction(grad);
      slopes();
    }
    if (!(dphi0 < 0)) return LineSearch{};  // gradient underflows: nothing to search along
    // Without curvature information the step has no scale: bound the first trial by 1/|g|_1.
    const double t0 = m_count == 0 ? std::min(1.0, 1.0 / g_1) * m_opts.lr : m_opts.lr;
    return line_search(x, f, f0, dphi0, t0, d_inf);
  };
  LineSearch ls = search();
  out.evaluations = ls.evaluations;
  if (!ls.found && m_count > 0) {
    reset();
    ls = search();
    out.evaluations += ls.evaluations;
  }

  // 2. On failure restore x (grad and loss were never touched).
  if (!ls.found) {
    Kokkos::deep_copy(x, m_x0);
    out.converged = true;
    out.reason = "line search made no progress";
    return out;
  }
  Kokkos::deep_copy(grad, m_g_lo);
  loss = static_cast<T>(ls.f);
  out.loss = static_cast<double>(loss);
  out.step_length = ls.t;
  out.strong_wolfe = ls.strong_wolfe;
  ++m_iteration;

  // 3. Curvature pair from the accepted step.
  update_history(x, grad, ls.t);

  // 4. Convergence tests at the new point (batched mode: |g|_inf came with the pair's products).
  const double f1 = out.loss;
  if ((m_batched ? m_g_inf_new : red.norm_inf(grad)) <= m_opts.tolerance_grad) {
    out.converged = true;
    out.reason = "gradient below tolerance_grad";
  } else if (std::abs(f1 - f0) <= m_opts.tolerance_change * std::max(std::abs(f0), std::abs(f1))) {
    out.converged = true;
    out.reason = "loss change below tolerance_change";
  } else if (ls.t * d_inf <= m_opts.tolerance_change) {
    out.converged = true;
    out.reason = "step below tolerance_change";
  }
  return out;
}

template class Lbfgs<double>;
template class Lbfgs<float>;

}  // namespace npde::optim
