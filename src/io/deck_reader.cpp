// SPDX-License-Identifier: BSD-3-Clause
// Schema-driven typed reads from a deck tree (strict numbers, ranges, list lengths, defaults).
#include "io/deck_reader.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <locale>
#include <sstream>

#include "npde/core/error.hpp"

namespace npde::io::detail {

namespace {

std::string lower_case(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool is_digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }

// YAML 1.1 booleans (what yaml-cpp accepts), named in messages so "true" for a number is clear.
bool is_bool_word(const std::string& s) {
  const std::string l = lower_case(s);
  return l == "true" || l == "false" || l == "yes" || l == "no" || l == "on" || l == "off";
}

bool is_nonfinite_word(const std::string& s) {
  std::string l = lower_case(s);
  if (!l.empty() && (l[0] == '+' || l[0] == '-')) l.erase(0, 1);
  return l == ".inf" || l == "inf" || l == "infinity" || l == ".nan" || l == "nan";
}

/// Decimal integer only: no octal/hex surprises, no "1e3", no "2.0".
bool is_integer_text(const std::string& s) {
  std::size_t i = (!s.empty() && (s[0] == '+' || s[0] == '-')) ? 1 : 0;
  if (i == s.size()) return false;
  for (; i < s.size(); ++i)
    if (!is_digit(s[i])) return false;
  return true;
}

/// [+-]? (digits (. digits?)? | . digits) ([eE] [+-]? digits)?
bool is_real_text(const std::string& s) {
  std::size_t i = 0, n = s.size();
  auto digits = [&] {
    const std::size_t b = i;
    while (i < n && is_digit(s[i])) ++i;
    return i - b;
  };
  if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
  std::size_t mantissa = digits();
  if (i < n && s[i] == '.') {
    ++i;
    mantissa += digits();
  }
  if (mantissa == 0) return false;
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    if (digits() == 0) return false;
  }
  return i == n;
}

std::string got(const TreeNode& n) {
  if (n.type == TreeNode::Type::Scalar && !n.quoted && is_bool_word(n.scalar)) return "the boolean '" + n.scalar + "'";
  return describe_node(n);
}

}  // namespace

std::vector<std::string> face_names(int dim) {
  static const char* all[] = {"x-", "x+", "y-", "y+", "z-", "z+"};
  return std::vector<std::string>(all, all + 2 * dim);
}

void DeckReader::fail(const std::string& path, const std::string& msg) const {
  std::string p = path;
  const TreeNode* at = find(p);
  while (!at && !p.empty()) {
    const auto cut = p.find_last_of(".[");
    p = cut == std::string::npos ? std::string() : p.substr(0, cut);
    at = p.empty() ? nullptr : find(p);
  }
  throw_at(m_deck_path, at, path + ": " + msg);
}

const TreeNode* DeckReader::find(const std::string& path) const {
  const TreeNode* n = &m_root;
  std::size_t i = 0;
  while (n && i < path.size()) {
    if (path[i] == '.') {
      ++i;
    } else if (path[i] == '[') {
      const auto close = path.find(']', i);
      NPDE_REQUIRE(close != std::string::npos, "bad path " << path);
      const auto idx = static_cast<std::size_t>(std::stoul(path.substr(i + 1, close - i - 1)));
      n = n->type == TreeNode::Type::Seq && idx < n->items.size() ? &n->items[idx] : nullptr;
      i = close + 1;
    } else {
      auto end = path.find_first_of(".[", i);
      if (end == std::string::npos) end = path.size();
      n = n->find(path.substr(i, end - i));
      i = end;
    }
  }
  return n;
}

std::size_t DeckReader::count(const std::string& path) const {
  const TreeNode* n = find(path);
  return n && n->type == TreeNode::Type::Seq ? n->items.size() : 0;
}

void DeckReader::check_structure() const { check_map(m_root, "", ""); }

