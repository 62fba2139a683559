// SPDX-License-Identifier: BSD-3-Clause
// Seeded, deterministic hostile mutations of valid input decks, shared by the deck fuzz tests and fuzz_deck.
// Header-only on purpose: the unit tests (tests/unit/{io,app}) and the libFuzzer target include it
// without a library of their own.
#pragma once

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace npde::fuzz {

/// splitmix64: the same stream on every platform and standard library (std distributions are not).
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : m_state(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (m_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  /// Uniform in [0, n); n > 0.
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }
  /// True with probability num/den.
  bool chance(std::size_t num, std::size_t den) { return below(den) < num; }
  template <class T>
  const T& pick(const std::vector<T>& v) { return v[below(v.size())]; }

 private:
  std::uint64_t m_state;
};

/// One generated input: deck bytes, --set overrides and the mutations that produced it (for messages).
struct FuzzCase {
  std::string text;
  std::vector<std::string> overrides;
  std::string recipe;
};

/// The ways a deck is damaged; each generated case applies one to three of them.
enum class Mutation {
  DeleteLine, DuplicateLine, SwapValue, DeepNesting, BadBytes, Truncate, FlipBytes, Degenerate,
  Tabs, LongString, Aliases, SpliceLine, Indent, YamlSyntax, Count
};

inline const char* mutation_name(Mutation m) {
  static const char* names[] = {"delete_line", "duplicate_line", "swap_value", "deep_nesting", "bad_bytes",
                                "truncate",    "flip_bytes",     "degenerate", "tabs",         "long_string",
                                "aliases",     "splice_line",    "indent",     "yaml_syntax"};
  return names[static_cast<int>(m)];
}

/// Replacement values of every YAML type, including the edge cases the reader must reject cleanly.
inline const std::vector<std::string>& hostile_values() {
  static const std::vector<std::string> v = {
      // numbers: huge, overflowing, negative, not-quite-numbers
      "0", "1", "-1", "3", "64", "4096", "4097", "0.5", "-0", "+5", "1e308", "1e400", "-1e400", "1e-400",
      "9223372036854775808", "18446744073709551616", "-9223372036854775809", "2147483648", "-2147483649",
      "0x10", "010", "1_000", "1.", ".5", "1e", "--1", "5e-3", "1.7976931348623157e308",
      // non-finite
      ".nan", "nan", "NaN", ".inf", "-.inf", "+.inf", "inf", "-inf", ".Inf", "infinity",
      // strings and expressions
      "abc", "\"quoted\"", "'single'", "\"\"", "''", "\"2\"", "\"a\\nb\"", "\"\\0\"", "\"x+\"", "all", "x-", "z+",
      "sin(pi*x)", "\"1/0\"", "\"x?1:2\"", "\"sum(x,y)\"", "\"(((((\"", "\"x y\"", "\"\\u00e9\"", "\"x\\r\\ny\"",
      "\"0\\n\"", "\"x\\ty\"", "\"1?2:0?(7:1)\"", "\"sum(0?1,0,0:3)\"", "\"min()\"", "\"x=1\"", "\"\\\"a\\\"\"",
      "\"1,2,3\"", "\"-ksp_type cg\"", "\"  \"", "\"#\"", "adam", "lbfgs", "soft", "hard", "float", "step",
      // tags
      "!!str 5", "!!int abc", "!!float x", "!!binary aGVsbG8=", "!custom x", "!!map {}", "!!seq []", "!<tag:x> 1",
      // lists
      "[]", "[1]", "[1, 2]", "[1, 2, 3]", "[1, 2, 3, 4]", "[[1]]", "[a, b]", "[x-, x-]", "[all, x-]", "[.nan, 1]",
      "[1e400, 0]", "[-1, -2]", "[0, 0]", "[\"1\", 2]", "[{a: 1}]", "[null]", "[4097]", "[x-, x+, y-, y+, z-, z+]",
      // maps
      "{}", "{a: 1}", "{faces: all, value: \"0\"}", "{optimizer: adam, iterations: 1}",
      "{optimizer: lbfgs, iterations: 1, beta1: 0.5}", "{interior: 1}", "{? [1]: 2}", "{[1]: 2}",
      // booleans and null
      "true", "false", "yes", "no", "on", "off", "True", "y", "", "~", "null", "NULL",
      // anchors and aliases
      "*undefined", "&a 1", "*a", "&a [*a]",
  };
  return v;
}

/// Override key paths: valid leaves, sections, lists, indices in and out of range, malformed paths.
inline const std::vector<std::string>& override_keys() {
  static const std::vector<std::string> k = {
      "problem.source", "problem.exact", "problem.pde", "problem.bc_enforcement", "problem.domain.lower",
      "problem.domain.upper", "problem.domain", "problem", "problem.boundary", "problem.boundary[0].faces",
      "problem.boundary[0].value", "problem.boundary[1].value", "problem.boundary[1].faces", "problem.boundary.0.type",
      "problem.boundary[7].value", "network.layers", "network.activation", "network", "training.seed",
      "training.precision", "training.points.interior", "training.points.boundary", "training.points.sampler",
      "training.points.resample_every", "training.weights.pde", "training.weights.bc", "training.stages",
      "training.stages[0].lr", "training.stages[0].optimizer", "training.stages[1].iterations",
      "training.stages.1.history", "training.stages[2].optimizer", "training.stages[5].lr",
      "training.stages[0].beta1", "training.stages[0][1]", "training.stages[999999].lr", "training.stages[9999999].lr",
      "training.log_every", "reference", "reference.grid", "reference.petsc", "output.file", "output.grid",
      // catalogue equations and inverse problems (on a Poisson base deck most are refused by name)
      "training.points.initial", "training.weights.initial", "training.weights.data", "problem.time.end",
      "problem.initial", "problem.coefficients.diffusivity", "problem.coefficients", "inverse", "inverse.coefficient",
      "inverse.observations", "inverse.observations.file", "inverse.observations.points",
      "inverse.observations.noise", "inverse.observations.seed", "inverse.observations.file.x", "inverse[0]",
      // per-stage weights and eigenproblems
      "training.stages[0].weights", "training.stages[0].weights.pde", "training.stages[1].weights.bc",
      "training.stages[0].weights.energy", "training.stages[0].weights.nonsense", "training.stages[0].weights[0]",
      "training.weights.energy", "training.weights.normalisation", "training.weights.orthogonality",
      "training.states", "training.quadrature", "problem.potential",
      // malformed or unknown
      "", " ", "training..seed", "training.seed.", ".training.seed", "training.seed[", "training.seed]",
      "training.seed[0]", "trainig.seed", "training.sede", "a.b.c", "[0]", "0.seed", "network.layers[0]",
      "training.stages[-1].lr", "training.stages[x].lr", "training.stages[0]x", "training[0]", " training.seed ",
      "problem.source.x", "output.file.name", "training.stages[0].lr.x", "\xff\xfe", "training.stages[]",
  };
  return k;
}

/// Generates hostile decks from valid seed decks. Deterministic for a given seed list and seed.
class DeckMutator {
 public:
  DeckMutator(std::vector<std::string> seeds, std::uint64_t seed) : m_seeds(std::move(seeds)), m_rng(seed) {}

  /// One case: one to three mutations of a random seed deck; overrides on about a third of them.
  FuzzCase next() {
    FuzzCase c;
    c.text = m_rng.pick(m_seeds);
    const std::size_t n = 1 + m_rng.below(3);
    for (std::size_t i = 0; i < n; ++i) {
      const auto m = static_cast<Mutation>(m_rng.below(static_cast<std::size_t>(Mutation::Count)));
      // A megabyte string costs ~0.1 s and deep nesting ~1 ms: draw them rarely, so 10,000 cases stay fast.
      if (m == Mutation::LongString && !m_rng.chance(1, 96)) continue;
      if (m == Mutation::DeepNesting && !m_rng.chance(1, 8)) continue;
      c.recipe += std::string(c.recipe.empty() ? "" : "+") + mutation_name(m);
      apply(m, c.text);
    }
    if (c.recipe.empty()) {
      c.recipe = mutation_name(Mutation::SwapValue);
      apply(Mutation::SwapValue, c.text);
    }
    if (m_rng.chance(1, 3)) {
      const std::size_t k = 1 + m_rng.below(4);
      for (std::size_t i = 0; i < k; ++i) c.overrides.push_back(make_override());
      c.recipe += "+overrides";
    }
    return c;
  }

  /// A random --set assignment: mostly "key=value", sometimes without '=' or with odd bytes.
  std::string make_override() {
    const std::string key = m_rng.pick(override_keys());
    const std::size_t form = m_rng.below(10);
    if (form == 0) return key;  // missing '='
    if (form == 1) return key + "==" + m_rng.pick(hostile_values());
    if (form == 2) return "=" + m_rng.pick(hostile_values());
    if (form == 3) return key + "=" + std::string("[1, \n2]\x00\xff", 9);
    return key + "=" + m_rng.pick(hostile_values());
  }

  void apply(Mutation m, std::string& t) {
    switch (m) {
      case Mutation::DeleteLine: erase_line(t); break;
      case Mutation::DuplicateLine: duplicate_line(t); break;
      case Mutation::SwapValue: swap_value(t, m_rng.pick(hostile_values())); break;
      case Mutation::DeepNesting: deep_nesting(t); break;
      case Mutation::BadBytes: bad_bytes(t); break;
      case Mutation::Truncate: t.resize(t.empty() ? 0 : m_rng.below(t.size())); break;
      case Mutation::FlipBytes: flip_bytes(t); break;
      case Mutation::Degenerate: degenerate(t); break;
      case Mutation::Tabs: tabs(t); break;
      case Mutation::LongString: long_string(t); break;
      case Mutation::Aliases: aliases(t); break;
      case Mutation::SpliceLine: splice_line(t); break;
      case Mutation::Indent: indent(t); break;
      case Mutation::YamlSyntax: yaml_syntax(t); break;
      case Mutation::Count: break;
    }
  }

 private:
  /// [begin, end) of each line, newline excluded.
  static std::vector<std::pair<std::size_t, std::size_t>> lines_of(const std::string& t) {
    std::vector<std::pair<std::size_t, std::size_t>> out;
    std::size_t b = 0;
    while (b < t.size()) {
      std::size_t e = t.find('\n', b);
      if (e == std::string::npos) e = t.size();
      out.emplace_back(b, e);
      b = e + 1;
    }
    return out;
  }

  void erase_line(std::string& t) {
    const auto lines = lines_of(t);
    if (lines.empty()) return;
    const auto [b, e] = m_rng.pick(lines);
    t.erase(b, std::min(t.size(), e + 1) - b);
  }

  void duplicate_line(std::string& t) {
    const auto lines = lines_of(t);
    if (lines.empty()) return;
    const auto [b, e] = m_rng.pick(lines);
    t.insert(b, t.substr(b, e - b) + "\n");
  }

  /// Positions right after "key: " (block or flow style), where a value starts.
  static std::vector<std::size_t> value_starts(const std::string& t) {
    std::vector<std::size_t> out;
    for (std::size_t i = 1; i + 1 < t.size(); ++i)
      if (t[i] == ':' && t[i + 1] == ' ' && (std::isalnum(static_cast<unsigned char>(t[i - 1])) || t[i - 1] == '_'))
        out.push_back(i + 2);
    return out;
  }

  /// End of the value starting at `b`: a bracketed or quoted value as a whole, else up to ',', '}' or newline.
  static std::size_t value_end(const std::string& t, std::size_t b) {
    if (b >= t.size()) return t.size();
    const char open = t[b];
    if (open == '[' || open == '{') {
      const char close = open == '[' ? ']' : '}';
      int depth = 0;
      for (std::size_t i = b; i < t.size(); ++i) {
        if (t[i] == open) ++depth;
        if (t[i] == close && --depth == 0) return i + 1;
      }
      return t.size();
    }
    if (open == '"') {
      const auto q = t.find('"', b + 1);
      return q == std::string::npos ? t.size() : q + 1;
    }
    const auto e = t.find_first_of(",}\n", b);
    return e == std::string::npos ? t.size() : e;
  }

  void swap_value(std::string& t, const std::string& value) {
    const auto starts = value_starts(t);
    if (starts.empty()) {
      t += "\nx: " + value;
      return;
    }
    const std::size_t b = m_rng.pick(starts);
    t.replace(b, value_end(t, b) - b, value);
  }

  void deep_nesting(std::string& t) {
    const std::size_t depth = 1000 + m_rng.below(2001);
    std::string v;
    switch (m_rng.below(5)) {
      case 0: v = std::string(depth, '[') + "1" + std::string(depth, ']'); break;
      case 1: {
        for (std::size_t i = 0; i < depth; ++i) v += "{a: ";
        v += "1" + std::string(depth, '}');
        break;
      }
      case 2: v = std::string(depth, '['); break;  // unbalanced
      case 3: {
        for (std::size_t i = 0; i < depth; ++i) v += "- ";
        v += "1";
        break;
      }
      default: {  // block-style maps, one level per line
        v = "\n";
        for (std::size_t i = 0; i < std::min<std::size_t>(depth, 600); ++i) v += std::string(i + 2, ' ') + "a:\n";
        break;
      }
    }
    if (m_rng.chance(1, 4))
      t = v;  // the whole document
    else
      swap_value(t, v);
  }

  void bad_bytes(std::string& t) {
    static const std::vector<std::string> bytes = {std::string("\xff\xfe"), std::string("\x80"), std::string(1, '\0'),
                                                   std::string("\xfe\xff"), std::string("\xef\xbb\xbf"),
                                                   std::string("\xc3"), std::string("\xed\xa0\x80"),
                                                   std::string("\x04"), std::string("\x1b[31m"),
                                                   std::string("\xf4\x90\x80\x80"), std::string(4, '\0')};
    const std::size_t n = 1 + m_rng.below(4);
    for (std::size_t i = 0; i < n; ++i) {
      const std::string& b = m_rng.pick(bytes);
      const std::size_t at = m_rng.chance(1, 5) ? 0 : m_rng.below(t.size() + 1);
      t.insert(at, b);
    }
  }

  void flip_bytes(std::string& t) {
    if (t.empty()) return;
    const std::size_t n = 1 + m_rng.below(8);
    for (std::size_t i = 0; i < n; ++i) {
      char& c = t[m_rng.below(t.size())];
      c = m_rng.chance(1, 2) ? static_cast<char>(c ^ (1 << m_rng.below(8))) : static_cast<char>(m_rng.below(256));
    }
  }

  void degenerate(std::string& t) {
    static const std::vector<std::string> tiny = {
        "", "\n", "   \n\t\n", "# only a comment\n", "# a\n# b\n\n# c", "---\n", "---\n...\n", "...", "~",
        "null", "[]", "{}", "42", "\"problem\"", "problem", "problem:", "problem: ~\ntraining: ~\n", "---\n---\n",
        "- problem: 1\n", ":", "? ", "&a", "*a", "!!", "%YAML 1.2\n", "%YAML 9.9\n---\na: 1\n", "%TAG ! tag:x,\n---\n!a 1",
        "\t", "a:\tb\n", "a: b\n---\nc: d\n"};
    t = m_rng.pick(tiny);
  }

  void tabs(std::string& t) {
    for (std::size_t i = 0; i + 1 < t.size(); ++i)
      if (t[i] == ' ' && (i == 0 || t[i - 1] == '\n' || t[i - 1] == ' ' || t[i - 1] == '\t') && m_rng.chance(1, 2))
        t[i] = '\t';
  }

  void long_string(std::string& t) {
    const std::size_t n = (1u << 20) + m_rng.below(64);
    switch (m_rng.below(6)) {
      case 0: swap_value(t, std::string(n, 'x')); break;                    // plain scalar
      case 1: swap_value(t, "\"" + std::string(n, 'y') + "\""); break;       // quoted
      case 2: {                                                              // a 1 MB expression
        std::string e = "\"1";
        while (e.size() < n) e += "+x";
        swap_value(t, e + "\"");
        break;
      }
      case 3: swap_value(t, std::string(n, '7')); break;                    // a 1 MB number
      case 4: t.insert(0, std::string(n, 'k') + ": 1\n"); break;             // a 1 MB key
      default: t.insert(0, "#" + std::string(n, '#') + "\n"); break;        // a 1 MB comment
    }
  }

  void aliases(std::string& t) {
    // The two bombs cost ~30 ms each (the reader expands them up to its limit), hence 1 in 16.
    switch (const std::size_t pick = m_rng.below(32); pick < 2 ? pick : pick < 20 ? 2 : 3) {
      case 0: {  // billion laughs: 10 levels of ten references each
        std::string bomb = "l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
        for (int i = 1; i < 10; ++i) {
          const std::string prev = "*l" + std::to_string(i - 1);
          bomb += "l" + std::to_string(i) + ": &l" + std::to_string(i) + " [" + prev;
          for (int k = 1; k < 10; ++k) bomb += ", " + prev;
          bomb += "]\n";
        }
        t = m_rng.chance(1, 2) ? bomb + t : t + "\n" + bomb;
        break;
      }
      case 1: {  // few values, many bytes: a long string referenced over and over
        std::string bomb = "s: &s \"" + std::string(64 * 1024, 'z') + "\"\nt: &t [*s";
        for (int k = 1; k < 16; ++k) bomb += ", *s";
        bomb += "]\nu: &u [*t";
        for (int k = 1; k < 16; ++k) bomb += ", *t";
        bomb += "]\nv: [*u";
        for (int k = 1; k < 64; ++k) bomb += ", *u";
        t = bomb + "]\n" + t;
        break;
      }
      case 2: {  // an anchor on a real value, used elsewhere
        const auto starts = value_starts(t);
        if (starts.size() < 2) return;
        const std::size_t a = m_rng.pick(starts), b = m_rng.pick(starts);
        if (a == b) return;
        const std::size_t lo = std::min(a, b), hi = std::max(a, b);
        t.replace(hi, value_end(t, hi) - hi, "*anc");
        t.insert(lo, "&anc ");
        break;
      }
      default: swap_value(t, m_rng.chance(1, 2) ? "&r [*r]" : "*nowhere"); break;
    }
  }

  void splice_line(std::string& t) {
    const std::string& other = m_rng.pick(m_seeds);
    const auto from = lines_of(other), to = lines_of(t);
    if (from.empty()) return;
    const auto [b, e] = m_rng.pick(from);
    const std::size_t at = to.empty() ? 0 : m_rng.pick(to).first;
    t.insert(at, other.substr(b, e - b) + "\n");
  }

  void indent(std::string& t) {
    const auto lines = lines_of(t);
    if (lines.empty()) return;
    const std::size_t b = m_rng.pick(lines).first;
    if (m_rng.chance(1, 2))
      t.insert(b, std::string(1 + m_rng.below(5), ' '));
    else if (b < t.size() && t[b] == ' ')
      t.erase(b, 1 + (b + 1 < t.size() && t[b + 1] == ' '));
  }

  void yaml_syntax(std::string& t) {
    static const std::vector<std::string> tokens = {
        "&", "*", "!", "!!binary ", "? ", "- ", "|\n", ">\n", "%YAML 1.2\n---\n", "\n---\n", "\n...\n", "[", "]",
        "{", "}", ",", ":", "\"", "'", "#", "\\", "<<: *a\n", "!!python/object:x ", "@", "`", "\r", "\r\n", "\x85"};
    const std::size_t n = 1 + m_rng.below(3);
    for (std::size_t i = 0; i < n; ++i) t.insert(m_rng.below(t.size() + 1), m_rng.pick(tokens));
  }

  std::vector<std::string> m_seeds;
  Rng m_rng;
};

/// The *.yaml files of `dir`, sorted by name so the seed list (and the generated cases) are stable.
inline std::vector<std::string> read_yaml_files(const std::string& dir) {
  std::vector<std::filesystem::path> paths;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
    if (entry.path().extension() == ".yaml") paths.push_back(entry.path());
  std::sort(paths.begin(), paths.end());
  std::vector<std::string> out;
  for (const auto& p : paths) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    out.push_back(ss.str());
  }
  return out;
}

/// Why an InputError message breaks the contract (non-empty, one line, starts with `prefix`), or "".
inline std::string message_problem(const std::string& msg, const std::string& prefix) {
  if (msg.empty()) return "empty message";
  if (msg.find_first_of("\n\r") != std::string::npos) return "message spans several lines";
  if (msg.compare(0, prefix.size(), prefix) != 0) return "message does not start with '" + prefix + "'";
  return "";
}

}  // namespace npde::fuzz
