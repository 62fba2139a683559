// SPDX-License-Identifier: BSD-3-Clause
// FbPinn: the global point set split by the subdomain cores; per evaluation each network's jets at the
// points of its extent go to the points' owners (exchange 1), the owners blend them with the normalised
// windows and evaluate the residual, and the adjoints go back (exchange 2) for each network's reverse
// pass; the networks' jets run in chunks, the overlap points' first, so that both exchanges travel
// while the own cores' chunks are computed. One allreduce of per-subdomain slots. Gathering, blending
// and scattering are device kernels; only a pair whose other side is on another rank goes through
// the host (MPI's buffers), in the same doubles as a pair on one rank.
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

using SizeView = Kokkos::View<std::size_t*, Kokkos::LayoutLeft, MemSpace>;

/// An index table on the device (at least one element, so that an empty table is a valid view).
template <class E>
Kokkos::View<E*, Kokkos::LayoutLeft, MemSpace> upload(const std::vector<E>& v, const char* label) {
  Kokkos::View<E*, Kokkos::LayoutLeft, MemSpace> d(Kokkos::view_alloc(Kokkos::WithoutInitializing, std::string(label)),
                                                    std::max<std::size_t>(1, v.size()));
  auto h = Kokkos::create_mirror_view(d);
  for (std::size_t i = 0; i < v.size(); ++i) h(i) = v[i];
  Kokkos::deep_copy(d, h);
  return d;
}

/// The most channels x outputs of a record the blending kernels take (FBPINN's inputs are at most
/// three: value, three first, a Laplacian and three diagonal channels, for up to 8 outputs).
constexpr int kMaxRecord = 64;

/// The shape of the blending: outputs, channels, inputs, tangents, the Laplacian channel (-1: none),
/// its terms, the diagonal terms; idx holds the tangents' axes, the Laplacian's terms, the diagonal
/// terms and the diagonal channels, in this order.
struct BlendShape {
  int NO = 1, C = 1, d = 1, nt = 0, L = -1, n_lap = 0, n_diag = 0;
  Kokkos::View<const int*, Kokkos::LayoutLeft, MemSpace> idx;
  KOKKOS_INLINE_FUNCTION int axis(int k) const { return idx(k); }
  KOKKOS_INLINE_FUNCTION int lap(int i) const { return idx(nt + i); }
  KOKKOS_INLINE_FUNCTION int diag(int i) const { return idx(nt + n_lap + i); }
  KOKKOS_INLINE_FUNCTION int diag_channel(int i) const { return idx(nt + n_lap + n_diag + i); }
};

/// The records of m points of a network's jets (layout [o + NO (c n + offset + q)]) at buf[seg...],
/// point-major: buf(seg + (q C + c) NO + o).
template <class T>
void gather_records(const T* jets, std::size_t n, std::size_t offset, int m, int NO, int C, const View1<double>& buf,
                    std::size_t seg) {
  Kokkos::parallel_for(
      "npde::pinn::FbPinn::gather", Kokkos::RangePolicy<ExecSpace>(0, m), KOKKOS_LAMBDA(const int q) {
        for (int c = 0; c < C; ++c)
          for (int o = 0; o < NO; ++o)
            buf(seg + (std::size_t(q) * C + c) * NO + o) = double(jets[std::size_t(o) + NO * (std::size_t(c) * n + offset + q)]);
      });
}

/// The inverse of gather_records: records into a network's adjoint of its jets.
template <class T>
void scatter_records(const View1<double>& buf, std::size_t seg, int m, int NO, int C, T* adj, std::size_t n,
                     std::size_t offset) {
  Kokkos::parallel_for(
      "npde::pinn::FbPinn::scatter", Kokkos::RangePolicy<ExecSpace>(0, m), KOKKOS_LAMBDA(const int q) {
        for (int c = 0; c < C; ++c)
          for (int o = 0; o < NO; ++o)
            adj[std::size_t(o) + NO * (std::size_t(c) * n + offset + q)] = T(buf(seg + (std::size_t(q) * C + c) * NO + o));
      });
}

/// An owner's blending entries, point by point (j ascending within a point): [row(p), row(p + 1)) are
/// point p's, win the normalised window's jet of each (1 + 2d values). Entry e reads its network's jets
/// (and writes their adjoint) where they are: with net(e) = k >= 0, network k of this rank, in its
/// arrays (layout [o + NO (c n_k + at(e))]: net_out(k), net_adj(k), device addresses); with net(e) < 0
/// (a network on another rank) in the records of the exchange at at(e) (layout [c NO + o]).
template <class T>
struct BlendEntries {
  SizeView row, at;
  Kokkos::View<int*, Kokkos::LayoutLeft, MemSpace> net;
  View1<double> win;
  Kokkos::View<std::uintptr_t*, Kokkos::LayoutLeft, MemSpace> net_out, net_adj;
  SizeView net_n;
};

