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
  const int nt = L.n_tan;
  const int cl = 1 + nt, cd = cl + (L.n_lap > 0 ? 1 : 0), cm = cd + L.n_diag;  // Laplacian, diagonal, mixed
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
  if (L.n_lap > 0) {  // y_L = s1 z_L + s2 sum_{t in lap} z_t^2
    // The sum of squares is accumulated in yl one tangent at a time, so every loop runs over the
    // neurons: a loop over the tangents inside the loop over neurons does not vectorise (GCC 12).
    const T* zl = z + cl * cs;
    T* yl = a + cl * cs;
    const T* z0 = z + (1 + L.lap_pos[0]) * cs;
    for (int i = 0; i < w; ++i) yl[i] = z0[i] * z0[i];
    for (int k = 1; k < L.n_lap; ++k) {
      const T* zt = z + (1 + L.lap_pos[k]) * cs;
      for (int i = 0; i < w; ++i) yl[i] += zt[i] * zt[i];
    }
    for (int i = 0; i < w; ++i) {
      T s1, s2, s3;
      Fn::derivs(z[i], a[i], s1, s2, s3);
      yl[i] = s1 * zl[i] + s2 * yl[i];
    }
  }
  for (int j = 0; j < L.n_diag; ++j) {  // y_tt = s1 z_tt + s2 z_t^2, t = diag_pos[j]
    const T* zt = z + (1 + L.diag_pos[j]) * cs;
    const T* ztt = z + (cd + j) * cs;
    T* ytt = a + (cd + j) * cs;
    for (int i = 0; i < w; ++i) {
      T s1, s2, s3;
      Fn::derivs(z[i], a[i], s1, s2, s3);
      ytt[i] = s1 * ztt[i] + s2 * zt[i] * zt[i];
    }
  }
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
  for (int m = 0; m < L.n_third; ++m) {  // y_abc = s1 z_abc + s2 (z_bc z_a + z_ac z_b + z_ab z_c) + s3 z_a z_b z_c
    const T* za = z + (1 + L.third_pos[m][0]) * cs;
    const T* zb = z + (1 + L.third_pos[m][1]) * cs;
    const T* zc = z + (1 + L.third_pos[m][2]) * cs;
    const T* zbc = z + L.third_pair[m][0] * cs;
    const T* zac = z + L.third_pair[m][1] * cs;
    const T* zab = z + L.third_pair[m][2] * cs;
    const long ct = (cm + L.n_mixed + m) * cs;
    for (int i = 0; i < w; ++i) {
      T s1, s2, s3;
      Fn::derivs(z[i], a[i], s1, s2, s3);
      a[ct + i] = s1 * z[ct + i] + s2 * (zbc[i] * za[i] + zac[i] * zb[i] + zab[i] * zc[i]) + s3 * za[i] * zb[i] * zc[i];
    }
  }
}

/// Reverse of one diagonal channel y_tt = s1 z_tt + s2 z_t^2 over the w neurons of a point: adds to
/// the adjoints zb (value) and zbt (tangent t), writes zbtt. The pointers are distinct channels of one
/// point (the channel stride is at least w), so they never overlap; saying so (restrict) lets the
/// compiler vectorise a loop with three stores, which it otherwise gives up on for the aliasing checks.
template <class Fn, class T>
KOKKOS_INLINE_FUNCTION void diagonal_backward(int w, const T* KOKKOS_RESTRICT z, const T* KOKKOS_RESTRICT a,
                                              const T* KOKKOS_RESTRICT zt, const T* KOKKOS_RESTRICT ztt,
                                              const T* KOKKOS_RESTRICT abtt, T* KOKKOS_RESTRICT zb,
                                              T* KOKKOS_RESTRICT zbt, T* KOKKOS_RESTRICT zbtt) {
  for (int i = 0; i < w; ++i) {
    T s1, s2, s3;
    Fn::derivs(z[i], a[i], s1, s2, s3);
    zb[i] += abtt[i] * (s2 * ztt[i] + s3 * zt[i] * zt[i]);
    zbt[i] += T(2) * abtt[i] * s2 * zt[i];
    zbtt[i] = abtt[i] * s1;
  }
}

