// SPDX-License-Identifier: BSD-3-Clause
// The input deck: a YAML file validated against npde's schema into a typed Deck.
// Every key, its type, default and meaning is listed in docs/input-reference.md.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace npde::io {

/// One boundary condition entry of `problem.boundary`.
struct BoundarySpec {
  std::vector<std::string> faces;  ///< "all" or face names "x-", "x+", "y-", "y+", "z-", "z+"
  std::string type = "dirichlet";  ///< "dirichlet" or "periodic" (periodic faces come in pairs x-/x+, ...)
  std::string value;               ///< dirichlet: muParser expression of x[, y[, z]][, t]; periodic: empty
};

/// `problem.random_field`: a Gaussian random field N(0, sigma^2 (-Laplace + tau^2 I)^(-alpha)) on the
/// box, optionally thresholded into a two-valued coefficient (Darcy). Sample i of seed s is a pure
/// function of (s, i).
struct RandomFieldSpec {
  double alpha = 2.0, tau = 3.0;
  double sigma = 0;                 ///< 0: tau^(alpha - dim/2) (the neural-operator papers' scaling)
  std::uint64_t seed = 0;
  bool thresholded = false;         ///< threshold given: a = above where field >= threshold, else below
  double threshold = 0.0, above = 12.0, below = 3.0;
};

/// One optimisation stage of `training.stages`.
struct StageSpec {
  std::string optimizer;       ///< "adam", "lbfgs" or "ssbfgs"
  int iterations = 0;          ///< > 0
  double lr = 1e-3;            ///< Adam learning rate / L-BFGS initial step scale (default 1.0 for lbfgs)
  // Adam
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  std::string decay = "none";  ///< "none", "exponential", "step"
  double decay_rate = 1.0;     ///< factor per decay_steps iterations
  int decay_steps = 1000;
  double average = 0;          ///< training.stages[].average: decay of the parameters' moving average (0: none)
  // L-BFGS
  int history = 50;
  double tolerance_grad = 1e-12;    ///< stop when max |grad| falls below
  double tolerance_change = 1e-15;  ///< stop when the loss change falls below (relative)
  int max_line_search = 25;
  int resample_every = -1;          ///< training.stages[].resample_every (-1: absent)
  /// training.stages[].points (0: training.points' count)
  long points_interior = 0, points_boundary = 0, points_initial = 0;
  /// weights: {group: weight} overriding training.weights during this stage (deck order)
  std::vector<std::pair<std::string, double>> weights;
};

/// The operator-learning part of a deck: a `model` section makes `npde train` fit a Fourier neural
/// operator to npde dataset files (`data`), with the operator keys of `training`.
/// A multi-domain PINN (the `decomposition` section).
struct DecompositionSpec {
  std::string method = "xpinn";           ///< decomposition.method: xpinn, cpinn
  std::vector<int> subdomains;            ///< per input axis (x, y, z, t), as given
  double overlap = 0.25;                  ///< decomposition.overlap (fbpinn)
  int interface_points = 100;             ///< decomposition.interface.points
  double gradient_step = 1e-3;            ///< decomposition.interface.gradient_step
  /// decomposition.networks: (subdomain cell, hidden widths) per entry, cells padded with 0 to the inputs.
  std::vector<std::pair<std::vector<int>, std::vector<int>>> networks;
  /// decomposition.cuts: per input axis (x, y, z, then t), empty (equal widths) or the faces' positions.
  std::vector<std::vector<double>> cuts;
  /// The interface terms given in the deck (name, weight); the others keep the method's weights.
  std::vector<std::pair<std::string, double>> weights;
  /// decomposition.schedule (fbpinn): the input axis its layers follow (-1: no schedule), Adam
  /// iterations per layer, and whether the layers start from the upper end.
  int schedule_axis = -1;
  long schedule_every = 0;
  bool schedule_from_upper = false;
};

