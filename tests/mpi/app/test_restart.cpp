// SPDX-License-Identifier: BSD-3-Clause
// Restart from a checkpoint file continues training bit for bit, at any iteration and across stage
// boundaries and resampling; states that do not fit the deck are refused with one line naming the file.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "npde/app/checkpointing.hpp"
#include "npde/app/observations.hpp"
#include "npde/app/setup.hpp"
#include "npde/decomp/communicator.hpp"
#include "support/shared_scratch.hpp"
#include "npde/io/checkpoint.hpp"
#include "npde/io/deck.hpp"
#include "npde/pinn/catalogue.hpp"
#include "npde/pinn/fbpinn.hpp"
#include "npde/pinn/highdim.hpp"
#include "npde/pinn/pinn.hpp"
#include "npde/pinn/trainer.hpp"

using npde::decomp::Communicator;
using npde::pinn::HistoryRow;
using npde::pinn::TrainState;

namespace {

// Soft boundary conditions (so loss_bc is live), a decaying Adam learning rate, an odd point count
// (uneven split over two ranks) and an L-BFGS history shorter than the stage.
const char* const k_deck = R"yaml(problem:
  pde: poisson
  domain: {lower: [0, -0.5], upper: [1, 1]}
  source: "2*pi^2*sin(pi*x)*sin(pi*y)"
  exact: "sin(pi*x)*sin(pi*y) + 0.5*x*y"
  boundary:
    - {faces: all, type: dirichlet, value: "sin(pi*x)*sin(pi*y) + 0.5*x*y"}
  bc_enforcement: soft
network:
  layers: [16, 16]
  activation: tanh
training:
  seed: 5
  points: {interior: 301, boundary: 101, sampler: sobol}
  stages:
    - {optimizer: adam, iterations: 30, lr: 5e-3, decay: exponential, decay_rate: 0.5, decay_steps: 10}
    - {optimizer: lbfgs, iterations: 20, history: 8}
  log_every: 10
output:
  file: restart_test.h5
)yaml";
// The general PINN on a time-dependent deck with soft conditions (named terms bc_x-, bc_x+, initial),
// the same stage layout; and on a periodic deck (exact by the input embedding, or a periodic pair term).
const char* const k_burgers_deck = R"yaml(problem:
  pde: burgers
  domain: {lower: [-1], upper: [1]}
  time: {start: 0, end: 0.5}
  initial: "-sin(pi*x)"
  boundary:
    - {faces: [x-], type: dirichlet, value: "0.1*t"}
    - {faces: [x+], type: dirichlet, value: "0"}
  bc_enforcement: soft
  coefficients: {viscosity: 0.05}
network:
  layers: [12, 12]
training:
  seed: 3
  points: {interior: 201, boundary: 51, initial: 37}
  stages:
    - {optimizer: adam, iterations: 30, lr: 5e-3, decay: exponential, decay_rate: 0.5, decay_steps: 10}
    - {optimizer: lbfgs, iterations: 20, history: 8}
  log_every: 10
output:
  file: restart_burgers_test.h5
)yaml";
const char* const k_allen_cahn_deck = R"yaml(problem:
  pde: allen_cahn
  domain: {lower: [-1], upper: [1]}
  time: {start: 0, end: 0.5}
  initial: "x^2*cos(pi*x)"
  boundary:
    - {faces: [x-, x+], type: periodic}
  coefficients: {diffusivity: 0.01}
network:
  layers: [12, 12]
training:
  seed: 4
  points: {interior: 201, boundary: 61}
  stages:
    - {optimizer: adam, iterations: 30, lr: 5e-3}
    - {optimizer: lbfgs, iterations: 20, history: 8}
  log_every: 10
output:
  file: restart_allen_cahn_test.h5
)yaml";
// Three outputs (u, v, p) with hard velocity conditions from the face data.
const char* const k_kovasznay_deck = R"yaml(problem:
  pde: navier_stokes
  case: kovasznay
  domain: {lower: [-0.5, -0.5], upper: [1, 1.5]}
  coefficients: {reynolds: 40}
network:
  layers: [10, 10]
