// SPDX-License-Identifier: BSD-3-Clause
// Writes XDMF 3 sidecars (rectilinear grids, node-centred scalars) pointing into an HDF5 file.
#include "npde/io/xdmf.hpp"

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
  const std::size_t dim = dims_xyz.size();
  NPDE_REQUIRE(dim >= 1 && dim <= 3, "grid has " << dim << " dimensions, expected 1 to 3");
  for (std::size_t d = 0; d < dim; ++d) NPDE_REQUIRE(dims_xyz[d] > 0, "grid extent " << d << " is 0");
  NPDE_REQUIRE(!h5_filename.empty(), "empty HDF5 file name for '" << xmf_path << "'");
  for (const auto& [name, dataset] : attributes)
    NPDE_REQUIRE(!name.empty() && !dataset.empty() && dataset.front() == '/',
                 "attribute '" << name << "' -> '" << dataset << "' needs a name and an absolute dataset path");

  // ParaView's XDMF 3 reader has no 1D structured topology; a 2D mesh one point thick in y
  // shows the same data as a line, and its single y coordinate needs no dataset of its own.
  const bool line = dim == 1;
  const std::string topology = dim == 3 ? "3DRectMesh" : "2DRectMesh";
  const std::string geometry = dim == 3 ? "VXVYVZ" : "VXVY";
  const std::string mesh_dims = line ? "1 " + std::to_string(dims_xyz[0]) : slowest_first(dims_xyz);
  const std::string data_dims = slowest_first(dims_xyz);
  const char* axes[] = {"x", "y", "z"};

  std::ostringstream os;
  os << "<?xml version=\"1.0\" ?>\n"
     << "<!DOCTYPE Xdmf SYSTEM \"Xdmf.dtd\" []>\n"
     << "<Xdmf Version=\"3.0\" xmlns:xi=\"http://www.w3.org/2001/XInclude\">\n"
     << "  <Domain>\n"
     << "    <Grid Name=\"npde\" GridType=\"Uniform\">\n"
     << "      <Topology TopologyType=\"" << topology << "\" Dimensions=\"" << mesh_dims << "\"/>\n"
     << "      <Geometry GeometryType=\"" << geometry << "\">\n";
  for (std::size_t d = 0; d < dim; ++d)
    heavy_item(os, "        ", std::to_string(dims_xyz[d]), h5_filename, grid_group + "/" + axes[d]);
  if (line)
    os << "        <DataItem Dimensions=\"1\" NumberType=\"Float\" Precision=\"8\" Format=\"XML\">0</DataItem>\n";
  os << "      </Geometry>\n";
  for (const auto& [name, dataset] : attributes) {
    os << "      <Attribute Name=\"" << xml_escape(name) << "\" AttributeType=\"Scalar\" Center=\"Node\">\n";
    heavy_item(os, "        ", data_dims, h5_filename, dataset);
    os << "      </Attribute>\n";
  }
  os << "    </Grid>\n"
     << "  </Domain>\n"
     << "</Xdmf>\n";

  std::ofstream out(xmf_path, std::ios::trunc);
  NPDE_REQUIRE(out.good(), "cannot open '" << xmf_path << "' for writing");
  out << os.str();
  out.close();
  NPDE_REQUIRE(!out.fail(), "writing '" << xmf_path << "' failed");
}

}  // namespace npde::io
