// SPDX-License-Identifier: BSD-3-Clause
// write_grid_solution: synthetic steady, time-series and eigenmode solutions written collectively
// and read back bit for bit, with the error field, series axis, summary and XDMF sidecar.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "npde/app/reference_report.hpp"
#include "npde/core/error.hpp"
#include "npde/decomp/communicator.hpp"
#include "support/shared_scratch.hpp"
#include "npde/io/deck.hpp"
#include "npde/io/output_file.hpp"
#include "npde/reference/grid_solution.hpp"

namespace fs = std::filesystem;
using npde::decomp::Communicator;
using npde::io::H5Reader;
using npde::reference::GridSolution;
using Dims = std::vector<unsigned long long>;

namespace {

using npde::test::SharedScratch;

npde::io::Deck make_deck(const std::string& file, const std::string& pde) {
  npde::io::Deck deck;
  deck.text = "# synthetic reference deck\n";
  deck.path = "synthetic.yaml";
  deck.pde = pde;
  deck.output_file = file;
  return deck;
}

std::vector<double> pattern(std::size_t n, double scale) {
  std::vector<double> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = scale * std::sin(0.37 * static_cast<double>(i)) + 1e-3 * static_cast<double>(i);
  return v;
}

bool bitwise_equal(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0);
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
  return n;
}

hsize_t max_dim0(const std::string& file, const std::string& dataset) {
  const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  const hid_t d = H5Dopen2(f, dataset.c_str(), H5P_DEFAULT);
  const hid_t s = H5Dget_space(d);
  hsize_t dims[H5S_MAX_RANK], max_dims[H5S_MAX_RANK];
  H5Sget_simple_extent_dims(s, dims, max_dims);
  H5Sclose(s);
  H5Dclose(d);
  H5Fclose(f);
  return max_dims[0];
}

// Writes `sol` collectively into `file` and returns a reader of the committed file.
H5Reader write_and_open(const Communicator& comm, const std::string& file, const std::string& pde,
                        const GridSolution& sol) {
  npde::io::OutputFile out(comm, file);
  npde::app::write_grid_solution(comm, make_deck(file, pde), sol, out);
  EXPECT_TRUE(out.committed());
  EXPECT_FALSE(fs::exists(file + ".tmp"));
  return H5Reader(file);
}

}  // namespace

TEST(ReferenceReport, SteadyFieldsExactAndError) {
  const Communicator comm = Communicator::world();
  SharedScratch scratch(comm, "ref_steady");
  GridSolution sol;
  sol.axes = {npde::reference::closed_axis(0, 1, 6), npde::reference::periodic_axis(0, 2, 3)};  // nx = 6, ny = 3
  sol.fields = {{"u", pattern(18, 1.0)}, {"v", pattern(18, -2.0)}};
  sol.exact = {{"u", pattern(18, 1.001)}};
  sol.summary = {{"seconds", 0.25}, {"rel_l2_exact", 1e-3}};
  sol.summary_text = {{"solver", "synthetic"}};
  const std::string file = scratch.file("steady.h5");
  const H5Reader in = write_and_open(comm, file, "helmholtz", sol);

  Dims dims;
  EXPECT_TRUE(bitwise_equal(in.read("/fields/reference/u", &dims), sol.fields[0].second));
  EXPECT_EQ(dims, (Dims{3, 6}));
  EXPECT_TRUE(bitwise_equal(in.read("/fields/reference/v"), sol.fields[1].second));
  EXPECT_TRUE(bitwise_equal(in.read("/fields/exact/u"), sol.exact[0].second));
  const std::vector<double> error = in.read("/fields/error/u");
  for (std::size_t i = 0; i < 18; ++i) EXPECT_EQ(error[i], sol.fields[0].second[i] - sol.exact[0].second[i]);
  EXPECT_FALSE(in.exists("/fields/exact/v"));
  EXPECT_FALSE(in.exists("/time"));
  EXPECT_EQ(in.read("/fields/grid/y"), sol.axes[1]);
  EXPECT_EQ(in.attribute_string("/fields", "series_kind"), "");
  EXPECT_EQ(in.attribute_double("/summary", "rel_l2_exact"), 1e-3);
  EXPECT_EQ(in.attribute_string("/summary", "solver"), "synthetic");
  EXPECT_EQ(in.attribute_string("/", "generator"), "npde reference");
  EXPECT_EQ(in.attribute_string("/", "pde"), "helmholtz");
  EXPECT_EQ(in.attribute_string("/", "deck"), "# synthetic reference deck\n");
  EXPECT_EQ(in.attribute_int("/", "ranks"), comm.size());

  const std::string xmf = read_text(scratch.file("steady.xmf"));
  EXPECT_NE(xmf.find("steady.h5:/fields/error/u"), std::string::npos) << xmf;
  EXPECT_NE(xmf.find("Name=\"u_exact\""), std::string::npos);
  EXPECT_EQ(xmf.find("Temporal"), std::string::npos);
}