/// METALIC: interface masks chosen per parameter value (the `metalic` section; `npde metalic`).
struct MetalicSpec {
  std::string parameter;                  ///< metalic.parameter (a key of Deck::coefficients)
  std::vector<double> values, test_values;
  bool log_scale = false;                 ///< metalic.scale: log
  int rounds = 20, warmup = 4, groups = 1;
  std::string selection = "ucb";
  double beta = 2.0;
  std::uint64_t seed = 0;
  std::string surrogate;                  ///< metalic.surrogate (empty: none)
  bool two_phases = false;                ///< metalic.phases: two (a mask and a surrogate per stage)
};

struct OperatorSpec {
  std::string kind = "fno";             ///< model.kind: fno, tfno
  int width = 32, blocks = 4;           ///< model.width, model.blocks
  int modes_x = 16, modes_y = 16;       ///< model.modes
  int lifting_ratio = 2, projection_ratio = 2;
  int patch_levels = 0;                 ///< model.patching.levels (0: no patching)
  double patch_padding = 0.25;          ///< model.patching.padding
  std::string factorization = "dense";  ///< model.factorization: dense, cp, tucker (tfno default tucker)
  double rank = 1.0;                    ///< model.rank: fraction of the dense spectral parameters (tfno default 0.1)
  std::vector<int> ranks;               ///< model.ranks: explicit ranks (CP: 1, Tucker: 4), overrides rank
  std::string train_file, test_file;    ///< data.train, data.test
  int n_train = 0, n_test = 0;          ///< data.n_train, data.n_test (0: every sample of the file)
  std::vector<std::string> extra_test;  ///< data.extra_test[].file: more test sets (other resolutions)
  std::vector<int> extra_test_samples;  ///< data.extra_test[].samples (0: all)
  std::vector<double> input_times;      ///< data.input_times (ns_vorticity; 0 = the initial field w0)
  std::vector<double> output_times;     ///< data.output_times (ns_vorticity; default: the last time)
  int epochs = 100, batch = 16;         ///< training.epochs, training.batch (global, over all ranks)
  double lr = 1e-3, weight_decay = 1e-4;
  std::string schedule = "step";        ///< training.schedule: none, step, cosine
  int schedule_step = 100;              ///< training.schedule_step (epochs per step)
  double schedule_gamma = 0.5;          ///< training.schedule_gamma
  std::string loss = "l2";              ///< training.loss: l2, h1
  double weight_data = 1.0;             ///< training.weights.data
  double weight_physics = 0.0;          ///< training.weights.physics (darcy: the PINO residual)
  std::string physics_norm = "inverse_laplacian";  ///< training.physics_norm: l2, inverse_laplacian
};

/// A validated input deck. Fields mirror the YAML keys (section.key).
struct Deck {
  std::string text;  ///< YAML text as read (after --set overrides are applied: see `overrides`)
  std::string path;  ///< file it came from
  std::vector<std::string> overrides;  ///< the --set key=value strings applied, in order

  // problem. Expressions are of x[, y[, z]] (the spatial coordinates), plus t for time-dependent
  // equations (is_time_dependent()); their variable order is (x, y, z, t).
  std::string pde = "poisson";              ///< poisson, helmholtz, heat, burgers, allen_cahn, klein_gordon,
                                            ///< schrodinger, navier_stokes, darcy, ns_vorticity
  int dim = 0;                              ///< from the length of domain.lower (1..3)
  std::vector<double> lower, upper;         ///< problem.domain.lower/upper
  std::string source;                       ///< problem.source; "0" where optional and absent (darcy: "1")
  std::optional<std::string> exact;         ///< problem.exact
  std::vector<BoundarySpec> boundary;       ///< problem.boundary (empty where the equation fixes it)
  std::string bc_enforcement = "hard";      ///< "hard" or "soft"
  std::string flow_case;                    ///< problem.case (navier_stokes): "cavity" or "kovasznay"
  double t_start = 0, t_end = 0;            ///< problem.time.start / .end (time-dependent equations)
  std::string initial;                      ///< problem.initial: u(x, t_start); "" if absent
  std::string initial_rate;                 ///< problem.initial_rate: u_t(x, t_start) (klein_gordon; default "0")
  std::string potential;                    ///< problem.potential: V(x) (schrodinger)
  /// problem.coefficients, with the equation's defaults filled in. Names by equation:
  /// helmholtz k; heat diffusivity; burgers viscosity; allen_cahn diffusivity, reaction;
  /// klein_gordon wave_speed, cubic; navier_stokes reynolds; ns_vorticity viscosity.
  std::map<std::string, double> coefficients;
  /// problem.parameters: named constants a, b, c usable in every expression of the problem (a METALIC
  /// family can vary them).
  std::vector<std::pair<std::string, double>> parameters;
  bool has_random_field = false;            ///< problem.random_field present (darcy: always, defaults filled)
  RandomFieldSpec random_field;

