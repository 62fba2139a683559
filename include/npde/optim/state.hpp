// SPDX-License-Identifier: BSD-3-Clause
// Plain host copies of optimiser state, for checkpoints and roll-back (values in double: float
// state converts exactly both ways, so a restart is bit-identical in either precision).
#pragma once

#include <vector>

namespace npde::optim {

/// Everything that determines Adam's next steps.
struct AdamState {
  std::vector<double> m, v;  ///< moments, shape (n)
  long iteration = 0;        ///< steps taken
  double lr_scale = 1.0;
  /// Per-parameter step counts of a masked optimiser (Adam::step with a mask: the bias corrections of a
  /// parameter count its own steps), shape (n); empty: every parameter has taken `iteration` steps.
  std::vector<double> steps;
};

/// Everything that determines L-BFGS's next iterations (between iterations no line search is in
/// flight, so the curvature pairs and their bookkeeping are the whole state).
struct LbfgsState {
  std::vector<double> s, y;  ///< curvature pairs, (n, history) column-major ring buffer
  std::vector<double> rho;   ///< 1 / s'y per column
  int head = 0, count = 0;   ///< next column to write; pairs stored
  double gamma = 1.0;        ///< initial Hessian scaling
  long iteration = 0;
  std::vector<double> h;     ///< dense (SSBFGS) mode: the inverse Hessian, n x n; empty otherwise
};

}  // namespace npde::optim