/// Reverse of one mixed channel y_ab = s1 z_ab + s2 z_a z_b, as diagonal_backward (a < b, so the
/// tangent adjoints zba and zbb are distinct channels too).
template <class Fn, class T>
KOKKOS_INLINE_FUNCTION void mixed_backward(int w, const T* KOKKOS_RESTRICT z, const T* KOKKOS_RESTRICT a,
                                           const T* KOKKOS_RESTRICT za, const T* KOKKOS_RESTRICT zbv,
                                           const T* KOKKOS_RESTRICT zm, const T* KOKKOS_RESTRICT abm,
                                           T* KOKKOS_RESTRICT zb, T* KOKKOS_RESTRICT zba, T* KOKKOS_RESTRICT zbb,
                                           T* KOKKOS_RESTRICT zbm) {
  for (int i = 0; i < w; ++i) {
    T s1, s2, s3;
    Fn::derivs(z[i], a[i], s1, s2, s3);
    zb[i] += abm[i] * (s2 * zm[i] + s3 * za[i] * zbv[i]);
    zba[i] += abm[i] * s2 * zbv[i];
    zbb[i] += abm[i] * s2 * za[i];
    zbm[i] = abm[i] * s1;
  }
}

/// Reverse of jet_activation_forward at one point: from the adjoints ab of the outputs, writes the
/// adjoints zb of the pre-activation channels (same layout; zb must not alias ab or z).
template <class Fn, class T>
KOKKOS_INLINE_FUNCTION void jet_activation_backward(const JetLayout& L, int w, long cs, const T* z, const T* a,
                                                    const T* ab, T* zb) {
  const int nt = L.n_tan;
  const int cl = 1 + nt, cd = cl + (L.n_lap > 0 ? 1 : 0), cm = cd + L.n_diag;  // Laplacian, diagonal, mixed
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
  if (L.n_lap > 0) {  // y_L = s1 z_L + s2 sum_{t in lap} z_t^2
    const T* zl = z + cl * cs;
    const T* abl = ab + cl * cs;
    T* zbl = zb + cl * cs;
    for (int i = 0; i < w; ++i) {
      T s1, s2, s3;
      Fn::derivs(z[i], a[i], s1, s2, s3);
      zbl[i] = abl[i] * s1;
      zb[i] += abl[i] * s2 * zl[i];
    }
    for (int k = 0; k < L.n_lap; ++k) {
      const T* zt = z + (1 + L.lap_pos[k]) * cs;
      T* zbt = zb + (1 + L.lap_pos[k]) * cs;
      for (int i = 0; i < w; ++i) {
        T s1, s2, s3;
        Fn::derivs(z[i], a[i], s1, s2, s3);
        zbt[i] += T(2) * abl[i] * s2 * zt[i];
        zb[i] += abl[i] * s3 * zt[i] * zt[i];
      }
    }
  }
  for (int j = 0; j < L.n_diag; ++j) {  // y_tt = s1 z_tt + s2 z_t^2, t = diag_pos[j]
    const long ct = (1 + L.diag_pos[j]) * cs, ctt = (cd + j) * cs;
    diagonal_backward<Fn>(w, z, a, z + ct, z + ctt, ab + ctt, zb, zb + ct, zb + ctt);
  }
  for (int m = 0; m < L.n_mixed; ++m) {  // y_ab = s1 z_ab + s2 z_a z_b
    const long ca = (1 + L.mixed_a[m]) * cs, cb = (1 + L.mixed_b[m]) * cs, cab = (cm + m) * cs;
    mixed_backward<Fn>(w, z, a, z + ca, z + cb, z + cab, ab + cab, zb, zb + ca, zb + cb, zb + cab);
  }
  // third order, after the second-order channels' adjoints are written (they collect from here); a
  // repeated position (a == b) is the same channel twice, and its adjoint collects both terms
  for (int m = 0; m < L.n_third; ++m) {
    const long c0 = (1 + L.third_pos[m][0]) * cs, c1 = (1 + L.third_pos[m][1]) * cs, c2 = (1 + L.third_pos[m][2]) * cs;
    const long p0 = L.third_pair[m][0] * cs, p1 = L.third_pair[m][1] * cs, p2 = L.third_pair[m][2] * cs;
    const long ct = (cm + L.n_mixed + m) * cs;
    for (int i = 0; i < w; ++i) {
      T s1, s2, s3, s4;
      Fn::derivs4(z[i], a[i], s1, s2, s3, s4);
      const T Y = ab[ct + i];
      const T za = z[c0 + i], zb2 = z[c1 + i], zc = z[c2 + i];
      const T zbc = z[p0 + i], zac = z[p1 + i], zab = z[p2 + i];
      zb[i] += Y * (s2 * z[ct + i] + s3 * (zbc * za + zac * zb2 + zab * zc) + s4 * za * zb2 * zc);
      zb[ct + i] = Y * s1;
      zb[p0 + i] += Y * s2 * za;
      zb[p1 + i] += Y * s2 * zb2;
      zb[p2 + i] += Y * s2 * zc;
      zb[c0 + i] += Y * (s2 * zbc + s3 * zb2 * zc);
      zb[c1 + i] += Y * (s2 * zac + s3 * za * zc);
      zb[c2 + i] += Y * (s2 * zab + s3 * za * zb2);
    }
  }
}

