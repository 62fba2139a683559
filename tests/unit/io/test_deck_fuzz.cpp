// SPDX-License-Identifier: BSD-3-Clause
// Hostile-input fuzzing of parse_deck: every mutated deck is accepted, or rejected with one clean InputError line.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "../../../fuzz/deck_mutator.hpp"
#include "deck_test_util.hpp"
#include "npde/core/error.hpp"
#include "npde/io/deck.hpp"

namespace npde::io {
namespace {

const std::string kPath = "fuzz/deck.yaml";
// A deck is parsed in well under a millisecond; seconds would mean a hang in disguise.
constexpr double kMaxSecondsPerDeck = 2.0;
constexpr int kCases = 10500;

struct Verdict {
  bool accepted = false;
  std::string problem;  ///< contract violation, "" when the contract held
  double seconds = 0;
};

Verdict parse(const std::string& text, const std::vector<std::string>& overrides) {
  Verdict v;
  const auto t0 = std::chrono::steady_clock::now();
  try {
    (void)parse_deck(text, kPath, overrides);
    v.accepted = true;
  } catch (const InputError& e) {
    v.problem = fuzz::message_problem(e.what(), kPath + ": ");
    if (!v.problem.empty()) v.problem += ": " + std::string(e.what());
  } catch (const std::exception& e) {
    v.problem = std::string("exception other than InputError: ") + e.what();
  } catch (...) {
    v.problem = "exception not derived from std::exception";
  }
  v.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return v;
}

/// The first bytes of a deck, escaped, so a failure message can be turned into a regression case.
std::string excerpt(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size() && i < 300; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + (s.size() > 300 ? "...(" + std::to_string(s.size()) + " bytes)" : "");
}

/// inputs/*.yaml, the test decks, and the libFuzzer seed decks that carry no --set section.
std::vector<std::string> seed_decks() {
  auto seeds = fuzz::read_yaml_files(std::string(NPDE_SOURCE_DIR) + "/inputs");
  seeds.push_back(test::full_deck());
  seeds.push_back(test::minimal_deck());
  for (const auto& s : fuzz::read_yaml_files(std::string(NPDE_SOURCE_DIR) + "/fuzz/corpus"))
    if (s.find("\n--set\n") == std::string::npos) seeds.push_back(s);
  return seeds;
}

TEST(DeckFuzz, SeedDecksAreAccepted) {
  const auto seeds = seed_decks();
  ASSERT_GE(seeds.size(), 5u) << "inputs/*.yaml or fuzz/corpus/*.yaml not found under " << NPDE_SOURCE_DIR;
  for (const auto& s : seeds) EXPECT_TRUE(parse(s, {}).accepted) << test::deck_error(s);
}

TEST(DeckFuzz, MutatorIsDeterministic) {
  fuzz::DeckMutator a(seed_decks(), 7), b(seed_decks(), 7);
  for (int i = 0; i < 200; ++i) {
    const auto ca = a.next(), cb = b.next();
    ASSERT_EQ(ca.text, cb.text) << "case " << i;
    ASSERT_EQ(ca.overrides, cb.overrides) << "case " << i;
  }
}

TEST(DeckFuzz, MutatedDecksAreAcceptedOrRejectedWithOneLine) {
  fuzz::DeckMutator gen(seed_decks(), 20240601);
  int accepted = 0, rejected = 0, violations = 0;
  double slowest = 0;
  std::string slowest_recipe;
  for (int i = 0; i < kCases; ++i) {
    const fuzz::FuzzCase c = gen.next();
    const Verdict v = parse(c.text, c.overrides);
    (v.accepted ? accepted : rejected) += 1;
    if (v.seconds > slowest) {
      slowest = v.seconds;
      slowest_recipe = c.recipe;
    }
    if (!v.problem.empty() && ++violations <= 10) {
      std::string sets;
      for (const auto& o : c.overrides) sets += " --set '" + excerpt(o) + "'";
      ADD_FAILURE() << "case " << i << " (" << c.recipe << "): " << v.problem << "\n  deck: " << excerpt(c.text)
                    << "\n  overrides:" << sets;
    }
  }
  std::printf("[deck fuzz] %d decks: %d accepted, %d rejected, %d contract violations; slowest %.3f s (%s)\n",
              accepted + rejected, accepted, rejected, violations, slowest, slowest_recipe.c_str());
  EXPECT_EQ(violations, 0);
  EXPECT_GE(accepted + rejected, 10000);
  EXPECT_GT(accepted, 0) << "no mutated deck was valid: the mutator only tests the first syntax check";
  EXPECT_GT(rejected, 0);
  EXPECT_LT(slowest, kMaxSecondsPerDeck) << "slowest recipe: " << slowest_recipe;
}

/// Each hostile shape named in the fuzzing brief once, independent of what the random mutator draws.
TEST(DeckFuzz, NamedHostileInputsKeepTheContract) {
  const std::string full = test::full_deck();
  std::string bomb = "l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
  for (int i = 1; i < 10; ++i) {
    const std::string prev = "*l" + std::to_string(i - 1);
    bomb += "l" + std::to_string(i) + ": &l" + std::to_string(i) + " [" + prev;
    for (int k = 1; k < 10; ++k) bomb += ", " + prev;
    bomb += "]\n";
  }
  std::string deep_map;
  for (int i = 0; i < 5000; ++i) deep_map += "{a: ";
  deep_map += "1" + std::string(5000, '}');
  const std::vector<std::pair<const char*, std::string>> cases = {
      {"empty", ""},
      {"only_comments", "# nothing\n# here\n"},
      {"nul_bytes", std::string("problem:\0\0 1\n", 13)},
      {"utf16_bom", "\xff\xfe" + full},
      {"lone_continuation_byte", test::replaced(full, "pde: poisson", "pde: pois\x80son")},
      {"tabs", test::replaced(full, "  pde: poisson", "\tpde: poisson")},
      {"deep_list", std::string(5000, '[') + std::string(5000, ']')},
      {"deep_map", deep_map},
      {"deep_value", test::replaced(full, "layers: [32, 16]", "layers: " + std::string(3000, '[') + std::string(3000, ']'))},
      {"billion_laughs", bomb + full},
      {"huge_int", test::replaced(full, "interior: 1000", "interior: 9223372036854775808")},
      {"huge_real", test::replaced(full, "lr: 0.5", "lr: 1e400")},
      {"nan", test::replaced(full, "lr: 0.5", "lr: .nan")},
      {"negative", test::replaced(full, "seed: 42", "seed: -42")},
      {"one_mb_string", test::replaced(full, "file: result.h5", "file: " + std::string(1 << 20, 'f'))},
      {"one_mb_expression", test::replaced(full, "value: \"x*y\"", "value: \"" + std::string(1 << 20, '(') + "\"")},
  };
  for (const auto& [name, text] : cases) {
    const Verdict v = parse(text, {});
    EXPECT_TRUE(v.problem.empty()) << name << ": " << v.problem;
    EXPECT_LT(v.seconds, kMaxSecondsPerDeck) << name;
  }
  const std::vector<std::vector<std::string>> sets = {
      {"training.seed"},                  // missing '='
      {"=3"},
      {"training.stages[7].lr=1"},        // index out of range
      {"training.stages[9999999].lr=1"},  // index too long
      {"network.layers=[8, [9]]"},
      {"problem.boundary[0]={faces: all, value: \"0\"}", "problem.boundary[1]="},
      {"trainig.seed=3"},
      {std::string("output.file=a\nb\0c", 17)},
      {"problem.source=\"x\n\""},
  };
  for (const auto& s : sets) {
    const Verdict v = parse(full, s);
    EXPECT_TRUE(v.problem.empty()) << s.front() << ": " << v.problem;
  }
}

// Regression: yaml-cpp 0.7's LoadAll loops forever on a ',' outside brackets at document level,
// collecting empty documents until memory runs out (std::bad_alloc after seconds, or the OOM killer).
TEST(DeckFuzz, StrayCommaIsASyntaxErrorNotAnEndlessDocumentList) {
  const std::string full = test::full_deck();
  for (const std::string& text : {std::string(","), std::string("!,"), std::string("- 1\n,"), std::string("\"a\","),
                                 std::string("\n...\n,"), full + ",\n", "# comment\n...\n,\n" + full}) {
    const Verdict v = parse(text, {});
    EXPECT_TRUE(v.problem.empty()) << v.problem;
    EXPECT_LT(v.seconds, 0.5);
    EXPECT_NE(test::deck_error(text).find("YAML syntax error at line"), std::string::npos) << test::deck_error(text);
  }
  std::string many;  // 100 empty documents are no deck either, and are stopped the same way
  for (int i = 0; i < 100; ++i) many += "---\n";
  EXPECT_NE(test::deck_error(many + full).find("more than 64 YAML documents"), std::string::npos);
}

// Regression: the value-count limit let a long string referenced 16 * 16 * 64 times through (16,384
// values, 1 GiB of copies); the reader now also bounds the bytes it expands.
TEST(DeckFuzz, AliasedLongStringIsBoundedInBytes) {
  std::string bomb = "s: &s \"" + std::string(64 * 1024, 'z') + "\"\nt: &t [*s";
  for (int k = 1; k < 16; ++k) bomb += ", *s";
  bomb += "]\nu: &u [*t";
  for (int k = 1; k < 16; ++k) bomb += ", *t";
  bomb += "]\nv: [*u";
  for (int k = 1; k < 64; ++k) bomb += ", *u";
  bomb += "]\n";
  const Verdict v = parse(bomb + test::full_deck(), {});
  EXPECT_TRUE(v.problem.empty()) << v.problem;
  EXPECT_LT(v.seconds, kMaxSecondsPerDeck);
  EXPECT_NE(test::deck_error(bomb + test::full_deck()).find("add up to more than 32 MiB"), std::string::npos);
}

}  // namespace
}  // namespace npde::io
