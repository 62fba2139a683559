// SPDX-License-Identifier: BSD-3-Clause
// Private interface between the samplers and the Sobol' generator.
#pragma once

#include <cstddef>
#include <cstdint>

namespace npde::pde::detail {

/// Writes n digitally shifted Sobol' points of (0, 1)^dim, row-major (n, dim), to out: sequence indices
/// [sobol_first_index(n), +n), each dimension XORed with 52 random bits from (seed, shift_stream, d).
void sample_sobol(std::size_t n, int dim, std::uint64_t seed, std::uint64_t shift_stream, double* out);

}  // namespace npde::pde::detail
