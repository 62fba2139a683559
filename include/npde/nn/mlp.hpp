// SPDX-License-Identifier: BSD-3-Clause
// Multilayer perceptron: architecture and all parameters in one flat View.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "npde/core/types.hpp"
#include "npde/nn/activation.hpp"
#include "npde/nn/embedding.hpp"

namespace npde::nn {

/// How the hidden layers are wired (`network.architecture`, docs/numerics.md "Architectures").
enum class Architecture {
  Plain,     ///< h <- sigma(W h + b)
  Modified,  ///< the modified MLP: U = sigma(W_u x + b_u), V = sigma(W_v x + b_v) from the network
             ///< input x; every hidden layer h <- S (.) U + (1 - S) (.) V with S = sigma(W h + b)
  Pirate,    ///< PirateNet blocks of three layers: two gated as Modified, the third sigma(W h + b)
             ///< mixed with the block's input by a trainable alpha (initially 0): x <- alpha h + (1 - alpha) x
};

/// What the model's outputs are in terms of the network's (`network.output`, docs/numerics.md "Stream
/// function"). Every jet of the network (JetMlp) delivers the model's outputs.
enum class OutputMap {
  Fields,          ///< the network's outputs themselves
  StreamFunction,  ///< network output 0 is a stream function psi of inputs x, y (0 and 1): the model's
                   ///< outputs are u = psi_y, v = -psi_x, then the network's outputs 1, 2, ... (so the
                   ///< velocity is divergence free by construction; its jets need psi one order higher)
};

/// "mlp" | "modified_mlp" | "pirate" -> Architecture; throws InputError naming `what` otherwise.
Architecture architecture_from_name(const std::string& name, const std::string& what);
std::string to_string(Architecture a);

/// One dense (affine) map of the network: W (out x in, column-major) at offset w, b (out) at b.
struct DenseLayer {
  std::size_t w = 0, b = 0;
  int out = 0, in = 0;
};

/// Fully connected network n_in -> hidden... -> n_out with `activation` after every hidden layer
/// and a linear output layer. Parameters live in one contiguous View so that MPI reduces one
/// buffer and a checkpoint writes one array. Layer l stores W_l (column-major, width[l+1] x width[l])
/// followed by b_l (width[l+1]); a modified MLP appends its two encoders (W_u, b_u, W_v, b_v), so
/// the layers keep the offsets of the plain network.
template <class T>
class Mlp {
 public:
  using value_type = T;
  Mlp() = default;
  /// Modified: every hidden width must be the same (the gates mix U and V into each layer).
  /// Pirate: also a multiple of 3 hidden layers, and n_in equal to the width (the first block adds its
  /// input, the embedding's features, to its output).
  Mlp(int n_in, const std::vector<int>& hidden, int n_out, Activation activation,
      Architecture architecture = Architecture::Plain);

  /// Inputs of the first layer (the embedding's features when there is one).
  int n_inputs() const { return m_widths.front(); }
  /// Inputs the caller gives (the coordinates): the embedding's n_inputs, else n_inputs().
  int raw_inputs() const { return m_embedding.empty() ? n_inputs() : m_embedding.n_inputs; }
  /// An embedding in front of the first layer; its feature count must be n_inputs(). Gaussian
  /// features add their centres and log-widths to the parameters (at gaussian_offset(): mu, K x d
  /// row by row, then log sigma, the same shape), set from the embedding's initial values.
  void set_embedding(InputEmbedding embedding);
  const InputEmbedding& embedding() const { return m_embedding; }
  int n_outputs() const { return m_widths.back(); }
  /// How the model's outputs come from the network's (set before any JetMlp of this network is made).
  void set_output_map(OutputMap map);
  OutputMap output_map() const { return m_output_map; }
  /// The model's outputs: n_outputs(), plus one for a stream function (psi -> u, v).
  int n_model_outputs() const { return n_outputs() + (m_output_map == OutputMap::StreamFunction ? 1 : 0); }
  int n_layers() const { return static_cast<int>(m_widths.size()) - 1; }
  /// widths[0] = n_in, widths[n_layers] = n_out.
  const std::vector<int>& widths() const { return m_widths; }
  int max_width() const;
  Activation activation() const { return m_activation; }
  Architecture architecture() const { return m_architecture; }
  bool modified() const { return m_architecture == Architecture::Modified; }
  bool pirate() const { return m_architecture == Architecture::Pirate; }
  /// Whether hidden layers are gated by encoders U and V (modified MLP, PirateNet).
  bool gated() const { return m_architecture != Architecture::Plain; }
  /// PirateNet: number of blocks, and the offset of alpha of block b (alpha_offset() + b).
  int n_blocks() const { return pirate() ? (n_layers() - 1) / 3 : 0; }
  std::size_t alpha_offset() const { return m_alpha_offset; }
  /// Gaussian features: offset of their parameters (2 * count * raw_inputs(), see set_embedding).
  std::size_t gaussian_offset() const { return m_gaussian_offset; }
  /// Encoder k (0: U, 1: V) of a gated network.
  DenseLayer encoder(int k) const;
  /// Every dense map: the layers in order, then the encoders. Weight factorisation and the
  /// annealing rule's statistics run over these.
  std::vector<DenseLayer> dense_layers() const;
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
  /// random_encoder_biases: the gated networks' encoder biases drawn as a 1 x width Glorot matrix,
  /// U(-a, a) with a = sqrt(6/(1 + width)) (the gradient-pathologies code's Xavier-normal biases have
  /// the same variance), instead of zero.
  void init_glorot(std::uint64_t seed, bool random_encoder_biases = false);

  /// Useful multiply-adds of one value-channel pass: sum_l widths[l]*widths[l+1].
  std::size_t macs_per_point() const;

 private:
  std::vector<int> m_widths;
  std::vector<std::size_t> m_offsets;
  std::size_t m_n_params = 0;
  Activation m_activation = Activation::Tanh;
  Architecture m_architecture = Architecture::Plain;
  OutputMap m_output_map = OutputMap::Fields;
  std::size_t m_encoder_offset = 0;  ///< W_u of a gated network
  std::size_t m_alpha_offset = 0;    ///< PirateNet: the blocks' alphas, after the encoders
  std::size_t m_gaussian_offset = 0; ///< Gaussian features' mu and log sigma, after the alphas
  InputEmbedding m_embedding;
  View1<T> m_params;
};

}  // namespace npde::nn
