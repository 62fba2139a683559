// SPDX-License-Identifier: BSD-3-Clause
// Portable math functions for host and device code across Kokkos 3.4 and Kokkos 4.
#pragma once

#include <Kokkos_Core.hpp>

namespace npde::math {

// Kokkos 3.4 keeps its device-callable math in Kokkos::Experimental; Kokkos >= 3.7 in Kokkos.
#if KOKKOS_VERSION >= 30700
using Kokkos::cos;
using Kokkos::erf;
using Kokkos::exp;
using Kokkos::fabs;
using Kokkos::log;
using Kokkos::log1p;
using Kokkos::pow;
using Kokkos::sin;
using Kokkos::sqrt;
using Kokkos::tanh;
#else
using Kokkos::Experimental::cos;
using Kokkos::Experimental::erf;
using Kokkos::Experimental::exp;
using Kokkos::Experimental::fabs;
using Kokkos::Experimental::log;
using Kokkos::Experimental::log1p;
using Kokkos::Experimental::pow;
using Kokkos::Experimental::sin;
using Kokkos::Experimental::sqrt;
using Kokkos::Experimental::tanh;
#endif

/// pi in the requested precision.
template <class T>
inline constexpr T pi = T(3.14159265358979323846264338327950288);

}  // namespace npde::math
