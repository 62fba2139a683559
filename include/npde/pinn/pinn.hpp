// SPDX-License-Identifier: BSD-3-Clause
// The general data-parallel PINN: any pde/ equation (through its ResidualKernel), any number of
// outputs, on a space(-time) box; the loss is a list of named terms (the equation's residuals, each
// soft condition), hard conditions by trial functions (docs/numerics.md, "Loss terms").
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "npde/decomp/communicator.hpp"
#include "npde/nn/jet_mlp.hpp"
#include "npde/pde/problem.hpp"
#include "npde/pinn/residual_kernel.hpp"
#include "npde/pinn/model.hpp"
#include "npde/pinn/options.hpp"
#include "npde/pinn/trial.hpp"

namespace npde::pinn {

/// The jet an equation's residuals need (tangents, Laplacian and diagonal channels from the Needs).
nn::JetSpec jet_spec_of(const pde::Needs& needs, int n_inputs);

/// A PINN for `problem` with the residuals of `kernel`; every rank holds identical parameters and a
/// block of every point set. Loss = sum over terms of weight / N_global * sum_points r^2, where the
/// terms are: one per residual of the equation (interior points), one per soft condition (its faces,
/// the initial slice, or pairs of periodic faces).
template <class T>
class Pinn final : public Model<T> {
 public:
  /// Collective on comm. [in] problem: copied; its equation must be the kernel's. [in] kernel: the
  /// equation's residuals (owned). Throws npde::InputError for problems it cannot build (a hard
  /// condition without a lift, a coefficient count that does not match).
  Pinn(const decomp::Communicator& comm, const pde::Problem& problem, std::unique_ptr<ResidualKernel<T>> kernel,
       const PinnOptions& opts);

  const decomp::Communicator& comm() const override { return m_comm; }
  /// [network parameters, trained coefficients θ_i] with coefficient_i = scale_i θ_i, scale_i = |initial
  /// guess| (1 if 0), so the trained numbers start at ±1 whatever the coefficient's magnitude.
  View1<T> params() override { return m_params; }
  std::size_t n_params() const override { return m_params.extent(0); }
  void sample(std::uint64_t round) override;
  T loss_and_gradient(const View1<T>& grad) override;
  const std::vector<std::string>& term_names() const override { return m_term_names; }
  const std::vector<double>& last_terms() const override { return m_term_values; }
  void set_stage_weights(const std::vector<std::pair<std::string, double>>& overrides) override;
  /// Interior, boundary (per condition) and initial counts; with adaptive sampling the interior count
  /// is the adaptive set's (an interior override throws npde::InputError).
  bool set_stage_points(const StagePoints& points) override;
  double validation_error() override;
  /// The trained coefficients with their names (inverse problems, eigen energies).
  std::string progress_note() const override;
  /// Causal training: the time-chunk weights at the current parameters (a forward pass over the
  /// interior points and one allreduce of the chunk losses).
  void adapt(long iteration) override;
  std::vector<double> adaptive_state() const override;
  void set_adaptive_state(const std::vector<double>& state) override;
  /// causal_weight_<k>, causal_loss_<k> per time chunk k (causal training); weight_<term> per loss term
  /// (loss balancing).
  std::vector<std::string> extra_names() const override;
  std::vector<double> extra_values() const override;

