// SPDX-License-Identifier: BSD-3-Clause
// The deck schema table (single source of keys, types, defaults and ranges) and its lookups.
#include "io/deck_schema.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <sstream>

namespace npde::io::detail {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr Range any() { return {-kInf, kInf, false, false}; }
constexpr Range at_least(double lo) { return {lo, kInf, false, false}; }
constexpr Range above(double lo) { return {lo, kInf, true, false}; }
constexpr Range closed(double lo, double hi) { return {lo, hi, false, false}; }
constexpr Range half_open(double lo, double hi) { return {lo, hi, false, true}; }
constexpr Range open_closed(double lo, double hi) { return {lo, hi, true, false}; }

using K = KeyKind;

// Which equations accept a key (the only_for column of problem-level keys).
constexpr const char* kPdes =
    "poisson|helmholtz|heat|burgers|allen_cahn|klein_gordon|schrodinger|navier_stokes|darcy|ns_vorticity|highdim";
constexpr const char* kTimePdes = "heat|burgers|allen_cahn|klein_gordon|ns_vorticity";
constexpr const char* kSourcePdes = "poisson|helmholtz|heat|klein_gordon|darcy|ns_vorticity";
constexpr const char* kExactPdes = "poisson|helmholtz|heat|klein_gordon|ns_vorticity";
// Equations whose coefficients an inverse problem can learn.
constexpr const char* kInversePdes = "helmholtz|heat|burgers|allen_cahn|klein_gordon";
// Equations with a neural solver (`npde train`).
constexpr const char* kPinnPdes =
    "poisson|helmholtz|heat|burgers|allen_cahn|klein_gordon|navier_stokes|schrodinger|highdim";
// Equations with a neural solver on a box (boundary points, samplers, soft conditions).
constexpr const char* kBoxPinnPdes = "poisson|helmholtz|heat|burgers|allen_cahn|klein_gordon|navier_stokes|schrodinger";
constexpr const char* kBoundaryPdes = "poisson|helmholtz|heat|burgers|allen_cahn|klein_gordon|darcy";
// Equations a multi-domain PINN (decomposition) solves.
constexpr const char* kDecompPdes = "poisson|helmholtz|heat|burgers|allen_cahn|klein_gordon|navier_stokes";
// Equations with an operator-learning mode (`model` and `data` sections).
constexpr const char* kOperatorPdes = "darcy|ns_vorticity";
constexpr bool kReq = true, kOpt = false;
constexpr const char* kNone = nullptr;

// Keep docs/input-reference.md in step with this table (a unit test checks every path appears there).
// Defaults that depend on other keys (stage lr, reference.grid, output.grid, coefficients) have
// dflt == nullptr and are filled in by deck.cpp. only_for: for stage keys the optimizer, for every
// other key the equations (problem.pde) that accept it; a key given for another equation is an error.
// clang-format off
const std::vector<KeySpec> kSchema = {
  // path                                  kind           req   default         allowed                      range              len           only_for  doc
  {"problem",                              K::Section,    kReq, kNone,          kNone,                       any(),             0, 0,         kNone,    "the equation, its domain, coefficients and conditions"},
  {"problem.pde",                          K::Enum,       kOpt, "poisson",      kPdes,                       any(),             0, 0,         kNone,    "equation (see docs/input-reference.md, Equations)"},
  {"problem.case",                         K::Enum,       kOpt, kNone,          "cavity|kovasznay",          any(),             0, 0,         "navier_stokes", "flow: lid-driven cavity or Kovasznay"},
  {"problem.dimension",                    K::Int,        kOpt, kNone,          kNone,                       closed(2, 1000000), 0, 0,        "highdim", "dimension d of the unit ball"},
  {"problem.form",                         K::Enum,       kOpt, "poisson",      "poisson|allen_cahn",        any(),             0, 0,         "highdim", "poisson: -laplace(u) = f; allen_cahn: laplace(u) + u - u^3 = f"},
  {"problem.coefficient_seed",             K::Seed,       kOpt, "0",            kNone,                       at_least(0),       0, 0,         "highdim", "seed of the coefficients c_i ~ N(0, 1) of the exact solution"},
  {"problem.domain",                       K::Section,    kOpt, kNone,          kNone,                       any(),             0, 0,         kNone,    "the box [lower, upper]"},
  {"problem.domain.lower",                 K::RealList,   kReq, kNone,          kNone,                       any(),             1, 3,         kNone,    "lower corner; its length sets the dimension (1..3)"},
  {"problem.domain.upper",                 K::RealList,   kReq, kNone,          kNone,                       any(),             kLenDim, 0,   kNone,    "upper corner, componentwise greater than lower"},
  {"problem.time",                         K::Section,    kOpt, kNone,          kNone,                       any(),             0, 0,         kTimePdes, "the time interval of a time-dependent equation"},
  {"problem.time.start",                   K::Real,       kOpt, "0",            kNone,                       any(),             0, 0,         kNone,    "initial time"},
  {"problem.time.end",                     K::Real,       kReq, kNone,          kNone,                       any(),             0, 0,         kNone,    "final time, greater than start"},
  {"problem.source",                       K::Expression, kOpt, kNone,          kNone,                       any(),             0, 0,         kSourcePdes, "source term f(x[,y[,z]][,t])"},
  {"problem.exact",                        K::Expression, kOpt, kNone,          kNone,                       any(),             0, 0,         kExactPdes, "exact solution u(x[,y[,z]][,t]) for error norms"},
  {"problem.initial",                      K::Expression, kOpt, kNone,          kNone,                       any(),             0, 0,         kTimePdes, "initial value u(x[,y], start)"},
  {"problem.initial_rate",                 K::Expression, kOpt, kNone,          kNone,                       any(),             0, 0,         "klein_gordon", "initial rate u_t(x, start) (default 0)"},
  {"problem.potential",                    K::Expression, kOpt, kNone,          kNone,                       any(),             0, 0,         "schrodinger", "potential V(x); jumps allowed (cell-averaged)"},
  {"problem.parameters",                   K::Section,    kOpt, kNone,          kNone,                       any(),             0, 0,         kBoxPinnPdes, "named constants a, b, c of the problem's expressions (source, exact, boundary, initial values)"},
  {"problem.parameters.a",                 K::Real,       kOpt, kNone,          kNone,                       any(),             0, 0,         kNone,    "the constant a"},
  {"problem.parameters.b",                 K::Real,       kOpt, kNone,          kNone,                       any(),             0, 0,         kNone,    "the constant b"},
  {"problem.parameters.c",                 K::Real,       kOpt, kNone,          kNone,                       any(),             0, 0,         kNone,    "the constant c"},
  {"problem.coefficients",                 K::Section,    kOpt, kNone,          kNone,                       any(),             0, 0,         kNone,    "named coefficients of the equation"},
  {"problem.coefficients.k",               K::Real,       kOpt, kNone,          kNone,                       at_least(0),       0, 0,         "helmholtz", "wavenumber k in -laplace(u) - k^2 u = f"},
  {"problem.coefficients.diffusivity",     K::Real,       kOpt, kNone,          kNone,                       above(0),          0, 0,         "heat|allen_cahn", "diffusion coefficient D (heat default 1)"},
  {"problem.coefficients.viscosity",       K::Real,       kOpt, kNone,          kNone,                       above(0),          0, 0,         "burgers|ns_vorticity", "kinematic viscosity nu"},
  {"problem.coefficients.reaction",        K::Real,       kOpt, kNone,          kNone,                       any(),             0, 0,         "heat|allen_cahn", "reaction rate: heat -r u (default 0); allen_cahn r (u - u^3) (default 5)"},
  {"problem.coefficients.wave_speed",      K::Real,       kOpt, kNone,          kNone,                       above(0),          0, 0,         "klein_gordon", "wave speed c in u_tt - c^2 u_xx (default 1)"},
  {"problem.coefficients.cubic",           K::Real,       kOpt, kNone,          kNone,                       any(),             0, 0,         "klein_gordon", "coefficient gamma of the cubic term gamma u^3 (default 1)"},
  {"problem.coefficients.reynolds",        K::Real,       kOpt, kNone,          kNone,                       above(0),          0, 0,         "navier_stokes", "Reynolds number"},
  {"problem.random_field",                 K::Section,    kOpt, kNone,          kNone,                       any(),             0, 0,         "darcy|ns_vorticity", "Gaussian random field N(0, sigma^2 (-laplace + tau^2)^-alpha) of the random input"},
  {"problem.random_field.alpha",           K::Real,       kOpt, "2",            kNone,                       above(0),          0, 0,         kNone,    "smoothness exponent alpha"},
  {"problem.random_field.tau",             K::Real,       kOpt, "3",            kNone,                       at_least(0),       0, 0,         kNone,    "inverse length scale tau"},
  {"problem.random_field.sigma",           K::Real,       kOpt, "0",            kNone,                       at_least(0),       0, 0,         kNone,    "amplitude (0: tau^(alpha - dim/2))"},
  {"problem.random_field.seed",            K::Seed,       kOpt, "0",            kNone,                       at_least(0),       0, 0,         kNone,    "seed: sample i is a function of (seed, i) only"},
  {"problem.random_field.threshold",       K::Real,       kOpt, kNone,          kNone,                       any(),             0, 0,         "darcy",  "threshold: the coefficient is `above` where the field >= threshold, else `below`"},
  {"problem.random_field.above",           K::Real,       kOpt, "12",           kNone,                       above(0),          0, 0,         "darcy",  "coefficient value where the field >= threshold"},
  {"problem.random_field.below",           K::Real,       kOpt, "3",            kNone,                       above(0),          0, 0,         "darcy",  "coefficient value where the field < threshold"},
  {"problem.boundary",                     K::MapList,    kOpt, kNone,          kNone,                       any(),             1, 64,        kBoundaryPdes, "boundary conditions, one face set each"},
  {"problem.boundary[].faces",             K::Faces,      kReq, kNone,          kNone,                       any(),             0, 0,         kNone,    "\"all\" or faces among x-, x+, y-, y+, z-, z+"},
  {"problem.boundary[].type",              K::Enum,       kOpt, "dirichlet",    "dirichlet|periodic",        any(),             0, 0,         kNone,    "condition type (periodic: allen_cahn, faces in pairs)"},
  {"problem.boundary[].value",             K::Expression, kOpt, kNone,          kNone,                       any(),             0, 0,         kNone,    "boundary value g(x[,y[,z]][,t]) (dirichlet)"},
  {"problem.bc_enforcement",               K::Enum,       kOpt, "hard",         "hard|soft",                 any(),             0, 0,         kBoxPinnPdes, "hard: built into the network output; soft: penalty term"},
  {"network",                              K::Section,    kOpt, kNone,          kNone,                       any(),             0, 0,         kPinnPdes, "the multilayer perceptron"},
  {"network.layers",                       K::IntList,    kOpt, "[64, 64, 64]", kNone,                       closed(1, 4096),   1, 64,        kNone,    "hidden layer widths"},
  {"network.weight_factorization",         K::Section,    kOpt, kNone,          kNone,                       any(),             0, 0,         "poisson|helmholtz|heat|burgers|allen_cahn|klein_gordon|navier_stokes", "random weight factorisation W = diag(exp(s)) V of every layer"},
  {"network.weight_factorization.mean",    K::Real,       kOpt, "1.0",          kNone,                       closed(-10, 10),   0, 0,         kNone,    "mean of the initial s"},
  {"network.weight_factorization.stddev",  K::Real,       kOpt, "0.1",          kNone,                       closed(0, 10),     0, 0,         kNone,    "standard deviation of the initial s"},
  {"network.fourier_features",             K::Section,    kOpt, kNone,          kNone,                       any(),             0, 0,         "poisson|helmholtz|heat|burgers|allen_cahn|klein_gordon|navier_stokes|schrodinger", "random Fourier features of the inputs in front of the network"},
  {"network.fourier_features.frequencies", K::Int,        kOpt, "64",           kNone,                       closed(1, 4096),   0, 0,         kNone,    "frequency vectors b_j: the network sees 2 x frequencies features"},
  {"network.fourier_features.sigma",       K::Real,       kOpt, "1.0",          kNone,                       above(0),          0, 0,         kNone,    "standard deviation of the entries of b (cycles per unit length)"},
  {"network.gaussian_features",            K::Section,    kOpt, kNone,          kNone,                       any(),             0, 0,         "poisson|helmholtz|heat|burgers|allen_cahn|klein_gordon|navier_stokes|schrodinger", "Physics-Informed Gaussians: trainable Gaussian features of the inputs in front of the network"},
  {"network.gaussian_features.count",      K::Int,        kOpt, "64",           kNone,                       closed(1, 65536),  0, 0,         kNone,    "number of Gaussians K: the network sees K features"},
  {"network.gaussian_features.width",      K::Real,       kOpt, "0.1",          kNone,                       above(0),          0, 0,         kNone,    "initial width sigma of every Gaussian, as a fraction of each side of the box"},
  {"network.architecture",                 K::Enum,       kOpt, "mlp",          "mlp|modified_mlp|pirate",   any(),             0, 0,         kNone,    "plain MLP, the modified MLP (gated by two input encoders U and V), or PirateNet blocks"},
  {"network.encoder_bias",                 K::Enum,       kOpt, "zero",         "zero|glorot",               any(),             0, 0,         kNone,    "the gated networks' encoder biases: zero, or drawn as a 1 x width Glorot matrix (the gradient-pathologies code)"},
  {"network.output",                       K::Enum,       kOpt, "fields",       "fields|stream_function",    any(),             0, 0,         "navier_stokes", "fields: the network outputs u, v, p; stream_function: it outputs psi and p, u = psi_y and v = -psi_x (divergence free by construction; soft conditions)"},
  {"network.input_normalization",          K::Enum,       kOpt, "none",         "none|standard",             any(),             0, 0,         kBoxPinnPdes, "standard: the inputs shifted and scaled to mean 0, variance 1 over the box"},
  {"network.activation",                   K::Enum,       kOpt, "tanh",         "tanh|sin|softplus",         any(),             0, 0,         kNone,    "hidden activation"},
  {"training",                             K::Section,    kOpt, kNone,          kNone,                       any(),             0, 0,         "poisson|helmholtz|heat|burgers|allen_cahn|klein_gordon|navier_stokes|schrodinger|highdim|darcy|ns_vorticity", "points, loss weights and optimiser stages (required by npde train)"},
  {"training.precision",                   K::Enum,       kOpt, "double",       "double|float",              any(),             0, 0,         kNone,    "floating-point type of network and training"},
  {"training.seed",                        K::Seed,       kOpt, "0",            kNone,                       at_least(0),       0, 0,         kNone,    "seed of initial weights and sampling"},
  {"training.points",                      K::Section,    kOpt, kNone,          kNone,                       any(),             0, 0,         kNone,    "collocation points"},
  {"training.points.interior",             K::Int,        kOpt, "2000",         kNone,                       above(0),          0, 0,         kNone,    "interior points, global over all ranks"},
  {"training.points.boundary",             K::Int,        kOpt, "400",          kNone,                       at_least(0),       0, 0,         kBoxPinnPdes,    "boundary points, global over all ranks"},
  {"training.points.initial",              K::Int,        kOpt, "400",          kNone,                       above(0),          0, 0,         kTimePdes, "initial-slice points, global over all ranks (soft initial conditions)"},
  {"training.points.sampler",              K::Enum,       kOpt, "sobol",        "uniform|lhs|sobol",         any(),             0, 0,         kBoxPinnPdes,    "point sampler"},
  {"training.points.adaptive",             K::Section,    kOpt, kNone,          kNone,                       any(),             0, 0,         "poisson|helmholtz|heat|burgers|allen_cahn|klein_gordon|navier_stokes", "residual-based adaptive sampling (RAD or RAR-D) of the interior points at every resampling"},
  {"training.points.adaptive.method",      K::Enum,       kOpt, "rad",          "rad|rar_d",                 any(),             0, 0,         kNone,    "rad: the interior points drawn from dense candidates with density |r|^k / mean |r|^k + c; rar_d: the set kept and `add` distinct candidates added with that density"},
  {"training.points.adaptive.add",         K::Int,        kOpt, kNone,          kNone,                       above(0),          0, 0,         kNone,    "rar_d: points added per round, global (default: interior / 10)"},
  {"training.points.adaptive.candidates",  K::Int,        kOpt, kNone,          kNone,                       above(0),          0, 0,         kNone,    "dense candidate points, global (default: 10 x training.points.interior)"},
  {"training.points.adaptive.k",           K::Real,       kOpt, "1.0",          kNone,                       at_least(0),       0, 0,         kNone,    "exponent k of |r|"},
  {"training.points.adaptive.c",           K::Real,       kOpt, "1.0",          kNone,                       at_least(0),       0, 0,         kNone,    "uniform part c of the density"},
  {"training.points.resample_every",       K::Int,        kOpt, "0",            kNone,                       at_least(0),       0, 0,         kNone,    "redraw the points every n iterations (0 = never)"},
  {"training.weights",                     K::Section,    kOpt, kNone,          kNone,                       any(),             0, 0,         kNone,    "loss term weights"},
  {"training.weights.pde",                 K::Real,       kOpt, "1.0",          kNone,                       at_least(0),       0, 0,         kNone,    "weight of the mean squared PDE residual"},
  {"training.weights.bc",                  K::Real,       kOpt, "1.0",          kNone,                       at_least(0),       0, 0,         kBoxPinnPdes,    "weight of the mean squared boundary misfit (soft only)"},
  {"training.weights.initial",             K::Real,       kOpt, "1.0",          kNone,                       at_least(0),       0, 0,         kTimePdes, "weight of the mean squared initial misfit (soft only)"},
  {"training.weights.data",                K::Real,       kOpt, "1.0",          kNone,                       at_least(0),       0, 0,         "poisson|helmholtz|heat|burgers|allen_cahn|klein_gordon|navier_stokes|schrodinger|darcy|ns_vorticity",    "weight of the mean squared misfit to the observations (inverse problems); operator decks: of the data loss"},
  {"training.weights.normalisation",       K::Real,       kOpt, "1.0",          kNone,                       at_least(0),       0, 0,         "schrodinger", "weight of (int psi^2 - 1)^2"},
  {"training.weights.orthogonality",       K::Real,       kOpt, "1.0",          kNone,                       at_least(0),       0, 0,         "schrodinger", "weight of (int psi psi_k)^2 against the states found before"},
  {"training.weights.energy",              K::Real,       kOpt, "0",            kNone,                       at_least(0),       0, 0,         "schrodinger", "weight of the Rayleigh quotient int(psi'^2 + V psi^2)/int psi^2 (earlier states projected out); 0: no such term"},
  {"training.states",                      K::Int,        kOpt, "1",            kNone,                       closed(1, 64),     0, 0,         "schrodinger", "eigenstates to find, lowest first, one after another"},
  {"training.quadrature",                  K::Int,        kOpt, "1025",         kNone,                       closed(3, 1000001), 0, 0,        "schrodinger", "Simpson points of the normalisation and orthogonality integrals (odd)"},
  {"training.stages",                      K::MapList,    kOpt, kNone,          kNone,                       any(),             1, 64,        kNone,    "optimiser stages, run in order"},
  {"training.stages[].optimizer",          K::Enum,       kReq, kNone,          "adam|lbfgs|ssbfgs",         any(),             0, 0,         kNone,    "optimiser of this stage"},
  {"training.stages[].iterations",         K::Int,        kReq, kNone,          kNone,                       above(0),          0, 0,         kNone,    "iterations of this stage"},
  {"training.stages[].lr",                 K::Real,       kOpt, kNone,          kNone,                       above(0),          0, 0,         kNone,    "learning rate (adam, default 1e-3) or initial step scale (lbfgs, default 1.0)"},
  {"training.stages[].beta1",              K::Real,       kOpt, "0.9",          kNone,                       half_open(0, 1),   0, 0,         "adam",   "first-moment decay"},
  {"training.stages[].beta2",              K::Real,       kOpt, "0.999",        kNone,                       half_open(0, 1),   0, 0,         "adam",   "second-moment decay"},
  {"training.stages[].eps",                K::Real,       kOpt, "1e-8",         kNone,                       above(0),          0, 0,         "adam",   "denominator guard"},
  {"training.stages[].decay",              K::Enum,       kOpt, "none",         "none|exponential|step",     any(),             0, 0,         "adam",   "learning-rate schedule"},
  {"training.stages[].decay_rate",         K::Real,       kOpt, "1.0",          kNone,                       open_closed(0, 1), 0, 0,         "adam",   "lr factor per decay_steps iterations"},
  {"training.stages[].decay_steps",        K::Int,        kOpt, "1000",         kNone,                       above(0),          0, 0,         "adam",   "iterations per decay_rate factor"},
  {"training.stages[].average",            K::Real,       kOpt, "0",            kNone,                       half_open(0, 1),   0, 0,         "adam",   "exponential moving average of the parameters with this decay (0: none): the validation error is the average's, and the stage ends on the average"},
  {"training.stages[].weights",            K::Section,    kOpt, kNone,          kNone,                       any(),             0, 0,         kNone,    "loss term weights during this stage (groups as training.weights; others keep theirs)"},
  {"training.stages[].weights.pde",        K::Real,       kOpt, kNone,          kNone,                       at_least(0),       0, 0,         kNone,    "weight of the residual terms in this stage"},
  {"training.stages[].weights.bc",         K::Real,       kOpt, kNone,          kNone,                       at_least(0),       0, 0,         kNone,    "weight of the boundary (Dirichlet, Neumann, periodic) terms in this stage"},
  {"training.stages[].weights.initial",    K::Real,       kOpt, kNone,          kNone,                       at_least(0),       0, 0,         kNone,    "weight of the initial value and rate terms in this stage"},
  {"training.stages[].weights.data",       K::Real,       kOpt, kNone,          kNone,                       at_least(0),       0, 0,         kNone,    "weight of the data terms in this stage"},
  {"training.stages[].weights.normalisation", K::Real,    kOpt, kNone,          kNone,                       at_least(0),       0, 0,         kNone,    "weight of (int psi^2 - 1)^2 in this stage"},
  {"training.stages[].weights.orthogonality", K::Real,    kOpt, kNone,          kNone,                       at_least(0),       0, 0,         kNone,    "weight of the orthogonality term in this stage"},
  {"training.stages[].weights.interface",  K::Real,       kOpt, kNone,          kNone,                       at_least(0),       0, 0,         kNone,    "weight of every interface term of a decomposition in this stage"},
  {"training.stages[].weights.energy",     K::Real,       kOpt, kNone,          kNone,                       at_least(0),       0, 0,         kNone,    "weight of the Rayleigh-quotient term in this stage"},
  {"training.stages[].history",            K::Int,        kOpt, "50",           kNone,                       closed(1, 1000),   0, 0,         "lbfgs",  "number of stored correction pairs"},
  {"training.stages[].resample_every",     K::Int,        kOpt, kNone,          kNone,                       at_least(0),       0, 0,         kNone,    "new collocation points every n iterations in this stage (default: training.points.resample_every in Adam stages, never in quasi-Newton stages)"},
  {"training.stages[].points",             K::Section,    kOpt, kNone,          kNone,                       any(),             0, 0,         kNone,    "collocation point counts of this stage (default training.points'); a change draws new points at the stage's start"},
  {"training.stages[].points.interior",    K::Int,        kOpt, kNone,          kNone,                       above(0),          0, 0,         kNone,    "interior points of this stage, global"},
  {"training.stages[].points.boundary",    K::Int,        kOpt, kNone,          kNone,                       above(0),          0, 0,         kNone,    "boundary points per condition of this stage, global"},
  {"training.stages[].points.initial",     K::Int,        kOpt, kNone,          kNone,                       above(0),          0, 0,         kNone,    "initial-slice points of this stage, global"},
  {"training.stages[].tolerance_grad",     K::Real,       kOpt, "1e-12",        kNone,                       at_least(0),       0, 0,         "lbfgs|ssbfgs",  "stop when max |gradient| falls below"},
  {"training.stages[].tolerance_change",   K::Real,       kOpt, "1e-15",        kNone,                       at_least(0),       0, 0,         "lbfgs|ssbfgs",  "stop when the relative loss change falls below"},
  {"training.stages[].max_line_search",    K::Int,        kOpt, "25",           kNone,                       closed(1, 1000),   0, 0,         "lbfgs|ssbfgs",  "line-search evaluations per iteration"},
  {"training.points.radius",               K::Enum,       kOpt, "volume",       "volume|uniform",            any(),             0, 0,         "highdim", "radius of the training and validation points in the ball: volume (uniform in the ball) or uniform in [0, 1] (the SDGD and STDE codes' sampling)"},
  {"training.points.validation",           K::Int,        kOpt, "2000",         kNone,                       above(0),          0, 0,         "highdim", "fixed validation points in the ball, global, for the error against the exact solution"},
  {"training.sdgd",                        K::Section,    kOpt, kNone,          kNone,                       any(),             0, 0,         "highdim", "stochastic dimension gradient descent: the Laplacian from a few dimensions drawn per step"},
  {"training.sdgd.dimensions",             K::Int,        kOpt, "16",           kNone,                       closed(1, 64),     0, 0,         kNone,    "dimensions B drawn per step (the same on every rank); the sampled Laplacian is scaled by d/B"},
  {"training.sdgd.gradient",               K::Enum,       kOpt, "independent", "independent|same",           any(),             0, 0,         kNone,    "independent: the gradient's dimensions drawn apart from the residual's (unbiased); same: one draw (a fixed objective, for lbfgs/ssbfgs stages)"},
  {"training.log_every",                   K::Int,        kOpt, "100",          kNone,                       above(0),          0, 0,         kNone,    "log the losses every n iterations"},
  {"training.balancing",                   K::Section,    kOpt, kNone,          kNone,                       any(),             0, 0,         "poisson|helmholtz|heat|burgers|allen_cahn|klein_gordon|navier_stokes", "adaptive weights of the loss terms, updated collectively every `every` iterations"},
  {"training.balancing.scheme",            K::Enum,       kOpt, "fixed",        "fixed|annealing|grad_norm", any(),             0, 0,         kNone,    "fixed: the deck's weights; annealing: learning-rate annealing (gradient-pathologies paper's code); grad_norm: jaxpi's gradient-norm weighting"},
  {"training.balancing.every",             K::Int,        kOpt, kNone,          kNone,                       above(0),          0, 0,         kNone,    "iterations between weight updates (default: 10 for annealing, 1000 for grad_norm)"},
  {"training.balancing.weights",           K::Enum,       kOpt, "terms",        "terms|groups",              any(),             0, 0,         kNone,    "annealing: a weight per loss term, or one factor per weight group (bc, initial, data) from the group's summed gradient, as the gradient-pathologies code's single boundary weight"},
  {"training.balancing.encoders",          K::Enum,       kOpt, "include",      "include|exclude",           any(),             0, 0,         kNone,    "annealing with a gated network: the encoders' weight matrices in the statistics (include) or only the main layers' (exclude, as the gradient-pathologies code)"},
  {"training.balancing.ratio",             K::Enum,       kOpt, "global",       "global|per_layer",          any(),             0, 0,         kNone,    "annealing: global, max |dL_r/dW| over all weight matrices over the mean of their mean |d(wL)/dW| (the paper's Helmholtz code); per_layer, the largest of that ratio matrix by matrix (its cavity and Klein-Gordon code)"},
  {"training.balancing.momentum",          K::Real,       kOpt, "0.9",          kNone,                       half_open(0, 1),   0, 0,         kNone,    "moving average: w <- momentum w + (1 - momentum) w_new"},
  {"training.causal",                      K::Section,    kOpt, kNone,          kNone,                       any(),             0, 0,         "heat|burgers|allen_cahn|klein_gordon", "causal training: the interior residual weighted by time chunks, w_k = exp(-epsilon sum_{i<k} L_i)"},
  {"training.causal.chunks",               K::Int,        kOpt, "32",           kNone,                       closed(2, 1024),   0, 0,         kNone,    "time chunks M of the interior points"},
  {"training.causal.epsilon",              K::Real,       kOpt, "1.0",          kNone,                       above(0),          0, 0,         kNone,    "causality parameter epsilon (the larger, the stricter the order in time)"},
  {"training.checkpoint",                  K::Section,    kOpt, kNone,          kNone,                       any(),             0, 0,         kNone,    "periodic checkpoints for restart"},
  {"training.checkpoint.every",            K::Int,        kOpt, "0",            kNone,                       at_least(0),       0, 0,         kNone,    "write a checkpoint every n iterations (0 = only when stopped by a signal or the wall time)"},
  {"training.checkpoint.keep",             K::Int,        kOpt, "3",            kNone,                       closed(1, 1000),   0, 0,         kNone,    "number of newest checkpoints kept"},
  {"training.checkpoint.dir",              K::String,     kOpt, kNone,          kNone,                       any(),             0, 0,         kNone,    "checkpoint directory (default: output.file without .h5, plus _checkpoints)"},
  {"training.walltime",                    K::Real,       kOpt, "0",            kNone,                       at_least(0),       0, 0,         kNone,    "stop cleanly (checkpoint, exit code 3) before this many seconds of training (0 = no limit)"},
  {"training.weights.physics",             K::Real,       kOpt, "0",            kNone,                       at_least(0),       0, 0,         "darcy",  "operator decks: weight of the physics (PINO) loss, the mean squared finite-difference residual of the predicted field"},
  {"training.physics_norm",                K::Enum,       kOpt, "inverse_laplacian", "l2|inverse_laplacian",    any(),             0, 0,         "darcy",  "operator decks: the physics loss ||r||/||f|| (l2, PINO's) or ||L^-1 r||/||L^-1 f|| with L the 5-point -Laplacian (inverse_laplacian)"},
  {"training.epochs",                      K::Int,        kOpt, "100",          kNone,                       closed(1, 10000000), 0, 0,       kOperatorPdes, "operator decks: passes over the training set"},
  {"training.batch",                       K::Int,        kOpt, "16",           kNone,                       closed(1, 1000000), 0, 0,        kOperatorPdes, "operator decks: samples per step, global (split over the ranks)"},
  {"training.lr",                          K::Real,       kOpt, "1e-3",         kNone,                       above(0),          0, 0,         kOperatorPdes, "operator decks: Adam's learning rate"},
  {"training.weight_decay",                K::Real,       kOpt, "1e-4",         kNone,                       at_least(0),       0, 0,         kOperatorPdes, "operator decks: L2 penalty added to the gradient (torch.optim.Adam's weight_decay)"},
  {"training.schedule",                    K::Enum,       kOpt, "step",         "none|step|cosine",          any(),             0, 0,         kOperatorPdes, "operator decks: learning-rate schedule over the epochs"},
  {"training.schedule_step",               K::Int,        kOpt, "100",          kNone,                       above(0),          0, 0,         kOperatorPdes, "step schedule: epochs per factor schedule_gamma"},
  {"training.schedule_gamma",              K::Real,       kOpt, "0.5",          kNone,                       open_closed(0, 1), 0, 0,         kOperatorPdes, "step schedule: learning-rate factor every schedule_step epochs"},
  {"training.loss",                        K::Enum,       kOpt, "l2",           "l2|h1",                     any(),             0, 0,         kOperatorPdes, "operator decks: relative L2 or relative H1 norm of the error, summed over the batch"},
  {"model",                                K::Section,    kOpt, kNone,          kNone,                       any(),             0, 0,         kOperatorPdes, "a Fourier neural operator that `npde train` fits to the `data` files"},
  {"model.kind",                           K::Enum,       kOpt, "fno",          "fno|tfno",                  any(),             0, 0,         kNone,    "fno: dense spectral weights; tfno: factorised (tucker, rank 0.1 unless given)"},
  {"model.width",                          K::Int,        kOpt, "32",           kNone,                       closed(2, 4096),   0, 0,         kNone,    "hidden channels H"},
  {"model.blocks",                         K::Int,        kOpt, "4",            kNone,                       closed(1, 64),     0, 0,         kNone,    "Fourier blocks"},
  {"model.modes",                          K::IntList,    kOpt, "[16, 16]",     kNone,                       closed(1, 4096),   2, 2,         kNone,    "kept Fourier modes along x and y (x: kx in [-m/2, m/2 - 1]; y: ky in [0, m/2])"},
  {"model.factorization",                  K::Enum,       kOpt, kNone,          "dense|cp|tucker",           any(),             0, 0,         kNone,    "spectral weights (default: dense for fno, tucker for tfno)"},
  {"model.rank",                           K::Real,       kOpt, kNone,          kNone,                       open_closed(0, 1), 0, 0,         kNone,    "factorised weights: stored parameters as a fraction of the dense ones (default 0.1)"},
  {"model.ranks",                          K::IntList,    kOpt, kNone,          kNone,                       closed(1, 100000), 1, 4,         kNone,    "explicit ranks instead of rank: CP one, Tucker four (in, out, rows, columns)"},
  {"model.patching",                       K::Section,    kOpt, kNone,          kNone,                       any(),             0, 0,         kNone,    "multigrid patching (MG-TFNO): the model sees patches with coarse context, spread over the ranks"},
  {"model.patching.levels",                K::Int,        kOpt, "1",            kNone,                       closed(1, 4),      0, 0,         kNone,    "levels L: 2^L x 2^L patches per field, context subsampled by 2, 4, ..., 2^L"},
  {"model.patching.padding",               K::Real,       kOpt, "0.25",         kNone,                       closed(0, 0.5),    0, 0,         kNone,    "circular padding of each patch, as a fraction of the patch size"},
  {"model.lifting_ratio",                  K::Int,        kOpt, "2",            kNone,                       closed(1, 64),     0, 0,         kNone,    "lifting channel MLP: inputs -> ratio x width -> width"},
  {"model.projection_ratio",               K::Int,        kOpt, "2",            kNone,                       closed(1, 64),     0, 0,         kNone,    "projection channel MLP: width -> ratio x width -> outputs"},
  {"data",                                 K::Section,    kOpt, kNone,          kNone,                       any(),             0, 0,         kOperatorPdes, "operator decks: the npde dataset files to train and test on"},
  {"data.train",                           K::String,     kReq, kNone,          kNone,                       any(),             0, 0,         kNone,    "training set, an `npde dataset` file of problem.pde"},
  {"data.test",                            K::String,     kReq, kNone,          kNone,                       any(),             0, 0,         kNone,    "test set, an `npde dataset` file at the training resolution"},
  {"data.n_train",                         K::Int,        kOpt, "0",            kNone,                       at_least(0),       0, 0,         kNone,    "training samples, the first of the file (0: all)"},
  {"data.n_test",                          K::Int,        kOpt, "0",            kNone,                       at_least(0),       0, 0,         kNone,    "test samples, the first of the file (0: all)"},
  {"data.extra_test",                      K::MapList,    kOpt, kNone,          kNone,                       any(),             0, 16,        kNone,    "more test sets, e.g. at other resolutions (zero-shot super-resolution); [] for none"},
  {"data.extra_test[].file",               K::String,     kReq, kNone,          kNone,                       any(),             0, 0,         kNone,    "an `npde dataset` file of problem.pde at any resolution"},
  {"data.extra_test[].samples",            K::Int,        kOpt, "0",            kNone,                       at_least(0),       0, 0,         kNone,    "samples used, the first of the file (0: all)"},
  {"data.input_times",                     K::RealList,   kOpt, "[0]",          kNone,                       at_least(0),       1, 64,        "ns_vorticity", "input channels: vorticity at these times (0: the initial field), each in the file's /time"},
  {"data.output_times",                    K::RealList,   kOpt, kNone,          kNone,                       at_least(0),       1, 64,        "ns_vorticity", "output channels: vorticity at these times (default: the last time of the file)"},
  {"inverse",                              K::Section,    kOpt, kNone,          kNone,                       any(),             0, 0,         kInversePdes, "inverse problem: a coefficient learnt from observations"},
  {"inverse.coefficient",                  K::String,     kReq, kNone,          kNone,                       any(),             0, 0,         kNone,    "the coefficient to learn; its problem.coefficients value is the initial guess"},
  {"inverse.observations",                 K::Section,    kReq, kNone,          kNone,                       any(),             0, 0,         kNone,    "where the observations come from"},
  {"inverse.observations.file",            K::String,     kReq, kNone,          kNone,                       any(),             0, 0,         kNone,    "an `npde reference` output file of the same equation"},
  {"inverse.observations.points",          K::Int,        kOpt, "200",          kNone,                       closed(1, 10000000), 0, 0,       kNone,    "observations drawn from the file's grid and snapshots"},
  {"inverse.observations.noise",           K::Real,       kOpt, "0",            kNone,                       at_least(0),       0, 0,         kNone,    "Gaussian noise: value + noise * std(field) * N(0, 1)"},
  {"decomposition",                         K::Section,     kOpt, kNone,         kNone,                       any(),             0, 0,         kDecompPdes, "multi-domain PINN: the box split into subdomains, each with its own network, spread over the ranks"},
  {"decomposition.method",                  K::Enum,        kOpt, "xpinn",       "xpinn|cpinn|fbpinn",        any(),             0, 0,         kNone, "xpinn: average solution (20) + residual continuity (1) at the interfaces; cpinn: flux continuity (20) + average solution (20); fbpinn: overlapping subdomains blended by windows, no interface terms"},
  {"decomposition.subdomains",              K::IntList,     kReq, kNone,         kNone,                       closed(1, 1024),   1, 4,         kNone, "subdomains per input axis (x, y, z, then t; missing trailing axes: 1); at least as many subdomains as ranks"},
  {"decomposition.overlap",                 K::Real,        kOpt, "0.25",        kNone,                       open_closed(0, 0.95), 0, 0,       kNone, "fbpinn: neighbours share a band of overlap x the core width"},
  {"decomposition.cuts",                    K::Section,     kOpt, kNone,         kNone,                       any(),             0, 0,         kNone, "faces at chosen positions instead of equal widths, per axis"},
  {"decomposition.cuts.x",                  K::RealList,    kOpt, kNone,         kNone,                       any(),             1, 1023,      kNone, "positions of the faces along x: one fewer than the subdomains along x, increasing inside the box"},
  {"decomposition.cuts.y",                  K::RealList,    kOpt, kNone,         kNone,                       any(),             1, 1023,      kNone, "positions of the faces along y"},
  {"decomposition.cuts.z",                  K::RealList,    kOpt, kNone,         kNone,                       any(),             1, 1023,      kNone, "positions of the faces along z"},
  {"decomposition.cuts.t",                  K::RealList,    kOpt, kNone,         kNone,                       any(),             1, 1023,      kNone, "positions of the faces along t (time-dependent equations)"},
  {"decomposition.networks",                K::MapList,     kOpt, kNone,         kNone,                       any(),             1, 4096,      kNone, "per-subdomain networks: hidden widths in place of network.layers for the subdomains named"},
  {"decomposition.networks[].subdomain",    K::IntList,     kReq, kNone,         kNone,                       at_least(0),       1, 4,         kNone, "the subdomain's index along each axis of decomposition.subdomains (0-based; missing trailing axes: 0)"},
  {"decomposition.networks[].layers",       K::IntList,     kReq, kNone,         kNone,                       closed(1, 4096),   1, 64,        kNone, "hidden layer widths of that subdomain's network"},
  {"decomposition.interface",               K::Section,     kOpt, kNone,         kNone,                       any(),             0, 0,         kNone, "interface points and the weights of the interface terms (any term given replaces the method's weight; 0: off)"},
  {"decomposition.interface.points",        K::Int,         kOpt, "100",         kNone,                       closed(1, 1000000), 0, 0,         kNone, "points per interface (an interface of a 1D problem is one point)"},
  {"decomposition.interface.gradient_step", K::Real,        kOpt, "1e-3",        kNone,                       open_closed(0, 0.5), 0, 0,         kNone, "residual_gradient: central-difference step along the normal, as a fraction of the subdomain's width"},
  {"decomposition.interface.continuity",    K::Real,        kOpt, kNone,         kNone,                       at_least(0),       0, 0,         kNone, "weight of (u_a - u_b)^2"},
  {"decomposition.interface.average",       K::Real,        kOpt, kNone,         kNone,                       at_least(0),       0, 0,         kNone, "weight of (u_a - m)^2 + (u_b - m)^2, m the mean of both sides"},
  {"decomposition.interface.residual",      K::Real,        kOpt, kNone,         kNone,                       at_least(0),       0, 0,         kNone, "weight of r_a^2 + r_b^2"},
  {"decomposition.interface.residual_continuity", K::Real,        kOpt, kNone,         kNone,                       at_least(0),       0, 0,         kNone, "weight of (r_a - r_b)^2"},
  {"decomposition.interface.flux",          K::Real,        kOpt, kNone,         kNone,                       at_least(0),       0, 0,         kNone, "weight of (F_a - F_b)^2, F the physical flux (Burgers: u^2/2 - nu u_x across x, u across t; others: the normal derivative)"},
  {"decomposition.interface.uyy",           K::Real,        kOpt, kNone,         kNone,                       at_least(0),       0, 0,         kNone, "weight of (u_yy,a - u_yy,b)^2, y the second input"},
  {"decomposition.interface.residual_gradient", K::Real,        kOpt, kNone,         kNone,                       at_least(0),       0, 0,         kNone, "weight of (d_n r_a)^2 + (d_n r_b)^2 (gPINN at the interface)"},
  {"decomposition.interface.ux",            K::Real,        kOpt, kNone,         kNone,                       at_least(0),       0, 0,         kNone, "weight of (u_x,a - u_x,b)^2, x the first input"},
  {"decomposition.interface.uxx",           K::Real,        kOpt, kNone,         kNone,                       at_least(0),       0, 0,         kNone, "weight of (u_xx,a - u_xx,b)^2"},
  {"decomposition.schedule",                K::Section,     kOpt, kNone,         kNone,                       any(),             0, 0,         kNone, "fbpinn: the layers of subdomains along one axis trained by turns, then all together"},
  {"decomposition.schedule.axis",           K::Enum,        kReq, kNone,         "x|y|z|t",                   any(),             0, 0,         kNone, "the axis the layers follow (t: the time axis of a time-dependent equation)"},
  {"decomposition.schedule.every",          K::Int,         kReq, kNone,         kNone,                       closed(1, 100000000), 0, 0,      kNone, "Adam iterations per layer (from the run's first iteration); then every subdomain trains"},
  {"decomposition.schedule.from",           K::Enum,        kOpt, "lower",       "lower|upper",               any(),             0, 0,         kNone, "the end of the axis the layers start from"},
  {"metalic",                               K::Section,     kOpt, kNone,         kNone,                       any(),             0, 0,         kDecompPdes, "METALIC (`npde metalic`): interface conditions of a multi-domain PINN chosen per PDE parameter by a Gaussian-process bandit"},
  {"metalic.parameter",                     K::String,      kReq, kNone,         kNone,                       any(),             0, 0,         kNone, "the family's parameter: a name of problem.coefficients"},
  {"metalic.values",                        K::RealList,    kReq, kNone,         kNone,                       any(),             2, 64,        kNone, "the training values of the parameter (each play draws one)"},
  {"metalic.test_values",                   K::RealList,    kOpt, kNone,         kNone,                       any(),             1, 1024,      kNone, "values to recommend a mask for from the surrogate, without plays (default: values)"},
  {"metalic.scale",                         K::Enum,        kOpt, "linear",      "linear|log",                any(),             0, 0,         kNone, "the parameter standardised to [-1, 1] over the values' range, linearly or in its logarithm"},
  {"metalic.rounds",                        K::Int,         kOpt, "20",          kNone,                       closed(0, 100000), 0, 0,         kNone, "rounds of plays (each round one play per group)"},
  {"metalic.warmup",                        K::Int,         kOpt, "4",           kNone,                       at_least(0),       0, 0,         kNone, "plays with random masks before the surrogate chooses"},
  {"metalic.selection",                     K::Enum,        kOpt, "ucb",         "ucb|thompson",              any(),             0, 0,         kNone, "ucb: argmax mean + sqrt(beta) sd; thompson: argmax of a posterior draw"},
  {"metalic.beta",                          K::Real,        kOpt, "2.0",         kNone,                       above(0),          0, 0,         kNone, "UCB exploration weight"},
  {"metalic.phases",                        K::Enum,        kOpt, "one",         "one|two",                   any(),             0, 0,         kNone, "one: one mask per play and one surrogate; two: the Adam stage and the L-BFGS stage each get a mask from a surrogate of their own (stages: [adam, lbfgs])"},
  {"metalic.groups",                        K::Int,         kOpt, "1",           kNone,                       closed(1, 4096),   0, 0,         kNone, "concurrent plays, each on its own group of ranks (MPI_Comm_split)"},
  {"metalic.seed",                          K::Seed,        kOpt, "0",           kNone,                       at_least(0),       0, 0,         kNone, "seed of the drawn parameters, warm-up masks and Thompson draws"},
  {"metalic.surrogate",                     K::String,      kOpt, kNone,         kNone,                       any(),             0, 0,         kNone, "an earlier `npde metalic` output: its plays come first (with rounds: 0 the recommendations need no plays)"},
  {"inverse.observations.seed",            K::Seed,       kOpt, "0",            kNone,                       at_least(0),       0, 0,         kNone,    "seed of the drawn points and the noise"},
  {"reference",                            K::Section,    kOpt, kNone,          kNone,                       any(),             0, 0,         kNone,    "classical PETSc reference solve (present = enabled)"},
  {"reference.grid",                       K::IntList,    kOpt, kNone,          kNone,                       at_least(3),       kLenDim, 0,   kNone,    "grid points per dimension incl. boundary (default 65 each)"},
  {"reference.petsc",                      K::String,     kOpt, "\"\"",         kNone,                       any(),             0, 0,         kNone,    "PETSc options, e.g. \"-ksp_type cg -pc_type gamg\""},
  {"reference.time_step",                  K::Real,       kOpt, "0",            kNone,                       at_least(0),       0, 0,         kTimePdes, "time step (0: chosen by the solver from the grid)"},
  {"reference.snapshots",                  K::Int,        kOpt, "101",          kNone,                       closed(2, 100000), 0, 0,         kTimePdes, "output times, evenly spaced, start and end included"},
  {"reference.eigenpairs",                 K::Int,        kOpt, "4",            kNone,                       closed(1, 1000),   0, 0,         "schrodinger", "number of smallest eigenpairs"},
  {"reference.sample",                     K::Seed,       kOpt, "0",            kNone,                       at_least(0),       0, 0,         "darcy|ns_vorticity", "index of the random sample to solve"},
  {"dataset",                              K::Section,    kOpt, kNone,          kNone,                       any(),             0, 0,         "darcy|ns_vorticity", "npde dataset: random samples solved and stored together"},
  {"dataset.samples",                      K::Int,        kReq, kNone,          kNone,                       closed(1, 100000000), 0, 0,      kNone,    "number of samples"},
  {"dataset.batch",                        K::Int,        kOpt, "0",            kNone,                       at_least(0),       0, 0,         kNone,    "samples per rank between collective writes (0: automatic)"},
  {"output",                               K::Section,    kOpt, kNone,          kNone,                       any(),             0, 0,         kNone,    "results file"},
  {"output.file",                          K::String,     kOpt, "npde_out.h5",  kNone,                       any(),             0, 0,         kNone,    "HDF5 output file"},
  {"output.grid",                          K::IntList,    kOpt, kNone,          kNone,                       at_least(2),       kLenDim, 0,   "poisson",    "output grid points per dimension (default reference.grid, else 65 each)"},
};
// clang-format on

std::string parent_of(const std::string& path) {
  const auto dot = path.rfind('.');
  return dot == std::string::npos ? std::string() : path.substr(0, dot);
}

std::string lower_case(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

const std::vector<KeySpec>& deck_schema() { return kSchema; }

const KeySpec* find_spec(const std::string& schema_path) {
  for (const auto& s : kSchema)
    if (schema_path == s.path) return &s;
  return nullptr;
}

std::vector<const KeySpec*> children_of(const std::string& schema_parent) {
  std::vector<const KeySpec*> out;
  for (const auto& s : kSchema)
    if (parent_of(s.path) == schema_parent) out.push_back(&s);
  return out;
}

std::string schema_path_of(const std::string& concrete_path) {
  std::string out;
  bool in_index = false;
  for (char c : concrete_path) {
    if (c == '[') in_index = true;
    if (in_index && c != '[' && c != ']') continue;
    if (c == ']') in_index = false;
    out += c;
  }
  return out;
}

std::string join_path(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

std::vector<std::string> split_allowed(const char* allowed) {
  std::vector<std::string> out;
  if (!allowed) return out;
  std::string item;
  std::istringstream is(allowed);
  while (std::getline(is, item, '|')) out.push_back(item);
  return out;
}

std::size_t edit_distance(const std::string& a_in, const std::string& b_in) {
  const std::string a = lower_case(a_in), b = lower_case(b_in);
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t subst = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, subst});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string closest_match(const std::string& word, const std::vector<std::string>& candidates) {
  // Up to 3 edits, but fewer for short words: any 2-letter word is within 2 edits of any other.
  const std::size_t limit = std::min<std::size_t>(3, std::max<std::size_t>(1, word.size() / 2));
  std::string best;
  std::size_t best_d = limit + 1;
  for (const auto& c : candidates) {
    const std::size_t d = edit_distance(word, c);
    if (d < best_d) {  // strict: the first of equally close candidates (table order) wins
      best_d = d;
      best = c;
    }
  }
  return best;
}

std::string describe_range(const Range& r) {
  std::ostringstream os;
  const bool has_lo = std::isfinite(r.lo), has_hi = std::isfinite(r.hi);
  if (has_lo && has_hi)
    os << "in " << (r.lo_open ? "(" : "[") << r.lo << ", " << r.hi << (r.hi_open ? ")" : "]");
  else if (has_lo)
    os << (r.lo_open ? "> " : ">= ") << r.lo;
  else if (has_hi)
    os << (r.hi_open ? "< " : "<= ") << r.hi;
  return os.str();
}

bool in_range(double v, const Range& r) {
  if (r.lo_open ? !(v > r.lo) : !(v >= r.lo)) return false;
  if (r.hi_open ? !(v < r.hi) : !(v <= r.hi)) return false;
  return true;
}

}  // namespace npde::io::detail
