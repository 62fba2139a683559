// SPDX-License-Identifier: BSD-3-Clause
// Private to app/: Dirichlet face data and exact-solution sampling shared by the box-grid reference decks.
#include "app/reference_expr.hpp"

#include <cmath>
#include <utility>

#include "npde/core/error.hpp"

namespace npde::app::detail {

pde::Box deck_box(const io::Deck& deck) {
  pde::Box box;
  box.dim = deck.dim;
  for (int a = 0; a < deck.dim; ++a) box.lower[a] = deck.lower[a], box.upper[a] = deck.upper[a];
  return box;
}

std::vector<FaceCondition> dirichlet_conditions(const io::Deck& deck, const pde::Box& box,
                                                const std::vector<std::string>& vars, const std::string& solver) {
  std::vector<FaceCondition> conditions;
  std::vector<int> count(pde::n_faces(box), 0);
  for (std::size_t i = 0; i < deck.boundary.size(); ++i) {
    const auto& b = deck.boundary[i];
    const std::string key = "problem.boundary[" + std::to_string(i) + "]";
    if (b.type != "dirichlet")
      NPDE_INPUT_ERROR(key << ".type: the " << solver << " reference solver supports dirichlet only, got '" << b.type
                           << "'");
    FaceCondition c;
    for (const auto& f : b.faces) {
      if (f == "all") {
        for (int k = 0; k < pde::n_faces(box); ++k) c.faces.push_back(k);
      } else {
        c.faces.push_back(pde::face_from_name(f, deck.dim, key + ".faces"));
      }
    }
    for (int f : c.faces) ++count[f];
    c.value = Expression(b.value, vars, key + ".value");
    conditions.push_back(std::move(c));
  }
  for (int f = 0; f < pde::n_faces(box); ++f) {
    if (count[f] == 0) NPDE_INPUT_ERROR("problem.boundary: face '" << pde::face_name(f) << "' has no condition");
    if (count[f] > 1)
      NPDE_INPUT_ERROR("problem.boundary: face '" << pde::face_name(f) << "' has " << count[f] << " conditions");
  }
  return conditions;
}

double boundary_value(const std::vector<FaceCondition>& conditions, const pde::Box& box, const double* x,
                      const double* vars) {
  for (const auto& c : conditions)
    for (int f : c.faces) {
      const int a = pde::face_axis(f);
      if (std::fabs(x[a] - pde::face_coordinate(box, f)) <= 1e-12 * box.extent(a)) return c.value.eval(vars);
    }
  NPDE_REQUIRE(false, "point is on no face of the box");
}

void for_each_grid_point(const reference::GridSolution& solution, int dim, const std::function<void(const double*)>& f) {
  const std::size_t nx = solution.axes[0].size(), ny = dim > 1 ? solution.axes[1].size() : 1,
                    nz = dim > 2 ? solution.axes[2].size() : 1;
  for (std::size_t k = 0; k < nz; ++k)
    for (std::size_t j = 0; j < ny; ++j)
      for (std::size_t i = 0; i < nx; ++i) {
        const double x[3] = {solution.axes[0][i], dim > 1 ? solution.axes[1][j] : 0.0,
                             dim > 2 ? solution.axes[2][k] : 0.0};
        f(x);
      }
}

}  // namespace npde::app::detail
