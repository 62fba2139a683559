// SPDX-License-Identifier: BSD-3-Clause
// parse_deck / load_deck: YAML deck -> validated npde::io::Deck (see docs/input-reference.md).
#include "npde/io/deck.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <fstream>
#include <sstream>

#include "io/deck_reader.hpp"
#include "io/deck_schema.hpp"
#include "io/deck_sections.hpp"
#include "io/deck_tree.hpp"
#include "npde/core/error.hpp"
#include "npde/core/expression.hpp"

namespace npde::io {

namespace {

using detail::DeckReader;
using detail::idx;
using detail::number;
using detail::read_decomposition;
using detail::read_metalic;

// A deck is a few kilobytes; anything this large is the wrong file.
constexpr std::uintmax_t kMaxDeckBytes = 16u << 20;
constexpr int kDefaultGridPoints = 65;


/// What an equation needs from the deck beyond the schema's per-key checks.
struct EquationRule {
  const char* pde;
  int min_dim, max_dim;
  bool source_required;
  const char* source_default;  ///< when optional and absent
  bool boundary_required;
  bool periodic_allowed;
  bool initial_required;
  std::vector<std::pair<const char*, double>> coefficient_defaults;  ///< NaN: required
};

constexpr double kRequired = std::numeric_limits<double>::quiet_NaN();

const std::vector<EquationRule>& equation_rules() {
  // clang-format off
  static const std::vector<EquationRule> rules = {
    // pde             dims  source         boundary     initial coefficients
    {"poisson",        1, 3, true,  "0",    true,  false, false, {}},
    {"helmholtz",      1, 3, true,  "0",    true,  false, false, {{"k", kRequired}}},
    {"heat",           1, 2, false, "0",    true,  false, true,  {{"diffusivity", 1.0}, {"reaction", 0.0}}},
    {"burgers",        1, 1, false, "0",    true,  false, true,  {{"viscosity", kRequired}}},
    {"allen_cahn",     1, 1, false, "0",    true,  true,  true,  {{"diffusivity", kRequired}, {"reaction", 5.0}}},
    {"klein_gordon",   1, 1, false, "0",    true,  false, true,  {{"wave_speed", 1.0}, {"cubic", 1.0}}},
    {"schrodinger",    1, 1, false, "0",    false, false, false, {}},
    {"navier_stokes",  2, 2, false, "0",    false, false, false, {{"reynolds", kRequired}}},
    {"darcy",          2, 2, false, "1",    false, false, false, {}},
    {"ns_vorticity",   2, 2, false, "0",    false, false, false, {{"viscosity", kRequired}}},
    {"highdim",        0, 0, false, "0",    false, false, false, {}},  // the unit ball: read_highdim
  };
  // clang-format on
  return rules;
}

const EquationRule& rule_of(const std::string& pde) {
  for (const auto& r : equation_rules())
    if (pde == r.pde) return r;
  throw Error("no equation rule for '" + pde + "'");  // the schema's enum and this table disagree
}

/// Expression variables: the spatial coordinates, then t for time-dependent equations.
std::vector<std::string> variables_of(const Deck& d) {
  static const std::vector<std::string> names{"x", "y", "z"};
  std::vector<std::string> vars(names.begin(), names.begin() + d.dim);
  if (is_time_dependent(d.pde)) vars.push_back("t");
  return vars;
}

/// Parses an expression now, so a bad one is reported by key before any work starts.
void check_expression(const DeckReader& r, const std::string& deck_path, const std::string& key,
                      const std::string& text, const std::vector<std::string>& vars, const Deck& d) {
  try {
    Expression expr(text, vars, key, d.parameters);
  } catch (const InputError& e) {
    detail::throw_at(deck_path, r.find(key), e.what());
  }
}

/// Reads an optional expression key into `out` (unchanged when absent).
void read_expression(const DeckReader& r, const std::string& deck_path, const std::string& key,
                     const std::vector<std::string>& vars, std::string& out, const Deck& d) {
  if (!r.has(key)) return;
  out = r.get_string(key);
  check_expression(r, deck_path, key, out, vars, d);
}

/// Keys meant for other equations are errors, not silently ignored (a stray `viscosity` in a heat
/// deck is a wrong deck).
void check_equation_keys(const DeckReader& r, const std::string& pde) {
  for (const auto& spec : detail::deck_schema()) {
    if (!spec.only_for || std::string(spec.path).find("[]") != std::string::npos) continue;
    const auto allowed = detail::split_allowed(spec.only_for);
    if (std::find(allowed.begin(), allowed.end(), pde) != allowed.end() || !r.has(spec.path)) continue;
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
    r.fail(spec.path, "not used by problem.pde: " + pde + " (only by " + list + ")");
  }
}

void read_boundary(const DeckReader& r, const std::string& deck_path, const EquationRule& rule, Deck& d) {
  if (!r.has("problem.boundary")) {
    if (rule.boundary_required)
      r.fail("problem", "missing required key 'problem.boundary' (the boundary conditions of " + d.pde + ")");
    return;
  }
  const auto faces = detail::face_names(d.dim);
  const auto vars = variables_of(d);
  std::vector<int> owner(faces.size(), -1);  // which entry sets each face
  std::vector<bool> periodic(faces.size(), false);
  for (std::size_t j = 0; j < r.count("problem.boundary"); ++j) {
    const std::string p = idx("problem.boundary", j);
    BoundarySpec b;
    b.faces = r.get_faces(p + ".faces", d.dim);
    b.type = r.get_enum(p + ".type");
    if (b.type == "periodic") {
      if (!rule.periodic_allowed) r.fail(p + ".type", "periodic conditions are not available for " + d.pde);
      if (r.has(p + ".value")) r.fail(p + ".value", "a periodic condition takes no value");
    } else {
      if (!r.has(p + ".value")) r.fail(p, "missing required key '" + p + ".value' (the Dirichlet value g)");
      b.value = r.get_string(p + ".value");
      check_expression(r, deck_path, p + ".value", b.value, vars, d);
    }
    for (std::size_t f = 0; f < faces.size(); ++f) {
      if (b.faces.front() != "all" && std::find(b.faces.begin(), b.faces.end(), faces[f]) == b.faces.end()) continue;
      if (owner[f] >= 0)
        r.fail(p + ".faces", "face '" + faces[f] + "' already has a condition in " +
                                 idx("problem.boundary", static_cast<std::size_t>(owner[f])));
      owner[f] = static_cast<int>(j);
      periodic[f] = b.type == "periodic";
    }
    d.boundary.push_back(b);
  }
  std::string missing;
  for (std::size_t f = 0; f < faces.size(); ++f)
    if (owner[f] < 0) missing += (missing.empty() ? "" : ", ") + faces[f];
  if (!missing.empty())
    r.fail("problem.boundary", "no condition for face(s) " + missing + " (every face needs a condition)");
  for (std::size_t f = 0; f + 1 < faces.size(); f += 2)
    if (periodic[f] != periodic[f + 1])
      r.fail("problem.boundary", "face " + faces[f] + " and face " + faces[f + 1] +
                                     " must both be periodic or both not (periodicity pairs opposite faces)");
}

void read_coefficients(const DeckReader& r, const EquationRule& rule, Deck& d) {
  for (const auto& [name, dflt] : rule.coefficient_defaults) {
    const std::string key = std::string("problem.coefficients.") + name;
    if (r.has(key))
      d.coefficients[name] = r.get_real(key);
    else if (std::isnan(dflt))
      r.fail(r.has("problem.coefficients") ? "problem.coefficients" : "problem",
             "missing required key '" + key + "' (" + detail::find_spec(key)->doc + ")");
    else
      d.coefficients[name] = dflt;
  }
}

void read_random_field(const DeckReader& r, Deck& d) {
  d.has_random_field = r.has("problem.random_field") || d.pde == "darcy" || d.pde == "ns_vorticity";
  if (!d.has_random_field) return;
  auto& f = d.random_field;
  if (d.pde == "ns_vorticity" && !r.has("problem.random_field")) {
    f.alpha = 2.5;  // the initial vorticity of the FNO Navier-Stokes benchmark
    f.tau = 7.0;
  }
  if (r.has("problem.random_field.alpha")) f.alpha = r.get_real("problem.random_field.alpha");
  if (r.has("problem.random_field.tau")) f.tau = r.get_real("problem.random_field.tau");
  f.sigma = r.get_real("problem.random_field.sigma");
  f.seed = r.get_seed("problem.random_field.seed");
  // Darcy's coefficient must be positive: thresholded unless the deck says otherwise (it cannot,
  // yet: a raw Gaussian field would make the operator indefinite).
  f.thresholded = d.pde == "darcy";
  if (f.thresholded) {
    f.threshold = r.has("problem.random_field.threshold") ? r.get_real("problem.random_field.threshold") : 0.0;
    f.above = r.get_real("problem.random_field.above");
    f.below = r.get_real("problem.random_field.below");
  }
}

/// The high-dimensional test problem: the unit ball of problem.dimension dimensions, no box, no
/// expressions, no classical solver.
void read_highdim(const DeckReader& r, Deck& d) {
  if (r.has("problem.domain"))
    r.fail("problem.domain", "highdim is posed on the unit ball of problem.dimension dimensions: remove problem.domain");
  if (!r.has("problem.dimension"))
    r.fail("problem", "missing required key 'problem.dimension' (" +
                          std::string(detail::find_spec("problem.dimension")->doc) + ")");
  d.dimension = r.get_int("problem.dimension");
  d.form = r.get_enum("problem.form");
  d.coefficient_seed = r.get_seed("problem.coefficient_seed");
  if (r.has("reference"))
    r.fail("reference", "highdim has no classical solver: npde train measures the error against its exact solution");
}

void read_problem(const DeckReader& r, const std::string& deck_path, Deck& d) {
  d.pde = r.get_enum("problem.pde");
  const EquationRule& rule = rule_of(d.pde);
  check_equation_keys(r, d.pde);
  if (d.pde == "highdim") return read_highdim(r, d);
  if (!r.has("problem.domain"))
    r.fail("problem", "missing required key 'problem.domain' (" + std::string(detail::find_spec("problem.domain")->doc) + ")");
  d.lower = r.get_reals("problem.domain.lower", 0);
  d.dim = static_cast<int>(d.lower.size());
  if (d.dim < rule.min_dim || d.dim > rule.max_dim)
    r.fail("problem.domain.lower", d.pde + " is solved in " +
                                       (rule.min_dim == rule.max_dim ? std::to_string(rule.min_dim)
                                                                     : std::to_string(rule.min_dim) + " to " +
                                                                           std::to_string(rule.max_dim)) +
                                       " dimension(s), got " + std::to_string(d.dim) + " coordinates");
  d.upper = r.get_reals("problem.domain.upper", d.dim);
  for (int i = 0; i < d.dim; ++i)
    if (!(d.lower[i] < d.upper[i]))
      r.fail(idx("problem.domain.upper", i), "must be greater than problem.domain.lower[" + std::to_string(i) +
                                                 "] = " + number(d.lower[i]) + ", got " + number(d.upper[i]));
  if (is_time_dependent(d.pde)) {
    if (!r.has("problem.time"))
      r.fail("problem", "missing required key 'problem.time' (" + d.pde + " is time-dependent: give start and end)");
    d.t_start = r.get_real("problem.time.start");
    d.t_end = r.get_real("problem.time.end");
    if (!(d.t_end > d.t_start))
      r.fail("problem.time.end", "must be greater than problem.time.start = " + number(d.t_start) + ", got " +
                                     number(d.t_end));
  }
  for (const char* name : {"a", "b", "c"})
    if (r.has(std::string("problem.parameters.") + name))
      d.parameters.emplace_back(name, r.get_real(std::string("problem.parameters.") + name));
  const auto vars = variables_of(d);
  d.source = rule.source_default;
  if (rule.source_required && !r.has("problem.source"))
    r.fail("problem", "missing required key 'problem.source' (" + std::string(detail::find_spec("problem.source")->doc) + ")");
  read_expression(r, deck_path, "problem.source", vars, d.source, d);
  if (r.has("problem.exact")) {
    d.exact = r.get_string("problem.exact");
    check_expression(r, deck_path, "problem.exact", *d.exact, vars, d);
  }
  const std::vector<std::string> space(vars.begin(), vars.begin() + d.dim);
  read_expression(r, deck_path, "problem.initial", space, d.initial, d);
  // heat may start from its exact solution instead
  if (rule.initial_required && d.initial.empty() && !(d.pde == "heat" && d.exact))
    r.fail("problem", "missing required key 'problem.initial' (" + std::string(detail::find_spec("problem.initial")->doc) + ")");
  if (d.pde == "klein_gordon") d.initial_rate = "0";
  read_expression(r, deck_path, "problem.initial_rate", space, d.initial_rate, d);
  read_expression(r, deck_path, "problem.potential", space, d.potential, d);
  if (d.pde == "schrodinger" && d.potential.empty())
    r.fail("problem", "missing required key 'problem.potential' (the potential V(x); \"0\" for a box)");
  if (d.pde == "navier_stokes") {
    if (!r.has("problem.case")) r.fail("problem", "missing required key 'problem.case' (cavity or kovasznay)");
    d.flow_case = r.get_enum("problem.case");
  }
  read_coefficients(r, rule, d);
  read_random_field(r, d);
  d.bc_enforcement = r.get_enum("problem.bc_enforcement");
  read_boundary(r, deck_path, rule, d);
}

StageSpec read_stage(const DeckReader& r, const std::string& p) {
  StageSpec s;
  s.optimizer = r.get_enum(p + ".optimizer");
  const bool adam = s.optimizer == "adam";
  // Keys of the other optimizer are rejected, not ignored: a silently unused beta1 is a bug report.
  for (const auto& key : r.find(p)->keys) {
    const detail::KeySpec* spec = detail::find_spec(detail::schema_path_of(p + "." + key));
    const auto allowed = spec && spec->only_for ? detail::split_allowed(spec->only_for) : std::vector<std::string>{};
    if (spec && spec->only_for && std::find(allowed.begin(), allowed.end(), s.optimizer) == allowed.end())
    {
      std::string which;
      for (const auto& a : allowed) which += (which.empty() ? "'" : " or '") + a + "'";
      r.fail(p + "." + key, "only valid in an " + which + " stage (this stage's optimizer is '" + s.optimizer + "')");
    }
  }
  s.iterations = r.get_int(p + ".iterations");
  s.lr = r.has(p + ".lr") ? r.get_real(p + ".lr") : (adam ? 1e-3 : 1.0);
  if (adam) {
    s.beta1 = r.get_real(p + ".beta1");
    s.beta2 = r.get_real(p + ".beta2");
    s.eps = r.get_real(p + ".eps");
    s.decay = r.get_enum(p + ".decay");
    s.decay_rate = r.get_real(p + ".decay_rate");
    s.decay_steps = r.get_int(p + ".decay_steps");
    s.average = r.get_real(p + ".average");
  } else {
    if (s.optimizer == "lbfgs") s.history = r.get_int(p + ".history");
    s.tolerance_grad = r.get_real(p + ".tolerance_grad");
    s.tolerance_change = r.get_real(p + ".tolerance_change");
    s.max_line_search = r.get_int(p + ".max_line_search");
  }
  if (r.has(p + ".resample_every")) s.resample_every = r.get_int(p + ".resample_every");
  if (r.has(p + ".points.interior")) s.points_interior = r.get_int(p + ".points.interior");
  if (r.has(p + ".points.boundary")) s.points_boundary = r.get_int(p + ".points.boundary");
  if (r.has(p + ".points.initial")) s.points_initial = r.get_int(p + ".points.initial");
  if (r.has(p + ".weights"))
    for (const auto& key : r.find(p + ".weights")->keys) s.weights.emplace_back(key, r.get_real(p + ".weights." + key));
  return s;
}

/// The operator-learning keys: `model`, `data` and the operator keys of `training`.
void read_operator(const DeckReader& r, Deck& d) {
  OperatorSpec& o = d.op;
  if (!r.has("data")) r.fail("model", "an operator is fitted to data: give a 'data' section (data.train, data.test)");
  if (r.has("training.stages"))
    r.fail("training.stages", "an operator deck trains by epochs (training.epochs, batch, lr, schedule), not by stages");
  // the PINN keys of `training` mean nothing to an operator
  static const char* operator_keys[] = {"precision", "seed", "log_every", "checkpoint", "walltime", "epochs", "batch",
                                        "lr", "weight_decay", "schedule", "schedule_step", "schedule_gamma", "loss",
                                        "weights", "physics_norm"};
  if (const auto* t = r.find("training"))
    for (const auto& key : t->keys) {
      bool ok = false;
      for (const char* k : operator_keys) ok = ok || key == k;
      if (!ok) r.fail("training." + key, "not used by an operator deck (a `model` section): see docs/input-reference.md, "
                                         "\"Operator learning\"");
    }
  if (const auto* w = r.find("training.weights"))
    for (const auto& key : w->keys)
      if (key != "data" && key != "physics")
        r.fail("training.weights." + key, "not used by an operator deck (its loss terms are data and physics)");
  o.kind = r.get_enum("model.kind");
  o.width = r.get_int("model.width");
  o.blocks = r.get_int("model.blocks");
  const auto modes = r.get_ints("model.modes", 2);
  o.modes_x = modes[0], o.modes_y = modes[1];
  if (o.modes_x % 2 != 0)
    r.fail("model.modes", "the x modes are centred (kx in [-m/2, m/2 - 1]): give an even number, got " +
                              std::to_string(o.modes_x));
  o.lifting_ratio = r.get_int("model.lifting_ratio");
  o.projection_ratio = r.get_int("model.projection_ratio");
  o.factorization = r.has("model.factorization") ? r.get_enum("model.factorization")
                                                  : (o.kind == "tfno" ? "tucker" : "dense");
  if (o.kind == "fno" && o.factorization != "dense")
    r.fail("model.factorization", "kind fno has dense spectral weights: use kind tfno for " + o.factorization);
  if (o.kind == "tfno" && o.factorization == "dense")
    r.fail("model.factorization", "kind tfno factorises its spectral weights: cp or tucker (or kind fno for dense)");
  if (o.factorization == "dense") {
    if (r.has("model.rank")) r.fail("model.rank", "applies to factorised weights (kind tfno) only");
    if (r.has("model.ranks")) r.fail("model.ranks", "applies to factorised weights (kind tfno) only");
  }
  o.rank = r.has("model.rank") ? r.get_real("model.rank") : (o.factorization == "dense" ? 1.0 : 0.1);
  if (r.has("model.ranks")) {
    if (r.has("model.rank")) r.fail("model.ranks", "give model.rank or model.ranks, not both");
    o.ranks = r.get_ints("model.ranks", 0);
    const std::size_t want = o.factorization == "cp" ? 1 : 4;
    if (o.ranks.size() != want)
      r.fail("model.ranks", o.factorization + " takes " + std::to_string(want) + " rank(s), got " +
                                std::to_string(o.ranks.size()));
  }
  if (r.has("model.patching")) {
    o.patch_levels = r.get_int("model.patching.levels");
    o.patch_padding = r.get_real("model.patching.padding");
  }
  o.train_file = r.get_string("data.train");
  o.test_file = r.get_string("data.test");
  o.n_train = r.get_int("data.n_train");
  o.n_test = r.get_int("data.n_test");
  for (std::size_t j = 0; j < r.count("data.extra_test"); ++j) {
    o.extra_test.push_back(r.get_string(idx("data.extra_test", j) + ".file"));
    o.extra_test_samples.push_back(r.get_int(idx("data.extra_test", j) + ".samples"));
  }
  if (d.pde == "ns_vorticity") {
    o.input_times = r.get_reals("data.input_times", 0);
    if (r.has("data.output_times")) o.output_times = r.get_reals("data.output_times", 0);
  }
  o.epochs = r.get_int("training.epochs");
  o.batch = r.get_int("training.batch");
  o.lr = r.get_real("training.lr");
  o.weight_decay = r.get_real("training.weight_decay");
  o.schedule = r.get_enum("training.schedule");
  o.schedule_step = r.get_int("training.schedule_step");
  o.schedule_gamma = r.get_real("training.schedule_gamma");
  o.loss = r.get_enum("training.loss");
  o.weight_data = r.get_real("training.weights.data");
  if (d.pde == "darcy") {
    o.weight_physics = r.get_real("training.weights.physics");
    o.physics_norm = r.get_enum("training.physics_norm");
  }
  if (o.patch_levels > 0 && o.loss != "l2")
    r.fail("training.loss", "multigrid patching (model.patching) trains with the relative L2 loss only");
  if (o.patch_levels > 0 && o.weight_physics > 0)
    r.fail("training.weights.physics", "the physics loss needs whole fields: it does not combine with model.patching");
  if (o.weight_data == 0 && o.weight_physics == 0)
    r.fail("training.weights", "the data and the physics loss both have weight 0, so there is nothing to train");
  d.precision = r.get_enum("training.precision");
  d.seed = r.get_seed("training.seed");
  d.log_every = r.has("training.log_every") ? r.get_int("training.log_every") : 1;
  d.checkpoint_every = r.get_int("training.checkpoint.every");
  d.checkpoint_keep = r.get_int("training.checkpoint.keep");
  if (r.has("training.checkpoint.dir")) d.checkpoint_dir = r.get_string("training.checkpoint.dir");
  d.walltime = r.get_real("training.walltime");
}

void read_training(const DeckReader& r, Deck& d) {
  d.has_model = r.has("model");
  if (r.has("data") && !d.has_model)
    r.fail("data", "data files are for operator learning: give a 'model' section too");
  d.has_training = r.has("training") || d.has_model;
  if (d.has_model) return read_operator(r, d);
  if (!d.has_training) return;
  if (d.pde == "darcy" || d.pde == "ns_vorticity")
    r.fail("training", d.pde + " is learnt as an operator: give a 'model' section and a 'data' section");
  if (!r.has("training.stages"))
    r.fail("training", "missing required key 'training.stages' (optimiser stages, run in order)");
  d.layers = r.get_ints("network.layers", d.dim);
  d.activation = r.get_enum("network.activation");
  d.architecture = r.get_enum("network.architecture");
  d.encoder_bias = r.get_enum("network.encoder_bias");
  if (r.has("network.encoder_bias") && d.architecture == "mlp")
    r.fail("network.encoder_bias", "a plain mlp has no encoders (network.architecture: modified_mlp or pirate)");
  if (d.architecture != "mlp")
    for (int w : d.layers)
      if (w != d.layers.front())
        r.fail("network.layers", "a " + d.architecture + " network needs equal hidden widths (its gates mix U and V into "
                                 "every layer), got " + std::to_string(d.layers.front()) + " and " + std::to_string(w));
  if (d.architecture == "pirate" && d.pde == "highdim")
    r.fail("network.architecture", "pirate needs Fourier features of the inputs, which highdim does not have: use mlp or "
                                   "modified_mlp");
  if (d.architecture == "pirate") {
    if (d.layers.size() % 3 != 0)
      r.fail("network.layers", "a PirateNet has blocks of 3 hidden layers, got " + std::to_string(d.layers.size()) + " layers");
    if (!r.has("network.fourier_features") ||
        2 * r.get_int("network.fourier_features.frequencies") != d.layers.front())
      r.fail("network.architecture", "pirate adds each block's input to its output, the first block's being the Fourier "
                                     "features: set network.fourier_features.frequencies to half the hidden width (" +
                                     std::to_string(d.layers.front() / 2) + ")");
  }

  d.precision = r.get_enum("training.precision");
  d.seed = r.get_seed("training.seed");
  d.n_interior = r.get_int("training.points.interior");
  d.n_boundary = r.get_int("training.points.boundary");
  if (is_time_dependent(d.pde)) d.n_initial = r.get_int("training.points.initial");
  d.sampler = r.get_enum("training.points.sampler");
  d.resample_every = r.get_int("training.points.resample_every");
  if (r.has("training.points.adaptive")) {
    d.rad_candidates = r.has("training.points.adaptive.candidates") ? r.get_int("training.points.adaptive.candidates")
                                                                     : 10L * d.n_interior;
    d.adaptive_method = r.get_enum("training.points.adaptive.method");
    d.rar_add = r.has("training.points.adaptive.add") ? r.get_int("training.points.adaptive.add")
                                                      : std::max(1L, long(d.n_interior) / 10);
    d.rad_k = r.get_real("training.points.adaptive.k");
    d.rad_c = r.get_real("training.points.adaptive.c");
    bool resampled = d.resample_every > 0;
    for (const auto& st : d.stages) resampled = resampled || st.resample_every > 0;
    if (!resampled)
      r.fail("training.points.adaptive",
             "draws at every resampling: set training.points.resample_every (or a stage's resample_every) > 0");
  }
  d.weight_pde = r.get_real("training.weights.pde");
  d.weight_bc = r.get_real("training.weights.bc");
  if (is_time_dependent(d.pde)) d.weight_initial = r.get_real("training.weights.initial");
  d.weight_data = r.get_real("training.weights.data");
  if (d.pde == "schrodinger") {
    d.weight_normalisation = r.get_real("training.weights.normalisation");
    d.weight_orthogonality = r.get_real("training.weights.orthogonality");
    d.weight_energy = r.get_real("training.weights.energy");
    d.states = r.get_int("training.states");
    d.quadrature = r.get_int("training.quadrature");
    if (d.quadrature % 2 == 0) r.fail("training.quadrature", "Simpson's rule needs an odd number of points, got " +
                                                                 std::to_string(d.quadrature));
  }
  for (std::size_t j = 0; j < r.count("training.stages"); ++j) d.stages.push_back(read_stage(r, idx("training.stages", j)));
  d.log_every = r.get_int("training.log_every");
  if (r.has("network.weight_factorization")) {
    d.weight_factorization = true;
    d.rwf_mean = r.get_real("network.weight_factorization.mean");
    d.rwf_stddev = r.get_real("network.weight_factorization.stddev");
  }
  if (r.has("network.fourier_features")) {
    d.fourier_frequencies = r.get_int("network.fourier_features.frequencies");
    d.fourier_sigma = r.get_real("network.fourier_features.sigma");
  }
  if (r.has("network.gaussian_features")) {
    d.gaussian_features = r.get_int("network.gaussian_features.count");
    d.gaussian_width = r.get_real("network.gaussian_features.width");
    if (d.fourier_frequencies > 0)
      r.fail("network.gaussian_features", "Gaussian features replace the inputs as Fourier features do: use one of the two");
    for (const auto& b : d.boundary)
      if (b.type == "periodic" && d.bc_enforcement == "hard")
        r.fail("network.gaussian_features", "Gaussian features are not periodic: hard periodic conditions need the "
                                            "periodic embedding (use bc_enforcement: soft, or drop the Gaussians)");
  }
  if (d.pde != "highdim") d.input_normalization = r.get_enum("network.input_normalization");
  if (d.pde == "navier_stokes") {
    d.network_output = r.get_enum("network.output");
    if (d.network_output == "stream_function" && d.bc_enforcement == "hard")
      r.fail("network.output", "stream_function builds u and v from psi, which the hard walls' trial functions would "
                               "break: set problem.bc_enforcement: soft");
  }
  if (d.input_normalization == "standard") {
    if (d.fourier_frequencies > 0)
      r.fail("network.input_normalization", "standard scaling does not combine with network.fourier_features (the "
                                            "features are already scaled)");
    if (d.gaussian_features > 0)
      r.fail("network.input_normalization", "standard scaling does not combine with network.gaussian_features (the "
                                            "Gaussians are placed in the box's own coordinates)");
    for (const auto& b : d.boundary)
      if (b.type == "periodic" && d.bc_enforcement == "hard")
        r.fail("network.input_normalization", "standard scaling does not combine with the periodic embedding of hard "
                                              "periodic conditions");
  }
  if (r.has("training.balancing")) {
    d.balancing = r.get_enum("training.balancing.scheme");
    d.balancing_every = r.has("training.balancing.every") ? r.get_int("training.balancing.every")
                                                          : (d.balancing == "grad_norm" ? 1000 : 10);
    d.balancing_momentum = r.get_real("training.balancing.momentum");
    d.balancing_shared = r.get_enum("training.balancing.weights") == "groups";
    d.balancing_per_layer = r.get_enum("training.balancing.ratio") == "per_layer";
    d.balancing_encoders = r.get_enum("training.balancing.encoders") == "include";
    for (const char* key : {"training.balancing.weights", "training.balancing.ratio", "training.balancing.encoders"})
      if (d.balancing != "annealing" && r.has(key)) r.fail(key, "applies to scheme: annealing only");
    if (r.has("training.balancing.encoders") && d.architecture == "mlp")
      r.fail("training.balancing.encoders", "a plain mlp has no encoders (network.architecture: modified_mlp or pirate)");
  }
  if (r.has("training.causal")) {
    d.causal_chunks = r.get_int("training.causal.chunks");
    d.causal_epsilon = r.get_real("training.causal.epsilon");
  }
  if (d.pde == "highdim") {
    d.n_validation = r.get_int("training.points.validation");
    d.radius_uniform = r.get_enum("training.points.radius") == "uniform";
    if (r.has("training.sdgd")) {
      d.sdgd_dimensions = r.get_int("training.sdgd.dimensions");
      d.sdgd_independent = r.get_enum("training.sdgd.gradient") == "independent";
      for (std::size_t j = 0; j < d.stages.size(); ++j)
        if (d.sdgd_independent && d.sdgd_dimensions < d.dimension && d.stages[j].optimizer != "adam")
          r.fail(idx("training.stages", j) + ".optimizer",
                 d.stages[j].optimizer + " needs one objective, which independent dimension draws do not give: set "
                                         "training.sdgd.gradient: same");
      if (d.sdgd_dimensions > d.dimension)
        r.fail("training.sdgd.dimensions", "draws " + std::to_string(d.sdgd_dimensions) + " of the " +
                                               std::to_string(d.dimension) + " dimensions: at most problem.dimension");
    } else {
      d.sdgd_dimensions = int(d.dimension);  // the exact Laplacian (above 64 dimensions in several jet passes)
    }
  }
  d.checkpoint_every = r.get_int("training.checkpoint.every");
  d.checkpoint_keep = r.get_int("training.checkpoint.keep");
  if (r.has("training.checkpoint.dir")) d.checkpoint_dir = r.get_string("training.checkpoint.dir");
  d.walltime = r.get_real("training.walltime");

  for (std::size_t j = 0; j < d.stages.size(); ++j) {
    const std::string p = idx("training.stages", j) + ".points";
    if (r.has(p + ".interior") && r.has("training.points.adaptive"))
      r.fail(p + ".interior", "adaptive sampling (training.points.adaptive) sets the interior points");
    if (d.pde == "highdim" && (r.has(p + ".boundary") || r.has(p + ".initial")))
      r.fail(p, "the ball's boundary condition is built in: a stage sets interior points only");
    if (r.has(p + ".initial") && !is_time_dependent(d.pde))
      r.fail(p + ".initial", d.pde + " is steady: it has no initial points");
  }
  const bool soft = d.bc_enforcement == "soft";
  if (soft && d.n_boundary == 0)
    r.fail("training.points.boundary", "must be > 0 with problem.bc_enforcement: soft (the boundary loss needs points)");
  if (d.weight_pde == 0 && (!soft || d.weight_bc == 0) && d.weight_energy == 0)
    r.fail("training.weights", "every active loss term has weight 0, so there is nothing to train");
}

void read_inverse(const DeckReader& r, Deck& d) {
  d.has_inverse = r.has("inverse");
  if (!d.has_inverse) return;
  d.inverse_coefficient = r.get_string("inverse.coefficient");
  if (!d.coefficients.count(d.inverse_coefficient)) {
    std::string valid;
    for (const auto& [name, value] : d.coefficients) valid += (valid.empty() ? "" : ", ") + name;
    r.fail("inverse.coefficient", d.pde + " has no coefficient '" + d.inverse_coefficient + "' (valid: " + valid + ")");
  }
  d.observations_file = r.get_string("inverse.observations.file");
  d.observation_points = r.get_int("inverse.observations.points");
  d.observation_noise = r.get_real("inverse.observations.noise");
  d.observation_seed = r.get_seed("inverse.observations.seed");
  if (!d.has_training) r.fail("inverse", "an inverse problem is trained: give a 'training' section");
}

void read_reference_output(const DeckReader& r, Deck& d) {
  d.has_reference = r.has("reference");
  d.reference_grid = r.has("reference.grid") ? r.get_ints("reference.grid", d.dim)
                                              : std::vector<int>(static_cast<std::size_t>(d.dim), kDefaultGridPoints);
  d.reference_petsc = r.get_string("reference.petsc");
  if (is_time_dependent(d.pde)) {
    d.time_step = r.get_real("reference.time_step");
    d.snapshots = r.get_int("reference.snapshots");
    if (d.time_step > d.t_end - d.t_start)
      r.fail("reference.time_step", "is longer than the time interval (" + number(d.t_end - d.t_start) + ")");
  }
  if (d.pde == "schrodinger") d.eigenpairs = r.get_int("reference.eigenpairs");
  if (d.has_random_field) d.sample = r.get_seed("reference.sample");
  d.has_dataset = r.has("dataset");
  if (d.has_dataset) {
    d.dataset_samples = r.get_int("dataset.samples");
    d.dataset_batch = r.get_int("dataset.batch");
  }
  const auto first = d.reference_petsc.find_first_not_of(" \t");
  if (first != std::string::npos && d.reference_petsc[first] != '-')
    r.fail("reference.petsc", "PETSc options start with '-', e.g. \"-ksp_type cg -pc_type gamg\", got '" +
                                  d.reference_petsc + "'");

  d.output_file = r.get_string("output.file");
  if (d.output_file.find_first_not_of(" \t") == std::string::npos) r.fail("output.file", "must not be empty");
  if (r.has("output.grid"))
    d.output_grid = r.get_ints("output.grid", d.dim);
  else
    d.output_grid = d.has_reference ? d.reference_grid
                                    : std::vector<int>(static_cast<std::size_t>(d.dim), kDefaultGridPoints);
}

/// The deck text plus one comment line per override, so the recorded text says exactly what ran.
std::string text_with_overrides(const std::string& text, const std::vector<std::string>& overrides) {
  if (overrides.empty()) return text;
  std::string out = text;
  if (!out.empty() && out.back() != '\n') out += '\n';
  for (std::string o : overrides) {
    for (auto& c : o)
      if (c == '\n' || c == '\r') c = ' ';
    out += "# --set " + o + "\n";
  }
  return out;
}

}  // namespace

bool is_time_dependent(const std::string& pde) {
  return pde == "heat" || pde == "burgers" || pde == "allen_cahn" || pde == "klein_gordon" || pde == "ns_vorticity";
}

double coefficient(const Deck& deck, const std::string& name) {
  const auto it = deck.coefficients.find(name);
  NPDE_REQUIRE(it != deck.coefficients.end(), "equation '" << deck.pde << "' has no coefficient '" << name << "'");
  return it->second;
}

Deck parse_deck(const std::string& text, const std::string& path, const std::vector<std::string>& overrides) {
  detail::TreeNode root = detail::parse_tree(text, path);
  for (const auto& o : overrides) detail::apply_override(root, o, path);
  const DeckReader r(root, path);
  r.check_structure();

  Deck d;
  d.path = path;
  d.overrides = overrides;
  d.text = text_with_overrides(text, overrides);
  read_problem(r, path, d);
  read_training(r, d);
  read_inverse(r, d);
  read_decomposition(r, d);
  read_metalic(r, d);
  read_reference_output(r, d);
  return d;
}

Deck load_deck(const std::string& path, const std::vector<std::string>& overrides) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(path, ec)) NPDE_INPUT_ERROR(path << ": is a directory, not a deck file");
  const auto size = fs::file_size(path, ec);
  if (!ec && size > kMaxDeckBytes)
    NPDE_INPUT_ERROR(path << ": is " << size << " bytes, too large for a deck (limit " << kMaxDeckBytes << ")");
  std::ifstream in(path, std::ios::binary);
  if (!in) NPDE_INPUT_ERROR(path << ": cannot open the deck file (does it exist and is it readable?)");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) NPDE_INPUT_ERROR(path << ": error while reading the deck file");
  return parse_deck(ss.str(), path, overrides);
}

}  // namespace npde::io
