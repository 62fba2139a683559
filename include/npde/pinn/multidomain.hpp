// SPDX-License-Identifier: BSD-3-Clause
// Multi-domain PINNs (XPINN, cPINN): the problem's box split into a Cartesian grid of subdomains, each
// with its own network, held by one rank; neighbours coupled by interface loss terms computed from
// values exchanged between the ranks (docs/numerics.md, "Multi-domain PINNs").
#pragma once

#include <array>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "npde/decomp/partition.hpp"
#include "npde/nn/jet_mlp.hpp"
#include "npde/pinn/pinn.hpp"

namespace npde::pinn {

/// The interface conditions of the METALIC menu, in mask-bit order (bit k of a mask switches term k).
enum InterfaceTerm : int {
  kIfContinuity = 0,          ///< sum_o (u_a - u_b)^2
  kIfAverage = 1,             ///< sum_o (u_a - m)^2 + (u_b - m)^2, m = (u_a + u_b) / 2
  kIfResidual = 2,            ///< sum_j r_a^2 + r_b^2
  kIfResidualContinuity = 3,  ///< sum_j (r_a - r_b)^2
  kIfFlux = 4,                ///< sum_o (F_a - F_b)^2, F the physical flux through the interface
  kIfUyy = 5,                 ///< sum_o (u_yy,a - u_yy,b)^2 (y: the second input)
  kIfResidualGradient = 6,    ///< sum_j (d_n r_a)^2 + (d_n r_b)^2 (gPINN; n the interface normal)
  kIfUx = 7,                  ///< sum_o (u_x,a - u_x,b)^2 (x: the first input)
  kIfUxx = 8,                 ///< sum_o (u_xx,a - u_xx,b)^2
  kInterfaceTerms = 9
};

/// Deck name of interface term k ("continuity", "average", "residual", "residual_continuity", "flux",
/// "uyy", "residual_gradient", "ux", "uxx").
const char* interface_term_name(int k);
/// Index of an interface term's deck name, or -1.
int interface_term_index(const std::string& name);

/// How the box is split and the subdomains coupled (the deck's `decomposition:` section).
struct DecompositionOptions {
  enum class Method { Xpinn, Cpinn, Fbpinn };
  Method method = Method::Xpinn;
  std::vector<int> subdomains;  ///< per input axis (missing trailing axes: 1)
  /// Per input axis: empty (equal widths) or the subdomains[a] - 1 positions of the faces, increasing.
  std::vector<std::vector<double>> cuts;
  /// Weight of each interface term (0: off). The methods' defaults: xpinn() and cpinn().
  std::array<double, kInterfaceTerms> weights{};
  std::size_t interface_points = 100;  ///< points per interface (1 where the interface is a point)
  /// FBPINN: overlapping subdomains, neighbours sharing a band of overlap x (core width).
  double overlap = 0.25;
  /// Residual gradient: the central-difference step along the normal, as a fraction of the width of
  /// the lower subdomain across the interface.
  double gradient_step = 1e-3;
  /// FBPINN subdomain scheduling (Moseley et al. 2023): the layers of subdomains along `axis` (cell index
  /// along it, counted from the lower end, or the upper one) trained by turns, `every` Adam iterations
  /// each, then all subdomains together; axis < 0: all together from the start.
  struct Schedule {
    int axis = -1;
    long every = 0;
    bool from_upper = false;
  };
  Schedule schedule;
  /// Per-subdomain networks: (cell index per input axis, hidden widths) in place of PinnOptions::hidden.
  std::vector<std::pair<std::vector<int>, std::vector<int>>> networks;
  /// The hidden widths of subdomain `sub`: its entry of `networks`, else `dflt`.
  const std::vector<int>& hidden_of(const decomp::Subdomain& sub, const std::vector<int>& dflt) const;
  /// XPINN (Jagtap & Karniadakis 2020): average solution (20) and residual continuity (1).
  static DecompositionOptions xpinn();
  /// cPINN (Jagtap et al. 2020): flux continuity (20) and average solution (20).
  static DecompositionOptions cpinn();
  /// FBPINN (Moseley, Markham & Nissen-Meyer 2023): overlap 0.25, no interface terms.
  static DecompositionOptions fbpinn();
};

/// "xpinn", "cpinn" or "fbpinn".
std::string to_string(DecompositionOptions::Method m);

/// What a rank's interface exchange cost so far (multi-domain models): bytes it sent to other ranks,
/// seconds it waited for their messages, seconds of evaluations, evaluations; FBPINN: the most points
/// one of the rank's networks evaluates (its subdomain's extent, over the point rounds; 0: not counted).
struct ExchangeStats {
  double bytes_sent = 0, wait_seconds = 0, eval_seconds = 0;
  double network_points = 0;
  long evaluations = 0;
};

namespace detail {
/// The parameters of the subdomains of a partition, each rank holding its own subdomains' (contiguous
/// blocks of the subdomain order): the Model hooks of a model spread over ranks.
struct SpreadParameters {
  decomp::Communicator comm;
  decomp::Range owned;
  std::vector<std::size_t> offsets;  ///< subdomain s's parameters at [offsets[s], offsets[s + 1]) of the global vector
  /// Collective. The offsets from each rank's sizes of its own subdomains (in order).
  static std::vector<std::size_t> offsets_of(const decomp::Communicator& comm, const std::vector<std::size_t>& sizes);
  /// Offset of owned subdomain k (0-based among this rank's) in this rank's part.
  std::size_t local_offset(std::size_t k) const { return offsets[owned.begin + k] - offsets[owned.begin]; }
  optim::Segments segments() const;
  std::vector<double> gather(const std::vector<double>& local) const;
  std::vector<double> scatter(const std::vector<double>& global) const;
};
/// The subdomain whose core holds each point (row-major, n_inputs per point). Local.
std::vector<int> locate_all(const decomp::BoxPartition& part, const std::vector<double>& points, int n_inputs);
/// Collective. Every rank's points, concatenated in rank order; `first` gets this rank's first index.
std::vector<double> gather_points(const decomp::Communicator& comm, const std::vector<double>& points, int n_inputs,
                                  std::size_t& first);
/// "subdomain_<k>_loss" for k < n: the per-subdomain history columns.
std::vector<std::string> subdomain_loss_names(int n);
}  // namespace detail

/// The partition of problem's box a decomposition makes for `ranks` ranks. Throws npde::InputError.
decomp::BoxPartition make_partition(const pde::Problem& problem, const DecompositionOptions& dopts, int ranks);
/// Throws npde::InputError (one line naming the key) for a decomposition MultiDomainPinn cannot build on
/// `ranks` ranks (what the driver checks before any work).
void check_decomposition(const pde::Problem& problem, const PinnOptions& opts, const DecompositionOptions& dopts,
                         int ranks);

/// A PINN per subdomain of a BoxPartition, the subdomains spread over the ranks in contiguous blocks.
/// Each subdomain is a Pinn on its own box (its collocation points, its faces of the global boundary as
/// soft conditions, inputs standardised to the subdomain unless an embedding is chosen) and its own
/// parameters in this rank's part of the flat vector (segments()). The loss is
///   sum over subdomains of their terms + sum over interfaces of w_k / N_I sum_points T_k,
/// with T_k the interface terms above. At each evaluation every side of an interface evaluates its
/// network's jets and residuals at the interface points and sends them to the other side (non-blocking,
/// overlapped with the subdomains' own terms); the received values are constants in the receiver's
/// gradient. Because each T_k is symmetric in the two sides, the gradient both sides compute this way is
/// the exact gradient of the loss above (each interface term counted once), so L-BFGS sees a consistent
/// objective. Loss, terms and gradient are the same bits on any rank count.
template <class T>
class MultiDomainPinn final : public Model<T> {
 public:
  using KernelFactory = std::function<std::unique_ptr<ResidualKernel<T>>()>;
  /// Collective on comm. [in] problem: the whole problem (soft conditions only: every condition is a
  /// loss term of the subdomains whose faces it lies on). [in] kernel: makes one residual kernel per
  /// subdomain. [in] opts: each subdomain's network and the global point counts (split over the
  /// subdomains in proportion to the volume, boundary measure or initial slice each holds).
  /// Throws npde::InputError (one line) for what a decomposition cannot do.
  MultiDomainPinn(const decomp::Communicator& comm, const pde::Problem& problem, const KernelFactory& kernel,
                  const PinnOptions& opts, const DecompositionOptions& dopts);
  ~MultiDomainPinn() override;

