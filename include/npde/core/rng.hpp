// SPDX-License-Identifier: BSD-3-Clause
// Counter-based random numbers: a value depends only on (seed, stream, counter), so results
// never depend on rank count, thread count or call order.
#pragma once

#include <Kokkos_Core.hpp>

#include "npde/core/math.hpp"
#include <cstdint>

namespace npde::rng {

/// SplitMix64 finaliser: a bijective 64-bit mix with good avalanche (Steele et al. 2014).
KOKKOS_INLINE_FUNCTION std::uint64_t mix64(std::uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/// 64 random bits for (seed, stream, counter). Two rounds of mixing decorrelate nearby keys.
KOKKOS_INLINE_FUNCTION std::uint64_t bits(std::uint64_t seed, std::uint64_t stream, std::uint64_t counter) {
  return mix64(mix64(seed ^ mix64(stream + 0x632BE59BD9B4E019ull)) + counter);
}

/// Uniform double in [0, 1) with 53 random bits.
KOKKOS_INLINE_FUNCTION double uniform(std::uint64_t seed, std::uint64_t stream, std::uint64_t counter) {
  return static_cast<double>(bits(seed, stream, counter) >> 11) * 0x1.0p-53;
}

/// Standard normal by Box-Muller from two counters (2*counter, 2*counter+1).
KOKKOS_INLINE_FUNCTION double normal(std::uint64_t seed, std::uint64_t stream, std::uint64_t counter) {
  const double u1 = 1.0 - uniform(seed, stream, 2 * counter);  // (0, 1]
  const double u2 = uniform(seed, stream, 2 * counter + 1);
  return math::sqrt(-2.0 * math::log(u1)) * math::cos(6.283185307179586 * u2);
}

/// Named streams so that different consumers of one seed never share numbers.
enum Stream : std::uint64_t {
  StreamInit = 1,       ///< network initialisation
  StreamInterior = 2,   ///< interior collocation points
  StreamBoundary = 3,   ///< boundary points
  StreamShuffle = 4,    ///< sampler permutations / scrambles
  StreamObservations = 5,  ///< observation points and noise of inverse problems
};

}  // namespace npde::rng
