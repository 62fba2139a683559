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
Mlp<T>::Mlp(int n_in, const std::vector<int>& hidden, int n_out, Activation activation, Architecture architecture)
    : m_activation(activation), m_architecture(architecture) {
  NPDE_REQUIRE(n_in >= 1 && n_out >= 1, "n_in = " << n_in << ", n_out = " << n_out);
  if (architecture != Architecture::Plain) {
    const char* name = architecture == Architecture::Pirate ? "a PirateNet" : "a modified MLP";
    NPDE_REQUIRE(!hidden.empty(), name << " needs at least one hidden layer");
    for (int w : hidden)
      NPDE_REQUIRE(w == hidden.front(), name << " needs equal hidden widths, got " << hidden.front() << " and " << w);
  }
  if (architecture == Architecture::Pirate) {
    NPDE_REQUIRE(hidden.size() % 3 == 0, "a PirateNet has blocks of 3 hidden layers, got " << hidden.size() << " layers");
    NPDE_REQUIRE(n_in == hidden.front(), "a PirateNet's input (" << n_in << " features) must be as wide as its hidden layers ("
                                                                  << hidden.front() << ")");
  }
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
  m_encoder_offset = m_n_params;
  if (gated()) m_n_params += 2 * std::size_t(m_widths[1]) * (m_widths[0] + 1);
  m_alpha_offset = m_n_params;
  m_n_params += std::size_t(n_blocks());  // alpha = 0: each block starts as the identity
  m_gaussian_offset = m_n_params;
  m_params = View1<T>("npde::nn::Mlp::params", m_n_params);
}

template <class T>
int Mlp<T>::max_width() const {
  return *std::max_element(m_widths.begin(), m_widths.end());
}

template <class T>
std::size_t Mlp<T>::macs_per_point() const {
  std::size_t s = 0;
  for (const DenseLayer& d : dense_layers()) s += std::size_t(d.in) * d.out;
  return s;
}

template <class T>
DenseLayer Mlp<T>::encoder(int k) const {
  NPDE_REQUIRE(gated() && (k == 0 || k == 1), "encoder " << k << " of a network without encoders");
  DenseLayer d;
  d.out = m_widths[1];
  d.in = m_widths[0];
  d.w = m_encoder_offset + std::size_t(k) * std::size_t(d.out) * (d.in + 1);
  d.b = d.w + std::size_t(d.out) * d.in;
  return d;
}

template <class T>
std::vector<DenseLayer> Mlp<T>::dense_layers() const {
  std::vector<DenseLayer> out;
  for (int l = 0; l < n_layers(); ++l) out.push_back({weight_offset(l), bias_offset(l), m_widths[l + 1], m_widths[l]});
  if (gated()) {
    out.push_back(encoder(0));
    out.push_back(encoder(1));
  }
  return out;
}

Architecture architecture_from_name(const std::string& name, const std::string& what) {
  if (name == "mlp") return Architecture::Plain;
  if (name == "modified_mlp") return Architecture::Modified;
  if (name == "pirate") return Architecture::Pirate;
  NPDE_INPUT_ERROR(what << ": unknown architecture '" << name << "' (mlp, modified_mlp, pirate)");
}

std::string to_string(Architecture a) {
  return a == Architecture::Modified ? "modified_mlp" : a == Architecture::Pirate ? "pirate" : "mlp";
}

template <class T>
void Mlp<T>::set_output_map(OutputMap map) {
  if (map == OutputMap::StreamFunction)
    NPDE_REQUIRE(raw_inputs() >= 2, "a stream function needs two inputs (x, y), the network has " << raw_inputs());
  m_output_map = map;
}

template <class T>
void Mlp<T>::set_embedding(InputEmbedding embedding) {
  NPDE_REQUIRE(embedding.empty() || embedding.n_features() == n_inputs(),
               "an embedding of " << embedding.n_features() << " features for " << n_inputs() << " network inputs");
  for (const auto& f : embedding.features)
    NPDE_REQUIRE(int(f.omega.size()) == embedding.n_inputs, "a feature with " << f.omega.size() << " frequencies for "
                                                                            << embedding.n_inputs << " inputs");
  const GaussianFeatures& g = embedding.gaussians;
  const std::size_t kd = std::size_t(g.count) * std::size_t(embedding.n_inputs);
  if (embedding.gaussian()) {
    NPDE_REQUIRE(embedding.features.empty(), "Gaussian features do not combine with fixed features");
    NPDE_REQUIRE(!pirate(), "a PirateNet takes Fourier features, not Gaussian features");
    NPDE_REQUIRE(embedding.n_inputs <= kMaxGaussianInputs,
                 "Gaussian features take at most " << kMaxGaussianInputs << " inputs");
    NPDE_REQUIRE(g.mu.size() == kd && g.sigma.size() == kd, "Gaussian features: " << g.mu.size() << " centre and "
                                                                << g.sigma.size() << " width entries for " << kd);
  }
  m_n_params = m_gaussian_offset + 2 * kd;
  if (m_params.extent(0) != m_n_params) Kokkos::resize(m_params, m_n_params);
  if (kd > 0) {
    auto h = Kokkos::create_mirror_view_and_copy(HostSpace(), m_params);
    for (std::size_t i = 0; i < kd; ++i) {
      NPDE_REQUIRE(g.sigma[i] > 0, "Gaussian feature width " << g.sigma[i]);
      h(m_gaussian_offset + i) = T(g.mu[i]);
      h(m_gaussian_offset + kd + i) = T(std::log(g.sigma[i]));
    }
    Kokkos::deep_copy(m_params, h);
  }
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
void Mlp<T>::init_glorot(std::uint64_t seed, bool random_encoder_biases) {
  NPDE_REQUIRE(!random_encoder_biases || gated(), "random encoder biases for a network without encoders");
  auto host = Kokkos::create_mirror_view(m_params);
  auto draw = [&](std::size_t i, double a) { return T(a * (2.0 * rng::uniform(seed, rng::StreamInit, i) - 1.0)); };
  for (const DenseLayer& d : dense_layers()) {
    const double a = std::sqrt(6.0 / (d.in + d.out));
    for (std::size_t i = d.w; i < d.b; ++i) host(i) = draw(i, a);
    for (int i = 0; i < d.out; ++i) host(d.b + i) = T(0);
  }
  if (random_encoder_biases)
    for (int k = 0; k < 2; ++k) {
      const DenseLayer d = encoder(k);
      const double a = std::sqrt(6.0 / (1 + d.out));
      for (int i = 0; i < d.out; ++i) host(d.b + i) = draw(d.b + std::size_t(i), a);
    }
  for (int b = 0; b < n_blocks(); ++b) host(m_alpha_offset + std::size_t(b)) = T(0);
  Kokkos::deep_copy(m_params, host);
}

template class Mlp<double>;
template class Mlp<float>;

}  // namespace npde::nn
