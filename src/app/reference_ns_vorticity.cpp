// SPDX-License-Identifier: BSD-3-Clause
// Deck -> periodic vorticity reference solve: initial field, forcing, output times, pseudo-spectral solve.
#include <cctype>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "app/random_problems.hpp"
#include "npde/app/reference_problems.hpp"
#include "npde/core/error.hpp"
#include "npde/core/expression.hpp"
#include "npde/core/log.hpp"
#include "npde/reference/ns_vorticity.hpp"
#include "npde/reference/poisson_fd.hpp"
#include "npde/reference/random_field.hpp"

namespace npde::app::detail {

std::vector<int> ns_vorticity_grid(const io::Deck& deck) {
  if (deck.dim != 2) NPDE_INPUT_ERROR("problem.domain: ns_vorticity is 2D, got " << deck.dim << " coordinates");
  const std::vector<int> grid = deck.reference_grid.empty() ? std::vector<int>{64, 64} : deck.reference_grid;
  if (grid.size() != 2 || grid[0] < 8 || grid[1] < 8 || grid[0] % 2 || grid[1] % 2)
    NPDE_INPUT_ERROR("reference.grid: ns_vorticity needs 2 even sizes >= 8 (points per period)");
  return grid;
}

std::vector<double> ns_vorticity_random_initial(const io::Deck& deck, std::uint64_t sample) {
  const std::vector<int> grid = ns_vorticity_grid(deck);
  return reference::sample_random_field(random_field_params(deck), sample, grid[0], grid[1],
                                        deck.upper[0] - deck.lower[0], deck.upper[1] - deck.lower[1]);
}

namespace {

// True if the expression names the variable t (a whole identifier, not part of e.g. "sqrt").
bool mentions_t(const std::string& text) {
  for (std::size_t l = 0; l < text.size(); ++l) {
    if (text[l] != 't') continue;
    const bool before = l > 0 && (std::isalnum(static_cast<unsigned char>(text[l - 1])) || text[l - 1] == '_');
    const bool after = l + 1 < text.size() && (std::isalnum(static_cast<unsigned char>(text[l + 1])) || text[l + 1] == '_');
    if (!before && !after) return true;
  }
  return false;
}

std::vector<double> output_times(const io::Deck& deck) {
  if (deck.snapshots < 1) NPDE_INPUT_ERROR("reference.snapshots: need at least 1, got " << deck.snapshots);
  if (deck.snapshots == 1) return {deck.t_end};
  std::vector<double> t(static_cast<std::size_t>(deck.snapshots));
  for (int s = 0; s < deck.snapshots; ++s)
    t[s] = deck.t_start + (deck.t_end - deck.t_start) * s / static_cast<double>(deck.snapshots - 1);
  t.back() = deck.t_end;
  return t;
}

}  // namespace

reference::NsVorticityProblem ns_vorticity_problem(const io::Deck& deck, std::vector<double> initial) {
  reference::NsVorticityProblem p;
  p.grid = ns_vorticity_grid(deck);
  for (int d = 0; d < 2; ++d) p.lower[d] = deck.lower[d], p.upper[d] = deck.upper[d];
  for (const auto& b : deck.boundary)
    if (b.type != "periodic")
      NPDE_INPUT_ERROR("problem.boundary: ns_vorticity is posed on a periodic box; got a '" << b.type << "' entry");
  const auto nu = deck.coefficients.find("viscosity");
  p.viscosity = nu == deck.coefficients.end() ? 1e-3 : nu->second;
  if (!(p.viscosity >= 0)) NPDE_INPUT_ERROR("problem.coefficients.viscosity: need >= 0, got " << p.viscosity);
  if (!(deck.t_end > deck.t_start))
    NPDE_INPUT_ERROR("problem.time: need end > start, got [" << deck.t_start << ", " << deck.t_end << "]");
  p.t_start = deck.t_start, p.t_end = deck.t_end;
  p.output_times = output_times(deck);
  if (deck.time_step < 0) NPDE_INPUT_ERROR("reference.time_step: need >= 0 (0: CFL), got " << deck.time_step);
  p.time_step = deck.time_step;
  p.petsc_options = deck.reference_petsc;
  p.initial = std::move(initial);
  const std::string source = deck.source.empty() ? "0" : deck.source;
  if (source != "0") {
    auto f = std::make_shared<Expression>(source, std::vector<std::string>{"x", "y", "t"}, "problem.source");
    p.forcing = [f](const double* x, double t) {
      const double vars[3] = {x[0], x[1], t};
      return f->eval(vars);
    };
    p.forcing_depends_on_time = mentions_t(source);
  }
  return p;
}

}  // namespace npde::app::detail

