// SPDX-License-Identifier: BSD-3-Clause
// Writes XDMF 3 sidecars (rectilinear grids, node-centred scalars) pointing into an HDF5 file.
#include "npde/io/xdmf.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "npde/core/error.hpp"

namespace npde::io {

namespace {

std::string xml_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

// Dimensions string slowest first, as XDMF (like HDF5) lists them.
std::string slowest_first(const std::vector<unsigned long long>& dims_xyz) {
  std::ostringstream os;
  for (std::size_t i = dims_xyz.size(); i-- > 0;) os << dims_xyz[i] << (i > 0 ? " " : "");
  return os.str();
}

void heavy_item(std::ostream& os, const std::string& indent, const std::string& dims, const std::string& h5_file,
                const std::string& dataset) {
  os << indent << "<DataItem Dimensions=\"" << dims
     << "\" NumberType=\"Float\" Precision=\"8\" Format=\"HDF\">" << xml_escape(h5_file) << ":"
     << xml_escape(dataset) << "</DataItem>\n";
}

void check_grid(const std::string& xmf_path, const std::string& h5_filename,
                const std::vector<unsigned long long>& dims_xyz,
                const std::vector<std::pair<std::string, std::string>>& attributes) {
  const std::size_t dim = dims_xyz.size();
  NPDE_REQUIRE(dim >= 1 && dim <= 3, "grid has " << dim << " dimensions, expected 1 to 3");
  for (std::size_t d = 0; d < dim; ++d) NPDE_REQUIRE(dims_xyz[d] > 0, "grid extent " << d << " is 0");
  NPDE_REQUIRE(!h5_filename.empty(), "empty HDF5 file name for '" << xmf_path << "'");
  for (const auto& [name, dataset] : attributes)
    NPDE_REQUIRE(!name.empty() && !dataset.empty() && dataset.front() == '/',
                 "attribute '" << name << "' -> '" << dataset << "' needs a name and an absolute dataset path");
}

// Topology and geometry of the rectilinear grid, the same for a single grid and for every
// member of a temporal collection.
void grid_mesh(std::ostream& os, const std::string& indent, const std::string& h5_filename,
               const std::vector<unsigned long long>& dims_xyz, const std::string& grid_group) {
  const std::size_t dim = dims_xyz.size();
  // ParaView's XDMF 3 reader has no 1D structured topology; a 2D mesh one point thick in y
  // shows the same data as a line, and its single y coordinate needs no dataset of its own.
  const bool line = dim == 1;
  const std::string topology = dim == 3 ? "3DRectMesh" : "2DRectMesh";
  const std::string geometry = dim == 3 ? "VXVYVZ" : "VXVY";
  const std::string mesh_dims = line ? "1 " + std::to_string(dims_xyz[0]) : slowest_first(dims_xyz);
  const char* axes[] = {"x", "y", "z"};
  os << indent << "<Topology TopologyType=\"" << topology << "\" Dimensions=\"" << mesh_dims << "\"/>\n"
     << indent << "<Geometry GeometryType=\"" << geometry << "\">\n";
  for (std::size_t d = 0; d < dim; ++d)
    heavy_item(os, indent + "  ", std::to_string(dims_xyz[d]), h5_filename, grid_group + "/" + axes[d]);
  if (line)
    os << indent << "  <DataItem Dimensions=\"1\" NumberType=\"Float\" Precision=\"8\" Format=\"XML\">0</DataItem>\n";
  os << indent << "</Geometry>\n";
}

const char* xdmf_header =
    "<?xml version=\"1.0\" ?>\n"
    "<!DOCTYPE Xdmf SYSTEM \"Xdmf.dtd\" []>\n"
    "<Xdmf Version=\"3.0\" xmlns:xi=\"http://www.w3.org/2001/XInclude\">\n"
    "  <Domain>\n";
const char* xdmf_footer =
    "  </Domain>\n"
    "</Xdmf>\n";

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  NPDE_REQUIRE(out.good(), "cannot open '" << path << "' for writing");
  out << text;
  out.close();
  NPDE_REQUIRE(!out.fail(), "writing '" << path << "' failed");
}

// Shortest text that reads back as the same double (ParaView shows it as the time value).
std::string exact_number(double v) {
  char buf[32];
  for (int precision = 6; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

}  // namespace

std::string xdmf_path_for(const std::string& h5_path) {
  const std::string suffix = ".h5";
  const bool has_suffix =
      h5_path.size() > suffix.size() && h5_path.compare(h5_path.size() - suffix.size(), suffix.size(), suffix) == 0;
  return (has_suffix ? h5_path.substr(0, h5_path.size() - suffix.size()) : h5_path) + ".xmf";
}

std::string file_name_of(const std::string& path) {
  const std::size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

void write_xdmf(const std::string& xmf_path, const std::string& h5_filename,
                const std::vector<unsigned long long>& dims_xyz,
                const std::vector<std::pair<std::string, std::string>>& attributes, const std::string& grid_group) {
  check_grid(xmf_path, h5_filename, dims_xyz, attributes);
  const std::string data_dims = slowest_first(dims_xyz);
  std::ostringstream os;
  os << xdmf_header << "    <Grid Name=\"npde\" GridType=\"Uniform\">\n";
  grid_mesh(os, "      ", h5_filename, dims_xyz, grid_group);
  for (const auto& [name, dataset] : attributes) {
    os << "      <Attribute Name=\"" << xml_escape(name) << "\" AttributeType=\"Scalar\" Center=\"Node\">\n";
    heavy_item(os, "        ", data_dims, h5_filename, dataset);
    os << "      </Attribute>\n";
  }
  os << "    </Grid>\n" << xdmf_footer;
  write_text(xmf_path, os.str());
}

void write_xdmf_series(const std::string& xmf_path, const std::string& h5_filename,
                       const std::vector<unsigned long long>& dims_xyz, const std::vector<double>& series_values,
                       const std::vector<std::pair<std::string, std::string>>& attributes,
                       const std::string& grid_group) {
  check_grid(xmf_path, h5_filename, dims_xyz, attributes);
  NPDE_REQUIRE(!series_values.empty(), "series for '" << xmf_path << "' has no entries");
  const std::size_t rank = dims_xyz.size() + 1;  // of each attribute's dataset: (s, [z,] [y,] x)
  const std::string grid_dims = slowest_first(dims_xyz);
  const std::string full_dims = std::to_string(series_values.size()) + " " + grid_dims;
  const std::string slab_dims = "1 " + grid_dims;
  std::string ones, zeros;
  for (std::size_t d = 1; d < rank; ++d) {
    ones += " 1";
    zeros += " 0";
  }

  std::ostringstream os;
  os << xdmf_header << "    <Grid Name=\"npde\" GridType=\"Collection\" CollectionType=\"Temporal\">\n";
  for (std::size_t s = 0; s < series_values.size(); ++s) {
    os << "      <Grid Name=\"step_" << s << "\" GridType=\"Uniform\">\n"
       << "        <Time Value=\"" << exact_number(series_values[s]) << "\"/>\n";
    grid_mesh(os, "        ", h5_filename, dims_xyz, grid_group);
    for (const auto& [name, dataset] : attributes) {
      // The hyperslab's three rows are start, stride and count, each of the dataset's rank.
      os << "        <Attribute Name=\"" << xml_escape(name) << "\" AttributeType=\"Scalar\" Center=\"Node\">\n"
         << "          <DataItem ItemType=\"HyperSlab\" Dimensions=\"" << slab_dims << "\" Type=\"HyperSlab\">\n"
         << "            <DataItem Dimensions=\"3 " << rank << "\" Format=\"XML\">" << s << zeros << " 1" << ones
         << " " << slab_dims << "</DataItem>\n";
      heavy_item(os, "            ", full_dims, h5_filename, dataset);
      os << "          </DataItem>\n"
         << "        </Attribute>\n";
    }
    os << "      </Grid>\n";
  }
  os << "    </Grid>\n" << xdmf_footer;
  write_text(xmf_path, os.str());
}

}  // namespace npde::io