training:
  seed: 2
  points: {interior: 151}
  stages:
    - {optimizer: adam, iterations: 30, lr: 5e-3}
    - {optimizer: lbfgs, iterations: 20, history: 8}
  log_every: 10
output:
  file: restart_kovasznay_test.h5
)yaml";
// An inverse problem: the viscosity trained beside the network from observations (synthetic here),
// and a stage that re-weights the data term (the weights of the stage a restart lands in apply).
const char* const k_inverse_deck = R"yaml(problem:
  pde: burgers
  domain: {lower: [-1], upper: [1]}
  time: {start: 0, end: 0.5}
  initial: "-sin(pi*x)"
  boundary:
    - {faces: all, type: dirichlet, value: "0"}
  coefficients: {viscosity: 0.05}
inverse:
  coefficient: viscosity
  observations: {file: synthetic.h5, points: 40}
network:
  layers: [10, 10]
training:
  seed: 4
  points: {interior: 151}
  stages:
    - {optimizer: adam, iterations: 30, lr: 5e-3}
    - {optimizer: lbfgs, iterations: 20, history: 8, weights: {data: 3, pde: 0.5}}
  log_every: 10
output:
  file: restart_inverse_test.h5
)yaml";
constexpr long k_adam_iterations = 30;
constexpr long k_total_iterations = 50;

npde::io::Deck make_deck(const std::vector<std::string>& sets = {}, const char* text = k_deck) {
  return npde::io::parse_deck(text, "restart_test.yaml", sets);
}

// The deck's model: the general PINN of its equation.
std::unique_ptr<npde::pinn::Model<double>> make_model(const Communicator& comm, const npde::io::Deck& deck) {
  if (deck.pde == "highdim")
    return std::make_unique<npde::pinn::HighDimPinn<double>>(comm, npde::app::make_two_body(deck),
                                                             npde::app::make_highdim_options(deck));
  auto kernel = npde::pinn::make_catalogue_kernel<double>(deck.pde, deck.dim);
  auto problem = npde::app::make_equation_problem(deck);
  if (deck.has_decomposition)  // FBPINN decks only (MultiDomainPinn restarts: tests/mpi/pinn)
    return std::make_unique<npde::pinn::FbPinn<double>>(comm, problem, std::move(kernel),
                                                        npde::app::make_pinn_options(deck),
                                                        npde::app::make_decomposition_options(deck));
  if (deck.has_inverse) {  // observations of a decaying profile at scattered (x, t), the same on every rank
    npde::pde::Observations obs;
    for (int i = 0; i < deck.observation_points; ++i) {
      const double x = -1 + 2 * std::fmod(0.618034 * (i + 1), 1.0), t = 0.5 * std::fmod(0.414214 * (i + 1), 1.0);
      obs.points.insert(obs.points.end(), {x, t});
      obs.values.push_back(-std::sin(3.141592653589793 * x) * std::exp(-t));
    }
    npde::app::make_inverse(deck, kernel->coefficient_names(), obs, problem);
  }
  return std::make_unique<npde::pinn::Pinn<double>>(comm, problem, std::move(kernel),
                                                    npde::app::make_pinn_options(deck));
}

struct RunResult {
  std::vector<HistoryRow> history;
  std::vector<double> params;
  std::map<long, TrainState> states;  ///< the states handed to the checkpoint hook at `capture_at`
};

// Collective. Trains a fresh network of `deck` (from `resume` if given), keeping the states at the
// listed global iterations.
RunResult train_run(const Communicator& comm, const npde::io::Deck& deck, const std::vector<long>& capture_at,
                    const TrainState* resume) {
  const auto model = make_model(comm, deck);
  auto& pinn = *model;
  RunResult r;
  npde::pinn::TrainHooks hooks;
  hooks.checkpoint_every = 1;
  hooks.checkpoint = [&](const TrainState& s) {
    if (std::find(capture_at.begin(), capture_at.end(), s.global_iteration) != capture_at.end())
      r.states[s.global_iteration] = s;
  };
  r.history = npde::pinn::train(pinn, npde::app::make_train_config(deck, true), hooks, resume).history;
  auto host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), pinn.params());
  r.params.assign(host.data(), host.data() + host.extent(0));
  return r;
}

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

