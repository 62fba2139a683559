// SPDX-License-Identifier: BSD-3-Clause
// OutputFile row-block writes (create_dataset + write_rows in several collective calls) and
// extendible time-series datasets (unlimited first dimension, append_rows), read back serially.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <algorithm>
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
using Dims = std::vector<unsigned long long>;

namespace {

using npde::test::SharedScratch;

// Value of element i of row r: distinct everywhere, known to every rank.
double cell(std::size_t row, std::size_t i) { return 1000.0 * static_cast<double>(row) + 0.25 * static_cast<double>(i); }

std::vector<double> rows_of(std::size_t begin, std::size_t count, std::size_t row_size) {
  std::vector<double> v(count * row_size);
  for (std::size_t r = 0; r < count; ++r)
    for (std::size_t i = 0; i < row_size; ++i) v[r * row_size + i] = cell(begin + r, i);
  return v;
}

void expect_rows(const std::vector<double>& got, std::size_t n_rows, std::size_t row_size) {
  ASSERT_EQ(got.size(), n_rows * row_size);
  for (std::size_t r = 0; r < n_rows; ++r)
    for (std::size_t i = 0; i < row_size; ++i) {
      const double expected = cell(r, i);
      ASSERT_EQ(std::memcmp(&got[r * row_size + i], &expected, sizeof(double)), 0) << "row " << r << ", element " << i;
    }
}

// Maximum extents of a dataset, read with the HDF5 C API (H5Reader reports the current ones).
Dims max_dims_of(const std::string& file, const std::string& dataset) {
  const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  const hid_t d = H5Dopen2(f, dataset.c_str(), H5P_DEFAULT);
  const hid_t s = H5Dget_space(d);
  std::vector<hsize_t> dims(static_cast<std::size_t>(H5Sget_simple_extent_ndims(s))), max_dims(dims.size());
  H5Sget_simple_extent_dims(s, dims.data(), max_dims.data());
  H5Sclose(s);
  H5Dclose(d);
  H5Fclose(f);
  return {max_dims.begin(), max_dims.end()};
}

// Writes an (n_rows, 3, 4) dataset in batches of `batch` rows per rank and call, each rank owning
// a contiguous block: every rank makes the same number of calls, those out of rows pass none.
void batched_round_trip(std::size_t n_rows, std::size_t batch, bool extendible) {
  const Communicator comm = Communicator::world();
  SharedScratch scratch(comm, "rows_" + std::to_string(n_rows) + "_" + std::to_string(batch));
  const std::string path = scratch.file("rows.h5");
  const std::size_t row_size = 12;
  const auto mine = npde::decomp::block_range(n_rows, comm.rank(), comm.size());
  const std::size_t most = npde::decomp::block_range(n_rows, 0, comm.size()).size();
  const std::size_t calls = (most + batch - 1) / batch;
  {
    OutputFile out(comm, path);
    out.create_dataset("/samples/u", {n_rows, 3, 4}, extendible);
    for (std::size_t c = 0; c < calls; ++c) {
      const std::size_t begin = std::min(mine.begin + c * batch, mine.end);
      const std::size_t count = std::min(batch, mine.end - begin);
      const std::vector<double> local = rows_of(begin, count, row_size);
      out.write_rows("/samples/u", begin, count, local.empty() ? nullptr : local.data());
    }
    EXPECT_EQ(out.dataset_dims("/samples/u"), (Dims{n_rows, 3, 4}));
    out.commit();
  }
  Dims dims;
  const std::vector<double> got = H5Reader(path).read("/samples/u", &dims);
  EXPECT_EQ(dims, (Dims{n_rows, 3, 4}));
  expect_rows(got, n_rows, row_size);
  const Dims max_dims = max_dims_of(path, "/samples/u");
  EXPECT_EQ(max_dims[0], extendible ? H5S_UNLIMITED : n_rows);
  EXPECT_EQ(max_dims[1], 3u);
}

}  // namespace

