// SPDX-License-Identifier: BSD-3-Clause
// The run-time definition of a problem for any equation of pde/: its space(-time) box, outputs,
// coefficients, per-point data, conditions and exact solutions. Built from a validated deck by
// app::make_equation_problem (app/setup.cpp); consumed by the PINN trainer (pinn/).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "npde/core/expression.hpp"
#include "npde/pde/box.hpp"

namespace npde::pde {

/// What a condition prescribes.
enum class ConditionKind {
  Dirichlet,    ///< u = g on faces
  Neumann,      ///< outward normal derivative du/dn = g on faces
  Periodic,     ///< u and its normal derivative equal on the two faces of an axis
  Initial,      ///< u(x, t0) = g(x)
  InitialRate   ///< u_t(x, t0) = g(x) (second order in time)
};

/// "dirichlet", "neumann", "periodic", "initial", "initial_rate".
std::string to_string(ConditionKind kind);

/// One condition on one output. Faces are faces of the inputs' box (face = 2 axis + side, time
/// being the last axis): Dirichlet/Neumann list spatial faces, Periodic the lower face of each
/// periodic axis, Initial/InitialRate the lower time face.
struct Condition {
  ConditionKind kind = ConditionKind::Dirichlet;
  std::vector<int> faces;
  int output = 0;
  Expression value;  ///< of the inputs (x[, y[, z]][, t]); unused for Periodic
  bool soft = false;  ///< a loss term even when the problem is hard (data no trial function can meet)
};

/// Measured values of one output at given points (inverse problems): the data term.
struct Observations {
  int output = 0;
  std::vector<double> points;  ///< row-major (n, n_inputs)
  std::vector<double> values;  ///< n values
};

/// Constraints that make an eigenproblem's loss have no trivial minimum (1D): on a Simpson grid of
/// `quadrature` points over the box, (int psi^2 - 1)^2 and, against each earlier state phi_k,
/// (int psi phi_k)^2.
struct EigenConstraints {
  int quadrature = 0;  ///< odd >= 3; 0: not an eigenproblem
  std::vector<std::vector<double>> previous;  ///< earlier states at the quadrature points (normalised)
  std::vector<std::vector<double>> previous_derivative;  ///< their derivatives there (Rayleigh quotients)
  double weight_normalisation = 1, weight_orthogonality = 1;
  /// A loss term weight_energy * R[psi], R the Rayleigh quotient int(psi'^2 + V psi^2) / int psi^2 with
  /// the earlier states projected out: its minimum over the network is the next eigenvalue, so it
  /// leads the state into the right basin (whatever the starting energy); stages may switch it off.
  bool energy_term = false;
  double weight_energy = 0;
};

/// A problem on an axis-aligned space(-time) box.
struct Problem {
  std::string equation;               ///< the equation's name (pde/ equation struct `name`)
  int n_space = 1;                    ///< spatial dimensions
  bool time_dependent = false;        ///< time is then the last input
  Box box;                            ///< the inputs' box (n_inputs() axes, time last)
  std::vector<std::string> outputs{"u"};
  std::vector<double> coefficients;   ///< in the equation's coefficient_names order
  std::vector<Expression> data;       ///< per-point data of the residual (source f, potential V), of the inputs
  std::vector<Condition> conditions;
  std::vector<std::optional<Expression>> exact;  ///< per output, of the inputs (empty optional: unknown)
  bool hard = true;                   ///< enforce Dirichlet and initial conditions by a trial function
  /// Per output: true if the equations fix it only up to an additive constant (pressure); errors
  /// are then measured after removing the mean difference. Empty: none.
  std::vector<bool> up_to_constant;
  /// Per coefficient: learnt from the observations (inverse problem) instead of fixed; its value in
  /// `coefficients` is then the initial guess. Empty: none.
  std::vector<bool> trainable;
  std::vector<Observations> observations;
  EigenConstraints eigen;

  int n_inputs() const { return n_space + (time_dependent ? 1 : 0); }
  int n_outputs() const { return int(outputs.size()); }
  /// Input names: x[, y[, z]] then t.
  std::vector<std::string> input_names() const;
  /// Box face of the initial slice (t = t0); requires time_dependent.
  int initial_face() const { return 2 * n_space; }
  /// Number of trainable coefficients.
  int n_trainable() const;
  /// True if some output has an exact solution.
  bool has_exact() const;
  /// Value of the first Dirichlet condition on `output` with a face that holds the point (on_face):
  /// `inputs` are its inputs (x[, y[, z]][, t]). Throws npde::Error if no such condition holds it.
  double dirichlet_value(int output, const double* inputs) const;
};

}  // namespace npde::pde
