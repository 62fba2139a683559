// SPDX-License-Identifier: BSD-3-Clause
// Hard Dirichlet conditions: the trial function u = g + D * N with D vanishing on the constrained
// faces, evaluated on jets by the product rule (docs/numerics.md, "Hard boundary conditions").
#pragma once

#include <vector>

#include "npde/core/expression.hpp"
#include "npde/pde/box.hpp"

namespace npde::pinn {

/// Value, gradient and Laplacian of a scalar function at one point (host).
struct ScalarJet {
  double value = 0;
  double grad[3] = {0, 0, 0};
  double lap = 0;
};

/// D(x) = prod over constrained axes of phi_a(x_a): phi = 4 (x-l)(u-x)/(u-l)^2 when both faces of the
/// axis are constrained, (x-l)/(u-l) or (u-x)/(u-l) when one is, 1 when none. D is 0 exactly on the
/// constrained faces, positive inside, and of order one, so the network output keeps its scale.
class BoxDistance {
 public:
  BoxDistance() = default;
  /// [in] faces: constrained face numbers.
  BoxDistance(const pde::Box& box, const std::vector<int>& faces);
  ScalarJet eval(const double* x) const;

 private:
  pde::Box m_box;
  bool m_lower[3] = {false, false, false}, m_upper[3] = {false, false, false};
};

/// Jet of a user expression g by fourth-order central differences with step h per axis (the deck's
/// expressions are not differentiable symbolically). Truncation O(h^4), rounding O(eps/h^2).
ScalarJet expression_jet(const Expression& g, int dim, const double* x, const double* h);

}  // namespace npde::pinn
