// SPDX-License-Identifier: BSD-3-Clause
// Tests of the XDMF sidecar writer: well-formed XML naming the grid sizes and HDF5 datasets.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "npde/core/error.hpp"
#include "npde/io/xdmf.hpp"

namespace fs = std::filesystem;

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Minimal XML well-formedness: every element closes in order, quotes balance inside tags, and
// text contains no raw '<' or '&' outside entities. Returns "" or a description of the problem.
std::string xml_problem(const std::string& xml) {
  std::vector<std::string> open;
  std::size_t i = 0;
  while (i < xml.size()) {
    if (xml[i] == '&') {
      const std::size_t semi = xml.find(';', i);
      if (semi == std::string::npos || semi - i > 6) return "bare '&' at " + std::to_string(i);
      i = semi + 1;
      continue;
    }
    if (xml[i] != '<') {
      ++i;
      continue;
    }
    std::size_t end = i + 1;
    bool in_quotes = false;
    while (end < xml.size() && (in_quotes || xml[end] != '>')) {
      if (xml[end] == '"') in_quotes = !in_quotes;
      if (xml[end] == '<' && !in_quotes) return "'<' inside a tag at " + std::to_string(end);
      ++end;
    }
    if (end >= xml.size()) return "unterminated tag at " + std::to_string(i);
    const std::string tag = xml.substr(i + 1, end - i - 1);
    i = end + 1;
    if (tag.empty() || tag[0] == '?' || tag[0] == '!') continue;
    const std::string name = tag.substr(tag[0] == '/' ? 1 : 0, tag.find_first_of(" /", 1) - (tag[0] == '/' ? 1 : 0));
    if (tag[0] == '/') {
      if (open.empty() || open.back() != name) return "unexpected </" + name + ">";
      open.pop_back();
    } else if (tag.back() != '/') {
      open.push_back(name);
    }
  }
  return open.empty() ? "" : "unclosed <" + open.back() + ">";
}

class XdmfScratch {
 public:
  XdmfScratch() : m_dir(fs::path(NPDE_BINARY_DIR) / "test_scratch" / ("xdmf_" + std::to_string(::getpid()))) {
    fs::create_directories(m_dir);
  }
  ~XdmfScratch() { fs::remove_all(m_dir); }
  std::string file(const std::string& name) const { return (m_dir / name).string(); }

 private:
  fs::path m_dir;
};

void two_d_names_dims_and_datasets() {
  XdmfScratch scratch;
  const std::string xmf = scratch.file("run.xmf");
  npde::io::write_xdmf(xmf, "run.h5", {7, 5}, {{"u", "/fields/pinn/u"}, {"u_ref & error", "/fields/error"}});
  const std::string text = read_text(xmf);
  EXPECT_EQ(xml_problem(text), "") << text;
  EXPECT_NE(text.find("TopologyType=\"2DRectMesh\" Dimensions=\"5 7\""), std::string::npos) << text;
  EXPECT_NE(text.find("GeometryType=\"VXVY\""), std::string::npos);
  EXPECT_NE(text.find(">run.h5:/fields/grid/x<"), std::string::npos);
  EXPECT_NE(text.find(">run.h5:/fields/grid/y<"), std::string::npos);
  EXPECT_NE(text.find("Dimensions=\"5 7\" NumberType=\"Float\" Precision=\"8\" Format=\"HDF\">run.h5:/fields/pinn/u<"),
            std::string::npos);
  EXPECT_NE(text.find("Name=\"u_ref &amp; error\""), std::string::npos);
  EXPECT_EQ(text.find("/fields/grid/z"), std::string::npos);
}

void one_and_three_d() {
  XdmfScratch scratch;
  npde::io::write_xdmf(scratch.file("line.xmf"), "line.h5", {9}, {{"u", "/fields/u"}});
  const std::string line = read_text(scratch.file("line.xmf"));
  EXPECT_EQ(xml_problem(line), "") << line;
  EXPECT_NE(line.find("Dimensions=\"1 9\""), std::string::npos) << line;
  EXPECT_NE(line.find("Dimensions=\"9\" NumberType=\"Float\" Precision=\"8\" Format=\"HDF\">line.h5:/fields/u<"),
            std::string::npos);

  npde::io::write_xdmf(scratch.file("box.xmf"), "box.h5", {4, 3, 2}, {{"u", "/fields/u"}}, "/grid");
  const std::string box = read_text(scratch.file("box.xmf"));
  EXPECT_EQ(xml_problem(box), "") << box;
  EXPECT_NE(box.find("TopologyType=\"3DRectMesh\" Dimensions=\"2 3 4\""), std::string::npos) << box;
  EXPECT_NE(box.find("GeometryType=\"VXVYVZ\""), std::string::npos);
  EXPECT_NE(box.find("Dimensions=\"2\" NumberType=\"Float\" Precision=\"8\" Format=\"HDF\">box.h5:/grid/z<"),
            std::string::npos);
}

void bad_arguments_throw() {
  XdmfScratch scratch;
  EXPECT_THROW(npde::io::write_xdmf(scratch.file("a.xmf"), "a.h5", {}, {}), npde::Error);
  EXPECT_THROW(npde::io::write_xdmf(scratch.file("a.xmf"), "a.h5", {1, 2, 3, 4}, {}), npde::Error);
  EXPECT_THROW(npde::io::write_xdmf(scratch.file("a.xmf"), "a.h5", {3, 0}, {}), npde::Error);
  EXPECT_THROW(npde::io::write_xdmf(scratch.file("a.xmf"), "a.h5", {3}, {{"u", "fields/u"}}), npde::Error);
  EXPECT_THROW(npde::io::write_xdmf(scratch.file("no_dir/a.xmf"), "a.h5", {3}, {}), npde::Error);
}

void sidecar_names() {
  EXPECT_EQ(npde::io::xdmf_path_for("out/run.h5"), "out/run.xmf");
  EXPECT_EQ(npde::io::xdmf_path_for("run.hdf5"), "run.hdf5.xmf");
  EXPECT_EQ(npde::io::file_name_of("out/run.h5"), "run.h5");
  EXPECT_EQ(npde::io::file_name_of("run.h5"), "run.h5");
}

}  // namespace

TEST(Xdmf, TwoDNamesDimsAndDatasets) { two_d_names_dims_and_datasets(); }
TEST(Xdmf, OneAndThreeD) { one_and_three_d(); }
TEST(Xdmf, BadArgumentsThrow) { bad_arguments_throw(); }
TEST(Xdmf, SidecarNames) { sidecar_names(); }
