// SPDX-License-Identifier: BSD-3-Clause
// Checked-call error reporting, path helpers and attribute writing for io/'s HDF5 code.
#include "npde/io/h5_file.hpp"

#include <sstream>

namespace npde::io::h5 {

namespace {
// Walking upward, the first entry is the innermost cause (often with errno and file name) and
// the last one is the API-level summary; both are kept for the message.
struct StackEnds {
  std::string innermost, api;
};
herr_t collect_ends(unsigned n, const H5E_error2_t* err, void* client) {
  auto* ends = static_cast<StackEnds*>(client);
  if (!err || !err->desc) return 0;
  if (n == 0) ends->innermost = err->desc;
  ends->api = err->desc;
  return 0;
}
}  // namespace

void silence_errors() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

void throw_call_error(const char* call, long long rc, const char* file, int line, const char* func) {
  StackEnds ends;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, collect_ends, &ends);
  H5Eclear2(H5E_DEFAULT);
  std::ostringstream os;
  os << "HDF5 call " << call << " failed (returned " << rc << ")";
  // The innermost description often repeats the API one with details appended.
  const bool repeats = ends.innermost.compare(0, ends.api.size(), ends.api) == 0;
  if (!ends.api.empty() && !repeats) os << ": " << ends.api;
  if (!ends.innermost.empty()) os << ": " << ends.innermost;
  ::npde::detail::throw_error(file, line, func, os.str());
}

std::vector<std::string> split_path(const std::string& path) {
  NPDE_REQUIRE(!path.empty() && path.front() == '/', "HDF5 path '" << path << "' must be absolute");
  std::vector<std::string> parts;
  if (path == "/") return parts;
  std::size_t start = 1;
  while (true) {
    const std::size_t slash = path.find('/', start);
    const std::string part = path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    NPDE_REQUIRE(!part.empty(), "HDF5 path '" << path << "' has an empty component");
    parts.push_back(part);
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return parts;
}

bool path_exists(hid_t file, const std::string& path) {
  // H5Lexists fails (rather than answering false) when an intermediate group is missing,
  // so each prefix is tested in turn.
  std::string prefix;
  for (const std::string& part : split_path(path)) {
    prefix += "/" + part;
    if (NPDE_H5_CHECK(H5Lexists(file, prefix.c_str(), H5P_DEFAULT)) == 0) return false;
  }
  return true;
}

Datatype utf8_string_type() {
  Datatype type(NPDE_H5_CHECK(H5Tcopy(H5T_C_S1)));
  NPDE_H5_CHECK(H5Tset_size(type.get(), H5T_VARIABLE));
  NPDE_H5_CHECK(H5Tset_cset(type.get(), H5T_CSET_UTF8));
  return type;
}

void write_scalar_attribute(hid_t obj, const std::string& name, hid_t file_type, hid_t mem_type,
                            const void* data) {
  if (NPDE_H5_CHECK(H5Aexists(obj, name.c_str())) > 0) NPDE_H5_CHECK(H5Adelete(obj, name.c_str()));
  Dataspace space(NPDE_H5_CHECK(H5Screate(H5S_SCALAR)));
  Attribute attr(NPDE_H5_CHECK(H5Acreate2(obj, name.c_str(), file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT)));
  NPDE_H5_CHECK(H5Awrite(attr.get(), mem_type, data));
  attr.close();
}

}  // namespace npde::io::h5
