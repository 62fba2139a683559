// SPDX-License-Identifier: BSD-3-Clause
// libFuzzer target: any bytes as a deck (plus --set overrides) must validate or raise one clean InputError line.
//
// Input format: the deck, then optionally overrides, each introduced by a line "--set":
//   problem: ...            <- deck text (everything before the first "\n--set\n")
//   --set
//   training.seed=3         <- one override per section, up to the next "\n--set\n"
// Any violation (other exception type, empty or multi-line message, missing prefix) aborts, so
// libFuzzer stores the input as a crash; hangs are caught by libFuzzer's -timeout.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

#include "deck_mutator.hpp"
#include "npde/app/setup.hpp"
#include "npde/core/error.hpp"
#include "npde/io/deck.hpp"

namespace {

const std::string kPath = "fuzz.yaml";
const std::string kMarker = "\n--set\n";
// More overrides add nothing the parser has not seen, only time per input.
constexpr std::size_t kMaxOverrides = 16;

[[noreturn]] void violation(const char* stage, const std::string& what) {
  std::fprintf(stderr, "npde deck contract violated in %s: %s\n", stage, what.c_str());
  std::abort();
}

/// Splits the input into deck text and overrides (see the file comment).
void split_input(const std::string& input, std::string& deck, std::vector<std::string>& overrides) {
  std::size_t at = input.find(kMarker);
  deck = input.substr(0, at);
  while (at != std::string::npos && overrides.size() < kMaxOverrides) {
    const std::size_t begin = at + kMarker.size();
    at = input.find(kMarker, begin);
    overrides.push_back(input.substr(begin, at == std::string::npos ? std::string::npos : at - begin));
  }
  if (!overrides.empty() && !overrides.back().empty() && overrides.back().back() == '\n') overrides.back().pop_back();
}

/// The set-up names the key first: "problem.boundary[1].value: ...".
bool names_a_key(const std::string& msg) {
  for (const std::string s : {"problem", "network", "training", "inverse", "reference", "dataset", "output"})
    if (msg.compare(0, s.size(), s) == 0 && msg.size() > s.size() && std::string(".:[").find(msg[s.size()]) != std::string::npos)
      return true;
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string deck_text;
  std::vector<std::string> overrides;
  split_input(std::string(reinterpret_cast<const char*>(data), size), deck_text, overrides);

  npde::io::Deck deck;
  try {
    deck = npde::io::parse_deck(deck_text, kPath, overrides);
  } catch (const npde::InputError& e) {
    const std::string problem = npde::fuzz::message_problem(e.what(), kPath + ": ");
    if (!problem.empty()) violation("parse_deck", problem + ": " + e.what());
    return 0;
  } catch (const std::exception& e) {
    violation("parse_deck", std::string("exception other than InputError: ") + e.what());
  } catch (...) {
    violation("parse_deck", "exception not derived from std::exception");
  }

  try {
    if (npde::app::has_neural_solver(deck.pde)) {
      const auto problem = npde::app::make_equation_problem(deck);
      if (deck.has_training) npde::app::check_trial_functions(problem);
    }
    (void)npde::app::make_pinn_options(deck);
    (void)npde::app::make_train_config(deck, true);
  } catch (const npde::InputError& e) {
    const std::string problem = npde::fuzz::message_problem(e.what(), "");
    if (!problem.empty()) violation("set-up", problem + ": " + e.what());
    if (!names_a_key(e.what())) violation("set-up", std::string("message does not name a deck key: ") + e.what());
  } catch (const std::exception& e) {
    violation("set-up", std::string("exception other than InputError: ") + e.what());
  } catch (...) {
    violation("set-up", "exception not derived from std::exception");
  }
  return 0;
}
