// SPDX-License-Identifier: BSD-3-Clause
// MultiDomainPinn: one Pinn per subdomain on its own box, the interface records exchanged between
// neighbours (decomp::Exchange) while the subdomains' own terms are computed, the interface terms'
// values and gradients, one allreduce of per-subdomain and per-interface slots per evaluation.
#include "npde/pinn/multidomain.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <set>

#include "npde/core/error.hpp"
#include "npde/decomp/exchange.hpp"
#include "npde/pde/sampler.hpp"
#include "pinn/point_sets.hpp"

namespace npde::pinn {

using detail::to_device;
using pde::ConditionKind;

namespace {

constexpr const char* kTermNames[kInterfaceTerms] = {"continuity", "average",           "residual",
                                                     "residual_continuity", "flux",     "uyy",
                                                     "residual_gradient",   "ux",       "uxx"};
// Round of the validation set (as the single-domain PINN's): one training never reaches.
constexpr std::uint64_t kValidationRound = std::uint64_t(1) << 38;
// Streams of the per-subdomain and per-interface seeds.
constexpr std::uint64_t kSubdomainSeed = 0x9E3779B97F4A7C15ull, kInterfaceSeed = 0xC2B2AE3D27D4EB4Full;

/// Does subdomain `sub` of `part` lie on face f of the whole box?
bool on_face(const decomp::BoxPartition& part, const decomp::Subdomain& sub, int f) {
  const int a = pde::face_axis(f);
  return pde::face_side(f) == 0 ? sub.cell[a] == 0 : sub.cell[a] == part.counts()[a] - 1;
}

/// Measure of face f restricted to the box [lo, hi] (product of the other axes' widths).
double face_measure(const std::vector<double>& lo, const std::vector<double>& hi, int f) {
  double m = 1;
  for (std::size_t b = 0; b < lo.size(); ++b)
    if (int(b) != pde::face_axis(f)) m *= hi[b] - lo[b];
  return m;
}

std::size_t share(std::size_t n, double fraction) {
  return std::max<std::size_t>(1, std::size_t(std::llround(double(n) * fraction)));
}

}  // namespace

namespace detail {

std::vector<std::size_t> SpreadParameters::offsets_of(const decomp::Communicator& comm,
                                                      const std::vector<std::size_t>& sizes) {
  const std::vector<double> all = comm.allgatherv(std::vector<double>(sizes.begin(), sizes.end()));
  std::vector<std::size_t> offsets{0};
  for (double v : all) offsets.push_back(offsets.back() + std::size_t(v));
  return offsets;
}

optim::Segments SpreadParameters::segments() const {
  optim::Segments seg;
  seg.total = int(offsets.size()) - 1;
  for (std::size_t k = 0; k <= owned.size(); ++k) seg.offsets.push_back(local_offset(k));
  for (std::size_t k = 0; k < owned.size(); ++k) seg.ids.push_back(int(owned.begin + k));
  const decomp::Communicator c = comm;
  seg.allreduce_sum = [c](double* v, std::size_t n) { c.allreduce_sum(v, n); };
  return seg;
}

std::vector<double> SpreadParameters::gather(const std::vector<double>& local) const {
  NPDE_REQUIRE(local.size() == local_offset(owned.size()),
               "gather of " << local.size() << " values for " << local_offset(owned.size()));
  return comm.allgatherv(local);  // ranks hold contiguous blocks of the subdomain order
}

std::vector<double> SpreadParameters::scatter(const std::vector<double>& global) const {
  NPDE_REQUIRE(global.size() == offsets.back(), "scatter of " << global.size() << " values for " << offsets.back());
  return std::vector<double>(global.begin() + long(offsets[owned.begin]), global.begin() + long(offsets[owned.end]));
}

std::vector<int> locate_all(const decomp::BoxPartition& part, const std::vector<double>& points, int n_inputs) {
  std::vector<int> s(points.size() / std::size_t(n_inputs));
  for (std::size_t p = 0; p < s.size(); ++p) s[p] = part.locate(&points[p * std::size_t(n_inputs)]);
  return s;
}

std::vector<double> gather_points(const decomp::Communicator& comm, const std::vector<double>& points, int n_inputs,
                                  std::size_t& first) {
  const auto counts = comm.allgatherv(std::vector<double>{double(points.size() / std::size_t(n_inputs))});
  first = 0;
  for (int r = 0; r < comm.rank(); ++r) first += std::size_t(counts[std::size_t(r)]);
  return comm.allgatherv(points);
}

std::vector<std::string> subdomain_loss_names(int n) {
  std::vector<std::string> names;
  for (int s = 0; s < n; ++s) names.push_back("subdomain_" + std::to_string(s) + "_loss");
  return names;
}

}  // namespace detail

decomp::BoxPartition make_partition(const pde::Problem& problem, const DecompositionOptions& dopts, int ranks) {
  std::vector<double> lo, hi;
  for (int a = 0; a < problem.n_inputs(); ++a) {
    lo.push_back(problem.box.lower[a]);
    hi.push_back(problem.box.upper[a]);
  }
  std::vector<int> counts = dopts.subdomains;
  if (int(counts.size()) > problem.n_inputs())
    NPDE_INPUT_ERROR("decomposition.subdomains has " << counts.size() << " entries for a problem of "
                                                     << problem.n_inputs() << " inputs");
  counts.resize(std::size_t(problem.n_inputs()), 1);
  const bool fb = dopts.method == DecompositionOptions::Method::Fbpinn;
  if (fb && !(dopts.overlap > 0 && dopts.overlap < 1))
    NPDE_INPUT_ERROR("decomposition.overlap must be in (0, 1) for fbpinn (the windows overlap), got " << dopts.overlap);
  return decomp::BoxPartition(lo, hi, counts, fb ? dopts.overlap : 0.0, ranks, dopts.cuts);
}

const char* interface_term_name(int k) {
  NPDE_REQUIRE(k >= 0 && k < kInterfaceTerms, "interface term " << k);
  return kTermNames[k];
}

int interface_term_index(const std::string& name) {
  for (int k = 0; k < kInterfaceTerms; ++k)
    if (name == kTermNames[k]) return k;
  return -1;
}

const std::vector<int>& DecompositionOptions::hidden_of(const decomp::Subdomain& sub, const std::vector<int>& dflt) const {
  for (const auto& [cell, hidden] : networks) {
    bool same = true;
    for (std::size_t a = 0; a < cell.size(); ++a) same = same && (a < sub.cell.size() ? sub.cell[a] : 0) == cell[a];
    if (same) return hidden;
  }
  return dflt;
}

DecompositionOptions DecompositionOptions::xpinn() {
  DecompositionOptions o;
  o.method = Method::Xpinn;
  o.weights[kIfAverage] = 20;
  o.weights[kIfResidualContinuity] = 1;
  return o;
}

DecompositionOptions DecompositionOptions::cpinn() {
  DecompositionOptions o;
  o.method = Method::Cpinn;
  o.weights[kIfFlux] = 20;
  o.weights[kIfAverage] = 20;
  return o;
}

DecompositionOptions DecompositionOptions::fbpinn() {
  DecompositionOptions o;
  o.method = Method::Fbpinn;
  o.overlap = 0.25;
  return o;
}

std::string to_string(DecompositionOptions::Method m) {
  return m == DecompositionOptions::Method::Xpinn ? "xpinn" : m == DecompositionOptions::Method::Cpinn ? "cpinn" : "fbpinn";
}

/// One side of an interface held by this rank: its points, the jets of its subdomain's network there
/// (u: value, first and diagonal second derivatives; r: the equation's jets at the points and, for the
/// residual gradient, at the points shifted by +-h along the normal), and the records exchanged.
template <class T>
struct MultiDomainPinn<T>::Side {
  int iface = 0, subdomain = 0, other = 0, other_rank = 0, axis = 0;
  bool lower = true;
  std::size_t n = 0;
  int n_r = 0;  ///< points of the residual set (n, or 3n with the shifted copies)
  double h = 0;
  View1<T> x_u, x_r, aux_r, r, dr, adj_u, adj_r;
  std::unique_ptr<nn::JetMlp<T>> jet_u, jet_r;
  std::vector<double> u_host, r_host, dr_host, send, recv;
};

void check_decomposition(const pde::Problem& problem, const PinnOptions& opts, const DecompositionOptions& dopts,
                         int ranks) {
  const decomp::BoxPartition part = make_partition(problem, dopts, ranks);
  const std::string method = to_string(dopts.method);
  const bool fb = dopts.method == DecompositionOptions::Method::Fbpinn;
  if (problem.hard && !fb)
    NPDE_INPUT_ERROR("decomposition (" << method << "): the subdomains take the boundary and initial conditions as "
                                       << "loss terms; set problem.bc_enforcement: soft");
  if (fb && opts.stream_function)
    NPDE_INPUT_ERROR("decomposition (fbpinn): network.output: stream_function needs soft conditions, fbpinn hard ones");
  if (fb) {
    // the windowed sum is one function: the conditions go into its trial function
    if (!problem.hard)
      NPDE_INPUT_ERROR("decomposition (fbpinn): the conditions are built into the windowed sum by a trial function; set "
                       "problem.bc_enforcement: hard");
    std::vector<bool> absorbed(problem.conditions.size(), false);
    for (int o = 0; o < problem.n_outputs(); ++o) {
      const TrialFunction trial(problem, o);
      for (std::size_t i = 0; i < absorbed.size(); ++i) absorbed[i] = absorbed[i] || trial.absorbs(i);
    }
    for (std::size_t i = 0; i < absorbed.size(); ++i)
      if (!absorbed[i])
        NPDE_INPUT_ERROR("decomposition (fbpinn): problem.boundary: a " << pde::to_string(problem.conditions[i].kind)
                                                                        << " condition is not built into a trial function; "
                                                                           "fbpinn takes Dirichlet and initial conditions");
  }
  if (!problem.observations.empty() || problem.n_trainable() > 0 || problem.eigen.quadrature > 0)
    NPDE_INPUT_ERROR("decomposition: inverse problems and eigenproblems are single-domain only");
  if (opts.weight_factorization)
    NPDE_INPUT_ERROR("decomposition: network.weight_factorization is single-domain only");
  if (opts.balancing != PinnOptions::Balancing::Fixed || opts.causal_chunks > 0 || opts.rad_candidates > 0)
    NPDE_INPUT_ERROR("decomposition: adaptive loss weights, causal training and adaptive sampling are single-domain "
                     "only");
  if (dopts.schedule.axis >= 0) {
    const int a = dopts.schedule.axis;
    if (!fb) NPDE_INPUT_ERROR("decomposition.schedule: only fbpinn trains its subdomains by turns");
    if (a >= problem.n_inputs())
      NPDE_INPUT_ERROR("decomposition.schedule.axis: the problem has " << problem.n_inputs() << " inputs, no axis " << a);
    if (part.counts()[std::size_t(a)] < 2)
      NPDE_INPUT_ERROR("decomposition.schedule.axis: " << problem.input_names()[std::size_t(a)]
                                                       << " is not split (1 subdomain along it): nothing to schedule");
    if (dopts.schedule.every < 1)
      NPDE_INPUT_ERROR("decomposition.schedule.every must be >= 1, got " << dopts.schedule.every);
  }
  if (dopts.interface_points < 1) NPDE_INPUT_ERROR("decomposition.interface.points must be >= 1");
  if (!(dopts.gradient_step > 0 && dopts.gradient_step <= 0.5))
    NPDE_INPUT_ERROR("decomposition.interface.gradient_step must be in (0, 0.5], got " << dopts.gradient_step);
  for (const auto& c : problem.conditions)
    if (c.kind == ConditionKind::Periodic && part.counts()[std::size_t(pde::face_axis(c.faces.at(0)))] > 1)
      NPDE_INPUT_ERROR("decomposition.subdomains: the periodic axis " << problem.input_names()[pde::face_axis(c.faces[0])]
                                                                      << " cannot be split");
  if (part.interfaces().size() >= 16384)
    NPDE_INPUT_ERROR("decomposition: " << part.interfaces().size() << " interfaces, at most 16383");
  for (int k = 0; k < kInterfaceTerms; ++k)
    if (dopts.weights[std::size_t(k)] < 0) NPDE_INPUT_ERROR("decomposition.interface." << kTermNames[k] << " must be >= 0");
  if (dopts.weights[kIfUyy] > 0 && problem.n_inputs() < 2)
    NPDE_INPUT_ERROR("decomposition.interface.uyy needs a second input (the problem has one)");
  for (std::size_t j = 0; j < dopts.networks.size(); ++j) {
    const auto& [cell, hidden] = dopts.networks[j];
    bool inside = cell.size() <= std::size_t(problem.n_inputs()) && !hidden.empty();
    for (std::size_t a = 0; a < cell.size() && inside; ++a)
      inside = cell[a] >= 0 && cell[a] < part.counts()[a];
    for (int w : hidden) inside = inside && w >= 1;
    if (!inside)
      NPDE_INPUT_ERROR("decomposition.networks[" << j << "]: a subdomain outside decomposition.subdomains or no hidden "
                                                  "widths");
  }
}

template <class T>
MultiDomainPinn<T>::MultiDomainPinn(const decomp::Communicator& comm, const pde::Problem& problem,
                                    const KernelFactory& kernel, const PinnOptions& opts,
                                    const DecompositionOptions& dopts)
    : m_comm(comm),
      m_problem(problem),
      m_opts(opts),
      m_dopts(dopts),
      m_part(make_partition(problem, dopts, comm.size())),
      m_owned(m_part.owned(comm.rank())) {
  NPDE_REQUIRE(dopts.method != DecompositionOptions::Method::Fbpinn, "MultiDomainPinn is XPINN/cPINN; FBPINN is FbPinn");
  check_decomposition(problem, opts, dopts, comm.size());
  m_n_in = problem.n_inputs();
  m_n_out = problem.n_outputs();
  for (int k = 0; k < kInterfaceTerms; ++k) {
    if (dopts.weights[k] == 0) continue;
    m_if_terms.push_back(k);
    m_if_weights.push_back(dopts.weights[k]);
  }

  // 2. the owned subdomains' PINNs on their own boxes; point counts in proportion to what they hold
  std::set<int> boundary_faces;  // faces of the box that carry a soft Dirichlet or Neumann condition
  for (const auto& c : problem.conditions)
    if (c.kind == ConditionKind::Dirichlet || c.kind == ConditionKind::Neumann)
      boundary_faces.insert(c.faces.begin(), c.faces.end());
  std::vector<double> glo(m_n_in), ghi(m_n_in);
  for (int a = 0; a < m_n_in; ++a) {
    glo[a] = problem.box.lower[a];
    ghi[a] = problem.box.upper[a];
  }
  double boundary_total = 0;
  for (int f : boundary_faces) boundary_total += face_measure(glo, ghi, f);
  const int n_space = problem.n_space;
  std::vector<std::size_t> sizes;  // the owned subdomains' parameter counts
  for (int s = int(m_owned.begin); s < int(m_owned.end); ++s) {
    const decomp::Subdomain& sub = m_part[s];
    pde::Problem p = problem;
    double vol = 1, space_vol = 1, bmeas = 0;
    for (int a = 0; a < m_n_in; ++a) {
      p.box.lower[a] = sub.lower[a];
      p.box.upper[a] = sub.upper[a];
      const double frac = (sub.upper[a] - sub.lower[a]) / (ghi[a] - glo[a]);
      vol *= frac;
      if (a < n_space) space_vol *= frac;
    }
    for (int f : boundary_faces)
      if (on_face(m_part, sub, f)) bmeas += face_measure(sub.lower, sub.upper, f);
    p.conditions.clear();
    for (const auto& c : problem.conditions) {
      if (c.kind == ConditionKind::Initial || c.kind == ConditionKind::InitialRate) {
        if (sub.cell[n_space] == 0) p.conditions.push_back(c);
      } else if (c.kind == ConditionKind::Periodic) {
        p.conditions.push_back(c);  // its axis is not split: the subdomain spans it
      } else {
        pde::Condition kept = c;
        kept.faces.clear();
        for (int f : c.faces)
          if (on_face(m_part, sub, f)) kept.faces.push_back(f);
        if (!kept.faces.empty()) p.conditions.push_back(kept);
      }
    }
    PinnOptions o = opts;
    o.hidden = dopts.hidden_of(sub, opts.hidden);
    o.seed = opts.seed + kSubdomainSeed * std::uint64_t(s + 1);
    o.n_interior = share(opts.n_interior, vol);
    o.n_boundary = share(opts.n_boundary, boundary_total > 0 ? bmeas / boundary_total : 0.0);
    o.n_initial = share(opts.n_initial, space_vol);
    o.n_validation = 1;  // the global validation set is this class's
    // inputs standardised to the subdomain unless an embedding reads them
    if (o.fourier_frequencies == 0 && o.gaussian_features == 0) o.standardize_inputs = true;
    m_nets.push_back(std::make_unique<Pinn<T>>(decomp::Communicator::self(), p, kernel(), o));
    m_kernels.push_back(kernel());
    m_kernels.back()->set_coefficients(problem.coefficients);
    sizes.push_back(m_nets.back()->n_params());
  }
  m_offsets = detail::SpreadParameters::offsets_of(m_comm, sizes);
  const auto sp = spread();
  m_params = View1<T>("npde::pinn::MultiDomainPinn::params", sp.local_offset(m_nets.size()));
  for (std::size_t k = 0; k < m_nets.size(); ++k)
    m_nets[k]->use_storage(View1<T>(Kokkos::subview(m_params, std::make_pair(sp.local_offset(k), sp.local_offset(k + 1)))));

  // 3. the aggregated loss terms: the residuals, bc, initial (each summed over the subdomains), then the
  // interface terms
  const auto probe = kernel();
  for (const auto& name : probe->residual_names()) m_term_names.push_back(name);
  m_n_res = probe->n_residuals();
  bool has_bc = false, has_initial = false;
  for (const auto& c : problem.conditions) {
    if (c.kind == ConditionKind::Initial || c.kind == ConditionKind::InitialRate) has_initial = true;
    else if (!(c.kind == ConditionKind::Periodic && problem.hard)) has_bc = true;
  }
  const int bc_term = has_bc ? int(m_term_names.size()) : -1;
  if (has_bc) m_term_names.push_back("bc");
  const int initial_term = has_initial ? int(m_term_names.size()) : -1;
  if (has_initial) m_term_names.push_back("initial");
  m_n_subdomain_terms = int(m_term_names.size());
  for (int k : m_if_terms) m_term_names.push_back(std::string("if_") + kTermNames[k]);
  std::vector<double> points(std::size_t(m_n_subdomain_terms), 0.0);
  for (const auto& net : m_nets) {
    std::vector<int> map;
    int residual = 0;
    for (std::size_t k = 0; k < net->term_names().size(); ++k) {
      const std::string& g = net->term_groups()[k];
      const int to = g == "pde" ? residual++ : g == "initial" ? initial_term : bc_term;
      NPDE_REQUIRE(to >= 0, "subdomain term '" << net->term_names()[k] << "' has no aggregate");
      map.push_back(to);
      points[std::size_t(to)] += double(net->term_points()[k]);
    }
    m_term_map.push_back(map);
  }
  m_comm.allreduce_sum(points.data(), points.size());
  for (double v : points) m_term_points.push_back(std::size_t(v));
  const std::size_t n_if_points = [&] {
    std::size_t n = 0;
    for (std::size_t i = 0; i < m_part.interfaces().size(); ++i) n += m_n_in == 1 ? 1 : dopts.interface_points;
    return n;
  }();
  for (std::size_t k = 0; k < m_if_terms.size(); ++k) m_term_points.push_back(n_if_points);
  m_term_values.assign(m_term_names.size(), 0.0);
  m_subdomain_loss.assign(std::size_t(m_part.size()), 0.0);

  // 4. the interfaces this rank holds a side of; Burgers' flux needs its viscosity
  if (probe->name() == std::string("burgers")) m_flux_viscosity = 0;
  m_record = m_n_out * (m_n_in + std::min(2, m_n_in) + 2) + 2 * m_n_res;
  const bool need_r = dopts.weights[kIfResidual] > 0 || dopts.weights[kIfResidualContinuity] > 0 ||
                      dopts.weights[kIfResidualGradient] > 0;
  const bool shifted = dopts.weights[kIfResidualGradient] > 0;
  const auto& ifs = m_part.interfaces();
  for (std::size_t i = 0; i < ifs.size(); ++i)
    for (int side = 0; side < 2; ++side) {
      const int s = side == 0 ? ifs[i].lower : ifs[i].upper, other = side == 0 ? ifs[i].upper : ifs[i].lower;
      if (m_part[s].owner != m_comm.rank()) continue;
      auto sd = std::make_unique<Side>();
      sd->iface = int(i);
      sd->subdomain = s;
      sd->other = other;
      sd->other_rank = m_part[other].owner;
      sd->lower = side == 0;
      sd->axis = ifs[i].axis;
      sd->n = m_n_in == 1 ? 1 : dopts.interface_points;
      const decomp::Subdomain& lo = m_part[ifs[i].lower];
      sd->h = dopts.gradient_step * (lo.core_upper[sd->axis] - lo.core_lower[sd->axis]);
      sd->n_r = need_r ? int(sd->n) * (shifted ? 3 : 1) : 0;
      Pinn<T>& net = *m_nets[std::size_t(local_index(s))];
      sd->jet_u = std::make_unique<nn::JetMlp<T>>(net.network(), nn::JetSpec::diagonal(m_n_in), int(sd->n));
      if (need_r)
        sd->jet_r = std::make_unique<nn::JetMlp<T>>(net.network(), jet_spec_of(probe->needs(), m_n_in), sd->n_r);
      sd->send.assign(sd->n * std::size_t(m_record), 0.0);
      sd->recv.assign(sd->n * std::size_t(m_record), 0.0);
      m_sides.push_back(std::move(sd));
    }
  fill_interfaces(0);

  // 5. the validation set over the whole box, each point with its subdomain
  std::vector<int> outputs;
  for (int o = 0; o < m_n_out; ++o)
    if (o < int(problem.exact.size()) && problem.exact[o]) outputs.push_back(o);
  if (!outputs.empty()) {
    const auto all = pde::sample_interior(problem.box, pde::SamplerKind::Sobol, opts.n_validation, opts.seed,
                                          kValidationRound);
    const auto where = subdomain_of(all);
    for (std::size_t p = 0; p < where.size(); ++p) {
      if (m_part[where[p]].owner != m_comm.rank()) continue;
      m_validation_points.insert(m_validation_points.end(), all.begin() + long(p * m_n_in),
                                 all.begin() + long((p + 1) * m_n_in));
      m_validation_owner.push_back(where[p]);
      for (int o = 0; o < m_n_out; ++o)
        m_validation_exact.push_back(o < int(problem.exact.size()) && problem.exact[o]
                                         ? problem.exact[o]->eval(&all[p * m_n_in])
                                         : std::numeric_limits<double>::quiet_NaN());
    }
  }
}

template <class T>
MultiDomainPinn<T>::~MultiDomainPinn() = default;

template <class T>
void MultiDomainPinn<T>::fill_interfaces(std::uint64_t round) {
  const auto& ifs = m_part.interfaces();
  const int nd = m_kernels.empty() ? 0 : m_kernels.front()->n_data();
  for (auto& sd : m_sides) {
    const decomp::Interface& f = ifs[std::size_t(sd->iface)];
    std::vector<double> pts;
    if (m_n_in == 1) {
      pts = {f.position};
    } else {
      // the face as the upper face of a box just below it; the same points on both sides
      pde::Box box;
      box.dim = m_n_in;
      for (int a = 0; a < m_n_in; ++a) {
        box.lower[a] = f.face_lower[a];
        box.upper[a] = f.face_upper[a];
      }
      box.lower[f.axis] = f.position - 1.0;
      box.upper[f.axis] = f.position;
      pts = pde::sample_boundary(box, {2 * f.axis + 1}, m_opts.sampler, sd->n,
                                 m_opts.seed + kInterfaceSeed * std::uint64_t(sd->iface + 1), round);
    }
    sd->x_u = to_device<T>(pts, "npde::pinn::MultiDomainPinn::x_interface");
    if (sd->n_r > 0) {
      std::vector<double> xr = pts;
      if (sd->n_r > int(sd->n))
        for (double sign : {1.0, -1.0})
          for (std::size_t p = 0; p < sd->n; ++p) {
            std::vector<double> q(pts.begin() + long(p * m_n_in), pts.begin() + long((p + 1) * m_n_in));
            q[std::size_t(sd->axis)] += sign * sd->h;
            xr.insert(xr.end(), q.begin(), q.end());
          }
      const int W = aux_width(nd, m_n_out);
      std::vector<double> aux(std::size_t(W) * std::size_t(sd->n_r), 0.0);
      for (int p = 0; p < sd->n_r; ++p)
        for (int j = 0; j < nd; ++j) aux[std::size_t(p) * W + j] = m_problem.data[j].eval(&xr[std::size_t(p) * m_n_in]);
      sd->x_r = to_device<T>(xr, "npde::pinn::MultiDomainPinn::x_interface_residual");
      sd->aux_r = to_device<T>(aux, "npde::pinn::MultiDomainPinn::aux_interface");
    }
  }
}

template <class T>
void MultiDomainPinn<T>::sample(std::uint64_t round) {
  for (auto& net : m_nets) net->sample(round);
  fill_interfaces(round);
}

template <class T>
void MultiDomainPinn<T>::side_forward(Side& sd) {
  const int n = int(sd.n), NO = m_n_out, d = m_n_in, d2 = std::min(2, d);
  // u jets: value, d/dx_k, d2/dx_k2
  sd.jet_u->forward(sd.x_u.data(), n);
  const int Cu = sd.jet_u->n_channels();
  {
    Kokkos::View<const T*, MemSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>> out(sd.jet_u->output(),
                                                                                   std::size_t(NO) * Cu * n);
    auto h = Kokkos::create_mirror_view_and_copy(HostSpace(), out);
    sd.u_host.assign(h.data(), h.data() + h.extent(0));
  }
  // residuals and their linearisation
  if (sd.n_r > 0) {
    const ResidualKernel<T>& kern = *m_kernels[std::size_t(local_index(sd.subdomain))];
    sd.jet_r->forward(sd.x_r.data(), sd.n_r);
    const int NV = NO * sd.jet_r->n_channels();
    if (sd.r.extent(0) != std::size_t(m_n_res) * sd.n_r) {
      sd.r = View1<T>("npde::pinn::MultiDomainPinn::r", std::size_t(m_n_res) * sd.n_r);
      sd.dr = View1<T>("npde::pinn::MultiDomainPinn::dr", std::size_t(m_n_res) * NV * sd.n_r);
    }
    kern.linearize(sd.n_r, sd.jet_r->output(), sd.aux_r.data(), 0u, sd.r.data(), sd.dr.data());
    auto rh = Kokkos::create_mirror_view_and_copy(HostSpace(), sd.r);
    auto drh = Kokkos::create_mirror_view_and_copy(HostSpace(), sd.dr);
    sd.r_host.assign(rh.data(), rh.data() + rh.extent(0));
    sd.dr_host.assign(drh.data(), drh.data() + drh.extent(0));
  }
  // the record: per output [u, d_k u, d_kk u (k < 2), flux], per residual [r, d_n r]
  const double nu = m_flux_viscosity >= 0 ? m_problem.coefficients.at(std::size_t(m_flux_viscosity)) : 0.0;
  const bool time_axis = m_problem.time_dependent && sd.axis == m_problem.n_space;
  for (int p = 0; p < n; ++p) {
    double* rec = sd.send.data() + std::size_t(p) * m_record;
    for (int o = 0; o < NO; ++o) {
      auto ch = [&](int c) { return sd.u_host[std::size_t(o + NO * (c * n + p))]; };
      double* q = rec + o * (d + d2 + 2);
      q[0] = ch(0);
      for (int k = 0; k < d; ++k) q[1 + k] = ch(1 + k);
      for (int k = 0; k < d2; ++k) q[1 + d + k] = ch(1 + d + k);
      q[1 + d + d2] = m_flux_viscosity < 0 ? ch(1 + sd.axis)
                      : time_axis          ? ch(0)
                                           : 0.5 * ch(0) * ch(0) - nu * ch(1 + sd.axis);
    }
    double* q = rec + NO * (d + d2 + 2);
    for (int j = 0; j < m_n_res; ++j) {
      q[2 * j] = sd.n_r > 0 ? sd.r_host[std::size_t(j) * sd.n_r + p] : 0.0;
      q[2 * j + 1] = sd.n_r > n ? (sd.r_host[std::size_t(j) * sd.n_r + n + p] -
                                   sd.r_host[std::size_t(j) * sd.n_r + 2 * n + p]) /
                                      (2 * sd.h)
                                : 0.0;
    }
  }
}

template <class T>
void MultiDomainPinn<T>::side_backward(Side& sd, T* g, std::vector<double>& terms) {
  const int n = int(sd.n), NO = m_n_out, d = m_n_in, d2 = std::min(2, d), stride = d + d2 + 2;
  const int Cu = sd.jet_u->n_channels();
  std::vector<double> adj_u(std::size_t(NO) * Cu * n, 0.0);
  std::vector<double> adj_rv(std::size_t(m_n_res) * std::max(sd.n_r, 0), 0.0);  // dL/dr at the residual points
  const double nu = m_flux_viscosity >= 0 ? m_problem.coefficients.at(std::size_t(m_flux_viscosity)) : 0.0;
  const bool time_axis = m_problem.time_dependent && sd.axis == m_problem.n_space;
  const std::size_t slot0 = std::size_t(sd.iface) * m_if_terms.size();
  for (std::size_t t = 0; t < m_if_terms.size(); ++t) {
    const int k = m_if_terms[t];
    const double c = m_if_weights[t] / double(n);
    double value = 0;
    for (int p = 0; p < n; ++p) {
      const double* a = sd.send.data() + std::size_t(p) * m_record;
      const double* b = sd.recv.data() + std::size_t(p) * m_record;
      auto au = [&](int o, int c_) -> double& { return adj_u[std::size_t(o + NO * (c_ * n + p))]; };
      // continuity-type terms of one record entry e (per output) and its channel
      auto continuity = [&](int e, int channel, double factor) {
        for (int o = 0; o < NO; ++o) {
          const double diff = a[o * stride + e] - b[o * stride + e];
          value += factor * diff * diff;
          au(o, channel) += c * factor * 2 * diff;
        }
      };
      switch (k) {
        case kIfContinuity: continuity(0, 0, 1.0); break;
        case kIfAverage: continuity(0, 0, 0.5); break;  // (u_a - m)^2 + (u_b - m)^2 = (u_a - u_b)^2 / 2
        case kIfUx: continuity(1, 1, 1.0); break;
        case kIfUyy: continuity(1 + d + 1, 1 + d + 1, 1.0); break;
        case kIfUxx: continuity(1 + d, 1 + d, 1.0); break;
        case kIfFlux:
          for (int o = 0; o < NO; ++o) {
            const double diff = a[o * stride + 1 + d + d2] - b[o * stride + 1 + d + d2];
            value += diff * diff;
            const double s = c * 2 * diff;
            if (m_flux_viscosity < 0) {
              au(o, 1 + sd.axis) += s;
            } else if (time_axis) {
              au(o, 0) += s;
            } else {
              au(o, 0) += s * a[o * stride];  // d(u^2/2)/du
              au(o, 1 + sd.axis) -= s * nu;
            }
          }
          break;
        case kIfResidual:
        case kIfResidualContinuity:
        case kIfResidualGradient:
          for (int j = 0; j < m_n_res; ++j) {
            const double* ra = a + NO * stride + 2 * j;
            const double* rb = b + NO * stride + 2 * j;
            if (k == kIfResidual) {
              value += ra[0] * ra[0] + rb[0] * rb[0];
              adj_rv[std::size_t(j) * sd.n_r + p] += c * 2 * ra[0];
            } else if (k == kIfResidualContinuity) {
              const double diff = ra[0] - rb[0];
              value += diff * diff;
              adj_rv[std::size_t(j) * sd.n_r + p] += c * 2 * diff;
            } else {
              value += ra[1] * ra[1] + rb[1] * rb[1];
              const double s = c * 2 * ra[1] / (2 * sd.h);
              adj_rv[std::size_t(j) * sd.n_r + n + p] += s;
              adj_rv[std::size_t(j) * sd.n_r + 2 * n + p] -= s;
            }
          }
          break;
        default: break;
      }
    }
    // the term's value is counted once, by the lower side
    if (sd.lower) terms[slot0 + t] += c * value;
  }
  // reverse passes: u jets directly; residuals through their linearisation
  if (sd.adj_u.extent(0) != adj_u.size()) sd.adj_u = View1<T>("npde::pinn::MultiDomainPinn::adj_u", adj_u.size());
  {
    auto h = Kokkos::create_mirror_view(sd.adj_u);
    for (std::size_t i = 0; i < adj_u.size(); ++i) h(i) = T(adj_u[i]);
    Kokkos::deep_copy(sd.adj_u, h);
  }
  sd.jet_u->backward(sd.x_u.data(), n, sd.adj_u.data(), g);
  if (sd.n_r > 0) {
    const int Cr = sd.jet_r->n_channels(), NV = NO * Cr, nr = sd.n_r;
    std::vector<double> adj(std::size_t(NV) * nr, 0.0);
    for (int j = 0; j < m_n_res; ++j)
      for (int p = 0; p < nr; ++p) {
        const double w = adj_rv[std::size_t(j) * nr + p];
        if (w == 0) continue;
        for (int e = 0; e < NV; ++e)  // e = o * Cr + c
          adj[std::size_t(e / Cr + NO * ((e % Cr) * nr + p))] += w * sd.dr_host[(std::size_t(j) * NV + e) * nr + p];
      }
    if (sd.adj_r.extent(0) != adj.size()) sd.adj_r = View1<T>("npde::pinn::MultiDomainPinn::adj_r", adj.size());
    auto h = Kokkos::create_mirror_view(sd.adj_r);
    for (std::size_t i = 0; i < adj.size(); ++i) h(i) = T(adj[i]);
    Kokkos::deep_copy(sd.adj_r, h);
    sd.jet_r->backward(sd.x_r.data(), nr, sd.adj_r.data(), g);
  }
}

template <class T>
T MultiDomainPinn<T>::loss_and_gradient(const View1<T>& grad) {
  Kokkos::Profiling::pushRegion("npde::pinn::MultiDomainPinn::loss_and_gradient");
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  const std::size_t S = std::size_t(m_part.size()), NS = std::size_t(m_n_subdomain_terms);
  const std::size_t NI = m_if_terms.size(), n_if = m_part.interfaces().size();
  // slots: [subdomain s, term k] then [interface i, interface term t]; each is written by one rank only,
  // so the sum over ranks is exact and the totals below (in slot order) are the same on any rank count
  std::vector<double> slots(S * NS + n_if * NI, 0.0);
  // 1. the interface records: computed and sent first, received after the subdomains' own work
  decomp::Exchange exchange(m_comm);
  for (auto& sd : m_sides) {
    side_forward(*sd);
    const int tag_in = 2 * sd->iface + (sd->lower ? 1 : 0), tag_out = 2 * sd->iface + (sd->lower ? 0 : 1);
    exchange.receive(sd->other_rank, tag_in, sd->recv.data(), sd->recv.size());
    exchange.send(sd->other_rank, tag_out, sd->send.data(), sd->send.size());
    if (sd->other_rank != m_comm.rank()) m_stats.bytes_sent += double(sd->send.size() * sizeof(double));
  }
  // 2. each subdomain's own terms into its slice of the gradient
  const auto sp = spread();
  for (std::size_t k = 0; k < m_nets.size(); ++k) {
    const View1<T> g(Kokkos::subview(grad, std::make_pair(sp.local_offset(k), sp.local_offset(k + 1))));
    m_nets[k]->loss_and_gradient(g);
    const std::size_t s = m_owned.begin + k;
    const auto& v = m_nets[k]->last_terms();
    for (std::size_t t = 0; t < v.size(); ++t) slots[s * NS + std::size_t(m_term_map[k][t])] += v[t];
  }
  // 3. the interface terms with the neighbours' records (constants in this side's gradient)
  const auto tw = Clock::now();
  exchange.finish();
  m_stats.wait_seconds += std::chrono::duration<double>(Clock::now() - tw).count();
  std::vector<double> if_slots(n_if * NI, 0.0);
  for (auto& sd : m_sides)
    side_backward(*sd, grad.data() + sp.local_offset(std::size_t(local_index(sd->subdomain))), if_slots);
  std::copy(if_slots.begin(), if_slots.end(), slots.begin() + long(S * NS));
  // 4. one allreduce of the slots, sums in slot order
  Kokkos::fence();
  m_comm.allreduce_sum(slots.data(), slots.size());
  std::fill(m_term_values.begin(), m_term_values.end(), 0.0);
  for (std::size_t s = 0; s < S; ++s) {
    double own = 0;
    for (std::size_t k = 0; k < NS; ++k) {
      m_term_values[k] += slots[s * NS + k];
      own += slots[s * NS + k];
    }
    m_subdomain_loss[s] = own;
  }
  for (std::size_t i = 0; i < n_if; ++i)
    for (std::size_t t = 0; t < NI; ++t) m_term_values[NS + t] += slots[S * NS + i * NI + t];
  double total = 0;
  for (double v : m_term_values) total += v;
  m_stats.eval_seconds += std::chrono::duration<double>(Clock::now() - t0).count();
  ++m_stats.evaluations;
  Kokkos::Profiling::popRegion();
  return T(total);
}

template <class T>
std::vector<double> MultiDomainPinn<T>::predict_subdomain(int s, const std::vector<double>& points) {
  NPDE_REQUIRE(s >= int(m_owned.begin) && s < int(m_owned.end), "subdomain " << s << " is not on this rank");
  return m_nets[std::size_t(local_index(s))]->predict(points);
}

template <class T>
void MultiDomainPinn<T>::set_stage_weights(const std::vector<std::pair<std::string, double>>& overrides) {
  for (std::size_t t = 0; t < m_if_terms.size(); ++t) m_if_weights[t] = m_dopts.weights[std::size_t(m_if_terms[t])];
  std::set<std::string> groups{"pde"};
  for (std::size_t k = std::size_t(m_n_res); k < std::size_t(m_n_subdomain_terms); ++k) groups.insert(m_term_names[k]);
  std::vector<std::vector<std::pair<std::string, double>>> per_net(m_nets.size());
  for (const auto& [group, w] : overrides) {
    if (group == "interface") {
      for (double& v : m_if_weights) v = w;
      continue;
    }
    if (group.rfind("if_", 0) == 0) {  // one interface term (a term with weight 0 at construction has none)
      bool found = false;
      for (std::size_t t = 0; t < m_if_terms.size(); ++t)
        if (group == std::string("if_") + kTermNames[m_if_terms[t]]) m_if_weights[t] = w, found = true;
      if (!found) NPDE_INPUT_ERROR("training.stages: weights." << group << " names no interface term of this decomposition");
      continue;
    }
    if (!groups.count(group))
      NPDE_INPUT_ERROR("training.stages: weights." << group << " names no loss term of this decomposed problem");
    for (std::size_t k = 0; k < m_nets.size(); ++k) {
      const auto& g = m_nets[k]->term_groups();
      if (std::find(g.begin(), g.end(), group) != g.end()) per_net[k].emplace_back(group, w);
    }
  }
  for (std::size_t k = 0; k < m_nets.size(); ++k) m_nets[k]->set_stage_weights(per_net[k]);
}

template <class T>
std::vector<int> MultiDomainPinn<T>::subdomain_of(const std::vector<double>& points) const {
  return detail::locate_all(m_part, points, m_n_in);
}

template <class T>
double MultiDomainPinn<T>::validation_error() {
  if (!m_problem.has_exact()) return std::numeric_limits<double>::quiet_NaN();  // the same on every rank
  // per subdomain: sum (u - exact)^2 and sum exact^2 (slots summed in order: rank-count independent)
  std::vector<double> slots(2 * std::size_t(m_part.size()), 0.0);
  for (std::size_t k = 0; k < m_nets.size(); ++k) {
    const int s = int(m_owned.begin + k);
    std::vector<double> pts, ex;
    for (std::size_t p = 0; p < m_validation_owner.size(); ++p)
      if (m_validation_owner[p] == s) {
        pts.insert(pts.end(), m_validation_points.begin() + long(p * m_n_in),
                   m_validation_points.begin() + long((p + 1) * m_n_in));
        ex.insert(ex.end(), m_validation_exact.begin() + long(p * m_n_out),
                  m_validation_exact.begin() + long((p + 1) * m_n_out));
      }
    const auto u = m_nets[k]->predict(pts);
    for (std::size_t i = 0; i < u.size(); ++i) {
      if (std::isnan(ex[i])) continue;
      slots[2 * s] += (u[i] - ex[i]) * (u[i] - ex[i]);
      slots[2 * s + 1] += ex[i] * ex[i];
    }
  }
  m_comm.allreduce_sum(slots.data(), slots.size());
  double num = 0, den = 0;
  for (std::size_t s = 0; s < std::size_t(m_part.size()); ++s) {
    num += slots[2 * s];
    den += slots[2 * s + 1];
  }
  return den > 0 ? std::sqrt(num / den) : std::sqrt(num);
}

template <class T>
std::vector<double> MultiDomainPinn<T>::predict(const std::vector<double>& points) {
  const std::size_t n_local = points.size() / std::size_t(m_n_in);
  std::size_t first = 0;
  const auto all = detail::gather_points(m_comm, points, m_n_in, first);
  const auto where = subdomain_of(all);
  std::vector<double> u(where.size() * std::size_t(m_n_out), 0.0);
  for (std::size_t k = 0; k < m_nets.size(); ++k) {
    const int s = int(m_owned.begin + k);
    std::vector<double> pts;
    std::vector<std::size_t> idx;
    for (std::size_t p = 0; p < where.size(); ++p)
      if (where[p] == s) {
        idx.push_back(p);
        pts.insert(pts.end(), all.begin() + long(p * m_n_in), all.begin() + long((p + 1) * m_n_in));
      }
    const auto v = m_nets[k]->predict(pts);
    for (std::size_t i = 0; i < idx.size(); ++i)
      for (int o = 0; o < m_n_out; ++o) u[idx[i] * m_n_out + o] = v[i * m_n_out + o];
  }
  m_comm.allreduce_sum(u.data(), u.size());  // each point from one rank
  return std::vector<double>(u.begin() + long(first * m_n_out), u.begin() + long((first + n_local) * m_n_out));
}

template <class T>
std::vector<std::string> MultiDomainPinn<T>::extra_names() const {
  return detail::subdomain_loss_names(m_part.size());
}

template class MultiDomainPinn<double>;
template class MultiDomainPinn<float>;

}  // namespace npde::pinn
