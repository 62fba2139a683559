// SPDX-License-Identifier: BSD-3-Clause
// FbPinn: the global point set split by the subdomain cores; per evaluation each network's jets at the
// points of its extent go to the points' owners (exchange 1), the owners blend them with the normalised
// windows and evaluate the residual, and the adjoints go back (exchange 2) for each network's reverse
// pass; the networks' jets run in chunks, the overlap points' first, so that both exchanges travel
// while the own cores' chunks are computed. One allreduce of per-subdomain slots.
#include "npde/pinn/fbpinn.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>

#include "npde/core/error.hpp"
#include "npde/core/log.hpp"
#include "npde/decomp/exchange.hpp"
#include "npde/nn/jet_chunks.hpp"
#include "npde/pde/sampler.hpp"
#include "pinn/point_sets.hpp"

namespace npde::pinn {

using detail::device_sum;
using detail::to_device;

namespace {

constexpr std::uint64_t kValidationRound = std::uint64_t(1) << 38;  // as the single-domain PINN's
constexpr std::uint64_t kSubdomainSeed = 0x9E3779B97F4A7C15ull;       // as MultiDomainPinn's

template <class T>
std::vector<double> host_copy(const T* device, std::size_t n) {
  Kokkos::View<const T*, MemSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>> v(device, n);
  auto h = Kokkos::create_mirror_view_and_copy(HostSpace(), v);
  return std::vector<double>(h.data(), h.data() + n);
}

template <class T>
void device_copy(const std::vector<double>& src, View1<T>& dst, const char* label) {
  if (dst.extent(0) != src.size()) dst = View1<T>(std::string(label), src.size());
  auto h = Kokkos::create_mirror_view(dst);
  for (std::size_t i = 0; i < src.size(); ++i) h(i) = T(src[i]);
  Kokkos::deep_copy(dst, h);
}

}  // namespace

template <class T>
struct FbPinn<T>::Pair {
  int j = 0, s = 0;                     ///< network subdomain, owner subdomain
  std::vector<std::size_t> points;      ///< global indices, ascending
  std::vector<std::size_t> owner_pos;   ///< owner side: each point's position in s's core list
  std::vector<double> window;           ///< owner side: W_j, dW_j (d), d2W_j (d) per point
  std::size_t net_offset = 0;           ///< network side: the pair's first point in j's extent list
  std::vector<double> jets, adj;        ///< message buffers, point-major (point, channel, output)
};

template <class T>
struct FbPinn<T>::Owner {
  int s = 0;
  std::vector<std::size_t> points;  ///< global indices of the points s's core holds
  std::vector<int> pairs;           ///< the pairs (j, s), j ascending
  View1<T> aux, sq, adj, out;
};

template <class T>
struct FbPinn<T>::Network {
  int j = 0;
  std::size_t n = 0;       ///< points of the extent
  std::vector<int> pairs;  ///< the pairs (j, s): s != j ascending, then (j, j)
  int far_chunks = 0;      ///< the jet chunks that hold the points of the pairs s != j (they come first)
  View1<T> x, adj;
  std::vector<double> hadj;  ///< the adjoint of the jets on the host, filled pair by pair
  std::unique_ptr<nn::JetChunks<T>> jet;  ///< in chunks of PinnOptions::chunk points
};

template <class T>
FbPinn<T>::FbPinn(const decomp::Communicator& comm, const pde::Problem& problem,
                  std::unique_ptr<ResidualKernel<T>> kernel, const PinnOptions& opts, const DecompositionOptions& dopts)
    : m_comm(comm),
      m_problem(problem),
      m_kernel(std::move(kernel)),
      m_opts(opts),
      m_dopts(dopts),
      m_part(make_partition(problem, dopts, comm.size())),
      m_owned(m_part.owned(comm.rank())) {
  NPDE_REQUIRE(m_kernel, "no residual kernel");
  NPDE_REQUIRE(dopts.method == DecompositionOptions::Method::Fbpinn, "FbPinn needs method fbpinn");
  check_decomposition(problem, opts, dopts, comm.size());
  NPDE_REQUIRE(m_kernel->n_outputs() == problem.n_outputs() && int(problem.data.size()) == m_kernel->n_data(),
               "problem does not match the equation " << m_kernel->name());
  m_kernel->set_coefficients(problem.coefficients);
  m_n_in = problem.n_inputs();
  m_n_out = problem.n_outputs();
  m_n_res = m_kernel->n_residuals();
  m_spec = jet_spec_of(m_kernel->needs(), m_n_in);
  for (int o = 0; o < m_n_out; ++o) {
    m_trials.emplace_back(problem, o);
    if (m_trials.back().active()) m_hard |= 1u << o;
  }
  // 1. the owned subdomains' networks, inputs standardised to their extents, in one flat vector
  std::vector<std::size_t> sizes;
  for (int j = int(m_owned.begin); j < int(m_owned.end); ++j) {
    const decomp::Subdomain& sub = m_part[j];
    nn::Mlp<T> net(m_n_in, dopts.hidden_of(sub, opts.hidden), m_n_out, opts.activation, opts.architecture);
    net.init_glorot(opts.seed + kSubdomainSeed * std::uint64_t(j + 1), opts.random_encoder_biases);
    net.set_embedding(nn::InputEmbedding::standardized(sub.lower, sub.upper));
    sizes.push_back(net.n_params());
    m_nets.push_back(std::move(net));
  }
  m_offsets = detail::SpreadParameters::offsets_of(m_comm, sizes);
  const auto sp = spread();
  m_params = View1<T>("npde::pinn::FbPinn::params", sp.local_offset(m_nets.size()));
  for (std::size_t k = 0; k < m_nets.size(); ++k)
    m_nets[k].use_storage(View1<T>(Kokkos::subview(m_params, std::make_pair(sp.local_offset(k), sp.local_offset(k + 1)))));
  // 2. loss terms: the equation's residuals over the global points
  for (const auto& name : m_kernel->residual_names()) {
    m_term_names.push_back(name);
    m_term_points.push_back(opts.n_interior);
    m_term_weights.push_back(opts.weight_pde);
  }
  m_term_values.assign(m_term_names.size(), 0.0);
  m_subdomain_loss.assign(std::size_t(m_part.size()), 0.0);
  // 3. validation: a fixed Sobol set over the box, on every rank
  if (problem.has_exact()) {
    m_validation_points = pde::sample_interior(problem.box, pde::SamplerKind::Sobol, opts.n_validation, opts.seed,
                                               kValidationRound);
    const std::size_t nv = opts.n_validation;
    for (std::size_t p = 0; p < nv; ++p)
      for (int o = 0; o < m_n_out; ++o)
        m_validation_exact.push_back(o < int(problem.exact.size()) && problem.exact[o]
                                         ? problem.exact[o]->eval(&m_validation_points[p * m_n_in])
                                         : std::numeric_limits<double>::quiet_NaN());
  }
  build(0);
}

template <class T>
FbPinn<T>::~FbPinn() = default;

template <class T>
void FbPinn<T>::cover(const double* x, std::vector<int>& subs, std::vector<double>& jet) const {
  const int d = m_n_in, home = m_part.locate(x);
  const auto& hc = m_part[home].cell;
  const auto& n = m_part.counts();
  subs.clear();
  std::vector<double> raw;  // w, dw (d), d2w (d) per covering subdomain
  for (int k = std::max(0, hc[2] - 1); k <= std::min((d > 2 ? n[2] : 1) - 1, hc[2] + 1); ++k)
    for (int j = std::max(0, hc[1] - 1); j <= std::min((d > 1 ? n[1] : 1) - 1, hc[1] + 1); ++j)
      for (int i = std::max(0, hc[0] - 1); i <= std::min(n[0] - 1, hc[0] + 1); ++i) {
        const int s = m_part.index_of({i, j, k});
        double w, dw[3], d2w[3];
        m_part.window_jet(s, x, w, dw, d2w);
        if (!(w > 0)) continue;
        subs.push_back(s);
        raw.push_back(w);
        raw.insert(raw.end(), dw, dw + d);
        raw.insert(raw.end(), d2w, d2w + d);
      }
  // normalised: W = w / S, W' = (w' - W S') / S, W'' = (w'' - 2 W' S' - W S'') / S
  const std::size_t m = subs.size(), stride = std::size_t(1 + 2 * d);
  double S = 0, dS[3] = {0, 0, 0}, d2S[3] = {0, 0, 0};
  for (std::size_t c = 0; c < m; ++c) {
    S += raw[c * stride];
    for (int a = 0; a < d; ++a) {
      dS[a] += raw[c * stride + 1 + a];
      d2S[a] += raw[c * stride + 1 + d + a];
    }
  }
  jet.assign(m * stride, 0.0);
  for (std::size_t c = 0; c < m; ++c) {
    const double W = raw[c * stride] / S;
    jet[c * stride] = W;
    for (int a = 0; a < d; ++a) {
      const double dW = (raw[c * stride + 1 + a] - W * dS[a]) / S;
      jet[c * stride + 1 + a] = dW;
      jet[c * stride + 1 + d + a] = (raw[c * stride + 1 + d + a] - 2 * dW * dS[a] - W * d2S[a]) / S;
    }
  }
}

template <class T>
int FbPinn<T>::layers() const {
  return m_dopts.schedule.axis >= 0 ? m_part.counts()[std::size_t(m_dopts.schedule.axis)] : 0;
}

template <class T>
int FbPinn<T>::layer_of(int s) const {
  const int c = m_part[s].cell[std::size_t(m_dopts.schedule.axis)];
  return m_dopts.schedule.from_upper ? layers() - 1 - c : c;
}

template <class T>
void FbPinn<T>::build(std::uint64_t round) {
  m_round = round;
  const int d = m_n_in, nd = m_kernel->n_data(), W = aux_width(nd, m_n_out);
  const std::size_t N = m_opts.n_interior, stride = std::size_t(1 + 2 * d);
  const auto pts = pde::sample_interior(m_problem.box, m_opts.sampler, N, m_opts.seed, round);
  // every point's owner and covering windows (every rank alike: the pairs and their tags agree)
  std::vector<int> owner(N);
  std::vector<std::vector<int>> subs(N);
  std::vector<std::vector<double>> jets(N);
  for (std::size_t p = 0; p < N; ++p) {
    owner[p] = m_part.locate(&pts[p * d]);
    cover(&pts[p * d], subs[p], jets[p]);
    NPDE_REQUIRE(std::find(subs[p].begin(), subs[p].end(), owner[p]) != subs[p].end(),
                 "a point outside its own subdomain's window");
  }
  // the schedule's phase: the loss takes the points in the windows of the layer that trains, and the
  // networks covering them train unless an earlier layer holds them (fixed); the rest idle
  const bool all = m_phase >= layers();
  std::vector<char> keep(N, 1);
  m_roles.assign(std::size_t(m_part.size()), all ? Role::Trained : Role::Idle);
  if (!all) {
    for (std::size_t p = 0; p < N; ++p) {
      keep[p] = std::any_of(subs[p].begin(), subs[p].end(), [&](int j) { return layer_of(j) == m_phase; });
      if (keep[p])
        for (int j : subs[p]) m_roles[std::size_t(j)] = layer_of(j) < m_phase ? Role::Fixed : Role::Trained;
    }
  }
  m_n_loss = std::size_t(std::count(keep.begin(), keep.end(), char(1)));
  std::map<std::pair<int, int>, std::size_t> pair_index;  // (s, j) -> index, ordered by s then j
  for (std::size_t p = 0; p < N; ++p)
    if (keep[p])
      for (int j : subs[p]) pair_index.emplace(std::make_pair(owner[p], j), 0);
  m_pairs.assign(pair_index.size(), Pair{});
  std::size_t k = 0;
  for (auto& [key, idx] : pair_index) {
    idx = k;
    m_pairs[k].s = key.first;
    m_pairs[k].j = key.second;
    ++k;
  }
  NPDE_REQUIRE(m_pairs.size() < 32768, "decomposition: " << m_pairs.size() << " overlapping pairs, at most 32767");
  const int me = m_comm.rank();
  for (std::size_t p = 0; p < N; ++p)
    for (std::size_t c = 0; keep[p] && c < subs[p].size(); ++c) {
      Pair& pr = m_pairs[pair_index[{owner[p], subs[p][c]}]];
      const bool own_s = m_part[pr.s].owner == me, own_j = m_part[pr.j].owner == me;
      if (!own_s && !own_j) continue;
      pr.points.push_back(p);
      if (own_s) pr.window.insert(pr.window.end(), jets[p].begin() + long(c * stride), jets[p].begin() + long((c + 1) * stride));
    }
  // owners: their core points, positions, aux (data, trial functions)
  m_owners.clear();
  const pde::Needs needs = m_kernel->needs();
  for (int s = int(m_owned.begin); s < int(m_owned.end); ++s) {
    auto ow = std::make_unique<Owner>();
    ow->s = s;
    std::map<std::size_t, std::size_t> pos;
    for (std::size_t p = 0; p < N; ++p)
      if (keep[p] && owner[p] == s) {
        pos[p] = ow->points.size();
        ow->points.push_back(p);
      }
    const std::size_t n = ow->points.size();
    std::vector<double> aux(std::size_t(W) * n, 0.0);
    for (std::size_t q = 0; q < n; ++q) {
      const double* x = &pts[ow->points[q] * d];
      double* a = aux.data() + q * W;
      for (int i = 0; i < nd; ++i) a[i] = m_problem.data[i].eval(x);
      for (int o = 0; o < m_n_out; ++o)
        if ((m_hard >> o) & 1u) {
          CanonicalJet G, D;
          m_trials[o].eval(x, needs.first, needs.diagonal, needs.laplacian, G, D);
          std::copy(G.e, G.e + pde::kCanonical, a + nd + 2 * pde::kCanonical * o);
          std::copy(D.e, D.e + pde::kCanonical, a + nd + 2 * pde::kCanonical * o + pde::kCanonical);
        }
    }
    device_copy(aux, ow->aux, "npde::pinn::FbPinn::aux");
    const int C = m_spec.n_channels();
    ow->sq = View1<T>("npde::pinn::FbPinn::sq", std::max<std::size_t>(1, std::size_t(m_n_res) * n));
    ow->adj = View1<T>("npde::pinn::FbPinn::adj", std::max<std::size_t>(1, std::size_t(m_n_out) * C * n));
    ow->out = View1<T>("npde::pinn::FbPinn::out", std::max<std::size_t>(1, std::size_t(m_n_out) * C * n));
    for (std::size_t i = 0; i < m_pairs.size(); ++i)
      if (m_pairs[i].s == s) {
        ow->pairs.push_back(int(i));
        for (std::size_t p : m_pairs[i].points) m_pairs[i].owner_pos.push_back(pos.at(p));
      }
    m_owners.push_back(std::move(ow));
  }
  // networks: the points of their extents, pair by pair: first the pairs whose points other subdomains
  // own (s ascending), then the network's own core (s = j). Their jets go out first, and their
  // adjoints come back last, so that the messages travel while the own core's chunks are computed;
  // the order depends on the geometry alone, not on the ranks.
  m_networks.clear();
  for (int j = int(m_owned.begin); j < int(m_owned.end); ++j) {
    auto nw = std::make_unique<Network>();
    nw->j = j;
    std::vector<double> x;
    std::size_t far = 0;
    for (const bool own : {false, true})
      for (std::size_t i = 0; i < m_pairs.size(); ++i)
        if (m_pairs[i].j == j && (m_pairs[i].s == j) == own) {
          nw->pairs.push_back(int(i));
          m_pairs[i].net_offset = nw->n;
          for (std::size_t p : m_pairs[i].points) x.insert(x.end(), pts.begin() + long(p * d), pts.begin() + long((p + 1) * d));
          nw->n += m_pairs[i].points.size();
          if (!own) far = nw->n;
        }
    nw->x = to_device<T>(x, "npde::pinn::FbPinn::x");
    nw->jet = std::make_unique<nn::JetChunks<T>>(m_nets[std::size_t(j - int(m_owned.begin))], m_spec,
                                                 int(std::max<std::size_t>(nw->n, 1)), m_opts.chunk);
    nw->far_chunks = int((far + std::size_t(nw->jet->chunk()) - 1) / std::size_t(nw->jet->chunk()));
    m_stats.network_points = std::max(m_stats.network_points, double(nw->n));
    m_networks.push_back(std::move(nw));
  }
  // the optimiser's mask: the trained subdomains' parameters (none needed when all train)
  m_trainable = decltype(m_trainable)();
  if (!all) {
    m_trainable = decltype(m_trainable)("npde::pinn::FbPinn::trainable", m_params.extent(0));
    auto h = Kokkos::create_mirror_view(m_trainable);
    const auto sp = spread();
    for (std::size_t k = 0; k < m_nets.size(); ++k)
      for (std::size_t i = sp.local_offset(k); i < sp.local_offset(k + 1); ++i)
        h(i) = m_roles[m_owned.begin + k] == Role::Trained ? 1 : 0;
    Kokkos::deep_copy(m_trainable, h);
  }
}

template <class T>
void FbPinn<T>::adapt(long iteration) {
  if (m_dopts.schedule.axis < 0) return;
  const int p = int(std::min<long>(iteration / m_dopts.schedule.every, layers()));
  if (p == m_phase) return;
  m_phase = p;
  build(m_round);
  const int a = m_dopts.schedule.axis;
  const char axis = m_problem.time_dependent && a == m_problem.n_space ? 't' : "xyz"[a];
  if (p < layers())
    log::info(log::format("fbpinn schedule: iteration ", iteration, ", layer ", p + 1, "/", layers(), " along ", axis,
                          " trains (", m_n_loss, " points)"));
  else
    log::info(log::format("fbpinn schedule: iteration ", iteration, ", every subdomain trains"));
}

template <class T>
std::vector<double> FbPinn<T>::adaptive_state() const {
  if (m_dopts.schedule.axis < 0) return {};
  return {double(m_phase)};
}

template <class T>
void FbPinn<T>::set_adaptive_state(const std::vector<double>& state) {
  if (m_dopts.schedule.axis < 0) return;
  NPDE_REQUIRE(state.size() == 1 && state[0] >= 0 && state[0] <= layers(),
               "an FBPINN schedule state of " << state.size() << " values");
  const int p = int(state[0]);
  if (p == m_phase) return;
  m_phase = p;
  build(m_round);
}

template <class T>
std::string FbPinn<T>::progress_note() const {
  if (m_dopts.schedule.axis < 0 || m_phase >= layers()) return {};
  return log::format("layer ", m_phase + 1, "/", layers());
}

template <class T>
void FbPinn<T>::sample(std::uint64_t round) {
  build(round);
}

template <class T>
T FbPinn<T>::loss_and_gradient(const View1<T>& grad) {
  Kokkos::Profiling::pushRegion("npde::pinn::FbPinn::loss_and_gradient");
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  const int NO = m_n_out, C = m_spec.n_channels(), d = m_n_in, nt = m_spec.n_tangents();
  const int L = m_spec.laplacian_channel();
  const std::size_t stride = std::size_t(1 + 2 * d), rec = std::size_t(C) * NO;
  // 1. every network's jets at its extent's points, to the points' owners
  decomp::Exchange forward(m_comm);
  for (const auto& ow : m_owners)
    for (int i : ow->pairs) {
      Pair& pr = m_pairs[std::size_t(i)];
      pr.jets.assign(pr.points.size() * rec, 0.0);
      forward.receive(m_part[pr.j].owner, i, pr.jets.data(), pr.jets.size());
    }
  // the chunks that hold the points other subdomains own first, those jets sent; then the own cores'
  std::vector<std::vector<double>> send(m_pairs.size());
  for (const bool own : {false, true}) {
    for (const auto& nw : m_networks) {
      if (nw->n == 0) continue;
      const int n = int(nw->n), K = nw->jet->chunks(n), split = std::min(nw->far_chunks, K);
      if (!own) nw->jet->forward(nw->x.data(), n, 0, split);
      for (int k = split; own && k < K; ++k) {  // chunk by chunk, the messages moving in between
        nw->jet->forward(nw->x.data(), n, k, k + 1);
        forward.progress();
      }
      std::vector<double> h;  // the jets on the host, copied once a pair of this pass has points
      for (int i : nw->pairs) {
        const Pair& pr = m_pairs[std::size_t(i)];
        if ((pr.s == nw->j) != own) continue;
        if (h.empty() && !pr.points.empty()) h = host_copy(nw->jet->output(), std::size_t(NO) * C * nw->n);
        auto& buf = send[std::size_t(i)];
        buf.resize(pr.points.size() * rec);
        for (std::size_t q = 0; q < pr.points.size(); ++q)
          for (int c = 0; c < C; ++c)
            for (int o = 0; o < NO; ++o)
              buf[(q * C + c) * NO + o] = h[std::size_t(o) + NO * (std::size_t(c) * nw->n + pr.net_offset + q)];
        forward.send(m_part[pr.s].owner, i, buf.data(), buf.size());
        if (m_part[pr.s].owner != m_comm.rank()) m_stats.bytes_sent += double(buf.size() * sizeof(double));
      }
    }
  }
  auto tw = Clock::now();
  forward.finish();
  m_stats.wait_seconds += std::chrono::duration<double>(Clock::now() - tw).count();
  // 2. the owners: u from the windowed jets, the residuals, their adjoints back to the networks
  auto tangent_axis = [&](int k) { return m_spec.tangents[std::size_t(k)]; };
  const std::size_t S = std::size_t(m_part.size()), NR = std::size_t(m_n_res);
  std::vector<double> slots(S * NR, 0.0);
  T scale[kMaxResiduals];
  for (std::size_t r = 0; r < NR; ++r) scale[r] = T(m_term_weights[r] / double(std::max<std::size_t>(m_n_loss, 1)));
  decomp::Exchange backward(m_comm);
  const auto trains = [&](int j) { return m_roles[std::size_t(j)] == Role::Trained; };
  for (const auto& nw : m_networks)
    for (int i : nw->pairs) {
      Pair& pr = m_pairs[std::size_t(i)];
      if (!trains(pr.j)) continue;  // a fixed network needs no adjoints
      pr.adj.assign(pr.points.size() * rec, 0.0);
      // the own core's adjoints (network and owner on this rank) are written in place, not sent, so
      // that its reverse pass can start before the other messages are complete
      if (pr.s != pr.j) backward.receive(m_part[pr.s].owner, i, pr.adj.data(), pr.adj.size());
    }
  for (const auto& ow : m_owners) {
    const std::size_t n = ow->points.size();
    if (n == 0) continue;
    std::vector<double> u(std::size_t(NO) * C * n, 0.0);
    auto U = [&](int o, int c, std::size_t q) -> double& { return u[std::size_t(o) + NO * (std::size_t(c) * n + q)]; };
    for (int i : ow->pairs) {  // j ascending: the same sum on any rank count
      const Pair& pr = m_pairs[std::size_t(i)];
      for (std::size_t q = 0; q < pr.points.size(); ++q) {
        const double* w = &pr.window[q * stride];
        const double* Nj = &pr.jets[q * rec];
        const std::size_t at = pr.owner_pos[q];
        for (int o = 0; o < NO; ++o) {
          auto N = [&](int c) { return Nj[std::size_t(c) * NO + o]; };
          U(o, 0, at) += w[0] * N(0);
          for (int k = 0; k < nt; ++k) U(o, 1 + k, at) += w[1 + tangent_axis(k)] * N(0) + w[0] * N(1 + k);
          if (L >= 0) {
            double acc = w[0] * N(L);
            for (int k : m_spec.laplacian_terms)
              acc += w[1 + d + tangent_axis(k)] * N(0) + 2 * w[1 + tangent_axis(k)] * N(1 + k);
            U(o, L, at) += acc;
          }
          for (int di = 0; di < m_spec.n_diagonal(); ++di) {
            const int k = m_spec.diagonal_terms[std::size_t(di)], a = tangent_axis(k), ch = m_spec.diagonal_channel(di);
            U(o, ch, at) += w[1 + d + a] * N(0) + 2 * w[1 + a] * N(1 + k) + w[0] * N(ch);
          }
        }
      }
    }
    device_copy(u, ow->out, "npde::pinn::FbPinn::out");
    m_kernel->evaluate(int(n), ow->out.data(), ow->aux.data(), m_hard, scale, ow->sq.data(), ow->adj.data());
    for (std::size_t r = 0; r < NR; ++r)
      slots[std::size_t(ow->s) * NR + r] = double(scale[r]) * device_sum(ow->sq.data() + r * n, int(n));
    const auto A = host_copy(ow->adj.data(), std::size_t(NO) * C * n);
    for (int i : ow->pairs) {
      Pair& pr = m_pairs[std::size_t(i)];
      if (!trains(pr.j)) continue;
      auto& buf = pr.s == pr.j ? pr.adj : send[std::size_t(i)];
      buf.assign(pr.points.size() * rec, 0.0);
      for (std::size_t q = 0; q < pr.points.size(); ++q) {
        const double* w = &pr.window[q * stride];
        const std::size_t at = pr.owner_pos[q];
        for (int o = 0; o < NO; ++o) {
          auto a_ = [&](int c) { return A[std::size_t(o) + NO * (std::size_t(c) * n + at)]; };
          auto out = [&](int c) -> double& { return buf[(q * C + c) * NO + o]; };
          out(0) += w[0] * a_(0);
          for (int k = 0; k < nt; ++k) {
            out(0) += w[1 + tangent_axis(k)] * a_(1 + k);
            out(1 + k) += w[0] * a_(1 + k);
          }
          if (L >= 0) {
            out(L) += w[0] * a_(L);
            for (int k : m_spec.laplacian_terms) {
              out(0) += w[1 + d + tangent_axis(k)] * a_(L);
              out(1 + k) += 2 * w[1 + tangent_axis(k)] * a_(L);
            }
          }
          for (int di = 0; di < m_spec.n_diagonal(); ++di) {
            const int k = m_spec.diagonal_terms[std::size_t(di)], a = tangent_axis(k), ch = m_spec.diagonal_channel(di);
            out(0) += w[1 + d + a] * a_(ch);
            out(1 + k) += 2 * w[1 + a] * a_(ch);
            out(ch) += w[0] * a_(ch);
          }
        }
      }
      if (pr.s == pr.j) continue;
      backward.send(m_part[pr.j].owner, i, buf.data(), buf.size());
      if (m_part[pr.j].owner != m_comm.rank()) m_stats.bytes_sent += double(buf.size() * sizeof(double));
    }
  }
  // 3. each network's reverse pass over its extent's points: the chunks of its own core first (their
  // adjoints are here), then, once the messages are in, the chunks of the points other subdomains own
  // (and the chunk shared by both). The same order on any rank count.
  const auto sp = spread();
  for (const bool far : {false, true}) {
    if (far) {
      tw = Clock::now();
      backward.finish();
      m_stats.wait_seconds += std::chrono::duration<double>(Clock::now() - tw).count();
    }
    for (std::size_t k = 0; k < m_networks.size(); ++k) {
      Network& nw = *m_networks[k];
      T* g = grad.data() + sp.local_offset(k);
      if (!far)
        Kokkos::deep_copy(View1<T>(Kokkos::subview(grad, std::make_pair(sp.local_offset(k), sp.local_offset(k + 1)))), T(0));
      if (nw.n == 0 || !trains(nw.j)) continue;
      const int n = int(nw.n), K = nw.jet->chunks(n), split = std::min(nw.far_chunks, K);
      if (far ? split == 0 : split == K) continue;
      nw.hadj.resize(std::size_t(NO) * C * nw.n);
      for (int i : nw.pairs) {
        const Pair& pr = m_pairs[std::size_t(i)];
        // the own pass fills the own core's part; the far pass the rest (and the own core's too when
        // the own pass did not run: the far chunks' last may hold own points)
        if ((pr.s == nw.j) == far && !(far && split == K)) continue;
        for (std::size_t q = 0; q < pr.points.size(); ++q)
          for (int c = 0; c < C; ++c)
            for (int o = 0; o < NO; ++o)
              nw.hadj[std::size_t(o) + NO * (std::size_t(c) * nw.n + pr.net_offset + q)] = pr.adj[(q * C + c) * NO + o];
      }
      device_copy(nw.hadj, nw.adj, "npde::pinn::FbPinn::net_adj");
      if (far) nw.jet->backward(nw.x.data(), n, nw.adj.data(), g, 0, split);
      for (int c = split; !far && c < K; ++c) {  // chunk by chunk, the messages moving in between
        nw.jet->backward(nw.x.data(), n, nw.adj.data(), g, c, c + 1);
        backward.progress();
      }
    }
  }
  // 4. one allreduce of the slots, sums in slot order
  Kokkos::fence();
  m_comm.allreduce_sum(slots.data(), slots.size());
  std::fill(m_term_values.begin(), m_term_values.end(), 0.0);
  double total = 0;
  for (std::size_t s = 0; s < S; ++s) {
    double own = 0;
    for (std::size_t r = 0; r < NR; ++r) {
      m_term_values[r] += slots[s * NR + r];
      own += slots[s * NR + r];
    }
    m_subdomain_loss[s] = own;
  }
  for (double v : m_term_values) total += v;
  m_stats.eval_seconds += std::chrono::duration<double>(Clock::now() - t0).count();
  ++m_stats.evaluations;
  Kokkos::Profiling::popRegion();
  return T(total);
}

template <class T>
std::vector<double> FbPinn<T>::evaluate_all(const std::vector<double>& points) {
  const int d = m_n_in, NO = m_n_out, maxc = 1 << d;
  const std::size_t n = points.size() / std::size_t(d);
  std::vector<std::vector<int>> subs(n);
  std::vector<std::vector<double>> jets(n);
  for (std::size_t p = 0; p < n; ++p) cover(&points[p * d], subs[p], jets[p]);
  // slots (point, cover position, output): each written by the rank of that network
  std::vector<double> slots(n * std::size_t(maxc) * NO, 0.0);
  for (std::size_t k = 0; k < m_nets.size(); ++k) {
    const int j = int(m_owned.begin + k);
    std::vector<double> x;
    std::vector<std::pair<std::size_t, std::size_t>> at;  // (point, cover position)
    for (std::size_t p = 0; p < n; ++p)
      for (std::size_t c = 0; c < subs[p].size(); ++c)
        if (subs[p][c] == j) {
          at.emplace_back(p, c);
          x.insert(x.end(), points.begin() + long(p * d), points.begin() + long((p + 1) * d));
        }
    if (at.empty()) continue;
    nn::JetMlp<T> jet(m_nets[k], nn::JetSpec::value_only(d), int(at.size()));
    const View1<T> xd = to_device<T>(x, "npde::pinn::FbPinn::predict_x");
    jet.forward(xd.data(), int(at.size()));
    const auto v = host_copy(jet.output(), std::size_t(NO) * at.size());
    for (std::size_t i = 0; i < at.size(); ++i)
      for (int o = 0; o < NO; ++o)
        slots[(at[i].first * maxc + at[i].second) * NO + o] = jets[at[i].first][at[i].second * (1 + 2 * d)] * v[i * NO + o];
  }
  m_comm.allreduce_sum(slots.data(), slots.size());
  std::vector<double> u(n * std::size_t(NO));
  for (std::size_t p = 0; p < n; ++p)
    for (int o = 0; o < NO; ++o) {
      double sum = 0;
      for (std::size_t c = 0; c < subs[p].size(); ++c) sum += slots[(p * maxc + c) * NO + o];
      u[p * NO + o] = m_trials[std::size_t(o)].value(&points[p * d], sum);
    }
  return u;
}

template <class T>
std::vector<double> FbPinn<T>::predict(const std::vector<double>& points) {
  const std::size_t n_local = points.size() / std::size_t(m_n_in);
  std::size_t first = 0;
  const auto u = evaluate_all(detail::gather_points(m_comm, points, m_n_in, first));
  return std::vector<double>(u.begin() + long(first * m_n_out), u.begin() + long((first + n_local) * m_n_out));
}

template <class T>
std::vector<int> FbPinn<T>::subdomain_of(const std::vector<double>& points) const {
  return detail::locate_all(m_part, points, m_n_in);
}

template <class T>
double FbPinn<T>::validation_error() {
  if (m_validation_points.empty()) return std::numeric_limits<double>::quiet_NaN();
  const auto u = evaluate_all(m_validation_points);  // the same on every rank
  double num = 0, den = 0;
  for (std::size_t i = 0; i < u.size(); ++i) {
    const double e = m_validation_exact[i];
    if (std::isnan(e)) continue;
    num += (u[i] - e) * (u[i] - e);
    den += e * e;
  }
  return den > 0 ? std::sqrt(num / den) : std::sqrt(num);
}

template <class T>
void FbPinn<T>::set_stage_weights(const std::vector<std::pair<std::string, double>>& overrides) {
  m_term_weights.assign(m_term_names.size(), m_opts.weight_pde);
  for (const auto& [group, w] : overrides) {
    if (group != "pde")
      NPDE_INPUT_ERROR("training.stages: weights." << group << " names no loss term of this FBPINN (its conditions are "
                                                      "built into the solution; the terms are the residuals)");
    std::fill(m_term_weights.begin(), m_term_weights.end(), w);
  }
}

template <class T>
std::vector<std::string> FbPinn<T>::extra_names() const {
  return detail::subdomain_loss_names(m_part.size());
}

template class FbPinn<double>;
template class FbPinn<float>;

}  // namespace npde::pinn
