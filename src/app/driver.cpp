// SPDX-License-Identifier: BSD-3-Clause
// The run driver: validate the deck collectively, run the verb, report. The training verbs live in
// train_poisson.cpp, train_catalogue.cpp and train_eigen.cpp.
#include "npde/app/driver.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "app/operator.hpp"
#include "app/training.hpp"
#include "npde/app/dataset.hpp"
#include "npde/app/observations.hpp"
#include "npde/app/reference_problems.hpp"
#include "npde/app/setup.hpp"
#include "npde/core/version.hpp"
#include "npde/io/checkpoint.hpp"
#include "npde/io/version.hpp"
#include "npde/nn/gemm.hpp"
#include "npde/nn/mlp.hpp"
#include "npde/pinn/catalogue.hpp"
#include "npde/reference/petsc_env.hpp"

namespace npde::app {

namespace {

using detail::grid_string;
using detail::output_grid;
using detail::problem_string;
using detail::reference_grid;

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

int catalogue_reference_verb(const decomp::Communicator& comm, const io::Deck& deck, const pde::Problem& equation) {
  log::info("npde reference " + deck.path + ": " + problem_string(deck) + " on " +
            grid_string(reference_grid(deck)) + " points, " + std::to_string(comm.size()) + " rank(s)");
  auto sol = detail::solve_catalogue(comm, deck, equation);
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

/// `npde info`'s line per training stage.
void stage_lines(std::ostream& os, const io::Deck& deck) {
  for (std::size_t s = 0; s < deck.stages.size(); ++s) {
    const auto& st = deck.stages[s];
    os << "stage " << s + 1 << "         " << st.optimizer << " x " << st.iterations << ", lr " << st.lr;
    if (st.points_interior > 0) os << ", " << st.points_interior << " interior";
    if (st.points_boundary > 0) os << ", " << st.points_boundary << " boundary";
    if (st.points_initial > 0) os << ", " << st.points_initial << " initial";
    if (st.points_interior + st.points_boundary + st.points_initial > 0) os << " points";
    os << "\n";
  }
}

int info_verb(const decomp::Communicator& comm, const io::Deck& deck) {
  std::ostringstream os;
  os << "deck            " << deck.path << "\n";
  if (deck.pde == "highdim") {
    const auto o = make_highdim_options(deck);
    const nn::Mlp<double> net(int(deck.dimension), o.hidden, 1, o.activation, o.architecture);
    os << "problem         " << problem_string(deck) << ", coefficients from seed " << deck.coefficient_seed << "\n"
       << "network         " << detail::network_string(int(deck.dimension), o.hidden, o.architecture, 1) << " " << deck.activation << ", "
       << net.n_params() << " parameters, " << deck.precision << "\n"
       << "points          " << o.n_interior << " per round in the ball ("
       << (o.radius_uniform ? "radius uniform in [0, 1]" : "uniform in its volume") << "), resample every "
       << deck.resample_every
       << ", " << o.n_validation << " validation\n"
       << "laplacian       " << o.sdgd_dimensions << " of " << deck.dimension << " dimensions per step"
       << (o.sdgd_dimensions < deck.dimension ? " (SDGD, scaled by d/B)" : " (exact)") << "\n";
    stage_lines(os, deck);
    os << "output          " << deck.output_file << "\n"
       << "ranks           " << comm.size();
    log::info(os.str());
    return ExitSuccess;
  }
  if (deck.has_model) {  // an operator deck: the model and its data (the files are checked by train)
    const auto& op = deck.op;
    const int cin = deck.pde == "darcy" ? 1 : int(op.input_times.size());
    const int cout = deck.pde == "darcy" ? 1 : std::max<int>(1, int(op.output_times.size()));
    const auto shape = detail::fno_shape(deck, cin, cout);
    const fno::FnoModel<double> model(shape);
    os << "problem         " << problem_string(deck) << ", learnt as an operator\n"
       << "model           " << detail::model_string(shape) << ", " << model.n_params() << " parameters ("
       << model.spectral_params() << " spectral, compression "
       << double(model.dense_spectral_params()) / double(model.spectral_params()) << "x), " << deck.precision << "\n"
       << (op.patch_levels > 0 ? "patching        " + std::to_string(op.patch_levels) + " level(s), " +
                                         std::to_string(1 << (2 * op.patch_levels)) + " patches per field, padding " +
                                         std::to_string(op.patch_padding).substr(0, 4) + "\n"
                               : std::string())
       << "data            train " << op.train_file << (op.n_train ? " (" + std::to_string(op.n_train) + ")" : "")
       << ", test " << op.test_file << (op.n_test ? " (" + std::to_string(op.n_test) + ")" : "");
    for (const auto& f : op.extra_test) os << ", " << f;
    os << "\n"
       << "training        " << op.epochs << " epochs, batch " << op.batch << " (" << (op.batch + comm.size() - 1) / comm.size()
       << " per rank), Adam lr " << op.lr << ", weight decay " << op.weight_decay << ", schedule " << op.schedule
       << ", loss " << op.loss << ", weights data " << op.weight_data
       << (deck.pde == "darcy" ? ", physics " + std::to_string(op.weight_physics).substr(0, 4) : std::string()) << "\n"
       << "output          " << deck.output_file << "\n"
       << "ranks           " << comm.size();
    log::info(os.str());
    return ExitSuccess;
  }
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
  // the first layer reads the embedding's features; Gaussians add their centres and widths
  const int n_first = opts.fourier_frequencies > 0 ? 2 * opts.fourier_frequencies
                      : opts.gaussian_features > 0 ? opts.gaussian_features
                                                   : n_in;
  const auto params_of = [&](const std::vector<int>& hidden) {
    nn::Mlp<double> net(n_first, hidden, opts.stream_function ? n_out - 1 : n_out, opts.activation, opts.architecture);
    if (opts.gaussian_features > 0)
      net.set_embedding(nn::InputEmbedding::gaussian(std::vector<double>(std::size_t(n_in), 0.0),
                                                     std::vector<double>(std::size_t(n_in), 1.0),
                                                     opts.gaussian_features, opts.gaussian_width, 0));
    std::size_t n = net.n_params();  // weight factorisation adds a scale per output of every map
    if (opts.weight_factorization)
      for (const nn::DenseLayer& d : net.dense_layers()) n += std::size_t(d.out);
    return n;
  };
  const std::size_t n_params = params_of(opts.hidden);
  os << "problem         " << problem_string(deck) << ", source " << deck.source
     << (deck.exact ? ", exact " + *deck.exact : std::string()) << "\n";
  for (const auto& [name, value] : deck.coefficients) os << "coefficient     " << name << " = " << value << "\n";
  os << "boundary        " << deck.boundary.size() << " condition(s), enforcement " << deck.bc_enforcement << "\n"
     << "network         " << detail::network_string(n_in, opts, n_out) << " " << deck.activation << ", "
     << n_params << " parameters, " << deck.precision << "\n"
     << "points          " << deck.n_interior << " interior (" << (deck.n_interior + comm.size() - 1) / comm.size()
     << " per rank max), " << (opts.hard_bc ? 0 : deck.n_boundary) << " boundary"
     << (timed && !opts.hard_bc ? ", " + std::to_string(deck.n_initial) + " initial" : std::string())
     << ", sampler " << deck.sampler << ", resample every " << deck.resample_every << "\n";
  if (deck.has_decomposition) {
    const auto d = make_decomposition_options(deck);
    int subdomains = 1;
    for (int c : deck.decomposition.subdomains) subdomains *= c;
    std::size_t total = (std::size_t(subdomains) - d.networks.size()) * n_params;
    for (const auto& [cell, hidden] : d.networks) total += params_of(hidden);
    os << "decomposition   " << deck.decomposition.method << ", " << grid_string(deck.decomposition.subdomains)
       << " = " << subdomains << " subdomains, one network each (" << total << " parameters"
       << (d.networks.empty() ? "" : ", " + std::to_string(d.networks.size()) + " with widths of their own") << "), "
       << (subdomains + comm.size() - 1) / comm.size() << " per rank max" << detail::cuts_string(deck);
    if (d.method == pinn::DecompositionOptions::Method::Fbpinn) {
      os << ", overlap " << d.overlap;
      os << detail::schedule_string(deck);
    } else {
      os << ", interface terms";
      for (int k = 0; k < pinn::kInterfaceTerms; ++k)
        if (d.weights[std::size_t(k)] > 0) os << " " << pinn::interface_term_name(k) << " " << d.weights[std::size_t(k)];
      os << " at " << d.interface_points << " points per interface";
    }
    os << "\n";
  }
  if (deck.has_metalic) {
    const auto& m = deck.metalic;
    os << "metalic         " << m.parameter << " over " << m.values.size() << " values, " << m.rounds << " rounds of "
       << m.groups << " play(s), " << m.selection << ", warm-up " << m.warmup << " (`npde metalic`)\n";
  }
  stage_lines(os, deck);
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
  if (cl.verb == "predict") {  // a model file and a dataset, no deck
    try {
      return detail::operator_predict(comm, cl);
    } catch (const std::exception& e) {
      log::error(e.what());
      return ExitFailure;
    }
  }
  // 1. validation: every step that can fail on bad input reaches the same verdict on every rank
  io::Deck deck;
  pde::Problem equation;  // what the PINN trains and the reference solves
  const bool ok = agree(comm, [&] {
    const std::string text = read_deck_text(comm, cl.deck);
    deck = io::parse_deck(text, cl.deck, cl.sets);
    if (cl.verb == "train" && !deck.has_model) {
      if (!has_neural_solver(deck.pde))
        NPDE_INPUT_ERROR(cl.deck << ": problem.pde: " << deck.pde
                                 << " has no neural solver yet; `npde reference` runs its classical solver");
    }
    if (cl.verb == "train" && !deck.has_training)
      NPDE_INPUT_ERROR(cl.deck << ": npde train needs a 'training' section (at least training.stages)");
    if (cl.verb == "dataset" && !deck.has_dataset)
      NPDE_INPUT_ERROR(cl.deck << ": npde dataset needs a 'dataset' section (dataset.samples), for problem.pde "
                                  "darcy or ns_vorticity");
    if (deck.pde == "highdim" && cl.verb == "reference")
      NPDE_INPUT_ERROR(cl.deck << ": problem.pde: highdim has no classical solver; `npde train` compares with its "
                                  "exact solution");
    if (deck.has_model) {
      if (cl.verb == "train") detail::check_operator_deck(deck);  // the data files, before anything runs
    } else if (deck.pde == "highdim") {
      (void)make_highdim_options(deck);
    } else if (deck.has_training || has_neural_solver(deck.pde)) {
      equation = make_equation_problem(deck);
      if (deck.has_training) {
        // the conditions the trial functions cannot build are input errors: found before any work
        check_trial_functions(equation);
        if (deck.has_inverse && cl.verb == "train") (void)read_observations(comm, deck);  // collective
      }
    }
    if (deck.has_training && !deck.has_model && deck.pde != "highdim") (void)make_pinn_options(deck);
    if (deck.has_decomposition && cl.verb == "train")
      pinn::check_decomposition(equation, make_pinn_options(deck), make_decomposition_options(deck), comm.size());
    if (cl.verb == "metalic") {
      if (!deck.has_metalic)
        NPDE_INPUT_ERROR(cl.deck << ": npde metalic needs a 'metalic' section (and a decomposition with method xpinn "
                                    "or cpinn)");
      if (deck.metalic.rounds > 0 && deck.metalic.groups > comm.size())
        NPDE_INPUT_ERROR("metalic.groups: " << deck.metalic.groups << " groups of ranks need at least as many ranks, "
                                            "the job has " << comm.size());
      // the largest group must fit the decomposition
      const int groups = deck.metalic.rounds > 0 ? deck.metalic.groups : 1;
      const int per_group = (comm.size() + groups - 1) / groups;
      pinn::check_decomposition(equation, make_pinn_options(deck), make_decomposition_options(deck), per_group);
    }
    if (cl.verb != "info" && comm.is_root()) check_output_writable(deck.output_file);
  });
  if (!ok) return ExitInput;
  if (cl.verb == "info") return info_verb(comm, deck);
  // 2. the run; a failure now is not the user's input: report it with the rank and stop the job
  try {
    if (cl.verb == "dataset") return dataset_verb(comm, deck);
    if (cl.verb == "reference")
      return deck.pde == "poisson" ? detail::poisson_reference(comm, deck, equation)
                                   : catalogue_reference_verb(comm, deck, equation);
    if (cl.verb == "metalic") return detail::metalic_verb(comm, deck, cl);
    if (deck.has_model) return detail::operator_train(comm, deck, cl);
    if (deck.pde == "schrodinger")
      return detail::eigen_train(comm, deck, equation, cl);
    if (deck.pde == "highdim")
      return detail::highdim_train(comm, deck, cl);
    if (deck.pde != "poisson")
      return detail::catalogue_train(comm, deck, equation, cl);
    return detail::poisson_train(comm, deck, equation, cl);
  } catch (const io::CheckpointError& e) {
    // Every rank holds the same verdict (rank 0 validated the file and broadcast it): one line.
    if (comm.is_root()) log::error(e.what());
    return ExitInput;
  } catch (const InputError& e) {
    log::error(e.what());
    return ExitInput;
  } catch (const fno::OperatorDiverged& e) {
    if (comm.is_root()) log::error(e.what());
    return ExitDiverged;
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