void expect_bit_identical(const RunResult& got, const RunResult& want) {
  ASSERT_EQ(got.history.size(), want.history.size());
  for (std::size_t i = 0; i < want.history.size(); ++i) {
    const HistoryRow &a = got.history[i], &b = want.history[i];
    EXPECT_EQ(a.iteration, b.iteration);
    EXPECT_EQ(a.stage, b.stage);
    EXPECT_TRUE(same_bits(a.loss, b.loss)) << "loss at iteration " << b.iteration << ": " << a.loss << " vs " << b.loss;
    ASSERT_EQ(a.terms.size(), b.terms.size());
    for (std::size_t k = 0; k < b.terms.size(); ++k)
      EXPECT_TRUE(same_bits(a.terms[k], b.terms[k])) << "loss term " << k << " at iteration " << b.iteration;
    ASSERT_EQ(a.extras.size(), b.extras.size());
    for (std::size_t k = 0; k < b.extras.size(); ++k)
      EXPECT_TRUE(same_bits(a.extras[k], b.extras[k])) << "extra column " << k << " at iteration " << b.iteration;
    EXPECT_TRUE(same_bits(a.lr, b.lr)) << "lr at iteration " << b.iteration;
    EXPECT_TRUE(same_bits(a.rel_l2, b.rel_l2)) << "rel_l2 at iteration " << b.iteration;
  }
  ASSERT_EQ(got.params.size(), want.params.size());
  EXPECT_EQ(std::memcmp(got.params.data(), want.params.data(), want.params.size() * sizeof(double)), 0)
      << "final parameters differ";
}

// Collective. Writes `state` as a checkpoint file (rank 0), reads it back the way `npde train
// --restart` does, and trains a fresh network from it.
RunResult restart_through_file(const Communicator& comm, const npde::io::Deck& deck, const TrainState& state,
                               const std::string& dir) {
  std::string written;
  if (comm.is_root())
    written = npde::io::write_checkpoint(dir, state.global_iteration,
                                         npde::app::to_checkpoint(state, deck, comm.size()), 2);
  written = comm.broadcast(written);
  std::string used;
  const npde::io::Checkpoint cp = npde::io::load_restart(comm, dir, "", &used);
  EXPECT_EQ(used, written);
  const auto sizer = make_model(comm, deck);
  const TrainState resume = npde::app::from_checkpoint(cp, deck, sizer->n_params_global(), false, used,
                                                       sizer->term_names(), sizer->extra_names());
  EXPECT_EQ(resume.global_iteration, state.global_iteration);
  return train_run(comm, deck, {}, &resume);
}

void check_restarts(const npde::io::Deck& deck, const std::vector<long>& at, const std::string& tag) {
  const Communicator comm = Communicator::world();
  const RunResult reference = train_run(comm, deck, at, nullptr);
  ASSERT_EQ(reference.history.size(), std::size_t(k_total_iterations));
  ASSERT_EQ(reference.states.size(), at.size());
  npde::test::SharedScratch scratch(comm, "restart_" + tag + "_np" + std::to_string(comm.size()));
  for (long k : at) {
    SCOPED_TRACE("restart at iteration " + std::to_string(k));
    const TrainState& s = reference.states.at(k);
    EXPECT_EQ(s.stage, k <= k_adam_iterations ? 0 : 1);
    EXPECT_EQ(s.has_adam, k <= k_adam_iterations);
    EXPECT_EQ(s.has_lbfgs, k > k_adam_iterations);
    expect_bit_identical(restart_through_file(comm, deck, s, scratch.dir().string()), reference);
  }
}

void expect_refused(const npde::io::Checkpoint& cp, const npde::io::Deck& deck, std::size_t n_params, bool allow,
                    const std::string& word) {
  const std::string path = "/scratch/run/ckpt-0000000041.h5";
  try {
    npde::app::from_checkpoint(cp, deck, n_params, allow, path);
    ADD_FAILURE() << "accepted; expected a refusal mentioning '" << word << "'";
  } catch (const npde::io::CheckpointError& e) {
    const std::string m = e.what();
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
    EXPECT_EQ(m.rfind(path, 0), 0u) << m;
    EXPECT_NE(m.find(word), std::string::npos) << m;
  }
}

