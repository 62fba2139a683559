// SPDX-License-Identifier: BSD-3-Clause
// Collocation point samplers (uniform, Latin hypercube, randomised Sobol') for box interiors and faces.
#pragma once

#include "npde/pde/box.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace npde::pde {

/// How collocation points are drawn.
enum class SamplerKind { Uniform, LatinHypercube, Sobol };

/// "uniform", "lhs", "sobol" -> kind; throws npde::InputError naming `what` otherwise.
SamplerKind sampler_from_name(const std::string& name, const std::string& what);
/// Inverse of sampler_from_name ("uniform", "lhs" or "sobol").
std::string sampler_name(SamplerKind kind);

/// n points in the interior of the box (lower <= x < upper per axis), row-major (n, dim), host.
/// A deterministic function of (box, kind, n, seed, round): `round` is the resampling round (0 for the
/// first set), so resampled sets differ but are reproducible. Independent of the MPI rank count
/// (callers slice the global set). Not collective.
std::vector<double> sample_interior(const Box& box, SamplerKind kind, std::size_t n, std::uint64_t seed,
                                    std::uint64_t round);

/// How many of n boundary points each face of `faces` gets (same order as `faces`): proportional to
/// face_measure with largest-remainder rounding, ties to the lower face number, so the counts sum to n
/// exactly (in 1D both faces have measure 1: n/2 each, the odd point to the lower face).
/// `faces` holds distinct valid face numbers; it may be empty only when n == 0.
std::vector<std::size_t> boundary_allocation(const Box& box, const std::vector<int>& faces, std::size_t n);

/// n points on the union of `faces`, row-major (n, dim), host; grouped by face in the order of `faces`,
/// with boundary_allocation(box, faces, n) points each. Within a face, points are drawn with `kind` over
/// the face's dim-1 free coordinates (increasing axis order) and the fixed coordinate is exactly the
/// face's bound. Deterministic as sample_interior; a face's points depend only on (box, kind, its count,
/// face, seed, round), not on which other faces are listed. Not collective.
std::vector<double> sample_boundary(const Box& box, const std::vector<int>& faces, SamplerKind kind,
                                    std::size_t n, std::uint64_t seed, std::uint64_t round);

namespace detail {

/// Dimensions covered by the built-in Joe & Kuo (2008) direction numbers.
inline constexpr int sobol_max_dim = 32;
/// Bits per Sobol' coordinate: coordinate = integer * 2^-52.
inline constexpr int sobol_bits = 52;

/// Unshifted Sobol' point number `index` (Gray-code order: index 0 is the origin, index 1 is
/// (1/2, ..., 1/2)) for dimensions 0..dim-1, written to out[0..dim) as integers scaled by 2^52.
/// Requires 1 <= dim <= sobol_max_dim and index < 2^52.
void sobol_point_bits(std::uint64_t index, int dim, std::uint64_t* out);

/// Primitive polynomial over GF(2) behind Sobol' dimension `axis` (1 <= axis < sobol_max_dim):
/// x^degree + a_1 x^(degree-1) + ... + a_(degree-1) x + 1, with a_k = bit (degree-1-k) of `inner`.
struct SobolPolynomial {
  int degree;
  unsigned inner;
};
SobolPolynomial sobol_polynomial(int axis);

/// First sequence index the sampler uses for a set of n points: the smallest power of two >= n.
/// Skipping [0, 2^K) drops the all-zero point while keeping n = 2^k sets (t, k, d)-nets: an aligned block
/// of 2^K points is a digital shift of the first 2^K points.
std::uint64_t sobol_first_index(std::size_t n);

/// Random stream key for one sampler use: `base` is an rng::Stream, `origin` the rng::Stream of the
/// caller (interior or boundary), `tag` 0 for the interior and face+1 for a face. Requires round < 2^39.
std::uint64_t sampler_stream(std::uint64_t base, std::uint64_t origin, std::uint64_t round, std::uint64_t tag);

/// n points of the unit cube [0, 1)^dim, row-major (n, dim), drawn with `kind`; dim may be 0 (returns
/// an empty vector). Randomness comes from streams sampler_stream(.., origin, round, tag).
std::vector<double> sample_unit_cube(SamplerKind kind, std::size_t n, int dim, std::uint64_t seed,
                                     std::uint64_t origin, std::uint64_t round, std::uint64_t tag);

}  // namespace detail

}  // namespace npde::pde