  const decomp::Communicator& comm() const override { return m_comm; }
  View1<T> params() override { return m_params; }
  std::size_t n_params() const override { return m_params.extent(0); }
  void sample(std::uint64_t round) override;
  T loss_and_gradient(const View1<T>& grad) override;
  const std::vector<std::string>& term_names() const override { return m_term_names; }
  const std::vector<double>& last_terms() const override { return m_term_values; }
  /// Groups as Pinn's ("pde", "bc", "initial"), "interface" (every interface term) and "if_<term>" (one
  /// interface term: METALIC's two-phase plays switch terms between stages).
  void set_stage_weights(const std::vector<std::pair<std::string, double>>& overrides) override;
  double validation_error() override;
  /// subdomain_<k>_loss: subdomain k's own terms (without the interface terms).
  std::vector<std::string> extra_names() const override;
  std::vector<double> extra_values() const override { return m_subdomain_loss; }
  optim::Segments segments() const override { return spread().segments(); }
  std::size_t n_params_global() const override { return m_offsets.back(); }
  std::vector<double> gather(const std::vector<double>& local) const override { return spread().gather(local); }
  std::vector<double> scatter(const std::vector<double>& global) const override { return spread().scatter(global); }

  const decomp::BoxPartition& partition() const { return m_part; }
  const DecompositionOptions& decomposition() const { return m_dopts; }
  /// Parameters of subdomain s's network (any subdomain).
  std::size_t params_of(int s) const { return m_offsets[std::size_t(s) + 1] - m_offsets[std::size_t(s)]; }
  /// Global point count of each term (subdomain terms summed over the subdomains; interface terms:
  /// points over all interfaces).
  const std::vector<std::size_t>& term_points() const { return m_term_points; }
  /// Collective: every rank passes its own points (row-major (n, n_inputs), host) and gets n * n_outputs
  /// values (point-major), each point from the subdomain whose core holds it.
  std::vector<double> predict(const std::vector<double>& points);
  /// Local. The subdomain whose core holds each point.
  std::vector<int> subdomain_of(const std::vector<double>& points) const;
  /// Local. Subdomain s's network alone at points (row-major, host): n * n_outputs values. s must be
  /// one of this rank's subdomains (for tests and tools).
  std::vector<double> predict_subdomain(int s, const std::vector<double>& points);
  /// This rank's exchange so far.
  const ExchangeStats& exchange_stats() const { return m_stats; }