void expect_refused_terms(const npde::io::Checkpoint& cp, const npde::io::Deck& deck, std::size_t n) {
  try {
    npde::app::from_checkpoint(cp, deck, n, false, "/run/ckpt.h5", {"pde", "initial"});
    ADD_FAILURE() << "accepted a checkpoint with other loss terms";
  } catch (const npde::io::CheckpointError& e) {
    EXPECT_NE(std::string(e.what()).find("loss terms"), std::string::npos) << e.what();
  }
}

}  // namespace

// (a) inside Adam, (c) exactly at the Adam -> L-BFGS boundary, (b) inside L-BFGS, and at the end.
TEST(Restart, BitIdenticalAcrossStages) {
  check_restarts(make_deck(), {13, k_adam_iterations, 41, k_total_iterations}, "stages");
}

// (d) resampling every 7 iterations: at a resampling boundary, between two, and in L-BFGS after the
// last resampling (the point set of the checkpoint's round must be restored).
TEST(Restart, BitIdenticalWithResampling) {
  const auto deck = make_deck({"training.points.resample_every=7"});
  check_restarts(deck, {14, 17, 35}, "resample");
}

// The general PINN: named soft terms of a time-dependent deck, and a periodic pair term with resampling.
TEST(Restart, BitIdenticalTimeDependentSoftTerms) {
  check_restarts(make_deck({}, k_burgers_deck), {13, k_adam_iterations, 41}, "burgers");
}

// A scheduled FBPINN over the ranks: restarts inside a phase (Adam's per-parameter step counts and the
// phase's point set come back from the file), at a phase change, after the schedule and inside L-BFGS.
TEST(Restart, BitIdenticalScheduledFbpinn) {
  const auto deck = make_deck({"problem.bc_enforcement=hard", "decomposition={method: fbpinn, subdomains: [3, 2], "
                               "overlap: 0.4, schedule: {axis: x, every: 7}}", "training.points.resample_every=9"});
  check_restarts(deck, {10, 14, 25, 41}, "fbpinn_schedule");
}

// Causal training: the chunk weights are recomputed every Adam iteration (after resampling) and fixed
// through the L-BFGS stage; a restart inside L-BFGS restores them from the checkpoint.
TEST(Restart, BitIdenticalCausalTraining) {
  const auto deck = make_deck({"training.causal.chunks=4", "training.causal.epsilon=2", "training.points.resample_every=7"},
                              k_burgers_deck);
  check_restarts(deck, {14, k_adam_iterations, 41}, "causal");
}

// Loss balancing: the adapted weights are checkpointed and carry over the stage boundary.
TEST(Restart, BitIdenticalLossBalancing) {
  check_restarts(make_deck({"training.balancing.scheme=grad_norm", "training.balancing.every=4"}, k_burgers_deck),
                 {14, k_adam_iterations, 41}, "grad_norm");
  check_restarts(make_deck({"training.balancing.scheme=annealing", "training.balancing.every=5",
                            "training.causal.chunks=3"},
                           k_burgers_deck),
                 {13, 41}, "annealing");
}

// RAD: the drawn points depend on the parameters at the draw, so they travel in the checkpoint.
TEST(Restart, BitIdenticalAdaptiveSampling) {
  check_restarts(make_deck({"training.points.resample_every=7", "training.points.adaptive.candidates=900"},
                           k_burgers_deck),
                 {14, 17, k_adam_iterations, 41}, "rad");
  // draws inside the L-BFGS stage too (every 4 iterations: 32, 36, ...), the curvature pairs kept
  check_restarts(make_deck({"training.points.resample_every=7", "training.points.adaptive.candidates=900",
                            "training.stages[1].resample_every=4"},
                           k_burgers_deck),
                 {k_adam_iterations, 36, 37, 45}, "rad_lbfgs");
}

