// SPDX-License-Identifier: BSD-3-Clause
// `npde metalic`: the interface conditions of a multi-domain PINN chosen per PDE parameter by a
// Gaussian-process bandit over the 2^9 - 1 masks of the interface menu (Li et al., "METALIC:
// meta-learning in-context with interface conditions for multi-domain PINNs"; docs/numerics.md,
// "METALIC"). Each play is one multi-domain training run on a group of ranks, scored by
// -log10(relative L2 error) against npde's own reference solution for that parameter.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <map>
#include <sstream>

#include "app/training.hpp"
#include "npde/app/report.hpp"
#include "npde/app/setup.hpp"
#include "npde/app/signals.hpp"
#include "npde/core/rng.hpp"
#include "npde/core/sha256.hpp"
#include "npde/core/version.hpp"
#include "npde/io/checkpoint.hpp"
#include "npde/io/output_file.hpp"
#include "npde/meta/gp.hpp"
#include "npde/pinn/catalogue.hpp"
#include "npde/pinn/multidomain.hpp"

namespace npde::app::detail {

namespace {

constexpr int kBits = pinn::kInterfaceTerms;
// Reward of a play that diverged (the NaN guard gave up): as an error of 1000.
constexpr double kDivergedReward = -3.0;
// Streams of the counter-based generator.
constexpr std::uint64_t kStreamParameter = 0x3E7A1, kStreamWarmup = 0x3E7A2, kStreamThompson = 0x3E7A3;
const char* kColumns[] = {"parameter", "mask", "reward", "error", "seconds", "round", "group"};

struct Play {
  double parameter = 0;
  unsigned mask = 0;
  double reward = 0, error = 0, seconds = 0;
  int round = 0, group = 0;
};

/// "average+flux": the terms a mask switches on.
std::string mask_terms(unsigned mask) {
  std::string s;
  for (int k = 0; k < kBits; ++k)
    if ((mask >> k) & 1u) s += (s.empty() ? "" : "+") + std::string(pinn::interface_term_name(k));
  return s;
}

/// The parameter standardised to [-1, 1] over the training values' range (or its logarithm's).
double standardise(const io::MetalicSpec& m, double v) {
  double lo = *std::min_element(m.values.begin(), m.values.end());
  double hi = *std::max_element(m.values.begin(), m.values.end());
  if (m.log_scale) {
    lo = std::log(lo);
    hi = std::log(hi);
    v = std::log(v);
  }
  return 2 * (v - lo) / (hi - lo) - 1;
}

/// Every mask with at least one term (uyy only where the problem has a second input).
std::vector<unsigned> valid_masks(int n_inputs) {
  std::vector<unsigned> out;
  for (unsigned m = 1; m < (1u << kBits); ++m)
    if (n_inputs >= 2 || !((m >> pinn::kIfUyy) & 1u)) out.push_back(m);
  return out;
}

/// The decomposition of a play: the deck's, with the mask's terms on (each at the deck's weight for it,
/// the method's default, or 1) and the others off.
pinn::DecompositionOptions mask_options(const io::Deck& deck, unsigned mask) {
  io::Deck any = deck;  // make_decomposition_options refuses all-zero weights: start from the method's
  any.decomposition.weights.clear();
  pinn::DecompositionOptions base = make_decomposition_options(any);
  pinn::DecompositionOptions d = make_decomposition_options(any);
  for (const auto& [name, w] : deck.decomposition.weights) base.weights[std::size_t(pinn::interface_term_index(name))] = w;
  for (int k = 0; k < kBits; ++k)
    d.weights[std::size_t(k)] = (mask >> k) & 1u ? (base.weights[std::size_t(k)] > 0 ? base.weights[std::size_t(k)] : 1.0) : 0.0;
  return d;
}

/// Collective on `group`. One play: the multi-domain PINN of parameter `value` with `mask`, trained with
/// the deck's stages, against the reference of that value (solved once per value and group).
template <class T>
Play run_play(const decomp::Communicator& group, const io::Deck& deck, double value, unsigned mask,
              std::map<double, reference::GridSolution>& references) {
  io::Deck d = deck;
  d.coefficients[deck.metalic.parameter] = value;
  const pde::Problem problem = make_equation_problem(d);
  pinn::MultiDomainPinn<T> net(
      group, problem, [&d] { return pinn::make_catalogue_kernel<T>(d.pde, d.dim); }, make_pinn_options(d),
      mask_options(d, mask));
  Play play;
  play.parameter = value;
  play.mask = mask;
  bool diverged = false;
  try {
    const auto result = pinn::train(net, make_train_config(d, true));
    play.seconds = result.seconds;
  } catch (const pinn::TrainingDiverged&) {
    diverged = true;  // every rank of the group alike
  }
  if (!references.count(value)) references.emplace(value, solve_catalogue(group, d, problem));
  const reference::GridSolution& sol = references.at(value);
  const auto fields = evaluate_on_grid(group, net, problem, sol);
  std::vector<double> all_net, all_ref;
  for (std::size_t f = 0; f < sol.fields.size() && f < fields.size(); ++f) {
    all_net.insert(all_net.end(), fields[f].begin(), fields[f].end());
    all_ref.insert(all_ref.end(), sol.fields[f].second.begin(), sol.fields[f].second.end());
  }
  play.error = relative_l2_of(all_net, all_ref);
  play.reward = diverged || !std::isfinite(play.error) ? kDivergedReward : -std::log10(std::max(play.error, 1e-12));
  return play;
}

/// The plays of an earlier `npde metalic` output file (every rank reads it).
std::vector<Play> read_plays(const std::string& path) {
  std::vector<Play> plays;
  try {
    io::H5Reader r(path);
    if (!r.exists("/metalic/plays/parameter"))
      NPDE_INPUT_ERROR("metalic.surrogate: " << path << " is not an `npde metalic` output (no /metalic/plays)");
    std::vector<std::vector<double>> col;
    for (const char* c : kColumns) col.push_back(r.read(std::string("/metalic/plays/") + c));
    for (std::size_t i = 0; i < col[0].size(); ++i) {
      Play p;
      p.parameter = col[0][i];
      p.mask = unsigned(col[1][i]);
      p.reward = col[2][i];
      p.error = col[3][i];
      p.seconds = col[4][i];
      p.round = int(col[5][i]);
      p.group = int(col[6][i]);
      plays.push_back(p);
    }
  } catch (const InputError&) {
    throw;
  } catch (const std::exception& e) {
    NPDE_INPUT_ERROR("metalic.surrogate: cannot read " << path << ": " << e.what());
  }
  return plays;
}

std::map<std::string, std::vector<double>> play_columns(const std::vector<Play>& plays) {
  std::map<std::string, std::vector<double>> c;
  for (const auto& p : plays) {
    c["parameter"].push_back(p.parameter);
    c["mask"].push_back(p.mask);
    c["reward"].push_back(p.reward);
    c["error"].push_back(p.error);
    c["seconds"].push_back(p.seconds);
    c["round"].push_back(p.round);
    c["group"].push_back(p.group);
  }
  for (const char* k : kColumns) c[k];  // present even when empty
  return c;
}

/// The surrogate of all plays so far (every rank fits the same data to the same result).
meta::GaussianProcess fit(const io::MetalicSpec& m, const std::vector<Play>& plays) {
  meta::GaussianProcess gp(kBits);
  std::vector<meta::Arm> arms;
  std::vector<double> y;
  for (const auto& p : plays) {
    arms.push_back({standardise(m, p.parameter), p.mask});
    y.push_back(p.reward);
  }
  if (!arms.empty()) gp.fit(arms, y, arms.size() >= 2);
  return gp;
}

template <class T>
int metalic_run(const decomp::Communicator& comm, const io::Deck& deck, const CommandLine& cl) {
  const io::MetalicSpec& m = deck.metalic;
  const int G = m.rounds > 0 ? m.groups : 1;  // no plays: no groups
  const int color = int((long long)comm.rank() * G / comm.size());
  const decomp::Communicator group = comm.split(color);
  const int n_inputs = deck.dim + (io::is_time_dependent(deck.pde) ? 1 : 0);
  const std::vector<unsigned> masks = valid_masks(n_inputs);
  // 1. earlier plays: a surrogate file, then a restart's checkpoint
  std::vector<Play> plays;
  if (!m.surrogate.empty()) plays = read_plays(m.surrogate);
  const std::size_t inherited = plays.size();
  int first_round = 0;
  const std::string dir = checkpoint_dir(deck);
  if (cl.restart) {
    std::string used;
    const io::Checkpoint cp = io::load_restart(comm, dir, cl.restart_file, &used);
    check_checkpoint_identity(cp, deck, cl.allow_deck_change, used);
    if (!cp.arrays.count("plays/parameter"))
      throw io::CheckpointError(used + ": not a checkpoint of `npde metalic`");
    std::vector<Play> done;
    for (std::size_t i = 0; i < cp.array("plays/parameter").size(); ++i) {
      Play p;
      p.parameter = cp.array("plays/parameter")[i];
      p.mask = unsigned(cp.array("plays/mask")[i]);
      p.reward = cp.array("plays/reward")[i];
      p.error = cp.array("plays/error")[i];
      p.seconds = cp.array("plays/seconds")[i];
      p.round = int(cp.array("plays/round")[i]);
      p.group = int(cp.array("plays/group")[i]);
      done.push_back(p);
    }
    plays.insert(plays.end(), done.begin() + long(std::min(inherited, done.size())), done.end());
    first_round = int(cp.scalar("rounds_done"));
    log::info(log::format("resuming after round ", first_round, " from ", used));
  }
  log::info(log::format("npde metalic ", deck.path, ": ", problem_string(deck), ", ", m.parameter, " in {",
                        [&] {
                          std::ostringstream os;
                          for (std::size_t i = 0; i < m.values.size(); ++i) os << (i ? ", " : "") << m.values[i];
                          return os.str();
                        }(),
                        "}, ", deck.decomposition.method, " on ", grid_string(deck.decomposition.subdomains), ", ",
                        masks.size(), " masks, ", m.rounds, " round(s) of ", G, " play(s) (", group.size(),
                        " rank(s) each), ", m.selection, ", ", plays.size(), " earlier play(s)"));
  std::map<double, reference::GridSolution> references;
  using Clock = std::chrono::steady_clock;
  const auto t_start = Clock::now();
  // 2. rounds: every rank selects every group's arm (same data, same choice), each group plays its own
  for (int r = first_round; r < m.rounds; ++r) {
    const auto t_round = Clock::now();
    meta::GaussianProcess gp = fit(m, plays);
    std::vector<meta::Arm> pending_arms;
    std::vector<double> pending_y;
    for (const auto& p : plays) {
      pending_arms.push_back({standardise(m, p.parameter), p.mask});
      pending_y.push_back(p.reward);
    }
    std::vector<std::pair<double, unsigned>> choice(static_cast<std::size_t>(G));
    for (int g = 0; g < G; ++g) {
      const std::uint64_t id = std::uint64_t(r) * std::uint64_t(G) + std::uint64_t(g);
      const double v = m.values[std::min(m.values.size() - 1,
                                         std::size_t(rng::uniform(m.seed, kStreamParameter, id) * double(m.values.size())))];
      unsigned mask;
      // warm-up: random masks for the first plays of this run (and while there is too little to fit)
      if (plays.size() < 2 || plays.size() < inherited + std::size_t(m.warmup)) {
        mask = masks[std::min(masks.size() - 1, std::size_t(rng::uniform(m.seed, kStreamWarmup, id) * double(masks.size())))];
      } else {
        mask = meta::choose(gp, standardise(m, v), masks,
                            m.selection == "thompson" ? meta::Selection::Thompson : meta::Selection::Ucb, m.beta, m.seed,
                            kStreamThompson + (id << 8));
        const meta::Arm chosen{standardise(m, v), mask};
        // the next group's choice sees this one as played, with the predicted reward (kriging believer)
        std::vector<double> mu, var;
        gp.predict({chosen}, mu, var);
        pending_arms.push_back(chosen);
        pending_y.push_back(mu[0]);
        const meta::GpHyper h = gp.hyper();
        gp = meta::GaussianProcess(kBits);
        gp.set_hyper(h);
        gp.fit(pending_arms, pending_y, false);
      }
      choice[std::size_t(g)] = {v, mask};
    }
    // each group plays its arm; the results are summed into slots (one group writes each)
    const auto [value, mask] = choice[std::size_t(color)];
    Play mine = run_play<T>(group, deck, value, mask, references);
    std::vector<double> slots(std::size_t(G) * 4, 0.0);
    if (group.is_root()) {
      slots[std::size_t(color) * 4 + 0] = mine.reward;
      slots[std::size_t(color) * 4 + 1] = mine.error;
      slots[std::size_t(color) * 4 + 2] = mine.seconds;
      slots[std::size_t(color) * 4 + 3] = 1;
    }
    comm.allreduce_sum(slots.data(), slots.size());
    for (int g = 0; g < G; ++g) {
      Play p;
      p.parameter = choice[std::size_t(g)].first;
      p.mask = choice[std::size_t(g)].second;
      p.reward = slots[std::size_t(g) * 4 + 0];
      p.error = slots[std::size_t(g) * 4 + 1];
      p.seconds = slots[std::size_t(g) * 4 + 2];
      p.round = r;
      p.group = g;
      plays.push_back(p);
      log::info(log::format("round ", r + 1, "/", m.rounds, " play ", g + 1, "/", G, ": ", m.parameter, " ", p.parameter,
                            ", mask ", mask_terms(p.mask), ", rel. L2 ", p.error, ", reward ", p.reward, " (",
                            p.seconds, " s)"));
    }
    // checkpoint after every round; stop on a signal or the wall time between rounds
    if (comm.is_root()) {
      io::Checkpoint cp;
      cp.text["npde_version"] = version_string();
      cp.text["deck"] = deck.text;
      cp.text["deck_sha256"] = sha256_hex(deck.text);
      cp.text["precision"] = deck.precision;
      cp.text["decomposition"] = decomposition_of(deck);
      cp.scalars["rounds_done"] = r + 1;
      for (const auto& [k, v] : play_columns(plays)) cp.arrays["plays/" + k] = v;
      io::write_checkpoint(dir, r + 1, cp, deck.checkpoint_keep);
    }
    comm.barrier();
    // room for one more round like this one before the wall-time limit?
    const double elapsed = std::chrono::duration<double>(Clock::now() - t_start).count();
    const double round_s = std::chrono::duration<double>(Clock::now() - t_round).count();
    const bool out_of_time = deck.walltime > 0 && elapsed + 1.2 * round_s + 5 >= deck.walltime;
    // test hook: a stop request after round NPDE_TEST_STOP_AT (as by a signal)
    const char* hook = std::getenv("NPDE_TEST_STOP_AT");
    const bool test_stop = hook && std::atol(hook) == r + 1 && r + 1 > first_round;
    if (comm.any(stop_signal() != 0 || out_of_time || test_stop) && r + 1 < m.rounds) {
      log::info(log::format("stopped cleanly after round ", r + 1, "; run again with --restart to continue (exit code 3)"));
      return ExitStopped;
    }
  }
  // 3. the surrogate of every play, its recommendations, the output
  const meta::GaussianProcess gp = fit(m, plays);
  std::vector<double> rec_value, rec_mask, rec_mean, rec_sd;
  std::ostringstream table;
  table << "METALIC: " << m.parameter << " -> interface terms (surrogate: predicted -log10 rel. L2, sd; "
        << plays.size() << " plays)\n";
  for (double v : m.test_values) {
    double mean = 0, sd = 0;
    const unsigned best = meta::recommend(gp, standardise(m, v), masks, mean, sd);
    rec_value.push_back(v);
    rec_mask.push_back(best);
    rec_mean.push_back(mean);
    rec_sd.push_back(sd);
    char buf[256];
    std::snprintf(buf, sizeof buf, "  %-12g %-50s %6.3f +- %.3f (error ~%.2e)\n", v, mask_terms(best).c_str(), mean, sd,
                  std::pow(10.0, -mean));
    table << buf;
  }
  io::OutputFile out(comm, deck.output_file);
  write_provenance(comm, deck, out);
  out.set_attribute("/", "generator", std::string("npde metalic"));
  for (const auto& [k, v] : play_columns(plays)) out.write_array("/metalic/plays/" + k, v);
  out.write_array("/metalic/recommendations/parameter", rec_value);
  out.write_array("/metalic/recommendations/mask", rec_mask);
  out.write_array("/metalic/recommendations/predicted_reward", rec_mean);
  out.write_array("/metalic/recommendations/predicted_sd", rec_sd);
  std::vector<double> xi, smask, sy;
  for (const auto& a : gp.arms()) {
    xi.push_back(a.xi);
    smask.push_back(a.mask);
  }
  sy = gp.rewards();
  out.write_array("/metalic/surrogate/xi", xi);
  out.write_array("/metalic/surrogate/mask", smask);
  out.write_array("/metalic/surrogate/reward", sy);
  out.write_array("/metalic/surrogate/log_hyper", std::vector<double>(gp.hyper().log.begin(), gp.hyper().log.end()));
  std::string names;
  for (int k = 0; k < kBits; ++k) names += (k ? "," : "") + std::string(pinn::interface_term_name(k));
  out.set_attribute("/metalic", "mask_bits", names);
  out.set_attribute("/metalic", "parameter", m.parameter);
  out.set_attribute("/metalic", "scale", std::string(m.log_scale ? "log" : "linear"));
  out.set_attribute("/metalic", "selection", m.selection);
  out.set_attribute("/metalic/surrogate", "mean", gp.mean());
  double best_reward = -1e300;
  for (const auto& p : plays) best_reward = std::max(best_reward, p.reward);
  out.set_attribute("/summary", "plays", double(plays.size()));
  out.set_attribute("/summary", "best_reward", best_reward);
  out.set_attribute("/summary", "ranks", comm.size());
  out.set_attribute("/summary", "groups", G);
  out.set_attribute("/summary", "output_file", deck.output_file);
  out.commit();
  log::info(table.str());
  return ExitSuccess;
}

}  // namespace

int metalic_verb(const decomp::Communicator& comm, const io::Deck& deck, const CommandLine& cl) {
  return deck.precision == "float" ? metalic_run<float>(comm, deck, cl) : metalic_run<double>(comm, deck, cl);
}

}  // namespace npde::app::detail