  // network
  std::vector<int> layers{64, 64, 64};      ///< hidden widths
  std::string activation = "tanh";          ///< tanh, sin, softplus
  // highdim (the unit ball): problem.dimension, .form, .coefficient_seed, training.sdgd.dimensions
  // (problem.dimension when absent: the exact Laplacian), training.points.validation
  long dimension = 0;
  std::string form = "poisson";
  std::uint64_t coefficient_seed = 0;
  int sdgd_dimensions = 0;
  bool sdgd_independent = true;  ///< training.sdgd.gradient: independent
  long n_validation = 2000;
  bool radius_uniform = false;   ///< training.points.radius: uniform (else volume)
  std::string architecture = "mlp";  ///< network.architecture: mlp, modified_mlp, pirate
  std::string encoder_bias = "zero";  ///< network.encoder_bias: zero, glorot (gated networks)
  std::string network_output = "fields";      ///< network.output: fields, stream_function
  std::string input_normalization = "none";  ///< network.input_normalization: none, standard

  // training
  std::string precision = "double";         ///< double, float
  std::uint64_t seed = 0;
  int n_interior = 2000;                    ///< training.points.interior (global, over all ranks)
  int n_boundary = 400;                     ///< training.points.boundary (global)
  int n_initial = 400;                      ///< training.points.initial (global; time-dependent equations)
  std::string sampler = "sobol";            ///< uniform, lhs, sobol
  int resample_every = 0;                   ///< 0 = never
  long rad_candidates = 0;                  ///< training.points.adaptive.candidates (0: no adaptive sampling)
  double rad_k = 1.0, rad_c = 1.0;          ///< training.points.adaptive.k, .c
  std::string adaptive_method = "rad";      ///< training.points.adaptive.method: rad, rar_d
  long rar_add = 0;                         ///< training.points.adaptive.add (RAR-D points per round)
  double weight_pde = 1.0, weight_bc = 1.0; ///< training.weights.pde / .bc
  double weight_initial = 1.0;              ///< training.weights.initial (time-dependent equations)
  std::vector<StageSpec> stages;            ///< at least one
  int log_every = 100;
  bool weight_factorization = false;        ///< network.weight_factorization given
  double rwf_mean = 1.0, rwf_stddev = 0.1;  ///< network.weight_factorization.mean, .stddev
  int fourier_frequencies = 0;              ///< network.fourier_features.frequencies (0: none)
  double fourier_sigma = 1.0;               ///< network.fourier_features.sigma
  int gaussian_features = 0;                ///< network.gaussian_features.count (0: none)
  double gaussian_width = 0.1;              ///< network.gaussian_features.width
  std::string balancing = "fixed";          ///< training.balancing.scheme
  int balancing_every = 0;                  ///< training.balancing.every (filled in by scheme)
  double balancing_momentum = 0.9;          ///< training.balancing.momentum
  bool balancing_shared = false;            ///< training.balancing.weights: groups
  bool balancing_per_layer = false;         ///< training.balancing.ratio: per_layer
  bool balancing_encoders = true;           ///< training.balancing.encoders: include
  int causal_chunks = 0;                    ///< training.causal.chunks (0: no causal training)
  double causal_epsilon = 1.0;              ///< training.causal.epsilon
  int checkpoint_every = 0;                 ///< training.checkpoint.every (0: only on stop requests)
  int checkpoint_keep = 3;                  ///< training.checkpoint.keep
  std::string checkpoint_dir;               ///< training.checkpoint.dir; empty: <output stem>_checkpoints
  double walltime = 0;                      ///< training.walltime in seconds (0: none)

