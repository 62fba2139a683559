// SPDX-License-Identifier: BSD-3-Clause
// TrainState <-> io::Checkpoint.
#include "npde/app/checkpointing.hpp"

#include <charconv>
#include <cmath>

#include "npde/core/version.hpp"
#include "npde/core/log.hpp"
#include "npde/core/sha256.hpp"

namespace npde::app {

namespace {
// Fixed history columns; the loss terms follow as history/loss_<name>, named by the text "history_terms".
const char* k_history_columns[] = {"iteration", "stage", "loss", "lr", "wall", "rel_l2"};
constexpr int k_n_history_columns = 6;

std::vector<std::string> split_names(const std::string& s) {
  std::vector<std::string> out;
  std::size_t b = 0;
  while (b <= s.size() && !s.empty()) {
    const std::size_t e = s.find(',', b);
    out.push_back(s.substr(b, e == std::string::npos ? std::string::npos : e - b));
    if (e == std::string::npos) break;
    b = e + 1;
  }
  return out;
}

long as_count(const io::Checkpoint& cp, const std::string& key, const std::string& path) {
  const double v = cp.scalar(key);
  if (!(v >= 0) || v > 9.0e15 || v != std::floor(v))
    throw io::CheckpointError(path + ": value '" + key + "' is not a non-negative integer");
  return long(v);
}
}  // namespace

std::string decomposition_of(const io::Deck& deck) {
  if (!deck.has_decomposition) return "none";
  std::string s = deck.decomposition.method + " ";
  for (std::size_t i = 0; i < deck.decomposition.subdomains.size(); ++i)
    s += (i ? "x" : "") + std::to_string(deck.decomposition.subdomains[i]);
  if (deck.decomposition.method == "fbpinn") s += " overlap " + std::to_string(deck.decomposition.overlap);
  // faces at chosen positions: the same counts may cut the box elsewhere
  for (std::size_t a = 0; a < deck.decomposition.cuts.size(); ++a) {
    if (deck.decomposition.cuts[a].empty()) continue;
    s += " cuts" + std::to_string(a) + " ";
    for (std::size_t i = 0; i < deck.decomposition.cuts[a].size(); ++i) {
      char buf[32];  // the shortest text that reads back to the same double
      const auto end = std::to_chars(buf, buf + sizeof buf, deck.decomposition.cuts[a][i]).ptr;
      s += (i ? "," : "") + std::string(buf, end);
    }
  }
  // subdomains with their own widths: the same parameter count may split into other blocks
  for (std::size_t j = 0; j < deck.decomposition.networks.size(); ++j) {
    const auto& [cell, hidden] = deck.decomposition.networks[j];
    s += j ? " " : " networks ";
    for (std::size_t a = 0; a < cell.size(); ++a) s += (a ? "," : "") + std::to_string(cell[a]);
    s += ":";
    for (std::size_t l = 0; l < hidden.size(); ++l) s += (l ? "-" : "") + std::to_string(hidden[l]);
  }
  return s;
}

std::string checkpoint_dir(const io::Deck& deck) {
  if (!deck.checkpoint_dir.empty()) return deck.checkpoint_dir;
  std::string stem = deck.output_file;
  if (stem.size() > 3 && stem.compare(stem.size() - 3, 3, ".h5") == 0) stem.resize(stem.size() - 3);
  return stem + "_checkpoints";
}

void put_history(io::Checkpoint& cp, const std::string& prefix, const std::vector<pinn::HistoryRow>& history,
                 const std::vector<std::string>& term_names, const std::vector<std::string>& extra_names) {
  std::vector<std::vector<double>> cols(k_n_history_columns);
  std::vector<std::vector<double>> terms(term_names.size()), extras(extra_names.size());
  for (const auto& r : history) {
    const double v[k_n_history_columns] = {double(r.iteration), double(r.stage), r.loss, r.lr, r.wall, r.rel_l2};
    for (int c = 0; c < k_n_history_columns; ++c) cols[c].push_back(v[c]);
    for (std::size_t k = 0; k < terms.size(); ++k) terms[k].push_back(k < r.terms.size() ? r.terms[k] : 0.0);
    for (std::size_t k = 0; k < extras.size(); ++k) extras[k].push_back(k < r.extras.size() ? r.extras[k] : 0.0);
  }
  std::string extra_list;
  for (std::size_t k = 0; k < extras.size(); ++k) {
    extra_list += (k ? "," : "") + extra_names[k];
    cp.arrays[prefix + "/extra_" + extra_names[k]] = std::move(extras[k]);
  }
  if (!extras.empty()) cp.text[prefix + "_extras"] = extra_list;
  for (int c = 0; c < k_n_history_columns; ++c) cp.arrays[prefix + "/" + k_history_columns[c]] = std::move(cols[c]);
  std::string names;
  for (std::size_t k = 0; k < terms.size(); ++k) {
    names += (k ? "," : "") + term_names[k];
    cp.arrays[prefix + "/loss_" + term_names[k]] = std::move(terms[k]);
  }
  cp.text[prefix + "_terms"] = names;
}

std::vector<pinn::HistoryRow> get_history(const io::Checkpoint& cp, const std::string& prefix,
                                          const std::string& path, std::vector<std::string>* term_names,
                                          std::vector<std::string>* extra_names) {
  auto fail = [&](const std::string& m) { throw io::CheckpointError(path + ": " + m); };
  const std::size_t rows = cp.array(prefix + "/iteration").size();
  std::vector<const std::vector<double>*> cols;
  for (const char* c : k_history_columns) {
    cols.push_back(&cp.array(prefix + "/" + c));
    if (cols.back()->size() != rows) fail("history columns have different lengths");
  }
  const auto names = split_names(cp.string(prefix + "_terms"));
  std::vector<const std::vector<double>*> term_cols;
  for (const auto& name : names) {
    term_cols.push_back(&cp.array(prefix + "/loss_" + name));
    if (term_cols.back()->size() != rows) fail("history columns have different lengths");
  }
  const auto extras = cp.text.count(prefix + "_extras") ? split_names(cp.string(prefix + "_extras"))
                                                        : std::vector<std::string>{};
  std::vector<const std::vector<double>*> extra_cols;
  for (const auto& name : extras) {
    extra_cols.push_back(&cp.array(prefix + "/extra_" + name));
    if (extra_cols.back()->size() != rows) fail("history columns have different lengths");
  }
  std::vector<pinn::HistoryRow> history;
  for (std::size_t i = 0; i < rows; ++i) {
    pinn::HistoryRow r;
    r.iteration = long((*cols[0])[i]);
    r.stage = int((*cols[1])[i]);
    r.loss = (*cols[2])[i];
    r.lr = (*cols[3])[i];
    r.wall = (*cols[4])[i];
    r.rel_l2 = (*cols[5])[i];
    for (const auto* c : term_cols) r.terms.push_back((*c)[i]);
    for (const auto* c : extra_cols) r.extras.push_back((*c)[i]);
    history.push_back(r);
  }
  if (term_names) *term_names = names;
  if (extra_names) *extra_names = extras;
  return history;
}

io::Checkpoint to_checkpoint(const pinn::TrainState& s, const io::Deck& deck, int ranks) {
  io::Checkpoint cp;
  cp.text["npde_version"] = version_string();
  cp.text["deck"] = deck.text;
  cp.text["deck_sha256"] = sha256_hex(deck.text);
  cp.text["precision"] = deck.precision;
  cp.text["decomposition"] = decomposition_of(deck);
  cp.scalars["ranks"] = ranks;
  cp.scalars["n_params"] = double(s.params.size());
  cp.scalars["global_iteration"] = double(s.global_iteration);
  cp.scalars["stage"] = s.stage;
  cp.scalars["stage_iteration"] = double(s.stage_iteration);
  cp.scalars["stage_done"] = s.stage_done ? 1 : 0;
  cp.scalars["sample_round"] = double(s.sample_round);
  cp.scalars["nan_retries"] = s.nan_retries;
  cp.scalars["lr_scale"] = s.lr_scale;
  cp.scalars["wall"] = s.wall;
  cp.arrays["params"] = s.params;
  cp.scalars["has_adam"] = s.has_adam ? 1 : 0;
  cp.scalars["has_lbfgs"] = s.has_lbfgs ? 1 : 0;
  if (s.has_adam) {
    cp.arrays["adam/m"] = s.adam.m;
    cp.arrays["adam/v"] = s.adam.v;
    cp.scalars["adam/iteration"] = double(s.adam.iteration);
    cp.scalars["adam/lr_scale"] = s.adam.lr_scale;
    if (!s.adam.steps.empty()) cp.arrays["adam/steps"] = s.adam.steps;
  }
  if (s.has_lbfgs) {
    cp.arrays["lbfgs/s"] = s.lbfgs.s;
    cp.arrays["lbfgs/y"] = s.lbfgs.y;
    cp.arrays["lbfgs/rho"] = s.lbfgs.rho;
    cp.scalars["lbfgs/head"] = s.lbfgs.head;
    cp.scalars["lbfgs/count"] = s.lbfgs.count;
    cp.scalars["lbfgs/gamma"] = s.lbfgs.gamma;
    cp.scalars["lbfgs/iteration"] = double(s.lbfgs.iteration);
    if (!s.lbfgs.h.empty()) cp.arrays["lbfgs/h"] = s.lbfgs.h;
  }
  if (!s.average.empty()) cp.arrays["average"] = s.average;
  put_history(cp, "history", s.history, s.term_names, s.extra_names);
  if (!s.model_state.empty()) cp.arrays["model_state"] = s.model_state;
  return cp;
}

void check_checkpoint_identity(const io::Checkpoint& cp, const io::Deck& deck, bool allow_deck_change,
                               const std::string& path) {
  auto fail = [&](const std::string& m) { throw io::CheckpointError(path + ": " + m); };
  if (cp.string("deck_sha256") != sha256_hex(deck.text)) {
    if (!allow_deck_change)
      fail("written for a different deck (or different --set overrides); restarting would not continue the same "
           "run. Pass --allow-deck-change to restart anyway");
    log::warn(path + ": the deck differs from the checkpoint's; continuing because of --allow-deck-change");
  }
  if (cp.string("precision") != deck.precision)
    fail("written in " + cp.string("precision") + " precision, the deck asks for " + deck.precision);
  // the parameters' layout: even --allow-deck-change cannot map one decomposition onto another
  const std::string written = cp.text.count("decomposition") ? cp.string("decomposition") : "none";
  if (written != decomposition_of(deck))
    fail("written for decomposition '" + written + "', the deck has '" + decomposition_of(deck) + "'");
}

pinn::TrainState from_checkpoint(const io::Checkpoint& cp, const io::Deck& deck, std::size_t n_params,
                                 bool allow_deck_change, const std::string& path,
                                 const std::vector<std::string>& term_names,
                                 const std::vector<std::string>& extra_names) {
  auto fail = [&](const std::string& m) { throw io::CheckpointError(path + ": " + m); };
  check_checkpoint_identity(cp, deck, allow_deck_change, path);
  pinn::TrainState s;
  s.global_iteration = as_count(cp, "global_iteration", path);
  s.stage = int(as_count(cp, "stage", path));
  s.stage_iteration = as_count(cp, "stage_iteration", path);
  s.stage_done = cp.scalar("stage_done") != 0;
  s.sample_round = std::uint64_t(as_count(cp, "sample_round", path));
  s.nan_retries = int(as_count(cp, "nan_retries", path));
  s.lr_scale = cp.scalar("lr_scale");
  s.wall = cp.scalar("wall");
  if (!(s.lr_scale > 0) || !std::isfinite(s.wall)) fail("invalid lr_scale or wall time");
  if (s.stage >= int(deck.stages.size()))
    fail("stage " + std::to_string(s.stage + 1) + " but the deck has " + std::to_string(deck.stages.size()) +
         " stage(s)");
  if (s.stage_iteration > deck.stages[s.stage].iterations)
    fail("iteration " + std::to_string(s.stage_iteration) + " of stage " + std::to_string(s.stage + 1) +
         " exceeds the deck's " + std::to_string(deck.stages[s.stage].iterations));
  s.params = cp.array("params");
  if (s.params.size() != n_params)
    fail("holds " + std::to_string(s.params.size()) + " parameters, the deck's network has " +
         std::to_string(n_params));
  for (double v : s.params)
    if (!std::isfinite(v)) fail("parameters contain non-finite values");
  s.has_adam = cp.scalar("has_adam") != 0;
  s.has_lbfgs = cp.scalar("has_lbfgs") != 0;
  const auto& st = deck.stages[s.stage];
  if (s.has_adam) {
    s.adam.m = cp.array("adam/m");
    s.adam.v = cp.array("adam/v");
    s.adam.iteration = as_count(cp, "adam/iteration", path);
    s.adam.lr_scale = cp.scalar("adam/lr_scale");
    if (s.adam.m.size() != n_params || s.adam.v.size() != n_params) fail("Adam moments have the wrong size");
    if (cp.arrays.count("adam/steps")) {
      s.adam.steps = cp.array("adam/steps");
      if (s.adam.steps.size() != n_params) fail("Adam step counts have the wrong size");
    }
  }
  if (s.has_lbfgs) {
    s.lbfgs.s = cp.array("lbfgs/s");
    s.lbfgs.y = cp.array("lbfgs/y");
    s.lbfgs.rho = cp.array("lbfgs/rho");
    s.lbfgs.head = int(as_count(cp, "lbfgs/head", path));
    s.lbfgs.count = int(as_count(cp, "lbfgs/count", path));
    s.lbfgs.gamma = cp.scalar("lbfgs/gamma");
    s.lbfgs.iteration = as_count(cp, "lbfgs/iteration", path);
    const std::size_t m = std::size_t(st.optimizer == "lbfgs" ? st.history : 0);
    s.lbfgs.h = cp.arrays.count("lbfgs/h") ? cp.array("lbfgs/h") : std::vector<double>{};
    if (s.lbfgs.h.size() != (st.optimizer == "ssbfgs" ? n_params * n_params : 0))
      fail("the dense inverse Hessian does not match the stage (" + st.optimizer + ", " + std::to_string(n_params) +
           " parameters)");
    if (s.lbfgs.s.size() != n_params * m || s.lbfgs.y.size() != n_params * m || s.lbfgs.rho.size() != m ||
        s.lbfgs.head >= int(std::max<std::size_t>(m, 1)) || s.lbfgs.count > int(st.optimizer == "ssbfgs" ? 1 : m))
      fail("L-BFGS history does not match the stage's history of " + std::to_string(m) + " pairs");
  }
  if ((s.has_adam && st.optimizer != "adam") || (s.has_lbfgs && st.optimizer != "lbfgs" && st.optimizer != "ssbfgs"))
    fail("optimizer state does not match stage " + std::to_string(s.stage + 1) + " (" + st.optimizer + ")");
  if (cp.arrays.count("average")) {
    s.average = cp.array("average");
    if (s.average.size() != n_params) fail("the averaged parameters have the wrong size");
    for (double v : s.average)
      if (!std::isfinite(v)) fail("the averaged parameters contain non-finite values");
  }
  s.history = get_history(cp, "history", path, &s.term_names, &s.extra_names);
  if (cp.arrays.count("model_state")) s.model_state = cp.array("model_state");
  if (s.extra_names != extra_names)
    fail("its adaptive-method history columns are not the deck's (causal training or loss balancing changed); "
         "restarting would not continue the same run");
  if (s.history.size() != std::size_t(s.global_iteration)) fail("history length does not match the iteration count");
  if (!term_names.empty() && s.term_names != term_names)
    fail("its loss terms (" + cp.string("history_terms") + ") are not the deck's; restarting would not continue the same run");
  return s;
}

}  // namespace npde::app
