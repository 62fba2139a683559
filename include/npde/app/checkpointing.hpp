// SPDX-License-Identifier: BSD-3-Clause
// Training state <-> checkpoint file content, with validation of files npde did not write.
#pragma once

#include <string>
#include <vector>

#include "npde/io/checkpoint.hpp"
#include "npde/io/deck.hpp"
#include "npde/pinn/trainer.hpp"

namespace npde::app {

/// "xpinn 2x2", "fbpinn 4x4 overlap 0.500000" or "none": how a deck lays out its parameters (checked on
/// restart, even with --allow-deck-change).
std::string decomposition_of(const io::Deck& deck);

/// Checkpoint directory of a deck: training.checkpoint.dir, or "<output.file minus .h5>_checkpoints".
std::string checkpoint_dir(const io::Deck& deck);

/// Refuses (io::CheckpointError naming `path`) a checkpoint written for another deck (unless
/// allow_deck_change, which warns) or in another precision: what every kind of training checks first.
void check_checkpoint_identity(const io::Checkpoint& cp, const io::Deck& deck, bool allow_deck_change,
                               const std::string& path);
/// The checkpoint content of a training state (identity: version, deck text and SHA-256, precision, ranks).
io::Checkpoint to_checkpoint(const pinn::TrainState& state, const io::Deck& deck, int ranks);

/// The training state of a checkpoint, validated against the run about to resume: deck fingerprint
/// (unless allow_deck_change), precision, parameter count, stage count, optimiser state shapes and
/// history columns, the loss terms' names when `term_names` is not empty, and the extra history
/// columns' names (which adaptive methods are on) against `extra_names`. Throws
/// io::CheckpointError (a one-line InputError) naming the problem.
pinn::TrainState from_checkpoint(const io::Checkpoint& cp, const io::Deck& deck, std::size_t n_params,
                                 bool allow_deck_change, const std::string& path,
                                 const std::vector<std::string>& term_names = {},
                                 const std::vector<std::string>& extra_names = {});

/// A history (rows of pinn::HistoryRow with the loss terms `term_names` and extra columns
/// `extra_names`) as checkpoint arrays <prefix>/<column>, <prefix>/loss_<term> and
/// <prefix>/extra_<name>, the names as the texts <prefix>_terms and <prefix>_extras.
void put_history(io::Checkpoint& cp, const std::string& prefix, const std::vector<pinn::HistoryRow>& history,
                 const std::vector<std::string>& term_names, const std::vector<std::string>& extra_names = {});
/// The history put_history wrote under `prefix`, and its term names. Throws io::CheckpointError naming
/// `path` if the columns are missing or of different lengths.
std::vector<pinn::HistoryRow> get_history(const io::Checkpoint& cp, const std::string& prefix, const std::string& path,
                                          std::vector<std::string>* term_names = nullptr,
                                          std::vector<std::string>* extra_names = nullptr);

}  // namespace npde::app
