// SPDX-License-Identifier: BSD-3-Clause
// Which derivative channels a forward jet carries (see docs/numerics.md, "Forward jets").
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace npde::nn {

/// Maximum number of tangent (first-derivative) channels and mixed second-order channels.
inline constexpr int kMaxTangents = 16;
inline constexpr int kMaxMixed = 16;
/// Upper bound of channels: value + tangents + per-tangent second derivatives + mixed.
inline constexpr int kMaxChannels = 1 + 2 * kMaxTangents + kMaxMixed;

/// Second-order content of a jet.
enum class SecondOrder {
  None,       ///< value and first derivatives only
  Laplacian,  ///< one channel: the sum of the second derivatives over the tangent dimensions
  Diagonal    ///< one channel per tangent dimension: d2u/dx_k2
};

/// Channel layout of a jet. Channel 0 is the value; channels 1..n_tangents hold du/dx_{tangent[k]};
/// then the second-order channels (one Laplacian channel, or n_tangents diagonal channels); then one
/// channel per mixed pair (d2u/dx_a dx_b, a and b being positions in `tangents`).
struct JetSpec {
  int n_inputs = 1;                        ///< input dimension of the network
  std::vector<int> tangents;               ///< input dimensions that get a tangent channel
  SecondOrder second = SecondOrder::None;
  std::vector<std::pair<int, int>> mixed;  ///< pairs of positions in `tangents` (a < b)

  /// Value only.
  static JetSpec value_only(int n_inputs);
  /// Value, all first derivatives and the Laplacian (the forward-Laplacian jet).
  static JetSpec laplacian(int n_inputs);
  /// Value, all first derivatives and all diagonal second derivatives.
  static JetSpec diagonal(int n_inputs);

  int n_tangents() const { return static_cast<int>(tangents.size()); }
  int n_second() const {
    return second == SecondOrder::None ? 0 : (second == SecondOrder::Laplacian ? 1 : n_tangents());
  }
  int n_channels() const { return 1 + n_tangents() + n_second() + static_cast<int>(mixed.size()); }
  /// Channel of d/dx_{tangents[k]}.
  int tangent_channel(int k) const { return 1 + k; }
  /// Channel of the Laplacian (SecondOrder::Laplacian).
  int laplacian_channel() const { return 1 + n_tangents(); }
  /// Channel of d2/dx_{tangents[k]}^2 (SecondOrder::Diagonal).
  int diagonal_channel(int k) const { return 1 + n_tangents() + k; }
  /// Channel of mixed pair m.
  int mixed_channel(int m) const { return 1 + n_tangents() + n_second() + m; }
  /// Throws npde::Error if the spec is inconsistent (bounds, duplicates, pair order).
  void validate() const;
  std::string describe() const;
};

/// Plain-old-data copy of a JetSpec for kernels.
struct JetLayout {
  int n_tan = 0;
  int second = 0;  ///< 0 none, 1 Laplacian, 2 diagonal
  int n_mixed = 0;
  int n_channels = 1;
  int tan_dim[kMaxTangents] = {};
  int mixed_a[kMaxMixed] = {};
  int mixed_b[kMaxMixed] = {};
};
JetLayout make_layout(const JetSpec& spec);

}  // namespace npde::nn
