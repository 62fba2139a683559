// SPDX-License-Identifier: BSD-3-Clause
// Which derivative channels a forward jet carries (see docs/numerics.md, "Forward jets").
#pragma once

#include <array>
#include <string>
#include <utility>
#include <vector>

namespace npde::nn {

/// Maximum number of tangent (first-derivative) channels and mixed second-order channels. 64 tangents
/// let stochastic dimension sampling carry up to 64 sampled dimensions in one pass.
inline constexpr int kMaxTangents = 64;
inline constexpr int kMaxMixed = 16;
/// Maximum number of third-order channels (all ten of three inputs fit).
inline constexpr int kMaxThird = 16;
/// Upper bound of channels: value + tangents + one Laplacian + per-tangent second derivatives + mixed
/// + third order.
inline constexpr int kMaxChannels = 2 + 2 * kMaxTangents + kMaxMixed + kMaxThird;

/// Channel layout of a jet. Second-order content is chosen per tangent, so a space-time PDE pays only
/// for the derivatives it uses (Burgers: u_xx but no u_tt; heat: u_xx + u_yy but no u_tt).
/// Channel order: 0 the value; 1..n_tangents du/dx_{tangents[k]}; then the Laplacian channel (sum of
/// d2u/dx_{tangents[k]}^2 over k in `laplacian_terms`) if that list is not empty; then one channel
/// d2u/dx_{tangents[k]}^2 per entry k of `diagonal_terms`, in that order; then one channel
/// d2u/dx_a dx_b per mixed pair; then one channel d3u/dx_a dx_b dx_c per third-order triple. Every
/// second- and third-order entry names POSITIONS in `tangents`, not input dimensions (find_tangent()
/// converts). A triple (a <= b <= c) needs the second-order channels of its three pairs (diagonal
/// for a repeated position, mixed otherwise): the chain rule combines them.
struct JetSpec {
  int n_inputs = 1;                        ///< input dimension of the network
  std::vector<int> tangents;               ///< input dimensions that get a tangent channel
  std::vector<int> laplacian_terms;        ///< positions in `tangents` summed into ONE Laplacian channel
  std::vector<int> diagonal_terms;         ///< positions in `tangents` that get their own d2/dx^2 channel
  std::vector<std::pair<int, int>> mixed;  ///< pairs of positions in `tangents` (a < b)
  std::vector<std::array<int, 3>> third;   ///< triples of positions in `tangents` (a <= b <= c)

  /// Value only.
  static JetSpec value_only(int n_inputs);
  /// Value and all first derivatives; add second-order terms to the lists as the PDE needs them.
  static JetSpec first_order(int n_inputs);
  /// Value, all first derivatives and the Laplacian over all of them (the forward-Laplacian jet).
  static JetSpec laplacian(int n_inputs);
  /// Value, all first derivatives and all diagonal second derivatives.
  static JetSpec diagonal(int n_inputs);

  int n_tangents() const { return static_cast<int>(tangents.size()); }
  bool has_laplacian() const { return !laplacian_terms.empty(); }
  int n_diagonal() const { return static_cast<int>(diagonal_terms.size()); }
  int n_mixed() const { return static_cast<int>(mixed.size()); }
  int n_third() const { return static_cast<int>(third.size()); }
  /// Number of Laplacian and diagonal channels (the mixed ones come after them).
  int n_second() const { return (has_laplacian() ? 1 : 0) + n_diagonal(); }
  int n_channels() const { return 1 + n_tangents() + n_second() + n_mixed() + n_third(); }
  /// Channel of d/dx_{tangents[k]}.
  int tangent_channel(int k) const { return 1 + k; }
  /// Channel of the Laplacian, or -1 without one.
  int laplacian_channel() const { return has_laplacian() ? 1 + n_tangents() : -1; }
  /// Channel of d2/dx_{tangents[diagonal_terms[i]]}^2: i indexes `diagonal_terms` (find_diagonal()).
  int diagonal_channel(int i) const { return 1 + n_tangents() + (has_laplacian() ? 1 : 0) + i; }
  /// Channel of mixed pair m.
  int mixed_channel(int m) const { return 1 + n_tangents() + n_second() + m; }
  /// Channel of third-order triple m.
  int third_channel(int m) const { return 1 + n_tangents() + n_second() + n_mixed() + m; }
  /// Channel of d2/dx_{tangents[a]} dx_{tangents[b]} (positions; a diagonal one for a == b), or -1.
  int second_channel(int a, int b) const;
  /// Position of input dimension `input_dim` in `tangents`, or -1.
  int find_tangent(int input_dim) const;
  /// Index i into `diagonal_terms` of tangent position `tangent_pos`, or -1.
  int find_diagonal(int tangent_pos) const;
  /// Throws npde::Error if the spec is inconsistent: bounds, duplicates (tangents, Laplacian and
  /// diagonal terms, mixed pairs), pair order.
  void validate() const;
  /// One line for logs, e.g. "value + 2 tangents (x0 x1) + 1 diagonal (x0) (4 channels)".
  std::string describe() const;
};

/// One term of a linear map from a network's jets to a model's jets, the same at every point:
/// model (output, channel) += coef * network (net_output, net_channel).
struct JetMapTerm {
  int output = 0, channel = 0, net_output = 0, net_channel = 0;
  double coef = 1;
};

/// The network jet a stream-function model (nn::OutputMap::StreamFunction: network output 0 is psi of
/// inputs x and y, dimensions 0 and 1; model outputs u = psi_y, v = -psi_x, then network outputs 1, 2, ...)
/// needs for the model jet `model`, and the map from it: every channel of u and v is psi's channel one
/// order higher (u's Laplacian is psi_xxy + psi_yyy, ...), the other outputs keep theirs. The returned
/// spec extends `model` (x and y tangents, second- and third-order entries appended; the model's own
/// entries keep their positions). n_model_outputs >= 2. Throws npde::Error if u's or v's channels
/// would need fourth derivatives of psi (a third-order model channel).
JetSpec stream_function_jet(const JetSpec& model, int n_model_outputs, std::vector<JetMapTerm>& terms);

/// Plain-old-data copy of a JetSpec for kernels (positions as in JetSpec).
struct JetLayout {
  int n_tan = 0;
  int n_lap = 0;   ///< tangents summed into the Laplacian channel (0: no Laplacian channel)
  int n_diag = 0;  ///< diagonal second-derivative channels
  int n_mixed = 0;
  int n_channels = 1;
  int tan_dim[kMaxTangents] = {};   ///< input dimension of each tangent
  int lap_pos[kMaxTangents] = {};   ///< tangent positions in the Laplacian
  int diag_pos[kMaxTangents] = {};  ///< tangent position of each diagonal channel
  int mixed_a[kMaxMixed] = {};
  int mixed_b[kMaxMixed] = {};
  int n_third = 0;
  int third_pos[kMaxThird][3] = {};   ///< tangent positions a <= b <= c of each third-order channel
  int third_pair[kMaxThird][3] = {};  ///< channels of the second derivatives bc, ac, ab (opposite a, b, c)
};
JetLayout make_layout(const JetSpec& spec);

}  // namespace npde::nn