  bool has_training = false;                ///< training section present (required by `npde train`)
  double weight_data = 1.0;                 ///< training.weights.data (inverse problems)
  double weight_normalisation = 1.0;        ///< training.weights.normalisation (schrodinger)
  double weight_orthogonality = 1.0;        ///< training.weights.orthogonality (schrodinger)
  double weight_energy = 0.0;               ///< training.weights.energy (schrodinger; 0: no energy term)
  int states = 1;                           ///< training.states (schrodinger)
  int quadrature = 1025;                    ///< training.quadrature (schrodinger)

  // inverse (optional section): one coefficient learnt from observations of a reference file
  bool has_inverse = false;
  std::string inverse_coefficient;          ///< inverse.coefficient (a key of `coefficients`)
  std::string observations_file;            ///< inverse.observations.file
  int observation_points = 200;             ///< inverse.observations.points
  double observation_noise = 0;             ///< inverse.observations.noise (relative to the field's std)
  std::uint64_t observation_seed = 0;       ///< inverse.observations.seed

  // reference (optional section)
  bool has_reference = false;
  std::vector<int> reference_grid;          ///< points per dimension incl. boundary (periodic: points per period)
  std::string reference_petsc;              ///< PETSc options string
  double time_step = 0;                     ///< reference.time_step (0: the solver chooses from the grid)
  int snapshots = 101;                      ///< reference.snapshots: output times, evenly spaced, incl. start and end
  int eigenpairs = 4;                       ///< reference.eigenpairs (schrodinger)
  std::uint64_t sample = 0;                 ///< reference.sample: which random sample (darcy, ns_vorticity)

  // dataset (optional section; `npde dataset`)
  bool has_dataset = false;
  int dataset_samples = 0;                  ///< dataset.samples
  int dataset_batch = 0;                    ///< dataset.batch: samples per rank between writes (0: automatic)

  // multi-domain PINN (optional `decomposition` section)
  bool has_decomposition = false;
  DecompositionSpec decomposition;

  // METALIC (optional `metalic` section; `npde metalic`)
  bool has_metalic = false;
  MetalicSpec metalic;

  // operator learning (optional `model` and `data` sections; `npde train` then fits an operator)
  bool has_model = false;
  OperatorSpec op;

  // output
  std::string output_file = "npde_out.h5";
  std::vector<int> output_grid;             ///< points per dimension; default: reference.grid or 65^d
};

/// True for equations with a time variable (heat, burgers, allen_cahn, klein_gordon, ns_vorticity).
bool is_time_dependent(const std::string& pde);
/// Coefficient of the deck's equation (throws npde::Error naming it if the equation has none such).
double coefficient(const Deck& deck, const std::string& name);

/// Parses and validates a deck. [in] text: YAML; [in] path: for messages;
/// [in] overrides: "key.sub=value" strings (from --set), applied before validation.
/// Throws npde::InputError with a one-line message naming the key on any problem:
/// unknown key (with "did you mean"), wrong type, missing required key, unparsable expression,
/// list of the wrong length. Pure function of its inputs (same verdict on every rank).
Deck parse_deck(const std::string& text, const std::string& path, const std::vector<std::string>& overrides = {});

/// Reads the file and calls parse_deck. Throws InputError if the file cannot be read.
Deck load_deck(const std::string& path, const std::vector<std::string>& overrides = {});

}  // namespace npde::io
