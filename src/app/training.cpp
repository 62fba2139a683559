// SPDX-License-Identifier: BSD-3-Clause
// What the training verbs share: names for progress lines, the training hooks, the classical solver
// of a catalogue equation, the end of a catalogue run's report.
#include "app/training.hpp"

#include <cmath>
#include <cstdlib>
#include <map>
#include <sstream>

#include "npde/app/checkpointing.hpp"
#include "npde/app/reference_problems.hpp"
#include "npde/app/report.hpp"
#include "npde/app/signals.hpp"
#include "npde/io/checkpoint.hpp"

namespace npde::app::detail {

std::vector<int> reference_grid(const io::Deck& deck) {
  return deck.reference_grid.empty() ? std::vector<int>(deck.dim, 65) : deck.reference_grid;
}

std::string grid_string(const std::vector<int>& g) {
  std::string s;
  for (std::size_t i = 0; i < g.size(); ++i) s += (i ? "x" : "") + std::to_string(g[i]);
  return s;
}

std::string cuts_string(const io::Deck& deck) {
  const auto& cuts = deck.decomposition.cuts;
  const char* const names[] = {"x", "y", "z"};
  std::ostringstream os;
  for (std::size_t a = 0; a < cuts.size(); ++a) {
    if (cuts[a].empty()) continue;
    os << ", cut at " << (int(a) < deck.dim ? names[a] : "t") << " =";
    for (std::size_t i = 0; i < cuts[a].size(); ++i) os << (i ? ", " : " ") << cuts[a][i];
  }
  return os.str();
}

std::string schedule_string(const io::Deck& deck) {
  const auto& d = deck.decomposition;
  if (d.schedule_axis < 0) return {};
  const char axis = d.schedule_axis < deck.dim ? "xyz"[d.schedule_axis] : 't';
  return log::format(", layers along ", axis, d.schedule_from_upper ? " from the upper end" : "", " by turns, ",
                     d.schedule_every, " Adam iterations each");
}

std::string network_string(int n_in, const std::vector<int>& hidden, nn::Architecture architecture, int n_out) {
  std::string s = std::to_string(n_in);
  for (int w : hidden) s += "-" + std::to_string(w);
  s += "-" + std::to_string(n_out);
  return architecture == nn::Architecture::Plain ? s : s + " " + nn::to_string(architecture);
}

std::string network_string(int n_in, const pinn::PinnOptions& o, int n_out) {
  // a stream function: the network has psi in place of u and v
  std::string s = network_string(n_in, o.hidden, o.architecture, o.stream_function ? n_out - 1 : n_out);
  if (o.stream_function) s += " (psi, p; u = psi_y, v = -psi_x)";
  if (o.fourier_frequencies > 0) s += " on " + std::to_string(2 * o.fourier_frequencies) + " Fourier features";
  if (o.gaussian_features > 0) s += " on " + std::to_string(o.gaussian_features) + " trainable Gaussians";
  return s;
}

std::string problem_string(const io::Deck& deck) {
  if (deck.pde == "highdim")
    return "two-body " + deck.form + " on the unit ball of " + std::to_string(deck.dimension) + " dimensions";
  std::string s = std::to_string(deck.dim) + "D " + deck.pde;
  if (!deck.flow_case.empty()) s += " (" + deck.flow_case + ")";
  if (io::is_time_dependent(deck.pde)) {
    std::ostringstream os;
    os << ", t in [" << deck.t_start << ", " << deck.t_end << "]";
    s += os.str();
  }
  return s;
}

std::vector<int> output_grid(const io::Deck& deck) {
  if (!deck.output_grid.empty()) return deck.output_grid;
  if (deck.has_reference && !deck.reference_grid.empty()) return deck.reference_grid;
  return std::vector<int>(deck.dim, 65);
}

double relative_l2_of(const std::vector<double>& a, const std::vector<double>& b) {
  double num = 0, den = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    num += (a[i] - b[i]) * (a[i] - b[i]);
    den += b[i] * b[i];
  }
  return den > 0 ? std::sqrt(num / den) : std::sqrt(num);
}

/// The reference grid's points (all snapshots of a series: the grid at each time) of this rank's block
/// [mine.begin, mine.end) of them, row-major (n, n_inputs).
std::vector<double> grid_points(const pde::Problem& problem, const reference::GridSolution& sol, decomp::Range mine) {
  const int dim = sol.dim(), n_in = problem.n_inputs();
  const bool timed = problem.time_dependent;
  const std::size_t n_grid = sol.n_points();
  std::vector<double> pts;
  pts.reserve(mine.size() * n_in);
  for (std::size_t i = mine.begin; i < mine.end; ++i) {
    std::size_t g = i % n_grid;
    for (int a = 0; a < dim; ++a) {
      pts.push_back(sol.axes[a][g % sol.axes[a].size()]);
      g /= sol.axes[a].size();
    }
    if (timed) pts.push_back(sol.series[i / n_grid]);
  }
  return pts;
}

std::function<bool(double, double)> stop_rule(const io::Deck& deck) {
  const double walltime = deck.walltime;
  return [walltime](double elapsed, double per_step) {
    // Leave room for two more steps and the checkpoint before the limit.
    return stop_signal() != 0 || (walltime > 0 && elapsed + 2.0 * per_step + 1.0 >= walltime);
  };
}

