// SPDX-License-Identifier: BSD-3-Clause
// Space-time trial functions: lift, distance and their jets.
#include "npde/pinn/trial.hpp"

#include <cmath>

#include "npde/core/error.hpp"

namespace npde::pinn {

using pde::ConditionKind;

TrialFunction::TrialFunction(const pde::Problem& problem, int output)
    : m_n_inputs(problem.n_inputs()), m_n_space(problem.n_space), m_time(problem.time_dependent), m_box(problem.box) {
  m_absorbed.assign(problem.conditions.size(), false);
  if (!problem.hard) return;
  if (m_time) {
    m_t0 = problem.box.lower[m_n_space];
    m_span = problem.box.extent(m_n_space);
  }
  // 1. Dirichlet faces of this output and their expressions
  std::vector<std::size_t> dirichlet;
  for (std::size_t i = 0; i < problem.conditions.size(); ++i) {
    const auto& c = problem.conditions[i];
    if (c.output != output || c.soft) continue;
    if (c.kind == ConditionKind::Dirichlet) dirichlet.push_back(i);
    if (c.kind == ConditionKind::Initial) m_u0 = c.value, m_absorbed[i] = true;
    if (c.kind == ConditionKind::InitialRate) m_u1 = c.value, m_absorbed[i] = true;
  }
  NPDE_REQUIRE(!m_u1 || m_u0, "an initial rate needs an initial value to be built into a trial function");
  m_face_data.assign(2 * m_n_space, Expression());
  for (std::size_t i : dirichlet) {
    m_absorbed[i] = true;
    for (int f : problem.conditions[i].faces) {
      if (m_face_data[f].defined())
        NPDE_INPUT_ERROR("problem.boundary: face " << pde::face_name(f) << " has two Dirichlet conditions");
      m_face_data[f] = problem.conditions[i].value;
      (pde::face_side(f) == 0 ? m_lower : m_upper)[pde::face_axis(f)] = true;
    }
  }
  for (int a = 0; a < m_n_space; ++a)
    if (m_lower[a] || m_upper[a]) m_lift_axes.push_back(a);
  m_time_power = m_u1 ? 2 : (m_u0 ? 1 : 0);
  m_active = !m_lift_axes.empty() || m_u0;
}

namespace {
// Expression variables: the inputs, time replaced by t.
double eval_at(const Expression& e, const double* x, int n, int time_axis, double t) {
  double v[4];
  for (int k = 0; k < n; ++k) v[k] = x[k];
  if (time_axis >= 0) v[time_axis] = t;
  return e.eval(v);
}
}  // namespace

double TrialFunction::boundary(const double* x, double t) const {
  // Boolean sum of the per-axis projections P_a g = w_lo(x_a) g|lower + w_hi(x_a) g|upper over the
  // axes with Dirichlet faces: B = sum over non-empty subsets S of (-1)^(|S|+1) prod_{a in S} P_a g.
  // On a Dirichlet face of axis a, P_a reproduces g, hence so does B (for data that agree on edges).
  const int na = int(m_lift_axes.size());
  if (na == 0) return 0.0;
  const int ta = m_time ? m_n_space : -1;
  double sum = 0;
  double y[4];
  for (unsigned subset = 1; subset < (1u << na); ++subset) {
    const int size = pde::count_bits(subset);
    const double sign = size % 2 == 1 ? 1.0 : -1.0;
    // every choice of side for the axes in the subset
    for (unsigned sides = 0; sides < (1u << na); ++sides) {
      if (sides & ~subset) continue;
      double weight = 1.0;
      int face = -1;
      for (int k = 0; k < m_n_inputs; ++k) y[k] = x[k];
      for (int j = 0; j < na && weight != 0.0; ++j) {
        if (!((subset >> j) & 1u)) continue;
        const int a = m_lift_axes[j], side = int((sides >> j) & 1u);
        const double s = (x[a] - m_box.lower[a]) / m_box.extent(a);
        const bool both = m_lower[a] && m_upper[a];
        if (side == 0) weight *= m_lower[a] ? (both ? 1.0 - s : 1.0) : 0.0;
        else weight *= m_upper[a] ? (both ? s : 1.0) : 0.0;
        y[a] = side == 0 ? m_box.lower[a] : m_box.upper[a];
        if (face < 0) face = 2 * a + side;  // edges and corners take the lowest axis's face data
      }
      if (weight == 0.0) continue;
      if (ta >= 0) y[ta] = t;
      sum += sign * weight * m_face_data[face].eval(y);
    }
  }
  return sum;
}

double TrialFunction::lift(const double* x) const {
  const int ta = m_time ? m_n_space : -1;
  auto boundary = [&](double t) { return this->boundary(x, t); };
  if (!m_u0) return boundary(m_time ? x[ta] : 0.0);
  const double t = x[ta], tau = t - m_t0;
  double g = eval_at(*m_u0, x, m_n_inputs, ta, m_t0) + boundary(t) - boundary(m_t0);
  if (m_u1) {
    // B_t(x, t0) by a one-sided fourth-order difference (t0 is the box's lower end)
    const double h = 1e-3 * m_span;
    const double bt = (-25.0 * boundary(m_t0) + 48.0 * boundary(m_t0 + h) - 36.0 * boundary(m_t0 + 2 * h) +
                       16.0 * boundary(m_t0 + 3 * h) - 3.0 * boundary(m_t0 + 4 * h)) /
                      (12.0 * h);
    g += tau * (eval_at(*m_u1, x, m_n_inputs, ta, m_t0) - bt);
  }
  return g;
}

double TrialFunction::distance(const double* x, double* grad, double* second) const {
  double phi[4], dphi[4], ddphi[4];
  for (int a = 0; a < m_n_inputs; ++a) {
    phi[a] = 1.0, dphi[a] = 0.0, ddphi[a] = 0.0;
    const double l = m_box.lower[a], u = m_box.upper[a], e = u - l;
    if (a < m_n_space) {
      if (m_lower[a] && m_upper[a]) {
        const double s = 4.0 / (e * e);
        phi[a] = s * (x[a] - l) * (u - x[a]);
        dphi[a] = s * (l + u - 2.0 * x[a]);
        ddphi[a] = -2.0 * s;
      } else if (m_lower[a]) {
        phi[a] = (x[a] - l) / e, dphi[a] = 1.0 / e;
      } else if (m_upper[a]) {
        phi[a] = (u - x[a]) / e, dphi[a] = -1.0 / e;
      }
    } else if (m_time_power > 0) {
      const double s = (x[a] - l) / e;
      if (m_time_power == 1) {
        phi[a] = s, dphi[a] = 1.0 / e;
      } else {
        phi[a] = s * s, dphi[a] = 2.0 * s / e, ddphi[a] = 2.0 / (e * e);
      }
    }
  }
  double value = 1.0;
  for (int a = 0; a < m_n_inputs; ++a) value *= phi[a];
  for (int k = 0; k < m_n_inputs; ++k) {
    double others = 1.0;  // product over the other axes (no division: phi may vanish)
    for (int a = 0; a < m_n_inputs; ++a)
      if (a != k) others *= phi[a];
    grad[k] = dphi[k] * others;
    second[k] = ddphi[k] * others;
  }
  return value;
}

void TrialFunction::eval(const double* x, unsigned first, unsigned second, unsigned laplacian, CanonicalJet& g,
                         CanonicalJet& d) const {
  g = CanonicalJet{};
  d = CanonicalJet{};
  if (!m_active) return;
  double dg[4], ddg[4];
  d.e[pde::canonical_value()] = distance(x, dg, ddg);
  for (int k = 0; k < m_n_inputs; ++k) {
    d.e[pde::canonical_d(k)] = (first >> k) & 1u ? dg[k] : 0.0;
    d.e[pde::canonical_dd(k)] = (second >> k) & 1u ? ddg[k] : 0.0;
    if ((laplacian >> k) & 1u) d.e[pde::canonical_lap()] += ddg[k];
  }
  // G by central differences per input: fourth order, step 1e-3 of the extent
  const double g0 = lift(x);
  g.e[pde::canonical_value()] = g0;
  const unsigned need = first | second | laplacian;
  double y[4];
  for (int k = 0; k < m_n_inputs; ++k) y[k] = x[k];
  for (int k = 0; k < m_n_inputs; ++k) {
    if (!((need >> k) & 1u)) continue;
    const double h = 1e-3 * m_box.extent(k), xk = y[k];
    double f[4];
    const double off[4] = {-2, -1, 1, 2};
    for (int s = 0; s < 4; ++s) {
      y[k] = xk + off[s] * h;
      f[s] = lift(y);
    }
    y[k] = xk;
    const double d1 = (f[0] - 8.0 * f[1] + 8.0 * f[2] - f[3]) / (12.0 * h);
    const double d2 = (-f[0] + 16.0 * f[1] - 30.0 * g0 + 16.0 * f[2] - f[3]) / (12.0 * h * h);
    if ((first >> k) & 1u) g.e[pde::canonical_d(k)] = d1;
    if ((second >> k) & 1u) g.e[pde::canonical_dd(k)] = d2;
    if ((laplacian >> k) & 1u) g.e[pde::canonical_lap()] += d2;
  }
}

double TrialFunction::value(const double* x, double n) const {
  if (!m_active) return n;
  double dg[4], ddg[4];
  return lift(x) + distance(x, dg, ddg) * n;
}

}  // namespace npde::pinn
