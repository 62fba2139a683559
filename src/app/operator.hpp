// SPDX-License-Identifier: BSD-3-Clause
// Private to app/: operator learning's data files (validated) and model files, shared by `npde train`
// of an operator deck and `npde predict`.
#pragma once

#include <string>
#include <vector>

#include "npde/app/cli.hpp"
#include "npde/decomp/communicator.hpp"
#include "npde/fno/fno_model.hpp"
#include "npde/fno/training.hpp"
#include "npde/io/deck.hpp"
#include "npde/io/output_file.hpp"

namespace npde::app::detail {

/// Which fields of a dataset file become the model's channels: HDF5 dataset and, for a time series
/// (N, n_times, ny, nx), the time index (-1: no time axis).
struct ChannelSource {
  std::string dataset;
  int time_index = -1;
  std::string label;  ///< "a", "w(t=10)"
};

/// The channel layout an operator reads and writes, from the deck (pde and data.*_times).
struct OperatorChannels {
  std::string pde;
  std::vector<double> input_times, output_times;  ///< ns_vorticity (empty output_times: the file's last time)
};

/// A validated npde dataset file: its samples' shape and which datasets hold the channels.
struct DatasetFile {
  std::string path, key;  ///< key: the deck key that named it, for messages
  long samples = 0;       ///< rows in the file
  int ny = 0, nx = 0;
  std::vector<double> x, y;  ///< grid coordinates
  std::vector<ChannelSource> inputs, outputs;
  double solve_seconds_per_sample = 0;  ///< 0 when the file does not say
};

/// Not collective (every rank may call it on the same file and reaches the same verdict). Opens and
/// validates `path` as an npde dataset of `ch.pde` with at least `want` samples (0: any), resolves
/// the channels. Throws InputError naming `key` and the problem.
DatasetFile open_dataset(const std::string& path, const std::string& key, const OperatorChannels& ch, long want);

/// Reads samples [0, n) of a validated file into the model's layout: inputs normalised with `in_norm`
/// (none when null), targets in physical units; with `mollify` the mollifier sin(pi x) sin(pi y) of
/// the file's grid (x, y scaled to [0, 1]); with `source` (a Darcy source expression of x, y) also the
/// coefficient, the source on the grid and the spacings, for the physics loss. Not collective.
/// With `coordinates` two channels x = i/nx, y = j/ny of the whole field follow the inputs: what
/// multigrid patches carry so that the model knows where a patch lies.
template <class T>
fno::SampleSet<T> load_samples(const DatasetFile& f, long n, const fno::ChannelNormalizer* in_norm, bool mollify = false,
                               const std::string* source = nullptr, bool coordinates = false);

/// The raw inputs of samples [0, n), (n, channels, ny, nx), to fit a normaliser.
std::vector<double> read_inputs(const DatasetFile& f, long n);

/// The model of an operator deck.
fno::FnoShape fno_shape(const io::Deck& deck, int in_channels, int out_channels);
/// "FNO 3 -> 32 x 4 blocks, 16x16 modes, dense -> 1" for progress lines.
std::string model_string(const fno::FnoShape& s);

/// The multigrid patching of a deck or model on an ny x nx grid (levels 0: none); InputError naming
/// `what` when the levels do not divide the grid.
fno::Patching patching_for(int levels, double padding, int ny, int nx, const std::string& what);
/// Checks that a grid of ny x nx points (with patching: its patch windows) can take the model's modes
/// (InputError naming `what`).
void check_modes(const fno::FnoShape& s, int ny, int nx, const std::string& what, const fno::Patching& pg = {});

/// `npde train` of an operator deck (collective).
int operator_train(const decomp::Communicator& comm, const io::Deck& deck, const CommandLine& cl);
/// Collective validation of an operator deck's data before anything runs (same verdict everywhere).
void check_operator_deck(const io::Deck& deck);
/// `npde predict MODEL DATASET` (collective).
int operator_predict(const decomp::Communicator& comm, const CommandLine& cl);

}  // namespace npde::app::detail
