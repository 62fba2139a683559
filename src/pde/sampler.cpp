// SPDX-License-Identifier: BSD-3-Clause
// Interior and boundary collocation samplers over boxes, built on counter-based random numbers.
#include "npde/pde/sampler.hpp"

#include "npde/core/error.hpp"
#include "npde/core/rng.hpp"
#include "pde/sobol_impl.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace npde::pde {

namespace {

/// Largest double below 1, the upper clamp that keeps rounded coordinates inside [0, 1).
const double k_below_one = std::nextafter(1.0, 0.0);

void sample_uniform(std::size_t n, int dim, std::uint64_t seed, std::uint64_t stream, double* out) {
  const std::size_t total = n * static_cast<std::size_t>(dim);
  for (std::size_t c = 0; c < total; ++c) out[c] = rng::uniform(seed, stream, c);
}

/// One stratum per point and axis: a random permutation of the n strata (Fisher-Yates, one counter per
/// swap so the result does not depend on call order) and a uniform jitter inside each stratum.
void sample_lhs(std::size_t n, int dim, std::uint64_t seed, std::uint64_t perm_stream,
                std::uint64_t jitter_stream, double* out) {
  std::vector<std::size_t> perm(n);
  const double inv_n = 1.0 / static_cast<double>(n);
  for (int d = 0; d < dim; ++d) {
    std::iota(perm.begin(), perm.end(), std::size_t{0});
    const std::uint64_t axis_offset = static_cast<std::uint64_t>(d) << 40;
    for (std::size_t j = n; j-- > 1;) {
      const double u = rng::uniform(seed, perm_stream, axis_offset + j);
      const std::size_t k = std::min(static_cast<std::size_t>(u * static_cast<double>(j + 1)), j);
      std::swap(perm[j], perm[k]);
    }
    for (std::size_t i = 0; i < n; ++i) {
      const double jitter = rng::uniform(seed, jitter_stream, i * dim + d);
      // (perm + jitter) / n can round up to 1 for the top stratum.
      out[i * dim + d] = std::min((static_cast<double>(perm[i]) + jitter) * inv_n, k_below_one);
    }
  }
}

/// lo + (hi - lo) * u, kept below hi when rounding would reach it.
double map_to_interval(double u, double lo, double hi) {
  const double x = lo + (hi - lo) * u;
  return std::min(x, std::nextafter(hi, lo));
}

}  // namespace

namespace detail {

std::uint64_t sampler_stream(std::uint64_t base, std::uint64_t origin, std::uint64_t round, std::uint64_t tag) {
  NPDE_REQUIRE(base < 256 && origin < 256 && tag < 256, "base = " << base << ", origin = " << origin
                                                                  << ", tag = " << tag);
  NPDE_REQUIRE(round < (std::uint64_t{1} << 39), "round = " << round);
  // Disjoint bit fields, so (base, origin, round, tag) map to distinct stream keys; round + 1 keeps
  // every key away from the plain rng::Stream values other modules use directly.
  return base | (origin << 8) | (tag << 16) | ((round + 1) << 24);
}

std::vector<double> sample_unit_cube(SamplerKind kind, std::size_t n, int dim, std::uint64_t seed,
                                     std::uint64_t origin, std::uint64_t round, std::uint64_t tag) {
  NPDE_REQUIRE(dim >= 0, "dim = " << dim);
  std::vector<double> u(n * static_cast<std::size_t>(dim));
  if (u.empty()) return u;
  const std::uint64_t own = sampler_stream(origin, origin, round, tag);
  const std::uint64_t shuffle = sampler_stream(rng::StreamShuffle, origin, round, tag);
  switch (kind) {
    case SamplerKind::Uniform:
      sample_uniform(n, dim, seed, own, u.data());
      break;
    case SamplerKind::LatinHypercube:
      sample_lhs(n, dim, seed, shuffle, own, u.data());
      break;
    case SamplerKind::Sobol:
      sample_sobol(n, dim, seed, shuffle, u.data());
      break;
  }
  return u;
}

}  // namespace detail

