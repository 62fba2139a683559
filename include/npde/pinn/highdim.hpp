// SPDX-License-Identifier: BSD-3-Clause
// High-dimensional test equations on the unit ball, trained with stochastic dimension gradient
// descent (SDGD): each step differentiates along B of the d dimensions only (docs/numerics.md,
// "High dimension").
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "npde/core/types.hpp"
#include "npde/decomp/communicator.hpp"
#include "npde/nn/jet_mlp.hpp"
#include "npde/nn/mlp.hpp"
#include "npde/pinn/model.hpp"

namespace npde::pinn {

/// The two-body test problem of Hu, Shukla, Karniadakis & Kawaguchi ("Tackling the curse of
/// dimensionality with physics-informed neural networks", 2023) on the unit ball B^d, u = 0 on the
/// sphere: u*(x) = (1 - |x|^2) sum_{i<d-1} c_i sin(x_i + cos x_{i+1} + x_{i+1} cos x_i), c_i ~ N(0, 1)
/// from a seed (0-based indices). Forms: Poisson -Lap u = f, Allen-Cahn Lap u + u - u^3 = f, with f
/// made from u*.
struct TwoBody {
  enum class Form { Poisson, AllenCahn };
  int dimension = 100;
  Form form = Form::Poisson;
  std::uint64_t coefficient_seed = 0;

  /// c_0 .. c_{d-2}.
  std::vector<double> coefficients() const;
  /// Host evaluation at one point x (dimension entries): u*, its Laplacian, and f.
  double exact(const double* x) const;
  double exact_laplacian(const double* x) const;
  double source(const double* x) const;
};

/// Options of a HighDimPinn (from the deck's network and training sections).
struct HighDimOptions {
  std::vector<int> hidden{128, 128, 128, 128};
  nn::Activation activation = nn::Activation::Tanh;
  nn::Architecture architecture = nn::Architecture::Plain;
  bool random_encoder_biases = false;  ///< the gated networks' encoder biases Glorot-random (Mlp::init_glorot)
  std::size_t n_interior = 100;   ///< global points per round
  std::size_t n_validation = 2000;
  /// Sampled dimensions B per step (1..min(d, nn::kMaxTangents)); d: the exact Laplacian, no sampling
  /// (above pass_dimensions in several jet passes of at most that many tangents each).
  int sdgd_dimensions = 16;
  /// Tangents per jet pass of the exact Laplacian (1..nn::kMaxTangents).
  int pass_dimensions = nn::kMaxTangents;
  /// Independent draws: the residual's dimensions I and the gradient's J are drawn separately and the
  /// gradient is 2 mean r_I grad r_J (unbiased for the gradient of the mean squared residual; the
  /// loss reported is mean r_I r_J, unbiased for it). Otherwise one draw serves both (mean r_I^2 and
  /// its exact gradient: a consistent objective for quasi-Newton stages, but a biased gradient).
  bool sdgd_independent = true;
  /// The radius of the training and validation points: uniform in [0, 1] (the SDGD and STDE codes'
  /// sampling, denser towards the centre), else U^(1/d) (uniform in the ball's volume).
  bool radius_uniform = false;
  double weight_pde = 1.0;
  std::uint64_t seed = 0;
  int chunk = 128;
};

/// The PINN u = (1 - |x|^2) N(x) for a TwoBody problem: the boundary condition is built in, the loss
/// is the mean squared residual with the Laplacian estimated from B dimensions drawn per step.
/// Points are uniform in the ball (direction of a Gaussian vector, radius U^(1/d)) or uniform in the
/// radius (HighDimOptions::radius_uniform), drawn on the device, each rank its block of the global set
/// (the same set for any rank count).
template <class T>
class HighDimPinn final : public Model<T> {
 public:
  HighDimPinn(const decomp::Communicator& comm, const TwoBody& problem, const HighDimOptions& opts);

  const decomp::Communicator& comm() const override { return m_comm; }
  View1<T> params() override { return m_net.params(); }
  std::size_t n_params() const override { return m_net.n_params(); }
  void sample(std::uint64_t round) override;
  T loss_and_gradient(const View1<T>& grad) override;
  const std::vector<std::string>& term_names() const override { return m_term_names; }
  const std::vector<double>& last_terms() const override { return m_terms; }
  double validation_error() override;
  void set_stage_weights(const std::vector<std::pair<std::string, double>>& overrides) override;
  /// The interior count of a stage (the ball has no boundary or initial points).
  bool set_stage_points(const StagePoints& points) override;
  /// Draws the dimensions of the step (a function of the seed and `iteration` only).
  void adapt(long iteration) override;
  /// The sampled dimensions (an L-BFGS stage resumed mid-stage keeps its stage's draw).
  std::vector<double> adaptive_state() const override;
  void set_adaptive_state(const std::vector<double>& state) override;

