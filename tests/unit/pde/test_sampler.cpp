// SPDX-License-Identifier: BSD-3-Clause
// Tests of interior and boundary samplers: containment, reproducibility, stratification, coverage.
#include "npde/core/error.hpp"
#include "npde/pde/sampler.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>

namespace {

using npde::pde::Box;
using npde::pde::SamplerKind;

const SamplerKind k_kinds[] = {SamplerKind::Uniform, SamplerKind::LatinHypercube, SamplerKind::Sobol};

Box make_box(int dim, std::initializer_list<double> lo, std::initializer_list<double> hi) {
  Box b;
  b.dim = dim;
  std::copy(lo.begin(), lo.end(), b.lower);
  std::copy(hi.begin(), hi.end(), b.upper);
  return b;
}

TEST(PdeSampler, NamesRoundTripAndBadNameNamesKey) {
  for (SamplerKind k : k_kinds) EXPECT_EQ(npde::pde::sampler_from_name(npde::pde::sampler_name(k), "k"), k);
  try {
    npde::pde::sampler_from_name("halton", "pinn.sampler");
    FAIL() << "expected InputError";
  } catch (const npde::InputError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("pinn.sampler"), std::string::npos) << msg;
    EXPECT_NE(msg.find("halton"), std::string::npos) << msg;
  }
}

TEST(PdeSampler, InteriorPointsInsideAndReproducible) {
  for (int dim = 1; dim <= 3; ++dim) {
    const Box b = make_box(dim, {-1.0, 0.25, 2.0}, {3.0, 0.5, 2.125});
    for (SamplerKind k : k_kinds) {
      const std::size_t n = 333;
      const auto x = npde::pde::sample_interior(b, k, n, 7, 0);
      ASSERT_EQ(x.size(), n * dim);
      for (std::size_t i = 0; i < n; ++i) {
        for (int a = 0; a < dim; ++a) {
          EXPECT_GE(x[i * dim + a], b.lower[a]);
          EXPECT_LT(x[i * dim + a], b.upper[a]);
        }
      }
      EXPECT_EQ(x, npde::pde::sample_interior(b, k, n, 7, 0)) << npde::pde::sampler_name(k);
      EXPECT_NE(x, npde::pde::sample_interior(b, k, n, 8, 0)) << npde::pde::sampler_name(k);
      EXPECT_NE(x, npde::pde::sample_interior(b, k, n, 7, 1)) << npde::pde::sampler_name(k);
    }
  }
  EXPECT_TRUE(npde::pde::sample_interior(make_box(2, {0, 0}, {1, 1}), SamplerKind::Sobol, 0, 1, 0).empty());
}

TEST(PdeSampler, LatinHypercubeHasOnePointPerStratum) {
  const Box unit = make_box(3, {0, 0, 0}, {1, 1, 1});
  for (std::size_t n : {std::size_t{1}, std::size_t{7}, std::size_t{1000}}) {
    for (std::uint64_t round = 0; round < 2; ++round) {
      const auto x = npde::pde::sample_interior(unit, SamplerKind::LatinHypercube, n, 99, round);
      for (int a = 0; a < 3; ++a) {
        std::vector<int> hits(n, 0);
        for (std::size_t i = 0; i < n; ++i) ++hits[static_cast<std::size_t>(x[i * 3 + a] * static_cast<double>(n))];
        for (std::size_t s = 0; s < n; ++s) ASSERT_EQ(hits[s], 1) << "n " << n << " axis " << a << " stratum " << s;
      }
    }
  }
}

TEST(PdeSampler, MeanCloseToCentre) {
  // For uniform points the mean of one coordinate has standard deviation extent / sqrt(12 n); LHS and
  // Sobol' are at least as accurate. Five standard deviations fail by chance with probability 6e-7.
  const Box b = make_box(3, {-1.0, 0.0, 1.0}, {3.0, 2.0, 1.5});
  const std::size_t n = 20000;
  for (SamplerKind k : k_kinds) {
    const auto x = npde::pde::sample_interior(b, k, n, 2024, 0);
    for (int a = 0; a < 3; ++a) {
      double sum = 0.0;
      for (std::size_t i = 0; i < n; ++i) sum += x[i * 3 + a];
      const double centre = 0.5 * (b.lower[a] + b.upper[a]);
      const double sigma = b.extent(a) / std::sqrt(12.0 * n);
      EXPECT_NEAR(sum / n, centre, 5.0 * sigma) << npde::pde::sampler_name(k) << " axis " << a;
    }
  }
}

