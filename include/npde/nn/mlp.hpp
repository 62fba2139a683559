// SPDX-License-Identifier: BSD-3-Clause
// Multilayer perceptron: architecture and all parameters in one flat View.
#pragma once

#include <cstdint>
#include <vector>

#include "npde/core/types.hpp"
#include "npde/nn/activation.hpp"
#include "npde/nn/embedding.hpp"

namespace npde::nn {

/// Fully connected network n_in -> hidden... -> n_out with `activation` after every hidden layer
/// and a linear output layer. Parameters live in one contiguous View so that MPI reduces one
/// buffer and a checkpoint writes one array. Layer l stores W_l (column-major, width[l+1] x width[l])
/// followed by b_l (width[l+1]).
template <class T>
class Mlp {
 public:
  using value_type = T;
  Mlp() = default;
  Mlp(int n_in, const std::vector<int>& hidden, int n_out, Activation activation);

  /// Inputs of the first layer (the embedding's features when there is one).
  int n_inputs() const { return m_widths.front(); }
  /// Inputs the caller gives (the coordinates): the embedding's n_inputs, else n_inputs().
  int raw_inputs() const { return m_embedding.empty() ? n_inputs() : m_embedding.n_inputs; }
  /// A fixed embedding in front of the first layer; its feature count must be n_inputs().
  void set_embedding(InputEmbedding embedding);
  const InputEmbedding& embedding() const { return m_embedding; }
  int n_outputs() const { return m_widths.back(); }
  int n_layers() const { return static_cast<int>(m_widths.size()) - 1; }
  /// widths[0] = n_in, widths[n_layers] = n_out.
  const std::vector<int>& widths() const { return m_widths; }
  int max_width() const;
  Activation activation() const { return m_activation; }
  std::size_t n_params() const { return m_n_params; }
  /// Offset of W_l in params(); b_l follows at weight_offset(l) + widths[l+1]*widths[l].
  std::size_t weight_offset(int l) const { return m_offsets[l]; }
  std::size_t bias_offset(int l) const { return m_offsets[l] + std::size_t(m_widths[l + 1]) * m_widths[l]; }

  /// Flat parameter View (n_params), device memory.
  const View1<T>& params() const { return m_params; }

  /// Moves the parameters into `storage` (n_params entries of device memory, e.g. the front of a
  /// larger flat vector that also holds other trainable scalars); the current values are copied and
  /// params() views `storage` from now on (the caller keeps it alive).
  void use_storage(const View1<T>& storage);

  /// Glorot-uniform weights U(-a, a), a = sqrt(6/(fan_in+fan_out)), zero biases; entry i uses the
  /// counter-based generator at (seed, StreamInit, i), so the result is independent of rank count.
  void init_glorot(std::uint64_t seed);

  /// Useful multiply-adds of one value-channel pass: sum_l widths[l]*widths[l+1].
  std::size_t macs_per_point() const;

 private:
  std::vector<int> m_widths;
  std::vector<std::size_t> m_offsets;
  std::size_t m_n_params = 0;
  Activation m_activation = Activation::Tanh;
  InputEmbedding m_embedding;
  View1<T> m_params;
};

}  // namespace npde::nn