 private:
  struct Side;
  void fill_interfaces(std::uint64_t round);
  /// Forward jets and residuals at one side's points; packs its record for the other side.
  void side_forward(Side& side);
  /// The side's interface terms against the received record: values (lower side only) into terms,
  /// the gradient into the side's subdomain's slice of g.
  void side_backward(Side& side, T* g, std::vector<double>& terms);
  int local_index(int subdomain) const { return subdomain - int(m_owned.begin); }
  detail::SpreadParameters spread() const { return {m_comm, m_owned, m_offsets}; }

  decomp::Communicator m_comm;
  pde::Problem m_problem;
  PinnOptions m_opts;
  DecompositionOptions m_dopts;
  decomp::BoxPartition m_part;
  decomp::Range m_owned;
  std::vector<std::unique_ptr<Pinn<T>>> m_nets;  ///< the owned subdomains' PINNs
  std::vector<std::unique_ptr<ResidualKernel<T>>> m_kernels;  ///< per owned subdomain, for the interfaces
  View1<T> m_params;
  std::vector<std::size_t> m_offsets;  ///< global offsets of the subdomains' parameters (SpreadParameters)
  int m_n_in = 1, m_n_out = 1, m_n_res = 1;
  std::vector<std::unique_ptr<Side>> m_sides;
  std::vector<std::string> m_term_names;
  std::vector<std::size_t> m_term_points;
  std::vector<double> m_term_values, m_subdomain_loss;
  /// Per owned subdomain: term k of its Pinn -> index of the aggregated term.
  std::vector<std::vector<int>> m_term_map;
  int m_n_subdomain_terms = 0;  ///< aggregated subdomain terms (the interface terms follow)
  std::vector<int> m_if_terms;  ///< enabled interface terms (InterfaceTerm), in term order
  std::vector<double> m_if_weights;  ///< their current weights
  int m_record = 0;             ///< doubles per interface point in a side's record
  int m_flux_viscosity = -1;    ///< Burgers: index of the viscosity (flux u^2/2 - nu u_x); -1: d_n u
  std::vector<double> m_validation_points, m_validation_exact;
  std::vector<int> m_validation_owner;
  ExchangeStats m_stats;
};

}  // namespace npde::pinn