TEST(PdeSampler, BoundaryAllocationProportionalAndExact) {
  // 2D box [0,2]x[0,1]: x-faces have measure 1, y-faces 2; quotas 16.67, 16.67, 33.33, 33.33.
  const Box b2 = make_box(2, {0, 0}, {2, 1});
  EXPECT_EQ(npde::pde::boundary_allocation(b2, {0, 1, 2, 3}, 100), (std::vector<std::size_t>{17, 17, 33, 33}));
  // 1D: n/2 each, the odd point to the lower face whatever the list order.
  const Box b1 = make_box(1, {0}, {1});
  EXPECT_EQ(npde::pde::boundary_allocation(b1, {0, 1}, 7), (std::vector<std::size_t>{4, 3}));
  EXPECT_EQ(npde::pde::boundary_allocation(b1, {1, 0}, 7), (std::vector<std::size_t>{3, 4}));
  EXPECT_EQ(npde::pde::boundary_allocation(b1, {1}, 7), (std::vector<std::size_t>{7}));
  // 3D: totals are exact and each count is within one of its quota, for many n.
  const Box b3 = make_box(3, {0, 0, 0}, {1, 2, 3});
  const std::vector<int> faces = {5, 0, 3, 1};
  double total_measure = 0.0;
  for (int f : faces) total_measure += npde::pde::face_measure(b3, f);
  for (std::size_t n = 0; n < 300; n += 7) {
    const auto c = npde::pde::boundary_allocation(b3, faces, n);
    std::size_t sum = 0;
    for (std::size_t f = 0; f < faces.size(); ++f) {
      const double quota = n * npde::pde::face_measure(b3, faces[f]) / total_measure;
      EXPECT_LT(std::abs(static_cast<double>(c[f]) - quota), 1.0) << "n " << n << " face " << faces[f];
      sum += c[f];
    }
    EXPECT_EQ(sum, n);
  }
  EXPECT_THROW(npde::pde::boundary_allocation(b2, {0, 0}, 10), npde::Error);
  EXPECT_THROW(npde::pde::boundary_allocation(b2, {4}, 10), npde::Error);
  EXPECT_THROW(npde::pde::boundary_allocation(b2, {}, 10), npde::Error);
}

TEST(PdeSampler, BoundaryPointsLieOnTheirFaces) {
  for (int dim = 1; dim <= 3; ++dim) {
    const Box b = make_box(dim, {-1.0, 0.5, 0.0}, {1.0, 2.0, 0.1});
    std::vector<int> faces;
    for (int f = 2 * dim - 1; f >= 0; --f) faces.push_back(f);  // any order
    for (SamplerKind k : k_kinds) {
      const std::size_t n = 101;
      const auto x = npde::pde::sample_boundary(b, faces, k, n, 5, 0);
      const auto count = npde::pde::boundary_allocation(b, faces, n);
      ASSERT_EQ(x.size(), n * dim);
      std::size_t i = 0;
      for (std::size_t f = 0; f < faces.size(); ++f) {
        const int axis = faces[f] / 2;
        const double bound = faces[f] % 2 ? b.upper[axis] : b.lower[axis];
        for (std::size_t j = 0; j < count[f]; ++j, ++i) {
          for (int a = 0; a < dim; ++a) {
            const double c = x[i * dim + a];
            if (a == axis) {
              EXPECT_EQ(c, bound);
            } else {
              EXPECT_GE(c, b.lower[a]);
              EXPECT_LT(c, b.upper[a]);
            }
          }
        }
      }
      EXPECT_EQ(x, npde::pde::sample_boundary(b, faces, k, n, 5, 0));
      if (dim > 1) {
        EXPECT_NE(x, npde::pde::sample_boundary(b, faces, k, n, 6, 0)) << npde::pde::sampler_name(k);
        EXPECT_NE(x, npde::pde::sample_boundary(b, faces, k, n, 5, 1)) << npde::pde::sampler_name(k);
      }
    }
  }
}

TEST(PdeSampler, FacePointsDoNotDependOnOtherFaces) {
  const Box b = make_box(2, {0, 0}, {1, 1});
  for (SamplerKind k : k_kinds) {
    const auto both = npde::pde::sample_boundary(b, {0, 2}, k, 10, 3, 4);  // 5 points each
    const auto only = npde::pde::sample_boundary(b, {2}, k, 5, 3, 4);
    EXPECT_EQ(std::vector<double>(both.begin() + 10, both.end()), only) << npde::pde::sampler_name(k);
  }
}

TEST(PdeSampler, BoundaryLatinHypercubeStratifiesEachFace) {
  const Box unit = make_box(3, {0, 0, 0}, {1, 1, 1});
  const std::size_t per_face = 50;
  const auto x = npde::pde::sample_boundary(unit, {0, 1, 2, 3, 4, 5}, SamplerKind::LatinHypercube, 6 * per_face, 11, 0);
  for (int f = 0; f < 6; ++f) {
    for (int a = 0; a < 3; ++a) {
      if (a == f / 2) continue;
      std::vector<int> hits(per_face, 0);
      for (std::size_t j = 0; j < per_face; ++j) {
        ++hits[static_cast<std::size_t>(x[(f * per_face + j) * 3 + a] * per_face)];
      }
      for (std::size_t s = 0; s < per_face; ++s) ASSERT_EQ(hits[s], 1) << "face " << f << " axis " << a;
    }
  }
}

}  // namespace
