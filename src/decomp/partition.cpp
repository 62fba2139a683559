// SPDX-License-Identifier: BSD-3-Clause
// BoxPartition: the Cartesian split of a box into subdomains, owners, interfaces, windows.
#include "npde/decomp/partition.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include "npde/core/error.hpp"

namespace npde::decomp {

BoxPartition::BoxPartition(std::vector<double> lower, std::vector<double> upper, std::vector<int> counts, double overlap,
                           int ranks, std::vector<std::vector<double>> cuts)
    : m_lower(std::move(lower)), m_upper(std::move(upper)), m_cuts(std::move(cuts)), m_counts(std::move(counts)),
      m_overlap(overlap), m_ranks(ranks) {
  const int d = dims();
  NPDE_REQUIRE(d >= 1 && d <= 3 && int(m_upper.size()) == d, "a partition of a " << d << "-dimensional box");
  if (int(m_counts.size()) != d)
    NPDE_INPUT_ERROR("decomposition.subdomains: give one count per dimension (" << d << "), got " << m_counts.size());
  long n = 1;
  for (int a = 0; a < d; ++a) {
    if (m_counts[std::size_t(a)] < 1)
      NPDE_INPUT_ERROR("decomposition.subdomains: every count must be >= 1, got " << m_counts[std::size_t(a)]);
    NPDE_REQUIRE(m_upper[std::size_t(a)] > m_lower[std::size_t(a)], "an empty box along axis " << a);
    n *= m_counts[std::size_t(a)];
    m_width.push_back((m_upper[std::size_t(a)] - m_lower[std::size_t(a)]) / m_counts[std::size_t(a)]);
  }
  static const char* const kAxis[] = {"first", "second", "third"};
  if (int(m_cuts.size()) > d)
    NPDE_INPUT_ERROR("decomposition.cuts: " << m_cuts.size() << " axes for a " << d << "-dimensional box");
  m_cuts.resize(std::size_t(d));
  for (int a = 0; a < d; ++a) {
    const auto& c = m_cuts[std::size_t(a)];
    if (c.empty()) continue;
    const int n_a = m_counts[std::size_t(a)];
    if (int(c.size()) != n_a - 1)
      NPDE_INPUT_ERROR("decomposition.cuts: " << n_a << " subdomain(s) along the " << kAxis[a] << " axis need "
                                              << n_a - 1 << " cut(s), got " << c.size());
    for (std::size_t i = 0; i < c.size(); ++i) {
      const double below = i == 0 ? m_lower[std::size_t(a)] : c[i - 1];
      if (!(c[i] > below && c[i] < m_upper[std::size_t(a)]))
        NPDE_INPUT_ERROR("decomposition.cuts: the cuts along the " << kAxis[a] << " axis must increase strictly inside ("
                                                                   << m_lower[std::size_t(a)] << ", "
                                                                   << m_upper[std::size_t(a)] << "), got " << c[i]);
    }
  }
  if (!(overlap >= 0 && overlap < 1))
    NPDE_INPUT_ERROR("decomposition.overlap: must be in [0, 1) (a fraction of a subdomain's width), got " << overlap);
  if (n > 1000000) NPDE_INPUT_ERROR("decomposition.subdomains: " << n << " subdomains, at most 1000000");
  if (ranks < 1 || ranks > n)
    NPDE_INPUT_ERROR("decomposition.subdomains: " << n << " subdomain(s) cannot occupy " << ranks
                                                  << " ranks: run on at most " << n << " ranks or split the box finer");
  m_counts.resize(3, 1);
  for (int s = 0; s < int(n); ++s) {
    Subdomain sd;
    sd.index = s;
    sd.cell = {s % m_counts[0], (s / m_counts[0]) % m_counts[1], s / (m_counts[0] * m_counts[1])};
    for (int a = 0; a < d; ++a) {
      const int i = sd.cell[std::size_t(a)], n_a = m_counts[std::size_t(a)];
      const auto& c = m_cuts[std::size_t(a)];
      double lo, hi, widen_lo, widen_hi;
      if (c.empty()) {
        lo = m_lower[std::size_t(a)] + i * m_width[std::size_t(a)];
        hi = i + 1 == n_a ? m_upper[std::size_t(a)] : lo + m_width[std::size_t(a)];
        widen_lo = widen_hi = 0.5 * overlap * m_width[std::size_t(a)];
      } else {
        // cell k spans [edge(k), edge(k + 1)); a face's band is overlap x the narrower neighbour
        const auto edge = [&](int k) {
          return k == 0 ? m_lower[std::size_t(a)] : k == n_a ? m_upper[std::size_t(a)] : c[std::size_t(k - 1)];
        };
        const auto width = [&](int k) { return edge(k + 1) - edge(k); };
        lo = edge(i), hi = edge(i + 1);
        widen_lo = i == 0 ? 0 : 0.5 * overlap * std::min(width(i - 1), width(i));
        widen_hi = i + 1 == n_a ? 0 : 0.5 * overlap * std::min(width(i), width(i + 1));
      }
      sd.core_lower.push_back(lo), sd.core_upper.push_back(hi);
      sd.lower.push_back(i == 0 ? lo : lo - widen_lo);
      sd.upper.push_back(i + 1 == n_a ? hi : hi + widen_hi);
    }
    m_subdomains.push_back(sd);
  }
  for (int r = 0; r < ranks; ++r) {
    const Range own = owned(r);
    for (std::size_t s = own.begin; s < own.end; ++s) m_subdomains[s].owner = r;
  }
  for (const auto& sd : m_subdomains)
    for (int a = 0; a < d; ++a) {
      if (sd.cell[std::size_t(a)] + 1 >= m_counts[std::size_t(a)]) continue;
      auto cell = sd.cell;
      ++cell[std::size_t(a)];
      Interface f;
      f.lower = sd.index, f.upper = index_of(cell), f.axis = a;
      f.position = sd.core_upper[std::size_t(a)];
      f.face_lower = sd.core_lower, f.face_upper = sd.core_upper;
      f.face_lower[std::size_t(a)] = f.face_upper[std::size_t(a)] = f.position;
      m_interfaces.push_back(f);
    }
  m_counts.resize(std::size_t(d));
}

int BoxPartition::index_of(const std::array<int, 3>& cell) const {
  const int n0 = m_counts[0], n1 = dims() > 1 ? m_counts[1] : 1;
  return cell[0] + n0 * (cell[1] + n1 * cell[2]);
}

int BoxPartition::locate(const double* x) const {
  std::array<int, 3> cell{0, 0, 0};
  for (int a = 0; a < dims(); ++a) {
    const auto& c = m_cuts[std::size_t(a)];
    if (!c.empty()) {  // the number of cuts at or below x: a point on a face belongs to the upper cell
      cell[std::size_t(a)] = int(std::upper_bound(c.begin(), c.end(), x[a]) - c.begin());
      continue;
    }
    const double t = (x[a] - m_lower[std::size_t(a)]) / m_width[std::size_t(a)];
    cell[std::size_t(a)] = std::clamp(int(std::floor(t)), 0, m_counts[std::size_t(a)] - 1);
  }
  return index_of(cell);
}

std::vector<int> BoxPartition::neighbours(int s) const {
  std::vector<int> out;
  for (const auto& f : m_interfaces) {
    if (f.lower == s) out.push_back(f.upper);
    if (f.upper == s) out.push_back(f.lower);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<int> BoxPartition::neighbour_ranks(int rank) const {
  std::set<int> out;
  for (const auto& f : m_interfaces) {
    const int a = m_subdomains[std::size_t(f.lower)].owner, b = m_subdomains[std::size_t(f.upper)].owner;
    if (a == rank && b != rank) out.insert(b);
    if (b == rank && a != rank) out.insert(a);
  }
  return std::vector<int>(out.begin(), out.end());
}

double BoxPartition::window(int s, const double* x) const {
  double w, dw[3], d2w[3];
  window_jet(s, x, w, dw, d2w);
  return w;
}

void BoxPartition::window_jet(int s, const double* x, double& w, double* dw, double* d2w) const {
  const Subdomain& sd = m_subdomains[std::size_t(s)];
  const int d = dims();
  // per axis: the factor f, f' and f''; no taper towards the box's own boundary (the edge subdomains
  // alone cover it)
  double f[3] = {1, 1, 1}, f1[3] = {0, 0, 0}, f2[3] = {0, 0, 0};
  bool inside = true;
  for (int a = 0; a < d; ++a) {
    const double lo = sd.lower[std::size_t(a)], hi = sd.upper[std::size_t(a)], v = x[a];
    if (v < lo || v > hi) inside = false;
    if (!inside || m_counts[std::size_t(a)] == 1) continue;
    const double c = 0.5 * (sd.core_lower[std::size_t(a)] + sd.core_upper[std::size_t(a)]);
    const bool box_lo = sd.cell[std::size_t(a)] == 0, box_hi = sd.cell[std::size_t(a)] + 1 == m_counts[std::size_t(a)];
    double r = 0, sign = 0;  // half-width of the taper, and the direction away from c
    if (v <= c && !box_lo) r = c - lo, sign = -1;
    if (v > c && !box_hi) r = hi - c, sign = 1;
    if (r == 0) continue;
    // f = cos^2(theta), theta = k |v - c|, k = pi / (2 r)
    const double k = 0.5 * M_PI / r, theta = k * std::abs(v - c);
    f[a] = std::pow(std::cos(theta), 2);
    f1[a] = -sign * k * std::sin(2 * theta);
    f2[a] = -2 * k * k * std::cos(2 * theta);
  }
  for (int a = 0; a < d; ++a) dw[a] = d2w[a] = 0;
  if (!inside) {
    w = 0;
    return;
  }
  w = 1;
  for (int a = 0; a < d; ++a) w *= f[a];
  for (int a = 0; a < d; ++a) {
    double rest = 1;
    for (int b = 0; b < d; ++b)
      if (b != a) rest *= f[b];
    dw[a] = f1[a] * rest;
    d2w[a] = f2[a] * rest;
  }
}

std::vector<std::pair<int, double>> BoxPartition::unity(const double* x) const {
  std::vector<std::pair<int, double>> out;
  double sum = 0;
  // only the cells around x's own can reach it (overlap < 1)
  const int home = locate(x);
  const auto& hc = m_subdomains[std::size_t(home)].cell;
  for (int k = std::max(0, hc[2] - 1); k <= std::min((dims() > 2 ? m_counts[2] : 1) - 1, hc[2] + 1); ++k)
    for (int j = std::max(0, hc[1] - 1); j <= std::min((dims() > 1 ? m_counts[1] : 1) - 1, hc[1] + 1); ++j)
      for (int i = std::max(0, hc[0] - 1); i <= std::min(m_counts[0] - 1, hc[0] + 1); ++i) {
        const int s = index_of({i, j, k});
        const double w = window(s, x);
        if (w > 0) out.emplace_back(s, w), sum += w;
      }
  if (sum <= 0) return {{home, 1.0}};  // a shared face without overlap: the core that holds x
  for (auto& p : out) p.second /= sum;
  return out;
}

}  // namespace npde::decomp
