// SPDX-License-Identifier: BSD-3-Clause
// GELU, the activation of the Fourier neural operators, with its derivative.
#pragma once

#include <cstdint>
#include <cstring>
#include <type_traits>

#include "npde/core/math.hpp"

namespace npde::fno {

namespace detail {
/// exp(x) for x <= 0 in float arithmetic that vectorises: x = k ln 2 + r with |r| <= ln 2 / 2, e^r by
/// its Taylor polynomial to r^7 (truncation below 6e-9 relative), 2^k written into the exponent
/// bits; x below -87 is taken as -87 (e^-87 = 1.6e-38, the smallest normal floats' range).
KOKKOS_INLINE_FUNCTION float exp_nonpositive(float x) {
  x = x < -87.0f ? -87.0f : x;
  const float kf = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;  // round to nearest (2^23 + 2^22 trick)
  const float r = (x - kf * 0.693359375f) + kf * 2.12194440e-4f;          // ln 2 in two parts, the first exact in k
  float p = 1.0f / 5040.0f;
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const std::int32_t bits = (static_cast<std::int32_t>(kf) + 127) << 23;
  float two_k;
  std::memcpy(&two_k, &bits, sizeof two_k);
  return p * two_k;
}
}  // namespace detail

/// GELU and its derivative at once. float: the normal CDF by Abramowitz & Stegun 7.1.26 (absolute
/// error of erf below 1.5e-7, under float's resolution near 1) with exp(-z^2/2) from a float
/// polynomial exp, so the loop vectorises (libm's erff and expf do not; they were a third of a TFNO
/// step); double: libm's erf and exp, exact as PyTorch's default GELU.
template <class T>
KOKKOS_INLINE_FUNCTION void gelu_both(T v, T& a, T& d) {
  if constexpr (std::is_same_v<T, float>) {
    const float e = detail::exp_nonpositive(-0.5f * v * v);  // exp(-v^2/2) = exp(-u^2), u = |v|/sqrt 2
    const float u = (v < 0.0f ? -v : v) * 0.70710678118654752440f;
    const float t = 1.0f / (1.0f + 0.3275911f * u);
    const float tail =
        t * (0.254829592f + t * (-0.284496736f + t * (1.421413741f + t * (-1.453152027f + t * 1.061405429f)))) * e;
    const float cdf = v < 0.0f ? 0.5f * tail : 1.0f - 0.5f * tail;  // 0.5 (1 + erf(v / sqrt 2))
    a = v * cdf;
    d = cdf + v * 0.39894228040143267794f * e;
  } else {
    const T cdf = T(0.5) * (T(1) + math::erf(v * T(0.70710678118654752440)));
    a = v * cdf;
    d = cdf + v * T(0.39894228040143267794) * math::exp(T(-0.5) * v * v);
  }
}

}  // namespace npde::fno
