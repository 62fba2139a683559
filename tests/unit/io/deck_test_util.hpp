// SPDX-License-Identifier: BSD-3-Clause
// Shared decks and an error-capturing helper for the deck parser tests.
#pragma once

#include <string>
#include <vector>

#include "npde/core/error.hpp"
#include "npde/io/deck.hpp"

namespace npde::io::test {

/// A 2D deck that sets every key to a non-default value.
inline const char* full_deck() {
  return R"yaml(# full deck: every key set
problem:
  pde: poisson
  domain: {lower: [-1, 0], upper: [1, 2]}
  source: "2*pi^2*sin(pi*x)*sin(pi*y)"
  exact: "sin(pi*x)*sin(pi*y)"
  boundary:
    - {faces: [x-, x+], type: dirichlet, value: "0"}
    - faces: [y-, y+]
      value: "x*y"
  bc_enforcement: soft
network:
  layers: [32, 16]
  activation: sin
training:
  precision: float
  seed: 42
  points: {interior: 1000, boundary: 200, sampler: lhs, resample_every: 50}
  weights: {pde: 2.0, bc: 10}
  stages:
    - {optimizer: adam, iterations: 300, lr: 5e-3, decay: exponential, decay_rate: 0.5, decay_steps: 100,
       beta1: 0.8, beta2: 0.99, eps: 1e-7}
    - {optimizer: lbfgs, iterations: 40, lr: 0.5, history: 20, tolerance_grad: 1e-9, tolerance_change: 1e-12,
       max_line_search: 10}
  log_every: 10
reference:
  grid: [33, 17]
  petsc: "-ksp_type cg -pc_type gamg"
output:
  file: result.h5
  grid: [21, 11]
)yaml";
}

/// The smallest valid 2D deck: everything else takes its default.
inline const char* minimal_deck() {
  return R"yaml(problem:
  domain: {lower: [0, 0], upper: [1, 1]}
  source: "1"
  boundary: [{faces: all, value: "0"}]
training:
  stages: [{optimizer: adam, iterations: 10}]
)yaml";
}

/// The InputError message of parsing `text` as "deck.yaml", or "(no error)".
inline std::string deck_error(const std::string& text, const std::vector<std::string>& overrides = {}) {
  try {
    (void)parse_deck(text, "deck.yaml", overrides);
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

/// Replaces the first occurrence of `from` (which must occur) in `text`.
inline std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const auto pos = text.find(from);
  if (pos == std::string::npos) return "(test bug: '" + from + "' not in the deck)";
  return text.replace(pos, from.size(), to);
}

}  // namespace npde::io::test
