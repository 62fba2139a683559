// SPDX-License-Identifier: BSD-3-Clause
// Problem helpers.
#include "npde/pde/problem.hpp"

#include "npde/core/error.hpp"

namespace npde::pde {

std::string to_string(ConditionKind kind) {
  switch (kind) {
    case ConditionKind::Dirichlet: return "dirichlet";
    case ConditionKind::Neumann: return "neumann";
    case ConditionKind::Periodic: return "periodic";
    case ConditionKind::Initial: return "initial";
    case ConditionKind::InitialRate: return "initial_rate";
  }
  return "?";
}

std::vector<std::string> Problem::input_names() const {
  static const char* space[3] = {"x", "y", "z"};
  std::vector<std::string> names(space, space + n_space);
  if (time_dependent) names.push_back("t");
  return names;
}

int Problem::n_trainable() const {
  int n = 0;
  for (bool t : trainable) n += t ? 1 : 0;
  return n;
}

bool Problem::has_exact() const {
  for (const auto& e : exact)
    if (e) return true;
  return false;
}

double Problem::dirichlet_value(int output, const double* inputs) const {
  for (const auto& c : conditions)
    if (c.kind == ConditionKind::Dirichlet && c.output == output)
      for (int f : c.faces)
        if (on_face(box, f, inputs)) return c.value.eval(inputs);
  NPDE_REQUIRE(false, "point is on no face with a Dirichlet condition on output " << output);
}

}  // namespace npde::pde
