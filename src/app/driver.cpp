// SPDX-License-Identifier: BSD-3-Clause
// The run driver: validate the deck collectively, run the verb, report.
#include "npde/app/driver.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "npde/app/checkpointing.hpp"
#include "npde/app/dataset.hpp"
#include "npde/app/observations.hpp"
#include "npde/app/reference_problems.hpp"
#include "npde/app/reference_report.hpp"
#include "npde/app/report.hpp"
#include "npde/app/signals.hpp"
#include "npde/io/checkpoint.hpp"
#include "npde/app/setup.hpp"
#include "npde/core/version.hpp"
#include "npde/core/error.hpp"
#include "npde/core/log.hpp"
#include "npde/io/version.hpp"
#include "npde/pde/grid.hpp"
#include "npde/nn/gemm.hpp"
#include "npde/pinn/catalogue.hpp"
#include "npde/pinn/pinn.hpp"
#include "npde/pinn/poisson_pinn.hpp"
#include "npde/reference/petsc_env.hpp"

namespace npde::app {

namespace {

/// Collective. Runs f on every rank; if it throws on any rank, every rank learns it (one reduction),
/// rank 0 prints the first message once, and false is returned everywhere. Used for every step whose
/// failure means bad input, so the verdict is the same on all ranks and nobody hangs in a collective.
template <class F>
bool agree(const decomp::Communicator& comm, F&& f) {
  std::string msg;
  try {
    f();
  } catch (const std::exception& e) {
    msg = e.what();
    if (msg.empty()) msg = "unknown error";
  }
  if (!comm.any(!msg.empty())) return true;
  const auto all = comm.allgather(msg);
  if (comm.is_root())
    for (const auto& m : all)
      if (!m.empty()) {
        log::error(m);
        break;
      }
  return false;
}

/// Rank 0 reads the deck; every rank gets the same text (or the same error).
std::string read_deck_text(const decomp::Communicator& comm, const std::string& path) {
  std::string text, err;
  if (comm.is_root()) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      err = path + ": cannot open input deck";
    } else {
      std::ostringstream os;
      os << in.rdbuf();
      text = os.str();
    }
  }
  err = comm.broadcast(err);
  if (!err.empty()) throw InputError(err);
  return comm.broadcast(text);
}

