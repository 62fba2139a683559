// SPDX-License-Identifier: BSD-3-Clause
// Hostile-input fuzzing of deck validation through the app set-up (make_equation_problem with its trial functions,
// make_pinn_options, make_train_config).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "../../../fuzz/deck_mutator.hpp"
#include "npde/app/setup.hpp"
#include "npde/core/error.hpp"
#include "npde/io/deck.hpp"
#include "unit/io/deck_test_util.hpp"

namespace npde::app {
namespace {

const std::string kPath = "fuzz/deck.yaml";
constexpr double kMaxSecondsPerDeck = 2.0;

/// Outcome of one deck through parse_deck and, when it parses, the three set-up functions.
struct Verdict {
  bool parsed = false, set_up = false;
  std::string problem;  ///< contract violation, "" when the contract held
  double seconds = 0;
};

/// A set-up message must name the key: it starts with a deck section ("problem.boundary[1].value: ...").
std::string setup_message_problem(const std::string& msg) {
  std::string p = fuzz::message_problem(msg, "");
  if (!p.empty()) return p;
  for (const char* section : {"problem", "network", "training", "reference", "output"}) {
    const std::string s = section;
    if (msg.compare(0, s.size(), s) == 0 && msg.size() > s.size() && std::string(".:[").find(msg[s.size()]) != std::string::npos)
      return "";
  }
  return "message does not start with a deck key";
}

Verdict run(const std::string& text, const std::vector<std::string>& overrides) {
  Verdict v;
  const auto t0 = std::chrono::steady_clock::now();
  io::Deck deck;
  try {
    deck = io::parse_deck(text, kPath, overrides);
    v.parsed = true;
  } catch (const InputError& e) {
    v.problem = fuzz::message_problem(e.what(), kPath + ": ");
    if (!v.problem.empty()) v.problem += " (parse_deck): " + std::string(e.what());
  } catch (const std::exception& e) {
    v.problem = std::string("parse_deck threw an exception other than InputError: ") + e.what();
  } catch (...) {
    v.problem = "parse_deck threw an exception not derived from std::exception";
  }
  if (v.parsed) {
    try {
      if (has_neural_solver(deck.pde)) {
      const auto problem = make_equation_problem(deck);
      if (deck.has_training) check_trial_functions(problem);
    }
      (void)make_pinn_options(deck);
      (void)make_train_config(deck, true);
      v.set_up = true;
    } catch (const InputError& e) {
      v.problem = setup_message_problem(e.what());
      if (!v.problem.empty()) v.problem += " (set-up): " + std::string(e.what());
    } catch (const std::exception& e) {
      v.problem = std::string("set-up threw an exception other than InputError: ") + e.what();
    } catch (...) {
      v.problem = "set-up threw an exception not derived from std::exception";
    }
  }
  v.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return v;
}

/// Tallies verdicts; reports the first few violations with enough context to reproduce them.
struct Tally {
  int parsed = 0, set_up = 0, rejected = 0, violations = 0;
  double slowest = 0;

