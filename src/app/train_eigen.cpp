// SPDX-License-Identifier: BSD-3-Clause
// `npde train` of an eigenproblem (schrodinger): the lowest states one after another, then SLEPc's
// modes, compared up to sign and normalisation.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>

#include "app/training.hpp"
#include "npde/app/checkpointing.hpp"
#include "npde/app/report.hpp"
#include "npde/app/setup.hpp"
#include "npde/io/checkpoint.hpp"
#include "npde/pinn/catalogue.hpp"
#include "npde/pinn/pinn.hpp"

namespace npde::app::detail {

namespace {

/// L2 norm with trapezoid weights on a closed uniform axis (the Schroedinger reference grid).
double trapezoid_norm(const std::vector<double>& f, double h) {
  double s = 0;
  for (std::size_t i = 0; i < f.size(); ++i) s += (i == 0 || i + 1 == f.size() ? 0.5 : 1.0) * h * f[i] * f[i];
  return std::sqrt(s);
}

/// `npde train` of an eigenproblem (schrodinger): the lowest training.states states one after another,
/// each with its own network and trained energy (guess: the Rayleigh quotient of its initial network),
/// normalisation and orthogonality terms; then SLEPc's modes, compared up to sign and normalisation.
/// The flat parameters of a model as doubles (what checkpoints hold).
template <class T>
std::vector<double> params_of(pinn::Pinn<T>& net) {
  auto host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), net.params());
  return std::vector<double>(host.data(), host.data() + host.extent(0));
}

template <class T>
void set_params(pinn::Pinn<T>& net, const std::vector<double>& p) {
  auto host = Kokkos::create_mirror_view(net.params());
  for (std::size_t i = 0; i < p.size(); ++i) host(i) = T(p[i]);
  Kokkos::deep_copy(net.params(), host);
}

/// A history row of one state's training as a row of the whole run's: stages and iterations after the
/// earlier states', the state's loss terms (`from`) in the run's columns (`to`, a superset; 0 where the
/// state has no such term).
pinn::HistoryRow in_run_history(pinn::HistoryRow r, int stage_offset, long iteration_offset,
                                const std::vector<std::string>& from, const std::vector<std::string>& to) {
  r.stage += stage_offset;
  r.iteration += iteration_offset;
  std::vector<double> terms(to.size(), 0.0);
  for (std::size_t k = 0; k < from.size() && k < r.terms.size(); ++k) {
    const auto it = std::find(to.begin(), to.end(), from[k]);
    if (it != to.end()) terms[std::size_t(it - to.begin())] = r.terms[k];
  }
  r.terms = std::move(terms);
  return r;
}

/// The eigen part of a checkpoint: the state it was written in, and what the earlier states left (their
/// parameters, history and totals). Written by eigen_train_verb's checkpoint hook.
struct EigenProgress {
  int state = 0;
  std::vector<std::vector<double>> params;  ///< per finished state
  std::vector<pinn::HistoryRow> history;    ///< of the finished states, as in /history
  std::vector<std::string> names;           ///< its term names
  double seconds = 0;
  long iterations = 0;
  int nan_recoveries = 0;
};

void put_progress(io::Checkpoint& cp, const EigenProgress& p) {
  cp.scalars["eigen/state"] = p.state;
  for (std::size_t k = 0; k < p.params.size(); ++k) cp.arrays["eigen/params_" + std::to_string(k)] = p.params[k];
  put_history(cp, "eigen/history", p.history, p.names);
  cp.scalars["eigen/seconds"] = p.seconds;
  cp.scalars["eigen/iterations"] = double(p.iterations);
  cp.scalars["eigen/nan_recoveries"] = p.nan_recoveries;
}

