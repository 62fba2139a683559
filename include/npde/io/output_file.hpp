// SPDX-License-Identifier: BSD-3-Clause
// A run's parallel HDF5 output file (written under a temporary name, renamed on commit) and a serial reader.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "npde/decomp/communicator.hpp"

namespace npde::io {

/// A run's output file, opened collectively with the MPI-IO driver. Data go to "<path>.tmp";
/// only commit() renames it to <path>, so a failed or interrupted run never leaves a torn file
/// under the final name. Every member except path() is collective on the communicator given to
/// the constructor: all ranks call it in the same order with the same metadata arguments (paths,
/// names, dimensions), as HDF5 requires for metadata operations. Preconditions are checked so
/// that every rank reaches the same verdict. Object paths are absolute ("/fields/pinn/u");
/// missing intermediate groups are created. Movable, not copyable.
class OutputFile {
 public:
  /// Creates (truncating) "<path>.tmp". Collective. Keeps a reference-counted copy of `comm`.
  OutputFile(const decomp::Communicator& comm, const std::string& path);
  /// If not committed: closes the file (H5Fclose, collective inside HDF5) and removes "<path>.tmp"
  /// on rank 0; never throws. Every rank must therefore destroy the object, also when unwinding.
  ~OutputFile();
  OutputFile(OutputFile&&) noexcept;
  OutputFile& operator=(OutputFile&&) noexcept;
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  /// Sets (or replaces) attribute `name` on the object at `group` ("/" for the root; a missing
  /// group is created). Strings are stored as variable-length UTF-8 (h5py reads them as str),
  /// doubles as IEEE f64, integers as 64-bit. Collective; the value must be equal on all ranks.
  void set_attribute(const std::string& group, const std::string& name, const std::string& value);
  void set_attribute(const std::string& group, const std::string& name, double value);
  void set_attribute(const std::string& group, const std::string& name, long long value);
  /// Same as the long long overload (so that an int literal is not ambiguous).
  void set_attribute(const std::string& group, const std::string& name, int value) {
    set_attribute(group, name, static_cast<long long>(value));
  }

  /// Writes the loss history as one 1D double dataset per column, /history/<column>, of length
  /// rows_on_root.size(). [in] columns: dataset names, identical on all ranks; [in] rows_on_root:
  /// on rank 0, one row per record with columns.size() values (rank 0 is checked and the verdict
  /// shared); ignored elsewhere. A later call replaces the history (datasets are resized), so it
  /// can be rewritten at every checkpoint. Collective.
  void write_history(const std::vector<std::string>& columns,
                     const std::vector<std::vector<double>>& rows_on_root);

  /// Writes a distributed N-D double field. [in] global_dims: extents in HDF5 order, slowest
  /// first (e.g. {ny, nx}); [in] offset0, count0: this rank's slab [offset0, offset0 + count0)
  /// along dimension 0, covering all other dimensions; [in] local_data: count0 * prod(dims[1:])
  /// values, C order (may be null when count0 == 0). The slabs' counts must add up to dims[0].
  /// An existing dataset at `path` with the same dims is overwritten. Collective (collective MPI-IO
  /// transfer; ranks with count0 == 0 take part with an empty selection).
  void write_field(const std::string& path, const std::vector<unsigned long long>& global_dims,
                   unsigned long long offset0, unsigned long long count0, const double* local_data);

  /// Writes a small replicated 1D array (rank 0's copy is stored; the length must agree on all
  /// ranks). Collective.
  void write_array(const std::string& path, const std::vector<double>& values);

  /// Creates (or replaces) a double dataset of extents `dims` (HDF5 order, slowest first) whose
  /// rows are then written by write_rows(), possibly in several calls (e.g. one per batch of
  /// samples). extendible_first_dim == false: contiguous layout, fixed extents. true: chunked, with
  /// an unlimited first dimension (maxdims[0] = H5S_UNLIMITED) that append_rows() grows; dims[0]
  /// may then be 0. Chunks hold whole rows (one row per chunk when a row exceeds ~1 MiB; rows too
  /// large for one chunk are split along the next dimensions). No fill value is written: elements
  /// never written read back as undefined values, so write every row before commit(). Collective.
  void create_dataset(const std::string& path, const std::vector<unsigned long long>& dims,
                      bool extendible_first_dim = false);