// RAR-D: the grown set travels in the checkpoint (its size changes every round).
TEST(Restart, BitIdenticalRarD) {
  check_restarts(make_deck({"training.points.resample_every=7", "training.points.adaptive.candidates=900",
                            "training.points.adaptive.method=rar_d", "training.points.adaptive.add=23",
                            "training.stages[1].resample_every=4"},
                           k_burgers_deck),
                 {14, 17, k_adam_iterations, 41}, "rar_d");
}

// Self-scaled BFGS: the dense inverse Hessian travels in the checkpoint (inside the stage and at its start).
TEST(Restart, BitIdenticalSelfScaledBfgs) {
  std::string text = k_burgers_deck;
  const std::string lbfgs = "{optimizer: lbfgs, iterations: 20, history: 8}";
  ASSERT_NE(text.find(lbfgs), std::string::npos);
  text.replace(text.find(lbfgs), lbfgs.size(), "{optimizer: ssbfgs, iterations: 20}");
  check_restarts(make_deck({}, text.c_str()), {k_adam_iterations, 37, 44}, "ssbfgs");
}

// Parameter averaging: the average travels in the checkpoint, and the L-BFGS stage starts from it
// (a restart exactly at the Adam stage's end must still hand the average on).
TEST(Restart, BitIdenticalParameterAveraging) {
  check_restarts(make_deck({"training.stages[0].average=0.9"}), {13, k_adam_iterations, 41}, "average");
}

// The average follows a <- d a + (1 - d) p after every Adam step, and the stage ends on it, not on
// the last iterate (a deck of the Adam stage alone).
TEST(Restart, ParameterAveragingFollowsTheIteratesAndEndsTheStage) {
  std::string text = k_deck;
  const std::string lbfgs = "\n    - {optimizer: lbfgs, iterations: 20, history: 8}";
  ASSERT_NE(text.find(lbfgs), std::string::npos);
  text.erase(text.find(lbfgs), lbfgs.size());
  const double d = 0.8;
  const auto deck = make_deck({"training.stages[0].average=0.8"}, text.c_str());
  std::vector<long> all;
  for (long k = 1; k <= k_adam_iterations; ++k) all.push_back(k);
  const RunResult r = train_run(Communicator::world(), deck, all, nullptr);
  ASSERT_EQ(r.states.size(), all.size());
  for (long k = 2; k <= k_adam_iterations; ++k) {
    const auto &prev = r.states.at(k - 1).average, &now = r.states.at(k).average, &p = r.states.at(k).params;
    ASSERT_EQ(now.size(), p.size());
    ASSERT_EQ(prev.size(), p.size());
    for (std::size_t i = 0; i < p.size(); ++i)
      ASSERT_NEAR(now[i], d * prev[i] + (1 - d) * p[i], 1e-14 * (1 + std::abs(p[i]))) << "iteration " << k << ", " << i;
  }
  const TrainState& last = r.states.at(k_adam_iterations);
  EXPECT_NE(last.params, last.average) << "the average equals the last iterate: nothing was averaged";
  ASSERT_EQ(r.params.size(), last.average.size());
  EXPECT_EQ(std::memcmp(r.params.data(), last.average.data(), r.params.size() * sizeof(double)), 0)
      << "the stage did not end on the average";
  // a deck without averaging keeps none
  const RunResult plain = train_run(Communicator::world(), make_deck({}, text.c_str()), {k_adam_iterations}, nullptr);
  EXPECT_TRUE(plain.states.at(k_adam_iterations).average.empty());
}

TEST(Restart, BitIdenticalWeightFactorization) {
  check_restarts(make_deck({"network.weight_factorization.mean=0.5"}, k_burgers_deck), {13, 41}, "rwf");
}

// Every method at once: modified MLP, Fourier features, weight factorisation, annealing, causal
// weights and RAD draws in both stages.
TEST(Restart, BitIdenticalEverythingOn) {
  check_restarts(make_deck({"network.architecture=modified_mlp", "network.weight_factorization.mean=0.5",
                            "network.fourier_features.frequencies=4", "training.balancing.scheme=annealing",
                            "training.balancing.every=5", "training.causal.chunks=3",
                            "training.points.resample_every=7", "training.points.adaptive.candidates=900",
                            "training.stages[1].resample_every=4"},
                           k_burgers_deck),
                 {13, k_adam_iterations, 37}, "everything");
}

