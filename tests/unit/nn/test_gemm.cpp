// SPDX-License-Identifier: BSD-3-Clause
// nn::gemm on blocks of larger arrays (explicit leading dimensions) against a direct triple loop, for
// every transpose combination, and the contiguous form against the same; nn::gemv likewise.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "npde/core/error.hpp"
#include "npde/core/rng.hpp"
#include "npde/nn/gemm.hpp"

namespace {

/// Element (i, j) of op(X) for X stored column-major with leading dimension ld.
double at(const std::vector<double>& x, int ld, bool trans, int i, int j) {
  return trans ? x[std::size_t(i) * ld + j] : x[std::size_t(j) * ld + i];
}

TEST(Gemm, LeadingDimensionsSelectABlock) {
  const int m = 5, n = 4, k = 3, pad = 3;
  for (const bool ta : {false, true})
    for (const bool tb : {false, true}) {
      const int lda = (ta ? k : m) + pad, ldb = (tb ? n : k) + pad, ldc = m + pad;
      std::vector<double> a(std::size_t(lda) * (ta ? m : k)), b(std::size_t(ldb) * (tb ? k : n)),
          c(std::size_t(ldc) * n);
      for (std::size_t i = 0; i < a.size(); ++i) a[i] = npde::rng::normal(1, 1, i);
      for (std::size_t i = 0; i < b.size(); ++i) b[i] = npde::rng::normal(1, 2, i);
      for (std::size_t i = 0; i < c.size(); ++i) c[i] = npde::rng::normal(1, 3, i);
      const std::vector<double> c0 = c;
      npde::nn::gemm<double>(ta, tb, m, n, k, 2.0, a.data(), lda, b.data(), ldb, 0.5, c.data(), ldc);
      for (int j = 0; j < n; ++j)
        for (int i = 0; i < ldc; ++i) {
          const std::size_t e = std::size_t(j) * ldc + i;
          if (i >= m) {  // the padding rows between columns are not touched
            EXPECT_EQ(c[e], c0[e]);
            continue;
          }
          double ref = 0.5 * c0[e];
          for (int l = 0; l < k; ++l) ref += 2.0 * at(a, lda, ta, i, l) * at(b, ldb, tb, l, j);
          EXPECT_NEAR(c[e], ref, 1e-13) << "ta " << ta << " tb " << tb << " (" << i << ", " << j << ")";
        }
      // the contiguous form is the same product with the rows as leading dimensions
      std::vector<double> ac(std::size_t(ta ? k : m) * (ta ? m : k)), bc(std::size_t(tb ? n : k) * (tb ? k : n)),
          cc(std::size_t(m) * n, 0.0);
      for (int j = 0; j < (ta ? m : k); ++j)
        for (int i = 0; i < (ta ? k : m); ++i) ac[std::size_t(j) * (ta ? k : m) + i] = a[std::size_t(j) * lda + i];
      for (int j = 0; j < (tb ? k : n); ++j)
        for (int i = 0; i < (tb ? n : k); ++i) bc[std::size_t(j) * (tb ? n : k) + i] = b[std::size_t(j) * ldb + i];
      npde::nn::gemm<double>(ta, tb, m, n, k, 1.0, ac.data(), bc.data(), 0.0, cc.data());
      for (int j = 0; j < n; ++j)
        for (int i = 0; i < m; ++i) {
          double ref = 0;
          for (int l = 0; l < k; ++l) ref += at(a, lda, ta, i, l) * at(b, ldb, tb, l, j);
          EXPECT_NEAR(cc[std::size_t(j) * m + i], ref, 1e-13);
        }
    }
}

TEST(Gemv, BothOrientationsOnABlockAgainstTheLoop) {
  const int m = 7, n = 5, lda = m + 4;
  std::vector<double> a(std::size_t(lda) * n);
  for (std::size_t i = 0; i < a.size(); ++i) a[i] = npde::rng::normal(2, 1, i);
  for (const bool trans : {false, true}) {
    const int nx = trans ? m : n, ny = trans ? n : m;
    std::vector<double> x(static_cast<std::size_t>(nx)), y(static_cast<std::size_t>(ny));
    for (int i = 0; i < nx; ++i) x[std::size_t(i)] = npde::rng::normal(2, 2, std::size_t(i));
    for (int i = 0; i < ny; ++i) y[std::size_t(i)] = npde::rng::normal(2, 3, std::size_t(i));
    const std::vector<double> y0 = y;
    npde::nn::gemv<double>(trans, m, n, 2.0, a.data(), lda, x.data(), 0.5, y.data());
    for (int i = 0; i < ny; ++i) {
      double ref = 0.5 * y0[std::size_t(i)];
      for (int l = 0; l < nx; ++l) ref += 2.0 * (trans ? at(a, lda, false, l, i) : at(a, lda, false, i, l)) * x[std::size_t(l)];
      EXPECT_NEAR(y[std::size_t(i)], ref, 1e-13) << "trans " << trans << " row " << i;
    }
  }
  // the per-channel sums of the reverse passes: op = A^T against ones, accumulated (beta = 1)
  std::vector<double> ones(static_cast<std::size_t>(m), 1.0), sum(static_cast<std::size_t>(n), 1.0);
  npde::nn::gemv<double>(true, m, n, 1.0, a.data(), lda, ones.data(), 1.0, sum.data());
  for (int j = 0; j < n; ++j) {
    double ref = 1.0;
    for (int i = 0; i < m; ++i) ref += a[std::size_t(j) * lda + i];
    EXPECT_NEAR(sum[std::size_t(j)], ref, 1e-13);
  }
  EXPECT_THROW(npde::nn::gemv<double>(false, m, n, 1.0, a.data(), m - 1, ones.data(), 0.0, sum.data()), npde::Error);
}

TEST(Gemm, RejectsLeadingDimensionsBelowTheRows) {
  std::vector<double> a(12, 1.0), b(12, 1.0), c(12, 0.0);
  EXPECT_THROW(npde::nn::gemm<double>(false, false, 4, 3, 3, 1.0, a.data(), 3, b.data(), 3, 0.0, c.data(), 4),
               npde::Error);
}

}  // namespace
