// SPDX-License-Identifier: BSD-3-Clause
// Schema-driven typed reads from a deck tree: structure checks, type and range checks, defaults.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "io/deck_schema.hpp"
#include "io/deck_tree.hpp"

namespace npde::io::detail {

/// Reads values by concrete key path ("training.stages[1].lr"). Every getter checks the value
/// against its schema row and throws InputError naming the path; an absent key yields the
/// schema default, or a "missing required key" error. Holds references: `root` must outlive it.
class DeckReader {
 public:
  DeckReader(const TreeNode& root, const std::string& deck_path) : m_root(root), m_deck_path(deck_path) {}

  /// Rejects unknown keys (with did-you-mean), non-map sections, non-list MapLists and
  /// missing required keys, everywhere in the tree.
  void check_structure() const;

  /// Node at `path`, or nullptr when absent.
  const TreeNode* find(const std::string& path) const;
  bool has(const std::string& path) const { return find(path) != nullptr; }
  /// Number of entries of a MapList (0 when absent).
  std::size_t count(const std::string& path) const;

  int get_int(const std::string& path) const;
  std::uint64_t get_seed(const std::string& path) const;
  double get_real(const std::string& path) const;
  std::string get_string(const std::string& path) const;
  /// An Enum value, checked against the allowed list.
  std::string get_enum(const std::string& path) const;
  /// Lists; `dim` is the length required by rows with min_len == kLenDim.
  std::vector<int> get_ints(const std::string& path, int dim) const;
  std::vector<double> get_reals(const std::string& path, int dim) const;
  /// problem.boundary[i].faces: {"all"} or face names valid for `dim`, without repeats.
  std::vector<std::string> get_faces(const std::string& path, int dim) const;

  /// Throws InputError "<deck>: <path>: <msg>" positioned at the node of `path` (or its nearest
  /// present ancestor).
  [[noreturn]] void fail(const std::string& path, const std::string& msg) const;

 private:
  void check_map(const TreeNode& map, const std::string& path, const std::string& schema_path) const;
  const KeySpec& spec_of(const std::string& path) const;
  /// The node to read: the deck's, or the schema default (stored in `fallback`).
  const TreeNode& value_of(const std::string& path, TreeNode& fallback) const;
  std::vector<TreeNode> list_of(const std::string& path, int dim, const char* what) const;
  long long to_int(const TreeNode& n, const std::string& path, const Range& range) const;
  double to_real(const TreeNode& n, const std::string& path, const Range& range) const;

  const TreeNode& m_root;
  const std::string& m_deck_path;
};

/// Face names of a dim-dimensional box, in order x-, x+, y-, y+, z-, z+.
std::vector<std::string> face_names(int dim);

}  // namespace npde::io::detail
