// SPDX-License-Identifier: BSD-3-Clause
// A small forward-mode dual number with N tangent directions, host and device callable.
// PDE residuals are written once as templates; evaluating them with Dual<T, N> gives their
// derivatives with respect to up to N jet entries, so no adjoint is ever written by hand.
#pragma once

#include "npde/core/math.hpp"

namespace npde {

// The dual type and its functions live in npde::ad, so that the overloads found by argument-dependent
// lookup (sin, exp, log, ...) never collide with npde's own names (the npde::log namespace).
namespace ad {

/// v + sum_k d[k] eps_k with eps_i eps_j = 0.
template <class T, int N>
struct Dual {
  static constexpr int size = N;  ///< number of tangent directions
  T v{};
  T d[N]{};

  KOKKOS_INLINE_FUNCTION Dual() = default;
  KOKKOS_INLINE_FUNCTION Dual(T value) : v(value) {  // NOLINT: implicit from constants
    for (int k = 0; k < N; ++k) d[k] = T(0);
  }
  /// The independent variable number `k` with value `value`.
  KOKKOS_INLINE_FUNCTION static Dual variable(T value, int k) {
    Dual r(value);
    r.d[k] = T(1);
    return r;
  }
};

template <class T>
struct is_dual {
  static constexpr bool value = false;
};
template <class T, int N>
struct is_dual<Dual<T, N>> {
  static constexpr bool value = true;
};

/// Value part of a plain scalar or a dual number.
template <class T>
KOKKOS_INLINE_FUNCTION T value_of(const T& x) {
  return x;
}
template <class T, int N>
KOKKOS_INLINE_FUNCTION T value_of(const Dual<T, N>& x) {
  return x.v;
}

// Binary operators on duals and on dual/scalar mixes.
template <class T, int N>
KOKKOS_INLINE_FUNCTION Dual<T, N> operator+(const Dual<T, N>& a, const Dual<T, N>& b) {
  Dual<T, N> r;
  r.v = a.v + b.v;
  for (int k = 0; k < N; ++k) r.d[k] = a.d[k] + b.d[k];
  return r;
}
template <class T, int N>
KOKKOS_INLINE_FUNCTION Dual<T, N> operator-(const Dual<T, N>& a, const Dual<T, N>& b) {
  Dual<T, N> r;
  r.v = a.v - b.v;
  for (int k = 0; k < N; ++k) r.d[k] = a.d[k] - b.d[k];
  return r;
}
template <class T, int N>
KOKKOS_INLINE_FUNCTION Dual<T, N> operator-(const Dual<T, N>& a) {
  Dual<T, N> r;
  r.v = -a.v;
  for (int k = 0; k < N; ++k) r.d[k] = -a.d[k];
  return r;
}
template <class T, int N>
KOKKOS_INLINE_FUNCTION Dual<T, N> operator*(const Dual<T, N>& a, const Dual<T, N>& b) {
  Dual<T, N> r;
  r.v = a.v * b.v;
  for (int k = 0; k < N; ++k) r.d[k] = a.d[k] * b.v + a.v * b.d[k];
  return r;
}
template <class T, int N>
KOKKOS_INLINE_FUNCTION Dual<T, N> operator/(const Dual<T, N>& a, const Dual<T, N>& b) {
  Dual<T, N> r;
  const T inv = T(1) / b.v;
  r.v = a.v * inv;
  for (int k = 0; k < N; ++k) r.d[k] = (a.d[k] - r.v * b.d[k]) * inv;
  return r;
}
#define NPDE_DUAL_SCALAR_OPS(OP)                                                         \
  template <class T, int N>                                                              \
  KOKKOS_INLINE_FUNCTION Dual<T, N> operator OP(const Dual<T, N>& a, const T& b) {       \
    return a OP Dual<T, N>(b);                                                           \
  }                                                                                      \
  template <class T, int N>                                                              \
  KOKKOS_INLINE_FUNCTION Dual<T, N> operator OP(const T& a, const Dual<T, N>& b) {       \
    return Dual<T, N>(a) OP b;                                                           \
  }
NPDE_DUAL_SCALAR_OPS(+)
NPDE_DUAL_SCALAR_OPS(-)
NPDE_DUAL_SCALAR_OPS(*)
NPDE_DUAL_SCALAR_OPS(/)
#undef NPDE_DUAL_SCALAR_OPS

/// Chain rule helper: f(a) with f(a.v) = fv and f'(a.v) = fd.
template <class T, int N>
KOKKOS_INLINE_FUNCTION Dual<T, N> chain(const Dual<T, N>& a, T fv, T fd) {
  Dual<T, N> r;
  r.v = fv;
  for (int k = 0; k < N; ++k) r.d[k] = fd * a.d[k];
  return r;
}

template <class T, int N>
KOKKOS_INLINE_FUNCTION Dual<T, N> sin(const Dual<T, N>& a) {
  return chain(a, math::sin(a.v), math::cos(a.v));
}
template <class T, int N>
KOKKOS_INLINE_FUNCTION Dual<T, N> cos(const Dual<T, N>& a) {
  return chain(a, math::cos(a.v), -math::sin(a.v));
}
template <class T, int N>
KOKKOS_INLINE_FUNCTION Dual<T, N> exp(const Dual<T, N>& a) {
  const T e = math::exp(a.v);
  return chain(a, e, e);
}
template <class T, int N>
KOKKOS_INLINE_FUNCTION Dual<T, N> log(const Dual<T, N>& a) {
  return chain(a, math::log(a.v), T(1) / a.v);
}
template <class T, int N>
KOKKOS_INLINE_FUNCTION Dual<T, N> tanh(const Dual<T, N>& a) {
  const T t = math::tanh(a.v);
  return chain(a, t, T(1) - t * t);
}
template <class T, int N>
KOKKOS_INLINE_FUNCTION Dual<T, N> sqrt(const Dual<T, N>& a) {
  const T s = math::sqrt(a.v);
  return chain(a, s, T(0.5) / s);
}
/// Integer power p >= 0 (the usual case in PDE residuals: u^2, u^3).
template <class T, int N>
KOKKOS_INLINE_FUNCTION Dual<T, N> ipow(const Dual<T, N>& a, int p) {
  T pm1 = T(1);
  for (int i = 0; i < p - 1; ++i) pm1 *= a.v;
  return chain(a, p >= 1 ? pm1 * a.v : T(1), T(p) * pm1);
}
/// Integer power p >= 0 of a plain scalar (so one residual template serves T and Dual<T, N>).
template <class T>
KOKKOS_INLINE_FUNCTION T ipow(const T& a, int p) {
  T r = T(1);
  for (int i = 0; i < p; ++i) r *= a;
  return r;
}

}  // namespace ad

using ad::chain;
using ad::Dual;
using ad::ipow;
using ad::is_dual;
using ad::value_of;

}  // namespace npde
