// SPDX-License-Identifier: BSD-3-Clause
// OutputFile: collective parallel-HDF5 writes into "<path>.tmp", atomic rename on commit.
#include "npde/io/output_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <set>
#include <sstream>

#include "npde/decomp/mpi_native.hpp"
#include "npde/io/h5_file.hpp"

namespace npde::io {

namespace {

using Dims = std::vector<hsize_t>;

// Rows per chunk of the extendible history datasets: small enough for short runs, large
// enough that a long history is not thousands of chunks.
constexpr hsize_t history_chunk_rows = 1024;

// Throws on every rank when the check fails on any rank: a precondition seen by one rank only
// would otherwise leave the others waiting in the next collective call.
// `describe` builds the message only when it is needed.
template <class Describe>
void require_on_all(const decomp::Communicator& comm, bool local_ok, Describe&& describe) {
  const bool failed_somewhere = comm.any(!local_ok);
  NPDE_REQUIRE(!failed_somewhere, describe() << (local_ok ? " (failed on another rank)" : ""));
}

// A message from a stream expression, for require_on_all.
#define NPDE_IO_MESSAGE(msg)  \
  [&] {                       \
    std::ostringstream os_;   \
    os_ << msg;               \
    return os_.str();         \
  }

h5::PropList intermediate_groups_lcpl() {
  h5::PropList lcpl(NPDE_H5_CHECK(H5Pcreate(H5P_LINK_CREATE)));
  NPDE_H5_CHECK(H5Pset_create_intermediate_group(lcpl.get(), 1));
  return lcpl;
}

h5::Object open_or_create_group(hid_t file, const std::string& path) {
  if (h5::path_exists(file, path)) return h5::Object(NPDE_H5_CHECK(H5Oopen(file, path.c_str(), H5P_DEFAULT)));
  const h5::PropList lcpl = intermediate_groups_lcpl();
  h5::Group created(NPDE_H5_CHECK(H5Gcreate2(file, path.c_str(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT)));
  created.close();
  return h5::Object(NPDE_H5_CHECK(H5Oopen(file, path.c_str(), H5P_DEFAULT)));
}

Dims extents_of(hid_t dset) {
  const h5::Dataspace space(NPDE_H5_CHECK(H5Dget_space(dset)));
  const int rank = NPDE_H5_CHECK(H5Sget_simple_extent_ndims(space.get()));
  Dims dims(static_cast<std::size_t>(rank));
  NPDE_H5_CHECK(H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr));
  return dims;
}

// Creates a double dataset at `path` (nothing may be there): contiguous when `chunk` is empty,
// otherwise chunked with an unlimited first dimension.
h5::Dataset create_double_dataset(hid_t file, const std::string& path, const Dims& dims, const Dims& chunk) {
  Dims max_dims = dims;
  h5::PropList dcpl(NPDE_H5_CHECK(H5Pcreate(H5P_DATASET_CREATE)));
  // Every element is written right after creation, so filling with zeros first is wasted I/O.
  NPDE_H5_CHECK(H5Pset_fill_time(dcpl.get(), H5D_FILL_TIME_NEVER));
  if (!chunk.empty()) {
    max_dims[0] = H5S_UNLIMITED;
    NPDE_H5_CHECK(H5Pset_chunk(dcpl.get(), static_cast<int>(chunk.size()), chunk.data()));
  }
  const h5::Dataspace space(
      NPDE_H5_CHECK(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), max_dims.data())));
  const h5::PropList lcpl = intermediate_groups_lcpl();
  return h5::Dataset(NPDE_H5_CHECK(
      H5Dcreate2(file, path.c_str(), H5T_IEEE_F64LE, space.get(), lcpl.get(), dcpl.get(), H5P_DEFAULT)));
}

