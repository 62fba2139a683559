// SPDX-License-Identifier: BSD-3-Clause
// JetChunks: JetMlp chunk by chunk over one point set.
#include "npde/nn/jet_chunks.hpp"

#include <algorithm>

#include "npde/core/error.hpp"

namespace npde::nn {

namespace {
/// dst[i] = src[i], i < count (both in MemSpace).
template <class T>
void copy_block(T* dst, const T* src, long count) {
  if (count > 0) Kokkos::deep_copy(UView1<T>(dst, std::size_t(count)), UView1<const T>(src, std::size_t(count)));
}
}  // namespace

template <class T>
JetChunks<T>::JetChunks(const Mlp<T>& net, const JetSpec& spec, int max_points, int chunk)
    : m_chunk(chunk), m_max(max_points), m_n_in(net.raw_inputs()) {
  NPDE_REQUIRE(chunk >= 1 && max_points >= 1, "JetChunks: chunk " << chunk << ", max_points " << max_points);
  const int k = (max_points + chunk - 1) / chunk;
  for (int i = 0; i < k; ++i) {
    m_jets.push_back(std::make_unique<JetMlp<T>>(net, spec, std::min(chunk, max_points - i * chunk)));
    // the reverse passes run one chunk at a time: one set of scratch for all, kept warm in cache
    if (i > 0) m_jets.back()->share_scratch(*m_jets.front());
  }
  if (k > 1) {
    const std::size_t per_point = std::size_t(n_outputs()) * std::size_t(n_channels());
    m_out = View1<T>(Kokkos::view_alloc(Kokkos::WithoutInitializing, "npde::nn::JetChunks::out"),
                     per_point * std::size_t(max_points));
    m_adj = View1<T>(Kokkos::view_alloc(Kokkos::WithoutInitializing, "npde::nn::JetChunks::adj"),
                     per_point * std::size_t(chunk));
  }
}

template <class T>
void JetChunks<T>::forward(const T* x, int n, int k0, int k1) {
  NPDE_REQUIRE(n >= 0 && n <= m_max, "JetChunks::forward: " << n << " points, capacity " << m_max);
  m_n = n;
  m_chunks = chunks(n);
  NPDE_REQUIRE(0 <= k0 && k0 <= k1 && k1 <= m_chunks,
               "JetChunks::forward: chunks [" << k0 << ", " << k1 << ") of " << m_chunks);
  if (m_chunks == 1) {
    if (k1 > k0) m_jets.front()->forward(x, n);
    return;
  }
  const long NO = n_outputs(), C = n_channels();
  for (int k = k0; k < k1; ++k) {
    const int off = k * m_chunk, nk = std::min(m_chunk, n - off);
    JetMlp<T>& jet = *m_jets[std::size_t(k)];
    jet.forward(x + long(off) * m_n_in, nk);
    for (long c = 0; c < C; ++c)  // channel c of the chunk: NO nk values, contiguous on both sides
      copy_block(m_out.data() + NO * (c * n + off), jet.output() + NO * c * nk, NO * nk);
  }
}

template <class T>
void JetChunks<T>::backward(const T* x, int n, const T* adj, T* grad, int k0, int k1) {
  NPDE_REQUIRE(n == m_n, "JetChunks::backward: " << n << " points after a forward at " << m_n);
  NPDE_REQUIRE(0 <= k0 && k0 <= k1 && k1 <= m_chunks,
               "JetChunks::backward: chunks [" << k0 << ", " << k1 << ") of " << m_chunks);
  if (m_chunks == 1) {
    if (k1 > k0) m_jets.front()->backward(x, n, adj, grad);
    return;
  }
  const long NO = n_outputs(), C = n_channels();
  for (int k = k0; k < k1; ++k) {
    const int off = k * m_chunk, nk = std::min(m_chunk, n - off);
    for (long c = 0; c < C; ++c) copy_block(m_adj.data() + NO * c * nk, adj + NO * (c * n + off), NO * nk);
    m_jets[std::size_t(k)]->backward(x + long(off) * m_n_in, nk, m_adj.data(), grad);
  }
}

template class JetChunks<double>;
template class JetChunks<float>;

}  // namespace npde::nn