/// An owner's n points: u's jets (out, layout [o + NO (c n + p)]) as the sums over the point's entries
/// of the window's jet times the network's, summed in doubles in the entries' order, then rounded to T.
/// kNO > 0: the number of outputs (b.NO) at compile time; 0: read from b.
template <int kNO, class T>
void blend_jets(const BlendShape& b, int n, const BlendEntries<T>& E, const View1<double>& jets, T* out) {
  Kokkos::parallel_for(
      "npde::pinn::FbPinn::blend", Kokkos::RangePolicy<ExecSpace>(0, n), KOKKOS_LAMBDA(const int p) {
        const int NO = kNO > 0 ? kNO : b.NO, C = b.C, d = b.d;  // kNO: outputs known at compile time
        const std::size_t stride = std::size_t(1 + 2 * d);
        double U[kMaxRecord];
        for (int i = 0; i < C * NO; ++i) U[i] = 0;
        for (std::size_t e = E.row(p); e < E.row(p + 1); ++e) {
          const double* w = &E.win(e * stride);
          const int k = E.net(e);
          const std::size_t a = E.at(e);
          const T* local = k >= 0 ? reinterpret_cast<const T*>(E.net_out(k)) + a * NO : nullptr;
          const double* record = k >= 0 ? nullptr : &jets(a);
          const std::size_t cs = k >= 0 ? NO * E.net_n(k) : std::size_t(NO);
          for (int o = 0; o < NO; ++o) {
            auto N = [&](int c) { return local ? double(local[c * cs + o]) : record[c * cs + o]; };
            auto u = [&](int c) -> double& { return U[c * NO + o]; };
            u(0) += w[0] * N(0);
            for (int k = 0; k < b.nt; ++k) u(1 + k) += w[1 + b.axis(k)] * N(0) + w[0] * N(1 + k);
            if (b.L >= 0) {
              double s = w[0] * N(b.L);
              for (int i = 0; i < b.n_lap; ++i) {
                const int k = b.lap(i);
                s += w[1 + d + b.axis(k)] * N(0) + 2 * w[1 + b.axis(k)] * N(1 + k);
              }
              u(b.L) += s;
            }
            for (int di = 0; di < b.n_diag; ++di) {
              const int k = b.diag(di), a = b.axis(k), ch = b.diag_channel(di);
              u(ch) += w[1 + d + a] * N(0) + 2 * w[1 + a] * N(1 + k) + w[0] * N(ch);
            }
          }
        }
        for (int c = 0; c < C; ++c)
          for (int o = 0; o < NO; ++o) out[std::size_t(o) + NO * (std::size_t(c) * n + p)] = T(U[c * NO + o]);
      });
}

/// The reverse of blend_jets: from the adjoint of u's jets (A, out's layout) each entry's adjoint of its
/// network's jets, in the network's adjoint array or in the exchange's records (adjb).
template <int kNO, class T>
void blend_adjoints(const BlendShape& b, int n, const BlendEntries<T>& E, const T* A, const View1<double>& adjb) {
  Kokkos::parallel_for(
      "npde::pinn::FbPinn::blend_adjoint", Kokkos::RangePolicy<ExecSpace>(0, n), KOKKOS_LAMBDA(const int p) {
        const int NO = kNO > 0 ? kNO : b.NO, C = b.C, d = b.d;  // kNO: outputs known at compile time
        const std::size_t stride = std::size_t(1 + 2 * d);
        for (std::size_t e = E.row(p); e < E.row(p + 1); ++e) {
          const double* w = &E.win(e * stride);
          double r[kMaxRecord];
          for (int i = 0; i < C * NO; ++i) r[i] = 0;
          for (int o = 0; o < NO; ++o) {
            auto a_ = [&](int c) { return double(A[std::size_t(o) + NO * (std::size_t(c) * n + p)]); };
            auto out = [&](int c) -> double& { return r[c * NO + o]; };
            double r0 = w[0] * a_(0);  // channel 0 gathers a term from every channel: summed in a register
            for (int k = 0; k < b.nt; ++k) {
              const double ak = a_(1 + k);
              r0 += w[1 + b.axis(k)] * ak;
              out(1 + k) += w[0] * ak;
            }
            if (b.L >= 0) {
              const double aL = a_(b.L);
              out(b.L) += w[0] * aL;
              for (int i = 0; i < b.n_lap; ++i) {
                const int k = b.lap(i);
                r0 += w[1 + d + b.axis(k)] * aL;
                out(1 + k) += 2 * w[1 + b.axis(k)] * aL;
              }
            }
            for (int di = 0; di < b.n_diag; ++di) {
              const int k = b.diag(di), a = b.axis(k), ch = b.diag_channel(di);
              const double ac = a_(ch);
              r0 += w[1 + d + a] * ac;
              out(1 + k) += 2 * w[1 + a] * ac;
              out(ch) += w[0] * ac;
            }
            out(0) = r0;
          }
          const int k = E.net(e);
          const std::size_t a = E.at(e);
          if (k >= 0) {
            T* dst = reinterpret_cast<T*>(E.net_adj(k)) + a * NO;
            const std::size_t cs = NO * E.net_n(k);
            for (int c = 0; c < C; ++c)
              for (int o = 0; o < NO; ++o) dst[c * cs + o] = T(r[c * NO + o]);
          } else {
            double* dst = &adjb(a);
            for (int i = 0; i < C * NO; ++i) dst[i] = r[i];
          }
        }
      });
}

