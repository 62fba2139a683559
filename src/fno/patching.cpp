// SPDX-License-Identifier: BSD-3-Clause
// Multigrid patching: extraction of a patch's multi-level input, stitching of its cropped output.
#include "npde/fno/patching.hpp"

#include <cmath>

#include "npde/core/error.hpp"

namespace npde::fno {

Patching::Patching(int levels_, double padding_, int n1_, int n2_) : levels(levels_), padding(padding_), n1(n1_), n2(n2_) {
  NPDE_REQUIRE(levels >= 1 && levels <= 8, "multigrid patching with " << levels << " levels");
  const int s = 1 << levels;
  if (n1 % s != 0 || n2 % s != 0)
    NPDE_INPUT_ERROR("model.patching.levels: " << levels << " levels cut a field into " << s << " x " << s
                                               << " patches and subsample it by up to " << s << ", which the "
                                               << n1 << " x " << n2 << " grid does not divide");
  p1 = n1 / s, p2 = n2 / s;
  q1 = int(std::lround(padding * p1)), q2 = int(std::lround(padding * p2));
}

template <class T>
void Patching::extract(const T* field, int channels, int patch, T* out) const {
  const int L = levels, s0 = 1 << L, a = patch / s0, b = patch % s0, M1 = m1(), M2 = m2();
  const int N1 = n1, N2 = n2, P1 = p1, P2 = p2;
  const long fp = field_points(), pp = patch_points();
  Kokkos::parallel_for("npde::fno::Patching::extract", Kokkos::RangePolicy<ExecSpace>(0, long(channels) * (L + 1) * M1),
                       KOKKOS_LAMBDA(const long row) {
                         const int i = int(row % M1), lc = int(row / M1), l = lc / channels, c = lc % channels;
                         const int s = 1 << l, g1 = N1 / s, g2 = N2 / s;
                         // the window's first row and column in the level's grid: centred on the patch centre
                         const int r0 = (a * P1 + P1 / 2) / s - M1 / 2, c0 = (b * P2 + P2 / 2) / s - M2 / 2;
                         const int gi = ((r0 + i) % g1 + g1) % g1;
                         const T* src = field + c * fp + long(gi) * s * N2;
                         T* dst = out + long(lc) * pp + long(i) * M2;
                         for (int j = 0; j < M2; ++j) dst[j] = src[long((((c0 + j) % g2) + g2) % g2) * s];
                       });
}

template <class T>
void Patching::stitch(const T* out, int channels, int patch, T* field) const {
  const int s0 = 1 << levels, a = patch / s0, b = patch % s0, M2 = m2(), Q1 = q1, Q2 = q2, N2 = n2, P1 = p1, P2 = p2;
  const long fp = field_points(), pp = patch_points();
  Kokkos::parallel_for("npde::fno::Patching::stitch", Kokkos::RangePolicy<ExecSpace>(0, long(channels) * P1),
                       KOKKOS_LAMBDA(const long row) {
                         const int i = int(row % P1), c = int(row / P1);
                         const T* src = out + c * pp + long(Q1 + i) * M2 + Q2;
                         T* dst = field + c * fp + long(a * P1 + i) * N2 + long(b) * P2;
                         for (int j = 0; j < P2; ++j) dst[j] = src[j];
                       });
}

template void Patching::extract<double>(const double*, int, int, double*) const;
template void Patching::extract<float>(const float*, int, int, float*) const;
template void Patching::stitch<double>(const double*, int, int, double*) const;
template void Patching::stitch<float>(const float*, int, int, float*) const;

}  // namespace npde::fno
