// SPDX-License-Identifier: BSD-3-Clause
// Navier-Stokes problem -> steady reference solve (lid-driven cavity or Kovasznay flow) as a GridSolution.
#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "app/reference_common.hpp"
#include "npde/app/reference_problems.hpp"
#include "npde/core/log.hpp"
#include "npde/pde/navier_stokes.hpp"
#include "npde/reference/navier_stokes_fd.hpp"
#include "npde/reference/poisson_fd.hpp"

namespace npde::app {
namespace {

namespace fs = std::filesystem;

// Ghia et al.'s tables, if they can be found next to the deck or in the source tree's tests/data
// (decks live in inputs/). Absent tables only mean no comparison in the summary.
std::string find_ghia_table(const io::Deck& deck, const std::string& name) {
  const fs::path dir = fs::path(deck.path).parent_path();
  for (const fs::path& candidate : {dir / name, dir / ".." / "tests" / "data" / name}) {
    std::error_code ec;
    if (fs::is_regular_file(candidate, ec)) return candidate.string();
  }
  return "";
}

}  // namespace

std::vector<std::pair<std::string, double>> ghia_deviations(const io::Deck& deck, double re,
                                                            const std::vector<double>& u, const std::vector<double>& v,
                                                            const std::vector<int>& grid) {
  std::vector<std::pair<std::string, double>> out;
  const std::string u_path = find_ghia_table(deck, "ghia1982_u_vertical_centreline.csv");
  const std::string v_path = find_ghia_table(deck, "ghia1982_v_horizontal_centreline.csv");
  // Only files are read here, no collectives follow: a table unreadable on some rank costs that
  // rank its comparison numbers, nothing more.
  if (!u_path.empty() && !v_path.empty()) try {
      const auto u_table = reference::read_centreline_table(u_path);
      const auto v_table = reference::read_centreline_table(v_path);
      if (std::find(u_table.reynolds.begin(), u_table.reynolds.end(), re) != u_table.reynolds.end()) {
        out.emplace_back("ghia_max_abs_u", reference::max_centreline_deviation(u_table, re, true, u, grid));
        out.emplace_back("ghia_max_abs_v", reference::max_centreline_deviation(v_table, re, false, v, grid));
      }
    } catch (const Error& e) {
      log::warn(log::format("navier_stokes: no comparison with Ghia et al. (1982): ", e.what()));
    }
  return out;
}

reference::GridSolution reference_navier_stokes(const decomp::Communicator& comm, const io::Deck& deck,
                                                const pde::Problem& equation) {
  // 1. The solver's problem: box, Reynolds number and wall velocity from the equation (its case's
  //    Dirichlet data), grid and options from the deck (every rank builds the same, so input errors agree).
  const std::vector<int> grid = detail::reference_grid(deck, equation, 129, 5);
  const double re = detail::coefficient<pde::NavierStokesEquation>(equation, "reynolds", true);
  reference::NavierStokesFdProblem problem;
  problem.grid = grid;
  problem.reynolds = re;
  for (int a = 0; a < 2; ++a) problem.lower[a] = equation.box.lower[a], problem.upper[a] = equation.box.upper[a];
  // Called on every rank before the solve, from one thread per rank, as Expression requires.
  problem.boundary_velocity = [&equation](const double* x, double* uv) {
    uv[0] = equation.dirichlet_value(0, x);
    uv[1] = equation.dirichlet_value(1, x);
  };
  problem.petsc_options = deck.reference_petsc;
  log::info(log::format("reference: steady Navier-Stokes, ", deck.flow_case, ", Re = ", re,
                        ", grid ", grid[0], "x", grid[1]));

  // 2. Solve.
  const reference::NavierStokesFdSolution s = reference::solve_navier_stokes_fd(comm, problem);

  // 3. The fields on the nodes; errors against the exact solution (Kovasznay) or the centreline
  //    numbers (cavity).
  reference::GridSolution out;
  out.axes = {reference::closed_axis(problem.lower[0], problem.upper[0], grid[0]),
              reference::closed_axis(problem.lower[1], problem.upper[1], grid[1])};
  std::vector<double> p = s.p;
  out.summary = {{"seconds", s.seconds},
                 {"snes_iterations", static_cast<double>(s.snes_iterations)},
                 {"ksp_iterations", static_cast<double>(s.ksp_iterations)},
                 {"continuation_stages", static_cast<double>(s.stages.size())},
                 {"residual_norm", s.residual_norm},
                 {"reynolds", re}};

  if (equation.has_exact()) {
    const std::vector<double> eu = detail::exact_on_grid(out, equation, 0);
    const std::vector<double> ev = detail::exact_on_grid(out, equation, 1);
    const std::vector<double> ep = detail::exact_on_grid(out, equation, 2);
    // The computed p has zero mean; the exact one is fixed by its formula: compare up to the constant.
    double shift = 0;
    for (std::size_t k = 0; k < p.size(); ++k) shift += (ep[k] - p[k]) / static_cast<double>(p.size());
    for (double& value : p) value += shift;
    out.summary.push_back({"rel_l2_u", reference::relative_l2(s.u, eu)});
    out.summary.push_back({"rel_l2_v", reference::relative_l2(s.v, ev)});
    out.summary.push_back({"rel_l2_p", reference::relative_l2(p, ep)});
    out.exact = {{"u", eu}, {"v", ev}, {"p", ep}};
  } else {
    // Centreline extremes (u along x = 0.5, v along y = 0.5): the usual cavity benchmark numbers.
    const double lo[2] = {0, 0}, hi[2] = {1, 1};
    double u_min = 0, v_min = 0, v_max = 0;
    for (int k = 0; k <= 1000; ++k) {
      const double t = k / 1000.0, on_vertical[2] = {0.5, t}, on_horizontal[2] = {t, 0.5};
      u_min = std::min(u_min, reference::interpolate(s.u, 2, lo, hi, grid, on_vertical));
      const double v = reference::interpolate(s.v, 2, lo, hi, grid, on_horizontal);
      v_min = std::min(v_min, v), v_max = std::max(v_max, v);
    }
    out.summary.push_back({"centreline_u_min", u_min});
    out.summary.push_back({"centreline_v_min", v_min});
    out.summary.push_back({"centreline_v_max", v_max});
    for (const auto& entry : ghia_deviations(deck, re, s.u, s.v, grid)) out.summary.push_back(entry);
  }
  out.fields = {{"u", s.u}, {"v", s.v}, {"p", p}};
  out.summary_text = {{"solver", s.solver}, {"case", deck.flow_case}};
  return out;
}

}  // namespace npde::app
