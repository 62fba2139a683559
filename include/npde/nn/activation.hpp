// SPDX-License-Identifier: BSD-3-Clause
// Activation functions with their first three derivatives, host and device callable.
#pragma once

#include <string>

#include "npde/core/math.hpp"

namespace npde::nn {

/// Activation of the hidden layers (`network.activation`).
enum class Activation { Tanh, Sin, Softplus };

/// "tanh" | "sin" | "softplus" -> Activation; throws InputError naming `what` otherwise.
Activation activation_from_name(const std::string& name, const std::string& what);
std::string to_string(Activation a);

namespace detail {

/// expm1(x) for x <= 0 in plain arithmetic (no library call), so loops over it vectorise.
/// x = k ln2 + r with |r| <= ln2/2; expm1(r) by its Taylor polynomial to degree 13 (truncation
/// < 2e-16 relative); expm1(x) = 2^k expm1(r) + (2^k - 1), exact scaling by exponent bits.
template <class T>
KOKKOS_INLINE_FUNCTION T expm1_nonpositive(T x) {
  constexpr T ln2_hi = T(0.693145751953125);           // few mantissa bits: k*ln2_hi is exact
  constexpr T ln2_lo = T(1.42860682030941723212e-6);   // ln2 - ln2_hi
  constexpr T inv_ln2 = T(1.44269504088896340736);
  x = x < T(-40) ? T(-40) : x;                         // expm1(-40) = -1 in double
  // round to nearest by the magic-number trick (vectorises; default rounding mode)
  constexpr T magic = sizeof(T) == 8 ? T(6755399441055744.0) : T(12582912.0);  // 1.5 * 2^52 or 2^23
  const T kf = (x * inv_ln2 + magic) - magic;
  const T r = (x - kf * ln2_hi) - kf * ln2_lo;
  // Horner for r + r^2/2! + ... + r^13/13!
  T p = T(1.0 / 6227020800.0);
  p = p * r + T(1.0 / 479001600.0);
  p = p * r + T(1.0 / 39916800.0);
  p = p * r + T(1.0 / 3628800.0);
  p = p * r + T(1.0 / 362880.0);
  p = p * r + T(1.0 / 40320.0);
  p = p * r + T(1.0 / 5040.0);
  p = p * r + T(1.0 / 720.0);
  p = p * r + T(1.0 / 120.0);
  p = p * r + T(1.0 / 24.0);
  p = p * r + T(1.0 / 6.0);
  p = p * r + T(0.5);
  p = p * r * r + r;
  // 2^k for integer k in [-58, 0] built from a power-of-two product (vectorisable, exact)
  const int k = static_cast<int>(kf);
  T two_k = T(1);
  T base = T(0.5);
  for (int bit = 0, m = -k; bit < 6; ++bit, m >>= 1) {
    two_k *= (m & 1) ? base : T(1);
    base *= base;
  }
  return two_k * p + (two_k - T(1));
}

/// tanh(z) = -sign(z) e / (2 + e) with e = expm1(-2|z|): no cancellation near 0, no overflow.
template <class T>
KOKKOS_INLINE_FUNCTION T tanh_arith(T z) {
  const T az = z < T(0) ? -z : z;
  const T e = expm1_nonpositive(T(-2) * az);
  const T t = -e / (T(2) + e);
  return z < T(0) ? -t : t;
}

}  // namespace detail

/// sigma and its derivatives at z: s[0] = sigma(z), s[1] = sigma', s[2] = sigma'', s[3] = sigma'''.
/// The reverse pass needs sigma''' because the forward jet already contains sigma''.
struct TanhFn {
  template <class T>
  KOKKOS_INLINE_FUNCTION static T value(T z) {
    return detail::tanh_arith(z);  // same accuracy as the library tanh, but vectorisable
  }
  /// Derivatives from the stored value a = tanh(z): no transcendental needed in the reverse pass.
  template <class T>
  KOKKOS_INLINE_FUNCTION static void derivs(T /*z*/, T a, T& s1, T& s2, T& s3) {
    s1 = T(1) - a * a;
    s2 = T(-2) * a * s1;
    s3 = s1 * (T(4) * a * a - T(2) * s1);
  }
  /// Also the fourth derivative (third-order jets' reverse pass): s3 = s1 (6 a^2 - 2), so
  /// s4 = s2 (6 a^2 - 2) + 12 a s1^2.
  template <class T>
  KOKKOS_INLINE_FUNCTION static void derivs4(T z, T a, T& s1, T& s2, T& s3, T& s4) {
    derivs(z, a, s1, s2, s3);
    s4 = s2 * (T(6) * a * a - T(2)) + T(12) * a * s1 * s1;
  }
};

struct SinFn {
  template <class T>
  KOKKOS_INLINE_FUNCTION static T value(T z) {
    return math::sin(z);
  }
  template <class T>
  KOKKOS_INLINE_FUNCTION static void derivs(T z, T a, T& s1, T& s2, T& s3) {
    const T c = math::cos(z);
    s1 = c;
    s2 = -a;
    s3 = -c;
  }
  template <class T>
  KOKKOS_INLINE_FUNCTION static void derivs4(T z, T a, T& s1, T& s2, T& s3, T& s4) {
    derivs(z, a, s1, s2, s3);
    s4 = a;
  }
};

struct SoftplusFn {
  /// log(1 + e^z) without overflow: max(z, 0) + log1p(e^{-|z|}).
  template <class T>
  KOKKOS_INLINE_FUNCTION static T value(T z) {
    const T az = z < T(0) ? -z : z;
    return (z > T(0) ? z : T(0)) + math::log1p(math::exp(-az));
  }
  template <class T>
  KOKKOS_INLINE_FUNCTION static void derivs(T z, T /*a*/, T& s1, T& s2, T& s3) {
    // logistic sigma(z), evaluated on the side that cannot overflow
    const T e = math::exp(z < T(0) ? z : -z);
    const T sig = z < T(0) ? e / (T(1) + e) : T(1) / (T(1) + e);
    s1 = sig;
    s2 = sig * (T(1) - sig);
    s3 = s2 * (T(1) - T(2) * sig);
  }
  template <class T>
  KOKKOS_INLINE_FUNCTION static void derivs4(T z, T a, T& s1, T& s2, T& s3, T& s4) {
    derivs(z, a, s1, s2, s3);
    s4 = s3 * (T(1) - T(2) * s1) - T(2) * s2 * s2;
  }
};

/// Host-side evaluation of all four values for tests: s[0..3].
template <class T>
void activation_eval_host(Activation act, T z, T s[4]) {
  switch (act) {
    case Activation::Tanh: s[0] = TanhFn::value(z); TanhFn::derivs(z, s[0], s[1], s[2], s[3]); break;
    case Activation::Sin: s[0] = SinFn::value(z); SinFn::derivs(z, s[0], s[1], s[2], s[3]); break;
    case Activation::Softplus: s[0] = SoftplusFn::value(z); SoftplusFn::derivs(z, s[0], s[1], s[2], s[3]); break;
  }
}

}  // namespace npde::nn
