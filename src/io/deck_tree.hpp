// SPDX-License-Identifier: BSD-3-Clause
// A plain YAML tree with source positions, built from yaml-cpp, that --set overrides can edit safely.
#pragma once

#include <string>
#include <vector>

namespace npde::io::detail {

/// One YAML value. Unlike yaml-cpp nodes it owns its children (aliases are copied), keeps
/// duplicate-free maps in file order and remembers where each value came from.
struct TreeNode {
  enum class Type { Null, Scalar, Map, Seq };
  Type type = Type::Null;
  std::string scalar;             ///< Scalar text
  bool quoted = false;            ///< Scalar was quoted or tagged: never a number or bool
  int line = 0, column = 0;       ///< 1-based position in the deck; 0 when it came from --set
  std::string origin;             ///< the --set assignment that produced it, else empty
  std::vector<std::string> keys;  ///< Map keys (unique), parallel to `items`
  std::vector<int> key_lines;     ///< Map key lines, parallel to `keys`
  std::vector<TreeNode> items;    ///< Map values or Seq entries

  /// Value of `key` in a Map, or nullptr (also for non-maps).
  const TreeNode* find(const std::string& key) const;
  TreeNode* find(const std::string& key);
};

/// Nesting deeper than this is rejected; the schema itself is 4 levels deep.
constexpr int kMaxDepth = 16;

/// Parses the deck text. Throws InputError ("<deck_path>: ...") on YAML syntax errors (with
/// line/column), empty text, several documents, a non-map top level, duplicate keys,
/// non-scalar keys and nesting deeper than kMaxDepth.
TreeNode parse_tree(const std::string& text, const std::string& deck_path);

/// A schema default (a YAML literal such as "[64, 64, 64]") as a tree without position.
TreeNode parse_default(const char* yaml_literal);

/// Applies one "--set a.b[1].c=value" assignment (value parsed as YAML). The key path is
/// checked against the schema (unknown key -> did-you-mean error). Throws InputError.
void apply_override(TreeNode& root, const std::string& assignment, const std::string& deck_path);

/// "a map", "a list", "nothing", "the string 'x'", ... for type-mismatch messages.
std::string describe_node(const TreeNode& node);

/// Throws InputError("<deck_path>: <msg>") with the position of `at` appended
/// ("[line N]" or "[from --set ...]"); newlines in msg become spaces so the message is one line.
[[noreturn]] void throw_at(const std::string& deck_path, const TreeNode* at, const std::string& msg);

/// The did-you-mean message for `key` under concrete path `parent` (schema parent `schema_parent`).
std::string unknown_key_message(const std::string& parent, const std::string& schema_parent, const std::string& key);

}  // namespace npde::io::detail
