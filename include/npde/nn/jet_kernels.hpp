// SPDX-License-Identifier: BSD-3-Clause
// Jet arithmetic of one layer at one point: the chain rule through an activation (forward) and its
// transpose (reverse), for all w neurons of the point. Every inner loop runs over the neurons of one
// channel, contiguous in memory, so the compiler vectorises it; see docs/numerics.md, "Forward jets".
#pragma once

#include <Kokkos_Core.hpp>

#include "npde/nn/jet_spec.hpp"

namespace npde::nn::detail {

/// Forward chain rule at one point. z: pre-activation channels of the point (channel c of neuron i at
/// z[i + c*cs]); the bias is added to the value channel here and kept in z (the reverse pass needs it).
/// a: post-activation channels, same layout. Fn: activation (activation.hpp).
template <class Fn, class T>
KOKKOS_INLINE_FUNCTION void jet_activation_forward(const JetLayout& L, int w, long cs, const T* b, T* z, T* a) {
  for (int i = 0; i < w; ++i) {
    const T z0 = z[i] + b[i];
    z[i] = z0;
    a[i] = Fn::value(z0);
  }
  const int nt = L.n_tan, c2 = 1 + nt;
  // y_t = s1 z_t
  for (int t = 0; t < nt; ++t) {
    const T* zt = z + (1 + t) * cs;
    T* yt = a + (1 + t) * cs;
    for (int i = 0; i < w; ++i) {
      T s1, s2, s3;
      Fn::derivs(z[i], a[i], s1, s2, s3);
      yt[i] = s1 * zt[i];
    }
  }
  if (L.second == 1) {  // y_L = s1 z_L + s2 sum_t z_t^2
    const T* zl = z + c2 * cs;
    T* yl = a + c2 * cs;
    for (int i = 0; i < w; ++i) {
      T sumsq = T(0);
      for (int t = 0; t < nt; ++t) sumsq += z[i + (1 + t) * cs] * z[i + (1 + t) * cs];
      T s1, s2, s3;
      Fn::derivs(z[i], a[i], s1, s2, s3);
      yl[i] = s1 * zl[i] + s2 * sumsq;
    }
  } else if (L.second == 2) {  // y_tt = s1 z_tt + s2 z_t^2
    for (int t = 0; t < nt; ++t) {
      const T* zt = z + (1 + t) * cs;
      const T* ztt = z + (c2 + t) * cs;
      T* ytt = a + (c2 + t) * cs;
      for (int i = 0; i < w; ++i) {
        T s1, s2, s3;
        Fn::derivs(z[i], a[i], s1, s2, s3);
        ytt[i] = s1 * ztt[i] + s2 * zt[i] * zt[i];
      }
    }
  }
  const int cm = c2 + (L.second == 0 ? 0 : (L.second == 1 ? 1 : nt));
  for (int m = 0; m < L.n_mixed; ++m) {  // y_ab = s1 z_ab + s2 z_a z_b
    const T* za = z + (1 + L.mixed_a[m]) * cs;
    const T* zb = z + (1 + L.mixed_b[m]) * cs;
    const T* zm = z + (cm + m) * cs;
    T* ym = a + (cm + m) * cs;
    for (int i = 0; i < w; ++i) {
      T s1, s2, s3;
      Fn::derivs(z[i], a[i], s1, s2, s3);
      ym[i] = s1 * zm[i] + s2 * za[i] * zb[i];
    }
  }
}

/// Reverse of jet_activation_forward at one point: from the adjoints ab of the outputs, writes the
/// adjoints zb of the pre-activation channels (same layout; zb must not alias ab or z).
template <class Fn, class T>
KOKKOS_INLINE_FUNCTION void jet_activation_backward(const JetLayout& L, int w, long cs, const T* z, const T* a,
                                                    const T* ab, T* zb) {
  const int nt = L.n_tan, c2 = 1 + nt;
  for (int i = 0; i < w; ++i) {
    T s1, s2, s3;
    Fn::derivs(z[i], a[i], s1, s2, s3);
    zb[i] = ab[i] * s1;
  }
  for (int t = 0; t < nt; ++t) {  // y_t = s1 z_t
    const T* zt = z + (1 + t) * cs;
    const T* abt = ab + (1 + t) * cs;
    T* zbt = zb + (1 + t) * cs;
    for (int i = 0; i < w; ++i) {
      T s1, s2, s3;
      Fn::derivs(z[i], a[i], s1, s2, s3);
      zb[i] += abt[i] * s2 * zt[i];
      zbt[i] = abt[i] * s1;
    }
  }
  if (L.second == 1) {  // y_L = s1 z_L + s2 sum_t z_t^2
    const T* zl = z + c2 * cs;
    const T* abl = ab + c2 * cs;
    T* zbl = zb + c2 * cs;
    for (int i = 0; i < w; ++i) {
      T s1, s2, s3;
      Fn::derivs(z[i], a[i], s1, s2, s3);
      zbl[i] = abl[i] * s1;
      zb[i] += abl[i] * s2 * zl[i];
    }
    for (int t = 0; t < nt; ++t) {
      const T* zt = z + (1 + t) * cs;
      T* zbt = zb + (1 + t) * cs;
      for (int i = 0; i < w; ++i) {
        T s1, s2, s3;
        Fn::derivs(z[i], a[i], s1, s2, s3);
        zbt[i] += T(2) * abl[i] * s2 * zt[i];
        zb[i] += abl[i] * s3 * zt[i] * zt[i];
      }
    }
  } else if (L.second == 2) {  // y_tt = s1 z_tt + s2 z_t^2
    for (int t = 0; t < nt; ++t) {
      const T* zt = z + (1 + t) * cs;
      const T* ztt = z + (c2 + t) * cs;
      const T* abtt = ab + (c2 + t) * cs;
      T* zbt = zb + (1 + t) * cs;
      T* zbtt = zb + (c2 + t) * cs;
      for (int i = 0; i < w; ++i) {
        T s1, s2, s3;
        Fn::derivs(z[i], a[i], s1, s2, s3);
        zb[i] += abtt[i] * (s2 * ztt[i] + s3 * zt[i] * zt[i]);
        zbt[i] += T(2) * abtt[i] * s2 * zt[i];
        zbtt[i] = abtt[i] * s1;
      }
    }
  }
  const int cm = c2 + (L.second == 0 ? 0 : (L.second == 1 ? 1 : nt));
  for (int m = 0; m < L.n_mixed; ++m) {  // y_ab = s1 z_ab + s2 z_a z_b
    const int ca = 1 + L.mixed_a[m], cb = 1 + L.mixed_b[m];
    const T* za = z + ca * cs;
    const T* zbv = z + cb * cs;
    const T* zm = z + (cm + m) * cs;
    const T* abm = ab + (cm + m) * cs;
    T* zba = zb + ca * cs;
    T* zbb = zb + cb * cs;
    T* zbm = zb + (cm + m) * cs;
    for (int i = 0; i < w; ++i) {
      T s1, s2, s3;
      Fn::derivs(z[i], a[i], s1, s2, s3);
      zb[i] += abm[i] * (s2 * zm[i] + s3 * za[i] * zbv[i]);
      zba[i] += abm[i] * s2 * zbv[i];
      zbb[i] += abm[i] * s2 * za[i];
      zbm[i] = abm[i] * s1;
    }
  }
}

}  // namespace npde::nn::detail
