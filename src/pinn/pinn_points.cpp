// SPDX-License-Identifier: BSD-3-Clause
// Pinn's point sets: the interior set and its adaptive rounds (RAD, RAR-D), the condition
// terms' points, per-stage counts.
#include "npde/pinn/pinn.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "npde/core/error.hpp"
#include "npde/core/rng.hpp"
#include "npde/pde/sampler.hpp"
#include "pinn/point_sets.hpp"

namespace npde::pinn {

using detail::slice_rows;
using detail::to_device;
using detail::write_trial;
using pde::ConditionKind;

template <class T>
void Pinn<T>::fill_interior(const std::vector<double>& pts) {
  const int nd = m_kernel->n_data(), W = aux_width(nd, m_n_out);
  const std::size_t n = pts.size() / m_n_in;
  const pde::Needs needs = m_kernel->needs();
  std::vector<double> aux(std::size_t(W) * n, 0.0);
  for (std::size_t p = 0; p < n; ++p) {
    const double* x = pts.data() + p * m_n_in;
    double* a = aux.data() + p * W;
    for (int j = 0; j < nd; ++j) a[j] = m_problem.data[j].eval(x);
    for (int o = 0; o < m_n_out; ++o) {
      if ((m_hard >> o) & 1u)
        write_trial(m_trials[o], x, needs.first, needs.diagonal, needs.laplacian, a + nd + 2 * pde::kCanonical * o);
    }
  }
  m_n_interior_local = n;
  m_x_interior = to_device<T>(pts, "npde::pinn::Pinn::x_interior");
  m_aux_interior = to_device<T>(aux, "npde::pinn::Pinn::aux_interior");
  if (m_opts.causal_chunks > 0) {
    // time chunk k = floor(M (t - t0) / T) of each point, and the global count of each chunk
    const int M = m_opts.causal_chunks, ta = m_problem.n_space;
    const double t0 = m_problem.box.lower[ta], span = m_problem.box.extent(ta);
    m_chunk_of.resize(n);
    m_chunk_count.assign(std::size_t(M), 0.0);
    for (std::size_t p = 0; p < n; ++p) {
      const int k = int(std::floor(double(M) * (pts[p * m_n_in + ta] - t0) / span));
      m_chunk_of[p] = std::clamp(k, 0, M - 1);
      m_chunk_count[std::size_t(m_chunk_of[p])] += 1.0;
    }
    m_comm.allreduce_sum(m_chunk_count.data(), m_chunk_count.size());
    update_point_factors();
  }
}

template <class T>
void Pinn<T>::adapt(long iteration) {
  materialize();  // weight factorisation: W from the trained (V, s)
  if (m_opts.balancing != PinnOptions::Balancing::Fixed && iteration % m_opts.balance_every == 0) update_balancing();
  if (m_opts.causal_chunks <= 0) return;
  // chunk losses at the current parameters
  const int M = m_opts.causal_chunks;
  const std::vector<double> r2 = interior_squared_residuals();
  std::vector<double> sums(std::size_t(M), 0.0);
  for (std::size_t p = 0; p < r2.size(); ++p) sums[std::size_t(m_chunk_of[p])] += r2[p];
  m_comm.allreduce_sum(sums.data(), sums.size());
  double cumulative = 0;
  for (int k = 0; k < M; ++k) {
    m_causal_loss[k] = m_chunk_count[k] > 0 ? sums[k] / m_chunk_count[k] : 0.0;
    m_causal_w[k] = std::exp(-m_opts.causal_epsilon * cumulative);
    cumulative += m_causal_loss[k];
  }
  update_point_factors();
}

template <class T>
std::vector<double> Pinn<T>::adaptive_state() const {
  std::vector<double> s(m_causal_w);
  s.insert(s.end(), m_causal_loss.begin(), m_causal_loss.end());
  if (m_opts.balancing != PinnOptions::Balancing::Fixed) s.insert(s.end(), m_term_weights.begin(), m_term_weights.end());
  if (m_opts.rad_candidates > 0) s.insert(s.end(), m_rad_points.begin(), m_rad_points.end());  // empty before the first draw
  return s;
}

template <class T>
void Pinn<T>::set_adaptive_state(const std::vector<double>& state) {
  const std::size_t M = m_causal_w.size();
  const std::size_t nw = m_opts.balancing != PinnOptions::Balancing::Fixed ? m_term_weights.size() : 0;
  const std::size_t npts = m_opts.n_interior * std::size_t(m_n_in);
  const std::size_t extra = state.size() - std::min(state.size(), 2 * M + nw);
  const bool rar = m_opts.adaptive == PinnOptions::Adaptive::RarD;
  const bool points_ok = extra == 0 || (m_opts.rad_candidates > 0 && (rar ? extra >= npts && extra % std::size_t(m_n_in) == 0
                                                                          : extra == npts));
  NPDE_REQUIRE(state.size() >= 2 * M + nw && points_ok,
               "adaptive state of " << state.size() << " values, the model has " << 2 * M + nw << " (+ "
                                    << npts << (rar ? " or more" : "") << " with adaptive points)");
  std::copy(state.begin(), state.begin() + long(M), m_causal_w.begin());
  std::copy(state.begin() + long(M), state.begin() + long(2 * M), m_causal_loss.begin());
  std::copy(state.begin() + long(2 * M), state.begin() + long(2 * M + nw), m_term_weights.begin());
  if (extra > 0 && std::vector<double>(state.end() - long(extra), state.end()) != m_rad_points) {
    // the adaptive set of the state (it depends on the parameters of its time, not on the round alone)
    m_rad_points.assign(state.end() - long(extra), state.end());
    set_interior_count(extra / std::size_t(m_n_in));
    fill_interior(slice_rows(m_rad_points, m_n_in, decomp::block_range(m_n_interior, m_comm.rank(), m_comm.size())));
  } else if (M > 0) {
    update_point_factors();
  }
}

template <class T>
void Pinn<T>::fill_condition(ConditionSet& set, std::uint64_t round) {
  if (set.observation >= 0) {
    // fixed points (the same every round), sliced by rank
    const auto& obs = m_problem.observations[set.observation];
    const auto r = decomp::block_range(set.n_global, m_comm.rank(), m_comm.size());
    const std::vector<double> mine = slice_rows(obs.points, m_n_in, r);
    set.n_local = r.size();
    const bool hard = (m_hard >> obs.output) & 1u;
    std::vector<double> aux(std::size_t(kConditionAux) * set.n_local, 0.0);
    for (std::size_t p = 0; p < set.n_local; ++p) {
      double* a = aux.data() + p * kConditionAux;
      a[0] = obs.values[r.begin + p];
      a[1] = 1.0;
      if (hard) write_trial(m_trials[obs.output], mine.data() + p * m_n_in, 0u, 0u, 0u, a + 2);
    }
    set.x = to_device<T>(mine, "npde::pinn::Pinn::x_observation");
    set.aux = to_device<T>(aux, "npde::pinn::Pinn::aux_observation");
    return;
  }
  const auto& c = m_problem.conditions[set.condition];
  const auto& box = m_problem.box;
  const int d = m_n_in;
  std::vector<int> faces = c.faces;
  if (c.kind == ConditionKind::Initial || c.kind == ConditionKind::InitialRate) faces = {m_problem.initial_face()};
  const auto all = pde::sample_boundary(box, faces, m_opts.sampler, set.n_global, m_opts.seed, round);
  // the face of every global point, from the per-face allocation (points are grouped by face)
  const auto counts = pde::boundary_allocation(box, faces, set.n_global);
  std::vector<int> face_of;
  for (std::size_t f = 0; f < faces.size(); ++f) face_of.insert(face_of.end(), counts[f], faces[f]);
  const auto r = decomp::block_range(set.n_global, m_comm.rank(), m_comm.size());
  std::vector<double> mine = slice_rows(all, d, r);
  std::vector<int> mine_faces(face_of.begin() + r.begin, face_of.begin() + r.end);
  set.n_local = r.size();
  if (set.periodic) {  // the partners on the upper face, after the lower points
    std::vector<double> upper = mine;
    const int a = pde::face_axis(faces[0]);
    for (std::size_t p = 0; p < set.n_local; ++p) upper[p * d + a] = box.upper[a];
    mine.insert(mine.end(), upper.begin(), upper.end());
    mine_faces.insert(mine_faces.end(), mine_faces.begin(), mine_faces.end());
  }
  const std::size_t n = mine.size() / d;
  const unsigned first = set.axis >= 0 ? (1u << set.axis) : 0u;
  const bool hard = (m_hard >> c.output) & 1u;
  std::vector<double> aux(std::size_t(kConditionAux) * n, 0.0);
  for (std::size_t p = 0; p < n; ++p) {
    const double* x = mine.data() + p * d;
    double* a = aux.data() + p * kConditionAux;
    a[0] = c.kind == ConditionKind::Periodic ? 0.0 : c.value.eval(x);
    a[1] = c.kind == ConditionKind::Neumann && pde::face_side(mine_faces[p]) == 0 ? -1.0 : 1.0;
    if (hard) write_trial(m_trials[c.output], x, first, 0u, 0u, a + 2);
  }
  set.x = to_device<T>(mine, "npde::pinn::Pinn::x_condition");
  set.aux = to_device<T>(aux, "npde::pinn::Pinn::aux_condition");
}

template <class T>
void Pinn<T>::sample(std::uint64_t round) {
  materialize();  // weight factorisation: W from the trained (V, s)
  if (m_opts.rad_candidates > 0 && round > 0 && m_opts.adaptive == PinnOptions::Adaptive::RarD) {
    sample_refine(round);
  } else if (m_opts.rad_candidates > 0 && round > 0) {
    sample_adaptive(round);
  } else {
    m_rad_points.clear();
    const std::size_t n = m_stage_points.interior > 0 ? m_stage_points.interior : m_opts.n_interior;
    set_interior_count(n);
    const auto all = pde::sample_interior(m_problem.box, m_opts.sampler, n, m_opts.seed, round);
    fill_interior(slice_rows(all, m_n_in, decomp::block_range(n, m_comm.rank(), m_comm.size())));
  }
  for (auto& set : m_sets) {
    set.n_global = condition_points(set);
    m_term_points[std::size_t(set.term)] = set.n_global;
    fill_condition(set, round);
  }
}

template <class T>
std::size_t Pinn<T>::condition_points(const ConditionSet& set) const {
  if (set.observation >= 0) return set.n_global;
  const auto kind = m_problem.conditions[set.condition].kind;
  if (kind == ConditionKind::Initial || kind == ConditionKind::InitialRate)
    return m_stage_points.initial > 0 ? m_stage_points.initial : m_opts.n_initial;
  const std::size_t n = m_stage_points.boundary > 0 ? m_stage_points.boundary : m_opts.n_boundary;
  return set.periodic ? std::max<std::size_t>(n / 2, 1) : n;
}

template <class T>
bool Pinn<T>::set_stage_points(const StagePoints& points) {
  if (points.interior > 0 && m_opts.rad_candidates > 0)
    NPDE_INPUT_ERROR("training.stages[].points.interior: adaptive sampling (training.points.adaptive) sets the "
                     "interior points");
  m_stage_points = points;  // drawn by the next sample()
  // (an adaptive set keeps its own count: RAR-D grows it)
  bool changed = m_opts.rad_candidates == 0 && (points.interior > 0 ? points.interior : m_opts.n_interior) != m_n_interior;
  for (const auto& set : m_sets) changed = changed || condition_points(set) != set.n_global;
  return changed;
}

template <class T>
void Pinn<T>::set_interior_count(std::size_t n) {
  m_n_interior = n;
  for (std::size_t k = 0; k < std::size_t(m_n_res); ++k) m_term_points[k] = n;
}

template <class T>
std::vector<double> Pinn<T>::candidate_density(std::uint64_t round, std::vector<double>& cand) {
  // dense candidates (the same on every rank), the residual on this rank's block of them, |r|^k
  // gathered on every rank in candidate order
  constexpr std::uint64_t kCandidateRounds = std::uint64_t(1) << 37;
  const std::size_t nc = m_opts.rad_candidates;
  cand = pde::sample_interior(m_problem.box, m_opts.sampler, nc, m_opts.seed, kCandidateRounds + round);
  fill_interior(slice_rows(cand, m_n_in, decomp::block_range(nc, m_comm.rank(), m_comm.size())));
  std::vector<double> density = interior_squared_residuals();
  for (double& v : density) v = std::pow(std::sqrt(v), m_opts.rad_k);  // |r|^k
  std::vector<double> all = m_comm.allgatherv(density);
  NPDE_REQUIRE(all.size() == nc, "adaptive sampling: " << all.size() << " candidate residuals for " << nc << " candidates");
  // p = |r|^k / mean |r|^k + c (unnormalised)
  double mean = 0;
  for (double v : all) mean += v / double(nc);
  for (double& v : all) v = (mean > 0 && std::isfinite(mean) ? v / mean : 0.0) + m_opts.rad_c;
  return all;
}

template <class T>
void Pinn<T>::sample_refine(std::uint64_t round) {
  // RAR-D: the set of round 0 stays and grows by `rar_add` distinct candidates per round, drawn
  // without replacement with probabilities p (Efraimidis-Spirakis: the largest keys log(u_i) / p_i)
  constexpr std::uint64_t kDrawStream = 0xAD5D;
  if (m_rad_points.empty())
    m_rad_points = pde::sample_interior(m_problem.box, m_opts.sampler, m_opts.n_interior, m_opts.seed, 0);
  std::vector<double> cand;
  const std::vector<double> p = candidate_density(round, cand);
  const std::size_t nc = p.size(), m = std::min(m_opts.rar_add, nc);
  std::vector<std::pair<double, std::size_t>> key(nc);
  for (std::size_t i = 0; i < nc; ++i) {
    const double u = rng::uniform(m_opts.seed, kDrawStream, round * nc + i);
    key[i] = {p[i] > 0 ? std::log(std::max(u, 1e-300)) / p[i] : -std::numeric_limits<double>::infinity(), i};
  }
  // largest keys first; ties by index, so the choice is the same on every rank
  std::partial_sort(key.begin(), key.begin() + long(m), key.end(), [](const auto& a, const auto& b) {
    return a.first > b.first || (a.first == b.first && a.second < b.second);
  });
  std::sort(key.begin(), key.begin() + long(m), [](const auto& a, const auto& b) { return a.second < b.second; });
  for (std::size_t q = 0; q < m; ++q)
    m_rad_points.insert(m_rad_points.end(), cand.begin() + long(key[q].second * m_n_in),
                        cand.begin() + long((key[q].second + 1) * m_n_in));
  set_interior_count(m_rad_points.size() / std::size_t(m_n_in));
  fill_interior(slice_rows(m_rad_points, m_n_in, decomp::block_range(m_n_interior, m_comm.rank(), m_comm.size())));
}

template <class T>
void Pinn<T>::sample_adaptive(std::uint64_t round) {
  // RAD: N points drawn from the candidates with probabilities p (with replacement, inverse CDF of
  // counter-based uniforms), the same on every rank
  constexpr std::uint64_t kDrawStream = 0xAD5A;
  const std::size_t n = m_opts.n_interior;
  std::vector<double> cand;
  const std::vector<double> p = candidate_density(round, cand);
  const std::size_t nc = p.size();
  std::vector<double> cdf(nc);
  double total = 0;
  for (std::size_t i = 0; i < nc; ++i) {
    total += p[i];
    cdf[i] = total;
  }
  if (!(total > 0)) {  // every residual 0 and c = 0: no preference, draw uniformly
    for (std::size_t i = 0; i < nc; ++i) cdf[i] = double(i + 1);
    total = double(nc);
  }
  m_rad_points.resize(n * std::size_t(m_n_in));
  for (std::size_t q = 0; q < n; ++q) {
    const double u = rng::uniform(m_opts.seed, kDrawStream, round * n + q) * total;
    const std::size_t i = std::min<std::size_t>(std::size_t(std::upper_bound(cdf.begin(), cdf.end(), u) - cdf.begin()), nc - 1);
    std::copy(cand.begin() + long(i * m_n_in), cand.begin() + long((i + 1) * m_n_in),
              m_rad_points.begin() + long(q * m_n_in));
  }
  set_interior_count(n);
  fill_interior(slice_rows(m_rad_points, m_n_in, decomp::block_range(n, m_comm.rank(), m_comm.size())));
}

// the members defined here, for both precisions (the rest of Pinn is instantiated in pinn.cpp)
#define NPDE_PINN_POINTS(T) \
  template void Pinn<T>::fill_interior(const std::vector<double>& pts); \
  template void Pinn<T>::adapt(long iteration); \
  template std::vector<double> Pinn<T>::adaptive_state() const; \
  template void Pinn<T>::set_adaptive_state(const std::vector<double>& state); \
  template void Pinn<T>::fill_condition(ConditionSet& set, std::uint64_t round); \
  template void Pinn<T>::sample(std::uint64_t round); \
  template std::size_t Pinn<T>::condition_points(const ConditionSet& set) const; \
  template bool Pinn<T>::set_stage_points(const StagePoints& points); \
  template void Pinn<T>::set_interior_count(std::size_t n); \
  template std::vector<double> Pinn<T>::candidate_density(std::uint64_t round, std::vector<double>& cand); \
  template void Pinn<T>::sample_refine(std::uint64_t round); \
  template void Pinn<T>::sample_adaptive(std::uint64_t round);

NPDE_PINN_POINTS(double)
NPDE_PINN_POINTS(float)
#undef NPDE_PINN_POINTS

}  // namespace npde::pinn