/// Host copy <-> device copy of [seg, seg + len) of a record buffer (nothing on a host backend).
template <class Dst, class Src>
void copy_segment(const Dst& dst, const Src& src, std::size_t seg, std::size_t len) {
  const auto r = std::make_pair(seg, seg + len);
  Kokkos::deep_copy(Kokkos::subview(dst, r), Kokkos::subview(src, r));
}

}  // namespace

template <class T>
struct FbPinn<T>::Pair {
  int j = 0, s = 0;                     ///< network subdomain, owner subdomain
  std::vector<std::size_t> points;      ///< global indices, ascending
  std::vector<std::size_t> owner_pos;   ///< owner side, while building: each point's position in s's core list
  std::vector<double> window;           ///< owner side, while building: W_j, dW_j (d), d2W_j (d) per point
  std::size_t net_offset = 0;           ///< network side: the pair's first point in j's extent list
  std::size_t seg = 0;                  ///< the pair's records in m_jets and m_adjb
};

template <class T>
struct FbPinn<T>::Owner {
  int s = 0;
  std::vector<std::size_t> points;  ///< global indices of the points s's core holds
  std::vector<int> pairs;           ///< the pairs (j, s), j ascending
  View1<T> aux, sq, adj, out;
  BlendEntries<T> entries;  ///< the blending's (the network tables shared by all owners of the rank)
};

