// SPDX-License-Identifier: BSD-3-Clause
// Deck -> 1D Klein-Gordon reference solve with PETSc TS (u_tt - c^2 u_xx + gamma u^3 = f).
#include <cmath>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "npde/app/reference_problems.hpp"
#include "npde/core/error.hpp"
#include "npde/core/expression.hpp"
#include "npde/core/log.hpp"
#include "npde/pde/box.hpp"
#include "npde/reference/klein_gordon_ts.hpp"
#include "npde/reference/poisson_fd.hpp"

namespace npde::app {
namespace {

double coefficient_or(const io::Deck& deck, const std::string& name, double fallback) {
  const auto it = deck.coefficients.find(name);
  return it == deck.coefficients.end() ? fallback : it->second;
}

void check_deck(const io::Deck& deck) {
  if (deck.dim != 1) NPDE_INPUT_ERROR("problem.domain: klein_gordon is 1D, got " << deck.dim << " dimensions");
  if (!(deck.t_end > deck.t_start))
    NPDE_INPUT_ERROR("problem.time: end (" << deck.t_end << ") must be greater than start (" << deck.t_start << ")");
  if (!(deck.time_step >= 0) || !std::isfinite(deck.time_step))
    NPDE_INPUT_ERROR("reference.time_step: must be >= 0 (0: half the grid spacing over c), got " << deck.time_step);
  if (deck.snapshots < 2) NPDE_INPUT_ERROR("reference.snapshots: need at least 2 (start and end), got " << deck.snapshots);
  if (deck.reference_grid.size() > 1)
    NPDE_INPUT_ERROR("reference.grid: " << deck.reference_grid.size() << " entries for a 1D domain");
  if (!deck.reference_grid.empty() && deck.reference_grid[0] < 4)
    NPDE_INPUT_ERROR("reference.grid: klein_gordon needs at least 4 points, got " << deck.reference_grid[0]);
  const double c = coefficient_or(deck, "wave_speed", 1.0);
  if (!(c > 0) || !std::isfinite(c)) NPDE_INPUT_ERROR("problem.coefficients.wave_speed: must be positive, got " << c);
  if (!std::isfinite(coefficient_or(deck, "cubic", 1.0)))
    NPDE_INPUT_ERROR("problem.coefficients.cubic: must be finite");
  if (deck.initial.empty() && !deck.exact)
    NPDE_INPUT_ERROR("problem.initial: required for klein_gordon (or give problem.exact, whose value at start is used)");
}

// The expressions of u at x = lower (index 0) and x = upper (index 1), from problem.boundary.
std::vector<Expression> end_conditions(const io::Deck& deck) {
  pde::Box box;
  box.dim = 1;
  box.lower[0] = deck.lower[0], box.upper[0] = deck.upper[0];
  std::vector<std::optional<Expression>> ends(2);
  for (std::size_t i = 0; i < deck.boundary.size(); ++i) {
    const auto& b = deck.boundary[i];
    const std::string key = "problem.boundary[" + std::to_string(i) + "]";
    if (b.type != "dirichlet")
      NPDE_INPUT_ERROR(key << ".type: the klein_gordon reference solver supports dirichlet only, got '" << b.type << "'");
    std::vector<int> faces;
    for (const auto& f : b.faces) {
      if (f == "all")
        faces.insert(faces.end(), {0, 1});
      else
        faces.push_back(pde::face_from_name(f, 1, key + ".faces"));
    }
    for (int f : faces) {
      if (ends[f]) NPDE_INPUT_ERROR("problem.boundary: face '" << pde::face_name(f) << "' has more than one condition");
      ends[f] = Expression(b.value, {"x", "t"}, key + ".value");
    }
  }
  std::vector<Expression> result;
  for (int f = 0; f < 2; ++f) {
    if (!ends[f]) NPDE_INPUT_ERROR("problem.boundary: face '" << pde::face_name(f) << "' has no condition");
    result.push_back(std::move(*ends[f]));
  }
  return result;
}

}  // namespace

reference::GridSolution reference_klein_gordon(const decomp::Communicator& comm, const io::Deck& deck) {
  // 1. The problem from the deck (every rank builds the same, so input errors agree).
  check_deck(deck);
  const Expression source(deck.source, {"x", "t"}, "problem.source");
  const std::vector<Expression> ends = end_conditions(deck);
  std::optional<Expression> exact;
  if (deck.exact) exact = Expression(*deck.exact, {"x", "t"}, "problem.exact");
  const Expression initial = deck.initial.empty() ? Expression() : Expression(deck.initial, {"x"}, "problem.initial");
  const Expression rate(deck.initial_rate.empty() ? "0" : deck.initial_rate, {"x"}, "problem.initial_rate");

  reference::KleinGordonProblem problem;
  problem.lower = deck.lower[0];
  problem.upper = deck.upper[0];
  problem.grid = deck.reference_grid.empty() ? 257 : deck.reference_grid[0];
  problem.t_start = deck.t_start;
  problem.t_end = deck.t_end;
  problem.wave_speed = coefficient_or(deck, "wave_speed", 1.0);
  problem.cubic = coefficient_or(deck, "cubic", 1.0);
  problem.time_step = deck.time_step;
  problem.snapshots = deck.snapshots;
  problem.petsc_options = deck.reference_petsc;
  const double lo = problem.lower, hi = problem.upper, t0 = deck.t_start;
  // The solver calls these from one thread per rank, as Expression requires.
  problem.source = [&source](double x, double t) {
    const double v[2] = {x, t};
    return source.eval(v);
  };
  problem.boundary_lower = [&ends, lo](double t) {
    const double v[2] = {lo, t};
    return ends[0].eval(v);
  };
  problem.boundary_upper = [&ends, hi](double t) {
    const double v[2] = {hi, t};
    return ends[1].eval(v);
  };
  if (initial.defined())
    problem.initial = [&initial](double x) { return initial.eval(&x); };
  else
    problem.initial = [&exact, t0](double x) {
      const double v[2] = {x, t0};
      return exact->eval(v);
    };
  problem.initial_rate = [&rate](double x) { return rate.eval(&x); };
  log::info(log::format("reference: klein_gordon on ", problem.grid, " points, t in [", deck.t_start, ", ",
                        deck.t_end, "], ", deck.snapshots, " snapshots"));

  // 2. Solve.
  reference::GridSolution solution = reference::solve_klein_gordon_ts(comm, problem);

  // 3. Exact solution at every snapshot; errors over all snapshots and at the final time.
  if (exact) {
    const auto& x = solution.axes[0];
    std::vector<double> values;
    values.reserve(x.size() * solution.series.size());
    for (double t : solution.series)
      for (double xi : x) {
        const double v[2] = {xi, t};
        values.push_back(exact->eval(v));
      }
    const auto& u = solution.fields.at(0).second;
    double max_error = 0, diff2 = 0, norm2 = 0;
    for (std::size_t l = 0; l < u.size(); ++l) {
      max_error = std::max(max_error, std::abs(u[l] - values[l]));
      diff2 += (u[l] - values[l]) * (u[l] - values[l]);
      norm2 += values[l] * values[l];
    }
    const auto final_begin = static_cast<std::ptrdiff_t>(values.size() - x.size());
    const std::vector<double> u_final(u.begin() + final_begin, u.end());
    const std::vector<double> exact_final(values.begin() + final_begin, values.end());
    bool nonzero = false;
    for (double v : exact_final) nonzero = nonzero || v != 0;
    // A zero exact solution has no relative error; the field comparison is still written.
    if (nonzero) solution.summary.emplace_back("rel_l2_exact", reference::relative_l2(u_final, exact_final));
    if (norm2 > 0) solution.summary.emplace_back("rel_l2_exact_all_times", std::sqrt(diff2 / norm2));
    solution.summary.emplace_back("max_abs_error", max_error);
    solution.exact.emplace_back("u", std::move(values));
  }
  return solution;
}

}  // namespace npde::app
