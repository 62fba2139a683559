// SPDX-License-Identifier: BSD-3-Clause
// Command-line parsing of `npde <verb> <deck.yaml> [--set key=value ...] [PETSc options]`.
#pragma once

#include <string>
#include <vector>

namespace npde::app {

/// What the user asked for.
struct CommandLine {
  std::string verb;                      ///< train | reference | info
  std::string deck;                      ///< path of the YAML deck (predict: the model file)
  std::string dataset;                   ///< predict: the dataset file
  std::string output;                    ///< predict: --output FILE (default <dataset stem>_predict.h5)
  std::vector<std::string> sets;         ///< --set key.sub=value, in order
  std::vector<std::string> petsc_args;   ///< -ksp_type cg ... (passed to PETSc)
  std::vector<std::string> kokkos_args;  ///< --kokkos-... (passed to Kokkos)
  bool help = false, version = false, quiet = false;
  bool restart = false;                  ///< --restart [FILE]: resume from a checkpoint
  std::string restart_file;              ///< explicit checkpoint file (empty: newest valid in the directory)
  bool allow_deck_change = false;        ///< --allow-deck-change: restart although the deck differs
  std::string error;                     ///< non-empty: bad command line (one line)
};

/// Parses argv (no side effects). Options: --help/-h, --version, --quiet, --set k=v (or --set=k=v),
/// --restart [FILE.h5] (or --restart=FILE), --allow-deck-change;
/// arguments starting with a single '-' are PETSc options (a following word not starting with '-'
/// is taken as their value); --kokkos-* go to Kokkos.
CommandLine parse_command_line(int argc, const char* const* argv);

/// The --help text.
std::string usage();

}  // namespace npde::app
