// SPDX-License-Identifier: BSD-3-Clause
// Distance function of a box and finite-difference jets of expressions.
#include "npde/pinn/trial_function.hpp"

namespace npde::pinn {

BoxDistance::BoxDistance(const pde::Box& box, const std::vector<int>& faces) : m_box(box) {
  for (int f : faces) (pde::face_side(f) == 0 ? m_lower : m_upper)[pde::face_axis(f)] = true;
}

ScalarJet BoxDistance::eval(const double* x) const {
  const int d = m_box.dim;
  double phi[3], dphi[3], ddphi[3];
  for (int a = 0; a < d; ++a) {
    const double l = m_box.lower[a], u = m_box.upper[a], e = u - l;
    if (m_lower[a] && m_upper[a]) {
      const double s = 4.0 / (e * e);
      phi[a] = s * (x[a] - l) * (u - x[a]);
      dphi[a] = s * (l + u - 2.0 * x[a]);
      ddphi[a] = -2.0 * s;
    } else if (m_lower[a]) {
      phi[a] = (x[a] - l) / e;
      dphi[a] = 1.0 / e;
      ddphi[a] = 0.0;
    } else if (m_upper[a]) {
      phi[a] = (u - x[a]) / e;
      dphi[a] = -1.0 / e;
      ddphi[a] = 0.0;
    } else {
      phi[a] = 1.0;
      dphi[a] = 0.0;
      ddphi[a] = 0.0;
    }
  }
  ScalarJet j;
  j.value = 1.0;
  for (int a = 0; a < d; ++a) j.value *= phi[a];
  for (int k = 0; k < d; ++k) {
    double others = 1.0;  // product of phi over the other axes (no division: phi may be 0)
    for (int a = 0; a < d; ++a)
      if (a != k) others *= phi[a];
    j.grad[k] = dphi[k] * others;
    j.lap += ddphi[k] * others;
  }
  return j;
}

ScalarJet expression_jet(const Expression& g, int dim, const double* x, const double* h) {
  ScalarJet j;
  j.value = g.eval(x);
  double y[3] = {x[0], dim > 1 ? x[1] : 0.0, dim > 2 ? x[2] : 0.0};
  for (int k = 0; k < dim; ++k) {
    const double xk = y[k], hk = h[k];
    double f[4];
    const double off[4] = {-2, -1, 1, 2};
    for (int s = 0; s < 4; ++s) {
      y[k] = xk + off[s] * hk;
      f[s] = g.eval(y);
    }
    y[k] = xk;
    j.grad[k] = (f[0] - 8.0 * f[1] + 8.0 * f[2] - f[3]) / (12.0 * hk);
    j.lap += (-f[0] + 16.0 * f[1] - 30.0 * j.value + 16.0 * f[2] - f[3]) / (12.0 * hk * hk);
  }
  return j;
}

}  // namespace npde::pinn
