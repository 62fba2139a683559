// SPDX-License-Identifier: BSD-3-Clause
// Deck -> Darcy flow reference solve: random coefficient, source and boundary expressions, FD solve.
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "app/random_problems.hpp"
#include "npde/app/reference_problems.hpp"
#include "npde/core/error.hpp"
#include "npde/core/expression.hpp"
#include "npde/core/log.hpp"
#include "npde/reference/darcy_fd.hpp"
#include "npde/reference/random_field.hpp"

namespace npde::app::detail {

reference::RandomFieldParams random_field_params(const io::Deck& deck) {
  const io::RandomFieldSpec& s = deck.random_field;
  if (!(s.alpha > 0) || !(s.tau > 0) || !(s.sigma >= 0))
    NPDE_INPUT_ERROR("problem.random_field: need alpha > 0, tau > 0, sigma >= 0; got alpha " << s.alpha << ", tau "
                                                                                               << s.tau << ", sigma " << s.sigma);
  reference::RandomFieldParams p;
  p.alpha = s.alpha, p.tau = s.tau, p.sigma = s.sigma, p.seed = s.seed;
  p.thresholded = s.thresholded, p.threshold = s.threshold, p.above = s.above, p.below = s.below;
  return p;
}

std::vector<int> darcy_grid(const io::Deck& deck) {
  if (deck.dim != 2) NPDE_INPUT_ERROR("problem.domain: darcy is 2D, got " << deck.dim << " coordinates");
  const std::vector<int> grid = deck.reference_grid.empty() ? std::vector<int>{65, 65} : deck.reference_grid;
  if (grid.size() != 2 || grid[0] < 3 || grid[1] < 3)
    NPDE_INPUT_ERROR("reference.grid: darcy needs 2 sizes >= 3 (points per axis including the boundary)");
  return grid;
}

namespace {

// g(x) from problem.boundary: the first entry listing a face the point lies on; 0 where none does.
struct DarcyBoundary {
  struct Entry {
    bool faces[4] = {false, false, false, false};  // x-, x+, y-, y+
    Expression value;
  };
  std::vector<Entry> entries;
  double lower[2], upper[2];

  explicit DarcyBoundary(const io::Deck& deck) {
    for (int d = 0; d < 2; ++d) lower[d] = deck.lower[d], upper[d] = deck.upper[d];
    for (std::size_t b = 0; b < deck.boundary.size(); ++b) {
      const auto& spec = deck.boundary[b];
      const std::string key = "problem.boundary[" + std::to_string(b) + "]";
      if (spec.type != "dirichlet")
        NPDE_INPUT_ERROR(key << ".type: darcy takes Dirichlet boundaries only, got '" << spec.type << "'");
      Entry e;
      static const char* names[4] = {"x-", "x+", "y-", "y+"};
      for (const auto& f : spec.faces) {
        bool known = f == "all";
        for (int k = 0; k < 4; ++k)
          if (f == "all" || f == names[k]) e.faces[k] = known = true;
        if (!known) NPDE_INPUT_ERROR(key << ".faces: unknown face '" << f << "' (x-, x+, y-, y+ or all)");
      }
      e.value = Expression(spec.value.empty() ? "0" : spec.value, {"x", "y"}, key + ".value");
      entries.push_back(std::move(e));
    }
  }
  double operator()(const double* x) const {
    // Grid boundary points carry the box's end coordinates exactly (FdSolution's closed axes).
    const bool on[4] = {x[0] == lower[0], x[0] == upper[0], x[1] == lower[1], x[1] == upper[1]};
    for (const auto& e : entries)
      for (int k = 0; k < 4; ++k)
        if (on[k] && e.faces[k]) return e.value.eval(x);
    return 0.0;
  }
};

}  // namespace

double fraction_above(const io::Deck& deck, const std::vector<double>& coefficient) {
  std::size_t above = 0;
  for (double a : coefficient) above += a == deck.random_field.above;
  return coefficient.empty() ? 0.0 : static_cast<double>(above) / static_cast<double>(coefficient.size());
}

reference::DarcyProblem darcy_problem(const io::Deck& deck, std::uint64_t sample) {
  const std::vector<int> grid = darcy_grid(deck);
  const reference::RandomFieldParams rf = random_field_params(deck);
  reference::DarcyProblem p;
  for (int d = 0; d < 2; ++d) p.lower[d] = deck.lower[d], p.upper[d] = deck.upper[d];
  p.grid = grid;
  const std::vector<double> field = reference::sample_random_field_closed(
      rf, sample, grid[0], grid[1], deck.upper[0] - deck.lower[0], deck.upper[1] - deck.lower[1]);
  if (rf.thresholded) {
    if (!(rf.above > 0 && rf.below > 0))
      NPDE_INPUT_ERROR("problem.random_field: darcy needs above > 0 and below > 0, got " << rf.above << " and " << rf.below);
    p.coefficient = reference::threshold_field(rf, field);
  } else {
    // Without a threshold the coefficient is log-normal, a = exp(field), so that it stays positive.
    p.coefficient.resize(field.size());
    for (std::size_t l = 0; l < field.size(); ++l) p.coefficient[l] = std::exp(field[l]);
  }
  auto source = std::make_shared<Expression>(deck.source.empty() ? "1" : deck.source, std::vector<std::string>{"x", "y"},
                                             "problem.source");
  auto boundary = std::make_shared<DarcyBoundary>(deck);
  p.source = [source](const double* x) { return source->eval(x); };
  p.boundary = [boundary](const double* x) { return (*boundary)(x); };
  p.petsc_options = deck.reference_petsc;
  return p;
}

}  // namespace npde::app::detail

