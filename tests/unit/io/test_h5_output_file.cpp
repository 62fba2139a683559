// SPDX-License-Identifier: BSD-3-Clause
// Single-process tests of OutputFile (temporary name, commit, round trips) and H5Reader.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "npde/core/error.hpp"
#include "npde/decomp/communicator.hpp"
#include "npde/io/output_file.hpp"

namespace fs = std::filesystem;
using npde::io::H5Reader;
using npde::io::OutputFile;

namespace {

// A fresh folder per test under the build tree, removed afterwards.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& tag)
      : m_dir(fs::path(NPDE_BINARY_DIR) / "test_scratch" / (tag + "_" + std::to_string(::getpid()))) {
    fs::remove_all(m_dir);
    fs::create_directories(m_dir);
  }
  ~ScratchDir() { fs::remove_all(m_dir); }
  std::string file(const std::string& name) const { return (m_dir / name).string(); }

 private:
  fs::path m_dir;
};

bool bits_equal(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0);
}

// Values whose last bits, signs and specials would show any conversion or rounding.
std::vector<double> awkward_values(std::size_t n, double seed) {
  std::vector<double> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = std::sin(seed + 0.1 * static_cast<double>(i)) / 3.0;
  if (n > 3) {
    v[0] = -0.0;
    v[1] = std::numeric_limits<double>::denorm_min();
    v[2] = std::numeric_limits<double>::infinity();
  }
  return v;
}

void round_trip_is_bit_exact() {
  ScratchDir scratch("round_trip");
  const std::string path = scratch.file("run.h5");
  const auto comm = npde::decomp::Communicator::world();
  const std::vector<double> u2 = awkward_values(5 * 7, 0.3), u3 = awkward_values(2 * 3 * 4, 1.7),
                            xs = awkward_values(7, 2.9);
  const std::vector<std::string> columns{"iteration", "loss", "lr"};
  const std::vector<std::vector<double>> rows{{0, 1.5, 0.25}, {100, 0.1 + 0.2, 1e-300}, {200, -0.0, 3.0}};
  {
    OutputFile out(comm, path);
    EXPECT_TRUE(fs::exists(path + ".tmp"));
    EXPECT_FALSE(fs::exists(path));
    out.set_attribute("/", "npde_version", std::string("0.1.0"));
    out.set_attribute("/", "unit", "\xc2\xb5m");  // UTF-8 "µm"
    out.set_attribute("/", "empty", std::string());
    out.set_attribute("/", "tolerance", 0.1 + 0.2);
    out.set_attribute("/run", "seed", 1234567890123LL);
    out.set_attribute("/run", "seed", -42LL);  // replaces the first value
    out.set_attribute("/run/deeper", "ranks", 1);
    out.write_history(columns, rows);
    out.write_field("/fields/pinn/u", {5, 7}, 0, 5, u2.data());
    out.write_field("/fields/volume", {2, 3, 4}, 0, 2, u3.data());
    out.write_array("/fields/grid/x", xs);
    out.set_attribute("/fields/pinn/u", "units", "none");  // attribute on a dataset
    EXPECT_TRUE(out.exists("/fields/pinn"));
    EXPECT_FALSE(out.exists("/fields/nothing/here"));
    out.flush();
    out.commit();
    EXPECT_TRUE(out.committed());
    EXPECT_TRUE(fs::exists(path));
    EXPECT_FALSE(fs::exists(path + ".tmp"));
  }
  EXPECT_TRUE(fs::exists(path)) << "the destructor of a committed file must keep it";

  const H5Reader in(path);
  EXPECT_EQ(in.attribute_string("/", "npde_version"), "0.1.0");
  EXPECT_EQ(in.attribute_string("/", "unit"), "\xc2\xb5m");
  EXPECT_EQ(in.attribute_string("/", "empty"), "");
  const double tol = in.attribute_double("/", "tolerance");
  EXPECT_EQ(std::memcmp(&tol, &rows[1][1], sizeof tol), 0);
  EXPECT_EQ(in.attribute_int("/run", "seed"), -42);
  EXPECT_EQ(in.attribute_int("/run/deeper", "ranks"), 1);
  EXPECT_EQ(in.attribute_string("/fields/pinn/u", "units"), "none");
  EXPECT_TRUE(in.has_attribute("/run", "seed"));
  EXPECT_FALSE(in.has_attribute("/run", "nope"));
  EXPECT_EQ(in.list("/history"), columns);

  for (std::size_t c = 0; c < columns.size(); ++c) {
    std::vector<unsigned long long> dims;
    const std::vector<double> column = in.read("/history/" + columns[c], &dims);
    ASSERT_EQ(dims, (std::vector<unsigned long long>{3}));
    EXPECT_TRUE(bits_equal(column, {rows[0][c], rows[1][c], rows[2][c]})) << "column " << c;
  }
  std::vector<unsigned long long> dims;
  EXPECT_TRUE(bits_equal(in.read("/fields/pinn/u", &dims), u2));
  EXPECT_EQ(dims, (std::vector<unsigned long long>{5, 7}));
  EXPECT_TRUE(bits_equal(in.read("/fields/volume", &dims), u3));
  EXPECT_EQ(dims, (std::vector<unsigned long long>{2, 3, 4}));
  EXPECT_TRUE(bits_equal(in.read("/fields/grid/x"), xs));
}

