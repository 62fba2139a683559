// SPDX-License-Identifier: BSD-3-Clause
// Operator-learning losses.
#include "npde/fno/losses.hpp"

#include <cmath>
#include <vector>

#include "npde/core/error.hpp"

namespace npde::fno {

UView1<double> loss_workspace(int slot, std::size_t n) {
  static std::vector<double> spaces[8];  // plain vectors: nothing for Kokkos to free after finalize
  NPDE_REQUIRE(slot >= 0 && slot < 8, "loss workspace " << slot);
  std::vector<double>& w = spaces[slot];
  if (w.size() < n) w.resize(n);
  return UView1<double>(w.data(), n);
}

namespace {

/// The per-sample coefficients of the ratio's gradient, scale / (||t|| ||d||), on the device; the
/// ratios summed (and stored per sample).
UView1<double> ratio_coefficients(const UView1<double>& sums, int batch, double scale, double& total,
                                 double* per_sample, const char* what) {
  const auto h = Kokkos::create_mirror_view_and_copy(HostSpace(), sums);
  const auto c = loss_workspace(1, std::size_t(batch));
  auto ch = Kokkos::create_mirror_view(c);
  total = 0;
  for (int b = 0; b < batch; ++b) {
    NPDE_REQUIRE(h(2 * b + 1) > 0, what << " loss: sample " << b << " has a zero target");
    const double nd = std::sqrt(h(2 * b)), nt = std::sqrt(h(2 * b + 1));
    total += nd / nt;
    if (per_sample) per_sample[b] = nd / nt;
    ch(b) = nd > 0 ? scale / (nt * nd) : 0.0;  // d(||d|| / ||t||)/dy = d / (||t|| ||d||)
  }
  Kokkos::deep_copy(c, ch);
  return c;
}

}  // namespace

template <class T>
double relative_l2_sum(const T* y, const T* target, int batch, long n, double scale, T* ybar, double* per_sample) {
  // per sample ||y - t||^2 and ||t||^2, each summed in a fixed order (one thread per sample)
  const auto sums = loss_workspace(0, 2 * std::size_t(batch));
  double* s = sums.data();
  Kokkos::parallel_for("npde::fno::relative_l2", Kokkos::RangePolicy<ExecSpace>(0, batch), KOKKOS_LAMBDA(const int b) {
    double d2 = 0, t2 = 0;
    for (long i = 0; i < n; ++i) {
      const double d = double(y[b * n + i]) - double(target[b * n + i]), t = double(target[b * n + i]);
      d2 += d * d, t2 += t * t;
    }
    s[2 * b] = d2, s[2 * b + 1] = t2;
  });
  double total = 0;
  const auto c = ratio_coefficients(sums, batch, scale, total, per_sample, "relative L2");
  if (ybar) {
    const double* cc = c.data();
    Kokkos::parallel_for("npde::fno::relative_l2_gradient", Kokkos::RangePolicy<ExecSpace>(0, long(batch) * n),
                         KOKKOS_LAMBDA(const long e) { ybar[e] = T(cc[e / n] * (double(y[e]) - double(target[e]))); });
  }
  return total;
}

template <class T>
double relative_l2(const T* y, const T* target, int batch, long n, T* ybar) {
  return relative_l2_sum(y, target, batch, n, 1.0 / batch, ybar) / batch;
}

template <class T>
double relative_h1_sum(const T* y, const T* target, int batch, int channels, int n1, int n2, double h1, double h2,
                       bool periodic, double scale, T* ybar, double* per_sample) {
  NPDE_REQUIRE(n1 >= 2 && n2 >= 2, "H1 loss on a " << n1 << " x " << n2 << " grid");
  const long P = long(n1) * n2;
  // the difference operator along one axis at index i of m points: (v[i+] - v[i-]) / ((i+ - i-) h)
  auto neighbours = [periodic](int i, int m, int& lo, int& hi) {
    if (periodic) {
      lo = (i + m - 1) % m, hi = (i + 1) % m;
    } else {
      lo = i > 0 ? i - 1 : 0, hi = i + 1 < m ? i + 1 : m - 1;
    }
  };
  auto span = [periodic](int lo, int hi, int m) { return periodic ? 2 : hi - lo + (hi < lo ? m : 0); };
  const auto sums = loss_workspace(0, 2 * std::size_t(batch));
  double* s = sums.data();
  Kokkos::parallel_for("npde::fno::relative_h1", Kokkos::RangePolicy<ExecSpace>(0, batch), KOKKOS_LAMBDA(const int b) {
    double d2 = 0, t2 = 0;
    for (long c = 0; c < channels; ++c) {
      const long base = (long(b) * channels + c) * P;
      for (int i = 0; i < n1; ++i) {
        int ilo, ihi;
        neighbours(i, n1, ilo, ihi);
        const double s1 = 1.0 / (span(ilo, ihi, n1) * h1);
        for (int j = 0; j < n2; ++j) {
          int jlo, jhi;
          neighbours(j, n2, jlo, jhi);
          const double s2 = 1.0 / (span(jlo, jhi, n2) * h2);
          auto at = [&](const T* v, int a, int bb) { return double(v[base + long(a) * n2 + bb]); };
          const double e = at(y, i, j) - at(target, i, j), t = at(target, i, j);
          const double e1 = s1 * ((at(y, ihi, j) - at(target, ihi, j)) - (at(y, ilo, j) - at(target, ilo, j)));
          const double e2 = s2 * ((at(y, i, jhi) - at(target, i, jhi)) - (at(y, i, jlo) - at(target, i, jlo)));
          const double t1 = s1 * (at(target, ihi, j) - at(target, ilo, j));
          const double tt2 = s2 * (at(target, i, jhi) - at(target, i, jlo));
          d2 += e * e + e1 * e1 + e2 * e2;
          t2 += t * t + t1 * t1 + tt2 * tt2;
        }
      }
    }
    s[2 * b] = d2, s[2 * b + 1] = t2;
  });
  double total = 0;
  const auto c = ratio_coefficients(sums, batch, scale, total, per_sample, "relative H1");
  if (!ybar) return total;
  // ybar = coef (e + D1^T D1 e + D2^T D2 e): gather form, each point sums the difference stencils
  // that read it (every stencil point (i', j) with i in {lo(i'), hi(i')})
  const double* cc = c.data();
  Kokkos::parallel_for("npde::fno::relative_h1_gradient", Kokkos::RangePolicy<ExecSpace>(0, long(batch) * channels),
                       KOKKOS_LAMBDA(const long row) {
                         const long base = row * P;
                         const double coef = cc[row / channels];
                         auto e = [&](int a, int bb) {
                           const long k = base + long(a) * n2 + bb;
                           return double(y[k]) - double(target[k]);
                         };
                         for (int i = 0; i < n1; ++i)
                           for (int j = 0; j < n2; ++j) ybar[base + long(i) * n2 + j] = T(0);
                         for (int i = 0; i < n1; ++i) {
                           int ilo, ihi;
                           neighbours(i, n1, ilo, ihi);
                           const double s1 = 1.0 / (span(ilo, ihi, n1) * h1);
                           for (int j = 0; j < n2; ++j) {
                             int jlo, jhi;
                             neighbours(j, n2, jlo, jhi);
                             const double s2 = 1.0 / (span(jlo, jhi, n2) * h2);
                             const double d1 = s1 * (e(ihi, j) - e(ilo, j)), dd2 = s2 * (e(i, jhi) - e(i, jlo));
                             T* g = ybar + base;
                             g[long(i) * n2 + j] += T(coef * e(i, j));
                             g[long(ihi) * n2 + j] += T(coef * s1 * d1);
                             g[long(ilo) * n2 + j] -= T(coef * s1 * d1);
                             g[long(i) * n2 + jhi] += T(coef * s2 * dd2);
                             g[long(i) * n2 + jlo] -= T(coef * s2 * dd2);
                           }
                         }
                       });
  return total;
}

template double relative_l2<double>(const double*, const double*, int, long, double*);
template double relative_l2<float>(const float*, const float*, int, long, float*);
template double relative_l2_sum<double>(const double*, const double*, int, long, double, double*, double*);
template double relative_l2_sum<float>(const float*, const float*, int, long, double, float*, double*);
template double relative_h1_sum<double>(const double*, const double*, int, int, int, int, double, double, bool, double,
                                        double*, double*);
template double relative_h1_sum<float>(const float*, const float*, int, int, int, int, double, double, bool, double,
                                       float*, double*);

}  // namespace npde::fno