// True iff the dataset's first dimension is unlimited (it was made extendible).
bool is_extendible(hid_t dset) {
  const h5::Dataspace space(NPDE_H5_CHECK(H5Dget_space(dset)));
  const int rank = NPDE_H5_CHECK(H5Sget_simple_extent_ndims(space.get()));
  if (rank < 1) return false;
  Dims dims(static_cast<std::size_t>(rank)), max_dims(static_cast<std::size_t>(rank));
  NPDE_H5_CHECK(H5Sget_simple_extent_dims(space.get(), dims.data(), max_dims.data()));
  return max_dims[0] == H5S_UNLIMITED;
}

// Opens the existing double dataset at `path`; the same verdict on every rank (metadata is
// read collectively, so every rank sees the same file).
h5::Dataset open_dataset(hid_t file, const std::string& path) {
  NPDE_REQUIRE(h5::path_exists(file, path), "no dataset '" << path << "' in the output file");
  const h5::Object obj(NPDE_H5_CHECK(H5Oopen(file, path.c_str(), H5P_DEFAULT)));
  NPDE_REQUIRE(NPDE_H5_CHECK(H5Iget_type(obj.get())) == H5I_DATASET, "'" << path << "' is not a dataset");
  return h5::Dataset(NPDE_H5_CHECK(H5Dopen2(file, path.c_str(), H5P_DEFAULT)));
}

hsize_t product(const Dims& dims, std::size_t from) {
  hsize_t n = 1;
  for (std::size_t d = from; d < dims.size(); ++d) n *= dims[d];
  return n;
}

// Opens the double dataset at `path` if it has exactly `dims` and `chunked` layout; otherwise
// unlinks whatever is there and creates a new one (contiguous, or extendible in dim 0 when chunked).
h5::Dataset prepare_dataset(hid_t file, const std::string& path, const Dims& dims, bool chunked) {
  if (h5::path_exists(file, path)) {
    const h5::Object obj(NPDE_H5_CHECK(H5Oopen(file, path.c_str(), H5P_DEFAULT)));
    if (NPDE_H5_CHECK(H5Iget_type(obj.get())) == H5I_DATASET) {
      h5::Dataset dset(NPDE_H5_CHECK(H5Dopen2(file, path.c_str(), H5P_DEFAULT)));
      const h5::PropList dcpl(NPDE_H5_CHECK(H5Dget_create_plist(dset.get())));
      const bool is_chunked = NPDE_H5_CHECK(H5Pget_layout(dcpl.get())) == H5D_CHUNKED;
      if (is_chunked && chunked && extents_of(dset.get()).size() == dims.size()) {
        NPDE_H5_CHECK(H5Dset_extent(dset.get(), dims.data()));
        return dset;
      }
      if (!is_chunked && !chunked && extents_of(dset.get()) == dims) return dset;
    }
    NPDE_H5_CHECK(H5Ldelete(file, path.c_str(), H5P_DEFAULT));
  }
  Dims chunk;
  if (chunked) {
    chunk = dims;
    chunk[0] = history_chunk_rows;
  }
  return create_double_dataset(file, path, dims, chunk);
}

// Bytes per chunk aimed at for extendible datasets (whole rows up to this size), and the most a
// chunk may hold before a row is split along its next dimensions (HDF5's hard limit is 4 GiB).
constexpr hsize_t target_chunk_bytes = hsize_t(1) << 20;
constexpr hsize_t max_chunk_bytes = hsize_t(1) << 26;

// Chunk extents for an extendible dataset of `dims`: as many whole rows as fit in
// target_chunk_bytes (at least one, at most dims[0] when that is known), a row itself cut along
// dims 1, 2, ... when it exceeds max_chunk_bytes.
Dims row_chunk(const Dims& dims) {
  Dims chunk(dims.size(), 1);
  for (std::size_t d = 1; d < dims.size(); ++d) chunk[d] = std::max<hsize_t>(dims[d], 1);
  const auto row_bytes = [&] {
    hsize_t bytes = sizeof(double);
    for (std::size_t d = 1; d < chunk.size(); ++d) bytes *= chunk[d];
    return bytes;
  };
  for (std::size_t d = 1; d < chunk.size() && row_bytes() > max_chunk_bytes; ++d) {
    const hsize_t parts = (row_bytes() + max_chunk_bytes - 1) / max_chunk_bytes;
    chunk[d] = std::max<hsize_t>(1, chunk[d] / parts);
  }
  chunk[0] = std::max<hsize_t>(1, target_chunk_bytes / row_bytes());
  if (dims[0] > 0) chunk[0] = std::min(chunk[0], dims[0]);
  return chunk;
}

