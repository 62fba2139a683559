// SPDX-License-Identifier: BSD-3-Clause
// Observations of an inverse problem, drawn from an `npde reference` output file.
#pragma once

#include <string>
#include <vector>

#include "npde/decomp/communicator.hpp"
#include "npde/io/deck.hpp"
#include "npde/pde/problem.hpp"

namespace npde::app {

/// Observations and what the file says of the learnt coefficient.
struct ObservationData {
  pde::Observations observations;  ///< of output 0, at points (x[, y], [t])
  double true_value = 0;           ///< the coefficient in the file's own deck (NaN if it cannot be read)
};

/// Collective. Rank 0 reads deck.observations_file, checks that it is an `npde reference` (or catalogue
/// `npde train`) output of the
/// deck's equation on the deck's domain (and time interval), draws deck.observation_points (grid point,
/// snapshot) pairs and adds noise (deterministic in deck.observation_seed: the same on any rank count);
/// every rank receives the same data. Throws npde::InputError naming inverse.observations.file, with the
/// same verdict on every rank, for a file that is missing, not npde's, or of another equation or shape.
ObservationData read_observations(const decomp::Communicator& comm, const io::Deck& deck);

/// Makes `problem` the inverse problem of the deck's `inverse:` section: deck.inverse_coefficient (one of
/// `coefficient_names`, the equation's) trainable, learnt from `observations`. Returns its index.
int make_inverse(const io::Deck& deck, const std::vector<std::string>& coefficient_names,
                 pde::Observations observations, pde::Problem& problem);

}  // namespace npde::app
