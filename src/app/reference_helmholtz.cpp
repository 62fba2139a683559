// SPDX-License-Identifier: BSD-3-Clause
// Deck -> Helmholtz finite-difference reference solve (-Lap u - k^2 u = f, Dirichlet data).
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "npde/app/reference_problems.hpp"
#include "npde/core/error.hpp"
#include "npde/core/expression.hpp"
#include "npde/core/log.hpp"
#include "npde/pde/box.hpp"
#include "npde/reference/helmholtz_fd.hpp"
#include "npde/reference/poisson_fd.hpp"

namespace npde::app {
namespace {

// Dirichlet data u = value on a set of faces (from one problem.boundary entry).
struct FaceCondition {
  std::vector<int> faces;
  Expression value;
};

pde::Box deck_box(const io::Deck& deck) {
  pde::Box box;
  box.dim = deck.dim;
  for (int a = 0; a < deck.dim; ++a) box.lower[a] = deck.lower[a], box.upper[a] = deck.upper[a];
  return box;
}

// Every face must carry exactly one Dirichlet condition; periodic faces are not supported here.
std::vector<FaceCondition> dirichlet_conditions(const io::Deck& deck, const pde::Box& box,
                                                const std::vector<std::string>& vars) {
  std::vector<FaceCondition> conditions;
  std::vector<int> count(pde::n_faces(box), 0);
  for (std::size_t i = 0; i < deck.boundary.size(); ++i) {
    const auto& b = deck.boundary[i];
    const std::string key = "problem.boundary[" + std::to_string(i) + "]";
    if (b.type != "dirichlet")
      NPDE_INPUT_ERROR(key << ".type: the " << deck.pde << " reference solver supports dirichlet only, got '" << b.type
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

// The first condition whose faces hold x (edges and corners belong to several faces).
double boundary_value(const std::vector<FaceCondition>& conditions, const pde::Box& box, const double* x) {
  for (const auto& c : conditions)
    for (int f : c.faces) {
      const int a = pde::face_axis(f);
      if (std::fabs(x[a] - pde::face_coordinate(box, f)) <= 1e-12 * box.extent(a)) return c.value.eval(x);
    }
  NPDE_REQUIRE(false, "point is on no face of the box");
}

std::vector<int> checked_grid(const io::Deck& deck) {
  const std::vector<int> grid = deck.reference_grid.empty() ? std::vector<int>(deck.dim, 65) : deck.reference_grid;
  if (static_cast<int>(grid.size()) != deck.dim)
    NPDE_INPUT_ERROR("reference.grid: " << grid.size() << " entries for a " << deck.dim << "D domain");
  for (int n : grid)
    if (n < 3) NPDE_INPUT_ERROR("reference.grid: Helmholtz needs at least 3 points per axis, got " << n);
  return grid;
}

}  // namespace

reference::GridSolution reference_helmholtz(const decomp::Communicator& comm, const io::Deck& deck) {
  // 1. The problem from the deck (every rank builds the same, so input errors agree).
  if (deck.dim < 1 || deck.dim > 3) NPDE_INPUT_ERROR("problem.domain: Helmholtz needs 1 to 3 dimensions");
  const auto k_entry = deck.coefficients.find("k");
  if (k_entry == deck.coefficients.end()) NPDE_INPUT_ERROR("problem.coefficients.k: required for helmholtz");
  if (!std::isfinite(k_entry->second)) NPDE_INPUT_ERROR("problem.coefficients.k: must be finite");
  const pde::Box box = deck_box(deck);
  std::vector<std::string> vars = {"x", "y", "z"};
  vars.resize(static_cast<std::size_t>(deck.dim));
  const Expression source(deck.source, vars, "problem.source");
  const std::vector<FaceCondition> conditions = dirichlet_conditions(deck, box, vars);

  reference::HelmholtzFdProblem problem;
  problem.dim = deck.dim;
  for (int a = 0; a < deck.dim; ++a) problem.lower[a] = deck.lower[a], problem.upper[a] = deck.upper[a];
  problem.grid = checked_grid(deck);
  problem.k = k_entry->second;
  // The solver calls these from one thread per rank, as Expression requires.
  problem.source = [&source](const double* x) { return source.eval(x); };
  problem.boundary = [&conditions, &box](const double* x) { return boundary_value(conditions, box, x); };
  problem.petsc_options = deck.reference_petsc;

  // 2. Solve.
  const double lambda_min =
      reference::smallest_dirichlet_eigenvalue(problem.dim, problem.lower, problem.upper, problem.grid);
  log::info(log::format("reference: Helmholtz k = ", problem.k, ", k^2 ", problem.k * problem.k < lambda_min ? "<" : ">=",
                        " lambda_min = ", lambda_min, " (", problem.k * problem.k < lambda_min ? "definite" : "indefinite",
                        ")"));
  reference::GridSolution solution = reference::solve_helmholtz_fd(comm, problem);

  // 3. Exact solution at the grid points and the error.
  if (deck.exact) {
    const Expression exact(*deck.exact, vars, "problem.exact");
    std::vector<double> values;
    values.reserve(solution.n_points());
    const std::size_t nx = solution.axes[0].size(), ny = deck.dim > 1 ? solution.axes[1].size() : 1,
                      nz = deck.dim > 2 ? solution.axes[2].size() : 1;
    for (std::size_t k = 0; k < nz; ++k)
      for (std::size_t j = 0; j < ny; ++j)
        for (std::size_t i = 0; i < nx; ++i) {
          const double x[3] = {solution.axes[0][i], deck.dim > 1 ? solution.axes[1][j] : 0.0,
                               deck.dim > 2 ? solution.axes[2][k] : 0.0};
          values.push_back(exact.eval(x));
        }
    bool nonzero = false;
    for (double v : values) nonzero = nonzero || v != 0;
    // A zero exact solution has no relative error; the field comparison is still written.
    if (nonzero)
      solution.summary.emplace_back("rel_l2_exact", reference::relative_l2(solution.fields.at(0).second, values));
    solution.exact.emplace_back("u", std::move(values));
  }
  return solution;
}

}  // namespace npde::app
