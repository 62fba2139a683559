// SPDX-License-Identifier: BSD-3-Clause
// parse_deck on valid decks: values, defaults, dimensions, --set overrides and the documentation.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "../../../src/io/deck_schema.hpp"  // private schema table: every key must be documented
#include "deck_test_util.hpp"

namespace npde::io {
namespace {

using test::deck_error;
using test::full_deck;
using test::minimal_deck;

TEST(ParseDeck, FullDeckValues) {
  const Deck d = parse_deck(full_deck(), "full.yaml");
  EXPECT_EQ(d.path, "full.yaml");
  EXPECT_EQ(d.text, full_deck());
  EXPECT_TRUE(d.overrides.empty());
  EXPECT_EQ(d.pde, "poisson");
  EXPECT_EQ(d.dim, 2);
  EXPECT_EQ(d.lower, (std::vector<double>{-1, 0}));
  EXPECT_EQ(d.upper, (std::vector<double>{1, 2}));
  EXPECT_EQ(d.source, "2*pi^2*sin(pi*x)*sin(pi*y)");
  ASSERT_TRUE(d.exact.has_value());
  EXPECT_EQ(*d.exact, "sin(pi*x)*sin(pi*y)");
  ASSERT_EQ(d.boundary.size(), 2u);
  EXPECT_EQ(d.boundary[0].faces, (std::vector<std::string>{"x-", "x+"}));
  EXPECT_EQ(d.boundary[1].faces, (std::vector<std::string>{"y-", "y+"}));
  EXPECT_EQ(d.boundary[1].type, "dirichlet");
  EXPECT_EQ(d.boundary[1].value, "x*y");
  EXPECT_EQ(d.bc_enforcement, "soft");
  EXPECT_EQ(d.layers, (std::vector<int>{32, 16}));
  EXPECT_EQ(d.activation, "sin");
  EXPECT_EQ(d.precision, "float");
  EXPECT_EQ(d.seed, 42u);
  EXPECT_EQ(d.n_interior, 1000);
  EXPECT_EQ(d.n_boundary, 200);
  EXPECT_EQ(d.sampler, "lhs");
  EXPECT_EQ(d.resample_every, 50);
  EXPECT_EQ(d.weight_pde, 2.0);
  EXPECT_EQ(d.weight_bc, 10.0);
  ASSERT_EQ(d.stages.size(), 2u);
  const StageSpec& a = d.stages[0];
  EXPECT_EQ(a.optimizer, "adam");
  EXPECT_EQ(a.iterations, 300);
  EXPECT_EQ(a.lr, 5e-3);
  EXPECT_EQ(a.decay, "exponential");
  EXPECT_EQ(a.decay_rate, 0.5);
  EXPECT_EQ(a.decay_steps, 100);
  EXPECT_EQ(a.beta1, 0.8);
  EXPECT_EQ(a.beta2, 0.99);
  EXPECT_EQ(a.eps, 1e-7);
  const StageSpec& l = d.stages[1];
  EXPECT_EQ(l.optimizer, "lbfgs");
  EXPECT_EQ(l.iterations, 40);
  EXPECT_EQ(l.lr, 0.5);
  EXPECT_EQ(l.history, 20);
  EXPECT_EQ(l.tolerance_grad, 1e-9);
  EXPECT_EQ(l.tolerance_change, 1e-12);
  EXPECT_EQ(l.max_line_search, 10);
  EXPECT_EQ(d.log_every, 10);
  EXPECT_TRUE(d.has_reference);
  EXPECT_EQ(d.reference_grid, (std::vector<int>{33, 17}));
  EXPECT_EQ(d.reference_petsc, "-ksp_type cg -pc_type gamg");
  EXPECT_EQ(d.output_file, "result.h5");
  EXPECT_EQ(d.output_grid, (std::vector<int>{21, 11}));
}

// The schema table's defaults must agree with the member initializers in deck.hpp.
TEST(ParseDeck, DefaultsMatchHeader) {
  const Deck d = parse_deck(minimal_deck(), "min.yaml");
  const Deck ref;
  EXPECT_EQ(d.pde, ref.pde);
  EXPECT_EQ(d.bc_enforcement, ref.bc_enforcement);
  EXPECT_FALSE(d.exact.has_value());
  EXPECT_EQ(d.boundary[0].faces, (std::vector<std::string>{"all"}));
  EXPECT_EQ(d.boundary[0].type, BoundarySpec{}.type);
  EXPECT_EQ(d.layers, ref.layers);
  EXPECT_EQ(d.activation, ref.activation);
  EXPECT_EQ(d.precision, ref.precision);
  EXPECT_EQ(d.seed, ref.seed);
  EXPECT_EQ(d.n_interior, ref.n_interior);
  EXPECT_EQ(d.n_boundary, ref.n_boundary);
  EXPECT_EQ(d.sampler, ref.sampler);
  EXPECT_EQ(d.resample_every, ref.resample_every);
  EXPECT_EQ(d.weight_pde, ref.weight_pde);
  EXPECT_EQ(d.weight_bc, ref.weight_bc);
  EXPECT_EQ(d.log_every, ref.log_every);
  EXPECT_FALSE(d.has_reference);
  EXPECT_EQ(d.reference_grid, (std::vector<int>{65, 65}));
  EXPECT_EQ(d.reference_petsc, "");
  EXPECT_EQ(d.output_file, ref.output_file);
  EXPECT_EQ(d.output_grid, (std::vector<int>{65, 65}));
  const StageSpec s, &a = d.stages.at(0);
  EXPECT_EQ(a.lr, 1e-3);
  EXPECT_EQ(a.beta1, s.beta1);
  EXPECT_EQ(a.beta2, s.beta2);
  EXPECT_EQ(a.eps, s.eps);
  EXPECT_EQ(a.decay, s.decay);
  EXPECT_EQ(a.decay_rate, s.decay_rate);
  EXPECT_EQ(a.decay_steps, s.decay_steps);
  const Deck lb = parse_deck(minimal_deck(), "min.yaml", {"training.stages[0]={optimizer: lbfgs, iterations: 3}"});
  const StageSpec& b = lb.stages.at(0);
  EXPECT_EQ(b.lr, 1.0);
  EXPECT_EQ(b.history, s.history);
  EXPECT_EQ(b.tolerance_grad, s.tolerance_grad);
  EXPECT_EQ(b.tolerance_change, s.tolerance_change);
  EXPECT_EQ(b.max_line_search, s.max_line_search);
}

TEST(ParseDeck, ReferenceSectionAloneEnablesItAndSetsOutputGrid) {
  const std::string text = std::string(minimal_deck()) + "reference:\n  grid: [9, 17]\n";
  const Deck d = parse_deck(text, "d.yaml");
  EXPECT_TRUE(d.has_reference);
  EXPECT_EQ(d.output_grid, (std::vector<int>{9, 17}));
  EXPECT_TRUE(parse_deck(std::string(minimal_deck()) + "reference:\n", "d.yaml").has_reference);
}

TEST(ParseDeck, OneDimensional) {
  const Deck d = parse_deck(R"yaml(problem:
  domain: {lower: [0], upper: [3.5]}
  source: "pi^2*sin(pi*x)"
  exact: "sin(pi*x)"
  boundary: [{faces: [x-], value: "0"}, {faces: x+, value: "sin(3.5*pi)"}]
training:
  stages: [{optimizer: lbfgs, iterations: 5}]
reference: {grid: [101]}
)yaml", "1d.yaml");
  EXPECT_EQ(d.dim, 1);
  EXPECT_EQ(d.upper, std::vector<double>{3.5});
  EXPECT_EQ(d.boundary.at(1).faces, std::vector<std::string>{"x+"});
  EXPECT_EQ(d.output_grid, std::vector<int>{101});
  EXPECT_NE(deck_error(d.text, {"problem.source=x*y"}).find("problem.source: cannot parse"), std::string::npos);
}

TEST(ParseDeck, ThreeDimensional) {
  const Deck d = parse_deck(R"yaml(problem:
  domain: {lower: [0, 0, 0], upper: [1, 2, 3]}
  source: "3*pi^2*sin(pi*x)*sin(pi*y)*sin(pi*z)"
  boundary:
    - {faces: [x-, x+, y-, y+], value: "0"}
    - {faces: [z-, z+], value: "x*y*z"}
training:
  stages: [{optimizer: adam, iterations: 5}]
output: {grid: [3, 4, 5]}
)yaml", "3d.yaml");
  EXPECT_EQ(d.dim, 3);
  EXPECT_EQ(d.reference_grid, (std::vector<int>{65, 65, 65}));
  EXPECT_EQ(d.output_grid, (std::vector<int>{3, 4, 5}));
  EXPECT_EQ(d.boundary.at(1).value, "x*y*z");
}

TEST(ParseDeck, HardBoundaryNeedsNoBoundaryPoints) {
  const Deck d = parse_deck(minimal_deck(), "h.yaml", {"problem.bc_enforcement=hard", "training.points.boundary=0"});
  EXPECT_EQ(d.bc_enforcement, "hard");
  EXPECT_EQ(d.n_boundary, 0);
  // The same counts with soft enforcement leave the boundary loss without points.
  EXPECT_NE(deck_error(d.text, {"problem.bc_enforcement=soft", "training.points.boundary=0"})
                .find("training.points.boundary: must be > 0"),
            std::string::npos);
}

TEST(ParseDeckOverrides, ScalarsListsAndIndices) {
  const std::vector<std::string> sets = {
      "training.seed=7",
      "reference.grid=[129, 129]",
      "training.stages[1].iterations=11",
      "training.stages.0.lr=1e-4",
      "network.layers=[8]",
      "reference.petsc=-ksp_rtol=1e-10",
      "training.seed=9",  // later assignments win
  };
  const Deck d = parse_deck(full_deck(), "deck.yaml", sets);
  EXPECT_EQ(d.seed, 9u);
  EXPECT_EQ(d.reference_grid, (std::vector<int>{129, 129}));
  EXPECT_EQ(d.stages.at(1).iterations, 11);
  EXPECT_EQ(d.stages.at(0).lr, 1e-4);
  EXPECT_EQ(d.layers, std::vector<int>{8});
  EXPECT_EQ(d.reference_petsc, "-ksp_rtol=1e-10");
  EXPECT_EQ(d.overrides, sets);
  // The recorded text is the file followed by one comment per assignment, and parses back
  // to the file's own values (comments change nothing).
  const std::string file = full_deck();
  ASSERT_EQ(d.text.substr(0, file.size()), file);
  std::string tail;
  for (const auto& s : sets) tail += "# --set " + s + "\n";
  EXPECT_EQ(d.text.substr(file.size()), tail);
  EXPECT_EQ(parse_deck(d.text, "again.yaml").seed, 42u);
}

TEST(ParseDeckOverrides, CreatesSectionsAndAppendsStages) {
  const Deck d = parse_deck(minimal_deck(), "deck.yaml",
                            {"reference.petsc=-pc_type lu", "training.stages[1]={optimizer: lbfgs, iterations: 4}",
                             "problem.exact=x*y"});
  EXPECT_TRUE(d.has_reference);
  EXPECT_EQ(d.reference_petsc, "-pc_type lu");
  ASSERT_EQ(d.stages.size(), 2u);
  EXPECT_EQ(d.stages[1].optimizer, "lbfgs");
  EXPECT_EQ(d.exact.value_or(""), "x*y");
}

TEST(ParseDeckOverrides, TypoAndMalformed) {
  const std::string typo = deck_error(minimal_deck(), {"training.sed=3"});
  EXPECT_NE(typo.find("deck.yaml: --set 'training.sed=3': unknown key 'training.sed' (did you mean 'training.seed'?)"),
            std::string::npos) << typo;
  const std::string no_eq = deck_error(minimal_deck(), {"training.seed"});
  EXPECT_NE(no_eq.find("--set 'training.seed': expected key=value"), std::string::npos) << no_eq;
  const std::string bad_value = deck_error(minimal_deck(), {"network.layers=[1, 2"});
  EXPECT_NE(bad_value.find("--set 'network.layers=[1, 2': cannot parse the value"), std::string::npos) << bad_value;
  const std::string range = deck_error(minimal_deck(), {"training.stages[3].lr=1"});
  EXPECT_NE(range.find("index 3 is out of range: 'training.stages' has 1 entries"), std::string::npos) << range;
  const std::string no_index = deck_error(minimal_deck(), {"training.stages.lr=1"});
  EXPECT_NE(no_index.find("'training.stages' is a list: give an index"), std::string::npos) << no_index;
  // A well-formed assignment of a bad value is reported by key and by the assignment.
  const std::string value = deck_error(minimal_deck(), {"training.points.interior=-3"});
  EXPECT_NE(value.find("training.points.interior: must be > 0, got -3 [from --set training.points.interior=-3]"),
            std::string::npos) << value;
}

// Every schema key is documented, and the documentation's complete example is a valid deck.
TEST(InputReference, DocumentsEveryKeyAndExampleParses) {
  std::ifstream in(std::string(NPDE_SOURCE_DIR) + "/docs/input-reference.md");
  ASSERT_TRUE(in) << "docs/input-reference.md is missing";
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string doc = ss.str();
  for (const auto& spec : detail::deck_schema())
    EXPECT_NE(doc.find("`" + std::string(spec.path) + "`"), std::string::npos) << spec.path << " is not documented";
  const std::string open = "```yaml\n";
  const auto begin = doc.find(open, doc.find("## Complete example"));
  ASSERT_NE(begin, std::string::npos);
  const auto end = doc.find("```", begin + open.size());
  const Deck d = parse_deck(doc.substr(begin + open.size(), end - begin - open.size()), "example.yaml");
  EXPECT_EQ(d.dim, 2);
  EXPECT_TRUE(d.has_reference);
}

// The shipped example decks (inputs/*.yaml, when there are any) must pass validation.
TEST(ParseDeck, OperatorDeckDefaultsAndValues) {
  const std::string base =
      "problem:\n  pde: ns_vorticity\n  domain: {lower: [0, 0], upper: [1, 1]}\n  time: {end: 10}\n"
      "  coefficients: {viscosity: 1e-3}\n";
  const Deck d = parse_deck(base + "model: {kind: tfno}\ndata: {train: a.h5, test: b.h5}\n", "deck.yaml");
  EXPECT_TRUE(d.has_model);
  EXPECT_TRUE(d.has_training);
  EXPECT_EQ(d.op.factorization, "tucker");
  EXPECT_DOUBLE_EQ(d.op.rank, 0.1);
  EXPECT_EQ(d.op.width, 32);
  EXPECT_EQ(d.op.modes_x, 16);
  EXPECT_EQ(d.op.epochs, 100);
  EXPECT_EQ(d.op.batch, 16);
  EXPECT_EQ(d.op.schedule, "step");
  EXPECT_EQ(d.op.input_times, std::vector<double>{0.0});
  EXPECT_TRUE(d.op.output_times.empty());
  EXPECT_EQ(d.log_every, 1);
  const Deck e = parse_deck(base + "model: {kind: tfno, factorization: cp, ranks: [12], modes: [8, 6], width: 20}\n"
                                   "data: {train: a.h5, test: b.h5, n_train: 50, extra_test: [{file: c.h5, samples: 3}],"
                                   " input_times: [0, 1], output_times: [5, 10]}\n"
                                   "training: {epochs: 7, batch: 4, lr: 1e-2, weight_decay: 0, schedule: cosine,"
                                   " loss: h1, precision: float, log_every: 2, checkpoint: {every: 3}}\n",
                          "deck.yaml");
  EXPECT_EQ(e.op.factorization, "cp");
  EXPECT_EQ(e.op.ranks, std::vector<int>{12});
  EXPECT_EQ(e.op.modes_x, 8);
  EXPECT_EQ(e.op.modes_y, 6);
  EXPECT_EQ(e.op.width, 20);
  EXPECT_EQ(e.op.n_train, 50);
  EXPECT_EQ(e.op.extra_test, std::vector<std::string>{"c.h5"});
  EXPECT_EQ(e.op.extra_test_samples, std::vector<int>{3});
  // a deck's extra test sets dropped on the command line
  const Deck f = parse_deck(base + "model: {kind: fno}\ndata: {train: a.h5, test: b.h5, extra_test: [{file: c.h5}]}\n",
                            "deck.yaml", {"data.extra_test=[]"});
  EXPECT_TRUE(f.op.extra_test.empty());
  EXPECT_EQ(e.op.input_times, (std::vector<double>{0, 1}));
  EXPECT_EQ(e.op.output_times, (std::vector<double>{5, 10}));
  EXPECT_EQ(e.op.epochs, 7);
  EXPECT_EQ(e.op.batch, 4);
  EXPECT_DOUBLE_EQ(e.op.lr, 1e-2);
  EXPECT_DOUBLE_EQ(e.op.weight_decay, 0.0);
  EXPECT_EQ(e.op.schedule, "cosine");
  EXPECT_EQ(e.op.loss, "h1");
  EXPECT_EQ(e.precision, "float");
  EXPECT_EQ(e.log_every, 2);
  EXPECT_EQ(e.checkpoint_every, 3);
}

TEST(InputReference, ShippedInputsParse) {
  const std::filesystem::path dir = std::filesystem::path(NPDE_SOURCE_DIR) / "inputs";
  if (!std::filesystem::is_directory(dir)) GTEST_SKIP() << "no inputs/ directory";
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".yaml") continue;
    try {
      (void)load_deck(entry.path().string());
    } catch (const InputError& e) {
      ADD_FAILURE() << e.what();
    }
  }
}

}  // namespace
}  // namespace npde::io