namespace npde::app {

reference::GridSolution reference_darcy(const decomp::Communicator& comm, const io::Deck& deck) {
  // 1. Problem from the deck: sample reference.sample of the random field as the coefficient.
  const reference::DarcyProblem problem = detail::darcy_problem(deck, deck.sample);
  const int nx = problem.grid[0], ny = problem.grid[1];
  log::info(log::format("reference: darcy, 5-point FD with harmonic-mean faces on ", nx, "x", ny,
                        " points, coefficient sample ", deck.sample, " of seed ", deck.random_field.seed));

  // 2. Solve on comm.
  const reference::FdSolution s = reference::solve_darcy_fd(comm, problem);

  // 3. Result: a and u on the closed grid, exact solution if the deck gives one.
  reference::GridSolution out;
  out.axes = {reference::closed_axis(problem.lower[0], problem.upper[0], nx),
              reference::closed_axis(problem.lower[1], problem.upper[1], ny)};
  out.fields = {{"a", problem.coefficient}, {"u", s.u}};
  if (deck.exact) {
    const Expression exact(*deck.exact, {"x", "y"}, "problem.exact");
    std::vector<double> values(s.u.size());
    for (int j = 0; j < ny; ++j)
      for (int i = 0; i < nx; ++i) {
        const double x[2] = {out.axes[0][i], out.axes[1][j]};
        values[static_cast<std::size_t>(j) * nx + i] = exact.eval(x);
      }
    out.summary.push_back({"rel_l2_exact", reference::relative_l2(s.u, values)});
    out.exact = {{"u", std::move(values)}};
  }
  out.summary.push_back({"seconds", s.seconds});
  out.summary.push_back({"ksp_iterations", static_cast<double>(s.iterations)});
  out.summary.push_back({"residual_norm", s.residual_norm});
  if (deck.random_field.thresholded)
    out.summary.push_back({"fraction_above", detail::fraction_above(deck, problem.coefficient)});
  out.summary_text.push_back({"solver", "KSP " + s.ksp_type + " + PC " + s.pc_type + " on " + std::to_string(nx) + "x" +
                                            std::to_string(ny) + " (" + std::to_string(comm.size()) + " ranks)"});
  out.summary_text.push_back(
      {"coefficient", deck.random_field.thresholded ? "thresholded Gaussian random field" : "exp(Gaussian random field)"});
  log::info(log::format("reference: darcy solved in ", s.seconds, " s, ", s.iterations, " ", s.ksp_type, "/", s.pc_type,
                        " iterations"));
  return out;
}

}  // namespace npde::app