  void add(const Verdict& v, const std::string& what) {
    (v.set_up ? set_up : v.parsed ? parsed : rejected) += 1;
    slowest = std::max(slowest, v.seconds);
    if (!v.problem.empty() && ++violations <= 10) ADD_FAILURE() << what << ": " << v.problem;
    if (v.seconds > kMaxSecondsPerDeck) ADD_FAILURE() << what << ": took " << v.seconds << " s";
  }
  int total() const { return parsed + set_up + rejected; }
  void print(const char* name) const {
    std::printf("[%s] %d decks: %d through set-up, %d parsed but refused by set-up, %d rejected by parse_deck, "
                "%d contract violations; slowest %.3f s\n",
                name, total(), set_up, parsed, rejected, violations, slowest);
  }
};

/// Base decks for the sweeps: every key set (soft boundary conditions), and a hard one with two entries.
std::vector<std::string> base_decks() {
  return {io::test::full_deck(), R"yaml(problem:
  domain: {lower: [0, 0], upper: [1, 2]}
  source: "1"
  exact: "x*y"
  boundary:
    - {faces: [x-, x+], value: "0"}
    - {faces: [y-, y+], value: "0"}
training:
  stages: [{optimizer: lbfgs, iterations: 10}]
)yaml"};
}

// Every override key crossed with every hostile value, on alternating base decks: a deterministic sweep
// of single --set assignments, many of which pass parse_deck and reach the set-up functions.
TEST(ValidateFuzz, SingleOverrideSweepKeepsTheContract) {
  const auto bases = base_decks();
  Tally t;
  std::size_t i = 0;
  for (const auto& key : fuzz::override_keys())
    for (const auto& value : fuzz::hostile_values()) {
      const std::string set = key + "=" + value;
      t.add(run(bases[i++ % bases.size()], {set}), "--set '" + set + "'");
    }
  t.print("override sweep");
  EXPECT_EQ(t.violations, 0);
  EXPECT_EQ(std::size_t(t.total()), fuzz::override_keys().size() * fuzz::hostile_values().size());
  EXPECT_GT(t.set_up, 0);
  EXPECT_GT(t.rejected, 0);
}

// Expressions muParser finds tricky (ternaries, strings, separators, newlines) in every expression key.
TEST(ValidateFuzz, HostileExpressionsKeepTheContract) {
  const std::vector<std::string> expressions = {
      "sum(0?1,0,0:3)", "1?2:0?(7:1)", "1?(2:3)", "avg(0>3?4:(\"\"),0^3?4:(\"\"))", "sum(,1)", "0?1:2?3:4:5",
      "\"a\"", "1,2", "x=1", "_pi", "x?y", "min(1?2:3,4)", "(1?2:3)?4:5", "1/0", "sqrt(-1)", "x\n", "x\r\n+1",
      "\n", "", " ", "x y", "z", "x+", "((((((((((x))))))))))", "sin(x,y)", "max()", "1e400", "x^y^x^y", "#",
      std::string(1, '\0'), "\xff\xfe", "pi=3", "e", "rnd()", "x<y?x:y", "1&&2||0", "!x"};
  const std::vector<std::string> keys = {"problem.source", "problem.exact", "problem.boundary[0].value",
                                         "problem.boundary[1].value"};
  Tally t;
  for (const auto& base : base_decks())
    for (const auto& key : keys)
      for (const auto& e : expressions) {
        std::string quoted = "\"";
        for (char c : e) quoted += c == '"' ? std::string("\\\"") : c == '\n' ? std::string("\\n")
                                   : c == '\r' ? std::string("\\r") : std::string(1, c);
        t.add(run(base, {key + "=" + quoted + "\""}), key + "=" + e);
      }
  t.print("expression sweep");
  EXPECT_EQ(t.violations, 0);
  EXPECT_GT(t.set_up, 0);
  EXPECT_GT(t.rejected, 0);
}

TEST(ValidateFuzz, MutatedDecksThroughSetupKeepTheContract) {
  auto seeds = fuzz::read_yaml_files(std::string(NPDE_SOURCE_DIR) + "/inputs");
  for (const auto& b : base_decks()) seeds.push_back(b);
  fuzz::DeckMutator gen(seeds, 4242);
  Tally t;
  for (int i = 0; i < 3000; ++i) {
    const fuzz::FuzzCase c = gen.next();
    t.add(run(c.text, c.overrides), "case " + std::to_string(i) + " (" + c.recipe + ")");
  }
  t.print("mutated decks through set-up");
  EXPECT_EQ(t.violations, 0);
  EXPECT_GT(t.set_up, 0);
  EXPECT_GT(t.rejected, 0);
}

// Regression: a set-up message quoted an expression verbatim, so a YAML "\n" in it made the message
// span two lines. Hard conditions with a different expression per face are accepted (the transfinite
// lift); a broken expression holding a newline is refused (by parse_deck) in one line naming its key.
TEST(ValidateFuzz, BoundaryMessageStaysOneLine) {
  const std::string hard = base_decks()[1];
  const io::Deck ok = io::parse_deck(hard, kPath, {"problem.bc_enforcement=hard", "problem.boundary[1].value=\"x\\n\""});
  EXPECT_NO_THROW(check_trial_functions(make_equation_problem(ok)));
  try {
    const io::Deck bad = io::parse_deck(hard, kPath, {"problem.boundary[1].value=\"x\\n+\""});
    (void)make_equation_problem(bad);
    FAIL() << "a broken boundary expression was accepted";
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    EXPECT_NE(msg.find("problem.boundary[1].value: "), std::string::npos) << msg;
  }
}

}  // namespace
}  // namespace npde::app