TEST(ReferenceReport, TimeSeriesIsExtendibleWithTemporalSidecar) {
  const Communicator comm = Communicator::world();
  SharedScratch scratch(comm, "ref_time");
  GridSolution sol;
  sol.axes = {npde::reference::closed_axis(-1, 1, 9)};
  sol.series_kind = "time";
  sol.series = {0.0, 0.25, 0.5};
  sol.fields = {{"u", pattern(27, 0.5)}};
  sol.exact = {{"u", pattern(27, 0.4)}};
  const std::string file = scratch.file("heat.h5");
  const H5Reader in = write_and_open(comm, file, "heat", sol);
  Dims dims;
  EXPECT_TRUE(bitwise_equal(in.read("/fields/reference/u", &dims), sol.fields[0].second));
  EXPECT_EQ(dims, (Dims{3, 9}));
  EXPECT_EQ(in.read("/time"), sol.series);
  EXPECT_EQ(in.attribute_string("/fields", "series_kind"), "time");
  EXPECT_EQ(max_dim0(file, "/fields/reference/u"), H5S_UNLIMITED);
  EXPECT_EQ(max_dim0(file, "/fields/error/u"), H5S_UNLIMITED);
  const std::vector<double> error = in.read("/fields/error/u");
  EXPECT_EQ(error[26], sol.fields[0].second[26] - sol.exact[0].second[26]);

  const std::string xmf = read_text(scratch.file("heat.xmf"));
  EXPECT_NE(xmf.find("CollectionType=\"Temporal\""), std::string::npos) << xmf;
  EXPECT_EQ(count_of(xmf, "<Time "), 3u);
  EXPECT_NE(xmf.find("<Time Value=\"0.25\"/>"), std::string::npos);
  EXPECT_EQ(count_of(xmf, "heat.h5:/fields/error/u"), 3u);
}

TEST(ReferenceReport, EigenmodesFewerThanRanks) {
  const Communicator comm = Communicator::world();
  SharedScratch scratch(comm, "ref_eigen");
  GridSolution sol;
  sol.axes = {npde::reference::closed_axis(0, 1, 4), npde::reference::closed_axis(0, 1, 5)};
  sol.series_kind = "eigenvalue";
  sol.series = {2.5};  // one mode: at 2 ranks, rank 1 writes no rows
  sol.fields = {{"psi", pattern(20, 3.0)}};
  const std::string file = scratch.file("modes.h5");
  const H5Reader in = write_and_open(comm, file, "schrodinger", sol);
  Dims dims;
  EXPECT_TRUE(bitwise_equal(in.read("/fields/reference/psi", &dims), sol.fields[0].second));
  EXPECT_EQ(dims, (Dims{1, 5, 4}));
  EXPECT_EQ(in.read("/eigenvalues"), std::vector<double>{2.5});
  EXPECT_FALSE(in.exists("/fields/error"));
  const std::string xmf = read_text(scratch.file("modes.xmf"));
  EXPECT_NE(xmf.find("<Time Value=\"0\"/>"), std::string::npos) << xmf;  // the mode index, not 2.5

  const std::string table = npde::app::grid_solution_summary(sol);
  EXPECT_NE(table.find("4 x 5"), std::string::npos) << table;
  EXPECT_NE(table.find("eigenvalue_0"), std::string::npos) << table;
}

TEST(ReferenceReport, MismatchedShapesThrowBeforeWriting) {
  const Communicator comm = Communicator::world();
  SharedScratch scratch(comm, "ref_bad");
  GridSolution sol;
  sol.axes = {npde::reference::closed_axis(0, 1, 4)};
  sol.series_kind = "time";
  sol.series = {0.0, 1.0};
  sol.fields = {{"u", pattern(4, 1.0)}};  // one snapshot's worth, two expected
  const std::string file = scratch.file("bad.h5");
  {
    npde::io::OutputFile out(comm, file);
    EXPECT_THROW(npde::app::write_grid_solution(comm, make_deck(file, "heat"), sol, out), npde::Error);
    sol.fields[0].second = pattern(8, 1.0);
    sol.exact = {{"w", pattern(8, 1.0)}};  // no computed field named w
    EXPECT_THROW(npde::app::write_grid_solution(comm, make_deck(file, "heat"), sol, out), npde::Error);
  }
  comm.barrier();
  EXPECT_FALSE(fs::exists(file));
  EXPECT_FALSE(fs::exists(file + ".tmp"));

  GridSolution steady;
  steady.axes = {npde::reference::closed_axis(0, 1, 3)};
  steady.fields = {{"u", {1, 2, 3}}};
  steady.summary = {{"seconds", 1.5}};
  steady.summary_text = {{"solver", "KSP cg"}};
  const std::string table = npde::app::grid_solution_summary(steady);
  EXPECT_NE(table.find("seconds"), std::string::npos) << table;
  EXPECT_NE(table.find("KSP cg"), std::string::npos) << table;
}