// Collective write of a slab [offset0, offset0 + count0) along dim 0 (all of the other dims);
// a rank with count0 == 0 takes part with empty selections.
void write_slab(hid_t dset, hid_t dxpl, hsize_t offset0, hsize_t count0, const double* data) {
  h5::Dataspace file_space(NPDE_H5_CHECK(H5Dget_space(dset)));
  const int rank = NPDE_H5_CHECK(H5Sget_simple_extent_ndims(file_space.get()));
  Dims dims(static_cast<std::size_t>(rank));
  NPDE_H5_CHECK(H5Sget_simple_extent_dims(file_space.get(), dims.data(), nullptr));
  static const double no_data = 0.0;
  if (count0 == 0) {
    NPDE_H5_CHECK(H5Sselect_none(file_space.get()));
    const hsize_t one = 1;
    h5::Dataspace mem_space(NPDE_H5_CHECK(H5Screate_simple(1, &one, nullptr)));
    NPDE_H5_CHECK(H5Sselect_none(mem_space.get()));
    NPDE_H5_CHECK(H5Dwrite(dset, H5T_NATIVE_DOUBLE, mem_space.get(), file_space.get(), dxpl, &no_data));
    return;
  }
  Dims start(dims.size(), 0), count = dims;
  start[0] = offset0;
  count[0] = count0;
  NPDE_H5_CHECK(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr));
  const h5::Dataspace mem_space(NPDE_H5_CHECK(H5Screate_simple(rank, count.data(), nullptr)));
  NPDE_H5_CHECK(H5Dwrite(dset, H5T_NATIVE_DOUBLE, mem_space.get(), file_space.get(), dxpl, data));
}

// Forces the file's contents (or a directory entry) to stable storage; false on failure.
bool fsync_path(const std::string& path, bool directory) {
  const int fd = ::open(path.c_str(), directory ? (O_RDONLY | O_DIRECTORY) : O_RDONLY);
  if (fd < 0) return false;
  const bool ok = ::fsync(fd) == 0 || (directory && errno == EINVAL);  // some file systems cannot sync dirs
  ::close(fd);
  return ok;
}

std::string parent_directory(const std::string& path) {
  const std::size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

struct OutputFile::Impl {
  decomp::Communicator comm;
  std::string path;
  h5::File file;
  h5::PropList dxpl;  // collective MPI-IO transfer, shared by every write
  bool committed = false;

  Impl(const decomp::Communicator& c, const std::string& p) : comm(c), path(p) {}
  std::string tmp_path() const { return path + ".tmp"; }
  void require_open() const {
    NPDE_REQUIRE(file.valid(), "output file '" << path << "' is already " << (committed ? "committed" : "closed"));
  }
};

OutputFile::OutputFile(const decomp::Communicator& comm, const std::string& path)
    : m_impl(std::make_unique<Impl>(comm, path)) {
  NPDE_REQUIRE(!path.empty(), "empty output file name");
  h5::silence_errors();
  h5::PropList fapl(NPDE_H5_CHECK(H5Pcreate(H5P_FILE_ACCESS)));
  NPDE_H5_CHECK(H5Pset_fapl_mpio(fapl.get(), decomp::native(comm), MPI_INFO_NULL));
  // Metadata reads and writes done collectively: one rank reads and broadcasts instead of
  // every rank hitting the file system. It requires every metadata call on every rank, which
  // this class guarantees by making all members collective.
  NPDE_H5_CHECK(H5Pset_all_coll_metadata_ops(fapl.get(), 1));
  NPDE_H5_CHECK(H5Pset_coll_metadata_write(fapl.get(), 1));
#if H5_VERSION_GE(1, 10, 7)
  // Parallel file systems often lack flock(); locking is a safety net, not a requirement here.
  NPDE_H5_CHECK(H5Pset_file_locking(fapl.get(), 1, 1));
#endif
  const std::string tmp = m_impl->tmp_path();
  m_impl->file = h5::File(NPDE_H5_CHECK(H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get())));
  m_impl->dxpl = h5::PropList(NPDE_H5_CHECK(H5Pcreate(H5P_DATASET_XFER)));
  NPDE_H5_CHECK(H5Pset_dxpl_mpio(m_impl->dxpl.get(), H5FD_MPIO_COLLECTIVE));
}

