// SPDX-License-Identifier: BSD-3-Clause
// Parallel dataset generation (`npde dataset`): random problem instances, each solved by one rank
// on PETSC_COMM_SELF, written collectively into one HDF5 file.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "npde/decomp/communicator.hpp"
#include "npde/io/deck.hpp"

namespace npde::app {

/// One solved sample.
struct DatasetSample {
  std::vector<double> input;       ///< the input field on the grid (n_points values, x fastest)
  std::vector<double> output;      ///< output_times.size() (or 1) fields of n_points values, time slowest
  std::vector<double> parameters;  ///< per-sample scalars, named by DatasetLayout::parameter_names
};

/// Shapes and names shared by every sample of a dataset.
struct DatasetLayout {
  std::vector<std::vector<double>> axes;     ///< grid coordinates per axis, x first (as GridSolution::axes)
  std::string input_name, output_name;       ///< e.g. "a" / "u" (darcy), "w0" / "w" (ns_vorticity)
  std::vector<double> output_times;          ///< empty: one steady output field per sample
  std::vector<std::string> parameter_names;  ///< may be empty
};

/// A problem family that yields samples. `solve(i)` is NOT collective: it runs on one rank with
/// PETSc on PETSC_COMM_SELF, and its result is a pure function of (deck, i) -- never of the rank
/// or of the rank count -- so files are bit-identical however many ranks generate them.
struct DatasetProblem {
  DatasetLayout layout;
  std::function<DatasetSample(std::uint64_t index)> solve;
};

/// Sample families (deck.pde darcy / ns_vorticity, with problem.random_field).
DatasetProblem dataset_problem_darcy(const io::Deck& deck);
DatasetProblem dataset_problem_ns_vorticity(const io::Deck& deck);

/// Summary numbers of a generate_dataset() run.
struct DatasetStats {
  std::uint64_t samples = 0;                ///< samples written (deck.dataset_samples)
  double seconds = 0, samples_per_second = 0;  ///< wall time (slowest rank, incl. the commit) and N / seconds
};

/// Collective. Generates N = deck.dataset_samples samples of `problem` and writes them to
/// deck.output_file (under "<file>.tmp", renamed when complete; see docs/output-layout.md).
/// Sample i is solved on the rank whose decomp::block_range(N, rank, size) holds it, in batches
/// of deck.dataset_batch samples per rank (0: automatic, at most 256 MiB of samples and a tenth
/// of a block); each batch is written in one collective call per dataset, ranks without samples
/// left taking part with empty selections. Layout: /inputs/<input_name> (N, [nz,] [ny,] nx),
/// /outputs/<output_name> (N, [n_times,] [nz,] [ny,] nx), /grid/<x|y|z>, /time (n_times,) when
/// output_times is not empty, /parameters/<name> (N,), /sample_index (N,) (all f64); root
/// attributes generator ("npde dataset"), npde_version, deck, deck_path, pde, seed
/// (random_field.seed), samples, ranks. Every dataset is a pure function of (deck, problem):
/// bit-identical for any rank count. Rank 0 logs progress about every 10 % with its estimate of
/// the global rate. A solve that throws on any rank makes every rank throw (the failing rank
/// rethrows its exception, the others npde::Error) and leaves no output file.
/// Throws npde::InputError for dataset.samples < 1 or dataset.batch < 0.
DatasetStats generate_dataset(const decomp::Communicator& comm, const io::Deck& deck, const DatasetProblem& problem);

}  // namespace npde::app