  const TwoBody& problem() const { return m_problem; }
  const nn::Mlp<T>& network() const { return m_net; }
  /// The dimensions of the current Laplacian estimate (sorted), and those of the gradient's
  /// (independent draws; else the same).
  const std::vector<int>& dimensions() const { return m_dims[0]; }
  const std::vector<int>& gradient_dimensions() const { return m_dims[m_dims.size() - 1]; }
  /// Local. The residual at this rank's points with the current dimensions (for tests).
  std::vector<double> residuals();
  /// Local. At this rank's validation points (global rows validation_offset() onwards): the network's
  /// u, the exact u and the radius |x|.
  void validation_fields(std::vector<double>& u, std::vector<double>& exact, std::vector<double>& radius);
  std::size_t validation_offset() const { return m_val_offset; }
  /// Local. u = (1 - |x|^2) N(x) at points (n, d) row-major.
  std::vector<double> predict(const std::vector<double>& points);

 private:
  decomp::Communicator m_comm;
  TwoBody m_problem;
  HighDimOptions m_opts;
  int m_d = 0;
  nn::Mlp<T> m_net;
  std::unique_ptr<nn::JetMlp<T>> m_jet;    ///< value, B tangents, their Laplacian
  // the exact Laplacian in passes (B = d > pass_dimensions): the passes' dimensions (consecutive
  // blocks), a jet for the last block when it is shorter, per point the sums over the passes of
  // x_i N_i and N_ii, the value N, and the residual's adjoint factor 2 scale r
  std::vector<std::vector<int>> m_passes;
  std::vector<Kokkos::View<int*, MemSpace>> m_passes_dev;
  std::unique_ptr<nn::JetMlp<T>> m_jet_last;
  View1<T> m_sum_xn, m_sum_lap, m_n0;
  std::unique_ptr<nn::JetMlp<T>> m_value;  ///< value only (validation, predict)
  std::vector<std::vector<int>> m_dims;                 ///< I (and J with independent draws)
  std::vector<Kokkos::View<int*, MemSpace>> m_dims_dev;
  View1<T> m_r;                                        ///< per chunk: r_I (independent draws)
  std::size_t m_n_local = 0;
  std::size_t m_n_points = 0;  ///< global points per round (the stage's count or the options')
  View1<T> m_x, m_f;        ///< this rank's points (d, n) and the source there
  View1<T> m_weight_d;      ///< 1 - |x|^2 at those points (the trial function's factor)
  View1<T> m_adj, m_sq;     ///< per chunk: adjoint of the jets, squared residuals
  View1<T> m_grad;          ///< gradient accumulator, then [gradient, loss] on the host for the allreduce
  View1<double> m_coef;  ///< c_0 .. c_{d-2} (device)
  std::size_t m_n_val_local = 0, m_val_offset = 0;
  View1<T> m_x_val;
  std::vector<double> m_u_val;  ///< exact solution at this rank's validation points
  std::vector<std::string> m_term_names{"pde"};
  std::vector<double> m_terms{0.0};
  double m_weight = 1.0;

  /// Uniform points in the ball: this rank's block of `n` global points of `round` into x (d, n_local).
  void draw(std::uint64_t stream, std::uint64_t round, std::size_t n, View1<T>& x, std::size_t& n_local);
  /// Points the jet's tangents at draw k.
  void use_draw(std::size_t k);
  /// The residual kernel on one chunk after a forward with draw k: returns the sum of scale r r_other
  /// (r_other null: r^2) and fills m_adj with its derivative, r_other held constant (2 scale r_other
  /// dr); dw holds 1 - |x|^2 per point; residual_out (may be null) gets r.
  double chunk_loss(std::size_t k, const T* x, const T* f, const T* dw, int n, double scale, const T* r_other,
                    T* residual_out);
  /// The exact Laplacian in passes: the jet of pass k (the shorter last one has its own).
  nn::JetMlp<T>& pass_jet(std::size_t k);
  /// Passes: the residual of one chunk (all passes forward, sums, residual); returns sum scale r^2, r
  /// in residual_out (may be null) and 2 scale r in m_r.
  double pass_residual(const T* x, const T* f, const T* dw, int n, double scale, T* residual_out);
  /// Passes: after pass_residual, the gradient of the chunk's loss added to m_grad (a forward again
  /// per pass but the last, whose jets are still there, and a backward per pass).
  void pass_gradient(const T* x, const T* dw, int n);
};

}  // namespace npde::pinn
