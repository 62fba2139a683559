// SPDX-License-Identifier: BSD-3-Clause
// Multigrid patching: the geometry, every level's window against its definition, and the round trip
// patches -> stitched field.
#include <gtest/gtest.h>

#include <vector>

#include "npde/core/error.hpp"
#include "npde/fno/patching.hpp"

namespace {

using npde::fno::Patching;

TEST(Patching, GeometryAndBadGrids) {
  const Patching p(2, 0.25, 16, 8);
  EXPECT_EQ(p.per_field(), 16);
  EXPECT_EQ(p.p1, 4);
  EXPECT_EQ(p.p2, 2);
  EXPECT_EQ(p.q1, 1);
  EXPECT_EQ(p.q2, 1);  // round(0.5)
  EXPECT_EQ(p.m1(), 6);
  EXPECT_EQ(p.in_channels(3), 9);
  EXPECT_THROW(Patching(2, 0.25, 18, 8), npde::InputError);  // 4 does not divide 18
  EXPECT_THROW(Patching(3, 0.25, 16, 12), npde::InputError);
}

TEST(Patching, LevelsAreWindowsOfTheSubsampledField) {
  const int n1 = 16, n2 = 8, C = 2;
  const Patching p(2, 0.25, n1, n2);
  std::vector<double> f(std::size_t(C) * n1 * n2);
  for (std::size_t i = 0; i < f.size(); ++i) f[i] = double(i) * 0.37 - 5;
  std::vector<double> out(std::size_t(p.in_channels(C)) * p.patch_points());
  for (int patch = 0; patch < p.per_field(); ++patch) {
    p.extract(f.data(), C, patch, out.data());
    const int a = patch / 4, b = patch % 4;
    for (int l = 0; l <= 2; ++l)
      for (int c = 0; c < C; ++c)
        for (int i = 0; i < p.m1(); ++i)
          for (int j = 0; j < p.m2(); ++j) {
            const int s = 1 << l, g1 = n1 / s, g2 = n2 / s;
            // the window of the level-l grid centred on the patch centre
            const int r0 = (a * p.p1 + p.p1 / 2) / s - p.m1() / 2, c0 = (b * p.p2 + p.p2 / 2) / s - p.m2() / 2;
            const int gi = ((r0 + i) % g1 + g1) % g1, gj = ((c0 + j) % g2 + g2) % g2;
            const double want = f[(std::size_t(c) * n1 + std::size_t(gi * s)) * n2 + std::size_t(gj * s)];
            ASSERT_EQ(out[(std::size_t(l * C + c) * p.m1() + i) * p.m2() + j], want)
                << "patch " << patch << " level " << l << " channel " << c << " at " << i << "," << j;
          }
    // level 0 is the patch padded by q around it
    for (int i = 0; i < p.p1; ++i)
      for (int j = 0; j < p.p2; ++j)
        EXPECT_EQ(out[std::size_t(p.q1 + i) * p.m2() + std::size_t(p.q2 + j)],
                  f[std::size_t(a * p.p1 + i) * n2 + std::size_t(b * p.p2 + j)]);
  }
}

TEST(Patching, StitchingTheLevelZeroCropsGivesTheFieldBack) {
  for (const auto& [levels, pad] : {std::pair{1, 0.0}, std::pair{1, 0.25}, std::pair{2, 0.5}}) {
    const int n1 = 12, n2 = 20, C = 3;
    const Patching p(levels, pad, n1, n2);
    std::vector<double> f(std::size_t(C) * n1 * n2), g(f.size(), -1.0);
    for (std::size_t i = 0; i < f.size(); ++i) f[i] = double((i * 7919) % 1000);
    std::vector<double> out(std::size_t(p.in_channels(C)) * p.patch_points());
    for (int patch = 0; patch < p.per_field(); ++patch) {
      p.extract(f.data(), C, patch, out.data());
      p.stitch(out.data(), C, patch, g.data());  // the first C channels are level 0
    }
    EXPECT_EQ(f, g) << levels << " levels, padding " << pad;
  }
}

}  // namespace
