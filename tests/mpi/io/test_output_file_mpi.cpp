// SPDX-License-Identifier: BSD-3-Clause
// Collective OutputFile writes at several rank counts: block-row fields (including empty ranks),
// root-only history and attributes, read back serially on every rank.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "npde/core/error.hpp"
#include "npde/decomp/communicator.hpp"
#include "support/shared_scratch.hpp"
#include "npde/io/output_file.hpp"

namespace fs = std::filesystem;
using npde::decomp::Communicator;
using npde::io::H5Reader;
using npde::io::OutputFile;

namespace {

using npde::test::SharedScratch;

// The global value at (row, col): a function of the position only, so every rank knows it.
double global_value(std::size_t row, std::size_t col, std::size_t nx) {
  return std::sin(0.37 * static_cast<double>(row * nx + col)) + static_cast<double>(row);
}

// Writes an ny x nx field split in block rows and checks every rank reads back the global array.
void block_rows_round_trip(std::size_t ny, std::size_t nx) {
  const Communicator comm = Communicator::world();
  SharedScratch scratch(comm, "field_" + std::to_string(ny));
  const std::string path = scratch.file("field.h5");
  const auto range = npde::decomp::block_range(ny, comm.rank(), comm.size());
  std::vector<double> local(range.size() * nx);
  for (std::size_t r = range.begin; r < range.end; ++r)
    for (std::size_t c = 0; c < nx; ++c) local[(r - range.begin) * nx + c] = global_value(r, c, nx);
  {
    OutputFile out(comm, path);
    out.write_field("/fields/pinn/u", {ny, nx}, range.begin, range.size(), local.empty() ? nullptr : local.data());
    // A 3D field split along its slowest dimension by the same rule.
    const auto slab = npde::decomp::block_range(3, comm.rank(), comm.size());
    std::vector<double> cube(slab.size() * ny * nx);
    for (std::size_t i = 0; i < cube.size(); ++i) cube[i] = static_cast<double>(slab.begin * ny * nx + i);
    out.write_field("/fields/cube", {3, ny, nx}, slab.begin, slab.size(), cube.data());
    out.commit();
  }
  const H5Reader in(path);
  std::vector<unsigned long long> dims;
  const std::vector<double> u = in.read("/fields/pinn/u", &dims);
  ASSERT_EQ(dims, (std::vector<unsigned long long>{ny, nx}));
  for (std::size_t r = 0; r < ny; ++r)
    for (std::size_t c = 0; c < nx; ++c) {
      const double expected = global_value(r, c, nx);
      ASSERT_EQ(std::memcmp(&u[r * nx + c], &expected, sizeof(double)), 0) << "at (" << r << ", " << c << ")";
    }
  const std::vector<double> cube = in.read("/fields/cube", &dims);
  ASSERT_EQ(dims, (std::vector<unsigned long long>{3, ny, nx}));
  for (std::size_t i = 0; i < cube.size(); ++i) ASSERT_EQ(cube[i], static_cast<double>(i));
}

void history_and_attributes_from_root() {
  const Communicator comm = Communicator::world();
  SharedScratch scratch(comm, "history");
  const std::string path = scratch.file("run.h5");
  // Only rank 0's rows count; the other ranks pass rows of the wrong shape on purpose.
  std::vector<std::vector<double>> rows;
  if (comm.is_root())
    rows = {{0, 2.5, 1e-3}, {10, 1.25, 1e-3}, {20, 0.625, 5e-4}};
  else
    rows = {{-1.0}};
  {
    OutputFile out(comm, path);
    out.set_attribute("/", "ranks", static_cast<long long>(comm.size()));
    out.set_attribute("/run", "pde", std::string("poisson"));
    out.set_attribute("/run", "lr0", 1e-3);
    out.write_history({"iteration", "loss", "lr"}, rows);
    out.write_array("/fields/grid/x", {0.0, 0.5, 1.0});
    out.flush();
    EXPECT_TRUE(out.exists("/history/loss"));
    EXPECT_TRUE(fs::exists(out.temporary_path()));
    out.commit();
  }
  EXPECT_FALSE(fs::exists(path + ".tmp"));
  const H5Reader in(path);
  EXPECT_EQ(in.attribute_int("/", "ranks"), comm.size());
  EXPECT_EQ(in.attribute_string("/run", "pde"), "poisson");
  EXPECT_EQ(in.attribute_double("/run", "lr0"), 1e-3);
  EXPECT_EQ(in.read("/history/iteration"), (std::vector<double>{0, 10, 20}));
  EXPECT_EQ(in.read("/history/loss"), (std::vector<double>{2.5, 1.25, 0.625}));
  EXPECT_EQ(in.read("/history/lr"), (std::vector<double>{1e-3, 1e-3, 5e-4}));
  EXPECT_EQ(in.read("/fields/grid/x"), (std::vector<double>{0.0, 0.5, 1.0}));
}

void abandoned_file_leaves_nothing() {
  const Communicator comm = Communicator::world();
  SharedScratch scratch(comm, "abandoned");
  const std::string path = scratch.file("run.h5");
  {
    OutputFile out(comm, path);
    const auto range = npde::decomp::block_range(4, comm.rank(), comm.size());
    const std::vector<double> local(range.size() * 2, 1.0);
    out.write_field("/u", {4, 2}, range.begin, range.size(), local.data());
  }
  comm.barrier();  // rank 0 removes the temporary file; wait for it before looking
  EXPECT_FALSE(fs::exists(path));
  EXPECT_FALSE(fs::exists(path + ".tmp"));
}

void mismatched_slabs_throw_everywhere() {
  const Communicator comm = Communicator::world();
  SharedScratch scratch(comm, "mismatch");
  OutputFile out(comm, scratch.file("run.h5"));
  const std::vector<double> rows(6, 0.0);
  // With 1 rank the slab starts past the end (a local check); with more, every rank claims
  // both rows, so the counts overrun (a global check). Either way all ranks must throw, none hang.
  const unsigned long long offset = comm.size() == 1 ? 2 : 0, count = comm.size() == 1 ? 1 : 2;
  EXPECT_THROW(out.write_field("/u", {2, 3}, offset, count, rows.data()), npde::Error);
  // The file remains usable collectively afterwards.
  out.write_array("/ok", {1.0});
  out.commit();
}

}  // namespace

TEST(OutputFileMpi, BlockRowsRoundTrip) { block_rows_round_trip(9, 4); }
TEST(OutputFileMpi, SingleRowLeavesRanksEmpty) { block_rows_round_trip(1, 5); }
TEST(OutputFileMpi, HistoryAndAttributesFromRoot) { history_and_attributes_from_root(); }
TEST(OutputFileMpi, AbandonedFileLeavesNothing) { abandoned_file_leaves_nothing(); }
TEST(OutputFileMpi, MismatchedSlabsThrowEverywhere) { mismatched_slabs_throw_everywhere(); }