TEST(OutputSeries, RowBlocksInSeveralCalls) {
  batched_round_trip(7, 2, false);  // blocks of 4 and 3 rows at 2 ranks: 2 calls, the last one uneven
  batched_round_trip(1, 3, false);  // fewer rows than ranks: rank 1 writes nothing at all
  batched_round_trip(11, 4, true);  // the same into an extendible (chunked) dataset
}

TEST(OutputSeries, AppendRowsStreamsInRankOrder) {
  const Communicator comm = Communicator::world();
  SharedScratch scratch(comm, "append");
  const std::string path = scratch.file("append.h5");
  const std::size_t row_size = 6;  // rows of shape (2, 3)
  std::size_t expected_rows = 0;
  {
    OutputFile out(comm, path);
    // Streaming snapshots: rank 0 appends one row per step, the others none.
    for (std::size_t step = 0; step < 3; ++step) {
      const std::vector<double> row = rows_of(step, 1, row_size);
      const auto n = out.append_rows("/series/u", {2, 3}, comm.is_root() ? 1 : 0, comm.is_root() ? row.data() : nullptr);
      EXPECT_EQ(n, step + 1);
    }
    // Then every rank appends rank + 1 rows at once; they land in rank order.
    std::size_t offset = 3;
    for (int r = 0; r < comm.rank(); ++r) offset += static_cast<std::size_t>(r) + 1;
    const std::size_t count = static_cast<std::size_t>(comm.rank()) + 1;
    const std::vector<double> block = rows_of(offset, count, row_size);
    expected_rows = 3 + static_cast<std::size_t>(comm.size() * (comm.size() + 1) / 2);
    EXPECT_EQ(out.append_rows("/series/u", {2, 3}, count, block.data()), expected_rows);
    // An append with no rows anywhere changes nothing.
    EXPECT_EQ(out.append_rows("/series/u", {2, 3}, 0, nullptr), expected_rows);
    // A 1D series (scalar rows), e.g. the times of the snapshots.
    const double t = 0.5;
    out.append_rows("/series/time", {}, comm.is_root() ? 1 : 0, &t);
    out.commit();
  }
  const H5Reader in(path);
  Dims dims;
  expect_rows(in.read("/series/u", &dims), expected_rows, row_size);
  EXPECT_EQ(dims, (Dims{expected_rows, 2, 3}));
  EXPECT_EQ(max_dims_of(path, "/series/u")[0], H5S_UNLIMITED);
  EXPECT_EQ(in.read("/series/time", &dims), std::vector<double>{0.5});
  EXPECT_EQ(dims, Dims{1});
}

TEST(OutputSeries, BadRowsThrowOnEveryRank) {
  const Communicator comm = Communicator::world();
  SharedScratch scratch(comm, "bad_rows");
  OutputFile out(comm, scratch.file("bad.h5"));
  out.create_dataset("/a", {4, 2});
  out.create_dataset("/fixed", {2, 2});
  // Only the last rank asks for rows past the end; every rank must see the error.
  const bool last = comm.rank() == comm.size() - 1;
  const std::vector<double> data(8, 1.0);
  EXPECT_THROW(out.write_rows("/a", last ? 3 : 0, last ? 2 : 0, data.data()), npde::Error);
  EXPECT_THROW(out.write_rows("/a", 0, last ? 1 : 0, nullptr), npde::Error);
  EXPECT_THROW(out.write_rows("/missing", 0, 0, nullptr), npde::Error);
  // A contiguous dataset cannot grow; appended rows must match the trailing extents.
  EXPECT_THROW(out.append_rows("/fixed", {2}, 0, nullptr), npde::Error);
  out.create_dataset("/grow", {0, 2}, true);
  EXPECT_THROW(out.append_rows("/grow", {3}, 0, nullptr), npde::Error);
  // The file is still usable after the refused calls.
  const auto mine = npde::decomp::block_range(4, comm.rank(), comm.size());
  out.write_rows("/a", mine.begin, mine.size(), data.data());
  EXPECT_EQ(out.append_rows("/grow", {2}, 1, data.data()), static_cast<unsigned long long>(comm.size()));
  out.commit();
  EXPECT_EQ(H5Reader(out.path()).read("/a"), std::vector<double>(8, 1.0));
}
