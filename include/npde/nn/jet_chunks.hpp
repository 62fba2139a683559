// SPDX-License-Identifier: BSD-3-Clause
// JetMlp over a point set of any size, in chunks that keep each chunk's jets in cache.
#pragma once

#include <algorithm>
#include <memory>
#include <vector>

#include "npde/core/types.hpp"
#include "npde/nn/jet_mlp.hpp"

namespace npde::nn {

/// The jets of a network at a fixed set of up to `max_points` points, run chunk by chunk: each chunk
/// of at most `chunk` points goes through all layers before the next (its activations stay in cache
/// from one layer to the next; one pass over thousands of points streams every layer's jets through
/// memory: FBPINN's 2-16-16-1 Helmholtz networks took 690-1120 ns per point at 4096-16384 points in
/// one pass, 600-700 in 256-point chunks, docs/benchmarks.md). Every chunk keeps its own activations, so the
/// reverse pass may come after other work (the multi-domain models exchange and blend the jets of all
/// points first). The interface is JetMlp's: output() and the adjoint of backward() are one
/// (n_outputs, n_channels * n) column-major array over all n points; with one chunk JetMlp's own
/// buffers are used, without copies.
template <class T>
class JetChunks {
 public:
  /// [in] net: the network (held by reference, as JetMlp). [in] spec: channels. [in] max_points: the
  /// largest point set. [in] chunk: points per chunk (>= 1).
  JetChunks(const Mlp<T>& net, const JetSpec& spec, int max_points, int chunk);

  int n_channels() const { return m_jets.front()->n_channels(); }
  int n_outputs() const { return m_jets.front()->n_outputs(); }
  int chunk() const { return m_chunk; }
  /// Chunks of a pass over n points (chunk k: points k chunk() .. min(n, (k + 1) chunk()) - 1).
  int chunks(int n) const { return std::max(1, (n + m_chunk - 1) / m_chunk); }
  /// Forward jets at n <= max_points points, x (n_inputs, n) column-major.
  void forward(const T* x, int n) { forward(x, n, 0, chunks(n)); }
  /// Chunks [k0, k1) of a forward at n points (their outputs written; the others keep what they held):
  /// a caller can send some chunks' jets before it computes the rest.
  void forward(const T* x, int n, int k0, int k1);
  /// Output jets of the last forward: output o, channel c, point p at o + n_outputs (c n + p).
  const T* output() const { return m_chunks > 1 ? m_out.data() : m_jets.front()->output(); }
  /// Reverse pass of the last forward(x, n): adj in output()'s layout; dLoss/dparams ADDED to grad.
  void backward(const T* x, int n, const T* adj, T* grad) { backward(x, n, adj, grad, 0, chunks(n)); }
  /// Chunks [k0, k1) of that reverse pass (only their part of adj is read), in the order given: a
  /// caller can start on the chunks whose adjoints it has while others are on their way.
  void backward(const T* x, int n, const T* adj, T* grad, int k0, int k1);

 private:
  int m_chunk, m_max, m_chunks = 0, m_n = 0, m_n_in;
  std::vector<std::unique_ptr<JetMlp<T>>> m_jets;  ///< one per chunk
  View1<T> m_out;                                  ///< all chunks' outputs (more than one chunk)
  View1<T> m_adj;                                  ///< one chunk's adjoint (more than one chunk)
};

extern template class JetChunks<double>;
extern template class JetChunks<float>;

}  // namespace npde::nn
