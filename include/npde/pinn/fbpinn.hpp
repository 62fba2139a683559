// SPDX-License-Identifier: BSD-3-Clause
// Finite-basis PINNs (FBPINN, Moseley, Markham & Nissen-Meyer 2023): overlapping subdomains, each with
// its own network, blended by smooth windows into one solution u = G + D sum_j W_j N_j (docs/numerics.md,
// "Finite-basis PINNs").
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "npde/pinn/multidomain.hpp"

namespace npde::pinn {

/// The FBPINN of a problem whose conditions a trial function takes (Dirichlet, initial): the box split
/// into a BoxPartition with overlap, subdomain j's network N_j (inputs standardised to its extent) held
/// by one rank, the solution u = G + D sum_j W_j N_j with W_j = w_j / sum_k w_k the normalised windows.
/// The loss is the equation's residuals of u at a global point set (the same for any rank count): a
/// point belongs to the subdomain whose core holds it, whose rank forms u there from the jets of every
/// network whose window covers the point. Per evaluation the networks' jets at the points of their
/// extents travel to the points' owners, and the adjoints back (decomp::Exchange, one message per
/// pair of overlapping subdomains each way). Loss, gradient and training are the same bits on any rank
/// count; the parameters are spread over the ranks as in MultiDomainPinn.
template <class T>
class FbPinn final : public Model<T> {
 public:
  /// Collective on comm. Throws npde::InputError (one line) for what FBPINN cannot do (check_decomposition).
  FbPinn(const decomp::Communicator& comm, const pde::Problem& problem, std::unique_ptr<ResidualKernel<T>> kernel,
         const PinnOptions& opts, const DecompositionOptions& dopts);
  ~FbPinn() override;

  const decomp::Communicator& comm() const override { return m_comm; }
  View1<T> params() override { return m_params; }
  std::size_t n_params() const override { return m_params.extent(0); }
  void sample(std::uint64_t round) override;
  T loss_and_gradient(const View1<T>& grad) override;
  const std::vector<std::string>& term_names() const override { return m_term_names; }
  const std::vector<double>& last_terms() const override { return m_term_values; }
  void set_stage_weights(const std::vector<std::pair<std::string, double>>& overrides) override;
  double validation_error() override;
  /// subdomain_<k>_loss: the residual terms at the points subdomain k's core holds.
  std::vector<std::string> extra_names() const override;
  /// decomposition.schedule: moves to the phase of `iteration` (rebuilding the point sets where it
  /// changes). Phase p < L (the layers along the axis) trains layer p's subdomains with the points of
  /// their windows, and every other subdomain whose window covers one of those points unless an earlier
  /// layer holds it (fixed: evaluated, not trained); phase L trains all.
  void adapt(long iteration) override;
  View1<const std::uint8_t> trainable() const override { return m_trainable; }
  /// The schedule's phase (empty without a schedule): an L-BFGS stage keeps the phase it started in,
  /// so a restart inside it cannot recompute the phase from the iteration.
  std::vector<double> adaptive_state() const override;
  void set_adaptive_state(const std::vector<double>& state) override;
  std::string progress_note() const override;
  std::vector<double> extra_values() const override { return m_subdomain_loss; }
  optim::Segments segments() const override { return spread().segments(); }
  std::size_t n_params_global() const override { return m_offsets.back(); }
  std::vector<double> gather(const std::vector<double>& local) const override { return spread().gather(local); }
  std::vector<double> scatter(const std::vector<double>& global) const override { return spread().scatter(global); }

