// SPDX-License-Identifier: BSD-3-Clause
// parse_deck / load_deck: YAML deck -> validated npde::io::Deck (see docs/input-reference.md).
#include "npde/io/deck.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "io/deck_reader.hpp"
#include "io/deck_schema.hpp"
#include "io/deck_tree.hpp"
#include "npde/core/error.hpp"
#include "npde/core/expression.hpp"

namespace npde::io {

namespace {

using detail::DeckReader;

// A deck is a few kilobytes; anything this large is the wrong file.
constexpr std::uintmax_t kMaxDeckBytes = 16u << 20;
constexpr int kDefaultGridPoints = 65;

std::string idx(const std::string& path, std::size_t i) { return path + "[" + std::to_string(i) + "]"; }

std::string number(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

/// Parses an expression now, so a bad one is reported by key before any work starts.
void check_expression(const DeckReader& r, const std::string& deck_path, const std::string& key,
                      const std::string& text, int dim) {
  static const std::vector<std::string> names{"x", "y", "z"};
  const std::vector<std::string> vars(names.begin(), names.begin() + dim);
  try {
    Expression expr(text, vars, key);
  } catch (const InputError& e) {
    detail::throw_at(deck_path, r.find(key), e.what());
  }
}

void read_boundary(const DeckReader& r, const std::string& deck_path, Deck& d) {
  const auto faces = detail::face_names(d.dim);
  std::vector<int> owner(faces.size(), -1);  // which entry sets each face
  for (std::size_t j = 0; j < r.count("problem.boundary"); ++j) {
    const std::string p = idx("problem.boundary", j);
    BoundarySpec b;
    b.faces = r.get_faces(p + ".faces", d.dim);
    b.type = r.get_enum(p + ".type");
    b.value = r.get_string(p + ".value");
    check_expression(r, deck_path, p + ".value", b.value, d.dim);
    for (std::size_t f = 0; f < faces.size(); ++f) {
      if (b.faces.front() != "all" && std::find(b.faces.begin(), b.faces.end(), faces[f]) == b.faces.end()) continue;
      if (owner[f] >= 0)
        r.fail(p + ".faces", "face '" + faces[f] + "' already has a condition in " +
                                 idx("problem.boundary", static_cast<std::size_t>(owner[f])));
      owner[f] = static_cast<int>(j);
    }
    d.boundary.push_back(b);
  }
  std::string missing;
  for (std::size_t f = 0; f < faces.size(); ++f)
    if (owner[f] < 0) missing += (missing.empty() ? "" : ", ") + faces[f];
  // Only Dirichlet conditions exist so far, and a Poisson problem needs one on every face.
  if (!missing.empty())
    r.fail("problem.boundary", "no condition for face(s) " + missing + " (every face needs a Dirichlet condition)");
}

void read_problem(const DeckReader& r, const std::string& deck_path, Deck& d) {
  d.pde = r.get_enum("problem.pde");
  d.lower = r.get_reals("problem.domain.lower", 0);
  d.dim = static_cast<int>(d.lower.size());
  d.upper = r.get_reals("problem.domain.upper", d.dim);
  for (int i = 0; i < d.dim; ++i)
    if (!(d.lower[i] < d.upper[i]))
      r.fail(idx("problem.domain.upper", i), "must be greater than problem.domain.lower[" + std::to_string(i) +
                                                 "] = " + number(d.lower[i]) + ", got " + number(d.upper[i]));
  d.source = r.get_string("problem.source");
  check_expression(r, deck_path, "problem.source", d.source, d.dim);
  if (r.has("problem.exact")) {
    d.exact = r.get_string("problem.exact");
    check_expression(r, deck_path, "problem.exact", *d.exact, d.dim);
  }
  d.bc_enforcement = r.get_enum("problem.bc_enforcement");
  read_boundary(r, deck_path, d);
}

StageSpec read_stage(const DeckReader& r, const std::string& p) {
  StageSpec s;
  s.optimizer = r.get_enum(p + ".optimizer");
  const bool adam = s.optimizer == "adam";
  // Keys of the other optimizer are rejected, not ignored: a silently unused beta1 is a bug report.
  for (const auto& key : r.find(p)->keys) {
    const detail::KeySpec* spec = detail::find_spec(detail::schema_path_of(p + "." + key));
    if (spec && spec->only_for && s.optimizer != spec->only_for)
      r.fail(p + "." + key, std::string("only valid in an '") + spec->only_for + "' stage (this stage's optimizer is '" +
                                s.optimizer + "')");
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
  } else {
    s.history = r.get_int(p + ".history");
    s.tolerance_grad = r.get_real(p + ".tolerance_grad");
    s.tolerance_change = r.get_real(p + ".tolerance_change");
    s.max_line_search = r.get_int(p + ".max_line_search");
  }
  return s;
}

void read_training(const DeckReader& r, Deck& d) {
  d.layers = r.get_ints("network.layers", d.dim);
  d.activation = r.get_enum("network.activation");

  d.precision = r.get_enum("training.precision");
  d.seed = r.get_seed("training.seed");
  d.n_interior = r.get_int("training.points.interior");
  d.n_boundary = r.get_int("training.points.boundary");
  d.sampler = r.get_enum("training.points.sampler");
  d.resample_every = r.get_int("training.points.resample_every");
  d.weight_pde = r.get_real("training.weights.pde");
  d.weight_bc = r.get_real("training.weights.bc");
  for (std::size_t j = 0; j < r.count("training.stages"); ++j) d.stages.push_back(read_stage(r, idx("training.stages", j)));
  d.log_every = r.get_int("training.log_every");
  d.checkpoint_every = r.get_int("training.checkpoint.every");
  d.checkpoint_keep = r.get_int("training.checkpoint.keep");
  if (r.has("training.checkpoint.dir")) d.checkpoint_dir = r.get_string("training.checkpoint.dir");
  d.walltime = r.get_real("training.walltime");

  const bool soft = d.bc_enforcement == "soft";
  if (soft && d.n_boundary == 0)
    r.fail("training.points.boundary", "must be > 0 with problem.bc_enforcement: soft (the boundary loss needs points)");
  if (d.weight_pde == 0 && (!soft || d.weight_bc == 0))
    r.fail("training.weights", "every active loss term has weight 0, so there is nothing to train");
}

void read_reference_output(const DeckReader& r, Deck& d) {
  d.has_reference = r.has("reference");
  d.reference_grid = r.has("reference.grid") ? r.get_ints("reference.grid", d.dim)
                                              : std::vector<int>(static_cast<std::size_t>(d.dim), kDefaultGridPoints);
  d.reference_petsc = r.get_string("reference.petsc");
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
