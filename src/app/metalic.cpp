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
#include "npde/pde/grid.hpp"
#include "npde/reference/poisson_fd.hpp"

namespace npde::app::detail {

namespace {

constexpr int kBits = pinn::kInterfaceTerms;
// Reward of a play that diverged (the NaN guard gave up): as an error of 1000.
constexpr double kDivergedReward = -3.0;
// Streams of the counter-based generator.
constexpr std::uint64_t kStreamParameter = 0x3E7A1, kStreamWarmup = 0x3E7A2, kStreamThompson = 0x3E7A3;
// The plays' columns: the final mask, reward and error, then those after the Adam stage (two phases;
// NaN rewards with one), then the bookkeeping.
const char* kColumns[] = {"parameter", "mask", "reward", "error", "mask_adam", "reward_adam", "error_adam",
                          "seconds", "round", "group"};

/// One play. Phase 1 is the whole run (its final mask, reward, error); phase 0 the Adam stage of a
/// two-phase play (with one phase: the same mask, NaN reward and error).
struct Play {
  double parameter = 0;
  unsigned mask[2] = {0, 0};
  double reward[2] = {std::nan(""), 0}, error[2] = {std::nan(""), 0};
  double seconds = 0;
  int round = 0, group = 0;
};

Play play_from(const std::vector<std::vector<double>>& col, std::size_t i) {
  Play p;
  p.parameter = col[0][i];
  p.mask[1] = unsigned(col[1][i]);
  p.reward[1] = col[2][i];
  p.error[1] = col[3][i];
  p.mask[0] = unsigned(col[4][i]);
  p.reward[0] = col[5][i];
  p.error[0] = col[6][i];
  p.seconds = col[7][i];
  p.round = int(col[8][i]);
  p.group = int(col[9][i]);
  return p;
}

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
  pinn::DecompositionOptions d = base;
  for (const auto& [name, w] : deck.decomposition.weights) base.weights[std::size_t(pinn::interface_term_index(name))] = w;
  for (int k = 0; k < kBits; ++k)
    d.weights[std::size_t(k)] = (mask >> k) & 1u ? (base.weights[std::size_t(k)] > 0 ? base.weights[std::size_t(k)] : 1.0) : 0.0;
  return d;
}

/// Collective. The classical solution of a play's problem on the deck's reference grid: the catalogue
/// solver, or for Poisson the PETSc finite-difference solve (x fastest, as pde::grid_points).
reference::GridSolution reference_of(const decomp::Communicator& comm, const io::Deck& d, const pde::Problem& problem) {
  if (d.pde != "poisson") return solve_catalogue(comm, d, problem);
  const auto grid = reference_grid(d);
  const auto fd = reference::solve_poisson_fd(comm, make_reference_problem(d, problem, grid));
  reference::GridSolution sol;
  for (int a = 0; a < d.dim; ++a) sol.axes.push_back(pde::grid_axis(problem.box, grid, a));
  sol.fields.emplace_back("u", fd.u);
  return sol;
}

/// Collective on `group`. One play: the multi-domain PINN of parameter `value` trained with the deck's
/// stages — with mask[1] throughout, or (two phases) mask[0] in the Adam stage and mask[1] in the L-BFGS
/// stage — against the reference of that value (solved once per value and group).
template <class T>
Play run_play(const decomp::Communicator& group, const io::Deck& deck, double value, const unsigned mask[2],
              std::map<double, reference::GridSolution>& references) {
  io::Deck d = deck;
  bool is_parameter = false;  // problem.parameters.<name>, else a coefficient
  for (auto& [name, v] : d.parameters)
    if (name == deck.metalic.parameter) v = value, is_parameter = true;
  if (!is_parameter) d.coefficients[deck.metalic.parameter] = value;
  const pde::Problem problem = make_equation_problem(d);
  const bool two = deck.metalic.two_phases;
  // the model holds every term either phase uses; the stages switch them by weight
  const pinn::DecompositionOptions w0 = mask_options(d, mask[0]), w1 = mask_options(d, mask[1]);
  pinn::DecompositionOptions both = w1;
  for (int k = 0; k < kBits; ++k) both.weights[std::size_t(k)] = std::max(w0.weights[std::size_t(k)], w1.weights[std::size_t(k)]);
  pinn::MultiDomainPinn<T> net(
      group, problem, [&d] { return pinn::make_catalogue_kernel<T>(d.pde, d.dim); }, make_pinn_options(d),
      two ? both : w1);
  if (!references.count(value)) references.emplace(value, reference_of(group, d, problem));
  const reference::GridSolution& sol = references.at(value);
  auto error = [&] {
    const auto fields = evaluate_on_grid(group, net, problem, sol);
    std::vector<double> all_net, all_ref;
    for (std::size_t f = 0; f < sol.fields.size() && f < fields.size(); ++f) {
      all_net.insert(all_net.end(), fields[f].begin(), fields[f].end());
      all_ref.insert(all_ref.end(), sol.fields[f].second.begin(), sol.fields[f].second.end());
    }
    return relative_l2_of(all_net, all_ref);
  };
  auto reward = [](double e, bool diverged) {
    return diverged || !std::isfinite(e) ? kDivergedReward : -std::log10(std::max(e, 1e-12));
  };
  Play play;
  play.parameter = value;
  play.mask[0] = mask[0];
  play.mask[1] = mask[1];
  const pinn::TrainConfig cfg = make_train_config(d, true);
  bool diverged = false;
  try {
    if (!two) {
      play.seconds = pinn::train(net, cfg).seconds;
    } else {
      // phase 0: the Adam stage with mask[0], scored; phase 1: the L-BFGS stage with mask[1]
      for (int phase = 0; phase < 2; ++phase) {
        pinn::TrainConfig c = cfg;
        c.stages = {cfg.stages[std::size_t(phase)]};
        const pinn::DecompositionOptions& w = phase == 0 ? w0 : w1;
        for (int k = 0; k < kBits; ++k)
          if (both.weights[std::size_t(k)] > 0)
            c.stages[0].weights.emplace_back(std::string("if_") + pinn::interface_term_name(k), w.weights[std::size_t(k)]);
        play.seconds += pinn::train(net, c).seconds;
        if (phase == 0) {
          play.error[0] = error();
          play.reward[0] = reward(play.error[0], false);
        }
      }
    }
  } catch (const pinn::TrainingDiverged&) {
    diverged = true;  // every rank of the group alike
  }
  play.error[1] = error();
  play.reward[1] = reward(play.error[1], diverged);
  if (two && std::isnan(play.reward[0])) play.reward[0] = kDivergedReward;  // diverged in the Adam stage
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
    for (std::size_t i = 0; i < col[0].size(); ++i) plays.push_back(play_from(col, i));
  } catch (const InputError&) {
    throw;
  } catch (const std::exception& e) {
    NPDE_INPUT_ERROR("metalic.surrogate: cannot read " << path << ": " << e.what());
  }
  return plays;
}

