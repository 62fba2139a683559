// SPDX-License-Identifier: BSD-3-Clause
// Private to pinn/: host point sets -> this rank's slice -> device arrays.
#pragma once

#include <string>
#include <vector>

#include "npde/core/types.hpp"
#include "npde/decomp/communicator.hpp"

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

}  // namespace npde::pinn::detail