  nn::Mlp<T>& network() { return m_net; }
  const pde::Problem& problem() const { return m_problem; }
  const ResidualKernel<T>& kernel() const { return *m_kernel; }
  const PinnOptions& options() const { return m_opts; }
  /// The equation's coefficients at the current parameters (trained ones from the parameter vector).
  std::vector<double> coefficients() const;
  /// Sets trained coefficient `index` (equation order) to `value`, rescaling its parameter so that it
  /// is ±1 again (before training, e.g. an eigenvalue guess). Not collective; call it on every rank.
  void set_coefficient(int index, double value);
  /// Eigenproblems: psi, or d psi/dx, at the points of the Simpson grid. Local.
  std::vector<double> quadrature_values(bool derivative);
  /// Simpson's integral of the squares of values given at the quadrature points (int psi^2). Local.
  double quadrature_norm2(const std::vector<double>& values) const;
  /// Multiplies the network's output (its last layer's weights and biases) by `factor`: with a lift of 0
  /// the solution scales with it (eigenproblems start at int psi^2 = 1). Not collective.
  void scale_output(double factor);
  /// Eigenproblems: the Rayleigh quotient int(psi'^2 + V psi^2) / int psi^2 of the current network with
  /// the earlier states projected out (the variational energy of what the network holds). Local.
  double rayleigh_quotient();
  /// True if the periodic conditions are exact (hard problems: the periodic input embedding).
  bool periodic_embedded() const { return m_periodic_embedded; }
  /// Indices (in the equation's coefficient order) of the trained coefficients.
  const std::vector<int>& trained_coefficients() const { return m_trained; }
  /// Global point count of each term (the N in weight / N).
  const std::vector<std::size_t>& term_points() const { return m_term_points; }
  /// Weight group of each term ("pde", "bc", "initial", "data", ...; see Model::set_stage_weights).
  const std::vector<std::string>& term_groups() const { return m_term_groups; }
  /// Moves the parameters into `storage` (n_params() entries of device memory, e.g. a slice of a
  /// larger vector holding several models: multi-domain PINNs); the values are copied and params()
  /// views `storage` from now on (the caller keeps it alive). Not collective.
  void use_storage(const View1<T>& storage);

  /// Local (no communication): the outputs at n points (row-major (n, n_inputs), host) ->
  /// n * n_outputs values, point-major (output o of point p at p * n_outputs + o).
  std::vector<double> predict(const std::vector<double>& points);

 private:
  /// One soft condition's points on this rank.
  struct ConditionSet {
    std::size_t condition = 0;   ///< index into problem.conditions (observation < 0)
    int observation = -1;        ///< index into problem.observations: a data term
    int term = 0;                ///< index of its loss term
    int axis = -1;               ///< input whose derivative the residual reads (-1: value only)
    bool periodic = false;       ///< points come in (lower, upper) pairs
    std::size_t n_global = 0;    ///< points (pairs for periodic) over all ranks
    std::size_t n_local = 0;
    View1<T> x, aux;             ///< x (n_inputs, n) and aux (kConditionAux, n); periodic: lower then upper halves
    std::unique_ptr<nn::JetMlp<T>> jet;
  };
  void fill_interior(const std::vector<double>& pts);
  /// Global points of a condition set at the current stage's counts.
  std::size_t condition_points(const ConditionSet& set) const;
  /// Random weight factorisation: the network's W = exp(s) V and b from the trained (V, b, s). Local.
  void materialize();
  /// Random weight factorisation: the gradient over the network's (W, b) in g[0, n_net) becomes the
  /// gradient over (V, b) there and over s in g[n_net, n_raw). Host values. Local.
  void factorized_gradient(T* g) const;
  /// RAD: the interior points of resampling round `round` drawn from dense candidates by the residual
  /// density (identical on every rank); this rank keeps its block. Collective.
  void sample_adaptive(std::uint64_t round);
  /// RAR-D: the current set plus rar_add candidates drawn without replacement.
  void sample_refine(std::uint64_t round);
  /// The sampling density of RAD and RAR-D over the dense candidates of `round` (returned in cand),
  /// identical on every rank: p_i = |r_i|^k / mean |r|^k + c, unnormalised.
  std::vector<double> candidate_density(std::uint64_t round, std::vector<double>& cand);
  /// The global interior count (RAR-D grows it); the residual terms' point counts follow.
  void set_interior_count(std::size_t n);
  /// Causal training: the per-point factors w_k N / (M N_k) of the local interior points, from m_causal_w.
  void update_point_factors();
  /// Causal training: multiplies the kernel's squared residuals and adjoints (and coefficient adjoints)
  /// of interior points off..off+n by their point factors.
  void apply_point_factors(std::size_t off, int n, bool coefficients);
  void fill_condition(ConditionSet& set, std::uint64_t round);
  void condition_loss(ConditionSet& set, T* grad, double& loss);
  /// The residual terms over the local interior points (scale[j]: residual j's weight / N): adds their
  /// values to terms, their gradient to g and the trained coefficients' to coef_grad. Local.
  void interior_loss(const T* scale, T* g, std::vector<double>& terms, std::vector<double>& coef_grad);
  /// Loss balancing: the gradients of the unweighted terms (over the network's parameters, summed
  /// over ranks in one allreduce), then the new weights. Collective.
  void update_balancing();
  /// Sum over the residuals of r^2 at each local interior point (unweighted, forward only). Local.
  std::vector<double> interior_squared_residuals();
  void eigen_loss(const std::vector<double>& psi, double q, T* grad, T* grad_q, std::vector<double>& terms);
  /// Adds the Rayleigh-quotient (energy) term's value and gradient (rank 0; eigenproblems); the trained
  /// energy's gradient goes to coef_grad.
  void energy_loss(const std::vector<double>& psi, T* grad, std::vector<double>& coef_grad, std::vector<double>& terms);
  /// Appends a loss term; returns its index.
  int add_term(const std::string& name, const char* group, double weight, std::size_t points);