  /// Writes this rank's rows [offset0, offset0 + count0) of the dataset at `path` (made by
  /// create_dataset() or write_field()), all of the other dimensions: [in] data: count0 *
  /// prod(dims[1:]) values in C order (may be null when count0 == 0). The rows must lie inside
  /// the current extent; the ranks' rows must not overlap, but need not cover the dataset in one
  /// call. Collective (collective MPI-IO transfer; ranks with count0 == 0 take part with an empty
  /// selection).
  void write_rows(const std::string& path, unsigned long long offset0, unsigned long long count0,
                  const double* data);

  /// Appends rows along the unlimited first dimension of an extendible dataset: the dataset grows
  /// by the sum of all ranks' count0, and rank r's rows land after those of ranks 0..r-1 (rank
  /// order). If nothing exists at `path`, an extendible dataset of extents {0, row_dims...} is
  /// created first; otherwise its dims[1:] must equal [in] row_dims. [in] data: count0 *
  /// prod(row_dims) values (may be null when count0 == 0). Returns the new extent of dimension 0.
  /// A time stepper can stream snapshots this way (rank 0 passes one row, the others none).
  /// Collective.
  unsigned long long append_rows(const std::string& path, const std::vector<unsigned long long>& row_dims,
                                 unsigned long long count0, const double* data);

  /// Current extents of the dataset at `path`, slowest first. Collective (metadata read).
  std::vector<unsigned long long> dataset_dims(const std::string& path) const;

  /// True iff an object exists at absolute `path` in the file. Collective (metadata read).
  bool exists(const std::string& path) const;

  /// Flushes HDF5's buffers to the file. Collective.
  void flush();

  /// Closes the file, fsyncs it and atomically renames "<path>.tmp" to <path> (rank 0, between
  /// barriers, so on return every rank sees the final file). No other member may be called
  /// afterwards except path() and committed(). Collective.
  void commit();

  /// The final file name (not the temporary one).
  const std::string& path() const;
  /// The temporary name the data are written to before commit().
  std::string temporary_path() const;
  bool committed() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

/// Serial read access to an HDF5 file (for tests and tools): any single process, independent
/// of MPI, read-only. Object paths are absolute. Copies share the open file.
class H5Reader {
 public:
  /// Opens `path` read-only; throws npde::Error if it cannot be opened.
  explicit H5Reader(const std::string& path);

  /// Reads a whole dataset converted to double, in C order. [out] dims (optional): its extents,
  /// slowest first.
  std::vector<double> read(const std::string& dataset, std::vector<unsigned long long>* dims = nullptr) const;
  /// Extents of a dataset, slowest first, and whether its stored type is a floating-point one.
  std::vector<unsigned long long> dims(const std::string& dataset, bool* is_float = nullptr) const;
  /// Reads rows [first, first + count) of the first dimension of a dataset (all of the others),
  /// converted to double, in C order.
  std::vector<double> read_rows(const std::string& dataset, unsigned long long first, unsigned long long count) const;
  /// Reads a scalar string attribute (variable- or fixed-length) of the object at `object`.
  std::string attribute_string(const std::string& object, const std::string& name) const;
  /// Reads a scalar numeric attribute converted to double / to a 64-bit integer.
  double attribute_double(const std::string& object, const std::string& name) const;
  long long attribute_int(const std::string& object, const std::string& name) const;
  /// True iff an object (group or dataset) exists at `path`.
  bool exists(const std::string& path) const;
  /// True iff the object at `object` exists and has an attribute `name`.
  bool has_attribute(const std::string& object, const std::string& name) const;
  /// Names of the links directly under the group at `group`, in name order.
  std::vector<std::string> list(const std::string& group) const;

 private:
  struct Impl;
  std::shared_ptr<Impl> m_impl;
};

}  // namespace npde::io
