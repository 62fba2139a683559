// SPDX-License-Identifier: BSD-3-Clause
// The input deck: a YAML file validated against npde's schema into a typed Deck.
// Every key, its type, default and meaning is listed in docs/input-reference.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace npde::io {

/// One boundary condition entry of `problem.boundary`.
struct BoundarySpec {
  std::vector<std::string> faces;  ///< "all" or face names "x-", "x+", "y-", "y+", "z-", "z+"
  std::string type = "dirichlet";  ///< only "dirichlet" so far
  std::string value;               ///< muParser expression of x[, y[, z]]
};

/// One optimisation stage of `training.stages`.
struct StageSpec {
  std::string optimizer;       ///< "adam" or "lbfgs"
  int iterations = 0;          ///< > 0
  double lr = 1e-3;            ///< Adam learning rate / L-BFGS initial step scale (default 1.0 for lbfgs)
  // Adam
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  std::string decay = "none";  ///< "none", "exponential", "step"
  double decay_rate = 1.0;     ///< factor per decay_steps iterations
  int decay_steps = 1000;
  // L-BFGS
  int history = 50;
  double tolerance_grad = 1e-12;    ///< stop when max |grad| falls below
  double tolerance_change = 1e-15;  ///< stop when the loss change falls below (relative)
  int max_line_search = 25;
};

/// A validated input deck. Fields mirror the YAML keys (section.key).
struct Deck {
  std::string text;  ///< YAML text as read (after --set overrides are applied: see `overrides`)
  std::string path;  ///< file it came from
  std::vector<std::string> overrides;  ///< the --set key=value strings applied, in order

  // problem
  std::string pde = "poisson";
  int dim = 0;                              ///< from the length of domain.lower (1..3)
  std::vector<double> lower, upper;         ///< problem.domain.lower/upper
  std::string source;                       ///< problem.source (expression of x[,y[,z]])
  std::optional<std::string> exact;         ///< problem.exact
  std::vector<BoundarySpec> boundary;       ///< problem.boundary
  std::string bc_enforcement = "hard";      ///< "hard" or "soft"

  // network
  std::vector<int> layers{64, 64, 64};      ///< hidden widths
  std::string activation = "tanh";          ///< tanh, sin, softplus

  // training
  std::string precision = "double";         ///< double, float
  std::uint64_t seed = 0;
  int n_interior = 2000;                    ///< training.points.interior (global, over all ranks)
  int n_boundary = 400;                     ///< training.points.boundary (global)
  std::string sampler = "sobol";            ///< uniform, lhs, sobol
  int resample_every = 0;                   ///< 0 = never
  double weight_pde = 1.0, weight_bc = 1.0; ///< training.weights.pde / .bc
  std::vector<StageSpec> stages;            ///< at least one
  int log_every = 100;
  int checkpoint_every = 0;                 ///< training.checkpoint.every (0: only on stop requests)
  int checkpoint_keep = 3;                  ///< training.checkpoint.keep
  std::string checkpoint_dir;               ///< training.checkpoint.dir; empty: <output stem>_checkpoints
  double walltime = 0;                      ///< training.walltime in seconds (0: none)

  // reference (optional section)
  bool has_reference = false;
  std::vector<int> reference_grid;          ///< points per dimension incl. boundary
  std::string reference_petsc;              ///< PETSc options string

  // output
  std::string output_file = "npde_out.h5";
  std::vector<int> output_grid;             ///< points per dimension; default: reference.grid or 65^d
};

/// Parses and validates a deck. [in] text: YAML; [in] path: for messages;
/// [in] overrides: "key.sub=value" strings (from --set), applied before validation.
/// Throws npde::InputError with a one-line message naming the key on any problem:
/// unknown key (with "did you mean"), wrong type, missing required key, unparsable expression,
/// list of the wrong length. Pure function of its inputs (same verdict on every rank).
Deck parse_deck(const std::string& text, const std::string& path, const std::vector<std::string>& overrides = {});

/// Reads the file and calls parse_deck. Throws InputError if the file cannot be read.
Deck load_deck(const std::string& path, const std::vector<std::string>& overrides = {});

}  // namespace npde::io
