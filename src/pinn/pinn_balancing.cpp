// SPDX-License-Identifier: BSD-3-Clause
// Pinn's loss balancing: learning-rate annealing and grad-norm weights from per-term gradient
// statistics (one extra allreduce on update iterations).
#include "npde/pinn/pinn.hpp"

#include <algorithm>
#include <cmath>

namespace npde::pinn {

template <class T>
void Pinn<T>::update_balancing() {
  // 1. per term k, the gradient of its unweighted value (weight 1 / N) on this rank's points
  const std::size_t nt = m_term_names.size(), nn = m_net.n_params();
  std::vector<double> all(nt * nn, 0.0);
  const std::vector<double> weights = m_term_weights;
  View1<T> gk("npde::pinn::Pinn::term_grad", n_params());
  for (std::size_t k = 0; k < nt; ++k) {
    if (weights[k] == 0) continue;  // switched off (a stage's weight 0): stays off
    Kokkos::deep_copy(gk, T(0));
    std::vector<double> terms(nt, 0.0), coef_grad(m_trained.size(), 0.0);
    if (int(k) < m_n_res) {
      T scale[kMaxResiduals];
      for (int j = 0; j < m_n_res; ++j) scale[j] = T(j == int(k) ? 1.0 / double(m_n_interior) : 0.0);
      interior_loss(scale, gk.data(), terms, coef_grad);
    } else {
      m_term_weights.assign(nt, 0.0);
      m_term_weights[k] = 1.0;
      for (auto& set : m_sets)
        if (set.term == int(k)) condition_loss(set, gk.data(), terms[k]);
      m_term_weights = weights;
    }
    Kokkos::fence();
    auto h = Kokkos::create_mirror_view_and_copy(HostSpace(), gk);
    for (std::size_t i = 0; i < nn; ++i) all[k * nn + i] = double(h(i));
  }
  m_comm.allreduce_sum(all.data(), all.size());  // the one extra allreduce of an update
  // 2. new weights, then the moving average w <- m w + (1 - m) w_new
  std::vector<double> fresh(weights);
  const auto* g = all.data();
  if (m_opts.balancing == PinnOptions::Balancing::GradNorm) {
    // jaxpi: w_k = mean_j |grad L_j| / (|grad L_k| + 1e-5 mean_j |grad L_j|) over the active terms
    std::vector<double> norm(nt, 0.0);
    double mean = 0;
    int active = 0;
    for (std::size_t k = 0; k < nt; ++k) {
      if (weights[k] == 0) continue;
      for (std::size_t i = 0; i < nn; ++i) norm[k] += g[k * nn + i] * g[k * nn + i];
      norm[k] = std::sqrt(norm[k]);
      mean += norm[k];
      ++active;
    }
    mean /= std::max(active, 1);
    for (std::size_t k = 0; k < nt; ++k)
      if (weights[k] != 0) fresh[k] = mean / (norm[k] + 1e-5 * mean);
  } else {
    // learning-rate annealing (the gradient-pathologies paper's code): over the weight matrices
    // (not the biases), max |d L_r / dW| of the residual terms' sum L_r divided by the mean over the
    // layers of the mean |d (w_k L_k) / dW| (per_layer: the largest over the matrices of that
    // matrix's max over its mean); the residual terms keep their weights. Shared: the same for each
    // group's sum sum_k w_k L_k, and the group's factor lambda = w_k / (deck weight of k) follows it.
    auto dense = m_net.dense_layers();  // the main layers, then a gated network's two encoders
    if (!m_opts.balance_encoders) dense.resize(std::size_t(m_net.n_layers()));
    // per weight matrix, max |d L_r / dW| (L_r's gradient the sum of the residual terms')
    std::vector<double> layer_max(dense.size(), 0.0);
    for (std::size_t l = 0; l < dense.size(); ++l)
      for (std::size_t i = dense[l].w; i < dense[l].b; ++i) {
        double s = 0;
        for (int j = 0; j < m_n_res; ++j) s += g[std::size_t(j) * nn + i];
        layer_max[l] = std::max(layer_max[l], std::abs(s));
      }
    const double max_r = *std::max_element(layer_max.begin(), layer_max.end());
    std::vector<std::vector<std::size_t>> units;  // the terms each new value is computed for
    for (std::size_t k = std::size_t(m_n_res); k < nt; ++k) {
      if (weights[k] == 0 || (m_opts.balance_shared && m_base_weights[k] == 0)) continue;
      auto u = std::find_if(units.begin(), units.end(), [&](const std::vector<std::size_t>& v) {
        return m_opts.balance_shared && m_term_groups[v[0]] == m_term_groups[k];
      });
      if (u == units.end())
        units.push_back({k});
      else
        u->push_back(k);
    }
    for (const auto& unit : units) {
      auto weighted = [&](std::size_t i) {
        double s = 0;
        for (std::size_t k : unit) s += weights[k] * g[k * nn + i];
        return std::abs(s);
      };
      double ratio = 0, mean = 0;
      for (std::size_t l = 0; l < dense.size(); ++l) {
        double layer = 0;
        for (std::size_t i = dense[l].w; i < dense[l].b; ++i) layer += weighted(i);
        layer /= double(dense[l].b - dense[l].w);
        mean += layer / double(dense.size());
        if (layer > 0) ratio = std::max(ratio, layer_max[l] / layer);
      }
      const double lambda_hat = m_opts.balance_per_layer ? ratio : (mean > 0 ? max_r / mean : 0.0);
      if (!(lambda_hat > 0) || !std::isfinite(lambda_hat)) continue;
      if (!m_opts.balance_shared) {
        fresh[unit[0]] = lambda_hat;
        continue;
      }
      // w_k = lambda b_k (b_k the deck's weight) for the group's lambda: the moving average below
      // gives m lambda b_k + (1 - m) lambda_hat b_k
      for (std::size_t k : unit) fresh[k] = lambda_hat * m_base_weights[k];
    }
  }
  const double m = m_opts.balance_momentum;
  for (std::size_t k = 0; k < nt; ++k)
    if (weights[k] != 0 && std::isfinite(fresh[k])) m_term_weights[k] = m * weights[k] + (1 - m) * fresh[k];
}

// the members defined here, for both precisions (the rest of Pinn is instantiated in pinn.cpp)
#define NPDE_PINN_BALANCING(T) \
  template void Pinn<T>::update_balancing();

NPDE_PINN_BALANCING(double)
NPDE_PINN_BALANCING(float)
#undef NPDE_PINN_BALANCING

}  // namespace npde::pinn
