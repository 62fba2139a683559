// SPDX-License-Identifier: BSD-3-Clause
// GELU, the activation of the Fourier neural operators, with its derivative.
#pragma once

#include <type_traits>

#include "npde/core/math.hpp"
#include "npde/nn/activation.hpp"

namespace npde::fno {

/// GELU and its derivative at once. float: the normal CDF by Abramowitz & Stegun 7.1.26 (absolute
/// error of erf below 1.5e-7, under float's resolution near 1) with exp(-z^2/2) from the arithmetic
/// expm1 of the activations, so the loop vectorises (libm's erff and expf do not; they were a third
/// of a TFNO step); double: libm's erf and exp, exact as PyTorch's default GELU.
template <class T>
KOKKOS_INLINE_FUNCTION void gelu_both(T v, T& a, T& d) {
  if constexpr (std::is_same_v<T, float>) {
    const float e = 1.0f + nn::detail::expm1_nonpositive(-0.5f * v * v);  // exp(-v^2/2) = exp(-u^2), u = |v|/sqrt 2
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