void uncommitted_file_leaves_nothing() {
  ScratchDir scratch("uncommitted");
  const std::string path = scratch.file("run.h5");
  const auto comm = npde::decomp::Communicator::world();
  const std::vector<double> u(12, 1.0);
  try {
    OutputFile out(comm, path);
    out.write_field("/fields/u", {3, 4}, 0, 3, u.data());
    throw std::runtime_error("simulated failure mid-run");
  } catch (const std::runtime_error&) {
  }
  EXPECT_FALSE(fs::exists(path));
  EXPECT_FALSE(fs::exists(path + ".tmp"));
}

void commit_replaces_previous_run() {
  ScratchDir scratch("rerun");
  const std::string path = scratch.file("run.h5");
  const auto comm = npde::decomp::Communicator::world();
  for (long long run = 1; run <= 2; ++run) {
    OutputFile out(comm, path);
    out.set_attribute("/", "run", run);
    if (run == 2) {
      EXPECT_EQ(H5Reader(path).attribute_int("/", "run"), 1) << "old file stays until commit";
    }
    out.commit();
  }
  EXPECT_EQ(H5Reader(path).attribute_int("/", "run"), 2);
}

void rewrites_resize_and_replace() {
  ScratchDir scratch("rewrite");
  const std::string path = scratch.file("run.h5");
  const auto comm = npde::decomp::Communicator::world();
  {
    OutputFile out(comm, path);
    for (std::size_t n : {3u, 2000u, 2u}) {  // grows past one chunk, then shrinks
      std::vector<std::vector<double>> rows(n);
      for (std::size_t r = 0; r < n; ++r) rows[r] = {static_cast<double>(r), 1.0 / static_cast<double>(r + 1)};
      out.write_history({"iteration", "loss"}, rows);
    }
    out.write_history({"empty"}, {});
    const std::vector<double> a(6, 1.0), b(4, 2.0);
    out.write_field("/fields/u", {2, 3}, 0, 2, a.data());
    out.write_field("/fields/u", {2, 2}, 0, 2, b.data());  // new shape: replaced
    out.write_array("/a", {1.0, 2.0, 3.0});
    out.write_array("/a", {4.0});
    out.commit();
  }
  const H5Reader in(path);
  EXPECT_EQ(in.read("/history/loss"), (std::vector<double>{1.0, 0.5}));
  EXPECT_TRUE(in.read("/history/empty").empty());
  std::vector<unsigned long long> dims;
  EXPECT_EQ(in.read("/fields/u", &dims), std::vector<double>(4, 2.0));
  EXPECT_EQ(dims, (std::vector<unsigned long long>{2, 2}));
  EXPECT_EQ(in.read("/a"), std::vector<double>{4.0});
}

void bad_calls_throw_and_leave_file_usable() {
  ScratchDir scratch("preconditions");
  const std::string path = scratch.file("run.h5");
  const auto comm = npde::decomp::Communicator::world();
  const std::vector<double> u(8, 1.0);
  OutputFile out(comm, path);
  EXPECT_THROW(out.write_field("relative/path", {2, 4}, 0, 2, u.data()), npde::Error);
  EXPECT_THROW(out.write_field("/f", {2, 4}, 1, 2, u.data()), npde::Error);      // slab past the end
  EXPECT_THROW(out.write_field("/f", {2, 4}, 0, 1, u.data()), npde::Error);      // rows not covered
  EXPECT_THROW(out.write_field("/f", {2, 4}, 0, 2, nullptr), npde::Error);       // no data
  EXPECT_THROW(out.write_field("/f", {}, 0, 0, u.data()), npde::Error);          // no dims
  EXPECT_THROW(out.write_history({"a", "b"}, {{1.0, 2.0}, {3.0}}), npde::Error);  // short row
  EXPECT_THROW(out.write_history({"a", "a"}, {}), npde::Error);
  EXPECT_THROW(out.set_attribute("/a//b", "x", 1.0), npde::Error);
  out.write_field("/f", {2, 4}, 0, 2, u.data());
  out.commit();
  EXPECT_THROW(out.commit(), npde::Error);
  EXPECT_THROW(out.set_attribute("/", "late", 1.0), npde::Error);
  EXPECT_EQ(H5Reader(path).read("/f"), u);
}

void hdf5_failures_name_the_call() {
  ScratchDir scratch("failures");
  const auto comm = npde::decomp::Communicator::world();
  try {
    OutputFile out(comm, scratch.file("missing_dir/run.h5"));
    ADD_FAILURE() << "creating a file in a missing folder must throw";
  } catch (const npde::Error& e) {
    EXPECT_NE(std::string(e.what()).find("H5Fcreate"), std::string::npos) << e.what();
  }
  EXPECT_THROW(H5Reader(scratch.file("absent.h5")), npde::Error);
  {
    OutputFile out(comm, scratch.file("run.h5"));
    out.write_array("/a", {1.0});
    out.commit();
  }
  const H5Reader in(scratch.file("run.h5"));
  EXPECT_THROW(in.read("/b"), npde::Error);
  EXPECT_THROW(in.attribute_double("/a", "none"), npde::Error);
  EXPECT_FALSE(in.exists("/b/c"));
  EXPECT_TRUE(in.exists("/"));
}

}  // namespace

TEST(OutputFile, RoundTripIsBitExact) { round_trip_is_bit_exact(); }
TEST(OutputFile, UncommittedFileLeavesNothing) { uncommitted_file_leaves_nothing(); }
TEST(OutputFile, CommitReplacesPreviousRun) { commit_replaces_previous_run(); }
TEST(OutputFile, RewritesResizeAndReplace) { rewrites_resize_and_replace(); }
TEST(OutputFile, BadCallsThrowAndLeaveFileUsable) { bad_calls_throw_and_leave_file_usable(); }
TEST(H5Reader, FailuresNameTheCall) { hdf5_failures_name_the_call(); }