/// Rank 0 only (no collectives). Throws InputError naming output.file if the results could not be
/// written there, so a bad path costs no training time. A real probe file is created because
/// access(W_OK) says yes to root even on read-only or virtual file systems.
void check_output_writable(const std::string& file) {
  struct stat st {};
  if (stat(file.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
    NPDE_INPUT_ERROR("output.file: '" << file << "' is a directory; give a file name such as '" << file
                                      << "/out.h5'");
  const std::size_t slash = file.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : file.substr(0, slash);
  if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    NPDE_INPUT_ERROR("output.file: directory '" << dir << "' of '" << file << "' does not exist");
  std::string probe = dir + "/.npde-write-test-XXXXXX";
  const int fd = mkstemp(probe.data());
  if (fd < 0)
    NPDE_INPUT_ERROR("output.file: cannot create files in directory '" << dir << "' (" << std::strerror(errno)
                                                                       << ")");
  close(fd);
  unlink(probe.c_str());
}

std::vector<int> output_grid(const io::Deck& deck) {
  if (!deck.output_grid.empty()) return deck.output_grid;
  if (deck.has_reference && !deck.reference_grid.empty()) return deck.reference_grid;
  return std::vector<int>(deck.dim, 65);
}

/// True for the equations a pde::Problem describes (make_equation_problem): those with a neural
/// solver, Poisson aside (its trainer has a problem of its own).
bool has_equation_problem(const std::string& pde) {
  const auto known = pinn::catalogue_equations();
  return pde != "poisson" && std::find(known.begin(), known.end(), pde) != known.end();
}

std::vector<int> reference_grid(const io::Deck& deck) {
  return deck.reference_grid.empty() ? std::vector<int>(deck.dim, 65) : deck.reference_grid;
}

std::string grid_string(const std::vector<int>& g) {
  std::string s;
  for (std::size_t i = 0; i < g.size(); ++i) s += (i ? "x" : "") + std::to_string(g[i]);
  return s;
}

std::string network_string(int n_in, const std::vector<int>& hidden, int n_out) {
  std::string s = std::to_string(n_in);
  for (int w : hidden) s += "-" + std::to_string(w);
  return s + "-" + std::to_string(n_out);
}

/// Reference solve and its comparison on the output slab; fills report entries.
void run_reference_into(const decomp::Communicator& comm, const io::Deck& deck, const pde::PoissonProblem& problem,
                        const GridSlab& slab, Report& report) {
  const auto grid = reference_grid(deck);
  log::info("reference: PETSc finite differences on " + grid_string(grid) + " points");
  const auto sol = reference::solve_poisson_fd(comm, make_reference_problem(deck, problem, grid));
  if (problem.exact) {
    const auto pts = pde::grid_points(problem.box, grid);
    std::vector<double> ex(sol.u.size());
    problem.exact->eval_many(pts.data(), ex.size(), ex.data());
    report.summary["reference_rel_l2_exact"] = reference::relative_l2(sol.u, ex);
  }
  std::vector<double> ref(slab.n_local());
  const int d = problem.box.dim;
  for (std::size_t i = 0; i < ref.size(); ++i)
    ref[i] = reference::interpolate(sol.u, d, problem.box.lower, problem.box.upper, grid, slab.points.data() + i * d);
  report.fields["reference"] = std::move(ref);
  report.summary["reference_seconds"] = sol.seconds;
  report.summary["reference_iterations"] = sol.iterations;
  report.summary_text["reference_solver"] = sol.ksp_type + "+" + sol.pc_type + " on " + grid_string(grid);
}

void add_exact(const pde::PoissonProblem& problem, const GridSlab& slab, Report& report) {
  if (!problem.exact) return;
  std::vector<double> ex(slab.n_local());
  problem.exact->eval_many(slab.points.data(), ex.size(), ex.data());
  report.fields["exact"] = std::move(ex);
}

/// Collective. The hooks that connect training to checkpoints, signals, wall time and the output file.
pinn::TrainHooks make_hooks(const decomp::Communicator& comm, const io::Deck& deck, io::OutputFile& out,
                            const std::vector<std::string>& term_names) {
  pinn::TrainHooks hooks;
  const double walltime = deck.walltime;
  hooks.stop_requested = [walltime](double elapsed, double per_iteration) {
    // Leave room for two more iterations and the checkpoint before the limit.
    return stop_signal() != 0 || (walltime > 0 && elapsed + 2.0 * per_iteration + 1.0 >= walltime);
  };
  hooks.checkpoint_every = deck.checkpoint_every;
  const std::string dir = checkpoint_dir(deck);
  const int keep = deck.checkpoint_keep;
  hooks.checkpoint = [&comm, &deck, dir, keep](const pinn::TrainState& state) {
    // Every rank holds the same state: rank 0 writes, and everyone learns whether it worked.
    std::string err, path;
    if (comm.is_root()) {
      try {
        path = io::write_checkpoint(dir, state.global_iteration, to_checkpoint(state, deck, comm.size()), keep);
      } catch (const std::exception& e) {
        err = e.what();
      }
    }
    err = comm.broadcast(err);
    if (!err.empty()) throw Error("cannot write checkpoint: " + err);
    log::info("checkpoint " + path + " (iteration " + std::to_string(state.global_iteration) + ")");
  };
  hooks.history_block = [&comm, &out, term_names](const std::vector<pinn::HistoryRow>& h) {
    write_history(comm, term_names, h, out);
  };
  if (const char* inject = std::getenv("NPDE_TEST_INJECT_NAN_AT")) hooks.inject_nan_at = std::atol(inject);
  return hooks;
}

/// Every stage's weight overrides name term groups the model has (one line, exit 2, before anything
/// is written); leaves the model's own weights in place.
template <class T>
void check_stage_weights(pinn::Model<T>& model, const pinn::TrainConfig& cfg) {
  for (const auto& stage : cfg.stages) model.set_stage_weights(stage.weights);
  model.set_stage_weights({});
}

template <class T>
int train_verb(const decomp::Communicator& comm, const io::Deck& deck, const pde::PoissonProblem& problem,
               const CommandLine& cl) {
  const auto opts = make_pinn_options(deck);
  const auto cfg = make_train_config(deck, cl.quiet);
  // 1. network and points; the restart state, validated against them
  pinn::PoissonPinn<T> pinn(comm, problem, opts);
  check_stage_weights(pinn, cfg);
  pinn::TrainState resume;
  if (cl.restart) {
    std::string used;
    const auto cp = io::load_restart(comm, checkpoint_dir(deck), cl.restart_file, &used);
    resume = from_checkpoint(cp, deck, pinn.n_params(), cl.allow_deck_change, used, pinn.term_names());
    log::info("restarting from " + used);
  }
  log::info(log::format("npde train ", deck.path, ": ", deck.dim, "D Poisson, ", deck.bc_enforcement,
                        " BC, network ", network_string(deck.dim, opts.hidden, 1), " ", deck.activation, " (",
                        pinn.n_params(), " parameters), ", deck.precision, ", ", comm.size(), " rank(s), ",
                        opts.n_interior, " interior points", opts.hard_bc ? "" : " + " + std::to_string(opts.n_boundary) + " boundary points",
                        ", BLAS core ", nn::blas_core_name()));
  // 2. the output file exists (under its temporary name) from the start: the history is flushed into
  // it at every progress line, and it gets its final name only when the run is complete
  io::OutputFile out(comm, deck.output_file);
  write_provenance(comm, deck, out);
  try {
    // 3. training
    const auto result =
        pinn::train(pinn, cfg, make_hooks(comm, deck, out, pinn.term_names()), cl.restart ? &resume : nullptr);
    if (result.stopped) {
      log::info(log::format("stopped cleanly at iteration ", result.iterations,
                            stop_signal() ? std::string(" on ") + signal_name(stop_signal()) : std::string(" (wall time)"),
                            "; run again with --restart to continue (exit code 3)"));
      return ExitStopped;
    }
    // 4. evaluation on the output grid, comparison with exact and reference
    const GridSlab slab = make_slab(comm, problem.box, output_grid(deck));
    Report report;
    report.history = result.history;
    report.term_names = pinn.term_names();
    report.fields["pinn"] = pinn.predict(slab.points);
    add_exact(problem, slab, report);
    if (report.fields.count("exact"))
      report.summary["rel_l2_exact"] = relative_l2(comm, report.fields["pinn"], report.fields["exact"]);
    if (deck.has_reference) {
      run_reference_into(comm, deck, problem, slab, report);
      report.summary["rel_l2_reference"] = relative_l2(comm, report.fields["pinn"], report.fields["reference"]);
    }
    const auto& base = report.fields.count("reference") ? report.fields["reference"]
                       : report.fields.count("exact")   ? report.fields["exact"]
                                                        : report.fields["pinn"];
    std::vector<double> err(base.size());
    for (std::size_t i = 0; i < err.size(); ++i) err[i] = report.fields["pinn"][i] - base[i];
    report.fields["error"] = std::move(err);
    report.summary["train_seconds"] = result.seconds;
    report.summary["iterations"] = double(result.iterations);
    report.summary["final_loss"] = result.final_loss;
    report.summary["ranks"] = comm.size();
    report.summary["nan_recoveries"] = result.nan_recoveries;
    report.summary_text["error_field"] = report.fields.count("reference") ? "pinn - reference"
                                         : report.fields.count("exact")   ? "pinn - exact"
                                                                          : "none (no reference or exact)";
    report.summary_text["output_file"] = deck.output_file;
    // 5. output
    write_report(comm, deck, problem.box, slab, report, out);
    log::info(summary_table(report));
    return ExitSuccess;
  } catch (const pinn::TrainingDiverged& e) {
    throw;  // every rank reached the same verdict: unwind normally (the temporary output is removed)
  } catch (const InputError& e) {
    throw;
  } catch (const std::exception& e) {
    // Possibly one rank only: abort here, before the output file's collective close could hang.
    log::error(e.what());
    comm.abort(ExitFailure);
  }
}

/// Collective. The classical solver of a catalogue equation (every problem.pde except poisson) for
/// the deck's equation problem `equation` (unused by the operator problems, which have none).
reference::GridSolution solve_catalogue(const decomp::Communicator& comm, const io::Deck& deck,
                                        const pde::Problem& equation);
std::string problem_string(const io::Deck& deck);

/// Collective. The network's outputs at every point of the reference solution's grid and series
/// (time snapshots: the grid at each time), one field per output in the reference's layout. Each rank
/// evaluates a block of the points; one sum assembles them on every rank.
template <class T>
std::vector<std::vector<double>> evaluate_on_grid(const decomp::Communicator& comm, pinn::Pinn<T>& net,
                                                  const reference::GridSolution& sol) {
  const int dim = sol.dim(), n_in = net.problem().n_inputs(), n_out = net.problem().n_outputs();
  const bool timed = net.problem().time_dependent;
  const std::size_t n_grid = sol.n_points(), n_series = timed ? sol.series.size() : 1, n = n_grid * n_series;
  const auto mine = decomp::block_range(n, comm.rank(), comm.size());
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
  const auto u = net.predict(pts);
  std::vector<std::vector<double>> fields(n_out, std::vector<double>(n, 0.0));
  for (std::size_t i = 0; i < mine.size(); ++i)
    for (int o = 0; o < n_out; ++o) fields[o][mine.begin + i] = u[i * n_out + o];
  for (auto& f : fields) comm.allreduce_sum(f.data(), f.size());
  return fields;
}

double relative_l2_of(const std::vector<double>& a, const std::vector<double>& b) {
  double num = 0, den = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    num += (a[i] - b[i]) * (a[i] - b[i]);
    den += b[i] * b[i];
  }
  return den > 0 ? std::sqrt(num / den) : std::sqrt(num);
}


/// Collective. The end of a catalogue training run: the run's own numbers after the comparison ones in
/// `summary`, the reference's text renamed reference_*, the file written and committed, the table printed.
void finish_training_report(const decomp::Communicator& comm, const io::Deck& deck, reference::GridSolution& sol,
                            std::vector<std::pair<std::string, double>> summary, const std::string& error_field,
                            const app::PinnGridFields& pf, double seconds, long iterations, double final_loss,
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

/// Collective. Runs a training verb's body with the output file open: errors that every rank reaches
/// alike (bad input, divergence, a reference solver's verdict) unwind normally, so the temporary file is
/// removed; anything else may be one rank's alone and aborts the job before a collective close could hang.
template <class F>
int guarded(const decomp::Communicator& comm, F&& body) {
  try {
    return body();
  } catch (const pinn::TrainingDiverged&) {
    throw;
  } catch (const InputError&) {
    throw;
  } catch (const SolverError&) {
    throw;
  } catch (const std::exception& e) {
    log::error(e.what());
    comm.abort(ExitFailure);
  }
}

/// `npde train` of a catalogue equation (its problem `equation`): the general PINN, then the classical
/// reference, compared on the reference's grid at every snapshot.
template <class T>
int catalogue_train_verb(const decomp::Communicator& comm, const io::Deck& deck, const pde::Problem& equation,
                         const CommandLine& cl) {
  // 1. the equation's kernel, the problem, the network and its points; the restart state
  auto kernel = pinn::make_catalogue_kernel<T>(deck.pde, deck.dim);
  pde::Problem problem = equation;
  const auto coefficient_names = kernel->coefficient_names();
  ObservationData observed;
  int learnt = -1;  // index of the learnt coefficient (inverse problems)
  if (deck.has_inverse) {
    observed = read_observations(comm, deck);
    learnt = make_inverse(deck, coefficient_names, observed.observations, problem);
    log::info(log::format("inverse problem: ", deck.inverse_coefficient, " learnt from ",
                          observed.observations.values.size(), " observations of ", deck.observations_file,
                          " (noise ", deck.observation_noise, "), initial guess ", problem.coefficients[learnt]));
  }
  const auto opts = make_pinn_options(deck);
  const auto cfg = make_train_config(deck, cl.quiet);
  pinn::Pinn<T> net(comm, problem, std::move(kernel), opts);
  check_stage_weights(net, cfg);
  pinn::TrainState resume;
  if (cl.restart) {
    std::string used;
    const auto cp = io::load_restart(comm, checkpoint_dir(deck), cl.restart_file, &used);
    resume = from_checkpoint(cp, deck, net.n_params(), cl.allow_deck_change, used, net.term_names());
    log::info("restarting from " + used);
  }
  std::string terms;
  for (std::size_t k = 0; k < net.term_names().size(); ++k)
    terms += (k ? ", " : "") + net.term_names()[k] + " (" + std::to_string(net.term_points()[k]) + ")";
  log::info(log::format("npde train ", deck.path, ": ", problem_string(deck), ", ", deck.bc_enforcement,
                        " conditions, network ", network_string(problem.n_inputs(), opts.hidden, problem.n_outputs()),
                        " ", deck.activation, " (", net.n_params(), " parameters), ", deck.precision, ", ",
                        comm.size(), " rank(s), loss terms (points): ", terms, ", BLAS core ", nn::blas_core_name()));
  // 2. the output file exists (under its temporary name) from the start, as for Poisson
  io::OutputFile out(comm, deck.output_file);
  write_provenance(comm, deck, out);
  return guarded(comm, [&]() -> int {
    // 3. training
    const auto result =
        pinn::train(net, cfg, make_hooks(comm, deck, out, net.term_names()), cl.restart ? &resume : nullptr);
    if (result.stopped) {
      log::info(log::format("stopped cleanly at iteration ", result.iterations,
                            stop_signal() ? std::string(" on ") + signal_name(stop_signal()) : std::string(" (wall time)"),
                            "; run again with --restart to continue (exit code 3)"));
      return ExitStopped;
    }
    // 4. the classical reference, and the network on its grid
    // an inverse problem is compared with the solution for the true coefficient (the observation
    // file's), not for the deck's initial guess
    pde::Problem reference_problem = equation;
    if (learnt >= 0 && std::isfinite(observed.true_value)) reference_problem.coefficients[learnt] = observed.true_value;
    log::info("reference: " + problem_string(deck) +
              (learnt >= 0 ? ", " + deck.inverse_coefficient + " = " + std::to_string(observed.true_value) : ""));
    reference::GridSolution sol = solve_catalogue(comm, deck, reference_problem);
    auto fields = evaluate_on_grid(comm, net, sol);
    for (std::size_t f = 0; f < sol.fields.size() && f < fields.size(); ++f)
      if (sol.fields[f].first == "p") {
        // the residuals see only grad p: the network's pressure is fixed up to a constant, taken so
        // that its mean over the grid is the reference's
        double shift = 0;
        for (std::size_t i = 0; i < fields[f].size(); ++i) shift += sol.fields[f].second[i] - fields[f][i];
        shift /= double(std::max<std::size_t>(fields[f].size(), 1));
        for (double& v : fields[f]) v += shift;
      }
    app::PinnGridFields pf;
    pf.history = result.history;
    pf.term_names = net.term_names();
    std::vector<std::pair<std::string, double>> summary;
    for (std::size_t f = 0; f < sol.fields.size() && f < fields.size(); ++f) {
      const std::string& name = sol.fields[f].first;
      const std::string suffix = sol.fields.size() > 1 ? "_" + name : "";
      summary.emplace_back("rel_l2_reference" + suffix, relative_l2_of(fields[f], sol.fields[f].second));
      for (const auto& [ename, evalues] : sol.exact)
        if (ename == name) summary.emplace_back("rel_l2_exact" + suffix, relative_l2_of(fields[f], evalues));
      pf.fields.emplace_back(name, fields[f]);
    }
    if (sol.fields.size() >= 2 && sol.fields[0].first == "u" && sol.fields[1].first == "v") {
      // velocity (u, v) as one vector field
      auto joined = [](const std::vector<double>& a, const std::vector<double>& b) {
        std::vector<double> j(a);
        j.insert(j.end(), b.begin(), b.end());
        return j;
      };
      const auto net_uv = joined(fields[0], fields[1]);
      summary.emplace_back("rel_l2_reference_velocity",
                           relative_l2_of(net_uv, joined(sol.fields[0].second, sol.fields[1].second)));
      if (sol.exact.size() >= 2 && sol.exact[0].first == "u" && sol.exact[1].first == "v")
        summary.emplace_back("rel_l2_exact_velocity",
                             relative_l2_of(net_uv, joined(sol.exact[0].second, sol.exact[1].second)));
    }
    if (learnt >= 0) {
      const std::string key = "coefficient_" + deck.inverse_coefficient;
      const double value = net.coefficients()[learnt], truth = observed.true_value;
      summary.emplace_back(key, value);
      summary.emplace_back(key + "_initial", deck.coefficients.at(deck.inverse_coefficient));
      if (std::isfinite(truth)) {
        summary.emplace_back(key + "_true", truth);
        summary.emplace_back(key + "_rel_error", std::abs(value - truth) / std::abs(truth));
      }
    }
    if (deck.pde == "navier_stokes" && deck.flow_case == "cavity" && fields.size() >= 2) {
      // the network's centrelines against Ghia et al. (1982), as the reference reports its own
      const std::vector<int> grid{int(sol.axes[0].size()), int(sol.axes[1].size())};
      for (const auto& [k, v] : ghia_deviations(deck, io::coefficient(deck, "reynolds"), fields[0], fields[1], grid))
        summary.emplace_back(k, v);
    }
    for (const auto& [k, v] : sol.summary) summary.emplace_back("reference_" + k, v);
    // 5. output
    finish_training_report(comm, deck, sol, summary, "pinn - reference", pf, result.seconds, result.iterations,
                           result.final_loss, result.nan_recoveries, out);
    return int(ExitSuccess);
  });
}

/// L2 norm with trapezoid weights on a closed uniform axis (the Schroedinger reference grid).
double trapezoid_norm(const std::vector<double>& f, double h) {
  double s = 0;
  for (std::size_t i = 0; i < f.size(); ++i) s += (i == 0 || i + 1 == f.size() ? 0.5 : 1.0) * h * f[i] * f[i];
  return std::sqrt(s);
}

/// `npde train` of an eigenproblem (schrodinger): the lowest training.states states one after another,
/// each with its own network and trained energy (guess: the Rayleigh quotient of its initial network),
/// normalisation and orthogonality terms; then SLEPc's modes, compared up to sign and normalisation.
template <class T>
int eigen_train_verb(const decomp::Communicator& comm, const io::Deck& deck, const pde::Problem& equation,
                     const CommandLine& cl) {
  if (cl.restart)
    NPDE_INPUT_ERROR("--restart: eigenproblem runs (problem.pde: schrodinger) cannot be restarted yet; run the deck "
                     "again from the start");
  if (deck.eigenpairs < deck.states)
    NPDE_INPUT_ERROR("reference.eigenpairs: " << deck.eigenpairs << " reference modes for training.states = "
                                              << deck.states << "; give at least as many");
  const auto opts = make_pinn_options(deck);
  const auto cfg = make_train_config(deck, cl.quiet);
  pde::Problem problem = equation;
  {  // the stages' weight groups against the terms the states will have (the last one has them all)
    pde::Problem last = problem;
    if (deck.states > 1) last.eigen.previous.assign(1, std::vector<double>(std::size_t(deck.quadrature), 0.0));
    last.eigen.previous_derivative = last.eigen.previous;
    pinn::Pinn<T> probe(comm, last, pinn::make_catalogue_kernel<T>("schrodinger", 1), opts);
    check_stage_weights(probe, cfg);
  }
  io::OutputFile out(comm, deck.output_file);
  write_provenance(comm, deck, out);
  return guarded(comm, [&]() -> int {
    std::vector<std::unique_ptr<pinn::Pinn<T>>> nets;
    std::vector<pinn::HistoryRow> history;
    std::vector<std::string> names;
    std::vector<double> energies;
    double seconds = 0;
    long iterations = 0;
    int nan_recoveries = 0;
    const int n_stages = int(deck.stages.size());
    for (int n = 0; n < deck.states; ++n) {
      // 1. state n: a network with the earlier states as orthogonality constraints
      auto net = std::make_unique<pinn::Pinn<T>>(comm, problem, pinn::make_catalogue_kernel<T>("schrodinger", 1), opts);
      {
        // start at int psi^2 = 1: a network whose output is near 0 would sit at the normalisation
        // term's stationary point psi = 0
        const double q = net->quadrature_norm2(net->quadrature_values(false));
        if (q > 0) net->scale_output(1 / std::sqrt(q));
      }
      const double guess = net->rayleigh_quotient();
      net->set_coefficient(0, guess);
      if (n == 0) names = net->term_names();
      log::info(log::format("state ", n, ": energy guess ", guess, " (Rayleigh quotient of the initial network",
                            n > 0 ? ", earlier states projected out)" : ")", ", loss terms ",
                            net->term_names().size()));
      pinn::TrainHooks hooks = make_hooks(comm, deck, out, net->term_names());
      hooks.checkpoint = nullptr;  // a multi-state run is not resumable yet: no checkpoints to mislead
      hooks.checkpoint_every = 0;
      const auto earlier = history;
      const auto term_names = net->term_names();
      hooks.history_block = [&comm, &out, earlier, term_names, n, n_stages](const std::vector<pinn::HistoryRow>& h) {
        auto all = earlier;
        const long offset = all.empty() ? 0 : all.back().iteration;
        for (auto r : h) {
          r.stage += n * n_stages;
          r.iteration += offset;
          all.push_back(r);
        }
        for (auto& r : all) r.terms.resize(term_names.size(), 0.0);
        write_history(comm, term_names, all, out);
      };
      const auto result = pinn::train(*net, cfg, hooks);
      if (result.stopped) {
        log::info(log::format("stopped at state ", n, ", iteration ", result.iterations,
                              "; eigenproblem runs cannot be resumed yet (exit code 3)"));
        return ExitStopped;
      }
      // 2. keep the state: energy, normalised values and derivatives on the quadrature grid
      const double energy = net->coefficients()[0];
      energies.push_back(energy);
      std::vector<double> psi = net->quadrature_values(false), dpsi = net->quadrature_values(true);
      const double q = net->quadrature_norm2(psi);
      for (auto& v : psi) v /= std::sqrt(q);
      for (auto& v : dpsi) v /= std::sqrt(q);
      problem.eigen.previous.push_back(psi);
      problem.eigen.previous_derivative.push_back(dpsi);
      log::info(log::format("state ", n, ": E = ", energy, " after ", result.iterations, " iterations, ",
                            result.seconds, " s"));
      for (auto r : result.history) {
        r.stage += n * n_stages;
        r.iteration += iterations;
        history.push_back(r);
      }
      if (net->term_names().size() > names.size()) names = net->term_names();
      seconds += result.seconds;
      iterations += result.iterations;
      nan_recoveries += result.nan_recoveries;
      nets.push_back(std::move(net));
    }
    // 3. the reference modes, and the states on their grid (normalised, signs aligned)
    log::info("reference: " + problem_string(deck));
    reference::GridSolution sol = solve_catalogue(comm, deck, equation);
    const std::size_t n_grid = sol.n_points(), k = std::size_t(deck.states);
    sol.series.resize(k);
    for (auto& [name, values] : sol.fields) values.resize(k * n_grid);
    for (auto& [name, values] : sol.exact) values.resize(k * n_grid);
    const double h = sol.axes[0].size() > 1 ? sol.axes[0][1] - sol.axes[0][0] : 1.0;
    std::vector<double> net_psi(k * n_grid);
    std::vector<std::pair<std::string, double>> summary;
    for (std::size_t n = 0; n < k; ++n) {
      std::vector<double> u = nets[n]->predict(sol.axes[0]);
      std::vector<double> ref(sol.fields[0].second.begin() + n * n_grid, sol.fields[0].second.begin() + (n + 1) * n_grid);
      const double nu = trapezoid_norm(u, h), nr = trapezoid_norm(ref, h);
      double dot = 0;
      for (std::size_t i = 0; i < n_grid; ++i) dot += u[i] * ref[i];
      const double scale = (dot < 0 ? -1.0 : 1.0) * nr / nu;  // the reference's sign and norm
      for (std::size_t i = 0; i < n_grid; ++i) net_psi[n * n_grid + i] = scale * u[i];
      const std::string tag = std::to_string(n);
      const std::vector<double> mine(net_psi.begin() + n * n_grid, net_psi.begin() + (n + 1) * n_grid);
      summary.emplace_back("eigenvalue_" + tag, energies[n]);
      summary.emplace_back("eigenvalue_" + tag + "_reference", sol.series[n]);
      summary.emplace_back("eigenvalue_" + tag + "_rel_error_reference",
                           std::abs(energies[n] - sol.series[n]) / std::abs(sol.series[n]));
      summary.emplace_back("psi_" + tag + "_rel_l2_reference", relative_l2_of(mine, ref));
      for (const auto& [key, value] : sol.summary)
        if (key == "eigenvalue_error_" + tag) {  // the box spectrum: E_exact = E_ref - error
          const double exact = sol.series[n] - value;
          summary.emplace_back("eigenvalue_" + tag + "_rel_error_exact", std::abs(energies[n] - exact) / std::abs(exact));
        }
      if (!sol.exact.empty()) {
        const std::vector<double> ex(sol.exact[0].second.begin() + n * n_grid,
                                     sol.exact[0].second.begin() + (n + 1) * n_grid);
        summary.emplace_back("psi_" + tag + "_rel_l2_exact", relative_l2_of(mine, ex));
      }
    }
    app::PinnGridFields pf;
    pf.history = history;
    for (auto& r : pf.history) r.terms.resize(names.size(), 0.0);  // state 0 has no orthogonality term
    pf.term_names = names;
    pf.fields.emplace_back(sol.fields[0].first, net_psi);
    for (const auto& [key, value] : sol.summary)
      if (key.rfind("eigenvalue_", 0) != 0 || key.find_first_not_of("0123456789", 11) != std::string::npos)
        summary.emplace_back("reference_" + key, value);  // the reference's eigenvalues are eigenvalue_<n>_reference
    finish_training_report(comm, deck, sol, summary,
                           "pinn - reference (modes normalised as the reference's, signs aligned)", pf, seconds,
                           iterations, history.empty() ? 0.0 : history.back().loss, nan_recoveries, out);
    return int(ExitSuccess);
  });
}

int reference_verb(const decomp::Communicator& comm, const io::Deck& deck, const pde::PoissonProblem& problem) {
  const auto grid = reference_grid(deck);
  const GridSlab slab = make_slab(comm, problem.box, grid);
  Report report;
  run_reference_into(comm, deck, problem, slab, report);
  add_exact(problem, slab, report);
  if (report.fields.count("exact")) {
    std::vector<double> err(slab.n_local());
    for (std::size_t i = 0; i < err.size(); ++i) err[i] = report.fields["reference"][i] - report.fields["exact"][i];
    report.fields["error"] = std::move(err);
    report.summary_text["error_field"] = "reference - exact";
  }
  report.summary["ranks"] = comm.size();
  report.summary_text["output_file"] = deck.output_file;
  io::Deck out_deck = deck;
  out_deck.output_grid = grid;
  io::OutputFile out(comm, deck.output_file);
  write_report(comm, out_deck, problem.box, slab, report, out);
  log::info(summary_table(report));
  return ExitSuccess;
}

/// Collective. The classical solver of a catalogue equation (every problem.pde except poisson).
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

std::string problem_string(const io::Deck& deck) {
  std::string s = std::to_string(deck.dim) + "D " + deck.pde;
  if (!deck.flow_case.empty()) s += " (" + deck.flow_case + ")";
  if (io::is_time_dependent(deck.pde)) {
    std::ostringstream os;
    os << ", t in [" << deck.t_start << ", " << deck.t_end << "]";
    s += os.str();
  }
  return s;
}

int catalogue_reference_verb(const decomp::Communicator& comm, const io::Deck& deck, const pde::Problem& equation) {
  log::info("npde reference " + deck.path + ": " + problem_string(deck) + " on " +
            grid_string(reference_grid(deck)) + " points, " + std::to_string(comm.size()) + " rank(s)");
  auto sol = solve_catalogue(comm, deck, equation);
  sol.summary.emplace_back("ranks", comm.size());
  sol.summary_text.emplace_back("output_file", deck.output_file);
  io::OutputFile out(comm, deck.output_file);
  write_grid_solution(comm, deck, sol, out);
  log::info(grid_solution_summary(sol));
  return ExitSuccess;
}

int dataset_verb(const decomp::Communicator& comm, const io::Deck& deck) {
  log::info("npde dataset " + deck.path + ": " + std::to_string(deck.dataset_samples) + " samples of " +
            problem_string(deck) + " on " + grid_string(reference_grid(deck)) + " points, " +
            std::to_string(comm.size()) + " rank(s)");
  const DatasetProblem problem =
      deck.pde == "darcy" ? dataset_problem_darcy(deck) : dataset_problem_ns_vorticity(deck);
  const DatasetStats stats = generate_dataset(comm, deck, problem);
  std::ostringstream os;
  os << "summary\n"
     << "  output_file              " << deck.output_file << "\n"
     << "  samples                  " << stats.samples << "\n"
     << "  seconds                  " << stats.seconds << "\n"
     << "  samples_per_second       " << stats.samples_per_second << "\n"
     << "  ranks                    " << comm.size();
  log::info(os.str());
  return ExitSuccess;
}

int info_verb(const decomp::Communicator& comm, const io::Deck& deck) {
  std::ostringstream os;
  os << "deck            " << deck.path << "\n";
  if (!deck.has_training) {
    os << "problem         " << problem_string(deck) << "\n";
    for (const auto& [name, value] : deck.coefficients) os << "coefficient     " << name << " = " << value << "\n";
    os << "reference       " << grid_string(reference_grid(deck)) << " " << deck.reference_petsc << "\n";
    if (deck.has_dataset) os << "dataset         " << deck.dataset_samples << " samples\n";
    os << "output          " << deck.output_file << "\n"
       << "ranks           " << comm.size();
    log::info(os.str());
    return ExitSuccess;
  }
  const auto opts = make_pinn_options(deck);
  const bool timed = io::is_time_dependent(deck.pde);
  const int n_in = deck.dim + (timed ? 1 : 0), n_out = deck.pde == "navier_stokes" ? 3 : 1;
  const nn::Mlp<double> net(n_in, opts.hidden, n_out, opts.activation);
  os << "problem         " << problem_string(deck) << ", source " << deck.source
     << (deck.exact ? ", exact " + *deck.exact : std::string()) << "\n";
  for (const auto& [name, value] : deck.coefficients) os << "coefficient     " << name << " = " << value << "\n";
  os << "boundary        " << deck.boundary.size() << " condition(s), enforcement " << deck.bc_enforcement << "\n"
     << "network         " << network_string(n_in, opts.hidden, n_out) << " " << deck.activation << ", "
     << net.n_params() << " parameters, " << deck.precision << "\n"
     << "points          " << deck.n_interior << " interior (" << (deck.n_interior + comm.size() - 1) / comm.size()
     << " per rank max), " << (opts.hard_bc ? 0 : deck.n_boundary) << " boundary"
     << (timed && !opts.hard_bc ? ", " + std::to_string(deck.n_initial) + " initial" : std::string())
     << ", sampler " << deck.sampler << ", resample every " << deck.resample_every << "\n";
  for (std::size_t s = 0; s < deck.stages.size(); ++s)
    os << "stage " << s + 1 << "         " << deck.stages[s].optimizer << " x " << deck.stages[s].iterations
       << ", lr " << deck.stages[s].lr << "\n";
  // catalogue equations always compare with their classical solver
  const bool reference = deck.has_reference || deck.pde != "poisson";
  os << "reference       " << (reference ? grid_string(reference_grid(deck)) + " " + deck.reference_petsc : "none")
     << "\n"
     << "output          " << deck.output_file;
  if (deck.pde == "poisson") os << " on " << grid_string(output_grid(deck));
  os << "\n"
     << "ranks           " << comm.size();
  log::info(os.str());
  return ExitSuccess;
}

}  // namespace

std::string version_text() {
  std::ostringstream os;
  os << "npde " << version() << " (git " << git_hash() << ")\n"
     << "Kokkos " << KOKKOS_VERSION / 10000 << "." << (KOKKOS_VERSION / 100) % 100 << "." << KOKKOS_VERSION % 100
     << ", execution space " << ExecSpace::name() << "\n"
     << "PETSc " << reference::petsc_version() << ", SLEPc " << reference::slepc_version() << ", FFTW "
     << reference::fftw_version() << "\n"
     << "HDF5 " << io::hdf5_version() << " (parallel)\n"
     << "MPI " << io::mpi_library_version() << "\n"
     << "BLAS OpenBLAS core " << nn::blas_core_name() << "\n"
     << "precision double (default), float";
  return os.str();
}

int run(const decomp::Communicator& comm, const CommandLine& cl) {
  // 1. validation: every step that can fail on bad input reaches the same verdict on every rank
  io::Deck deck;
  pde::PoissonProblem problem;
  pde::Problem equation;  // every other equation's: what the PINN trains and the reference solves
  const bool ok = agree(comm, [&] {
    const std::string text = read_deck_text(comm, cl.deck);
    deck = io::parse_deck(text, cl.deck, cl.sets);
    if (cl.verb == "train") {
      const auto known = pinn::catalogue_equations();
      if (std::find(known.begin(), known.end(), deck.pde) == known.end())
        NPDE_INPUT_ERROR(cl.deck << ": problem.pde: " << deck.pde
                                 << " has no neural solver yet; `npde reference` runs its classical solver");
    }
    if (cl.verb == "train" && !deck.has_training)
      NPDE_INPUT_ERROR(cl.deck << ": npde train needs a 'training' section (at least training.stages)");
    if (cl.verb == "dataset" && !deck.has_dataset)
      NPDE_INPUT_ERROR(cl.deck << ": npde dataset needs a 'dataset' section (dataset.samples), for problem.pde "
                                  "darcy or ns_vorticity");
    if (deck.pde == "poisson") problem = make_problem(deck);
    if (deck.pde != "poisson" && (deck.has_training || (cl.verb == "reference" && has_equation_problem(deck.pde)))) {
      equation = make_equation_problem(deck);
      if (deck.has_training) {
        // the conditions the trial functions cannot build are input errors: found before any work
        for (int o = 0; o < equation.n_outputs(); ++o) (void)pinn::TrialFunction(equation, o);
        if (deck.has_inverse && cl.verb == "train") (void)read_observations(comm, deck);  // collective
      }
    }
    if (deck.has_training) (void)make_pinn_options(deck);
    if (cl.verb != "info" && comm.is_root()) check_output_writable(deck.output_file);
  });
  if (!ok) return ExitInput;
  if (cl.verb == "info") return info_verb(comm, deck);
  // 2. the run; a failure now is not the user's input: report it with the rank and stop the job
  try {
    if (cl.verb == "dataset") return dataset_verb(comm, deck);
    if (cl.verb == "reference")
      return deck.pde == "poisson" ? reference_verb(comm, deck, problem)
                                   : catalogue_reference_verb(comm, deck, equation);
    if (deck.pde == "schrodinger")
      return deck.precision == "float" ? eigen_train_verb<float>(comm, deck, equation, cl)
                                       : eigen_train_verb<double>(comm, deck, equation, cl);
    if (deck.pde != "poisson")
      return deck.precision == "float" ? catalogue_train_verb<float>(comm, deck, equation, cl)
                                       : catalogue_train_verb<double>(comm, deck, equation, cl);
    if (deck.precision == "float") return train_verb<float>(comm, deck, problem, cl);
    return train_verb<double>(comm, deck, problem, cl);
  } catch (const io::CheckpointError& e) {
    // Every rank holds the same verdict (rank 0 validated the file and broadcast it): one line.
    if (comm.is_root()) log::error(e.what());
    return ExitInput;
  } catch (const InputError& e) {
    log::error(e.what());
    return ExitInput;
  } catch (const pinn::TrainingDiverged& e) {
    if (comm.is_root()) log::error(e.what());  // the NaN guard decides alike on every rank
    return ExitDiverged;
  } catch (const SolverError& e) {
    if (comm.is_root()) log::error(e.what());  // convergence verdicts are collective
    return ExitSolverFailed;
  } catch (const std::exception& e) {
    log::error(e.what());
    return ExitFailure;
  }
}

}  // namespace npde::app
