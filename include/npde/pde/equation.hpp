// SPDX-License-Identifier: BSD-3-Clause
// The shape every equation of pde/ shares: which derivatives its residuals read, and the canonical
// per-point view of the solution's jets those residuals are written against (docs/numerics.md,
// "Equations").
#pragma once

#include <Kokkos_Core.hpp>

namespace npde::pde {

/// Most inputs an equation may have (space dimensions plus time).
inline constexpr int kMaxInputs = 4;
/// Entries of one output in the canonical jet: value, d/dx_k (k < kMaxInputs), d2/dx_k2, Laplacian.
inline constexpr int kCanonical = 2 + 2 * kMaxInputs;
/// Canonical entry of the value, of d/dx_k, of d2/dx_k2 and of the Laplacian.
KOKKOS_INLINE_FUNCTION constexpr int canonical_value() { return 0; }
KOKKOS_INLINE_FUNCTION constexpr int canonical_d(int k) { return 1 + k; }
KOKKOS_INLINE_FUNCTION constexpr int canonical_dd(int k) { return 1 + kMaxInputs + k; }
KOKKOS_INLINE_FUNCTION constexpr int canonical_lap() { return 1 + 2 * kMaxInputs; }

/// Which derivatives of the outputs an equation's residuals read, as bit masks over the inputs
/// (bit k = input k: x, y, z in space order, then t). The network jets carry these and no more:
/// a tangent channel per `first` bit, one Laplacian channel summing the `laplacian` bits' second
/// derivatives, one second-derivative channel per `diagonal` bit.
struct Needs {
  unsigned first = 0;
  unsigned diagonal = 0;
  unsigned laplacian = 0;
};

/// Bit mask of the inputs [0, n).
constexpr unsigned all_inputs(int n) { return n <= 0 ? 0u : ((1u << n) - 1u); }
/// Number of set bits.
constexpr int count_bits(unsigned m) { return m == 0 ? 0 : int(m & 1u) + count_bits(m >> 1); }
/// Network channels per output for `needs`: value, tangents, the Laplacian channel, diagonal channels.
constexpr int channels_of(const Needs& n) {
  return 1 + count_bits(n.first) + (n.laplacian ? 1 : 0) + count_bits(n.diagonal);
}

/// Read access to the canonical jets of all outputs at one point: entries an equation did not ask
/// for (Needs) read as zero. V is a plain number or a dual number.
template <class V>
struct Fields {
  const V* u;  ///< n_outputs * kCanonical entries
  KOKKOS_INLINE_FUNCTION const V& value(int o) const { return u[o * kCanonical + canonical_value()]; }
  KOKKOS_INLINE_FUNCTION const V& d(int o, int k) const { return u[o * kCanonical + canonical_d(k)]; }
  KOKKOS_INLINE_FUNCTION const V& dd(int o, int k) const { return u[o * kCanonical + canonical_dd(k)]; }
  KOKKOS_INLINE_FUNCTION const V& lap(int o) const { return u[o * kCanonical + canonical_lap()]; }
};

}  // namespace npde::pde
