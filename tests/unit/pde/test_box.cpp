// SPDX-License-Identifier: BSD-3-Clause
// Tests of box geometry (faces, names, measures) and tensor grids.
#include "npde/core/error.hpp"
#include "npde/pde/box.hpp"
#include "npde/pde/grid.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

using npde::pde::Box;

Box make_box(int dim, std::initializer_list<double> lo, std::initializer_list<double> hi) {
  Box b;
  b.dim = dim;
  int a = 0;
  for (double v : lo) b.lower[a++] = v;
  a = 0;
  for (double v : hi) b.upper[a++] = v;
  return b;
}

TEST(PdeBox, ExtentVolumeAndFaceMeasures) {
  const Box b = make_box(3, {-1, 0, 2}, {1, 3, 2.5});
  EXPECT_DOUBLE_EQ(b.extent(0), 2.0);
  EXPECT_DOUBLE_EQ(b.extent(1), 3.0);
  EXPECT_DOUBLE_EQ(b.extent(2), 0.5);
  EXPECT_DOUBLE_EQ(b.volume(), 3.0);
  EXPECT_EQ(npde::pde::n_faces(b), 6);
  // Each face measure times its normal extent is the volume.
  for (int f = 0; f < 6; ++f) {
    EXPECT_DOUBLE_EQ(npde::pde::face_measure(b, f) * b.extent(f / 2), b.volume()) << f;
  }
  EXPECT_DOUBLE_EQ(npde::pde::face_coordinate(b, 3), 3.0);
  EXPECT_DOUBLE_EQ(npde::pde::face_coordinate(b, 4), 2.0);
  EXPECT_THROW(b.extent(3), npde::Error);
}

TEST(PdeBox, OneDimensionalFacesArePoints) {
  const Box b = make_box(1, {0.5}, {4});
  EXPECT_EQ(npde::pde::n_faces(b), 2);
  EXPECT_DOUBLE_EQ(npde::pde::face_measure(b, 0), 1.0);
  EXPECT_DOUBLE_EQ(npde::pde::face_measure(b, 1), 1.0);
  EXPECT_THROW(npde::pde::face_measure(b, 2), npde::Error);
}

TEST(PdeBox, FaceNamesRoundTrip) {
  for (int dim = 1; dim <= 3; ++dim) {
    for (int f = 0; f < 2 * dim; ++f) {
      EXPECT_EQ(npde::pde::face_from_name(npde::pde::face_name(f), dim, "k"), f);
    }
  }
  EXPECT_EQ(npde::pde::face_name(0), "x-");
  EXPECT_EQ(npde::pde::face_name(5), "z+");
}

TEST(PdeBox, BadFaceNameThrowsInputErrorNamingKey) {
  try {
    npde::pde::face_from_name("z+", 2, "pinn.bc.faces");
    FAIL() << "expected InputError";
  } catch (const npde::InputError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("pinn.bc.faces"), std::string::npos) << msg;
    EXPECT_NE(msg.find("y+"), std::string::npos) << msg;   // valid names for 2D are listed
    EXPECT_EQ(msg.find("z-"), std::string::npos) << msg;   // ... and only those
  }
  EXPECT_THROW(npde::pde::face_from_name("top", 3, "k"), npde::InputError);
}

TEST(PdeBox, OnFaceWithinTheExtentTolerance) {
  const Box b = make_box(2, {-1, 0}, {1, 4});
  const double corner[2] = {1, 4}, inside[2] = {0.5, 4 - 1e-9}, near[2] = {-1 + 1e-12, 2};
  EXPECT_TRUE(npde::pde::on_face(b, 1, corner));
  EXPECT_TRUE(npde::pde::on_face(b, 3, corner));
  EXPECT_FALSE(npde::pde::on_face(b, 0, corner));
  EXPECT_FALSE(npde::pde::on_face(b, 3, inside));  // 1e-9 off, above 1e-12 of the extent 4
  EXPECT_TRUE(npde::pde::on_face(b, 0, near));     // 1e-12 off, within 1e-12 of the extent 2
}

TEST(PdeBox, CheckBoxRejectsDegenerateBoxes) {
  EXPECT_NO_THROW(npde::pde::check_box(make_box(2, {0, 0}, {1, 1})));
  EXPECT_THROW(npde::pde::check_box(make_box(2, {0, 1}, {1, 1})), npde::Error);
  EXPECT_THROW(npde::pde::check_box(make_box(4, {0}, {1})), npde::Error);
}

TEST(PdeGrid, AxisEndpointsExactAndUniformSpacing) {
  const Box b = make_box(2, {-0.3, 1.0 / 3.0}, {0.7, 2.0});
  const std::vector<int> n = {11, 7};
  for (int a = 0; a < 2; ++a) {
    const std::vector<double> x = npde::pde::grid_axis(b, n, a);
    ASSERT_EQ(static_cast<int>(x.size()), n[a]);
    EXPECT_EQ(x.front(), b.lower[a]);
    EXPECT_EQ(x.back(), b.upper[a]);
    const double h = b.extent(a) / (n[a] - 1);
    for (int i = 1; i < n[a]; ++i) EXPECT_NEAR(x[i] - x[i - 1], h, 1e-14);
  }
}

TEST(PdeGrid, PointsAreOrderedXFastest) {
  const Box b = make_box(3, {0, -1, 2}, {1, 1, 3});
  const std::vector<int> n = {3, 4, 2};
  const std::vector<double> p = npde::pde::grid_points(b, n);
  ASSERT_EQ(npde::pde::grid_size(b, n), 24u);
  ASSERT_EQ(p.size(), 24u * 3);
  std::vector<std::vector<double>> axes;
  for (int a = 0; a < 3; ++a) axes.push_back(npde::pde::grid_axis(b, n, a));
  for (int k = 0; k < n[2]; ++k) {
    for (int j = 0; j < n[1]; ++j) {
      for (int i = 0; i < n[0]; ++i) {
        const std::size_t idx = i + n[0] * (j + n[1] * k);
        EXPECT_EQ(p[idx * 3 + 0], axes[0][i]);
        EXPECT_EQ(p[idx * 3 + 1], axes[1][j]);
        EXPECT_EQ(p[idx * 3 + 2], axes[2][k]);
      }
    }
  }
  // First and last points are the box corners.
  EXPECT_EQ(p[0], 0.0);
  EXPECT_EQ(p[1], -1.0);
  EXPECT_EQ(p[2], 2.0);
  EXPECT_EQ(p[23 * 3 + 0], 1.0);
  EXPECT_EQ(p[23 * 3 + 1], 1.0);
  EXPECT_EQ(p[23 * 3 + 2], 3.0);
}

TEST(PdeGrid, RejectsBadSizes) {
  const Box b = make_box(2, {0, 0}, {1, 1});
  EXPECT_THROW(npde::pde::grid_points(b, {4}), npde::Error);
  EXPECT_THROW(npde::pde::grid_points(b, {4, 1}), npde::Error);
  EXPECT_THROW(npde::pde::grid_axis(b, {4, 4}, 2), npde::Error);
}

}  // namespace
