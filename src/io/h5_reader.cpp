// SPDX-License-Identifier: BSD-3-Clause
// H5Reader: serial, read-only access to datasets and attributes (tests and tools).
#include <algorithm>

#include "npde/io/h5_file.hpp"
#include "npde/io/output_file.hpp"

namespace npde::io {

struct H5Reader::Impl {
  std::string path;
  h5::File file;

  h5::Attribute open_attribute(const std::string& object, const std::string& name) const {
    NPDE_REQUIRE(h5::path_exists(file.get(), object), "no object '" << object << "' in '" << path << "'");
    const h5::Object obj(NPDE_H5_CHECK(H5Oopen(file.get(), object.c_str(), H5P_DEFAULT)));
    NPDE_REQUIRE(NPDE_H5_CHECK(H5Aexists(obj.get(), name.c_str())) > 0,
                 "object '" << object << "' in '" << path << "' has no attribute '" << name << "'");
    h5::Attribute attr(NPDE_H5_CHECK(H5Aopen(obj.get(), name.c_str(), H5P_DEFAULT)));
    const h5::Dataspace space(NPDE_H5_CHECK(H5Aget_space(attr.get())));
    NPDE_REQUIRE(NPDE_H5_CHECK(H5Sget_simple_extent_npoints(space.get())) == 1,
                 "attribute '" << name << "' of '" << object << "' is not a scalar");
    return attr;
  }
};

H5Reader::H5Reader(const std::string& path) : m_impl(std::make_shared<Impl>()) {
  h5::silence_errors();
  m_impl->path = path;
  m_impl->file = h5::File(NPDE_H5_CHECK(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT)));
}

std::vector<double> H5Reader::read(const std::string& dataset, std::vector<unsigned long long>* dims) const {
  NPDE_REQUIRE(h5::path_exists(m_impl->file.get(), dataset),
               "no dataset '" << dataset << "' in '" << m_impl->path << "'");
  const h5::Dataset dset(NPDE_H5_CHECK(H5Dopen2(m_impl->file.get(), dataset.c_str(), H5P_DEFAULT)));
  const h5::Dataspace space(NPDE_H5_CHECK(H5Dget_space(dset.get())));
  const int rank = NPDE_H5_CHECK(H5Sget_simple_extent_ndims(space.get()));
  std::vector<hsize_t> extents(static_cast<std::size_t>(rank));
  NPDE_H5_CHECK(H5Sget_simple_extent_dims(space.get(), extents.data(), nullptr));
  const auto n = static_cast<std::size_t>(NPDE_H5_CHECK(H5Sget_simple_extent_npoints(space.get())));
  std::vector<double> values(n);
  if (n > 0)
    NPDE_H5_CHECK(H5Dread(dset.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()));
  if (dims) dims->assign(extents.begin(), extents.end());
  return values;
}

std::vector<unsigned long long> H5Reader::dims(const std::string& dataset, bool* is_float) const {
  NPDE_REQUIRE(h5::path_exists(m_impl->file.get(), dataset), "no dataset '" << dataset << "' in '" << m_impl->path << "'");
  const h5::Dataset dset(NPDE_H5_CHECK(H5Dopen2(m_impl->file.get(), dataset.c_str(), H5P_DEFAULT)));
  const h5::Dataspace space(NPDE_H5_CHECK(H5Dget_space(dset.get())));
  const int rank = NPDE_H5_CHECK(H5Sget_simple_extent_ndims(space.get()));
  std::vector<hsize_t> extents(static_cast<std::size_t>(rank));
  NPDE_H5_CHECK(H5Sget_simple_extent_dims(space.get(), extents.data(), nullptr));
  if (is_float) {
    const h5::Datatype type(NPDE_H5_CHECK(H5Dget_type(dset.get())));
    *is_float = NPDE_H5_CHECK(H5Tget_class(type.get())) == H5T_FLOAT;
  }
  return std::vector<unsigned long long>(extents.begin(), extents.end());
}

