// SPDX-License-Identifier: BSD-3-Clause
// PoissonProblem helpers: boundary lookup and completeness checks.
#include "npde/pde/poisson.hpp"

#include <algorithm>

#include "npde/core/error.hpp"

namespace npde::pde {

std::vector<std::string> PoissonProblem::variables(int dim) {
  static const char* names[3] = {"x", "y", "z"};
  return std::vector<std::string>(names, names + dim);
}

std::vector<int> PoissonProblem::constrained_faces() const {
  std::vector<int> out;
  for (const auto& c : dirichlet) out.insert(out.end(), c.faces.begin(), c.faces.end());
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

double PoissonProblem::boundary_value(const double* x) const {
  for (const auto& c : dirichlet)
    for (int f : c.faces)
      if (on_face(box, f, x)) return c.value.eval(x);
  NPDE_REQUIRE(false, "point is on no constrained face");
}

void PoissonProblem::check_boundary_complete(const std::string& what) const {
  std::vector<int> count(n_faces(box), 0);
  for (const auto& c : dirichlet)
    for (int f : c.faces) ++count[f];
  for (int f = 0; f < n_faces(box); ++f) {
    if (count[f] == 0) NPDE_INPUT_ERROR(what << ": face '" << face_name(f) << "' has no boundary condition");
    if (count[f] > 1) NPDE_INPUT_ERROR(what << ": face '" << face_name(f) << "' has " << count[f] << " conditions");
  }
}

}  // namespace npde::pde
