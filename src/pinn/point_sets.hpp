// SPDX-License-Identifier: BSD-3-Clause
// Private to pinn/: host point sets -> this rank's slice -> device arrays; small helpers shared by
// Pinn's translation units.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "npde/core/types.hpp"
#include "npde/decomp/communicator.hpp"
#include "npde/pinn/trial.hpp"

namespace npde::pinn::detail {

/// A device copy of host values, converted to T.
template <class T>
View1<T> to_device(const std::vector<double>& v, const char* label) {
  View1<T> d(Kokkos::view_alloc(Kokkos::WithoutInitializing, std::string(label)), v.size());
  auto h = Kokkos::create_mirror_view(d);
  for (std::size_t i = 0; i < v.size(); ++i) h(i) = T(v[i]);
  Kokkos::deep_copy(d, h);
  return d;
}

/// Rows [r.begin, r.end) of a row-major (n, dim) point set.
inline std::vector<double> slice_rows(const std::vector<double>& all, int dim, decomp::Range r) {
  return std::vector<double>(all.begin() + r.begin * dim, all.begin() + r.end * dim);
}

/// Sum of the n entries of v (a device reduction in double).
template <class T>
double device_sum(const T* v, int n) {
  double s = 0;
  Kokkos::parallel_reduce(
      "npde::pinn::Pinn::sum", Kokkos::RangePolicy<ExecSpace>(0, n),
      KOKKOS_LAMBDA(const int p, double& acc) { acc += double(v[p]); }, s);
  return s;
}

/// The trial function's G and D canonical jets of output `trial` at x, written to dst (G then D).
inline void write_trial(const TrialFunction& trial, const double* x, unsigned first, unsigned second,
                        unsigned laplacian, double* dst) {
  CanonicalJet G, D;
  trial.eval(x, first, second, laplacian, G, D);
  std::copy(G.e, G.e + pde::kCanonical, dst);
  std::copy(D.e, D.e + pde::kCanonical, dst + pde::kCanonical);
}

}  // namespace npde::pinn::detail
