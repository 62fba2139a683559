// SPDX-License-Identifier: BSD-3-Clause
// Sobol' sequence with Joe & Kuo (2008) direction numbers, Gray-code order, random digital shift.
#include "npde/core/error.hpp"
#include "npde/core/rng.hpp"
#include "npde/pde/sampler.hpp"
#include "pde/sobol_impl.hpp"

#include <array>

namespace npde::pde::detail {

namespace {

/// One row of the published table: degree s of the primitive polynomial, its inner coefficients a,
/// and the initial direction integers m_1..m_s.
struct SobolRow {
  int s;
  unsigned a;
  unsigned m[7];
};

// S. Joe and F. Y. Kuo, "Constructing Sobol sequences with better two-dimensional projections",
// SIAM J. Sci. Comput. 30 (2008) 2635-2654; file new-joe-kuo-6.21201, dimensions 2..32 (dimension 1 is
// the van der Corput sequence, all m_i = 1).
constexpr SobolRow k_joe_kuo[sobol_max_dim - 1] = {
    {1, 0, {1}},
    {2, 1, {1, 3}},
    {3, 1, {1, 3, 1}},
    {3, 2, {1, 1, 1}},
    {4, 1, {1, 1, 3, 3}},
    {4, 4, {1, 3, 5, 13}},
    {5, 2, {1, 1, 5, 5, 17}},
    {5, 4, {1, 1, 5, 5, 5}},
    {5, 7, {1, 1, 7, 11, 19}},
    {5, 11, {1, 1, 5, 1, 1}},
    {5, 13, {1, 1, 1, 3, 11}},
    {5, 14, {1, 3, 5, 5, 31}},
    {6, 1, {1, 3, 3, 9, 7, 49}},
    {6, 13, {1, 1, 1, 15, 21, 21}},
    {6, 16, {1, 3, 1, 13, 27, 49}},
    {6, 19, {1, 1, 1, 15, 7, 5}},
    {6, 22, {1, 3, 1, 15, 13, 25}},
    {6, 25, {1, 1, 5, 5, 19, 61}},
    {7, 1, {1, 3, 7, 11, 23, 15, 103}},
    {7, 4, {1, 3, 7, 13, 13, 15, 69}},
    {7, 7, {1, 1, 3, 13, 7, 35, 63}},
    {7, 8, {1, 3, 5, 9, 1, 25, 53}},
    {7, 14, {1, 3, 1, 13, 9, 35, 107}},
    {7, 19, {1, 3, 1, 5, 27, 61, 31}},
    {7, 21, {1, 1, 5, 11, 19, 41, 61}},
    {7, 28, {1, 3, 5, 3, 3, 13, 69}},
    {7, 31, {1, 1, 7, 13, 1, 19, 1}},
    {7, 32, {1, 3, 7, 5, 13, 19, 59}},
    {7, 37, {1, 1, 3, 9, 25, 29, 41}},
    {7, 41, {1, 3, 5, 13, 23, 1, 55}},
    {7, 42, {1, 3, 7, 3, 13, 59, 17}},
};

using DirectionTable = std::array<std::array<std::uint64_t, sobol_bits>, sobol_max_dim>;

/// Direction integers v[d][j] = m_{j+1} * 2^(52-j-1), extended past s by the Bratley-Fox recurrence.
DirectionTable build_directions() {
  DirectionTable v{};
  for (int j = 0; j < sobol_bits; ++j) v[0][j] = std::uint64_t{1} << (sobol_bits - 1 - j);
  for (int d = 1; d < sobol_max_dim; ++d) {
    const SobolRow& row = k_joe_kuo[d - 1];
    const int s = row.s;
    for (int j = 0; j < s; ++j) v[d][j] = std::uint64_t{row.m[j]} << (sobol_bits - 1 - j);
    for (int j = s; j < sobol_bits; ++j) {
      std::uint64_t x = v[d][j - s] ^ (v[d][j - s] >> s);
      for (int k = 1; k < s; ++k) {
        if ((row.a >> (s - 1 - k)) & 1u) x ^= v[d][j - k];
      }
      v[d][j] = x;
    }
  }
  return v;
}

const DirectionTable& directions() {
  static const DirectionTable table = build_directions();  // thread-safe one-time initialisation
  return table;
}

int count_trailing_zeros(std::uint64_t x) {
  int c = 0;
  while ((x & 1u) == 0) {
    x >>= 1;
    ++c;
  }
  return c;
}

}  // namespace

void sobol_point_bits(std::uint64_t index, int dim, std::uint64_t* out) {
  NPDE_REQUIRE(dim >= 1 && dim <= sobol_max_dim, "dim = " << dim << " (1.." << sobol_max_dim << ")");
  NPDE_REQUIRE(index < (std::uint64_t{1} << sobol_bits), "index = " << index);
  const DirectionTable& v = directions();
  const std::uint64_t gray = index ^ (index >> 1);
  for (int d = 0; d < dim; ++d) {
    std::uint64_t x = 0;
    for (int j = 0; j < sobol_bits; ++j) {
      if ((gray >> j) & 1u) x ^= v[d][j];
    }
    out[d] = x;
  }
}

SobolPolynomial sobol_polynomial(int axis) {
  NPDE_REQUIRE(axis >= 1 && axis < sobol_max_dim, "axis = " << axis);
  return {k_joe_kuo[axis - 1].s, k_joe_kuo[axis - 1].a};
}

std::uint64_t sobol_first_index(std::size_t n) {
  std::uint64_t p = 1;
  while (p < n) p <<= 1;
  return p;
}

void sample_sobol(std::size_t n, int dim, std::uint64_t seed, std::uint64_t shift_stream, double* out) {
  if (n == 0 || dim == 0) return;
  NPDE_REQUIRE(dim <= sobol_max_dim, "dim = " << dim << " (at most " << sobol_max_dim << ")");
  const std::uint64_t first = sobol_first_index(n);
  NPDE_REQUIRE(first + n <= (std::uint64_t{1} << sobol_bits), "n = " << n << " exceeds the sequence length");
  const DirectionTable& v = directions();
  const std::uint64_t mask = (std::uint64_t{1} << sobol_bits) - 1;
  std::array<std::uint64_t, sobol_max_dim> shift{};
  for (int d = 0; d < dim; ++d) shift[d] = rng::bits(seed, shift_stream, static_cast<std::uint64_t>(d)) & mask;

  std::array<std::uint64_t, sobol_max_dim> x{};
  sobol_point_bits(first, dim, x.data());
  // The centre of the 2^-52 cell keeps coordinates strictly inside (0, 1) without touching the net.
  constexpr double scale = 0x1.0p-52;
  for (std::size_t i = 0;; ++i) {
    for (int d = 0; d < dim; ++d) out[i * dim + d] = (static_cast<double>(x[d] ^ shift[d]) + 0.5) * scale;
    if (i + 1 == n) break;
    // Gray-code step: points i and i+1 differ by exactly one direction integer.
    const int c = count_trailing_zeros(first + i + 1);
    for (int d = 0; d < dim; ++d) x[d] ^= v[d][c];
  }
}

}  // namespace npde::pde::detail
