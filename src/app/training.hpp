// SPDX-License-Identifier: BSD-3-Clause
// Private to app/: what the training verbs (Poisson's, the catalogue's, the eigenproblems') share with
// each other and with the driver: the hooks that connect training to checkpoints, signals and the
// output file, the guard around a verb's body, the classical solver of a catalogue equation, and the
// verbs themselves.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "npde/app/checkpointing.hpp"
#include "npde/app/cli.hpp"
#include "npde/app/driver.hpp"
#include "npde/core/error.hpp"
#include "npde/core/log.hpp"
#include "npde/decomp/communicator.hpp"
#include "npde/io/checkpoint.hpp"
#include "npde/io/deck.hpp"
#include "npde/io/output_file.hpp"
#include "npde/app/reference_report.hpp"
#include "npde/pde/problem.hpp"
#include "npde/pinn/model.hpp"
#include "npde/pinn/multidomain.hpp"
#include "npde/pinn/options.hpp"
#include "npde/pinn/trainer.hpp"
#include "npde/reference/grid_solution.hpp"

namespace npde::app::detail {

/// "65x65": a grid's points per axis.
std::string grid_string(const std::vector<int>& g);
/// ", cut at x = -0.5, 0.2" for each axis of decomposition.cuts with cuts; empty without.
std::string cuts_string(const io::Deck& deck);
/// ", layers along x by turns, 200 Adam iterations each" for decomposition.schedule; empty without.
std::string schedule_string(const io::Deck& deck);
/// "2-64-64-1", followed by the architecture unless it is the plain MLP.
std::string network_string(int n_in, const std::vector<int>& hidden, nn::Architecture architecture, int n_out);
/// The same, and the input embedding that feeds the first layer (Fourier features, Gaussians).
std::string network_string(int n_in, const pinn::PinnOptions& o, int n_out);
/// "4 subdomains (2x2, xpinn), network 2-20-20-1 tanh each (501 parameters each)" for a decomposition's
/// start line; subdomains with their own widths (decomposition.networks) follow as
/// "; subdomain (1, 0): 2-64-64-1 (4417 parameters)".
template <class Net>
std::string decomposition_network_line(const io::Deck& deck, const pinn::PinnOptions& opts, int n_in, int n_out,
                                       const Net& net) {
  const auto& part = net.partition();
  std::string s = log::format(part.size(), " subdomains (", grid_string(part.counts()), ", ", deck.decomposition.method,
                              cuts_string(deck), schedule_string(deck), "), network ", network_string(n_in, opts, n_out), " ", deck.activation, " each");
  std::size_t plain = 0;  // parameters of a subdomain with the default network
  std::string own;        // the subdomains with their own widths
  for (int k = 0; k < part.size(); ++k) {
    const std::vector<int>& hidden = net.decomposition().hidden_of(part[k], opts.hidden);
    if (&hidden == &opts.hidden) {
      plain = net.params_of(k);
      continue;
    }
    pinn::PinnOptions o = opts;
    o.hidden = hidden;
    own += "; subdomain (";
    for (int a = 0; a < n_in; ++a) own += (a ? ", " : "") + std::to_string(part[k].cell[std::size_t(a)]);
    own += "): " + network_string(n_in, o, n_out) + " (" + std::to_string(net.params_of(k)) + " parameters)";
  }
  if (plain > 0) s += log::format(" (", plain, " parameters each)");
  return s + own;
}
/// The summary numbers of a decomposition: subdomains, parameters (all subdomains') and, where every
/// subdomain has the same network, parameters_per_subdomain.
template <class Net>
std::vector<std::pair<std::string, double>> decomposition_summary(const Net& net) {
  const int n = net.partition().size();
  std::vector<std::pair<std::string, double>> v{{"subdomains", double(n)}, {"parameters", double(net.n_params_global())}};
  bool uniform = true;
  for (int k = 1; k < n; ++k) uniform = uniform && net.params_of(k) == net.params_of(0);
  if (uniform) v.emplace_back("parameters_per_subdomain", double(net.params_of(0)));
  return v;
}
/// "1D burgers, t in [0, 1]": the deck's equation for progress lines.
std::string problem_string(const io::Deck& deck);
/// reference.grid, or 65 points per axis.
std::vector<int> reference_grid(const io::Deck& deck);
/// output.grid (Poisson), else reference.grid, else 65 points per axis.
std::vector<int> output_grid(const io::Deck& deck);
/// sqrt(sum (a - b)^2 / sum b^2), or the absolute norm when b is all zero. Not collective.
double relative_l2_of(const std::vector<double>& a, const std::vector<double>& b);

/// What a run that trains several models one after another (the states of an eigenproblem) adds to
/// each checkpoint.
struct CheckpointExtras {
  long tag_offset = 0;                        ///< added to the iteration in the file name (ckpt-<tag>.h5)
  std::function<void(io::Checkpoint&)> add;   ///< more content, after the training state's
};

/// The stop rule of a training run (TrainHooks::stop_requested): a signal, or too little wall time
/// (training.walltime) left for two more steps and a checkpoint.
std::function<bool(double, double)> stop_rule(const io::Deck& deck);
/// Collective. Rank 0 writes the checkpoint make() builds as tag `tag` into `dir`, keeping the `keep`
/// newest; every rank learns whether it worked (npde::Error if not). Returns the file's path.
std::string write_checkpoint_collective(const decomp::Communicator& comm, const std::string& dir, long tag, int keep,
                                        const std::function<io::Checkpoint()>& make);
/// Collective. The hooks that connect training to checkpoints, signals, wall time and the output file.
/// `term_names` and `extra_names` name the history's loss terms and extra columns (the model's).
pinn::TrainHooks make_hooks(const decomp::Communicator& comm, const io::Deck& deck, io::OutputFile& out,
                            const std::vector<std::string>& term_names, const std::vector<std::string>& extra_names,
                            CheckpointExtras extras = {});

/// Every stage's weight overrides name term groups the model has, and a dense quasi-Newton stage fits
/// the network (one line, exit 2, before anything is written); leaves the model's own weights in place.
template <class T>
void check_stages(pinn::Model<T>& model, const pinn::TrainConfig& cfg) {
  for (std::size_t s = 0; s < cfg.stages.size(); ++s) {
    if (cfg.stages[s].lbfgs.dense && model.segments().active())
      NPDE_INPUT_ERROR("training.stages[" << s << "].optimizer: ssbfgs keeps a dense inverse Hessian, which a "
                                             "decomposition spread over ranks does not hold: use lbfgs");
    if (cfg.stages[s].lbfgs.dense && model.n_params() > optim::kMaxDenseParameters)
      NPDE_INPUT_ERROR("training.stages[" << s << "].optimizer: ssbfgs keeps a dense inverse Hessian (n x n); this "
                                          "network has "
                                       << model.n_params() << " parameters, at most " << optim::kMaxDenseParameters
                                       << " are supported: use lbfgs, or a smaller network");
  }
  const auto state = model.adaptive_state();  // adapted weights carry over stages: put them back
  for (const auto& stage : cfg.stages) model.set_stage_weights(stage.weights);
  model.set_stage_weights({});
  model.set_adaptive_state(state);
}

/// Collective. The training state of the deck's checkpoint (--restart, or the newest in the checkpoint
/// directory), validated against `model`'s parameters, loss terms and extra columns.
template <class T>
pinn::TrainState load_resume(const decomp::Communicator& comm, const io::Deck& deck, const CommandLine& cl,
                             const pinn::Model<T>& model) {
  std::string used;
  const auto cp = io::load_restart(comm, checkpoint_dir(deck), cl.restart_file, &used);
  auto resume = from_checkpoint(cp, deck, model.n_params_global(), cl.allow_deck_change, used, model.term_names(),
                                model.extra_names());
  log::info("restarting from " + used);
  return resume;
}

/// "pde (2048), bc (400)": the loss terms and their global point counts, for the start line.
std::string terms_string(const std::vector<std::string>& names, const std::vector<std::size_t>& points);

/// The reference grid's points (all snapshots of a series: the grid at each time) of this rank's block
/// [mine.begin, mine.end) of them, row-major (n, n_inputs).
std::vector<double> grid_points(const pde::Problem& problem, const reference::GridSolution& sol, decomp::Range mine);

/// Collective. The network's outputs at every point of the reference solution's grid and series
/// (time snapshots: the grid at each time), one field per output in the reference's layout. Each rank
/// evaluates a block of the points; one sum assembles them on every rank. Net: a Pinn or a
/// MultiDomainPinn (whose predict is collective; every rank calls it once here).
template <class Net>
std::vector<std::vector<double>> evaluate_on_grid(const decomp::Communicator& comm, Net& net,
                                                  const pde::Problem& problem, const reference::GridSolution& sol) {
  const int n_out = problem.n_outputs();
  const bool timed = problem.time_dependent;
  const std::size_t n_grid = sol.n_points(), n_series = timed ? sol.series.size() : 1, n = n_grid * n_series;
  const auto mine = decomp::block_range(n, comm.rank(), comm.size());
  const auto u = net.predict(grid_points(problem, sol, mine));
  std::vector<std::vector<double>> fields(n_out, std::vector<double>(n, 0.0));
  for (std::size_t i = 0; i < mine.size(); ++i)
    for (int o = 0; o < n_out; ++o) fields[o][mine.begin + i] = u[i * n_out + o];
  for (auto& f : fields) comm.allreduce_sum(f.data(), f.size());
  return fields;
}

/// Collective. The interface exchange of a multi-domain run for /summary: exchange_bytes_per_evaluation
/// (sent between ranks, summed over the ranks), exchange_wait_fraction (the largest share of a rank's
/// evaluation time spent waiting for its neighbours' messages); network_points_max (FBPINN: the most
/// points one network evaluates, its subdomain's extent) where the model counts it.
std::vector<std::pair<std::string, double>> exchange_summary(const decomp::Communicator& comm,
                                                             const pinn::ExchangeStats& stats);

/// Rank 0 prints how a run stopped early (signal or wall time) and how to go on; returns ExitStopped.
int report_stopped(long iterations, const std::string& what = "");

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

/// Collective. The classical solver of a catalogue equation (every problem.pde but poisson) for the
/// deck's equation problem `equation` (unused by the operator problems, which have none).
reference::GridSolution solve_catalogue(const decomp::Communicator& comm, const io::Deck& deck,
                                        const pde::Problem& equation);

/// Collective. The end of a catalogue training run: the run's own numbers after the comparison ones in
/// `summary`, the reference's text renamed reference_*, the file written and committed, the table printed.
void finish_training_report(const decomp::Communicator& comm, const io::Deck& deck, reference::GridSolution& sol,
                            std::vector<std::pair<std::string, double>> summary, const std::string& error_field,
                            const PinnGridFields& pf, double seconds, long iterations, double final_loss,
                            int nan_recoveries, io::OutputFile& out);

/// Collective. `npde train` of a Poisson deck: the general PINN on the deck's box, evaluated on
/// output.grid, compared with the exact solution and, with a reference section, the PETSc solution.
int poisson_train(const decomp::Communicator& comm, const io::Deck& deck, const pde::Problem& equation,
                  const CommandLine& cl);
/// Collective. `npde train` of a catalogue equation: the general PINN, then the classical reference,
/// compared on the reference's grid at every snapshot.
int catalogue_train(const decomp::Communicator& comm, const io::Deck& deck, const pde::Problem& equation,
                    const CommandLine& cl);
/// Collective. `npde train` of an eigenproblem (schrodinger): the lowest states one after another.
int eigen_train(const decomp::Communicator& comm, const io::Deck& deck, const pde::Problem& equation,
                const CommandLine& cl);
/// Collective. `npde train` of the high-dimensional test problem (highdim): stochastic dimension
/// sampling, the error against the exact solution at fixed points in the ball.
int highdim_train(const decomp::Communicator& comm, const io::Deck& deck, const CommandLine& cl);
/// Collective. `npde metalic` of a deck with `decomposition` and `metalic` sections.
int metalic_verb(const decomp::Communicator& comm, const io::Deck& deck, const CommandLine& cl);
/// Collective. `npde reference` of a Poisson deck: PETSc finite differences on reference.grid.
int poisson_reference(const decomp::Communicator& comm, const io::Deck& deck, const pde::Problem& equation);

}  // namespace npde::app::detail