OutputFile::~OutputFile() {
  if (!m_impl || m_impl->committed) return;
  m_impl->file.reset();  // H5Fclose: collective inside HDF5, errors ignored in a destructor
  if (m_impl->comm.is_root()) std::remove(m_impl->tmp_path().c_str());
}

OutputFile::OutputFile(OutputFile&&) noexcept = default;
OutputFile& OutputFile::operator=(OutputFile&& other) noexcept {
  if (this != &other) {
    OutputFile discarded(std::move(*this));  // this file, if open, is abandoned as in the destructor
    m_impl = std::move(other.m_impl);
  }
  return *this;
}

const std::string& OutputFile::path() const { return m_impl->path; }
std::string OutputFile::temporary_path() const { return m_impl->tmp_path(); }
bool OutputFile::committed() const { return m_impl->committed; }

void OutputFile::set_attribute(const std::string& group, const std::string& name, const std::string& value) {
  m_impl->require_open();
  const h5::Object obj = open_or_create_group(m_impl->file.get(), group);
  const h5::Datatype type = h5::utf8_string_type();
  const char* text = value.c_str();
  h5::write_scalar_attribute(obj.get(), name, type.get(), type.get(), &text);
}

void OutputFile::set_attribute(const std::string& group, const std::string& name, double value) {
  m_impl->require_open();
  const h5::Object obj = open_or_create_group(m_impl->file.get(), group);
  h5::write_scalar_attribute(obj.get(), name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value);
}

void OutputFile::set_attribute(const std::string& group, const std::string& name, long long value) {
  m_impl->require_open();
  const h5::Object obj = open_or_create_group(m_impl->file.get(), group);
  h5::write_scalar_attribute(obj.get(), name, H5T_STD_I64LE, H5T_NATIVE_LLONG, &value);
}

void OutputFile::write_history(const std::vector<std::string>& columns,
                               const std::vector<std::vector<double>>& rows_on_root) {
  m_impl->require_open();
  const decomp::Communicator& comm = m_impl->comm;
  std::set<std::string> unique;
  for (const std::string& c : columns) {
    NPDE_REQUIRE(!c.empty() && c.find('/') == std::string::npos, "history column name '" << c << "' is invalid");
    NPDE_REQUIRE(unique.insert(c).second, "history column '" << c << "' is given twice");
  }
  bool rows_ok = true;
  std::size_t bad_row = 0;
  if (comm.is_root()) {
    for (std::size_t r = 0; r < rows_on_root.size() && rows_ok; ++r)
      if (rows_on_root[r].size() != columns.size()) {
        rows_ok = false;
        bad_row = r;
      }
  }
  require_on_all(comm, rows_ok,
                 NPDE_IO_MESSAGE("history row " << bad_row << " has " << (rows_ok ? 0 : rows_on_root[bad_row].size())
                                << " values, expected one per column (" << columns.size() << ")"));
  const long long n_rows = comm.sum(comm.is_root() ? static_cast<long long>(rows_on_root.size()) : 0LL);
  const Dims dims{static_cast<hsize_t>(n_rows)};
  std::vector<double> column_values;
  for (std::size_t c = 0; c < columns.size(); ++c) {
    const h5::Dataset dset = prepare_dataset(m_impl->file.get(), "/history/" + columns[c], dims, true);
    if (n_rows == 0) continue;
    if (comm.is_root()) {
      column_values.resize(rows_on_root.size());
      for (std::size_t r = 0; r < rows_on_root.size(); ++r) column_values[r] = rows_on_root[r][c];
    }
    write_slab(dset.get(), m_impl->dxpl.get(), 0, comm.is_root() ? dims[0] : 0, column_values.data());
  }
}

