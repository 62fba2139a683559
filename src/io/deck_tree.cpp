// SPDX-License-Identifier: BSD-3-Clause
// YAML text -> TreeNode (with positions, duplicate-key and depth checks) and --set overrides.
#include "io/deck_tree.hpp"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>
#include <yaml-cpp/yaml.h>

#include <cctype>
#include <set>
#include <sstream>

#include "io/deck_schema.hpp"
#include "npde/core/error.hpp"

namespace npde::io::detail {

namespace {

// Aliases are copied into the tree, so a "billion laughs" deck would expand without bound: in
// the number of values, or in bytes when one long string is referenced many times.
constexpr std::size_t kMaxValues = 100000;
constexpr std::size_t kMaxValueBytes = std::size_t(32) << 20;
// More documents than this means yaml-cpp is stuck (see DocumentCounter), not a real deck.
constexpr int kMaxDocuments = 64;

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  const auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

std::string one_line(std::string s) {
  for (auto& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  return s;
}

[[noreturn]] void fail(const std::string& deck_path, const std::string& msg) {
  throw InputError(one_line(deck_path + ": " + msg));
}

/// yaml-cpp node -> TreeNode, recursively; `origin` marks values that came from --set.
class Converter {
 public:
  /// [in] origin: the --set assignment the value came from ("" = the deck file, with positions);
  /// [in] positions: record line/column (off for built-in defaults, which have no place in the file).
  Converter(const std::string& deck_path, const std::string& origin, bool positions)
      : m_deck_path(deck_path), m_origin(origin), m_positions(positions) {}

  TreeNode convert(const YAML::Node& n, const std::string& path, int depth) {
    TreeNode out;
    if (m_positions) {
      const YAML::Mark m = n.Mark();
      out.line = m.line >= 0 ? m.line + 1 : 0;
      out.column = m.column >= 0 ? m.column + 1 : 0;
    }
    out.origin = m_origin;
    if (++m_count > kMaxValues)
      throw_at(m_deck_path, &out, "the deck expands to more than " + std::to_string(kMaxValues) +
                                      " values (recursive anchors/aliases?)");
    if ((n.IsMap() || n.IsSequence()) && depth > kMaxDepth)
      throw_at(m_deck_path, &out, "'" + (path.empty() ? std::string("(top level)") : path) +
                                      "': nesting deeper than " + std::to_string(kMaxDepth) + " levels");
    if (n.IsScalar()) {
      out.type = TreeNode::Type::Scalar;
      out.scalar = n.Scalar();
      count_bytes(out.scalar.size(), out);
      // yaml-cpp tags plain scalars "?" and quoted ones "!": a quoted "5" stays a string.
      out.quoted = n.Tag() == "!" || n.Tag() == "tag:yaml.org,2002:str";
    } else if (n.IsSequence()) {
      out.type = TreeNode::Type::Seq;
      std::size_t i = 0;
      for (const auto& item : n) out.items.push_back(convert(item, path + "[" + std::to_string(i++) + "]", depth + 1));
    } else if (n.IsMap()) {
      out.type = TreeNode::Type::Map;
      std::set<std::string> seen;
      for (const auto& kv : n) {
        const YAML::Node k = kv.first;  // copies: the iterator yields a temporary pair
        const int key_line = m_positions && k.Mark().line >= 0 ? k.Mark().line + 1 : 0;
        if (!k.IsScalar()) {
          TreeNode where;
          where.line = key_line;
          where.origin = m_origin;
          throw_at(m_deck_path, &where, "'" + (path.empty() ? std::string("(top level)") : path) +
                                            "': map keys must be plain names");
        }
        const std::string key = k.Scalar();
        count_bytes(key.size(), out);
        const std::string key_path = join_path(path, key);
        if (!seen.insert(key).second) {
          int first_line = 0;
          for (std::size_t j = 0; j < out.keys.size(); ++j)
            if (out.keys[j] == key) first_line = out.key_lines[j];
          std::ostringstream os;
          os << "duplicate key '" << key_path << "'";
          if (first_line > 0 && key_line > 0) os << " (lines " << first_line << " and " << key_line << ")";
          fail(m_deck_path, os.str());
        }
        out.keys.push_back(key);
        out.key_lines.push_back(key_line);
        out.items.push_back(convert(kv.second, key_path, depth + 1));
      }
    }  // else: Null or undefined stays Type::Null
    return out;
  }

 private:
  void count_bytes(std::size_t n, const TreeNode& at) {
    m_bytes += n;
    if (m_bytes > kMaxValueBytes)
      throw_at(m_deck_path, &at, "the deck's keys and values add up to more than " +
                                     std::to_string(kMaxValueBytes >> 20) + " MiB (recursive anchors/aliases?)");
  }

  std::string m_deck_path;
  std::string m_origin;
  bool m_positions;
  std::size_t m_count = 0;
  std::size_t m_bytes = 0;
};

/// Counts documents without building nodes. yaml-cpp 0.7 never consumes a ',' outside brackets at
/// document level ("a,", "- 1\n,"): it reports empty documents at that spot forever, and
/// YAML::LoadAll collects them until memory runs out.
class DocumentCounter : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override {
    m_stuck = m_documents > 0 && mark.pos == m_last.pos;
    m_last = mark;
    ++m_documents;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}

  int documents() const { return m_documents; }
  bool stuck() const { return m_stuck; }
  const YAML::Mark& last() const { return m_last; }

 private:
  int m_documents = 0;
  bool m_stuck = false;
  YAML::Mark m_last = YAML::Mark::null_mark();
};

/// Rejects text that yaml-cpp would turn into an endless list of documents, before LoadAll runs.
/// YAML exceptions propagate to the caller, which words them.
void check_document_count(const std::string& text, const std::string& deck_path) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentCounter counter;
  while (parser.HandleNextDocument(counter)) {
    if (counter.stuck() || counter.documents() > kMaxDocuments) {
      std::ostringstream os;
      os << "YAML syntax error at line " << counter.last().line + 1 << ", column " << counter.last().column + 1
         << (counter.stuck() ? ": the YAML reader cannot get past this point (a ',' outside [] or {}?)"
                             : ": more than " + std::to_string(kMaxDocuments) + " YAML documents");
      fail(deck_path, os.str());
    }
  }
}

std::string yaml_error(const YAML::Exception& e, bool with_position) {
  std::ostringstream os;
  if (with_position && e.mark.line >= 0)
    os << " at line " << e.mark.line + 1 << ", column " << e.mark.column + 1;
  os << ": " << e.msg;
  return os.str();
}

/// One step of a --set key path: a map key or a list index.
struct Segment {
  std::string name;
  long index = -1;
};

bool all_digits(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

/// "a.b[1].c" or "a.b.1.c" -> segments; false when malformed.
bool split_key(const std::string& key, std::vector<Segment>& out) {
  std::istringstream is(key);
  std::string piece;
  if (key.empty() || key.back() == '.') return false;
  while (std::getline(is, piece, '.')) {
    const auto br = piece.find('[');
    const std::string name = piece.substr(0, br);
    if (all_digits(name)) {
      if (name.size() > 6) return false;
      out.push_back({"", std::stol(name)});
    } else if (!name.empty()) {
      out.push_back({name, -1});
    } else if (br != 0) {
      return false;  // empty piece: "a..b"
    }
    for (auto pos = br; pos != std::string::npos; pos = piece.find('[', pos)) {
      const auto close = piece.find(']', pos);
      if (close == std::string::npos) return false;
      const std::string idx = piece.substr(pos + 1, close - pos - 1);
      if (!all_digits(idx) || idx.size() > 6) return false;
      out.push_back({"", std::stol(idx)});
      pos = close + 1;
      if (pos < piece.size() && piece[pos] != '[') return false;
      if (pos >= piece.size()) break;
    }
  }
  return !out.empty() && out.front().index < 0;
}

}  // namespace

const TreeNode* TreeNode::find(const std::string& key) const {
  if (type != Type::Map) return nullptr;
  for (std::size_t i = 0; i < keys.size(); ++i)
    if (keys[i] == key) return &items[i];
  return nullptr;
}

TreeNode* TreeNode::find(const std::string& key) {
  return const_cast<TreeNode*>(static_cast<const TreeNode&>(*this).find(key));
}

std::string describe_node(const TreeNode& node) {
  switch (node.type) {
    case TreeNode::Type::Null: return "nothing (null)";
    case TreeNode::Type::Map: return "a map";
    case TreeNode::Type::Seq: return "a list";
    case TreeNode::Type::Scalar: break;
  }
  return (node.quoted ? "the string '" : "'") + node.scalar + "'";
}

void throw_at(const std::string& deck_path, const TreeNode* at, const std::string& msg) {
  std::string full = deck_path + ": " + msg;
  if (at && !at->origin.empty())
    full += " [from --set " + at->origin + "]";
  else if (at && at->line > 0)
    full += " [line " + std::to_string(at->line) + "]";
  throw InputError(one_line(full));
}

std::string unknown_key_message(const std::string& parent, const std::string& schema_parent, const std::string& key) {
  std::vector<std::string> names;
  for (const auto* s : children_of(schema_parent)) {
    const std::string p = s->path;
    names.push_back(p.substr(schema_parent.empty() ? 0 : schema_parent.size() + 1));
  }
  std::string msg = "unknown key '" + join_path(parent, key) + "'";
  const std::string guess = closest_match(key, names);
  if (!guess.empty()) return msg + " (did you mean '" + join_path(parent, guess) + "'?)";
  // A valid key put in the wrong section: point at where it belongs (every such section).
  std::string homes;
  for (const auto& s : deck_schema()) {
    const std::string p = s.path;
    const auto dot = p.rfind('.');
    if (dot != std::string::npos && p.substr(dot + 1) == key && p.substr(0, dot) != schema_parent)
      homes += (homes.empty() ? "'" : " or '") + p.substr(0, dot) + "'";
  }
  if (!homes.empty()) return msg + " ('" + key + "' belongs in " + homes + ")";
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
  return msg + " (valid keys here: " + list + ")";
}

TreeNode parse_tree(const std::string& text, const std::string& deck_path) {
  std::vector<YAML::Node> docs;
  try {
    check_document_count(text, deck_path);
    docs = YAML::LoadAll(text);
  } catch (const YAML::DeepRecursion& e) {
    fail(deck_path, "nesting deeper than " + std::to_string(kMaxDepth) + " levels (the YAML reader stopped at depth " +
                        std::to_string(e.depth()) + ", line " + std::to_string(e.mark.line + 1) + ")");
  } catch (const YAML::ParserException& e) {
    fail(deck_path, "YAML syntax error" + yaml_error(e, true));
  } catch (const YAML::Exception& e) {
    fail(deck_path, "cannot read YAML" + yaml_error(e, true));
  }
  // A trailing "---" yields an empty extra document; only real extra content is an error.
  while (docs.size() > 1 && docs.back().IsNull()) docs.pop_back();
  if (docs.empty() || docs.front().IsNull()) fail(deck_path, "the deck is empty");
  if (docs.size() > 1)
    fail(deck_path, "the deck holds " + std::to_string(docs.size()) + " YAML documents; it must be one ('---' separates documents)");
  Converter conv(deck_path, "", true);
  TreeNode root = conv.convert(docs.front(), "", 1);
  if (root.type != TreeNode::Type::Map)
    throw_at(deck_path, &root, "the top level must be a map of sections (problem, network, training, reference, output), got " +
                                   describe_node(root));
  return root;
}

TreeNode parse_default(const char* yaml_literal) {
  Converter conv("(schema default)", "", false);
  return conv.convert(YAML::Load(yaml_literal), "", 1);
}

void apply_override(TreeNode& root, const std::string& assignment, const std::string& deck_path) {
  const std::string head = "--set '" + assignment + "': ";
  const auto eq = assignment.find('=');
  std::vector<Segment> segs;
  if (eq == std::string::npos || !split_key(trim(assignment.substr(0, eq)), segs))
    fail(deck_path, head + "expected key=value with a dotted key, e.g. training.seed=3 or training.stages[0].lr=1e-4");

  // 1. Check the key path against the schema, so a typo gets the same did-you-mean as in the file.
  std::string sp, cp;
  for (std::size_t i = 0; i < segs.size(); ++i) {
    const KeySpec* cur = sp.empty() ? nullptr : find_spec(sp);
    if (segs[i].index >= 0) {
      if (!cur || cur->kind != KeyKind::MapList) fail(deck_path, head + "'" + cp + "' is not a list");
      sp += "[]";
      cp += "[" + std::to_string(segs[i].index) + "]";
      continue;
    }
    if (cur && cur->kind == KeyKind::MapList)
      fail(deck_path, head + "'" + cp + "' is a list: give an index, e.g. " + cp + "[0]." + segs[i].name);
    if (cur && cur->kind != KeyKind::Section)
      fail(deck_path, head + "'" + cp + "' is a value, not a section");
    const KeySpec* next = find_spec(join_path(sp, segs[i].name));
    if (!next || segs[i].name.find_first_of("[]") != std::string::npos)
      fail(deck_path, head + unknown_key_message(cp, sp, segs[i].name));
    sp = join_path(sp, segs[i].name);
    cp = join_path(cp, segs[i].name);
  }

  // 2. Parse the value as YAML ("[128, 128]" is a list); an empty value is the empty string.
  TreeNode value;
  const std::string text = assignment.substr(eq + 1);
  if (trim(text).empty()) {
    value.type = TreeNode::Type::Scalar;
    value.quoted = true;
    value.origin = assignment;
  } else {
    YAML::Node parsed;
    try {
      parsed = YAML::Load(text);
    } catch (const YAML::Exception& e) {
      fail(deck_path, head + "cannot parse the value" + yaml_error(e, false));
    }
    Converter conv(deck_path, assignment, false);
    value = conv.convert(parsed, cp, 1);
  }

  // 3. Walk the tree, creating missing sections / list entries, and replace the target.
  TreeNode* node = &root;
  std::string walked;
  for (std::size_t i = 0; i < segs.size(); ++i) {
    const bool last = i + 1 == segs.size();
    TreeNode fresh;
    fresh.origin = assignment;
    fresh.type = !last && segs[i + 1].index >= 0 ? TreeNode::Type::Seq : TreeNode::Type::Map;
    if (last) fresh = value;
    if (segs[i].index < 0) {
      if (node->type == TreeNode::Type::Null) node->type = TreeNode::Type::Map;
      if (node->type != TreeNode::Type::Map)
        fail(deck_path, head + "'" + walked + "' is " + describe_node(*node) + " in the deck, not a map");
      TreeNode* child = node->find(segs[i].name);
      if (!child) {
        node->keys.push_back(segs[i].name);
        node->key_lines.push_back(0);
        node->items.push_back(fresh);
        child = &node->items.back();
      } else if (last) {
        *child = fresh;
      }
      node = child;
      walked = join_path(walked, segs[i].name);
    } else {
      if (node->type == TreeNode::Type::Null) node->type = TreeNode::Type::Seq;
      if (node->type != TreeNode::Type::Seq)
        fail(deck_path, head + "'" + walked + "' is " + describe_node(*node) + " in the deck, not a list");
      const auto idx = static_cast<std::size_t>(segs[i].index);
      if (idx > node->items.size())
        fail(deck_path, head + "index " + std::to_string(idx) + " is out of range: '" + walked + "' has " +
                            std::to_string(node->items.size()) + " entries (an index equal to the count appends one)");
      if (idx == node->items.size())
        node->items.push_back(fresh);
      else if (last)
        node->items[idx] = fresh;
      node = &node->items[idx];
      walked += "[" + std::to_string(idx) + "]";
    }
  }
}

}  // namespace npde::io::detail