namespace npde::app {

reference::GridSolution reference_ns_vorticity(const decomp::Communicator& comm, const io::Deck& deck) {
  // 1. Initial vorticity: problem.initial, else sample reference.sample of the random field.
  const std::vector<int> grid = detail::ns_vorticity_grid(deck);
  const int nx = grid[0], ny = grid[1];
  const std::vector<double> x = reference::periodic_axis(deck.lower[0], deck.upper[0], nx);
  const std::vector<double> y = reference::periodic_axis(deck.lower[1], deck.upper[1], ny);
  std::vector<double> w0;
  if (!deck.initial.empty()) {
    const Expression initial(deck.initial, {"x", "y", "t"}, "problem.initial");
    w0.resize(static_cast<std::size_t>(nx) * ny);
    for (int j = 0; j < ny; ++j)
      for (int i = 0; i < nx; ++i) {
        const double vars[3] = {x[i], y[j], deck.t_start};
        w0[static_cast<std::size_t>(j) * nx + i] = initial.eval(vars);
      }
  } else {
    w0 = detail::ns_vorticity_random_initial(deck, deck.sample);
  }
  reference::NsVorticityProblem problem = detail::ns_vorticity_problem(deck, std::move(w0));
  // One line per ~10 % of the simulated time (at most one per snapshot).
  const double span = problem.t_end - problem.t_start;
  auto next_report = std::make_shared<double>(problem.t_start + 0.1 * span);
  problem.progress = [next_report, span, t0 = problem.t_start](double t, int steps, double seconds) {
    if (t + 1e-12 * span < *next_report) return;
    while (*next_report <= t + 1e-12 * span) *next_report += 0.1 * span;
    log::info(log::format("ns_vorticity: t = ", t, " (", static_cast<int>(std::lround(100 * (t - t0) / span)), " %), ",
                          steps, " steps, ", seconds, " s"));
  };
  log::info(log::format("reference: ns_vorticity, pseudo-spectral on ", nx, "x", ny, ", nu ", problem.viscosity,
                        ", t in [", problem.t_start, ", ", problem.t_end, "], ", problem.output_times.size(),
                        " snapshots, initial ", deck.initial.empty() ? "random field sample" : "problem.initial"));

  // 2. The solve is serial and deterministic: every rank runs it, so all hold the same result and
  // any error is raised on every rank alike, with no communication.
  const reference::NsVorticitySolution s = reference::solve_ns_vorticity(problem);

  // 3. Result: w as a time series, exact solution if the deck gives one.
  reference::GridSolution out;
  out.axes = {x, y};
  out.series_kind = "time";
  out.series = s.times;
  out.fields = {{"w", s.w}};
  if (deck.exact) {
    const Expression exact(*deck.exact, {"x", "y", "t"}, "problem.exact");
    std::vector<double> values;
    values.reserve(s.w.size());
    for (const double t : s.times)
      for (int j = 0; j < ny; ++j)
        for (int i = 0; i < nx; ++i) {
          const double vars[3] = {x[i], y[j], t};
          values.push_back(exact.eval(vars));
        }
    out.summary.push_back({"rel_l2_exact", reference::relative_l2(s.w, values)});
    out.exact = {{"w", std::move(values)}};
  }
  out.summary.push_back({"seconds", comm.max(s.seconds)});
  out.summary.push_back({"time_steps", static_cast<double>(s.steps)});
  out.summary.push_back({"min_time_step", s.min_time_step});
  out.summary.push_back({"max_time_step", s.max_time_step});
  out.summary.push_back({"energy_start", s.energy.front()});
  out.summary.push_back({"energy_end", s.energy.back()});
  out.summary.push_back({"enstrophy_start", s.enstrophy.front()});
  out.summary.push_back({"enstrophy_end", s.enstrophy.back()});
  out.summary_text.push_back({"solver", "FFTW pseudo-spectral (2/3 rule) + TS " + s.ts_type + " on " +
                                            std::to_string(nx) + "x" + std::to_string(ny) +
                                            (problem.time_step > 0 ? ", fixed step" : ", CFL step")});
  log::info(log::format("reference: ns_vorticity done in ", s.seconds, " s, ", s.steps, " steps"));
  return out;
}

}  // namespace npde::app
