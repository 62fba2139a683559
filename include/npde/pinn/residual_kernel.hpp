// SPDX-License-Identifier: BSD-3-Clause
// The type-erased interior residual of an equation, as the PINN consumes it (the equation-typed
// implementation is EquationKernel in equation_kernel.hpp).
#pragma once

#include <string>
#include <vector>

#include <Kokkos_Core.hpp>

#include "npde/pde/equation.hpp"

namespace npde::pinn {

/// Most coefficients and residuals an equation may have.
inline constexpr int kMaxCoefficients = 8;
inline constexpr int kMaxResiduals = 4;

/// Interior-point auxiliary data: the equation's n_data values, then per output the canonical jets of
/// the trial function's G and D (zeros for soft outputs).
KOKKOS_INLINE_FUNCTION constexpr int aux_width(int n_data, int n_outputs) {
  return n_data + 2 * pde::kCanonical * n_outputs;
}

/// Type-erased interior residual of one equation (EquationKernel below).
template <class T>
class ResidualKernel {
 public:
  virtual ~ResidualKernel() = default;
  virtual std::string name() const = 0;
  virtual int n_space() const = 0;
  virtual bool time_dependent() const = 0;
  virtual int n_outputs() const = 0;
  virtual int n_residuals() const = 0;
  virtual int n_data() const = 0;
  virtual pde::Needs needs() const = 0;
  virtual std::vector<std::string> residual_names() const = 0;
  virtual std::vector<std::string> coefficient_names() const = 0;
  /// Sets the coefficients (in coefficient_names order).
  virtual void set_coefficients(const std::vector<double>& k) = 0;
  /// n points. out: network output jets of a JetMlp with jet_spec_of(needs()) ((n_outputs, C*n)
  /// column-major); aux: aux_width(..) values per point; hard: bit o set if output o uses its trial
  /// function; scale[j]: weight of residual j's squared sum. Writes sq (n_residuals, n): the squared
  /// residuals, and adj (out's layout): d(sum_j scale_j sum_p r_jp^2)/d(out). Device pointers.
  virtual void evaluate(int n, const T* out, const T* aux, unsigned hard, const T* scale, T* sq, T* adj) const = 0;
  /// As evaluate, and also coef_adj (n_coefficients, n): the derivative of point p's weighted squared
  /// residuals with respect to each coefficient (for trained coefficients: inverse problems).
  virtual void evaluate_coefficients(int n, const T* out, const T* aux, unsigned hard, const T* scale, T* sq, T* adj,
                                     T* coef_adj) const = 0;
  /// The residuals and their derivatives with respect to the network jets (for losses that are not
  /// sums of squared residuals: interface terms of multi-domain PINNs). n points, out and aux as in
  /// evaluate. Writes r (n_residuals, n) and dr: dr[((j * n_outputs + o) * C + c) * n + p] = d r_jp / d
  /// out(o, c, p), C the jet's channels. Device pointers.
  virtual void linearize(int n, const T* out, const T* aux, unsigned hard, T* r, T* dr) const = 0;
};

}  // namespace npde::pinn
