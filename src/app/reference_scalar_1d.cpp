// SPDX-License-Identifier: BSD-3-Clause
// Deck glue shared by the 1D scalar TS reference problems (Burgers, Allen-Cahn).
#include "app/reference_scalar_1d.hpp"

#include <cmath>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "npde/core/error.hpp"
#include "npde/core/expression.hpp"
#include "npde/core/log.hpp"

namespace npde::app::detail {
namespace {

// problem.boundary resolved per face ("x-", "x+").
struct FaceConditions {
  std::map<std::string, const io::BoundarySpec*> by_face;
};

FaceConditions resolve_faces(const io::Deck& deck, const char* equation) {
  FaceConditions f;
  for (const auto& spec : deck.boundary)
    for (const auto& face : spec.faces) {
      const std::vector<std::string> faces = face == "all" ? std::vector<std::string>{"x-", "x+"}
                                                           : std::vector<std::string>{face};
      for (const auto& name : faces) {
        if (name != "x-" && name != "x+")
          NPDE_INPUT_ERROR("problem.boundary: " << equation << " is 1D, face '" << name << "' does not exist");
        if (f.by_face.count(name)) NPDE_INPUT_ERROR("problem.boundary: face " << name << " is given twice");
        f.by_face[name] = &spec;
      }
    }
  for (const char* name : {"x-", "x+"})
    if (!f.by_face.count(name)) NPDE_INPUT_ERROR("problem.boundary: no condition for face " << name);
  const bool lo_periodic = f.by_face["x-"]->type == "periodic", hi_periodic = f.by_face["x+"]->type == "periodic";
  if (lo_periodic != hi_periodic)
    NPDE_INPUT_ERROR("problem.boundary: periodic faces come in pairs; x- is " << f.by_face["x-"]->type << ", x+ is "
                                                                            << f.by_face["x+"]->type);
  for (const char* name : {"x-", "x+"}) {
    const std::string& type = f.by_face[name]->type;
    if (type != "dirichlet" && type != "periodic")
      NPDE_INPUT_ERROR("problem.boundary: " << equation << " supports dirichlet or periodic, face " << name << " is "
                                            << type);
  }
  return f;
}

// An expression of (x, t) held by value in the callback (Expression is copyable).
std::function<double(double, double)> expression_of_x_t(const std::string& text, const std::string& key) {
  Expression e(text, {"x", "t"}, key);
  return [e](double x, double t) {
    const double v[2] = {x, t};
    return e.eval(v);
  };
}

}  // namespace

reference::ScalarTs1dProblem scalar_ts_1d_from_deck(const io::Deck& deck, const char* equation, int default_points) {
  if (deck.dim != 1) NPDE_INPUT_ERROR("problem.domain: the " << equation << " reference is 1D, got dim " << deck.dim);
  reference::ScalarTs1dProblem p;
  p.lower = deck.lower.at(0), p.upper = deck.upper.at(0);
  if (!(p.upper > p.lower)) NPDE_INPUT_ERROR("problem.domain: upper must exceed lower");

  const FaceConditions faces = resolve_faces(deck, equation);
  p.periodic = faces.by_face.at("x-")->type == "periodic";
  if (deck.reference_grid.size() > 1)
    NPDE_INPUT_ERROR("reference.grid: " << equation << " is 1D, give one entry, got " << deck.reference_grid.size());
  p.points = deck.reference_grid.empty() ? default_points : deck.reference_grid[0];
  const int min_points = p.periodic ? 4 : 5;
  if (p.points < min_points)
    NPDE_INPUT_ERROR("reference.grid: " << equation << " needs at least " << min_points
                                        << (p.periodic ? " points per period" : " points") << ", got " << p.points);

  if (deck.initial.empty()) NPDE_INPUT_ERROR("problem.initial: " << equation << " needs an initial condition");
  const auto initial = expression_of_x_t(deck.initial, "problem.initial");
  const double t0 = deck.t_start;
  p.initial = [initial, t0](double x) { return initial(x, t0); };
  if (!p.periodic) {
    const auto lo = expression_of_x_t(faces.by_face.at("x-")->value, "problem.boundary");
    const auto hi = expression_of_x_t(faces.by_face.at("x+")->value, "problem.boundary");
    const double xl = p.lower, xu = p.upper;
    p.boundary_lower = [lo, xl](double t) { return lo(xl, t); };
    p.boundary_upper = [hi, xu](double t) { return hi(xu, t); };
  }
  // "0" is the deck's default for an absent source: skip the callback entirely then.
  if (!deck.source.empty() && deck.source != "0") p.source = expression_of_x_t(deck.source, "problem.source");

  if (!(deck.t_end > deck.t_start)) NPDE_INPUT_ERROR("problem.time: end must exceed start");
  p.t_start = deck.t_start, p.t_end = deck.t_end;
  if (deck.time_step < 0) NPDE_INPUT_ERROR("reference.time_step: must be >= 0 (0: adaptive), got " << deck.time_step);
  p.time_step = deck.time_step;
  if (deck.snapshots < 2) NPDE_INPUT_ERROR("reference.snapshots: need at least 2 (start and end), got " << deck.snapshots);
  p.snapshots = deck.snapshots;
  p.petsc_options = deck.reference_petsc;
  return p;
}

reference::GridSolution run_scalar_ts_1d(const decomp::Communicator& comm, const io::Deck& deck,
                                         reference::ScalarTs1dProblem problem, const char* equation) {
  log::info(log::format(equation, " reference: ", problem.points, problem.periodic ? " periodic" : "",
                        " points on [", problem.lower, ", ", problem.upper, "], t in [", problem.t_start, ", ",
                        problem.t_end, "], ", problem.snapshots, " snapshots"));
  const double t0 = problem.t_start, span = problem.t_end - problem.t_start;
  int next_tenth = 1;
  problem.progress = [&next_tenth, t0, span, equation](double t, int steps) {
    if (t < t0 + 0.1 * next_tenth * span * (1 - 1e-12)) return;
    while (t >= t0 + 0.1 * next_tenth * span * (1 - 1e-12)) ++next_tenth;
    log::info(log::format(equation, ": t = ", t, " (", static_cast<int>(std::lround(100 * (t - t0) / span)), " %), ",
                          steps, " steps"));
  };
  reference::GridSolution g = reference::solve_scalar_ts_1d(comm, problem);

  if (deck.exact) {
    const auto exact = expression_of_x_t(*deck.exact, "problem.exact");
    const auto& x = g.axes[0];
    std::vector<double> values;
    values.reserve(g.n_series() * x.size());
    double d2 = 0, e2 = 0;
    const auto& u = g.fields[0].second;
    for (std::size_t s = 0; s < g.n_series(); ++s)
      for (std::size_t i = 0; i < x.size(); ++i) {
        values.push_back(exact(x[i], g.series[s]));
        d2 += std::pow(u[values.size() - 1] - values.back(), 2);
        e2 += values.back() * values.back();
      }
    if (e2 > 0) g.summary.emplace_back("rel_l2_exact", std::sqrt(d2 / e2));
    g.exact.emplace_back("u", std::move(values));
  }
  for (const auto& [key, value] : g.summary)
    if (key == "seconds") log::info(log::format(equation, " reference done in ", value, " s"));
  return g;
}

}  // namespace npde::app::detail