std::map<std::string, std::vector<double>> play_columns(const std::vector<Play>& plays) {
  std::map<std::string, std::vector<double>> c;
  for (const char* k : kColumns) c[k];  // present even when empty
  for (const auto& p : plays) {
    const double row[] = {p.parameter, double(p.mask[1]), p.reward[1], p.error[1], double(p.mask[0]), p.reward[0],
                          p.error[0], p.seconds, double(p.round), double(p.group)};
    for (std::size_t k = 0; k < std::size(kColumns); ++k) c[kColumns[k]].push_back(row[k]);
  }
  return c;
}

/// The arms and rewards of phase `phase` of the plays so far (plays without that phase left out).
void phase_data(const io::MetalicSpec& m, const std::vector<Play>& plays, int phase, std::vector<meta::Arm>& arms,
                std::vector<double>& y) {
  arms.clear();
  y.clear();
  for (const auto& p : plays)
    if (std::isfinite(p.reward[phase])) {
      arms.push_back({standardise(m, p.parameter), p.mask[phase]});
      y.push_back(p.reward[phase]);
    }
}

/// The surrogate of phase `phase` of all plays so far (every rank fits the same data to the same result).
meta::GaussianProcess fit(const io::MetalicSpec& m, const std::vector<Play>& plays, int phase) {
  meta::GaussianProcess gp(kBits);
  std::vector<meta::Arm> arms;
  std::vector<double> y;
  phase_data(m, plays, phase, arms, y);
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
    std::vector<std::vector<double>> col;
    for (const char* c : kColumns) col.push_back(cp.array(std::string("plays/") + c));
    std::vector<Play> done;
    for (std::size_t i = 0; i < col[0].size(); ++i) done.push_back(play_from(col, i));
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
    // one surrogate per phase (phase 0 only with two phases); each group's choice in turn, the earlier
    // ones of the round counted as played with their predicted reward (kriging believer)
    const int first_phase = m.two_phases ? 0 : 1;
    meta::GaussianProcess gp[2];
    std::vector<meta::Arm> pending_arms[2];
    std::vector<double> pending_y[2];
    for (int ph = first_phase; ph < 2; ++ph) {
      gp[ph] = fit(m, plays, ph);
      phase_data(m, plays, ph, pending_arms[ph], pending_y[ph]);
    }
    struct Choice {
      double value = 0;
      unsigned mask[2] = {0, 0};
    };
    std::vector<Choice> choice(static_cast<std::size_t>(G));
    for (int g = 0; g < G; ++g) {
      const std::uint64_t id = std::uint64_t(r) * std::uint64_t(G) + std::uint64_t(g);
      Choice& c = choice[std::size_t(g)];
      c.value = m.values[std::min(m.values.size() - 1,
                                  std::size_t(rng::uniform(m.seed, kStreamParameter, id) * double(m.values.size())))];
      const double xi = standardise(m, c.value);
      for (int ph = first_phase; ph < 2; ++ph) {
        // warm-up: random masks for the first plays of this run (and while there is too little to fit)
        if (plays.size() < 2 || plays.size() < inherited + std::size_t(m.warmup)) {
          c.mask[ph] = masks[std::min(masks.size() - 1, std::size_t(rng::uniform(m.seed, kStreamWarmup + 16 * std::uint64_t(ph), id) *
                                                                      double(masks.size())))];
          continue;
        }
        // a play is deterministic (the deck's seed, the group's ranks): the same arm at the same value, played
        // before or chosen by an earlier group of this round, would return the same reward, so the last
        // phase's mask is chosen among the arms not yet played there (all of them once none is left)
        std::vector<unsigned> fresh;
        if (ph == 1) {
          const auto same = [&](double v, const unsigned* a, unsigned mk) {
            return v == c.value && a[1] == mk && (!m.two_phases || a[0] == c.mask[0]);
          };
          for (unsigned mk : masks) {
            bool seen = false;
            for (const Play& p : plays) seen = seen || same(p.parameter, p.mask, mk);
            for (int e = 0; e < g; ++e) seen = seen || same(choice[std::size_t(e)].value, choice[std::size_t(e)].mask, mk);
            if (!seen) fresh.push_back(mk);
          }
        }
        c.mask[ph] = meta::choose(gp[ph], xi, fresh.empty() ? masks : fresh,
                                  m.selection == "thompson" ? meta::Selection::Thompson : meta::Selection::Ucb, m.beta,
                                  m.seed, kStreamThompson + (id << 8) + std::uint64_t(ph));
        const meta::Arm chosen{xi, c.mask[ph]};
        std::vector<double> mu, var;
        gp[ph].predict({chosen}, mu, var);
        pending_arms[ph].push_back(chosen);
        pending_y[ph].push_back(mu[0]);
        const meta::GpHyper h = gp[ph].hyper();
        gp[ph] = meta::GaussianProcess(kBits);
        gp[ph].set_hyper(h);
        gp[ph].fit(pending_arms[ph], pending_y[ph], false);
      }
      if (!m.two_phases) c.mask[0] = c.mask[1];
    }
    // each group plays its arm; the results are summed into slots (one group writes each)
    Play mine = run_play<T>(group, deck, choice[std::size_t(color)].value, choice[std::size_t(color)].mask, references);
    constexpr std::size_t kSlot = 5;
    std::vector<double> slots(std::size_t(G) * kSlot, 0.0);
    if (group.is_root()) {
      const double mine_slots[kSlot] = {mine.reward[1], mine.error[1], mine.reward[0], mine.error[0], mine.seconds};
      std::copy(mine_slots, mine_slots + kSlot, slots.begin() + long(std::size_t(color) * kSlot));
    }
    comm.allreduce_sum(slots.data(), slots.size());
    for (int g = 0; g < G; ++g) {
      Play p;
      p.parameter = choice[std::size_t(g)].value;
      p.mask[0] = choice[std::size_t(g)].mask[0];
      p.mask[1] = choice[std::size_t(g)].mask[1];
      const double* s = &slots[std::size_t(g) * kSlot];
      p.reward[1] = s[0];
      p.error[1] = s[1];
      p.reward[0] = s[2];
      p.error[0] = s[3];
      p.seconds = s[4];
      p.round = r;
      p.group = g;
      plays.push_back(p);
      const std::string masks_text = m.two_phases ? "adam " + mask_terms(p.mask[0]) + " (rel. L2 " +
                                                        log::format(p.error[0]) + "), lbfgs " + mask_terms(p.mask[1])
                                                  : mask_terms(p.mask[1]);
      log::info(log::format("round ", r + 1, "/", m.rounds, " play ", g + 1, "/", G, ": ", m.parameter, " ", p.parameter,
                            ", mask ", masks_text, ", rel. L2 ", p.error[1], ", reward ", p.reward[1], " (", p.seconds,
                            " s)"));
    }
    // checkpoint after every round (a failed write stops every rank with one message); stop on a
    // signal or the wall time between rounds
    write_checkpoint_collective(comm, dir, r + 1, deck.checkpoint_keep, [&] {
      io::Checkpoint cp;
      cp.text["npde_version"] = version_string();
      cp.text["deck"] = deck.text;
      cp.text["deck_sha256"] = sha256_hex(deck.text);
      cp.text["precision"] = deck.precision;
      cp.text["decomposition"] = decomposition_of(deck);
      cp.scalars["rounds_done"] = r + 1;
      for (const auto& [k, v] : play_columns(plays)) cp.arrays["plays/" + k] = v;
      return cp;
    });
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
  // 3. the surrogates of every play, their recommendations, the output
  const int first_phase = m.two_phases ? 0 : 1;
  meta::GaussianProcess gp[2];
  for (int ph = first_phase; ph < 2; ++ph) gp[ph] = fit(m, plays, ph);
  std::vector<double> rec_value, rec_mask, rec_mean, rec_sd, rec_mask_adam, rec_mean_adam;
  std::ostringstream table;
  table << "METALIC: " << m.parameter << " -> interface terms"
        << (m.two_phases ? " (Adam stage / L-BFGS stage)" : "") << " (surrogate: predicted -log10 rel. L2, sd; "
        << plays.size() << " plays)\n";
  for (double v : m.test_values) {
    double mean = 0, sd = 0, mean0 = std::nan(""), sd0 = 0;
    const unsigned best = meta::recommend(gp[1], standardise(m, v), masks, mean, sd);
    const unsigned best0 = m.two_phases ? meta::recommend(gp[0], standardise(m, v), masks, mean0, sd0) : best;
    rec_value.push_back(v);
    rec_mask.push_back(best);
    rec_mean.push_back(mean);
    rec_sd.push_back(sd);
    rec_mask_adam.push_back(best0);
    rec_mean_adam.push_back(mean0);
    const std::string terms = m.two_phases ? mask_terms(best0) + " / " + mask_terms(best) : mask_terms(best);
    char buf[320];
    std::snprintf(buf, sizeof buf, "  %-12g %-50s %6.3f +- %.3f (error ~%.2e)\n", v, terms.c_str(), mean, sd,
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
  out.write_array("/metalic/recommendations/mask_adam", rec_mask_adam);
  out.write_array("/metalic/recommendations/predicted_reward_adam", rec_mean_adam);
  for (int ph = first_phase; ph < 2; ++ph) {
    const std::string g = ph == 1 ? "/metalic/surrogate" : "/metalic/surrogate_adam";
    std::vector<double> xi, smask;
    for (const auto& a : gp[ph].arms()) {
      xi.push_back(a.xi);
      smask.push_back(a.mask);
    }
    out.write_array(g + "/xi", xi);
    out.write_array(g + "/mask", smask);
    out.write_array(g + "/reward", gp[ph].rewards());
    out.write_array(g + "/log_hyper", std::vector<double>(gp[ph].hyper().log.begin(), gp[ph].hyper().log.end()));
    out.set_attribute(g, "mean", gp[ph].mean());
  }
  std::string names;
  for (int k = 0; k < kBits; ++k) names += (k ? "," : "") + std::string(pinn::interface_term_name(k));
  out.set_attribute("/metalic", "mask_bits", names);
  out.set_attribute("/metalic", "parameter", m.parameter);
  out.set_attribute("/metalic", "scale", std::string(m.log_scale ? "log" : "linear"));
  out.set_attribute("/metalic", "selection", m.selection);
  out.set_attribute("/metalic", "phases", std::string(m.two_phases ? "two" : "one"));
  double best_reward = -1e300;
  for (const auto& p : plays) best_reward = std::max(best_reward, p.reward[1]);
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
