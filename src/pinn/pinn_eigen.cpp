// SPDX-License-Identifier: BSD-3-Clause
// Pinn's eigenproblem terms: quadrature of the trial function, the Rayleigh quotient, the
// normalisation/orthogonality and energy losses.
#include "npde/pinn/pinn.hpp"

#include <algorithm>
#include <cmath>

namespace npde::pinn {

template <class T>
std::vector<double> Pinn<T>::quadrature_values(bool derivative) {
  const int chunk = m_opts.chunk, n_all = int(m_quad_x.size());
  std::vector<double> out(n_all);
  const bool hard = m_hard & 1u;
  for (int off = 0; off < n_all; off += chunk) {
    const int n = std::min(chunk, n_all - off);
    m_jet_quad->forward(m_x_quad.data() + off, n);
    Kokkos::View<const T*, MemSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>> jets(m_jet_quad->output(),
                                                                                    std::size_t(2) * n);
    auto jh = Kokkos::create_mirror_view_and_copy(HostSpace(), jets);
    auto ah = Kokkos::create_mirror_view_and_copy(
        HostSpace(), Kokkos::subview(m_aux_quad, std::make_pair(std::size_t(off) * kConditionAux,
                                                                std::size_t(off + n) * kConditionAux)));
    for (int p = 0; p < n; ++p) {
      const double n0 = double(jh(p)), n1 = double(jh(n + p));
      const T* a = ah.data() + std::size_t(p) * kConditionAux;
      const T* G = a + 2;
      const T* D = a + 2 + pde::kCanonical;
      const int c = pde::canonical_d(0);
      out[off + p] = !hard ? (derivative ? n1 : n0)
                           : (derivative ? double(G[c] + D[c] * n0 + D[0] * n1) : double(G[0] + D[0] * n0));
    }
  }
  return out;
}

template <class T>
double Pinn<T>::quadrature_norm2(const std::vector<double>& values) const {
  double q = 0;
  for (std::size_t i = 0; i < values.size(); ++i) q += m_quad_w[i] * values[i] * values[i];
  return q;
}

template <class T>
double Pinn<T>::rayleigh_quotient() {
  std::vector<double> psi = quadrature_values(false), dpsi = quadrature_values(true);
  const auto& e = m_problem.eigen;
  for (std::size_t k = 0; k < e.previous.size(); ++k) {  // project out the earlier (normalised) states
    double c = 0;
    for (std::size_t i = 0; i < psi.size(); ++i) c += m_quad_w[i] * psi[i] * e.previous[k][i];
    for (std::size_t i = 0; i < psi.size(); ++i) {
      psi[i] -= c * e.previous[k][i];
      dpsi[i] -= c * e.previous_derivative.at(k)[i];
    }
  }
  double num = 0, den = 0;
  for (std::size_t i = 0; i < psi.size(); ++i) {
    num += m_quad_w[i] * dpsi[i] * dpsi[i] + m_quad_v[i] * psi[i] * psi[i];
    den += m_quad_w[i] * psi[i] * psi[i];
  }
  return den > 0 ? num / den : 0.0;
}

template <class T>
void Pinn<T>::eigen_loss(const std::vector<double>& psi, double q, T* grad, T* grad_q, std::vector<double>& terms) {
  // The whole grid on rank 0: the terms are not sums over points (the integrals are squared), and the
  // grid is small; the other ranks add nothing, so the allreduce still gives the total.
  if (!m_comm.is_root()) return;
  const auto& e = m_problem.eigen;
  const std::size_t nq = psi.size();
  std::vector<double> overlap(e.previous.size(), 0.0);
  for (std::size_t i = 0; i < nq; ++i)
    for (std::size_t k = 0; k < overlap.size(); ++k) overlap[k] += m_quad_w[i] * psi[i] * e.previous[k][i];
  const double wn = m_term_weights[m_term_norm];
  terms[m_term_norm] += wn * (q - 1) * (q - 1);
  // orthogonality sum_k (int psi phi_k)^2: not scale-free on purpose, a scale-free (/Q) form would be
  // stationary at psi = phi_k, its maximum
  double orth = 0;
  for (double o : overlap) orth += o * o;
  const double wo = m_term_orth >= 0 ? m_term_weights[m_term_orth] : 0.0;
  if (m_term_orth >= 0) terms[m_term_orth] += wo * orth;
  // adjoint of psi_i, then of the network's value channel (psi = G + D N)
  std::vector<double> dpsi(nq);
  for (std::size_t i = 0; i < nq; ++i) {
    double a = wn * 2 * (q - 1) * 2 * m_quad_w[i] * psi[i];
    for (std::size_t k = 0; k < overlap.size(); ++k) a += wo * 2 * overlap[k] * m_quad_w[i] * e.previous[k][i];
    dpsi[i] = a;
  }
  const int chunk = m_opts.chunk;
  auto adj_h = Kokkos::create_mirror_view(m_adj);
  auto aux_h = Kokkos::create_mirror_view_and_copy(HostSpace(), m_aux_quad);
  for (int off = 0; off < int(nq); off += chunk) {
    const int n = std::min(chunk, int(nq) - off);
    m_jet_value->forward(m_x_quad.data() + off, n);
    for (int p = 0; p < n; ++p) {
      const double d0 = (m_hard & 1u) ? double(aux_h(std::size_t(off + p) * kConditionAux + 2 + pde::kCanonical)) : 1.0;
      adj_h(p) = T(dpsi[off + p] * d0);
    }
    Kokkos::deep_copy(m_adj, adj_h);
    m_jet_value->backward(m_x_quad.data() + off, n, m_adj.data(), grad);
    // and dQ/dtheta, Q = int psi^2, for the scale-free residual term
    for (int p = 0; p < n; ++p) {
      const double d0 = (m_hard & 1u) ? double(aux_h(std::size_t(off + p) * kConditionAux + 2 + pde::kCanonical)) : 1.0;
      adj_h(p) = T(2 * m_quad_w[off + p] * psi[off + p] * d0);
    }
    Kokkos::deep_copy(m_adj, adj_h);
    m_jet_value->backward(m_x_quad.data() + off, n, m_adj.data(), grad_q);
  }
}

template <class T>
void Pinn<T>::energy_loss(const std::vector<double>& psi_in, T* grad, std::vector<double>& coef_grad,
                          std::vector<double>& terms) {
  if (!m_comm.is_root()) return;  // as eigen_loss: the whole (small) grid on rank 0
  const auto& e = m_problem.eigen;
  const std::size_t nq = psi_in.size(), nk = e.previous.size();
  std::vector<double> psi = psi_in, dpsi = quadrature_values(true);
  // the earlier (normalised) states projected out: psi~ = psi - sum_k c_k phi_k, c_k = int psi phi_k
  std::vector<double> c(nk, 0.0);
  for (std::size_t k = 0; k < nk; ++k) {
    for (std::size_t i = 0; i < nq; ++i) c[k] += m_quad_w[i] * psi[i] * e.previous[k][i];
    for (std::size_t i = 0; i < nq; ++i) {
      psi[i] -= c[k] * e.previous[k][i];
      dpsi[i] -= c[k] * e.previous_derivative.at(k)[i];
    }
  }
  double num = 0, den = 0;
  for (std::size_t i = 0; i < nq; ++i) {
    num += m_quad_w[i] * dpsi[i] * dpsi[i] + m_quad_v[i] * psi[i] * psi[i];
    den += m_quad_w[i] * psi[i] * psi[i];
  }
  if (!(den > 0)) return;
  // w (R + (E - R)^2): the trained energy follows R (at fixed R its minimum is E = R, and there the
  // network sees the gradient of R alone), so a residual stage after this one starts from the energy
  // of the state found
  const double w = m_term_weights[m_term_energy], R = num / den, E = coefficients().at(0);
  terms[m_term_energy] += w * (R + (E - R) * (E - R));
  coef_grad.at(0) += w * 2 * (E - R) * m_coef_scale.at(0);
  const double dR = w * (1 - 2 * (E - R));
  // adjoints of psi~ (a) and psi~' (b), then through the projection to psi and psi'
  std::vector<double> a(nq), b(nq);
  for (std::size_t i = 0; i < nq; ++i) {
    a[i] = dR * 2 * (m_quad_v[i] - R * m_quad_w[i]) * psi[i] / den;
    b[i] = dR * m_quad_w[i] * 2 * dpsi[i] / den;
  }
  std::vector<double> back(nk, 0.0);  // dR/dc_k = -(sum_i a_i phi_ki + b_i phi'_ki)
  for (std::size_t k = 0; k < nk; ++k)
    for (std::size_t i = 0; i < nq; ++i) back[k] += a[i] * e.previous[k][i] + b[i] * e.previous_derivative[k][i];
  for (std::size_t k = 0; k < nk; ++k)
    for (std::size_t i = 0; i < nq; ++i) a[i] -= back[k] * m_quad_w[i] * e.previous[k][i];
  // psi = G + D N, psi' = G' + D' N + D N' (soft: psi = N)
  const bool hard = m_hard & 1u;
  const int chunk = m_opts.chunk, cd = pde::canonical_d(0);
  auto adj_h = Kokkos::create_mirror_view(m_adj);
  auto aux_h = Kokkos::create_mirror_view_and_copy(HostSpace(), m_aux_quad);
  for (int off = 0; off < int(nq); off += chunk) {
    const int n = std::min(chunk, int(nq) - off);
    m_jet_quad->forward(m_x_quad.data() + off, n);
    for (int p = 0; p < n; ++p) {
      const std::size_t i = std::size_t(off + p);
      const T* D = aux_h.data() + i * kConditionAux + 2 + pde::kCanonical;
      const double d0 = hard ? double(D[0]) : 1.0, d1 = hard ? double(D[cd]) : 0.0;
      adj_h(p) = T(a[i] * d0 + b[i] * d1);
      adj_h(n + p) = T(b[i] * d0);
    }
    Kokkos::deep_copy(m_adj, adj_h);
    m_jet_quad->backward(m_x_quad.data() + off, n, m_adj.data(), grad);
  }
}

// the members defined here, for both precisions (the rest of Pinn is instantiated in pinn.cpp)
#define NPDE_PINN_EIGEN(T) \
  template std::vector<double> Pinn<T>::quadrature_values(bool derivative); \
  template double Pinn<T>::quadrature_norm2(const std::vector<double>& values) const; \
  template double Pinn<T>::rayleigh_quotient(); \
  template void Pinn<T>::eigen_loss(const std::vector<double>& psi, double q, T* grad, T* grad_q, std::vector<double>& terms); \
  template void Pinn<T>::energy_loss(const std::vector<double>& psi_in, T* grad, std::vector<double>& coef_grad, std::vector<double>& terms);

NPDE_PINN_EIGEN(double)
NPDE_PINN_EIGEN(float)
#undef NPDE_PINN_EIGEN

}  // namespace npde::pinn
