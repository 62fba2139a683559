// SPDX-License-Identifier: BSD-3-Clause
// The objective callback type shared by npde's optimisers.
#pragma once

#include <npde/core/types.hpp>

#include <functional>

namespace npde::optim {

/// Evaluates the loss and its gradient at a point.
/// [in] x: parameters, shape (n), device. [out] grad: d loss / d x, shape (n), device, fully overwritten.
/// Returns the loss. May be collective (data-parallel training allreduces inside it), so an
/// optimiser must call it the same number of times with the same x on every rank; the optimisers
/// here only branch on values the callback returned, which are identical on all ranks.
template <class T>
using Objective = std::function<T(const View1<T>& x, const View1<T>& grad)>;

}  // namespace npde::optim