/// Throws io::CheckpointError naming `path` for a checkpoint that is not one of this deck's eigen runs.
EigenProgress get_progress(const io::Checkpoint& cp, const io::Deck& deck, std::size_t n_params,
                           const std::string& path) {
  auto fail = [&](const std::string& m) { throw io::CheckpointError(path + ": " + m); };
  if (!cp.scalars.count("eigen/state")) fail("not a checkpoint of an eigenproblem run (no eigen/state)");
  EigenProgress p;
  const double state = cp.scalar("eigen/state");
  if (!(state >= 0) || state != std::floor(state) || state >= deck.states)
    fail("written in state " + std::to_string(state) + ", the deck trains " + std::to_string(deck.states) +
         " state(s)");
  p.state = int(state);
  for (int k = 0; k < p.state; ++k) {
    p.params.push_back(cp.array("eigen/params_" + std::to_string(k)));
    if (p.params.back().size() != n_params)
      fail("state " + std::to_string(k) + " holds " + std::to_string(p.params.back().size()) +
           " parameters, the deck's network has " + std::to_string(n_params));
    for (double v : p.params.back())
      if (!std::isfinite(v)) fail("parameters of state " + std::to_string(k) + " contain non-finite values");
  }
  p.history = get_history(cp, "eigen/history", path, &p.names);
  p.seconds = cp.scalar("eigen/seconds");
  p.iterations = long(cp.scalar("eigen/iterations"));
  p.nan_recoveries = int(cp.scalar("eigen/nan_recoveries"));
  if (p.history.size() != std::size_t(p.iterations)) fail("eigen history length does not match its iteration count");
  return p;
}