// The high-dimensional problem: the dimension draws are a function of the iteration (Adam) or travel
// in the checkpoint (a quasi-Newton stage keeps its first draw), the points are redrawn every step.
const char* const k_highdim_deck = R"yaml(problem:
  pde: highdim
  dimension: 40
  form: allen_cahn
network:
  layers: [12, 12]
training:
  seed: 2
  sdgd: {dimensions: 5, gradient: same}
  points: {interior: 37, resample_every: 1, validation: 50}
  stages:
    - {optimizer: adam, iterations: 30, lr: 5e-3}
    - {optimizer: lbfgs, iterations: 20, history: 8}
  log_every: 10
output:
  file: restart_highdim_test.h5
)yaml";
TEST(Restart, BitIdenticalHighDim) {
  check_restarts(make_deck({}, k_highdim_deck), {13, k_adam_iterations, 41}, "highdim");
  std::string adam_only = k_highdim_deck;
  adam_only.replace(adam_only.find("gradient: same"), 14, "gradient: independent");
  adam_only.replace(adam_only.find("    - {optimizer: lbfgs"), std::string::npos, "  log_every: 10\n");
  // independent draws (Adam only): both draws of the step travel
  const Communicator comm = Communicator::world();
  const auto deck = make_deck({}, adam_only.c_str());
  const RunResult reference = train_run(comm, deck, {13, 22}, nullptr);
  ASSERT_EQ(reference.history.size(), 30u);
  npde::test::SharedScratch scratch(comm, "restart_highdim_independent_np" + std::to_string(comm.size()));
  for (long k : {13L, 22L}) {
    SCOPED_TRACE("restart at iteration " + std::to_string(k));
    expect_bit_identical(restart_through_file(comm, deck, reference.states.at(k), scratch.dir().string()), reference);
  }
}

// A quasi-Newton stage on a larger fixed set (training.stages[].points): the stage's start draws a new
// round with its counts; a restart inside the stage or at its start restores that set from the round.
TEST(Restart, BitIdenticalStagePoints) {
  const auto deck = make_deck({"training.points.resample_every=7", "training.stages[1].points.interior=97",
                               "training.stages[1].points.boundary=23", "training.stages[1].points.initial=41"},
                              k_burgers_deck);
  check_restarts(deck, {14, k_adam_iterations, 31, 41}, "stage_points");
  const Communicator comm = Communicator::world();
  const auto run = train_run(comm, deck, {k_adam_iterations, 31}, nullptr);
  EXPECT_EQ(run.states.at(31).sample_round, run.states.at(k_adam_iterations).sample_round + 1);
  // the high-dimensional model: interior points only
  check_restarts(make_deck({"training.stages[1].points.interior=61"}, k_highdim_deck), {13, k_adam_iterations, 41},
                 "stage_points_highdim");
}

TEST(Restart, BitIdenticalPirateNet) {
  check_restarts(make_deck({"network.architecture=pirate", "network.layers=[8, 8, 8]",
                            "network.fourier_features.frequencies=4", "network.weight_factorization.mean=0.5"},
                           k_burgers_deck),
                 {13, k_adam_iterations, 41}, "pirate");
}

// Physics-Informed Gaussians: the centres and widths are parameters (with weight factorisation of
// the layers and the modified MLP's encoders reading the features).
TEST(Restart, BitIdenticalGaussianFeatures) {
  check_restarts(make_deck({"network.gaussian_features.count=6", "network.gaussian_features.width=0.2",
                            "network.architecture=modified_mlp", "network.weight_factorization.mean=0.5"},
                           k_burgers_deck),
                 {13, k_adam_iterations, 41}, "gaussians");
}

