// SPDX-License-Identifier: BSD-3-Clause
// Data-parallel physics-informed network for -Lap u = f: collocation points, loss and its
// parameter gradient (forward-Laplacian jets, dual-number residual adjoints, one reverse pass).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "npde/decomp/communicator.hpp"
#include "npde/nn/jet_mlp.hpp"
#include "npde/pde/poisson.hpp"
#include "npde/pde/sampler.hpp"
#include "npde/pinn/model.hpp"
#include "npde/pinn/options.hpp"
#include "npde/pinn/trial_function.hpp"

namespace npde::pinn {

/// Loss terms of the last evaluation (already summed over ranks).
struct LossTerms {
  double total = 0, pde = 0, bc = 0;
};

/// PINN for a PoissonProblem; every rank holds identical parameters and a block of the points.
/// Loss = w_pde/N_i sum_i r_i^2 + w_bc/N_b sum_b (u_b - g_b)^2 (the second term only with soft BCs).
template <class T>
class PoissonPinn final : public Model<T> {
 public:
  /// Collective on comm. Builds the network (Glorot init from seed) and samples round 0.
  /// `problem` is copied; comm is held (shared handle).
  PoissonPinn(const decomp::Communicator& comm, const pde::PoissonProblem& problem, const PinnOptions& opts);

  nn::Mlp<T>& network() { return m_net; }
  /// The communicator the points are split over (shared handle).
  const decomp::Communicator& comm() const override { return m_comm; }
  const nn::Mlp<T>& network() const { return m_net; }
  const PinnOptions& options() const { return m_opts; }
  std::size_t n_params() const override { return m_net.n_params(); }
  View1<T> params() override { return m_net.params(); }

  /// Collective. Draws point set `round` (global, deterministic, sliced by rank) and its data.
  void sample(std::uint64_t round) override;
  /// Collective. Loss at the network's current parameters; its gradient is written to grad (n_params,
  /// device), summed over ranks with ONE allreduce of [grad, loss terms].
  T loss_and_gradient(const View1<T>& grad) override;
  const LossTerms& loss_terms() const { return m_terms; }
  /// Terms "pde", and "bc" with soft BCs.
  const std::vector<std::string>& term_names() const override { return m_term_names; }
  const std::vector<double>& last_terms() const override { return m_term_values; }
  /// Groups "pde" and, with a soft boundary, "bc".
  void set_stage_weights(const std::vector<std::pair<std::string, double>>& overrides) override;

  /// Local (no communication): u at n points (row-major (n, dim), host) -> n values.
  std::vector<double> predict(const std::vector<double>& points);
  /// Collective. Relative L2 error against problem.exact on the validation points (NaN if no exact).
  double validation_error() override;

 private:
  void upload_points(const std::vector<double>& pts, bool interior);
  decomp::Communicator m_comm;
  pde::PoissonProblem m_problem;
  PinnOptions m_opts;
  double m_base_weight_pde = 1, m_base_weight_bc = 1;  ///< the options' weights (stages may override)
  int m_dim;
  nn::Mlp<T> m_net;
  std::unique_ptr<nn::JetMlp<T>> m_jet_interior, m_jet_value;
  BoxDistance m_distance;
  // local points (dim, n) column-major and per-point data (n_aux, n), device
  View1<T> m_x_interior, m_aux_interior, m_x_boundary, m_aux_boundary;
  std::size_t m_n_interior_local = 0, m_n_boundary_local = 0;
  View1<T> m_adj;     ///< output adjoint of one chunk
  View1<T> m_reduce;  ///< [grad (n_params), loss_pde, loss_bc]
  typename View1<T>::HostMirror m_reduce_host;
  LossTerms m_terms;
  std::vector<std::string> m_term_names;
  std::vector<double> m_term_values;
  std::vector<double> m_validation_points, m_validation_exact;
};

}  // namespace npde::pinn