/// Gate of the modified MLP on jets at one point: g = v + s (.) (u - v) channel by channel (product
/// rule; s, u, v, g have z's layout with channel stride cs). g must not alias s, u or v.
template <class T>
KOKKOS_INLINE_FUNCTION void jet_gate_forward(const JetLayout& L, int w, long cs, const T* KOKKOS_RESTRICT s,
                                             const T* KOKKOS_RESTRICT u, const T* KOKKOS_RESTRICT v,
                                             T* KOKKOS_RESTRICT g) {
  const int nt = L.n_tan;
  const int cl = 1 + nt, cd = cl + (L.n_lap > 0 ? 1 : 0), cm = cd + L.n_diag;
  // d = u - v is formed on the fly: d_c = u_c - v_c
  for (int i = 0; i < w; ++i) g[i] = v[i] + s[i] * (u[i] - v[i]);
  for (int t = 0; t < nt; ++t) {  // g_t = v_t + s_t d + s d_t
    const long c = (1 + t) * cs;
    for (int i = 0; i < w; ++i) g[c + i] = v[c + i] + s[c + i] * (u[i] - v[i]) + s[i] * (u[c + i] - v[c + i]);
  }
  if (L.n_lap > 0) {  // g_L = v_L + s_L d + s d_L + 2 sum_t s_t d_t
    const long c = cl * cs;
    for (int i = 0; i < w; ++i) g[c + i] = v[c + i] + s[c + i] * (u[i] - v[i]) + s[i] * (u[c + i] - v[c + i]);
    for (int k = 0; k < L.n_lap; ++k) {
      const long ct = (1 + L.lap_pos[k]) * cs;
      for (int i = 0; i < w; ++i) g[c + i] += T(2) * s[ct + i] * (u[ct + i] - v[ct + i]);
    }
  }
  for (int j = 0; j < L.n_diag; ++j) {  // g_tt = v_tt + s_tt d + s d_tt + 2 s_t d_t
    const long c = (cd + j) * cs, ct = (1 + L.diag_pos[j]) * cs;
    for (int i = 0; i < w; ++i)
      g[c + i] = v[c + i] + s[c + i] * (u[i] - v[i]) + s[i] * (u[c + i] - v[c + i]) +
                 T(2) * s[ct + i] * (u[ct + i] - v[ct + i]);
  }
  for (int m = 0; m < L.n_mixed; ++m) {  // g_ab = v_ab + s_ab d + s d_ab + s_a d_b + s_b d_a
    const long c = (cm + m) * cs, ca = (1 + L.mixed_a[m]) * cs, cb = (1 + L.mixed_b[m]) * cs;
    for (int i = 0; i < w; ++i)
      g[c + i] = v[c + i] + s[c + i] * (u[i] - v[i]) + s[i] * (u[c + i] - v[c + i]) +
                 s[ca + i] * (u[cb + i] - v[cb + i]) + s[cb + i] * (u[ca + i] - v[ca + i]);
  }
  // g_abc = v_abc + s_abc d + s d_abc + s_bc d_a + s_ac d_b + s_ab d_c + s_a d_bc + s_b d_ac + s_c d_ab
  for (int m = 0; m < L.n_third; ++m) {
    const long c = (cm + L.n_mixed + m) * cs;
    const long c0 = (1 + L.third_pos[m][0]) * cs, c1 = (1 + L.third_pos[m][1]) * cs, c2 = (1 + L.third_pos[m][2]) * cs;
    const long p0 = L.third_pair[m][0] * cs, p1 = L.third_pair[m][1] * cs, p2 = L.third_pair[m][2] * cs;
    for (int i = 0; i < w; ++i)
      g[c + i] = v[c + i] + s[c + i] * (u[i] - v[i]) + s[i] * (u[c + i] - v[c + i]) +
                 s[p0 + i] * (u[c0 + i] - v[c0 + i]) + s[p1 + i] * (u[c1 + i] - v[c1 + i]) +
                 s[p2 + i] * (u[c2 + i] - v[c2 + i]) + s[c0 + i] * (u[p0 + i] - v[p0 + i]) +
                 s[c1 + i] * (u[p1 + i] - v[p1 + i]) + s[c2 + i] * (u[p2 + i] - v[p2 + i]);
  }
}