std::vector<double> H5Reader::read_rows(const std::string& dataset, unsigned long long first,
                                        unsigned long long count) const {
  const auto extents = dims(dataset);
  NPDE_REQUIRE(!extents.empty() && first + count <= extents[0],
               "rows [" << first << ", " << first + count << ") of '" << dataset << "' in '" << m_impl->path << "'");
  const h5::Dataset dset(NPDE_H5_CHECK(H5Dopen2(m_impl->file.get(), dataset.c_str(), H5P_DEFAULT)));
  const h5::Dataspace space(NPDE_H5_CHECK(H5Dget_space(dset.get())));
  std::vector<hsize_t> start(extents.size(), 0), block(extents.begin(), extents.end());
  start[0] = first, block[0] = count;
  std::size_t n = 1;
  for (auto b : block) n *= std::size_t(b);
  std::vector<double> values(n);
  if (n == 0) return values;
  NPDE_H5_CHECK(H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, start.data(), nullptr, block.data(), nullptr));
  const h5::Dataspace mem(NPDE_H5_CHECK(H5Screate_simple(int(block.size()), block.data(), nullptr)));
  NPDE_H5_CHECK(H5Dread(dset.get(), H5T_NATIVE_DOUBLE, mem.get(), space.get(), H5P_DEFAULT, values.data()));
  return values;
}

std::string H5Reader::attribute_string(const std::string& object, const std::string& name) const {
  const h5::Attribute attr = m_impl->open_attribute(object, name);
  const h5::Datatype type(NPDE_H5_CHECK(H5Aget_type(attr.get())));
  NPDE_REQUIRE(NPDE_H5_CHECK(H5Tget_class(type.get())) == H5T_STRING,
               "attribute '" << name << "' of '" << object << "' is not a string");
  if (NPDE_H5_CHECK(H5Tis_variable_str(type.get())) > 0) {
    const h5::Datatype mem_type(NPDE_H5_CHECK(H5Tcopy(H5T_C_S1)));
    NPDE_H5_CHECK(H5Tset_size(mem_type.get(), H5T_VARIABLE));
    NPDE_H5_CHECK(H5Tset_cset(mem_type.get(), NPDE_H5_CHECK(H5Tget_cset(type.get()))));
    char* text = nullptr;
    NPDE_H5_CHECK(H5Aread(attr.get(), mem_type.get(), &text));
    std::string out = text ? text : "";
    H5free_memory(text);
    return out;
  }
  // Fixed length: the stored bytes, cut at the first NUL (null-terminated or null-padded).
  const std::size_t size = H5Tget_size(type.get());
  NPDE_REQUIRE(size > 0, "H5Tget_size failed for attribute '" << name << "' of '" << object << "'");
  std::string buffer(size, '\0');
  NPDE_H5_CHECK(H5Aread(attr.get(), type.get(), buffer.data()));
  return buffer.substr(0, std::min(buffer.size(), buffer.find('\0')));
}

double H5Reader::attribute_double(const std::string& object, const std::string& name) const {
  const h5::Attribute attr = m_impl->open_attribute(object, name);
  double value = 0.0;
  NPDE_H5_CHECK(H5Aread(attr.get(), H5T_NATIVE_DOUBLE, &value));
  return value;
}

long long H5Reader::attribute_int(const std::string& object, const std::string& name) const {
  const h5::Attribute attr = m_impl->open_attribute(object, name);
  const h5::Datatype type(NPDE_H5_CHECK(H5Aget_type(attr.get())));
  NPDE_REQUIRE(NPDE_H5_CHECK(H5Tget_class(type.get())) == H5T_INTEGER,
               "attribute '" << name << "' of '" << object << "' is not an integer");
  long long value = 0;
  NPDE_H5_CHECK(H5Aread(attr.get(), H5T_NATIVE_LLONG, &value));
  return value;
}

bool H5Reader::exists(const std::string& path) const { return h5::path_exists(m_impl->file.get(), path); }

bool H5Reader::has_attribute(const std::string& object, const std::string& name) const {
  if (!exists(object)) return false;
  const h5::Object obj(NPDE_H5_CHECK(H5Oopen(m_impl->file.get(), object.c_str(), H5P_DEFAULT)));
  return NPDE_H5_CHECK(H5Aexists(obj.get(), name.c_str())) > 0;
}

namespace {
herr_t append_name(hid_t, const char* name, const H5L_info_t*, void* client) {
  static_cast<std::vector<std::string>*>(client)->emplace_back(name);
  return 0;
}
}  // namespace

std::vector<std::string> H5Reader::list(const std::string& group) const {
  NPDE_REQUIRE(exists(group), "no group '" << group << "' in '" << m_impl->path << "'");
  const h5::Group grp(NPDE_H5_CHECK(H5Gopen2(m_impl->file.get(), group.c_str(), H5P_DEFAULT)));
  std::vector<std::string> names;
  hsize_t index = 0;
  NPDE_H5_CHECK(H5Literate(grp.get(), H5_INDEX_NAME, H5_ITER_INC, &index, append_name, &names));
  return names;
}

}  // namespace npde::io
