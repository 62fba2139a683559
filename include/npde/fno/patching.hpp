// SPDX-License-Identifier: BSD-3-Clause
// Multigrid patching (MG-TFNO): a field cut into 2^L x 2^L patches, each padded circularly and given
// coarser context windows as extra channels; the model's patch outputs cropped and stitched back
// (docs/numerics.md, "Multigrid patching").
#pragma once

#include "npde/core/types.hpp"

namespace npde::fno {

/// The geometry of multigrid patching with `levels` L >= 1 on n1 x n2 fields (periodic): patches of
/// p1 x p2 = n1/2^L x n2/2^L points, padded by q = round(padding p) on each side to m1 x m2 =
/// (p1 + 2 q1) x (p2 + 2 q2). Patch k = a 2^L + b covers rows [a p1, (a + 1) p1) and columns
/// [b p2, (b + 1) p2). Its input has C (L + 1) channels: for level l = 0 .. L and channel c, channel
/// l C + c holds the field subsampled by s = 2^l (g[i, j] = f[s i, s j], n1/s x n2/s) in the m1 x m2
/// window centred on the patch's centre, indices wrapped around (level 0: the padded patch itself).
struct Patching {
  int levels = 0;
  double padding = 0;
  int n1 = 0, n2 = 0, p1 = 0, p2 = 0, q1 = 0, q2 = 0;

  /// Throws InputError when 2^levels does not divide n1 and n2 (the subsampled levels need it).
  Patching(int levels, double padding, int n1, int n2);
  Patching() = default;
  int per_field() const { return (1 << levels) * (1 << levels); }
  int m1() const { return p1 + 2 * q1; }
  int m2() const { return p2 + 2 * q2; }
  long patch_points() const { return long(m1()) * m2(); }
  long field_points() const { return long(n1) * n2; }
  int in_channels(int c) const { return c * (levels + 1); }

  /// out (C (L + 1), m1, m2) = the input of patch `patch` from field (C, n1, n2).
  template <class T>
  void extract(const T* field, int channels, int patch, T* out) const;
  /// The patch output (C, m1, m2) cropped to its p1 x p2 centre, written into field (C, n1, n2).
  template <class T>
  void stitch(const T* out, int channels, int patch, T* field) const;
};

}  // namespace npde::fno