template <class T>
struct FbPinn<T>::Network {
  int j = 0;
  std::size_t n = 0;       ///< points of the extent
  std::vector<int> pairs;  ///< the pairs (j, s): s != j ascending, then (j, j)
  int far_chunks = 0;      ///< the jet chunks that hold the points of the pairs s != j (they come first)
  View1<T> x, adj;
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
  // the pairs' records, pair after pair, and the blending's channel tables
  const int C = m_spec.n_channels();
  const std::size_t rec = std::size_t(C) * std::size_t(m_n_out);
  NPDE_REQUIRE(rec <= std::size_t(kMaxRecord), "FBPINN: " << C << " jet channels x " << m_n_out << " outputs, at most "
                                                 << kMaxRecord << " per point");
  std::size_t records = 0;  // the pairs with one side on another rank travel as records
  for (Pair& pr : m_pairs) {
    pr.seg = records;
    if (m_part[pr.s].owner != me || m_part[pr.j].owner != me) records += pr.points.size() * rec;
  }
  m_jets = View1<double>("npde::pinn::FbPinn::jets", std::max<std::size_t>(1, records));
  m_adjb = View1<double>("npde::pinn::FbPinn::adjoints", std::max<std::size_t>(1, records));
  m_jets_host = Kokkos::create_mirror_view(m_jets);
  m_adjb_host = Kokkos::create_mirror_view(m_adjb);
  {
    std::vector<int> idx(m_spec.tangents.begin(), m_spec.tangents.end());
    idx.insert(idx.end(), m_spec.laplacian_terms.begin(), m_spec.laplacian_terms.end());
    idx.insert(idx.end(), m_spec.diagonal_terms.begin(), m_spec.diagonal_terms.end());
    for (int di = 0; di < m_spec.n_diagonal(); ++di) idx.push_back(m_spec.diagonal_channel(di));
    m_blend_index = upload(idx, "npde::pinn::FbPinn::blend_index");
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
    ow->aux = to_device<T>(aux, "npde::pinn::FbPinn::aux");
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
    nw->adj = View1<T>("npde::pinn::FbPinn::net_adj", std::max<std::size_t>(1, nw->n * rec));
    nw->jet = std::make_unique<nn::JetChunks<T>>(m_nets[std::size_t(j - int(m_owned.begin))], m_spec,
                                                 int(std::max<std::size_t>(nw->n, 1)), m_opts.chunk);
    nw->far_chunks = int((far + std::size_t(nw->jet->chunk()) - 1) / std::size_t(nw->jet->chunk()));
    m_stats.network_points = std::max(m_stats.network_points, double(nw->n));
    m_networks.push_back(std::move(nw));
  }
  // the networks' tables (their jets' addresses are filled each evaluation, from output() after the
  // forward passes) and the owners' blending
  // entries, point by point; the pairs are in ascending j, so are a point's entries
  const std::size_t NW = m_networks.size();
  BlendEntries<T> tables;
  tables.net_out = m_net_out = decltype(m_net_out)("npde::pinn::FbPinn::net_out", std::max<std::size_t>(1, NW));
  tables.net_adj = decltype(tables.net_adj)("npde::pinn::FbPinn::net_adj_address", std::max<std::size_t>(1, NW));
  {
    std::vector<std::size_t> sizes(NW);
    auto adj = Kokkos::create_mirror_view(tables.net_adj);
    for (std::size_t k = 0; k < NW; ++k) {
      sizes[k] = m_networks[k]->n;
      adj(k) = reinterpret_cast<std::uintptr_t>(m_networks[k]->adj.data());
    }
    Kokkos::deep_copy(tables.net_adj, adj);
    tables.net_n = upload(sizes, "npde::pinn::FbPinn::net_n");
  }
  for (auto& ow : m_owners) {
    const std::size_t n = ow->points.size();
    std::vector<std::size_t> row(n + 1, 0);
    for (int i : ow->pairs)
      for (std::size_t at : m_pairs[std::size_t(i)].owner_pos) ++row[at + 1];
    for (std::size_t q = 0; q < n; ++q) row[q + 1] += row[q];
    std::vector<std::size_t> next(row.begin(), row.end() - 1), at(row[n]);
    std::vector<int> net(row[n]);
    std::vector<double> win(row[n] * stride);
    for (int i : ow->pairs) {
      Pair& pr = m_pairs[std::size_t(i)];
      const bool local = m_part[pr.j].owner == me;
      for (std::size_t q = 0; q < pr.points.size(); ++q) {
        const std::size_t e = next[pr.owner_pos[q]]++;
        net[e] = local ? pr.j - int(m_owned.begin) : -1;
        at[e] = local ? pr.net_offset + q : pr.seg + q * rec;
        std::copy(pr.window.begin() + long(q * stride), pr.window.begin() + long((q + 1) * stride), win.begin() + long(e * stride));
      }
      std::vector<std::size_t>().swap(pr.owner_pos);
      std::vector<double>().swap(pr.window);
    }
    ow->entries = tables;
    ow->entries.row = upload(row, "npde::pinn::FbPinn::row");
    ow->entries.at = upload(at, "npde::pinn::FbPinn::at");
    ow->entries.net = upload(net, "npde::pinn::FbPinn::net");
    ow->entries.win = detail::to_device<double>(win, "npde::pinn::FbPinn::window");
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
  const int NO = m_n_out, C = m_spec.n_channels(), me = m_comm.rank();
  const std::size_t rec = std::size_t(C) * NO;
  const BlendShape shape{NO, C, m_n_in, m_spec.n_tangents(), m_spec.laplacian_channel(),
                         int(m_spec.laplacian_terms.size()), m_spec.n_diagonal(), m_blend_index};
  const auto remote = [&](int sub) { return m_part[sub].owner != me; };
  // 1. every network's jets at its extent's points, as records to the points' owners (a pair on this
  // rank stays on the device; one across ranks through the host copy)
  decomp::Exchange forward(m_comm);
  for (const auto& ow : m_owners)
    for (int i : ow->pairs) {
      const Pair& pr = m_pairs[std::size_t(i)];
      if (remote(pr.j)) forward.receive(m_part[pr.j].owner, i, m_jets_host.data() + pr.seg, pr.points.size() * rec);
    }
  // the chunks that hold the points other subdomains own first, those jets sent; then the own cores'
  for (const bool own : {false, true}) {
    for (const auto& nw : m_networks) {
      if (nw->n == 0) continue;
      const int n = int(nw->n), K = nw->jet->chunks(n), split = std::min(nw->far_chunks, K);
      if (!own) nw->jet->forward(nw->x.data(), n, 0, split);
      for (int k = split; own && k < K; ++k) {  // chunk by chunk, the messages moving in between
        nw->jet->forward(nw->x.data(), n, k, k + 1);
        forward.progress();
      }
      for (int i : nw->pairs) {
        const Pair& pr = m_pairs[std::size_t(i)];
        if ((pr.s == nw->j) != own || !remote(pr.s)) continue;
        const std::size_t len = pr.points.size() * rec;
        gather_records(nw->jet->output(), nw->n, pr.net_offset, int(pr.points.size()), NO, C, m_jets, pr.seg);
        copy_segment(m_jets_host, m_jets, pr.seg, len);
        forward.send(m_part[pr.s].owner, i, m_jets_host.data() + pr.seg, len);
        m_stats.bytes_sent += double(len * sizeof(double));
      }
    }
  }
  {  // the jets' addresses for the blending of the pairs on this rank
    auto h = Kokkos::create_mirror_view(m_net_out);
    for (std::size_t k = 0; k < m_networks.size(); ++k) h(k) = reinterpret_cast<std::uintptr_t>(m_networks[k]->jet->output());
    Kokkos::deep_copy(m_net_out, h);
  }
  auto tw = Clock::now();
  forward.finish();
  m_stats.wait_seconds += std::chrono::duration<double>(Clock::now() - tw).count();
  for (const auto& ow : m_owners)
    for (int i : ow->pairs) {
      const Pair& pr = m_pairs[std::size_t(i)];
      if (remote(pr.j)) copy_segment(m_jets, m_jets_host, pr.seg, pr.points.size() * rec);
    }
  // 2. the owners: u from the windowed jets, the residuals, their adjoints back to the networks
  const std::size_t S = std::size_t(m_part.size()), NR = std::size_t(m_n_res);
  std::vector<double> slots(S * NR, 0.0);
  T scale[kMaxResiduals];
  for (std::size_t r = 0; r < NR; ++r) scale[r] = T(m_term_weights[r] / double(std::max<std::size_t>(m_n_loss, 1)));
  decomp::Exchange backward(m_comm);
  const auto trains = [&](int j) { return m_roles[std::size_t(j)] == Role::Trained; };
  for (const auto& nw : m_networks)
    for (int i : nw->pairs) {
      const Pair& pr = m_pairs[std::size_t(i)];
      // a fixed network needs no adjoints; the pairs on this rank are read where they are, so that the
      // own core's reverse pass can start before the other messages are complete
      if (trains(pr.j) && remote(pr.s))
        backward.receive(m_part[pr.s].owner, i, m_adjb_host.data() + pr.seg, pr.points.size() * rec);
    }
  for (const auto& ow : m_owners) {
    const int n = int(ow->points.size());
    if (n == 0) continue;
    if (NO == 1)  // a scalar equation's kernels without the loop over outputs
      blend_jets<1>(shape, n, ow->entries, m_jets, ow->out.data());
    else
      blend_jets<0>(shape, n, ow->entries, m_jets, ow->out.data());
    m_kernel->evaluate(n, ow->out.data(), ow->aux.data(), m_hard, scale, ow->sq.data(), ow->adj.data());
    for (std::size_t r = 0; r < NR; ++r)
      slots[std::size_t(ow->s) * NR + r] = double(scale[r]) * device_sum(ow->sq.data() + r * std::size_t(n), n);
    if (NO == 1)
      blend_adjoints<1>(shape, n, ow->entries, ow->adj.data(), m_adjb);
    else
      blend_adjoints<0>(shape, n, ow->entries, ow->adj.data(), m_adjb);
    for (int i : ow->pairs) {
      const Pair& pr = m_pairs[std::size_t(i)];
      if (!trains(pr.j) || !remote(pr.j)) continue;
      const std::size_t len = pr.points.size() * rec;
      copy_segment(m_adjb_host, m_adjb, pr.seg, len);
      backward.send(m_part[pr.j].owner, i, m_adjb_host.data() + pr.seg, len);
      m_stats.bytes_sent += double(len * sizeof(double));
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
      // the owners on this rank wrote their adjoints in place; the far pass places the other ranks'
      for (int i : nw.pairs) {
        const Pair& pr = m_pairs[std::size_t(i)];
        if (!far || !remote(pr.s)) continue;
        copy_segment(m_adjb, m_adjb_host, pr.seg, pr.points.size() * rec);
        scatter_records(m_adjb, pr.seg, int(pr.points.size()), NO, C, nw.adj.data(), nw.n, pr.net_offset);
      }
      if (far && split > 0) nw.jet->backward(nw.x.data(), n, nw.adj.data(), g, 0, split);
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