SamplerKind sampler_from_name(const std::string& name, const std::string& what) {
  if (name == "uniform") return SamplerKind::Uniform;
  if (name == "lhs") return SamplerKind::LatinHypercube;
  if (name == "sobol") return SamplerKind::Sobol;
  NPDE_INPUT_ERROR(what << ": unknown sampler '" << name << "' (valid: uniform, lhs, sobol)");
}

std::string sampler_name(SamplerKind kind) {
  switch (kind) {
    case SamplerKind::Uniform:
      return "uniform";
    case SamplerKind::LatinHypercube:
      return "lhs";
    case SamplerKind::Sobol:
      return "sobol";
  }
  NPDE_REQUIRE(false, "invalid SamplerKind " << static_cast<int>(kind));
  return {};
}

std::vector<double> sample_interior(const Box& box, SamplerKind kind, std::size_t n, std::uint64_t seed,
                                    std::uint64_t round) {
  check_box(box);
  const int dim = box.dim;
  std::vector<double> x = detail::sample_unit_cube(kind, n, dim, seed, rng::StreamInterior, round, 0);
  for (std::size_t i = 0; i < n; ++i) {
    for (int a = 0; a < dim; ++a) {
      double& c = x[i * dim + a];
      c = map_to_interval(c, box.lower[a], box.upper[a]);
    }
  }
  return x;
}

std::vector<std::size_t> boundary_allocation(const Box& box, const std::vector<int>& faces, std::size_t n) {
  check_box(box);
  const std::size_t n_list = faces.size();
  std::vector<std::size_t> count(n_list, 0);
  if (n == 0) return count;
  NPDE_REQUIRE(n_list > 0, "no faces for " << n << " boundary points");
  for (std::size_t f = 0; f < n_list; ++f) {
    NPDE_REQUIRE(faces[f] >= 0 && faces[f] < n_faces(box), "face = " << faces[f] << ", dim = " << box.dim);
    for (std::size_t g = 0; g < f; ++g) NPDE_REQUIRE(faces[g] != faces[f], "face " << faces[f] << " listed twice");
  }
  double total_measure = 0.0;
  for (int f : faces) total_measure += face_measure(box, f);
  std::vector<double> remainder(n_list);
  std::size_t assigned = 0;
  for (std::size_t f = 0; f < n_list; ++f) {
    const double quota = static_cast<double>(n) * face_measure(box, faces[f]) / total_measure;
    count[f] = static_cast<std::size_t>(std::floor(quota));
    remainder[f] = quota - static_cast<double>(count[f]);
    assigned += count[f];
  }
  NPDE_REQUIRE(assigned <= n, "assigned " << assigned << " of " << n);
  // The points left over go to the largest remainders; equal remainders favour the lower face number,
  // which in 1D gives the odd point to the lower face.
  std::vector<std::size_t> order(n_list);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if (remainder[a] != remainder[b]) return remainder[a] > remainder[b];
    return faces[a] < faces[b];
  });
  for (std::size_t r = 0; assigned < n; ++r, ++assigned) ++count[order[r % n_list]];
  return count;
}

std::vector<double> sample_boundary(const Box& box, const std::vector<int>& faces, SamplerKind kind,
                                    std::size_t n, std::uint64_t seed, std::uint64_t round) {
  const std::vector<std::size_t> count = boundary_allocation(box, faces, n);
  const int dim = box.dim;
  std::vector<double> x(n * static_cast<std::size_t>(dim));
  std::size_t offset = 0;
  for (std::size_t f = 0; f < faces.size(); ++f) {
    const int face = faces[f];
    const int fixed_axis = face_axis(face);
    const double fixed = face_coordinate(box, face);
    const std::size_t m = count[f];
    const std::vector<double> u = detail::sample_unit_cube(kind, m, dim - 1, seed, rng::StreamBoundary, round,
                                                           static_cast<std::uint64_t>(face) + 1);
    for (std::size_t i = 0; i < m; ++i) {
      double* p = &x[(offset + i) * dim];
      int free_index = 0;
      for (int a = 0; a < dim; ++a) {
        if (a == fixed_axis) {
          p[a] = fixed;
        } else {
          p[a] = map_to_interval(u[i * (dim - 1) + free_index], box.lower[a], box.upper[a]);
          ++free_index;
        }
      }
    }
    offset += m;
  }
  return x;
}

}  // namespace npde::pde