  const decomp::BoxPartition& partition() const { return m_part; }
  const DecompositionOptions& decomposition() const { return m_dopts; }
  /// Parameters of subdomain s's network (any subdomain).
  std::size_t params_of(int s) const { return m_offsets[std::size_t(s) + 1] - m_offsets[std::size_t(s)]; }
  const std::vector<std::size_t>& term_points() const { return m_term_points; }
  /// What subdomain s does in the current phase of the schedule.
  enum class Role { Trained, Fixed, Idle };
  Role role(int s) const { return m_roles[std::size_t(s)]; }
  /// The current phase (0 .. layers; layers: every subdomain trains) and the points of the loss.
  int phase() const { return m_phase; }
  std::size_t loss_points() const { return m_n_loss; }
  /// Collective: every rank passes its own points (row-major (n, n_inputs), host) and gets n * n_outputs
  /// values (point-major) of u = G + D sum_j W_j N_j.
  std::vector<double> predict(const std::vector<double>& points);
  /// Local. The subdomain whose core holds each point (the largest window there).
  std::vector<int> subdomain_of(const std::vector<double>& points) const;
  /// This rank's exchange so far (both directions).
  const ExchangeStats& exchange_stats() const { return m_stats; }

 private:
  struct Pair;    ///< the points of owner subdomain s covered by subdomain j's window
  struct Owner;   ///< an owned subdomain as the owner of its core's points
  struct Network; ///< an owned subdomain's network and the points of its extent
  /// Collective on nothing: every rank computes the same sets from the global points of `round`.
  void build(std::uint64_t round);
  /// Collective. u at every point of `points` (the same list on every rank), n * n_outputs values.
  std::vector<double> evaluate_all(const std::vector<double>& points);
  /// The covering subdomains of x, ascending, with their normalised windows' jets.
  void cover(const double* x, std::vector<int>& subs, std::vector<double>& jet) const;
  detail::SpreadParameters spread() const { return {m_comm, m_owned, m_offsets}; }
  /// Layers along the schedule's axis (0 without a schedule) and subdomain s's layer in schedule order.
  int layers() const;
  int layer_of(int s) const;

  decomp::Communicator m_comm;
  pde::Problem m_problem;
  std::unique_ptr<ResidualKernel<T>> m_kernel;
  PinnOptions m_opts;
  DecompositionOptions m_dopts;
  decomp::BoxPartition m_part;
  decomp::Range m_owned;
  int m_n_in = 1, m_n_out = 1, m_n_res = 1;
  std::vector<std::size_t> m_offsets;  ///< global offsets of the subdomains' parameters (SpreadParameters)
  View1<T> m_params;
  std::vector<nn::Mlp<T>> m_nets;  ///< the owned subdomains' networks (parameters in m_params)
  std::vector<TrialFunction> m_trials;
  unsigned m_hard = 0;
  nn::JetSpec m_spec;
  std::vector<std::unique_ptr<Owner>> m_owners;
  std::vector<std::unique_ptr<Network>> m_networks;
  std::vector<Pair> m_pairs;
  std::vector<std::string> m_term_names;
  std::vector<std::size_t> m_term_points;
  std::vector<double> m_term_weights, m_term_values, m_subdomain_loss;
  std::vector<double> m_validation_points, m_validation_exact;
  ExchangeStats m_stats;
  std::uint64_t m_round = 0;                 ///< the point round drawn last
  int m_phase = 0;                           ///< the schedule's phase (layers(): all train)
  std::size_t m_n_loss = 0;                  ///< points of the loss in this phase (all ranks)
  std::vector<Role> m_roles;                 ///< per subdomain
  Kokkos::View<std::uint8_t*, Kokkos::LayoutLeft, MemSpace> m_trainable;  ///< empty: all train
  /// The records (point, channel, output) in doubles of the pairs with one side on another rank: pair
  /// i's at [seg, seg + points x channels x outputs). Device; the host copies are MPI's buffers (the
  /// same memory on a host backend). A pair on one rank is blended from and into the network's arrays.
  View1<double> m_jets, m_adjb;
  typename View1<double>::HostMirror m_jets_host, m_adjb_host;
  /// The blending's channel tables on the device: the tangents' axes, the Laplacian's terms, the
  /// diagonal terms, their channels.
  Kokkos::View<int*, Kokkos::LayoutLeft, MemSpace> m_blend_index;
  /// The device addresses of the owned networks' jets, for the blending (set each evaluation).
  Kokkos::View<std::uintptr_t*, Kokkos::LayoutLeft, MemSpace> m_net_out;
};

}  // namespace npde::pinn
