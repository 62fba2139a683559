// SPDX-License-Identifier: BSD-3-Clause
// The Poisson problem -Lap u = f on a box with Dirichlet data, and its pointwise residual.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <Kokkos_Core.hpp>

#include "npde/core/expression.hpp"
#include "npde/pde/box.hpp"

namespace npde::pde {

/// Dirichlet data u = value on a set of faces.
struct DirichletCondition {
  std::vector<int> faces;  ///< face numbers (see box.hpp)
  Expression value;        ///< expression of the coordinates
};

/// -Lap u = f in the box, u = g on its faces; `exact` optional (for error reports).
struct PoissonProblem {
  Box box;
  Expression source;
  std::optional<Expression> exact;
  std::vector<DirichletCondition> dirichlet;

  /// Coordinate names for expressions: x (1D), x y (2D), x y z (3D).
  static std::vector<std::string> variables(int dim);
  /// Faces that carry a condition, in increasing order.
  std::vector<int> constrained_faces() const;
  /// Dirichlet value at boundary point x: the first condition with a face that holds x (on_face).
  /// Throws if none.
  double boundary_value(const double* x) const;
  /// Throws npde::InputError if a face has no condition or has two.
  void check_boundary_complete(const std::string& what) const;
};

/// Residual r = -Lap u - f, written once for plain scalars and dual numbers.
template <class V, class S>
KOKKOS_INLINE_FUNCTION V poisson_residual(const V& lap_u, const S& f) {
  return -lap_u - f;
}

}  // namespace npde::pde
