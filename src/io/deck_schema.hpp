// SPDX-License-Identifier: BSD-3-Clause
// The deck schema: one table of every key (path, type, default, allowed values, doc) used for validation.
#pragma once

#include <string>
#include <vector>

namespace npde::io::detail {

/// What a key holds. Section: a map of further keys; MapList: a list of maps whose keys are
/// listed under "<path>[]"; the rest are leaves.
enum class KeyKind { Section, MapList, String, Enum, Expression, Int, Seed, Real, IntList, RealList, Faces };

/// Closed/open numeric interval for a number or for each element of a list.
struct Range {
  double lo, hi;
  bool lo_open, hi_open;
};

/// Length of a list: [min_len, max_len], or exactly `dim` entries when min_len == kLenDim.
constexpr int kLenDim = -1;

/// One row of the schema table.
struct KeySpec {
  const char* path;      ///< schema path, e.g. "training.stages[].lr" ("[]" = any list index)
  KeyKind kind;
  bool required;
  const char* dflt;      ///< default as a YAML literal; nullptr = required, absent-is-meaningful or contextual
  const char* allowed;   ///< Enum values separated by '|', else nullptr
  Range range;           ///< numbers (or list elements)
  int min_len, max_len;  ///< lists only
  const char* only_for;  ///< stage keys: the optimizer; other keys: equations accepting it ("a|b"); nullptr: all
  const char* doc;       ///< one-line meaning, also shown in "missing required key" messages
};

/// The table, in document order (parents before children).
const std::vector<KeySpec>& deck_schema();
/// Row for a schema path, or nullptr.
const KeySpec* find_spec(const std::string& schema_path);
/// Rows whose parent is `schema_parent` ("" = top level), in table order.
std::vector<const KeySpec*> children_of(const std::string& schema_parent);

/// "training.stages[1].lr" -> "training.stages[].lr".
std::string schema_path_of(const std::string& concrete_path);
/// Joins a parent path and a key ("" + "a" -> "a").
std::string join_path(const std::string& parent, const std::string& key);
/// Values of an Enum row ("a|b" -> {"a", "b"}).
std::vector<std::string> split_allowed(const char* allowed);

/// Levenshtein distance, case-insensitive.
std::size_t edit_distance(const std::string& a, const std::string& b);
/// Closest candidate to `word` if it is close enough to be a plausible typo, else "".
std::string closest_match(const std::string& word, const std::vector<std::string>& candidates);

/// "> 0", ">= 0", "in [1, 4096]", ... ("" when unbounded).
std::string describe_range(const Range& r);
bool in_range(double v, const Range& r);

}  // namespace npde::io::detail
