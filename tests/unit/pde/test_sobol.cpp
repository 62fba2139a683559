// SPDX-License-Identifier: BSD-3-Clause
// Tests of the Sobol' generator: known first points, net properties of plain and shifted sets.
#include "npde/pde/sampler.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace {

using npde::pde::detail::sobol_bits;
using npde::pde::detail::sobol_max_dim;

std::vector<double> sobol_point(std::uint64_t index, int dim) {
  std::vector<std::uint64_t> bits(dim);
  npde::pde::detail::sobol_point_bits(index, dim, bits.data());
  std::vector<double> x(dim);
  for (int d = 0; d < dim; ++d) x[d] = std::ldexp(static_cast<double>(bits[d]), -sobol_bits);
  return x;
}

TEST(PdeSobol, FirstPointsMatchPublishedSequence) {
  // Unshifted sequence after the origin (Joe & Kuo new-joe-kuo-6.21201, Gray-code order).
  const double expected[][3] = {{0.5, 0.5, 0.5},      {0.75, 0.25, 0.25},    {0.25, 0.75, 0.75},
                                {0.375, 0.375, 0.625}, {0.875, 0.875, 0.125}, {0.625, 0.125, 0.875},
                                {0.125, 0.625, 0.375}};
  const std::vector<double> origin = sobol_point(0, sobol_max_dim);
  for (double c : origin) EXPECT_EQ(c, 0.0);
  for (int i = 0; i < 7; ++i) {
    const std::vector<double> x = sobol_point(static_cast<std::uint64_t>(i) + 1, 3);
    for (int d = 0; d < 3; ++d) EXPECT_EQ(x[d], expected[i][d]) << "point " << i + 1 << " dim " << d;
  }
  // Every dimension starts with 1/2: all m_1 = 1.
  for (double c : sobol_point(1, sobol_max_dim)) EXPECT_EQ(c, 0.5);
}

TEST(PdeSobol, EveryDimensionStratifiesDyadicIntervals) {
  // Each one-dimensional projection of the first 2^k points puts one point in every interval of
  // length 2^-k; this holds only if the direction integers of each dimension are valid (m_j odd).
  for (int k = 1; k <= 10; ++k) {
    const std::uint64_t n = std::uint64_t{1} << k;
    std::vector<std::vector<int>> hits(sobol_max_dim, std::vector<int>(n, 0));
    std::vector<std::uint64_t> bits(sobol_max_dim);
    for (std::uint64_t i = 0; i < n; ++i) {
      npde::pde::detail::sobol_point_bits(i, sobol_max_dim, bits.data());
      for (int d = 0; d < sobol_max_dim; ++d) ++hits[d][bits[d] >> (sobol_bits - k)];
    }
    for (int d = 0; d < sobol_max_dim; ++d) {
      for (std::uint64_t s = 0; s < n; ++s) ASSERT_EQ(hits[d][s], 1) << "k " << k << " dim " << d << " cell " << s;
    }
  }
}

TEST(PdeSobol, FirstTwoDimensionsFormZeroNets) {
  // Dimensions 1 and 2 form a (0, m, 2)-net: every elementary box 2^-a x 2^-(m-a) holds one point.
  const int m = 8;
  const std::uint64_t n = std::uint64_t{1} << m;
  std::vector<std::uint64_t> bits(2);
  for (int a = 0; a <= m; ++a) {
    std::vector<int> hits(n, 0);
    for (std::uint64_t i = 0; i < n; ++i) {
      npde::pde::detail::sobol_point_bits(i, 2, bits.data());
      const std::uint64_t cx = a == 0 ? 0 : bits[0] >> (sobol_bits - a);
      const std::uint64_t cy = a == m ? 0 : bits[1] >> (sobol_bits - (m - a));
      ++hits[(cx << (m - a)) | cy];
    }
    for (std::uint64_t c = 0; c < n; ++c) ASSERT_EQ(hits[c], 1) << "a = " << a << ", cell " << c;
  }
}

TEST(PdeSobol, ShiftedSetsKeepStratificationAndAvoidOrigin) {
  // A random digital shift maps dyadic intervals onto dyadic intervals, so the sampler's sets of
  // 2^k points stay stratified per axis; different seeds and rounds move the points.
  for (int k = 0; k <= 9; ++k) {
    const std::size_t n = std::size_t{1} << k;
    for (std::uint64_t round = 0; round < 3; ++round) {
      const std::vector<double> u =
          npde::pde::detail::sample_unit_cube(npde::pde::SamplerKind::Sobol, n, 3, 42, 2, round, 0);
      for (int d = 0; d < 3; ++d) {
        std::vector<int> hits(n, 0);
        for (std::size_t i = 0; i < n; ++i) {
          const double c = u[i * 3 + d];
          ASSERT_GT(c, 0.0);
          ASSERT_LT(c, 1.0);
          ++hits[static_cast<std::size_t>(c * static_cast<double>(n))];
        }
        for (std::size_t s = 0; s < n; ++s) ASSERT_EQ(hits[s], 1) << "k " << k << " round " << round << " dim " << d;
      }
    }
  }
  const auto a = npde::pde::detail::sample_unit_cube(npde::pde::SamplerKind::Sobol, 16, 2, 1, 2, 0, 0);
  const auto b = npde::pde::detail::sample_unit_cube(npde::pde::SamplerKind::Sobol, 16, 2, 2, 2, 0, 0);
  const auto c = npde::pde::detail::sample_unit_cube(npde::pde::SamplerKind::Sobol, 16, 2, 1, 2, 1, 0);
  EXPECT_NE(a, b);
  EXPECT_NE(a, c);
}

TEST(PdeSobol, TablePolynomialsAreDistinctAndPrimitive) {
  // Sobol' dimensions need distinct primitive polynomials; a typo in the table would break this.
  std::vector<unsigned> seen;
  for (int axis = 1; axis < sobol_max_dim; ++axis) {
    const auto p = npde::pde::detail::sobol_polynomial(axis);
    ASSERT_GE(p.degree, 1);
    ASSERT_LE(p.degree, 16);
    ASSERT_LT(p.inner, 1u << (p.degree - 1));  // a has degree-1 bits
    // Full bit pattern x^s + a_1 x^(s-1) + ... + 1: top bit, inner bits shifted by one, constant 1.
    const unsigned full = (1u << p.degree) | (p.inner << 1) | 1u;
    EXPECT_EQ(std::count(seen.begin(), seen.end(), full), 0) << "axis " << axis;
    seen.push_back(full);
    // x is a generator of GF(2^s)* iff its multiplicative order modulo p is exactly 2^s - 1.
    const unsigned period = (1u << p.degree) - 1;
    unsigned r = 1;
    unsigned order = 0;
    do {
      r <<= 1;
      if (r & (1u << p.degree)) r ^= full;
      ++order;
    } while (r != 1 && order <= period);
    EXPECT_EQ(order, period) << "axis " << axis << " degree " << p.degree << " inner " << p.inner;
  }
}

TEST(PdeSobol, SamplerSkipsTheOriginBlock) {
  EXPECT_EQ(npde::pde::detail::sobol_first_index(0), 1u);
  EXPECT_EQ(npde::pde::detail::sobol_first_index(1), 1u);
  EXPECT_EQ(npde::pde::detail::sobol_first_index(5), 8u);
  EXPECT_EQ(npde::pde::detail::sobol_first_index(8), 8u);
  EXPECT_EQ(npde::pde::detail::sobol_first_index(9), 16u);
}

}  // namespace
