// SPDX-License-Identifier: BSD-3-Clause
// Private to app/: deck -> solver problems of the random-input equations (darcy, ns_vorticity),
// shared by `npde reference` (one sample) and `npde dataset` (many).
#pragma once

#include <cstdint>
#include <vector>

#include "npde/io/deck.hpp"
#include "npde/reference/darcy_fd.hpp"
#include "npde/reference/ns_vorticity.hpp"
#include "npde/reference/random_field.hpp"

namespace npde::app::detail {

/// problem.random_field as the reference module's parameters (throws InputError on bad values).
reference::RandomFieldParams random_field_params(const io::Deck& deck);

/// Darcy: reference.grid checked; the problem of random sample `sample` (coefficient drawn).
std::vector<int> darcy_grid(const io::Deck& deck);
reference::DarcyProblem darcy_problem(const io::Deck& deck, std::uint64_t sample);
/// Share of the grid points where a thresholded coefficient takes the value `above`.
double fraction_above(const io::Deck& deck, const std::vector<double>& coefficient);

/// Vorticity: reference.grid checked (points per period); random initial vorticity of `sample`;
/// the problem from the deck with the given initial field.
std::vector<int> ns_vorticity_grid(const io::Deck& deck);
std::vector<double> ns_vorticity_random_initial(const io::Deck& deck, std::uint64_t sample);
reference::NsVorticityProblem ns_vorticity_problem(const io::Deck& deck, std::vector<double> initial);

}  // namespace npde::app::detail