// A stage's resample_every: an L-BFGS stage draws new points (none by default).
TEST(Restart, QuasiNewtonStageResamplesOnlyWhenAsked) {
  const Communicator comm = Communicator::world();
  const auto plain = train_run(comm, make_deck({"training.points.resample_every=7"}, k_burgers_deck), {30, 45}, nullptr);
  EXPECT_EQ(plain.states.at(45).sample_round, plain.states.at(30).sample_round);
  const auto asked = train_run(
      comm, make_deck({"training.points.resample_every=7", "training.stages[1].resample_every=4"}, k_burgers_deck),
      {30, 45}, nullptr);
  EXPECT_EQ(asked.states.at(30).sample_round, plain.states.at(30).sample_round);
  EXPECT_EQ(asked.states.at(45).sample_round, asked.states.at(30).sample_round + 4);  // at 32, 36, 40, 44
}

TEST(Restart, BitIdenticalPeriodicWithResampling) {
  // hard: the periodic input embedding; soft: the periodic pair term and the initial term
  check_restarts(make_deck({"training.points.resample_every=7"}, k_allen_cahn_deck), {14, 35}, "allen_cahn");
  check_restarts(make_deck({"training.points.resample_every=7", "problem.bc_enforcement=soft",
                            "training.points.initial=31"},
                           k_allen_cahn_deck),
                 {14, 35}, "allen_cahn_soft");
}

TEST(Restart, BitIdenticalThreeOutputs) {
  check_restarts(make_deck({}, k_kovasznay_deck), {13, 41}, "kovasznay");
}

TEST(Restart, BitIdenticalInverseWithStageWeights) {
  check_restarts(make_deck({}, k_inverse_deck), {13, k_adam_iterations, 41}, "inverse");
}

// A checkpoint whose loss terms are not the model's is refused (a deck change that alters the terms).
TEST(Restart, RefusesOtherLossTerms) {
  const Communicator comm = Communicator::world();
  const auto deck = make_deck({}, k_burgers_deck);
  const RunResult run = train_run(comm, deck, {13}, nullptr);
  const auto cp = npde::app::to_checkpoint(run.states.at(13), deck, comm.size());
  const std::size_t n = run.states.at(13).params.size();
  EXPECT_NO_THROW(npde::app::from_checkpoint(cp, deck, n, false, "ok.h5", {"pde", "bc_x-", "bc_x+", "initial"}));
  expect_refused_terms(cp, deck, n);
}

TEST(Restart, RefusesStatesThatDoNotFitTheDeck) {
  const Communicator comm = Communicator::world();
  const auto deck = make_deck();
  const RunResult run = train_run(comm, deck, {13, 41}, nullptr);
  const TrainState& s = run.states.at(41);
  const auto cp = npde::app::to_checkpoint(s, deck, comm.size());
  const std::size_t n = s.params.size();
  EXPECT_NO_THROW(npde::app::from_checkpoint(cp, deck, n, false, "ok.h5"));

  // the deck text changed (an override counts): refused unless explicitly allowed
  const auto reseeded = make_deck({"training.seed=6"});
  expect_refused(cp, reseeded, n, false, "different deck");
  EXPECT_NO_THROW(npde::app::from_checkpoint(cp, reseeded, n, true, "ok.h5"));
  // another network size
  expect_refused(cp, deck, n + 1, false, std::to_string(n + 1));
  // a stage the deck does not have
  auto beyond = cp;
  beyond.scalars["stage"] = 2;
  expect_refused(beyond, deck, n, false, "stage 3");
  // an L-BFGS history of another length
  expect_refused(cp, make_deck({"training.stages[1].history=4"}), n, true, "L-BFGS history");
  // another precision
  expect_refused(cp, make_deck({"training.precision=float"}), n, true, "precision");
  // optimiser state of the wrong kind for the stage: Adam moments in the L-BFGS stage
  auto swapped = npde::app::to_checkpoint(run.states.at(13), deck, comm.size());
  swapped.scalars["stage"] = 1;
  expect_refused(swapped, deck, n, false, "optimizer state");
  // a history shorter than the iteration count
  auto short_history = cp;
  short_history.scalars["global_iteration"] = 40;
  expect_refused(short_history, deck, n, false, "history length");
}
