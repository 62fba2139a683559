// SPDX-License-Identifier: BSD-3-Clause
// Steady incompressible Navier-Stokes in 2D, defined once (see scalar_equations.hpp for the shape of an
// equation): outputs u, v, p; residuals the two momentum equations and continuity.
#pragma once

#include "npde/pde/equation.hpp"

namespace npde::pde {

/// u u_x + v u_y + p_x - Lap u / Re = f_u, u v_x + v v_y + p_y - Lap v / Re = f_v, u_x + v_y = 0
/// (inputs x, y; outputs u, v, p; data f_u, f_v).
struct NavierStokesEquation {
  static constexpr const char* name = "navier_stokes";
  static constexpr int n_space = 2, n_inputs = 2, n_outputs = 3, n_residuals = 3, n_data = 2;
  static constexpr bool time_dependent = false;
  static constexpr Needs needs{0b11u, 0u, 0b11u};
  static constexpr int n_coefficients = 1;
  static constexpr const char* coefficient_names[1] = {"reynolds"};
  static constexpr const char* residual_names[3] = {"momentum_x", "momentum_y", "continuity"};
  static constexpr const char* output_names[3] = {"u", "v", "p"};
  template <class V, class S, class C>
  KOKKOS_INLINE_FUNCTION static void residual(const Fields<V>& w, const S* data, const C* k, V* r) {
    const C nu = C(1) / k[0];
    const V &u = w.value(0), &v = w.value(1);
    r[0] = u * w.d(0, 0) + v * w.d(0, 1) + w.d(2, 0) - nu * w.lap(0) - data[0];
    r[1] = u * w.d(1, 0) + v * w.d(1, 1) + w.d(2, 1) - nu * w.lap(1) - data[1];
    r[2] = w.d(0, 0) + w.d(1, 1);
  }
};

}  // namespace npde::pde