void OutputFile::write_field(const std::string& path, const std::vector<unsigned long long>& global_dims,
                             unsigned long long offset0, unsigned long long count0, const double* local_data) {
  m_impl->require_open();
  const decomp::Communicator& comm = m_impl->comm;
  NPDE_REQUIRE(!global_dims.empty() && global_dims.size() <= H5S_MAX_RANK,
               "field '" << path << "' has " << global_dims.size() << " dimensions");
  const bool slab_ok = offset0 <= global_dims[0] && count0 <= global_dims[0] - offset0;
  const bool data_ok = count0 == 0 || local_data != nullptr;
  require_on_all(comm, slab_ok && data_ok,
                 NPDE_IO_MESSAGE("field '" << path << "': slab [" << offset0 << ", " << offset0 + count0 << ") of "
                           << global_dims[0] << " rows" << (data_ok ? "" : " with null data")));
  const long long covered = comm.sum(static_cast<long long>(count0));
  NPDE_REQUIRE(covered == static_cast<long long>(global_dims[0]),
               "field '" << path << "': the ranks' slabs cover " << covered << " rows of " << global_dims[0]);
  const Dims dims(global_dims.begin(), global_dims.end());
  const h5::Dataset dset = prepare_dataset(m_impl->file.get(), path, dims, false);
  hsize_t n_total = 1;
  for (hsize_t d : dims) n_total *= d;
  if (n_total == 0) return;  // same verdict on every rank: nothing to transfer
  write_slab(dset.get(), m_impl->dxpl.get(), offset0, count0, local_data);
}

void OutputFile::write_array(const std::string& path, const std::vector<double>& values) {
  m_impl->require_open();
  const decomp::Communicator& comm = m_impl->comm;
  const double n = static_cast<double>(values.size());
  NPDE_REQUIRE(comm.max(n) == comm.min(n), "array '" << path << "' has different lengths on different ranks");
  const Dims dims{values.size()};
  const h5::Dataset dset = prepare_dataset(m_impl->file.get(), path, dims, false);
  if (values.empty()) return;
  write_slab(dset.get(), m_impl->dxpl.get(), 0, comm.is_root() ? dims[0] : 0, values.data());
}

void OutputFile::create_dataset(const std::string& path, const std::vector<unsigned long long>& dims,
                                bool extendible_first_dim) {
  m_impl->require_open();
  NPDE_REQUIRE(!dims.empty() && dims.size() <= H5S_MAX_RANK, "dataset '" << path << "' has " << dims.size() << " dimensions");
  const hid_t file = m_impl->file.get();
  if (h5::path_exists(file, path)) NPDE_H5_CHECK(H5Ldelete(file, path.c_str(), H5P_DEFAULT));
  const Dims extents(dims.begin(), dims.end());
  create_double_dataset(file, path, extents, extendible_first_dim ? row_chunk(extents) : Dims{});
}

void OutputFile::write_rows(const std::string& path, unsigned long long offset0, unsigned long long count0,
                            const double* data) {
  m_impl->require_open();
  const h5::Dataset dset = open_dataset(m_impl->file.get(), path);
  const Dims dims = extents_of(dset.get());
  NPDE_REQUIRE(!dims.empty(), "dataset '" << path << "' is a scalar");
  const bool slab_ok = offset0 <= dims[0] && count0 <= dims[0] - offset0;
  const bool data_ok = count0 == 0 || data != nullptr;
  require_on_all(m_impl->comm, slab_ok && data_ok,
                 NPDE_IO_MESSAGE("dataset '" << path << "': rows [" << offset0 << ", " << offset0 + count0 << ") of "
                                 << dims[0] << (data_ok ? "" : " with null data")));
  if (product(dims, 0) == 0) return;  // same verdict on every rank: nothing to transfer
  write_slab(dset.get(), m_impl->dxpl.get(), offset0, count0, data);
}

