// SPDX-License-Identifier: BSD-3-Clause
// Operator-learning losses.
#include "npde/fno/losses.hpp"

#include <cmath>
#include <vector>

#include "npde/core/error.hpp"

namespace npde::fno {

template <class T>
double relative_l2(const T* y, const T* target, int batch, long n, T* ybar) {
  // per sample ||y - t||^2 and ||t||^2, each summed in a fixed order (one thread per sample)
  View1<double> sums("npde::fno::relative_l2::sums", 2 * std::size_t(batch));
  double* s = sums.data();
  Kokkos::parallel_for("npde::fno::relative_l2", Kokkos::RangePolicy<ExecSpace>(0, batch), KOKKOS_LAMBDA(const int b) {
    double d2 = 0, t2 = 0;
    for (long i = 0; i < n; ++i) {
      const double d = double(y[b * n + i]) - double(target[b * n + i]), t = double(target[b * n + i]);
      d2 += d * d, t2 += t * t;
    }
    s[2 * b] = d2, s[2 * b + 1] = t2;
  });
  const auto h = Kokkos::create_mirror_view_and_copy(HostSpace(), sums);
  double loss = 0;
  std::vector<double> coef(static_cast<std::size_t>(batch));
  for (int b = 0; b < batch; ++b) {
    NPDE_REQUIRE(h(2 * b + 1) > 0, "relative L2 loss: sample " << b << " has a zero target");
    const double nd = std::sqrt(h(2 * b)), nt = std::sqrt(h(2 * b + 1));
    loss += nd / nt;
    coef[std::size_t(b)] = nd > 0 ? 1.0 / (batch * nt * nd) : 0.0;  // d(||d|| / ||t||)/dy = d / (||t|| ||d||)
  }
  if (ybar) {
    View1<double> c("npde::fno::relative_l2::coef", coef.size());
    auto ch = Kokkos::create_mirror_view(c);
    for (std::size_t b = 0; b < coef.size(); ++b) ch(b) = coef[b];
    Kokkos::deep_copy(c, ch);
    const double* cc = c.data();
    Kokkos::parallel_for("npde::fno::relative_l2_gradient", Kokkos::RangePolicy<ExecSpace>(0, long(batch) * n),
                         KOKKOS_LAMBDA(const long e) { ybar[e] = T(cc[e / n] * (double(y[e]) - double(target[e]))); });
  }
  return loss / batch;
}

template double relative_l2<double>(const double*, const double*, int, long, double*);
template double relative_l2<float>(const float*, const float*, int, long, float*);

}  // namespace npde::fno