void DeckReader::check_map(const TreeNode& map, const std::string& path, const std::string& schema_path) const {
  for (std::size_t i = 0; i < map.keys.size(); ++i) {
    const std::string& key = map.keys[i];
    const TreeNode& child = map.items[i];
    const KeySpec* spec =
        key.find_first_of(".[]") == std::string::npos ? find_spec(join_path(schema_path, key)) : nullptr;
    if (!spec) {
      TreeNode at;  // the key's own position
      at.line = map.key_lines[i];
      at.origin = child.origin;
      throw_at(m_deck_path, &at, unknown_key_message(path, schema_path, key));
    }
    const std::string cp = join_path(path, key);
    if (spec->kind == KeyKind::Section) {
      if (child.type == TreeNode::Type::Null) {  // "reference:" alone: the section with defaults
        TreeNode empty = child;
        empty.type = TreeNode::Type::Map;
        check_map(empty, cp, spec->path);
      } else if (child.type == TreeNode::Type::Map) {
        check_map(child, cp, spec->path);
      } else {
        fail(cp, "expected a map of keys (a section), got " + describe_node(child));
      }
    } else if (spec->kind == KeyKind::MapList) {
      if (child.type != TreeNode::Type::Seq)
        fail(cp, "expected a list of maps (\"- {key: value, ...}\" entries), got " + describe_node(child));
      const auto n = static_cast<int>(child.items.size());
      if (n < spec->min_len || n > spec->max_len)
        fail(cp, "must have " + std::to_string(spec->min_len) + " to " + std::to_string(spec->max_len) +
                     " entries, got " + std::to_string(n));
      for (std::size_t j = 0; j < child.items.size(); ++j) {
        const std::string item_path = cp + "[" + std::to_string(j) + "]";
        if (child.items[j].type != TreeNode::Type::Map)
          fail(item_path, "expected a map, got " + describe_node(child.items[j]));
        check_map(child.items[j], item_path, std::string(spec->path) + "[]");
      }
    }
  }
  for (const KeySpec* s : children_of(schema_path)) {
    const std::string leaf = std::string(s->path).substr(schema_path.empty() ? 0 : schema_path.size() + 1);
    if (s->required && !map.find(leaf))
      throw_at(m_deck_path, path.empty() ? nullptr : &map,
               "missing required key '" + join_path(path, leaf) + "' (" + s->doc + ")");
  }
}

const KeySpec& DeckReader::spec_of(const std::string& path) const {
  const KeySpec* s = find_spec(schema_path_of(path));
  NPDE_REQUIRE(s, "no schema row for deck key " << path);
  return *s;
}

const TreeNode& DeckReader::value_of(const std::string& path, TreeNode& fallback) const {
  const KeySpec& spec = spec_of(path);
  if (const TreeNode* n = find(path)) {
    if (n->type == TreeNode::Type::Null) fail(path, "has no value (remove the key to use its default)");
    return *n;
  }
  if (spec.required) fail(path, "missing required key '" + path + "' (" + spec.doc + ")");
  NPDE_REQUIRE(spec.dflt, "deck key " << path << " has a contextual default: check has() first");
  fallback = parse_default(spec.dflt);
  return fallback;
}

long long DeckReader::to_int(const TreeNode& n, const std::string& path, const Range& range) const {
  if (n.type != TreeNode::Type::Scalar || n.quoted || !is_integer_text(n.scalar))
    fail(path, "expected an integer, got " + got(n));
  errno = 0;
  const long long v = std::strtoll(n.scalar.c_str(), nullptr, 10);
  if (errno == ERANGE || v > INT_MAX || v < INT_MIN) fail(path, "integer " + n.scalar + " is out of range");
  if (!in_range(static_cast<double>(v), range)) fail(path, "must be " + describe_range(range) + ", got " + n.scalar);
  return v;
}

double DeckReader::to_real(const TreeNode& n, const std::string& path, const Range& range) const {
  if (n.type == TreeNode::Type::Scalar && !n.quoted && is_nonfinite_word(n.scalar))
    fail(path, "must be a finite number, got " + n.scalar);
  if (n.type != TreeNode::Type::Scalar || n.quoted || !is_real_text(n.scalar))
    fail(path, "expected a number, got " + got(n));
  // The classic locale keeps '.' the decimal point whatever the process locale is.
  std::istringstream is(n.scalar);
  is.imbue(std::locale::classic());
  double v = 0;
  is >> v;
  if (!is || !std::isfinite(v)) fail(path, "number " + n.scalar + " is out of range");
  if (!in_range(v, range)) fail(path, "must be " + describe_range(range) + ", got " + n.scalar);
  return v;
}

int DeckReader::get_int(const std::string& path) const {
  TreeNode fallback;
  return static_cast<int>(to_int(value_of(path, fallback), path, spec_of(path).range));
}