/// Reverse of jet_gate_forward at one point: from gb (adjoint of g) WRITES sb and ADDS to ub and vb
/// (the encoders' adjoints collect every gated layer). With d = u - v: ub += db, vb += gb - db.
template <class T>
KOKKOS_INLINE_FUNCTION void jet_gate_backward(const JetLayout& L, int w, long cs, const T* KOKKOS_RESTRICT s,
                                              const T* KOKKOS_RESTRICT u, const T* KOKKOS_RESTRICT v,
                                              const T* KOKKOS_RESTRICT gb, T* KOKKOS_RESTRICT sb,
                                              T* KOKKOS_RESTRICT ub, T* KOKKOS_RESTRICT vb) {
  const int nt = L.n_tan;
  const int cl = 1 + nt, cd = cl + (L.n_lap > 0 ? 1 : 0), cm = cd + L.n_diag;
  // every channel's own term: g_c = v_c + s_c d + s d_c + ... (the value channel: c = 0, s_c = s)
  for (int i = 0; i < w; ++i) {
    const T d = u[i] - v[i];
    sb[i] = gb[i] * d;
    ub[i] += gb[i] * s[i];
    vb[i] += gb[i] * (T(1) - s[i]);
  }
  for (int c1 = 1; c1 < L.n_channels; ++c1) {
    const long c = c1 * cs;
    for (int i = 0; i < w; ++i) {
      const T d = u[i] - v[i], dc = u[c + i] - v[c + i];
      sb[c + i] = gb[c + i] * d;       // from s_c d
      sb[i] += gb[c + i] * dc;         // from s d_c
      const T db0 = gb[c + i] * s[c + i];  // d(g_c)/d(d) = s_c
      ub[i] += db0;
      vb[i] -= db0;
      ub[c + i] += gb[c + i] * s[i];   // d(g_c)/d(d_c) = s
      vb[c + i] += gb[c + i] * (T(1) - s[i]);
    }
  }
  // cross terms of the second-order channels: 2 s_t d_t (Laplacian, diagonal), s_a d_b + s_b d_a (mixed)
  auto cross = [&](long c, long ca, long cb, T factor) {
    for (int i = 0; i < w; ++i) {
      const T gf = factor * gb[c + i];
      sb[ca + i] += gf * (u[cb + i] - v[cb + i]);
      const T dbb = gf * s[ca + i];
      ub[cb + i] += dbb;
      vb[cb + i] -= dbb;
    }
  };
  if (L.n_lap > 0)
    for (int k = 0; k < L.n_lap; ++k) {
      const long ct = (1 + L.lap_pos[k]) * cs;
      cross(cl * cs, ct, ct, T(2));
    }
  for (int j = 0; j < L.n_diag; ++j) {
    const long ct = (1 + L.diag_pos[j]) * cs;
    cross((cd + j) * cs, ct, ct, T(2));
  }
  for (int m = 0; m < L.n_mixed; ++m) {
    const long c = (cm + m) * cs, ca = (1 + L.mixed_a[m]) * cs, cb = (1 + L.mixed_b[m]) * cs;
    cross(c, ca, cb, T(1));
    cross(c, cb, ca, T(1));
  }
  for (int m = 0; m < L.n_third; ++m) {  // s_bc d_a + s_ac d_b + s_ab d_c + s_a d_bc + s_b d_ac + s_c d_ab
    const long c = (cm + L.n_mixed + m) * cs;
    const long c0 = (1 + L.third_pos[m][0]) * cs, c1 = (1 + L.third_pos[m][1]) * cs, c2 = (1 + L.third_pos[m][2]) * cs;
    const long p0 = L.third_pair[m][0] * cs, p1 = L.third_pair[m][1] * cs, p2 = L.third_pair[m][2] * cs;
    cross(c, p0, c0, T(1));
    cross(c, p1, c1, T(1));
    cross(c, p2, c2, T(1));
    cross(c, c0, p0, T(1));
    cross(c, c1, p1, T(1));
    cross(c, c2, p2, T(1));
  }
}

}  // namespace npde::nn::detail