  decomp::Communicator m_comm;
  pde::Problem m_problem;
  std::unique_ptr<ResidualKernel<T>> m_kernel;
  PinnOptions m_opts;
  int m_n_in = 1, m_n_out = 1, m_n_res = 1;
  nn::Mlp<T> m_net;
  View1<T> m_params;               ///< [network (V and b with weight factorisation), s, trained coefficients]
  std::size_t m_n_net = 0;         ///< the network's parameters (W, b)
  std::size_t m_n_raw = 0;         ///< trained network parameters: m_n_net, plus s with weight factorisation
  std::vector<int> m_trained;      ///< trained coefficient indices
  std::vector<double> m_coef_scale;
  View1<T> m_coef_adj;             ///< (n_coefficients, chunk) per-point coefficient derivatives
  std::vector<TrialFunction> m_trials;
  unsigned m_hard = 0;  ///< bit o: output o has an active trial function
  bool m_periodic_embedded = false;  ///< periodic axes enter through cos/sin (no periodic terms)
  std::unique_ptr<nn::JetMlp<T>> m_jet_interior, m_jet_value;
  View1<T> m_x_interior, m_aux_interior;
  std::size_t m_n_interior_local = 0;
  std::vector<ConditionSet> m_sets;
  std::vector<std::string> m_term_names;
  std::vector<double> m_term_weights, m_term_values;
  std::vector<double> m_base_weights;     ///< the options' weights (stages may override them)
  std::vector<std::string> m_term_groups; ///< weight group of each term (set_stage_weights)
  std::vector<std::size_t> m_term_points;
  View1<T> m_adj, m_sq, m_scale, m_pair_x, m_pair_aux;
  View1<T> m_reduce;  ///< [grad (n_params), term values]
  typename View1<T>::HostMirror m_reduce_host;
  std::vector<double> m_validation_points, m_validation_exact;
  // eigenproblems: Simpson grid over the box, the potential there, the trial data, value/tangent jets
  std::vector<double> m_quad_x, m_quad_w;
  std::vector<double> m_quad_v;  ///< int V psi^2 = sum m_quad_v psi^2 (trapezoid weight x cell mean of V)
  View1<T> m_x_quad, m_aux_quad;
  std::unique_ptr<nn::JetMlp<T>> m_jet_quad;
  int m_term_norm = -1, m_term_orth = -1, m_term_energy = -1;
  std::vector<int> m_validation_outputs;  ///< outputs with an exact solution
  // causal training: time chunk of each local interior point, global points per chunk, the chunks'
  // weights and mean squared residuals (as of the last adapt), per-point factor of the residual terms
  std::vector<double> m_rad_points;  ///< RAD/RAR-D: the global interior points of the last draw (empty: none yet)
  std::size_t m_n_interior = 0;      ///< global interior points now (RAR-D grows it)
  StagePoints m_stage_points;        ///< the stage's counts (0: the options' own)
  std::vector<int> m_chunk_of;
  std::vector<double> m_chunk_count, m_causal_w, m_causal_loss;
  View1<T> m_point_factor;
};

/// Per-point aux of a condition point: target g, sign of the outward normal, then G and D canonical jets
/// of the condition's output.
inline constexpr int kConditionAux = 2 + 2 * pde::kCanonical;

}  // namespace npde::pinn
