// SPDX-License-Identifier: BSD-3-Clause
// BoxPartition: the cores tile the box, owners are contiguous blocks, interfaces pair both sides'
// faces, locate agrees with the cores, the windows form a partition of unity; bad counts are refused.
#include <gtest/gtest.h>

#include <cmath>

#include "npde/core/error.hpp"
#include "npde/core/rng.hpp"
#include "npde/decomp/partition.hpp"

namespace {

using npde::decomp::BoxPartition;

TEST(BoxPartition, CoresTileTheBoxAndOwnersAreBlocks) {
  const BoxPartition p({0, -1}, {3, 1}, {3, 2}, 0.2, 4);
  ASSERT_EQ(p.size(), 6);
  double area = 0;
  for (int s = 0; s < p.size(); ++s) {
    const auto& sd = p[s];
    EXPECT_EQ(p.index_of(sd.cell), s);
    area += (sd.core_upper[0] - sd.core_lower[0]) * (sd.core_upper[1] - sd.core_lower[1]);
    for (int a = 0; a < 2; ++a) {  // the extent holds the core, widened by 0.1 width inside the box only
      EXPECT_LE(sd.lower[a], sd.core_lower[a]);
      EXPECT_GE(sd.upper[a], sd.core_upper[a]);
      const double w = sd.core_upper[a] - sd.core_lower[a];
      EXPECT_NEAR(sd.core_lower[a] - sd.lower[a], sd.cell[a] == 0 ? 0.0 : 0.1 * w, 1e-14);
    }
  }
  EXPECT_NEAR(area, 6.0, 1e-12);
  // 6 subdomains over 4 ranks: 2, 2, 1, 1 in Cartesian order
  const int owners[6] = {0, 0, 1, 1, 2, 3};
  for (int s = 0; s < 6; ++s) EXPECT_EQ(p[s].owner, owners[s]) << s;
  EXPECT_EQ(p.owned(1).begin, 2u);
  EXPECT_EQ(p.owned(1).end, 4u);
}

TEST(BoxPartition, InterfacesPairNeighboursOnTheirSharedFace) {
  const BoxPartition p({0, 0, 0}, {1, 2, 3}, {2, 2, 3}, 0, 3);
  // faces: (2-1) 2 3 + 2 (2-1) 3 + 2 2 (3-1) = 6 + 6 + 8
  ASSERT_EQ(p.interfaces().size(), 20u);
  for (const auto& f : p.interfaces()) {
    const auto &a = p[f.lower], &b = p[f.upper];
    EXPECT_DOUBLE_EQ(a.core_upper[f.axis], f.position);
    EXPECT_DOUBLE_EQ(b.core_lower[f.axis], f.position);
    for (int k = 0; k < 3; ++k)
      if (k != f.axis) {
        EXPECT_DOUBLE_EQ(a.core_lower[k], b.core_lower[k]);
        EXPECT_DOUBLE_EQ(f.face_lower[k], a.core_lower[k]);
        EXPECT_DOUBLE_EQ(f.face_upper[k], a.core_upper[k]);
      }
    EXPECT_EQ(b.cell[f.axis], a.cell[f.axis] + 1);
  }
  EXPECT_EQ(p.neighbours(0), (std::vector<int>{1, 2, 4}));
  for (int r = 0; r < 3; ++r)
    for (int q : p.neighbour_ranks(r)) {
      const auto back = p.neighbour_ranks(q);
      EXPECT_NE(std::find(back.begin(), back.end(), r), back.end()) << r << " <-> " << q;
    }
}

TEST(BoxPartition, LocateAgreesWithTheCores) {
  const BoxPartition p({-1, 0}, {1, 1}, {4, 3}, 0.3, 2);
  for (std::uint64_t i = 0; i < 500; ++i) {
    const double x[2] = {-1 + 2 * npde::rng::uniform(3, 1, i), npde::rng::uniform(3, 2, i)};
    const auto& sd = p[p.locate(x)];
    for (int a = 0; a < 2; ++a) {
      EXPECT_GE(x[a], sd.core_lower[a]);
      EXPECT_LE(x[a], sd.core_upper[a]);
    }
  }
  const double corner[2] = {1, 1}, face[2] = {-0.5, 0.5};
  EXPECT_EQ(p.locate(corner), p.size() - 1);
  EXPECT_EQ(p[p.locate(face)].cell[0], 1);  // a shared face belongs to the upper core
}

/// The windows of p at random points of [0, 2] x [0, 1] (seeded by `seed`): positive on their extents
/// only, summing to 1 at every point; window_jet against central differences of window.
void expect_partition_of_unity(const BoxPartition& p, std::uint64_t seed) {
  for (std::uint64_t i = 0; i < 400; ++i) {
    const double x[2] = {2 * npde::rng::uniform(seed, 1, i), npde::rng::uniform(seed, 2, i)};
    double sum = 0;
    for (const auto& [s, w] : p.unity(x)) {
      EXPECT_GT(w, 0.0);
      for (int a = 0; a < 2; ++a) {
        EXPECT_GE(x[a], p[s].lower[a]);
        EXPECT_LE(x[a], p[s].upper[a]);
      }
      sum += w;
    }
    EXPECT_NEAR(sum, 1.0, 1e-14) << "overlap " << p.overlap();
  }
  for (std::uint64_t i = 0; i < 200; ++i) {
    const double x[2] = {2 * npde::rng::uniform(seed + 2, 1, i), npde::rng::uniform(seed + 2, 2, i)};
    for (int s = 0; s < p.size(); ++s) {
      double w, dw[2], d2w[2];
      p.window_jet(s, x, w, dw, d2w);
      EXPECT_EQ(w, p.window(s, x));
      for (int a = 0; a < 2; ++a) {
        const double h = 1e-5;
        double xp[2] = {x[0], x[1]}, xm[2] = {x[0], x[1]};
        xp[a] += h;
        xm[a] -= h;
        const double wp = p.window(s, xp), wm = p.window(s, xm);
        if ((wp == 0) != (wm == 0)) continue;  // the edge of the extent
        EXPECT_NEAR(dw[a], (wp - wm) / (2 * h), 1e-6) << "s " << s << " axis " << a;
        EXPECT_NEAR(d2w[a], (wp - 2 * w + wm) / (h * h), 2e-3 * std::max(1.0, std::abs(d2w[a])))
            << "s " << s << " axis " << a;
      }
    }
  }
}

TEST(BoxPartition, WindowsArePositiveOnTheirExtentAndSumToOne) {
  for (const double overlap : {0.0, 0.25, 0.6}) {
    const BoxPartition p({0, 0}, {2, 1}, {4, 2}, overlap, 1);
    expect_partition_of_unity(p, 5);
    // outside its extent a window vanishes; the box's own boundary is covered
    const double far[2] = {1.9, 0.9}, edge[2] = {0, 0};
    EXPECT_EQ(p.window(0, far), 0.0);
    EXPECT_GT(p.window(0, edge), 0.0);
  }
}

TEST(BoxPartition, CutsPlaceTheFacesAndTheBandsFollowTheNarrowerCore) {
  // x cut at 0.3, 0.5, 1.6 (widths 0.3, 0.2, 1.1, 0.4); y in equal halves
  const std::vector<double> cuts{0.3, 0.5, 1.6};
  const double overlap = 0.5;
  const BoxPartition p({0, 0}, {2, 1}, {4, 2}, overlap, 3, {cuts, {}});
  const double edges[5] = {0, 0.3, 0.5, 1.6, 2};
  for (int s = 0; s < p.size(); ++s) {
    const auto& sd = p[s];
    const int i = sd.cell[0];
    EXPECT_EQ(sd.core_lower[0], edges[i]);
    EXPECT_EQ(sd.core_upper[0], edges[i + 1]);
    EXPECT_EQ(sd.core_lower[1], 0.5 * sd.cell[1]);
    // each band is overlap x the narrower of the two cores across the face, half on either side
    const auto width = [&](int k) { return edges[k + 1] - edges[k]; };
    const double lo = i == 0 ? 0 : 0.5 * overlap * std::min(width(i - 1), width(i));
    const double hi = i == 3 ? 0 : 0.5 * overlap * std::min(width(i), width(i + 1));
    EXPECT_NEAR(sd.core_lower[0] - sd.lower[0], lo, 1e-15) << s;
    EXPECT_NEAR(sd.upper[0] - sd.core_upper[0], hi, 1e-15) << s;
  }
  for (const auto& f : p.interfaces())
    if (f.axis == 0) {
      EXPECT_EQ(f.position, cuts[std::size_t(p[f.lower].cell[0])]);
    }
  for (std::uint64_t i = 0; i < 500; ++i) {
    const double x[2] = {2 * npde::rng::uniform(11, 1, i), npde::rng::uniform(11, 2, i)};
    const auto& sd = p[p.locate(x)];
    EXPECT_GE(x[0], sd.core_lower[0]);
    EXPECT_LE(x[0], sd.core_upper[0]);
  }
  for (int k = 0; k < 3; ++k) {  // a point on a face belongs to the upper core
    const double x[2] = {cuts[std::size_t(k)], 0.2};
    EXPECT_EQ(p[p.locate(x)].cell[0], k + 1);
  }
  expect_partition_of_unity(p, 13);
  // cuts where the equal split puts its faces give the equal split's subdomains
  const BoxPartition even({0, 0}, {2, 1}, {4, 2}, 0.3, 1), same({0, 0}, {2, 1}, {4, 2}, 0.3, 1, {{0.5, 1.0, 1.5}});
  for (int s = 0; s < even.size(); ++s)
    for (int a = 0; a < 2; ++a) {
      EXPECT_NEAR(even[s].lower[a], same[s].lower[a], 1e-15);
      EXPECT_NEAR(even[s].upper[a], same[s].upper[a], 1e-15);
      EXPECT_NEAR(even[s].core_upper[a], same[s].core_upper[a], 1e-15);
    }
}

TEST(BoxPartition, BadCountsAndOverlap) {
  EXPECT_THROW(BoxPartition({0, 0}, {1, 1}, {2, 0}, 0, 1), npde::InputError);
  EXPECT_THROW(BoxPartition({0, 0}, {1, 1}, {2, 2}, 0, 5), npde::InputError);  // more ranks than subdomains
  EXPECT_THROW(BoxPartition({0, 0}, {1, 1}, {2, 2}, 1.0, 1), npde::InputError);
  EXPECT_THROW(BoxPartition({0, 0}, {1, 1}, {2}, 0, 1), npde::InputError);
  std::string msg;
  try {
    BoxPartition({0}, {1}, {2}, 0, 3);
  } catch (const npde::InputError& e) {
    msg = e.what();
  }
  EXPECT_NE(msg.find("at most 2 ranks"), std::string::npos) << msg;
}

TEST(BoxPartition, BadCuts) {
  const auto cut = [](std::vector<std::vector<double>> c) { BoxPartition({0, 0}, {1, 1}, {3, 2}, 0, 1, std::move(c)); };
  EXPECT_NO_THROW(cut({{0.2, 0.7}, {0.4}}));
  EXPECT_THROW(cut({{0.2}}), npde::InputError);                   // 3 subdomains need 2 cuts
  EXPECT_THROW(cut({{0.7, 0.2}}), npde::InputError);              // decreasing
  EXPECT_THROW(cut({{0.2, 0.2}}), npde::InputError);              // an empty subdomain
  EXPECT_THROW(cut({{0.0, 0.5}}), npde::InputError);              // on the box's face
  EXPECT_THROW(cut({{0.2, 1.5}}), npde::InputError);              // outside
  EXPECT_THROW(cut({{0.2, 0.7}, {0.4, 0.6}}), npde::InputError);  // 2 subdomains along y need 1
  EXPECT_THROW(cut({{0.2, 0.7}, {}, {0.5}}), npde::InputError);   // a third axis
}

}  // namespace
