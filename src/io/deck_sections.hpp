// SPDX-License-Identifier: BSD-3-Clause
// Private to io/: the deck's sections read in files of their own, and the helpers they share with
// deck.cpp.
#pragma once

#include <sstream>
#include <string>

#include "io/deck_reader.hpp"
#include "npde/io/deck.hpp"

namespace npde::io::detail {

/// "path[i]": the key of entry i of a list.
inline std::string idx(const std::string& path, std::size_t i) { return path + "[" + std::to_string(i) + "]"; }

/// A number as a deck error message prints it.
inline std::string number(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

/// decomposition: method, subdomains, cuts, per-subdomain networks, interface terms (after problem,
/// network and training).
void read_decomposition(const DeckReader& r, Deck& d);
/// metalic: the family's parameter and values, rounds, selection (after the decomposition).
void read_metalic(const DeckReader& r, Deck& d);

}  // namespace npde::io::detail