std::string write_checkpoint_collective(const decomp::Communicator& comm, const std::string& dir, long tag, int keep,
                                        const std::function<io::Checkpoint()>& make) {
  std::string err, path;
  if (comm.is_root()) {
    try {
      path = io::write_checkpoint(dir, tag, make(), keep);
    } catch (const std::exception& e) {
      err = e.what();
    }
  }
  err = comm.broadcast(err);
  if (!err.empty()) throw Error("cannot write checkpoint: " + err);
  return path;
}

/// Collective. The hooks that connect training to checkpoints, signals, wall time and the output file.
pinn::TrainHooks make_hooks(const decomp::Communicator& comm, const io::Deck& deck, io::OutputFile& out,
                            const std::vector<std::string>& term_names, const std::vector<std::string>& extra_names,
                            CheckpointExtras extras) {
  pinn::TrainHooks hooks;
  hooks.stop_requested = stop_rule(deck);
  hooks.checkpoint_every = deck.checkpoint_every;
  const std::string dir = checkpoint_dir(deck);
  const int keep = deck.checkpoint_keep;
  hooks.checkpoint = [&comm, &deck, dir, keep, extras](const pinn::TrainState& state) {
    // Every rank holds the same state: rank 0 writes, and everyone learns whether it worked.
    const long tag = extras.tag_offset + state.global_iteration;
    const std::string path = write_checkpoint_collective(comm, dir, tag, keep, [&] {
      io::Checkpoint cp = to_checkpoint(state, deck, comm.size());
      if (extras.add) extras.add(cp);
      return cp;
    });
    log::info("checkpoint " + path + " (iteration " + std::to_string(tag) + ")");
  };
  hooks.history_block = [&comm, &out, term_names, extra_names](const std::vector<pinn::HistoryRow>& h) {
    write_history(comm, term_names, h, out, extra_names);
  };
  if (const char* inject = std::getenv("NPDE_TEST_INJECT_NAN_AT")) hooks.inject_nan_at = std::atol(inject);
  // test hook: a stop request at checkpoint tag NPDE_TEST_STOP_AT (deterministic, unlike a signal)
  if (const char* stop = std::getenv("NPDE_TEST_STOP_AT")) {
    const long at = std::atol(stop) - extras.tag_offset;
    if (at > 0) hooks.stop_at = at;
  }
  return hooks;
}

std::vector<std::pair<std::string, double>> exchange_summary(const decomp::Communicator& comm,
                                                             const pinn::ExchangeStats& stats) {
  const double evaluations = std::max(1.0, comm.max(double(stats.evaluations)));
  std::vector<std::pair<std::string, double>> s{
      {"exchange_bytes_per_evaluation", comm.sum(stats.bytes_sent) / evaluations},
      {"exchange_wait_fraction", comm.max(stats.wait_seconds / std::max(stats.eval_seconds, 1e-30))}};
  if (const double points = comm.max(stats.network_points); points > 0) s.emplace_back("network_points_max", points);
  return s;
}

std::string terms_string(const std::vector<std::string>& names, const std::vector<std::size_t>& points) {
  std::string terms;
  for (std::size_t k = 0; k < names.size(); ++k)
    terms += (k ? ", " : "") + names[k] + " (" + std::to_string(points[k]) + ")";
  return terms;
}

int report_stopped(long iterations, const std::string& what) {
  log::info(log::format("stopped cleanly", what.empty() ? std::string() : " " + what, " at iteration ", iterations,
                        stop_signal() ? std::string(" on ") + signal_name(stop_signal()) : std::string(" (wall time)"),
                        "; run again with --restart to continue (exit code 3)"));
  return ExitStopped;
}

reference::GridSolution solve_catalogue(const decomp::Communicator& comm, const io::Deck& deck,
                                        const pde::Problem& equation) {
  if (deck.pde == "darcy") return reference_darcy(comm, deck);
  if (deck.pde == "ns_vorticity") return reference_ns_vorticity(comm, deck);
  using Solver = reference::GridSolution (*)(const decomp::Communicator&, const io::Deck&, const pde::Problem&);
  static const std::map<std::string, Solver> solvers = {
      {"helmholtz", reference_helmholtz},       {"heat", reference_heat},
      {"burgers", reference_burgers},           {"allen_cahn", reference_allen_cahn},
      {"klein_gordon", reference_klein_gordon}, {"schrodinger", reference_schrodinger},
      {"navier_stokes", reference_navier_stokes}};
  const auto it = solvers.find(deck.pde);
  NPDE_REQUIRE(it != solvers.end(), "no reference solver for problem.pde '" << deck.pde << "'");
  return it->second(comm, deck, equation);
}

void finish_training_report(const decomp::Communicator& comm, const io::Deck& deck, reference::GridSolution& sol,
                            std::vector<std::pair<std::string, double>> summary, const std::string& error_field,
                            const PinnGridFields& pf, double seconds, long iterations, double final_loss,
                            int nan_recoveries, io::OutputFile& out) {
  summary.emplace_back("train_seconds", seconds);
  summary.emplace_back("iterations", double(iterations));
  summary.emplace_back("final_loss", final_loss);
  summary.emplace_back("ranks", comm.size());
  summary.emplace_back("nan_recoveries", nan_recoveries);
  sol.summary = std::move(summary);
  for (auto& [key, value] : sol.summary_text) key = "reference_" + key;
  sol.summary_text.emplace_back("error_field", error_field);
  sol.summary_text.emplace_back("output_file", deck.output_file);
  write_pinn_grid_solution(comm, deck, sol, pf, out);
  log::info(grid_solution_summary(sol));
}

}  // namespace npde::app::detail
