// SPDX-License-Identifier: BSD-3-Clause
// Tests of the temporal XDMF writer: the file parses into the expected element tree (a temporal
// collection of uniform grids, one hyperslab per attribute and step) with the right dims and slabs.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "npde/core/error.hpp"
#include "npde/io/xdmf.hpp"

namespace fs = std::filesystem;

namespace {

// A parsed XML element: enough of XML for the files our writers produce (no CDATA, comments are
// skipped, entities left as written).
struct Element {
  std::string name, text;
  std::map<std::string, std::string> attributes;
  std::vector<std::unique_ptr<Element>> children;

  std::vector<const Element*> all(const std::string& child_name) const {
    std::vector<const Element*> found;
    for (const auto& c : children)
      if (c->name == child_name) found.push_back(c.get());
    return found;
  }
  const Element& only(const std::string& child_name) const {
    const auto found = all(child_name);
    if (found.size() != 1) throw std::runtime_error(name + " has " + std::to_string(found.size()) + " <" + child_name + ">");
    return *found.front();
  }
  std::string attr(const std::string& key) const {
    const auto it = attributes.find(key);
    return it == attributes.end() ? "<missing " + key + ">" : it->second;
  }
};

// Parses `xml` into its root element; throws std::runtime_error on malformed input (unbalanced
// tags, unquoted attributes, text outside the root).
std::unique_ptr<Element> parse_xml(const std::string& xml) {
  std::vector<Element*> open;
  std::unique_ptr<Element> root;
  std::size_t i = 0;
  const auto fail = [&](const std::string& what) { throw std::runtime_error(what + " at offset " + std::to_string(i)); };
  while (i < xml.size()) {
    if (xml[i] != '<') {
      const std::size_t next = xml.find('<', i);
      const std::string text = xml.substr(i, next - i);
      if (open.empty() && text.find_first_not_of(" \n\t\r") != std::string::npos) fail("text outside the root");
      if (!open.empty()) open.back()->text += text;
      i = next == std::string::npos ? xml.size() : next;
      continue;
    }
    const std::size_t end = xml.find('>', i);
    if (end == std::string::npos) fail("unterminated tag");
    std::string tag = xml.substr(i + 1, end - i - 1);
    i = end + 1;
    if (tag.empty()) fail("empty tag");
    if (tag[0] == '?' || tag[0] == '!') continue;
    if (tag[0] == '/') {
      if (open.empty() || open.back()->name != tag.substr(1)) fail("unexpected </" + tag.substr(1) + ">");
      open.pop_back();
      continue;
    }
    const bool self_closing = tag.back() == '/';
    if (self_closing) tag.pop_back();
    auto element = std::make_unique<Element>();
    std::istringstream is(tag);
    is >> element->name;
    std::size_t pos = element->name.size();
    while (true) {
      pos = tag.find_first_not_of(" \n\t", pos);
      if (pos == std::string::npos) break;
      const std::size_t eq = tag.find('=', pos);
      if (eq == std::string::npos || eq + 1 >= tag.size() || tag[eq + 1] != '"') fail("bad attribute in <" + tag + ">");
      const std::size_t close = tag.find('"', eq + 2);
      if (close == std::string::npos) fail("unclosed quote in <" + tag + ">");
      element->attributes[tag.substr(pos, eq - pos)] = tag.substr(eq + 2, close - eq - 2);
      pos = close + 1;
    }
    Element* raw = element.get();
    if (open.empty()) {
      if (root) fail("second root element");
      root = std::move(element);
    } else {
      open.back()->children.push_back(std::move(element));
    }
    if (!self_closing) open.push_back(raw);
  }
  if (!open.empty()) throw std::runtime_error("unclosed <" + open.back()->name + ">");
  if (!root) throw std::runtime_error("no root element");
  return root;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class SeriesXdmfScratch {
 public:
  SeriesXdmfScratch()
      : m_dir(fs::path(NPDE_BINARY_DIR) / "test_scratch" / ("xdmf_series_" + std::to_string(::getpid()))) {
    fs::create_directories(m_dir);
  }
  ~SeriesXdmfScratch() { fs::remove_all(m_dir); }
  std::string file(const std::string& name) const { return (m_dir / name).string(); }

 private:
  fs::path m_dir;
};

// Checks step s of a temporal collection: its time, mesh and one hyperslab per attribute.
void check_step(const Element& grid, std::size_t s, const std::string& time, const std::string& mesh_dims,
                const std::string& full_dims, const std::string& slab_dims, const std::string& selection,
                const std::vector<std::pair<std::string, std::string>>& attributes, const std::string& h5) {
  EXPECT_EQ(grid.attr("GridType"), "Uniform");
  EXPECT_EQ(grid.only("Time").attr("Value"), time) << "step " << s;
  EXPECT_EQ(grid.only("Topology").attr("Dimensions"), mesh_dims);
  const auto attrs = grid.all("Attribute");
  ASSERT_EQ(attrs.size(), attributes.size());
  for (std::size_t a = 0; a < attributes.size(); ++a) {
    EXPECT_EQ(attrs[a]->attr("Name"), attributes[a].first);
    EXPECT_EQ(attrs[a]->attr("Center"), "Node");
    const Element& slab = attrs[a]->only("DataItem");
    EXPECT_EQ(slab.attr("ItemType"), "HyperSlab");
    EXPECT_EQ(slab.attr("Dimensions"), slab_dims);
    ASSERT_EQ(slab.children.size(), 2u);
    const Element& sel = *slab.children[0];
    const Element& heavy = *slab.children[1];
    EXPECT_EQ(sel.attr("Format"), "XML");
    EXPECT_EQ(sel.text, selection) << "step " << s;
    EXPECT_EQ(heavy.attr("Format"), "HDF");
    EXPECT_EQ(heavy.attr("Dimensions"), full_dims);
    EXPECT_EQ(heavy.text, h5 + ":" + attributes[a].second);
  }
}

void two_d_time_series() {
  SeriesXdmfScratch scratch;
  const std::string xmf = scratch.file("heat.xmf");
  const std::vector<std::pair<std::string, std::string>> attributes{{"u", "/fields/reference/u"},
                                                                     {"u_error", "/fields/error/u"}};
  const std::vector<double> times{0.0, 0.1, 0.25};
  npde::io::write_xdmf_series(xmf, "heat.h5", {7, 5}, times, attributes);
  std::unique_ptr<Element> root;
  ASSERT_NO_THROW(root = parse_xml(read_text(xmf))) << read_text(xmf);
  EXPECT_EQ(root->name, "Xdmf");
  const Element& collection = root->only("Domain").only("Grid");
  EXPECT_EQ(collection.attr("GridType"), "Collection");
  EXPECT_EQ(collection.attr("CollectionType"), "Temporal");
  const auto steps = collection.all("Grid");
  ASSERT_EQ(steps.size(), times.size());
  const char* time_text[] = {"0", "0.1", "0.25"};
  for (std::size_t s = 0; s < steps.size(); ++s) {
    // Start (s, 0, 0), stride (1, 1, 1), count (1, ny, nx) of the (3, ny, nx) dataset.
    const std::string selection = std::to_string(s) + " 0 0 1 1 1 1 5 7";
    check_step(*steps[s], s, time_text[s], "5 7", "3 5 7", "1 5 7", selection, attributes, "heat.h5");
    const auto coords = steps[s]->only("Geometry").all("DataItem");
    ASSERT_EQ(coords.size(), 2u);
    EXPECT_EQ(coords[0]->text, "heat.h5:/fields/grid/x");
    EXPECT_EQ(coords[1]->attr("Dimensions"), "5");
  }
}

void one_and_three_d_series() {
  SeriesXdmfScratch scratch;
  // 1D: a line one point thick, as write_xdmf does; eigenmodes indexed 0, 1.
  npde::io::write_xdmf_series(scratch.file("modes.xmf"), "modes.h5", {9}, {0, 1}, {{"psi", "/fields/reference/psi"}});
  const auto line = parse_xml(read_text(scratch.file("modes.xmf")));
  const auto line_steps = line->only("Domain").only("Grid").all("Grid");
  ASSERT_EQ(line_steps.size(), 2u);
  check_step(*line_steps[1], 1, "1", "1 9", "2 9", "1 9", "1 0 1 1 1 9", {{"psi", "/fields/reference/psi"}}, "modes.h5");
  EXPECT_EQ(line_steps[1]->only("Geometry").all("DataItem").size(), 2u);  // x from HDF5, y = 0 inline

  npde::io::write_xdmf_series(scratch.file("box.xmf"), "box.h5", {4, 3, 2}, {0.5}, {{"w", "/w"}}, "/grid");
  const auto box = parse_xml(read_text(scratch.file("box.xmf")));
  const auto box_steps = box->only("Domain").only("Grid").all("Grid");
  ASSERT_EQ(box_steps.size(), 1u);
  check_step(*box_steps[0], 0, "0.5", "2 3 4", "1 2 3 4", "1 2 3 4", "0 0 0 0 1 1 1 1 1 2 3 4", {{"w", "/w"}}, "box.h5");
  EXPECT_EQ(box_steps[0]->only("Geometry").all("DataItem")[2]->text, "box.h5:/grid/z");
}

void times_round_trip_exactly() {
  SeriesXdmfScratch scratch;
  const std::vector<double> times{1.0 / 3.0, 2e-7, 123456.789};
  npde::io::write_xdmf_series(scratch.file("t.xmf"), "t.h5", {3}, times, {{"u", "/u"}});
  const auto root = parse_xml(read_text(scratch.file("t.xmf")));
  const auto steps = root->only("Domain").only("Grid").all("Grid");
  ASSERT_EQ(steps.size(), times.size());
  for (std::size_t s = 0; s < times.size(); ++s) EXPECT_EQ(std::stod(steps[s]->only("Time").attr("Value")), times[s]);
}

void bad_series_arguments_throw() {
  SeriesXdmfScratch scratch;
  EXPECT_THROW(npde::io::write_xdmf_series(scratch.file("a.xmf"), "a.h5", {3}, {}, {{"u", "/u"}}), npde::Error);
  EXPECT_THROW(npde::io::write_xdmf_series(scratch.file("a.xmf"), "a.h5", {}, {0.0}, {}), npde::Error);
  EXPECT_THROW(npde::io::write_xdmf_series(scratch.file("a.xmf"), "a.h5", {3}, {0.0}, {{"u", "u"}}), npde::Error);
}

}  // namespace

TEST(XdmfSeries, TwoDTimeSeries) { two_d_time_series(); }
TEST(XdmfSeries, OneAndThreeD) { one_and_three_d_series(); }
TEST(XdmfSeries, TimesRoundTripExactly) { times_round_trip_exactly(); }
TEST(XdmfSeries, BadArgumentsThrow) { bad_series_arguments_throw(); }