/// `npde train` of an eigenproblem (schrodinger): the lowest training.states states one after another,
/// each with its own network and trained energy (guess: the Rayleigh quotient of its initial network),
/// normalisation and orthogonality terms; then SLEPc's modes, compared up to sign and normalisation.
/// Checkpoints carry the finished states (their parameters: their values on the quadrature grid, the
/// next states' constraints, are recomputed from them bit for bit); a restart rebuilds them and resumes
/// the state the checkpoint was written in.
template <class T>
int eigen_train_verb(const decomp::Communicator& comm, const io::Deck& deck, const pde::Problem& equation,
                     const CommandLine& cl) {
  if (deck.eigenpairs < deck.states)
    NPDE_INPUT_ERROR("reference.eigenpairs: " << deck.eigenpairs << " reference modes for training.states = "
                                              << deck.states << "; give at least as many");
  const auto opts = make_pinn_options(deck);
  const auto cfg = make_train_config(deck, cl.quiet);
  pde::Problem problem = equation;
  std::size_t n_params = 0;
  std::vector<std::string> all_names;  // the history's term columns: the last state's (a superset)
  {  // the stages' weight groups against the terms the states will have (the last one has them all)
    pde::Problem last = problem;
    if (deck.states > 1) last.eigen.previous.assign(1, std::vector<double>(std::size_t(deck.quadrature), 0.0));
    last.eigen.previous_derivative = last.eigen.previous;
    pinn::Pinn<T> probe(comm, last, pinn::make_catalogue_kernel<T>("schrodinger", 1), opts);
    check_stages(probe, cfg);
    n_params = probe.n_params();
    all_names = probe.term_names();
  }
  // the restart: the checkpoint (validated, the same on every rank) and the finished states in it
  io::Checkpoint cp;
  std::string used;
  EigenProgress done;
  if (cl.restart) {
    cp = io::load_restart(comm, checkpoint_dir(deck), cl.restart_file, &used);
    done = get_progress(cp, deck, n_params, used);
    if (!done.history.empty() && done.names != all_names)
      throw io::CheckpointError(used + ": its loss terms are not the deck's; restarting would not continue the same run");
    log::info(log::format("restarting from ", used, " (state ", done.state, ")"));
  }
  io::OutputFile out(comm, deck.output_file);
  write_provenance(comm, deck, out);
  return guarded(comm, [&]() -> int {
    std::vector<std::unique_ptr<pinn::Pinn<T>>> nets;
    std::vector<double> energies;
    EigenProgress progress;  // what the finished states leave (checkpointed with the running one)
    progress.history = done.history;
    progress.names = all_names;
    progress.seconds = done.seconds;
    progress.iterations = done.iterations;
    progress.nan_recoveries = done.nan_recoveries;
    const int n_stages = int(deck.stages.size());
    double job_seconds = 0;  // training time of this job (the wall-time limit is per job)
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
      net->set_coefficient(0, guess);  // fixes the energy's parameter scale: also on a restart
      double energy = 0;
      if (n < done.state) {
        // finished before the restart: its parameters from the checkpoint
        set_params(*net, done.params[n]);
        energy = net->coefficients()[0];
        log::info(log::format("state ", n, ": E = ", energy, " (from the checkpoint)"));
      } else {
        log::info(log::format("state ", n, ": energy guess ", guess, " (Rayleigh quotient of the initial network",
                              n > 0 ? ", earlier states projected out)" : ")", ", loss terms ",
                              net->term_names().size()));
        pinn::TrainState resume;
        const bool resuming = cl.restart && n == done.state;
        if (resuming) resume = from_checkpoint(cp, deck, net->n_params(), cl.allow_deck_change, used, net->term_names());
        CheckpointExtras extras;
        extras.tag_offset = progress.iterations;
        extras.add = [&progress, n](io::Checkpoint& c) {
          EigenProgress p = progress;
          p.state = n;
          put_progress(c, p);
        };
        pinn::TrainHooks hooks = make_hooks(comm, deck, out, net->term_names(), {}, extras);
        // the wall-time limit counts this job's training, earlier states included
        const auto stop = hooks.stop_requested;
        const double before = job_seconds;
        hooks.stop_requested = [stop, before](double elapsed, double per) { return stop(before + elapsed, per); };
        const auto earlier = progress.history;
        const auto names = progress.names;
        const auto state_names = net->term_names();
        const long offset = progress.iterations;
        hooks.history_block = [&comm, &out, earlier, names, state_names, n, n_stages,
                               offset](const std::vector<pinn::HistoryRow>& h) {
          auto all = earlier;
          for (const auto& r : h) all.push_back(in_run_history(r, n * n_stages, offset, state_names, names));
          write_history(comm, names, all, out);
        };
        const auto t0 = std::chrono::steady_clock::now();
        const auto result = pinn::train(*net, cfg, hooks, resuming ? &resume : nullptr);
        job_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (result.stopped) return report_stopped(progress.iterations + result.iterations, "in state " + std::to_string(n));
        energy = net->coefficients()[0];
        log::info(log::format("state ", n, ": E = ", energy, " after ", result.iterations, " iterations, ",
                              result.seconds, " s"));
        for (const auto& r : result.history)
          progress.history.push_back(
              in_run_history(r, n * n_stages, progress.iterations, net->term_names(), progress.names));
        progress.seconds += result.seconds;
        progress.iterations += result.iterations;
        progress.nan_recoveries += result.nan_recoveries;
      }
      // 2. keep the state: energy, normalised values and derivatives on the quadrature grid
      energies.push_back(energy);
      std::vector<double> psi = net->quadrature_values(false), dpsi = net->quadrature_values(true);
      const double q = net->quadrature_norm2(psi);
      for (auto& v : psi) v /= std::sqrt(q);
      for (auto& v : dpsi) v /= std::sqrt(q);
      problem.eigen.previous.push_back(psi);
      problem.eigen.previous_derivative.push_back(dpsi);
      progress.params.push_back(params_of(*net));
      nets.push_back(std::move(net));
    }
    const auto& history = progress.history;
    const auto& names = progress.names;
    const double seconds = progress.seconds;
    const long iterations = progress.iterations;
    const int nan_recoveries = progress.nan_recoveries;
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
    PinnGridFields pf;
    pf.history = history;
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

}  // namespace

int eigen_train(const decomp::Communicator& comm, const io::Deck& deck, const pde::Problem& equation,
                const CommandLine& cl) {
  return deck.precision == "float" ? eigen_train_verb<float>(comm, deck, equation, cl)
                                   : eigen_train_verb<double>(comm, deck, equation, cl);
}

}  // namespace npde::app::detail
