// SPDX-License-Identifier: BSD-3-Clause
// parse_deck on bad decks: every error is one InputError line that names the deck and the key.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "deck_test_util.hpp"

namespace npde::io {
namespace {

using test::deck_error;
using test::full_deck;
using test::minimal_deck;
using test::replaced;

/// One bad deck and the fragments its message must contain.
struct BadDeck {
  const char* name;
  std::string text;
  std::vector<std::string> expected;
};

std::vector<BadDeck> bad_decks() {
  const std::string full = full_deck(), min = minimal_deck();
  const std::string burgers =
      "problem:\n  pde: burgers\n  domain: {lower: [-1], upper: [1]}\n  time: {start: 0, end: 1}\n"
      "  initial: \"-sin(pi*x)\"\n  coefficients: {viscosity: 0.003}\n"
      "  boundary: [{faces: all, value: \"0\"}]\nreference: {grid: [65]}\noutput: {file: b.h5}\n";
  const std::string soft_burgers = replaced(burgers, "  coefficients:", "  bc_enforcement: soft\n  coefficients:");
  const std::string highdim =
      "problem:\n  pde: highdim\n  dimension: 100\n  form: poisson\ntraining:\n  sdgd: {dimensions: 16}\n"
      "  stages: [{optimizer: adam, iterations: 10}]\noutput: {file: h.h5}\n";
  const std::string darcy = "problem:\n  pde: darcy\n  domain: {lower: [0, 0], upper: [1, 1]}\noutput: {file: d.h5}\n";
  const std::string ns = "problem:\n  pde: ns_vorticity\n  domain: {lower: [0, 0], upper: [1, 1]}\n"
                         "  time: {end: 1}\n  coefficients: {viscosity: 1e-3}\noutput: {file: n.h5}\n";
  const std::string operator_tail = "model: {kind: fno}\ndata: {train: a.h5, test: b.h5}\n";
  std::string deep = "problem:\n";  // nested maps far below any schema key
  for (int i = 0; i < 20; ++i) deep += std::string(2 * (i + 1), ' ') + "k" + std::to_string(i) + ":\n";
  deep += std::string(42, ' ') + "leaf: 1\n";
  // Each level refers to the previous one ten times: 10^6 values once the aliases are expanded.
  std::string bomb = "l0: &l0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n";
  for (int i = 1; i <= 5; ++i) {
    const std::string prev = "*l" + std::to_string(i - 1);
    bomb += "l" + std::to_string(i) + ": &l" + std::to_string(i) + " [" + prev;
    for (int k = 1; k < 10; ++k) bomb += ", " + prev;
    bomb += "]\n";
  }
  return {
      {"typo_with_suggestion", replaced(full, "  stages:", "  stage:"),
       {"unknown key 'training.stage' (did you mean 'training.stages'?) [line 20]"}},
      {"top_level_typo", replaced(full, "network:", "netwrok:"), {"unknown key 'netwrok' (did you mean 'network'?)"}},
      {"key_in_wrong_section", replaced(full, "  activation: sin", "  activation: sin\n  seed: 3"),
       {"unknown key 'network.seed' ('seed' belongs in ", "'training'"}},
      {"unknown_key_in_list_entry", replaced(full, "max_line_search: 10", "max_line_serch: 10"),
       {"unknown key 'training.stages[1].max_line_serch' (did you mean 'training.stages[1].max_line_search'?)"}},
      {"string_for_int", replaced(full, "interior: 1000", "interior: many"),
       {"training.points.interior: expected an integer, got 'many'"}},
      {"quoted_number", replaced(full, "lr: 5e-3", "lr: \"5e-3\""),
       {"training.stages[0].lr: expected a number, got the string '5e-3'"}},
      {"float_for_int", replaced(full, "interior: 1000", "interior: 1000.5"),
       {"training.points.interior: expected an integer, got '1000.5'"}},
      {"bool_for_number", replaced(full, "pde: 2.0", "pde: true"),
       {"training.weights.pde: expected a number, got the boolean 'true'"}},
      {"map_for_list", replaced(full, "layers: [32, 16]", "layers: {a: 32}"),
       {"network.layers: expected a list of integers, got a map"}},
      {"list_for_map", replaced(full, "points: {interior: 1000, boundary: 200, sampler: lhs, resample_every: 50}",
                                "points: [1000, 200]"),
       {"training.points: expected a map of keys (a section), got a list"}},
      {"missing_required_key", replaced(min, "  source: \"1\"\n", ""),
       {"missing required key 'problem.source' (source term"}},
      {"missing_section", min.substr(0, min.find("problem:")) + "output: {file: a.h5}\n", {"missing required key 'problem'"}},
      {"missing_stage_iterations", replaced(min, ", iterations: 10", ""),
       {"missing required key 'training.stages[0].iterations'"}},
      {"upper_length", replaced(full, "upper: [1, 2]", "upper: [1, 2, 3]"),
       {"problem.domain.upper: must have 2 entries", "got 3"}},
      {"too_many_dims", replaced(full, "{lower: [-1, 0], upper: [1, 2]}", "{lower: [0, 0, 0, 0], upper: [1, 1, 1, 1]}"),
       {"problem.domain.lower: must have 1 to 3 entries, got 4"}},
      {"reference_grid_length", replaced(full, "grid: [33, 17]", "grid: [33]"),
       {"reference.grid: must have 2 entries", "got 1"}},
      {"nan", replaced(full, "lower: [-1, 0]", "lower: [.nan, 0]"),
       {"problem.domain.lower[0]: must be a finite number, got .nan"}},
      {"inf", replaced(full, "bc: 10", "bc: .inf"), {"training.weights.bc: must be a finite number"}},
      {"negative_count", replaced(full, "interior: 1000", "interior: -5"),
       {"training.points.interior: must be > 0, got -5"}},
      {"negative_weight", replaced(full, "bc: 10", "bc: -1"), {"training.weights.bc: must be >= 0, got -1"}},
      {"width_out_of_range", replaced(full, "layers: [32, 16]", "layers: [32, 0]"),
       {"network.layers[1]: must be in [1, 4096], got 0"}},
      {"beta_out_of_range", replaced(full, "beta2: 0.99", "beta2: 1"),
       {"training.stages[0].beta2: must be in [0, 1), got 1"}},
      {"negative_seed", replaced(full, "seed: 42", "seed: -1"), {"training.seed: must be >= 0, got -1"}},
      {"huge_int", replaced(full, "log_every: 10", "log_every: 99999999999"),
       {"training.log_every: integer 99999999999 is out of range"}},
      {"lower_not_below_upper", replaced(full, "upper: [1, 2]", "upper: [1, 0]"),
       {"problem.domain.upper[1]: must be greater than problem.domain.lower[1] = 0, got 0"}},
      {"duplicate_key", replaced(full, "  seed: 42", "  seed: 42\n  seed: 43"),
       {"duplicate key 'training.seed' (lines 17 and 18)"}},
      {"duplicate_section", full + "network: {activation: tanh}\n", {"duplicate key 'network'"}},
      {"invalid_enum", replaced(full, "activation: sin", "activation: relu"),
       {"network.activation: invalid value 'relu' (allowed: tanh, sin, softplus)"}},
      {"enum_typo", replaced(full, "sampler: lhs", "sampler: sobel"),
       {"training.points.sampler: invalid value 'sobel' (allowed: uniform, lhs, sobol; did you mean 'sobol'?)"}},
      {"syntax_error", replaced(full, "layers: [32, 16]", "layers: [32, 16"), {"YAML syntax error at line"}},
      {"bad_indentation", "problem:\n  pde: poisson\n bad: 1\n", {"YAML syntax error at line 3"}},
      {"empty_file", "", {"deck.yaml: the deck is empty"}},
      {"comments_only", "# nothing here\n\n", {"deck.yaml: the deck is empty"}},
      {"list_top_level", "- problem\n- training\n", {"the top level must be a map of sections", "got a list"}},
      {"scalar_top_level", "poisson\n", {"the top level must be a map of sections", "got 'poisson'"}},
      {"two_documents", min + "---\n" + min, {"the deck holds 2 YAML documents"}},
      {"too_deep", deep, {"nesting deeper than 16 levels"}},
      {"absurdly_deep", "problem: " + std::string(5000, '[') + std::string(5000, ']') + "\n",
       {"nesting deeper than 16 levels"}},
      {"alias_bomb", bomb, {"expands to more than 100000 values"}},
      {"bad_expression", replaced(full, "source: \"2*pi^2*sin(pi*x)*sin(pi*y)\"", "source: \"sin(pi*x\""),
       {"deck.yaml: problem.source: cannot parse expression 'sin(pi*x'", "[line 5]"}},
      {"expression_wrong_variable", replaced(full, "value: \"x*y\"", "value: \"x*z\""),
       {"deck.yaml: problem.boundary[1].value: cannot parse expression 'x*z'"}},
      {"adam_key_in_lbfgs_stage", replaced(full, "history: 20", "history: 20, beta1: 0.9"),
       {"training.stages[1].beta1: only valid in an 'adam' stage (this stage's optimizer is 'lbfgs')"}},
      {"lbfgs_key_in_adam_stage", replaced(full, "eps: 1e-7", "eps: 1e-7, history: 5"),
       {"training.stages[0].history: only valid in an 'lbfgs' stage"}},
      {"quasi_newton_key_in_adam_stage", replaced(full, "eps: 1e-7", "eps: 1e-7, max_line_search: 5"),
       {"training.stages[0].max_line_search: only valid in an 'lbfgs' or 'ssbfgs' stage (this stage's optimizer is "
        "'adam')"}},
      {"history_in_ssbfgs_stage", replaced(full, "optimizer: lbfgs", "optimizer: ssbfgs"),
       {"training.stages[1].history: only valid in an 'lbfgs' stage (this stage's optimizer is 'ssbfgs')"}},
      {"face_not_in_dim", replaced(full, "faces: [y-, y+]", "faces: [y-, y+, z-]"),
       {"problem.boundary[1].faces[2]: unknown face 'z-' for a 2-dimensional domain (valid: all, x-, x+, y-, y+)"}},
      {"face_uncovered", replaced(full, "faces: [y-, y+]", "faces: [y-]"),
       {"problem.boundary: no condition for face(s) y+"}},
      {"face_twice", replaced(full, "faces: [y-, y+]", "faces: [y-, y+, x-]"),
       {"problem.boundary[1].faces: face 'x-' already has a condition in problem.boundary[0]"}},
      {"all_combined", replaced(min, "faces: all", "faces: [all, x-]"),
       {"problem.boundary[0].faces[0]: 'all' cannot be combined with other faces"}},
      {"empty_stages", replaced(min, "stages: [{optimizer: adam, iterations: 10}]", "stages: []"),
       {"training.stages: must have 1 to 64 entries, got 0"}},
      {"stage_not_a_map", replaced(min, "stages: [{optimizer: adam, iterations: 10}]", "stages: [adam]"),
       {"training.stages[0]: expected a map, got 'adam'"}},
      {"null_value", replaced(full, "lr: 0.5", "lr: "), {"training.stages[1].lr: has no value"}},
      {"petsc_without_dash", replaced(full, "\"-ksp_type cg -pc_type gamg\"", "\"ksp_type cg\""),
       {"reference.petsc: PETSc options start with '-'"}},
      {"zero_loss", replaced(full, "weights: {pde: 2.0, bc: 10}", "weights: {pde: 0, bc: 0}"),
       {"training.weights: every active loss term has weight 0"}},
      {"non_scalar_key", "problem:\n  ? [a, b]\n  : 1\n", {"'problem': map keys must be plain names"}},
      // catalogue equations: the per-equation rules
      {"key_of_other_equation", replaced(burgers, "viscosity: 0.003", "viscosity: 0.003, k: 2"),
       {"problem.coefficients.k: not used by problem.pde: burgers (only by helmholtz)"}},
      {"missing_time", replaced(burgers, "  time: {start: 0, end: 1}\n", ""),
       {"missing required key 'problem.time'"}},
      {"time_reversed", replaced(burgers, "end: 1}", "end: -1}"), {"problem.time.end: must be greater than"}},
      {"missing_initial", replaced(burgers, "  initial: \"-sin(pi*x)\"\n", ""),
       {"missing required key 'problem.initial'"}},
      {"missing_coefficient", replaced(burgers, "{viscosity: 0.003}", "{}"),
       {"missing required key 'problem.coefficients.viscosity'"}},
      {"expression_with_unknown_variable", replaced(burgers, "-sin(pi*x)", "-sin(pi*y)"),
       {"problem.initial"}},
      {"periodic_not_allowed", replaced(burgers, "{faces: all, value: \"0\"}", "{faces: all, type: periodic}"),
       {"periodic conditions are not available for burgers"}},
      {"periodic_unpaired",
       replaced(replaced(replaced(burgers, "burgers", "allen_cahn"), "{viscosity: 0.003}", "{diffusivity: 0.001}"),
                "[{faces: all, value: \"0\"}]", "[{faces: [x-], type: periodic}, {faces: [x+], value: \"-1\"}]"),
       {"problem.boundary: face x- and face x+ must both be periodic or both not"}},
      {"training_for_operator_problem",
       replaced(replaced(burgers, "pde: burgers", "pde: schrodinger"), "coefficients: {viscosity: 0.003}", "potential: \"0\"") +
           "training: {stages: [{optimizer: adam, iterations: 1}]}\n",
       {"not used by problem.pde: schrodinger"}},
      {"dataset_for_burgers", burgers + "dataset: {samples: 3}\n", {"dataset: not used by problem.pde: burgers"}},
      {"wrong_dimension", replaced(replaced(burgers, "lower: [-1]", "lower: [-1, 0]"), "upper: [1]", "upper: [1, 1]"),
       {"problem.domain.lower: burgers is solved in 1 dimension(s), got 2"}},
      {"missing_domain", replaced(burgers, "  domain: {lower: [-1], upper: [1]}\n", ""),
       {"missing required key 'problem.domain' (the box [lower, upper])"}},
      {"highdim_with_domain", replaced(highdim, "  dimension: 100\n", "  dimension: 100\n  domain: {lower: [0], upper: [1]}\n"),
       {"problem.domain: highdim is posed on the unit ball"}},
      {"highdim_without_dimension", replaced(highdim, "  dimension: 100\n", ""), {"missing required key 'problem.dimension'"}},
      {"highdim_sdgd_above_one_pass", replaced(highdim, "dimensions: 16", "dimensions: 65"),
       {"training.sdgd.dimensions"}},
      {"highdim_more_drawn_than_dimensions", replaced(highdim, "dimension: 100", "dimension: 10"),
       {"training.sdgd.dimensions: draws 16 of the 10 dimensions"}},
      {"highdim_lbfgs_with_independent_draws",
       replaced(highdim, "{optimizer: adam, iterations: 10}", "{optimizer: lbfgs, iterations: 10}"),
       {"training.stages[0].optimizer: lbfgs needs one objective", "training.sdgd.gradient: same"}},
      {"highdim_reference", highdim + "reference: {grid: [9]}\n", {"reference: highdim has no classical solver"}},
      {"highdim_soft_conditions", replaced(highdim, "  form: poisson\n", "  form: poisson\n  bc_enforcement: soft\n"),
       {"problem.bc_enforcement: not used by problem.pde: highdim"}},
      {"gaussians_with_fourier", burgers + "training: {stages: [{optimizer: adam, iterations: 1}]}\n" +
                                       "network: {gaussian_features: {count: 8}, fourier_features: {frequencies: 4}}\n",
       {"network.gaussian_features: Gaussian features replace the inputs as Fourier features do"}},
      {"gaussians_standardised", burgers + "training: {stages: [{optimizer: adam, iterations: 1}]}\n" +
                                       "network: {gaussian_features: {count: 8}, input_normalization: standard}\n",
       {"network.input_normalization: standard scaling does not combine with network.gaussian_features"}},
      {"stream_function_hard_walls",
       "problem: {pde: navier_stokes, case: cavity, domain: {lower: [0, 0], upper: [1, 1]}, coefficients: {reynolds: 100}}\n"
       "network: {output: stream_function}\ntraining: {stages: [{optimizer: adam, iterations: 1}]}\n",
       {"network.output: stream_function builds u and v from psi", "set problem.bc_enforcement: soft"}},
      {"stream_function_not_navier_stokes", burgers + "training: {stages: [{optimizer: adam, iterations: 1}]}\n" +
                                                "network: {output: stream_function}\n",
       {"network.output", "burgers"}},
      {"gaussians_zero_width", burgers + "training: {stages: [{optimizer: adam, iterations: 1}]}\n" +
                                     "network: {gaussian_features: {count: 8, width: 0}}\n",
       {"network.gaussian_features.width"}},
      {"decomposition_hard", burgers + "training: {stages: [{optimizer: adam, iterations: 1}]}\n" +
                                 "decomposition: {subdomains: [2, 2]}\n",
       {"problem.bc_enforcement: a decomposition takes the boundary and initial conditions as loss terms"}},
      {"decomposition_axes", soft_burgers +
                                 "training: {stages: [{optimizer: adam, iterations: 1}]}\n" +
                                 "decomposition: {subdomains: [2, 2, 2]}\n",
       {"decomposition.subdomains: has 3 entries, the problem has 2 inputs"}},
      {"decomposition_unknown_term", soft_burgers +
                                         "training: {stages: [{optimizer: adam, iterations: 1}]}\n" +
                                         "decomposition: {subdomains: [2], interface: {flx: 1}}\n",
       {"unknown key 'decomposition.interface.flx' (did you mean 'decomposition.interface.flux'?)"}},
      {"stage_points_decomposition", soft_burgers +
                                         "training: {stages: [{optimizer: lbfgs, iterations: 1, points: {interior: 50}}]}\n" +
                                         "decomposition: {subdomains: [2]}\n",
       {"training.stages[0].points: a decomposition keeps its subdomains' point sets"}},
      {"stage_points_adaptive", burgers + "training:\n  points: {resample_every: 5, adaptive: {method: rad}}\n"
                                          "  stages: [{optimizer: lbfgs, iterations: 1, points: {interior: 50}}]\n",
       {"training.stages[0].points.interior: adaptive sampling"}},
      {"stage_points_highdim_boundary",
       replaced(highdim, "iterations: 10}", "iterations: 10, points: {interior: 500, boundary: 10}}"),
       {"training.stages[0].points: the ball's boundary condition is built in"}},
      {"stage_points_steady_initial",
       replaced(full, "max_line_search: 10}", "max_line_search: 10, points: {initial: 10}}"),
       {"training.stages[1].points.initial: poisson is steady"}},
      {"balancing_encoders_plain",
       replaced(full, "  weights: {pde: 2.0, bc: 10}", "  weights: {pde: 2.0, bc: 10}\n  balancing: {scheme: annealing, encoders: exclude}"),
       {"training.balancing.encoders: a plain mlp has no encoders"}},
      {"encoder_bias_plain", replaced(full, "layers: [32, 16]", "layers: [32, 16]\n  encoder_bias: glorot"),
       {"network.encoder_bias: a plain mlp has no encoders"}},
      {"stage_points_zero", replaced(full, "max_line_search: 10}", "max_line_search: 10, points: {interior: 0}}"),
       {"training.stages[1].points.interior"}},
      {"decomposition_network_outside", soft_burgers +
                                            "training: {stages: [{optimizer: adam, iterations: 1}]}\n" +
                                            "decomposition: {subdomains: [2, 2], networks: [{subdomain: [1, 2], layers: [8]}]}\n",
       {"decomposition.networks[0].subdomain: index 2 along axis 1, which has 2 subdomains"}},
      {"decomposition_network_twice", soft_burgers +
                                          "training: {stages: [{optimizer: adam, iterations: 1}]}\n" +
                                          "decomposition: {subdomains: [2, 2], networks: [{subdomain: [1], layers: [8]},"
                                          " {subdomain: [1, 0], layers: [4]}]}\n",
       {"decomposition.networks[1].subdomain: names a subdomain an earlier entry names"}},
      {"decomposition_network_gated", soft_burgers +
                                          "network: {architecture: modified_mlp, layers: [16, 16]}\n" +
                                          "training: {stages: [{optimizer: adam, iterations: 1}]}\n" +
                                          "decomposition: {subdomains: [2], networks: [{subdomain: [0], layers: [8, 4]}]}\n",
       {"decomposition.networks[0].layers: a modified_mlp network needs equal hidden widths (8), got 4"}},
      {"decomposition_cuts_count", soft_burgers +
                                       "training: {stages: [{optimizer: adam, iterations: 1}]}\n" +
                                       "decomposition: {subdomains: [3, 2], cuts: {x: [0.5]}}\n",
       {"decomposition.cuts.x: 3 subdomain(s) along x (decomposition.subdomains) need 2 cut(s), got 1"}},
      {"decomposition_cuts_order", soft_burgers +
                                       "training: {stages: [{optimizer: adam, iterations: 1}]}\n" +
                                       "decomposition: {subdomains: [2, 3], cuts: {t: [0.6, 0.3]}}\n",
       {"decomposition.cuts.t: the cuts must increase strictly inside (0, 1), got 0.3"}},
      {"decomposition_cuts_axis", soft_burgers +
                                      "training: {stages: [{optimizer: adam, iterations: 1}]}\n" +
                                      "decomposition: {subdomains: [2], cuts: {y: [0.5]}}\n",
       {"decomposition.cuts.y: the problem has 1 space dimension(s)"}},
      {"decomposition_method", soft_burgers +
                                   "training: {stages: [{optimizer: adam, iterations: 1}]}\n" +
                                   "decomposition: {subdomains: [2], method: fbpinns}\n",
       {"decomposition.method"}},
      {"fbpinn_soft", soft_burgers +
                          "training: {stages: [{optimizer: adam, iterations: 1}]}\n" +
                          "decomposition: {subdomains: [2, 2], method: fbpinn}\n",
       {"problem.bc_enforcement: fbpinn builds the conditions into the blended solution"}},
      {"fbpinn_interface", burgers + "training: {stages: [{optimizer: adam, iterations: 1}]}\n" +
                               "decomposition: {subdomains: [2, 2], method: fbpinn, interface: {flux: 1}}\n",
       {"decomposition.interface: fbpinn blends overlapping subdomains by windows"}},
      {"xpinn_overlap", soft_burgers +
                            "training: {stages: [{optimizer: adam, iterations: 1}]}\n" +
                            "decomposition: {subdomains: [2, 2], overlap: 0.3}\n",
       {"decomposition.overlap: the subdomains of xpinn do not overlap"}},
      {"xpinn_schedule", soft_burgers +
                             "training: {stages: [{optimizer: adam, iterations: 1}]}\n" +
                             "decomposition: {subdomains: [2, 2], schedule: {axis: t, every: 10}}\n",
       {"decomposition.schedule: trains the overlapping subdomains of fbpinn by turns; xpinn has no schedule"}},
      {"fbpinn_schedule_axis", burgers + "training: {stages: [{optimizer: adam, iterations: 1}]}\n" +
                                   "decomposition: {subdomains: [2, 2], method: fbpinn, schedule: {axis: y, every: 10}}\n",
       {"decomposition.schedule.axis: burgers in 1D (and t) has no axis y"}},
      {"fbpinn_schedule_every", burgers + "training: {stages: [{optimizer: adam, iterations: 1}]}\n" +
                                    "decomposition: {subdomains: [2, 2], method: fbpinn, schedule: {axis: t, every: 0}}\n",
       {"decomposition.schedule.every"}},
      {"metalic_without_decomposition", burgers + "training: {stages: [{optimizer: adam, iterations: 1}]}\n" +
                                            "metalic: {parameter: viscosity, values: [0.01, 0.02]}\n",
       {"metalic: chooses the interface terms of a decomposition"}},
      {"metalic_parameter", soft_burgers +
                                "training: {stages: [{optimizer: adam, iterations: 1}]}\n" +
                                "decomposition: {subdomains: [2]}\n" +
                                "metalic: {parameter: nu, values: [0.01, 0.02]}\n",
       {"metalic.parameter: burgers has no coefficient or problem.parameters entry 'nu' (valid: viscosity)"}},
      {"metalic_values", soft_burgers +
                             "training: {stages: [{optimizer: adam, iterations: 1}]}\n" +
                             "decomposition: {subdomains: [2]}\n" +
                             "metalic: {parameter: viscosity, values: [0.01, 0.01]}\n",
       {"metalic.values: needs at least two different values"}},
      {"decomposition_for_darcy", darcy + "decomposition: {subdomains: [2, 2]}\n",
       {"decomposition: not used by problem.pde: darcy"}},
      {"gaussians_for_highdim", highdim + "network: {gaussian_features: {count: 8}}\n",
       {"network.gaussian_features: not used by problem.pde: highdim"}},
      {"dimension_for_burgers", replaced(burgers, "  initial:", "  dimension: 3\n  initial:"),
       {"problem.dimension: not used by problem.pde: burgers (only by highdim)"}},
      // operator decks
      {"model_without_data", darcy + "model: {kind: fno}\n", {"model: an operator is fitted to data"}},
      {"data_without_model", darcy + "data: {train: a.h5, test: b.h5}\n", {"data: data files are for operator learning"}},
      {"operator_with_stages", darcy + operator_tail + "training: {stages: [{optimizer: adam, iterations: 1}]}\n",
       {"training.stages: an operator deck trains by epochs"}},
      {"operator_with_points", darcy + operator_tail + "training: {points: {interior: 10}}\n",
       {"training.points: not used by an operator deck"}},
      {"fno_factorised", darcy + "model: {kind: fno, factorization: cp}\ndata: {train: a.h5, test: b.h5}\n",
       {"model.factorization: kind fno has dense spectral weights"}},
      {"tfno_rank_out_of_range", darcy + "model: {kind: tfno, rank: 1.5}\ndata: {train: a.h5, test: b.h5}\n",
       {"model.rank"}},
      {"tfno_wrong_rank_count", darcy + "model: {kind: tfno, ranks: [4, 4]}\ndata: {train: a.h5, test: b.h5}\n",
       {"model.ranks: tucker takes 4 rank(s), got 2"}},
      {"odd_x_modes", darcy + "model: {modes: [7, 8]}\ndata: {train: a.h5, test: b.h5}\n",
       {"model.modes: the x modes are centred"}},
      {"darcy_training_without_model", darcy + "training: {epochs: 3}\n", {"training: darcy is learnt as an operator"}},
      {"model_for_burgers", burgers + "model: {kind: fno}\n", {"model: not used by problem.pde: burgers"}},
      {"physics_for_vorticity", ns + operator_tail + "training: {weights: {physics: 1}}\n",
       {"training.weights.physics: not used by problem.pde: ns_vorticity"}},
  };
}

TEST(ParseDeckErrors, EachBadDeckNamesItsKey) {
  const auto cases = bad_decks();
  EXPECT_GE(cases.size(), 15u);
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string msg = deck_error(c.text);
    EXPECT_EQ(msg.rfind("deck.yaml: ", 0), 0u) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    for (const auto& e : c.expected) EXPECT_NE(msg.find(e), std::string::npos) << "message: " << msg << "\nwanted: " << e;
  }
}

TEST(ParseDeckErrors, SameVerdictEveryTime) {
  // A pure function of its inputs: what every MPI rank relies on to agree without communicating.
  for (const auto& c : bad_decks()) EXPECT_EQ(deck_error(c.text), deck_error(c.text)) << c.name;
}

TEST(LoadDeck, MissingFileAndDirectory) {
  try {
    (void)load_deck("/nonexistent/npde/deck.yaml");
    FAIL() << "no error for a missing file";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/npde/deck.yaml: cannot open"), std::string::npos) << e.what();
  }
  EXPECT_THROW((void)load_deck(NPDE_SOURCE_DIR), InputError);
}

}  // namespace
}  // namespace npde::io
