// SPDX-License-Identifier: BSD-3-Clause
// Pointwise jet arithmetic of one neuron at one point: the chain rule through an activation
// (forward) and its transpose (reverse). Host and device callable; see docs/numerics.md.
#pragma once

#include <Kokkos_Core.hpp>

#include "npde/nn/jet_spec.hpp"

namespace npde::nn::detail {

/// Forward chain rule. z: pre-activation channels (z[0] includes the bias), stride `cs` between
/// channels; writes the post-activation channels y (same stride). a0 = sigma(z0), s1 = sigma'(z0),
/// s2 = sigma''(z0).
template <class T>
KOKKOS_INLINE_FUNCTION void jet_activation_forward(const JetLayout& L, const T* z, T* y, long cs, T a0, T s1,
                                                   T s2) {
  y[0] = a0;
  const int nt = L.n_tan;
  T sumsq = T(0);
  for (int t = 0; t < nt; ++t) {
    const T zt = z[(1 + t) * cs];
    y[(1 + t) * cs] = s1 * zt;
    sumsq += zt * zt;
  }
  const int c2 = 1 + nt;
  if (L.second == 1) {
    y[c2 * cs] = s1 * z[c2 * cs] + s2 * sumsq;
  } else if (L.second == 2) {
    for (int t = 0; t < nt; ++t) {
      const T zt = z[(1 + t) * cs];
      y[(c2 + t) * cs] = s1 * z[(c2 + t) * cs] + s2 * zt * zt;
    }
  }
  const int cm = c2 + (L.second == 0 ? 0 : (L.second == 1 ? 1 : nt));
  for (int m = 0; m < L.n_mixed; ++m) {
    const T za = z[(1 + L.mixed_a[m]) * cs], zb = z[(1 + L.mixed_b[m]) * cs];
    y[(cm + m) * cs] = s1 * z[(cm + m) * cs] + s2 * za * zb;
  }
}

/// Reverse of jet_activation_forward: given the adjoints yb of the outputs, writes the adjoints zb
/// of the pre-activation channels. s3 = sigma'''(z0).
template <class T>
KOKKOS_INLINE_FUNCTION void jet_activation_backward(const JetLayout& L, const T* z, const T* yb, T* zb, long cs,
                                                    T s1, T s2, T s3) {
  const int nt = L.n_tan;
  const int c2 = 1 + nt;
  T zb0 = yb[0] * s1;
  // first-order channels: y_t = s1 z_t
  for (int t = 0; t < nt; ++t) {
    const T zt = z[(1 + t) * cs], ybt = yb[(1 + t) * cs];
    zb0 += ybt * s2 * zt;
    zb[(1 + t) * cs] = ybt * s1;
  }
  if (L.second == 1) {
    // y_L = s1 z_L + s2 sum_t z_t^2
    const T ybl = yb[c2 * cs];
    T sumsq = T(0);
    for (int t = 0; t < nt; ++t) {
      const T zt = z[(1 + t) * cs];
      sumsq += zt * zt;
      zb[(1 + t) * cs] += T(2) * ybl * s2 * zt;
    }
    zb0 += ybl * (s2 * z[c2 * cs] + s3 * sumsq);
    zb[c2 * cs] = ybl * s1;
  } else if (L.second == 2) {
    for (int t = 0; t < nt; ++t) {
      const T zt = z[(1 + t) * cs], ybd = yb[(c2 + t) * cs];
      zb0 += ybd * (s2 * z[(c2 + t) * cs] + s3 * zt * zt);
      zb[(1 + t) * cs] += T(2) * ybd * s2 * zt;
      zb[(c2 + t) * cs] = ybd * s1;
    }
  }
  const int cm = c2 + (L.second == 0 ? 0 : (L.second == 1 ? 1 : nt));
  for (int m = 0; m < L.n_mixed; ++m) {
    const int ca = 1 + L.mixed_a[m], cb = 1 + L.mixed_b[m];
    const T za = z[ca * cs], zbb = z[cb * cs], ybm = yb[(cm + m) * cs];
    zb0 += ybm * (s2 * z[(cm + m) * cs] + s3 * za * zbb);
    zb[ca * cs] += ybm * s2 * zbb;
    zb[cb * cs] += ybm * s2 * za;
    zb[(cm + m) * cs] = ybm * s1;
  }
  zb[0] = zb0;
}

}  // namespace npde::nn::detail
