// SPDX-License-Identifier: BSD-3-Clause
// Parallel dataset generation (`npde dataset`): random problem instances solved one per rank on
// PETSC_COMM_SELF and written collectively into one HDF5 file.
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

/// Collective. Generates deck.dataset_samples samples of `problem` (sample i on rank
/// block_range(N, rank, size)), writes them to deck.output_file (temporary name, renamed when
/// complete) and prints a progress line with samples/s. Returns the summary numbers.
struct DatasetStats {
  std::uint64_t samples = 0;
  double seconds = 0, samples_per_second = 0;
};
DatasetStats generate_dataset(const decomp::Communicator& comm, const io::Deck& deck, const DatasetProblem& problem);

}  // namespace npde::app
