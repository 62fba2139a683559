// SPDX-License-Identifier: BSD-3-Clause
// Options shared by the PINN models: network shape, point counts, weights, sampling.
#pragma once

#include <cstdint>
#include <vector>

#include "npde/nn/activation.hpp"
#include "npde/nn/mlp.hpp"
#include "npde/pde/sampler.hpp"

namespace npde::pinn {

/// How a PINN is built (from the deck's network and training sections).
struct PinnOptions {
  std::vector<int> hidden{64, 64, 64};
  nn::Activation activation = nn::Activation::Tanh;
  nn::Architecture architecture = nn::Architecture::Plain;  ///< plain or modified MLP (nn/mlp.hpp)
  bool random_encoder_biases = false;  ///< the gated networks' encoder biases Glorot-random (Mlp::init_glorot)
  /// The network outputs a stream function psi in place of the first two outputs (u = psi_y,
  /// v = -psi_x: nn::OutputMap::StreamFunction), then the others.
  bool stream_function = false;
  bool hard_bc = true;                 ///< trial function u = g + D N instead of a boundary loss
  double weight_pde = 1.0, weight_bc = 1.0;
  double weight_initial = 1.0;         ///< initial value and rate terms (time-dependent equations)
  double weight_data = 1.0;            ///< observation (data) terms of inverse problems
  std::size_t n_interior = 2000;       ///< global number of interior points (all ranks)
  std::size_t n_boundary = 400;        ///< global number of boundary points (soft BC only)
  std::size_t n_initial = 400;         ///< global number of initial-slice points (soft initial conditions only)
  pde::SamplerKind sampler = pde::SamplerKind::Sobol;
  std::uint64_t seed = 0;
  int chunk = 256;                     ///< points per jet pass: small enough that the jets of all layers stay in L2 (see docs/benchmarks.md)
  std::size_t n_validation = 4096;     ///< global validation points for the error vs exact
  /// Random weight factorisation of every layer, W = diag(exp(s)) V with s ~ N(rwf_mean, rwf_stddev^2)
  /// per output unit (the trained parameters are V, b and s).
  bool weight_factorization = false;
  double rwf_mean = 1.0, rwf_stddev = 0.1;
  /// Standardised inputs (nn::InputEmbedding::standardized over the problem's box; not with the
  /// periodic embedding or Fourier features).
  bool standardize_inputs = false;
  /// Random Fourier features of the inputs (0: none): cos/sin of 2 pi b_j . x, b ~ N(0, sigma^2).
  int fourier_frequencies = 0;
  double fourier_sigma = 1.0;
  /// Physics-Informed Gaussians (0: none): trainable Gaussian features of the inputs, initial widths
  /// gaussian_width times each side of the box (nn::InputEmbedding::gaussian).
  int gaussian_features = 0;
  double gaussian_width = 0.1;
  /// Adaptive loss weights (docs/numerics.md, "Loss balancing"): none, learning-rate annealing or
  /// gradient-norm weighting, updated every balance_every iterations with a moving average.
  enum class Balancing { Fixed, Annealing, GradNorm };
  Balancing balancing = Balancing::Fixed;
  int balance_every = 10;
  double balance_momentum = 0.9;
  /// Annealing: one factor per weight group (every condition term of the group scaled alike from the
  /// group's summed gradient: the gradient-pathologies code's single boundary weight) instead of one
  /// weight per term.
  bool balance_shared = false;
  /// Annealing's ratio: false, max over all weight matrices of |dL_r/dW| over the mean of the
  /// matrices' mean |d(w L)/dW| (the paper's Helmholtz code); true, the largest over the weight
  /// matrices of that matrix's max over its mean (its cavity and Klein-Gordon code).
  bool balance_per_layer = false;
  /// Annealing with a gated network (modified MLP, PirateNet): the encoders' weight matrices count in
  /// the statistics (true) or only the main layers' do (false: the gradient-pathologies code, whose
  /// annealing reads the gradients of its main weights alone).
  bool balance_encoders = true;
  /// Residual-based adaptive distribution (RAD, Wu et al. 2023) of the interior points at every
  /// resampling round > 0: rad_candidates dense candidates, drawn with density
  /// |r|^rad_k / mean |r|^rad_k + rad_c (0 candidates: plain resampling).
  std::size_t rad_candidates = 0;
  double rad_k = 1.0, rad_c = 1.0;
  /// RAD replaces the interior set at every round; RAR-D (Wu et al.'s residual-based adaptive
  /// refinement with distribution) keeps it and adds rar_add distinct candidates drawn with the same
  /// density, without replacement.
  enum class Adaptive { Rad, RarD };
  Adaptive adaptive = Adaptive::Rad;
  std::size_t rar_add = 0;
  /// Causal training (time-dependent problems): the interior points split into this many time chunks,
  /// chunk k's mean squared residual L_k weighted by w_k = exp(-causal_epsilon sum_{i<k} L_i) (0: off).
  int causal_chunks = 0;
  double causal_epsilon = 1.0;
};

}  // namespace npde::pinn