unsigned long long OutputFile::append_rows(const std::string& path, const std::vector<unsigned long long>& row_dims,
                                           unsigned long long count0, const double* data) {
  m_impl->require_open();
  const decomp::Communicator& comm = m_impl->comm;
  const hid_t file = m_impl->file.get();
  Dims dims{0};
  dims.insert(dims.end(), row_dims.begin(), row_dims.end());
  NPDE_REQUIRE(dims.size() <= H5S_MAX_RANK, "dataset '" << path << "' has " << dims.size() << " dimensions");
  h5::Dataset dset = h5::path_exists(file, path) ? open_dataset(file, path)
                                                 : create_double_dataset(file, path, dims, row_chunk(dims));
  const Dims current = extents_of(dset.get());
  NPDE_REQUIRE(is_extendible(dset.get()), "dataset '" << path << "' has no unlimited first dimension");
  NPDE_REQUIRE(Dims(current.begin() + 1, current.end()) == Dims(dims.begin() + 1, dims.end()),
               "dataset '" << path << "': appended rows have " << row_dims.size()
                           << " trailing dimensions of other extents than the dataset's");
  // One gather gives every rank all counts (for its offset) and every rank's data check (-1).
  const bool data_ok = count0 == 0 || data != nullptr;
  const std::vector<double> counts = comm.allgatherv({data_ok ? static_cast<double>(count0) : -1.0});
  hsize_t offset0 = current[0], total = current[0];
  for (int r = 0; r < comm.size(); ++r) {
    NPDE_REQUIRE(counts[r] >= 0, "dataset '" << path << "': rank " << r << " appends " << "rows with null data");
    if (r < comm.rank()) offset0 += static_cast<hsize_t>(counts[r]);
    total += static_cast<hsize_t>(counts[r]);
  }
  if (total == current[0]) return total;
  dims[0] = total;
  NPDE_H5_CHECK(H5Dset_extent(dset.get(), dims.data()));
  if (product(dims, 1) > 0) write_slab(dset.get(), m_impl->dxpl.get(), offset0, count0, data);
  return total;
}

std::vector<unsigned long long> OutputFile::dataset_dims(const std::string& path) const {
  m_impl->require_open();
  const h5::Dataset dset = open_dataset(m_impl->file.get(), path);
  const Dims dims = extents_of(dset.get());
  return {dims.begin(), dims.end()};
}

bool OutputFile::exists(const std::string& path) const {
  m_impl->require_open();
  return h5::path_exists(m_impl->file.get(), path);
}

void OutputFile::flush() {
  m_impl->require_open();
  NPDE_H5_CHECK(H5Fflush(m_impl->file.get(), H5F_SCOPE_GLOBAL));
}

void OutputFile::commit() {
  m_impl->require_open();
  const decomp::Communicator& comm = m_impl->comm;
  m_impl->file.close();
  // Every rank's part is on disk once all have closed; only then may the name change.
  comm.barrier();
  std::string failure;
  if (comm.is_root()) {
    const std::string tmp = m_impl->tmp_path();
    if (!fsync_path(tmp, false))
      failure = "fsync of '" + tmp + "' failed: " + std::strerror(errno);
    else if (std::rename(tmp.c_str(), m_impl->path.c_str()) != 0)
      failure = "renaming '" + tmp + "' to '" + m_impl->path + "' failed: " + std::strerror(errno);
    else
      fsync_path(parent_directory(m_impl->path), true);  // best effort: the rename is already visible
  }
  // The reduction also orders every rank after the rename.
  require_on_all(comm, failure.empty(), NPDE_IO_MESSAGE("commit of '" << m_impl->path << "': " << failure));
  m_impl->committed = true;
}

}  // namespace npde::io
