// SPDX-License-Identifier: BSD-3-Clause
// generate_dataset: a synthetic sample family written by every rank count (world, or one rank
// alone) gives bit-identical datasets with the documented layout; failures stop every rank.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "npde/app/dataset.hpp"
#include "npde/core/error.hpp"
#include "npde/decomp/communicator.hpp"
#include "support/shared_scratch.hpp"
#include "npde/io/deck.hpp"
#include "npde/io/output_file.hpp"

namespace fs = std::filesystem;
using npde::app::DatasetProblem;
using npde::app::DatasetSample;
using npde::decomp::Communicator;
using npde::io::H5Reader;
using Dims = std::vector<unsigned long long>;

namespace {

using npde::test::SharedScratch;

npde::io::Deck make_deck(const std::string& file, int samples, int batch) {
  npde::io::Deck deck;
  deck.text = "# synthetic dataset deck\n";
  deck.path = "synthetic.yaml";
  deck.pde = "ns_vorticity";
  deck.dim = 2;
  deck.has_dataset = true;
  deck.dataset_samples = samples;
  deck.dataset_batch = batch;
  deck.random_field.seed = 1234;
  deck.output_file = file;
  return deck;
}

std::vector<double> axis(std::size_t n) {
  std::vector<double> a(n);
  for (std::size_t i = 0; i < n; ++i) a[i] = static_cast<double>(i) / static_cast<double>(n);
  return a;
}

// A 2D family on a 5 x 4 grid with 3 output times and two parameters; sample i depends on i only.
// `fail_at`: a sample index whose solve throws (or none).
DatasetProblem synthetic_2d(std::uint64_t fail_at = ~std::uint64_t(0)) {
  DatasetProblem problem;
  problem.layout.axes = {axis(5), axis(4)};
  problem.layout.input_name = "w0";
  problem.layout.output_name = "w";
  problem.layout.output_times = {0.0, 0.5, 1.0};
  problem.layout.parameter_names = {"amplitude", "phase"};
  problem.solve = [fail_at](std::uint64_t i) {
    if (i == fail_at) throw std::runtime_error("synthetic solve failure");
    DatasetSample s;
    const double amplitude = 1.0 + 0.1 * static_cast<double>(i), phase = 0.3 * static_cast<double>(i);
    for (std::size_t k = 0; k < 20; ++k) s.input.push_back(amplitude * std::sin(phase + 0.7 * static_cast<double>(k)));
    for (std::size_t t = 0; t < 3; ++t)
      for (std::size_t k = 0; k < 20; ++k) s.output.push_back(s.input[k] * std::exp(-0.5 * static_cast<double>(t)));
    s.parameters = {amplitude, phase};
    return s;
  };
  return problem;
}

// A 1D steady family without parameters.
DatasetProblem synthetic_1d() {
  DatasetProblem problem;
  problem.layout.axes = {axis(6)};
  problem.layout.input_name = "a";
  problem.layout.output_name = "u";
  problem.solve = [](std::uint64_t i) {
    DatasetSample s;
    for (std::size_t k = 0; k < 6; ++k) {
      s.input.push_back(std::cos(static_cast<double>(i + k)));
      s.output.push_back(std::sqrt(static_cast<double>(i * 6 + k)));
    }
    return s;
  };
  return problem;
}

bool bitwise_equal(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0);
}

// Every dataset of the two files, bit for bit, with the same extents.
void expect_identical(const std::string& a, const std::string& b, const std::vector<std::string>& datasets) {
  const H5Reader ra(a), rb(b);
  for (const std::string& d : datasets) {
    Dims da, db;
    const std::vector<double> va = ra.read(d, &da), vb = rb.read(d, &db);
    EXPECT_EQ(da, db) << d;
    EXPECT_TRUE(bitwise_equal(va, vb)) << d;
  }
}

}  // namespace

