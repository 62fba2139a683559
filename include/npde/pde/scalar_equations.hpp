// SPDX-License-Identifier: BSD-3-Clause
// The scalar equations of the catalogue, each defined once: inputs, outputs, coefficients, the
// derivatives it reads and its residual as one templated pointwise function (plain numbers for
// evaluation, dual numbers for the adjoint). The PINN trainer and the tests instantiate these; the
// classical solvers in reference/ solve the same equations (docs/numerics.md, "Equations").
//
// An equation is a struct with:
//   name, n_space, time_dependent, n_inputs (= n_space + time_dependent; time is the last input),
//   n_outputs, n_residuals, n_data (per-point data the residual reads, evaluated from the deck's
//   expressions at sampling time: data[0] is the source f or the potential V), needs (Needs),
//   n_coefficients and coefficient_names[], residual_names[],
//   template <class V, class S, class C> static void residual(Fields<V> u, const S* data, const C* k, V* r)
// where k holds the coefficients in coefficient_names order (C may be a dual when coefficients are
// trained, as in inverse problems).
#pragma once

#include "npde/pde/equation.hpp"

namespace npde::pde {

/// -Lap u = f (Dim = 1..3).
template <int Dim>
struct PoissonEquation {
  static constexpr const char* name = "poisson";
  static constexpr int n_space = Dim, n_inputs = Dim, n_outputs = 1, n_residuals = 1, n_data = 1;
  static constexpr bool time_dependent = false;
  static constexpr Needs needs{all_inputs(Dim), 0u, all_inputs(Dim)};
  static constexpr int n_coefficients = 0;
  static constexpr const char* coefficient_names[1] = {""};
  static constexpr const char* residual_names[1] = {"pde"};
  template <class V, class S, class C>
  KOKKOS_INLINE_FUNCTION static void residual(const Fields<V>& u, const S* data, const C*, V* r) {
    r[0] = -u.lap(0) - data[0];
  }
};

/// -Lap u - k^2 u = f (Dim = 1..3).
template <int Dim>
struct HelmholtzEquation {
  static constexpr const char* name = "helmholtz";
  static constexpr int n_space = Dim, n_inputs = Dim, n_outputs = 1, n_residuals = 1, n_data = 1;
  static constexpr bool time_dependent = false;
  static constexpr Needs needs{all_inputs(Dim), 0u, all_inputs(Dim)};
  static constexpr int n_coefficients = 1;
  static constexpr const char* coefficient_names[1] = {"k"};
  static constexpr const char* residual_names[1] = {"pde"};
  template <class V, class S, class C>
  KOKKOS_INLINE_FUNCTION static void residual(const Fields<V>& u, const S* data, const C* k, V* r) {
    r[0] = -u.lap(0) - k[0] * k[0] * u.value(0) - data[0];
  }
};

/// u_t = D Lap u - r u + f (Dim = 1..2 space dimensions, inputs x[, y], t).
template <int Dim>
struct HeatEquation {
  static constexpr const char* name = "heat";
  static constexpr int n_space = Dim, n_inputs = Dim + 1, n_outputs = 1, n_residuals = 1, n_data = 1;
  static constexpr bool time_dependent = true;
  static constexpr Needs needs{all_inputs(Dim + 1), 0u, all_inputs(Dim)};
  static constexpr int n_coefficients = 2;
  static constexpr const char* coefficient_names[2] = {"diffusivity", "reaction"};
  static constexpr const char* residual_names[1] = {"pde"};
  template <class V, class S, class C>
  KOKKOS_INLINE_FUNCTION static void residual(const Fields<V>& u, const S* data, const C* k, V* r) {
    r[0] = u.d(0, Dim) - k[0] * u.lap(0) + k[1] * u.value(0) - data[0];
  }
};

/// Viscous Burgers u_t + u u_x = nu u_xx + f (inputs x, t).
struct BurgersEquation {
  static constexpr const char* name = "burgers";
  static constexpr int n_space = 1, n_inputs = 2, n_outputs = 1, n_residuals = 1, n_data = 1;
  static constexpr bool time_dependent = true;
  static constexpr Needs needs{0b11u, 0b01u, 0u};
  static constexpr int n_coefficients = 1;
  static constexpr const char* coefficient_names[1] = {"viscosity"};
  static constexpr const char* residual_names[1] = {"pde"};
  template <class V, class S, class C>
  KOKKOS_INLINE_FUNCTION static void residual(const Fields<V>& u, const S* data, const C* k, V* r) {
    r[0] = u.d(0, 1) + u.value(0) * u.d(0, 0) - k[0] * u.dd(0, 0) - data[0];
  }
};

/// Allen-Cahn u_t = D u_xx + rho (u - u^3) + f (inputs x, t).
struct AllenCahnEquation {
  static constexpr const char* name = "allen_cahn";
  static constexpr int n_space = 1, n_inputs = 2, n_outputs = 1, n_residuals = 1, n_data = 1;
  static constexpr bool time_dependent = true;
  static constexpr Needs needs{0b11u, 0b01u, 0u};
  static constexpr int n_coefficients = 2;
  static constexpr const char* coefficient_names[2] = {"diffusivity", "reaction"};
  static constexpr const char* residual_names[1] = {"pde"};
  template <class V, class S, class C>
  KOKKOS_INLINE_FUNCTION static void residual(const Fields<V>& u, const S* data, const C* k, V* r) {
    const V& v = u.value(0);
    r[0] = u.d(0, 1) - k[0] * u.dd(0, 0) - k[1] * (v - v * v * v) - data[0];
  }
};

/// Klein-Gordon u_tt - c^2 u_xx + gamma u^3 = f (inputs x, t).
struct KleinGordonEquation {
  static constexpr const char* name = "klein_gordon";
  static constexpr int n_space = 1, n_inputs = 2, n_outputs = 1, n_residuals = 1, n_data = 1;
  static constexpr bool time_dependent = true;
  static constexpr Needs needs{0b11u, 0b11u, 0u};
  static constexpr int n_coefficients = 2;
  static constexpr const char* coefficient_names[2] = {"wave_speed", "cubic"};
  static constexpr const char* residual_names[1] = {"pde"};
  template <class V, class S, class C>
  KOKKOS_INLINE_FUNCTION static void residual(const Fields<V>& u, const S* data, const C* k, V* r) {
    const V& v = u.value(0);
    r[0] = u.dd(0, 1) - k[0] * k[0] * u.dd(0, 0) + k[1] * v * v * v - data[0];
  }
};

}  // namespace npde::pde

namespace npde::pde {

/// Stationary Schroedinger eigenproblem -psi'' + V psi = E psi (input x; data V). The energy E is the
/// equation's coefficient: trained beside the network (pinn eigen mode), with normalisation and
/// orthogonality terms on a quadrature grid so that psi = 0 is not a minimum.
struct SchrodingerEquation {
  static constexpr const char* name = "schrodinger";
  static constexpr int n_space = 1, n_inputs = 1, n_outputs = 1, n_residuals = 1, n_data = 1;
  static constexpr bool time_dependent = false;
  static constexpr Needs needs{0b1u, 0u, 0b1u};
  static constexpr int n_coefficients = 1;
  static constexpr const char* coefficient_names[1] = {"energy"};
  static constexpr const char* residual_names[1] = {"pde"};
  template <class V, class S, class C>
  KOKKOS_INLINE_FUNCTION static void residual(const Fields<V>& u, const S* data, const C* k, V* r) {
    r[0] = -u.lap(0) + data[0] * u.value(0) - k[0] * u.value(0);
  }
};

}  // namespace npde::pde
