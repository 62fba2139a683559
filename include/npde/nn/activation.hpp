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

/// sigma and its derivatives at z: s[0] = sigma(z), s[1] = sigma', s[2] = sigma'', s[3] = sigma'''.
/// The reverse pass needs sigma''' because the forward jet already contains sigma''.
struct TanhFn {
  template <class T>
  KOKKOS_INLINE_FUNCTION static T value(T z) {
    return math::tanh(z);
  }
  /// Derivatives from the stored value a = tanh(z): no transcendental needed in the reverse pass.
  template <class T>
  KOKKOS_INLINE_FUNCTION static void derivs(T /*z*/, T a, T& s1, T& s2, T& s3) {
    s1 = T(1) - a * a;
    s2 = T(-2) * a * s1;
    s3 = s1 * (T(4) * a * a - T(2) * s1);
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
