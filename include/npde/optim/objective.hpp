// SPDX-License-Identifier: BSD-3-Clause
// The objective callback type shared by npde's optimisers.
#pragma once

#include <npde/core/types.hpp>

#include <cstddef>
#include <functional>
#include <vector>

namespace npde::optim {

/// Evaluates the loss and its gradient at a point.
/// [in] x: parameters, shape (n), device. [out] grad: d loss / d x, shape (n), device, fully overwritten.
/// Returns the loss. May be collective (data-parallel training allreduces inside it), so an
/// optimiser must call it the same number of times with the same x on every rank; the optimisers
/// here only branch on values the callback returned, which are identical on all ranks.
template <class T>
using Objective = std::function<T(const View1<T>& x, const View1<T>& grad)>;

/// A parameter vector spread over ranks (multi-domain models): this rank holds `ids.size()` segments of
/// a global vector of `total` segments, segment k at [offsets[k], offsets[k + 1]) of the local vector
/// and global index ids[k]. The optimisers' reductions are then taken per segment in a fixed order and
/// combined in global segment order after one allreduce, so they give the same bits on any rank
/// count. Inactive (total = 0): every rank holds the whole vector (data-parallel models).
struct Segments {
  std::vector<std::size_t> offsets;
  std::vector<int> ids;
  int total = 0;
  /// Collective in-place sum over the ranks of n doubles.
  std::function<void(double*, std::size_t)> allreduce_sum;
  bool active() const { return total > 0; }
};

}  // namespace npde::optim
