// SPDX-License-Identifier: BSD-3-Clause
// Mlp construction and initialisation.
#include "npde/nn/mlp.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

#include "npde/core/error.hpp"
#include "npde/core/rng.hpp"

namespace npde::nn {

template <class T>
Mlp<T>::Mlp(int n_in, const std::vector<int>& hidden, int n_out, Activation activation) : m_activation(activation) {
  NPDE_REQUIRE(n_in >= 1 && n_out >= 1, "n_in = " << n_in << ", n_out = " << n_out);
  m_widths.push_back(n_in);
  for (int w : hidden) {
    NPDE_REQUIRE(w >= 1, "hidden width " << w);
    m_widths.push_back(w);
  }
  m_widths.push_back(n_out);
  for (int l = 0; l < n_layers(); ++l) {
    m_offsets.push_back(m_n_params);
    m_n_params += std::size_t(m_widths[l + 1]) * (m_widths[l] + 1);
  }
  m_params = View1<T>("npde::nn::Mlp::params", m_n_params);
}

template <class T>
int Mlp<T>::max_width() const {
  return *std::max_element(m_widths.begin(), m_widths.end());
}

template <class T>
std::size_t Mlp<T>::macs_per_point() const {
  std::size_t s = 0;
  for (int l = 0; l < n_layers(); ++l) s += std::size_t(m_widths[l]) * m_widths[l + 1];
  return s;
}

template <class T>
void Mlp<T>::set_embedding(InputEmbedding embedding) {
  NPDE_REQUIRE(embedding.empty() || embedding.n_features() == n_inputs(),
               "an embedding of " << embedding.n_features() << " features for " << n_inputs() << " network inputs");
  for (const auto& f : embedding.features)
    NPDE_REQUIRE(int(f.omega.size()) == embedding.n_inputs, "a feature with " << f.omega.size() << " frequencies for "
                                                                            << embedding.n_inputs << " inputs");
  m_embedding = std::move(embedding);
}

template <class T>
void Mlp<T>::use_storage(const View1<T>& storage) {
  NPDE_REQUIRE(storage.extent(0) == m_n_params, "storage of " << storage.extent(0) << " for " << m_n_params
                                                                << " parameters");
  Kokkos::deep_copy(storage, m_params);
  m_params = storage;
}

template <class T>
void Mlp<T>::init_glorot(std::uint64_t seed) {
  auto host = Kokkos::create_mirror_view(m_params);
  for (int l = 0; l < n_layers(); ++l) {
    const int fan_in = m_widths[l], fan_out = m_widths[l + 1];
    const double a = std::sqrt(6.0 / (fan_in + fan_out));
    const std::size_t w0 = weight_offset(l), b0 = bias_offset(l);
    for (std::size_t i = w0; i < b0; ++i) host(i) = T(a * (2.0 * rng::uniform(seed, rng::StreamInit, i) - 1.0));
    for (int i = 0; i < fan_out; ++i) host(b0 + i) = T(0);
  }
  Kokkos::deep_copy(m_params, host);
}

template class Mlp<double>;
template class Mlp<float>;

}  // namespace npde::nn
