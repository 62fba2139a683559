// SPDX-License-Identifier: BSD-3-Clause
// Hard conditions on space(-time) boxes: the trial function u = G + D N of one output, with the lift
// G meeting the output's Dirichlet and initial (value and rate) data and D vanishing where they hold
// (docs/numerics.md, "Hard conditions").
#pragma once

#include <optional>
#include <vector>

#include "npde/core/expression.hpp"
#include "npde/pde/equation.hpp"
#include "npde/pde/problem.hpp"

namespace npde::pinn {

/// A scalar function's canonical jet at one point (pde/equation.hpp layout): value, d/dx_k, d2/dx_k2 and
/// the Laplacian over a chosen set of inputs.
struct CanonicalJet {
  double e[pde::kCanonical] = {};
  double& value() { return e[pde::canonical_value()]; }
};

/// Trial function of one output:
///   G(x, t) = u0(x) + tau u1(x) + B(x, t) - B(x, t0) - tau B_t(x, t0),   tau = t - t0,
///   D(x, t) = prod_a phi_a(x_a) * (tau / T)^m,
/// with B the Dirichlet lift: the transfinite (Boolean-sum, Coons) interpolation of the data on the
/// Dirichlet faces, so that it uses boundary data only and meets it on every face; u0/u1
/// the initial value/rate (m = 1 with a value, 2 with a rate as well; the rate terms only then) and phi_a
/// the box distance factors of the Dirichlet faces. For compatible data (B(., t0) = u0 and
/// B_t(., t0) = u1 on the Dirichlet faces) u meets every absorbed condition exactly.
class TrialFunction {
 public:
  TrialFunction() = default;
  /// [in] problem, output. Absorbs the output's Dirichlet, Initial and InitialRate conditions (if
  /// problem.hard). Throws npde::InputError (naming problem.boundary) for a face given two Dirichlet
  /// conditions.
  TrialFunction(const pde::Problem& problem, int output);

  /// True if some condition was absorbed (otherwise u = N).
  bool active() const { return m_active; }
  /// True if problem.conditions[index] is built into this trial function (no loss term needed).
  bool absorbs(std::size_t index) const { return index < m_absorbed.size() && m_absorbed[index]; }
  /// G and D with derivatives d/dx_k for k in `first`, d2/dx_k2 for k in `second`, and the Laplacian over
  /// `laplacian` (bit masks over inputs); other entries zero. Derivatives of G by fourth-order central
  /// differences of the expressions (step 1e-3 of the extent: truncation ~1e-12, rounding ~1e-10).
  void eval(const double* x, unsigned first, unsigned second, unsigned laplacian, CanonicalJet& g,
            CanonicalJet& d) const;
  /// G + D n at x (value only).
  double value(const double* x, double n) const;

 private:
  double lift(const double* x) const;
  double distance(const double* x, double* grad, double* second) const;
  int m_n_inputs = 1, m_n_space = 1;
  bool m_time = false, m_active = false;
  pde::Box m_box;
  std::vector<bool> m_absorbed;
  double m_t0 = 0, m_span = 1;
  double boundary(const double* x, double t) const;
  // Dirichlet lift B: the transfinite interpolation of the face data (the expression of each face)
  std::vector<Expression> m_face_data;  ///< per constrained face, by face number (undefined: free)
  std::vector<int> m_lift_axes;         ///< spatial axes with at least one Dirichlet face
  std::optional<Expression> m_u0, m_u1;
  bool m_lower[3] = {false, false, false}, m_upper[3] = {false, false, false};
  int m_time_power = 0;
};

}  // namespace npde::pinn