TEST(Dataset, WorldAndSingleRankGiveIdenticalFiles) {
  const Communicator world = Communicator::world();
  SharedScratch scratch(world, "dataset_2d");
  const int n = 7;  // 4 + 3 samples at 2 ranks: batches of 2 make the last round uneven
  const DatasetProblem problem = synthetic_2d();
  const std::string parallel = scratch.file("parallel.h5"), serial = scratch.file("serial.h5");
  const auto stats = npde::app::generate_dataset(world, make_deck(parallel, n, 2), problem);
  EXPECT_EQ(stats.samples, 7u);
  EXPECT_GT(stats.samples_per_second, 0.0);
  if (world.is_root()) npde::app::generate_dataset(Communicator::self(), make_deck(serial, n, 0), problem);
  world.barrier();

  const H5Reader in(parallel);
  EXPECT_EQ(in.list("/"), (std::vector<std::string>{"grid", "inputs", "outputs", "parameters", "sample_index", "time"}));
  EXPECT_EQ(in.list("/parameters"), (std::vector<std::string>{"amplitude", "phase"}));
  Dims dims;
  const std::vector<double> inputs = in.read("/inputs/w0", &dims);
  EXPECT_EQ(dims, (Dims{7, 4, 5}));
  const std::vector<double> outputs = in.read("/outputs/w", &dims);
  EXPECT_EQ(dims, (Dims{7, 3, 4, 5}));
  EXPECT_EQ(in.read("/time"), (std::vector<double>{0.0, 0.5, 1.0}));
  EXPECT_EQ(in.read("/grid/y"), axis(4));
  const std::vector<double> index = in.read("/sample_index"), phase = in.read("/parameters/phase");
  for (std::uint64_t i = 0; i < 7; ++i) {
    const DatasetSample s = problem.solve(i);
    EXPECT_EQ(index[i], static_cast<double>(i));
    EXPECT_EQ(phase[i], s.parameters[1]);
    EXPECT_TRUE(bitwise_equal(std::vector<double>(inputs.begin() + i * 20, inputs.begin() + (i + 1) * 20), s.input));
    EXPECT_TRUE(bitwise_equal(std::vector<double>(outputs.begin() + i * 60, outputs.begin() + (i + 1) * 60), s.output));
  }
  EXPECT_EQ(in.attribute_string("/", "generator"), "npde dataset");
  EXPECT_EQ(in.attribute_string("/", "deck"), "# synthetic dataset deck\n");
  EXPECT_EQ(in.attribute_int("/", "seed"), 1234);
  EXPECT_EQ(in.attribute_int("/", "samples"), 7);
  EXPECT_EQ(in.attribute_int("/", "ranks"), world.size());
  EXPECT_TRUE(in.has_attribute("/", "npde_version"));
  EXPECT_FALSE(fs::exists(parallel + ".tmp"));

  expect_identical(parallel, serial,
                   {"/inputs/w0", "/outputs/w", "/grid/x", "/grid/y", "/time", "/parameters/amplitude",
                    "/parameters/phase", "/sample_index"});
  EXPECT_EQ(H5Reader(serial).attribute_int("/", "ranks"), 1);
}

TEST(Dataset, FewerSamplesThanRanksAndSteadyOutput) {
  const Communicator world = Communicator::world();
  SharedScratch scratch(world, "dataset_1d");
  const DatasetProblem problem = synthetic_1d();
  const std::string parallel = scratch.file("parallel.h5"), serial = scratch.file("serial.h5");
  // One sample: at 2 ranks, rank 1 takes part in every write with nothing to write.
  npde::app::generate_dataset(world, make_deck(parallel, 1, 0), problem);
  if (world.is_root()) npde::app::generate_dataset(Communicator::self(), make_deck(serial, 1, 3), problem);
  world.barrier();
  const H5Reader in(parallel);
  EXPECT_EQ(in.list("/"), (std::vector<std::string>{"grid", "inputs", "outputs", "sample_index"}));
  Dims dims;
  EXPECT_TRUE(bitwise_equal(in.read("/outputs/u", &dims), problem.solve(0).output));
  EXPECT_EQ(dims, (Dims{1, 6}));
  expect_identical(parallel, serial, {"/inputs/a", "/outputs/u", "/grid/x", "/sample_index"});
}

TEST(Dataset, FailedSolveStopsEveryRankAndLeavesNoFile) {
  const Communicator world = Communicator::world();
  SharedScratch scratch(world, "dataset_fail");
  const std::string file = scratch.file("failed.h5");
  // The last sample belongs to the last rank; the others must not wait for it forever.
  EXPECT_ANY_THROW(npde::app::generate_dataset(world, make_deck(file, 5, 1), synthetic_2d(4)));
  world.barrier();
  EXPECT_FALSE(fs::exists(file));
  EXPECT_FALSE(fs::exists(file + ".tmp"));
}

TEST(Dataset, BadSampleShapeAndBadDeckThrow) {
  const Communicator world = Communicator::world();
  SharedScratch scratch(world, "dataset_bad");
  DatasetProblem problem = synthetic_1d();
  EXPECT_THROW(npde::app::generate_dataset(world, make_deck(scratch.file("a.h5"), 0, 0), problem), npde::InputError);
  EXPECT_THROW(npde::app::generate_dataset(world, make_deck(scratch.file("a.h5"), 3, -1), problem), npde::InputError);
  problem.solve = [](std::uint64_t) { return DatasetSample{{1.0}, {1.0}, {}}; };  // not on the 6-point grid
  EXPECT_THROW(npde::app::generate_dataset(world, make_deck(scratch.file("a.h5"), 3, 0), problem), npde::Error);
  EXPECT_FALSE(fs::exists(scratch.file("a.h5")));
}