std::uint64_t DeckReader::get_seed(const std::string& path) const {
  TreeNode fallback;
  const TreeNode& n = value_of(path, fallback);
  if (n.type != TreeNode::Type::Scalar || n.quoted || !is_integer_text(n.scalar))
    fail(path, "expected a non-negative integer, got " + got(n));
  if (n.scalar[0] == '-') fail(path, "must be >= 0, got " + n.scalar);
  errno = 0;
  const unsigned long long v = std::strtoull(n.scalar.c_str(), nullptr, 10);
  if (errno == ERANGE) fail(path, "integer " + n.scalar + " does not fit in 64 bits");
  return static_cast<std::uint64_t>(v);
}

double DeckReader::get_real(const std::string& path) const {
  TreeNode fallback;
  return to_real(value_of(path, fallback), path, spec_of(path).range);
}

std::string DeckReader::get_string(const std::string& path) const {
  TreeNode fallback;
  const TreeNode& n = value_of(path, fallback);
  if (n.type != TreeNode::Type::Scalar) fail(path, "expected a string, got " + describe_node(n));
  return n.scalar;
}

std::string DeckReader::get_enum(const std::string& path) const {
  const std::string v = get_string(path);
  const auto allowed = split_allowed(spec_of(path).allowed);
  for (const auto& a : allowed)
    if (v == a) return v;
  std::string list;
  for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
  const std::string guess = closest_match(v, allowed);
  fail(path, "invalid value '" + v + "' (allowed: " + list + (guess.empty() ? "" : "; did you mean '" + guess + "'?") + ")");
}

std::vector<TreeNode> DeckReader::list_of(const std::string& path, int dim, const char* what) const {
  TreeNode fallback;
  const TreeNode& n = value_of(path, fallback);
  if (n.type != TreeNode::Type::Seq) fail(path, std::string("expected a list of ") + what + ", got " + describe_node(n));
  const KeySpec& spec = spec_of(path);
  const auto len = static_cast<int>(n.items.size());
  if (spec.min_len == kLenDim && len != dim)
    fail(path, "must have " + std::to_string(dim) + " entries (one per dimension; problem.domain.lower has " +
                   std::to_string(dim) + "), got " + std::to_string(len));
  if (spec.min_len != kLenDim && (len < spec.min_len || len > spec.max_len))
    fail(path, "must have " + std::to_string(spec.min_len) + " to " + std::to_string(spec.max_len) + " entries, got " +
                   std::to_string(len));
  return n.items;
}

std::vector<int> DeckReader::get_ints(const std::string& path, int dim) const {
  std::vector<int> out;
  const auto items = list_of(path, dim, "integers");
  for (std::size_t i = 0; i < items.size(); ++i)
    out.push_back(static_cast<int>(to_int(items[i], path + "[" + std::to_string(i) + "]", spec_of(path).range)));
  return out;
}

std::vector<double> DeckReader::get_reals(const std::string& path, int dim) const {
  std::vector<double> out;
  const auto items = list_of(path, dim, "numbers");
  for (std::size_t i = 0; i < items.size(); ++i)
    out.push_back(to_real(items[i], path + "[" + std::to_string(i) + "]", spec_of(path).range));
  return out;
}

std::vector<std::string> DeckReader::get_faces(const std::string& path, int dim) const {
  TreeNode fallback;
  const TreeNode& n = value_of(path, fallback);
  if (n.type != TreeNode::Type::Scalar && n.type != TreeNode::Type::Seq)
    fail(path, "expected \"all\", a face name or a list of face names, got " + describe_node(n));
  const bool is_list = n.type == TreeNode::Type::Seq;
  const std::vector<TreeNode> items = is_list ? n.items : std::vector<TreeNode>{n};
  if (items.empty()) fail(path, "must name at least one face");
  const auto valid = face_names(dim);
  std::string valid_list = "all";
  for (const auto& f : valid) valid_list += ", " + f;
  std::vector<std::string> out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::string ip = is_list ? path + "[" + std::to_string(i) + "]" : path;
    if (items[i].type != TreeNode::Type::Scalar) fail(ip, "expected a face name, got " + describe_node(items[i]));
    const std::string& f = items[i].scalar;
    if (f == "all" && items.size() > 1) fail(ip, "'all' cannot be combined with other faces");
    if (f != "all" && std::find(valid.begin(), valid.end(), f) == valid.end())
      fail(ip, "unknown face '" + f + "' for a " + std::to_string(dim) + "-dimensional domain (valid: " + valid_list + ")");
    if (std::find(out.begin(), out.end(), f) != out.end()) fail(ip, "face '" + f + "' is listed twice");
    out.push_back(f);
  }
  return out;
}

}  // namespace npde::io::detail
