// SPDX-License-Identifier: BSD-3-Clause
// Checked HDF5 calls and RAII handles shared by io/'s HDF5 writers and readers.
#pragma once

#include <hdf5.h>

#include <string>
#include <utility>
#include <vector>

#include "npde/core/error.hpp"

namespace npde::io::h5 {

/// Turns off HDF5's own error-stack printing for the calling thread; failures are reported
/// through NPDE_H5_CHECK's exceptions instead. Idempotent; not collective.
void silence_errors();

/// Throws npde::Error naming the failed call, its return code and HDF5's innermost error
/// description (the error stack is read, then cleared).
[[noreturn]] void throw_call_error(const char* call, long long rc, const char* file, int line, const char* func);

/// Returns `rc` unchanged when it is non-negative (hid_t, herr_t, htri_t), throws otherwise.
template <class T>
T check_call(T rc, const char* call, const char* file, int line, const char* func) {
  if (rc < 0) throw_call_error(call, static_cast<long long>(rc), file, line, func);
  return rc;
}

/// RAII owner of one HDF5 identifier, closed with `Close`. Move-only.
template <herr_t (*Close)(hid_t)>
class Handle {
 public:
  Handle() = default;
  /// Takes ownership of `id` (a valid, already checked identifier).
  explicit Handle(hid_t id) : m_id(id) {}
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  Handle(Handle&& other) noexcept : m_id(std::exchange(other.m_id, H5I_INVALID_HID)) {}
  Handle& operator=(Handle&& other) noexcept {
    if (this != &other) {
      reset();
      m_id = std::exchange(other.m_id, H5I_INVALID_HID);
    }
    return *this;
  }
  // Destructors cannot report failures; a close that must succeed goes through close().
  ~Handle() { reset(); }

  hid_t get() const { return m_id; }
  bool valid() const { return m_id >= 0; }
  /// Closes now and throws npde::Error if HDF5 reports a failure.
  void close() {
    const hid_t id = std::exchange(m_id, H5I_INVALID_HID);
    if (id >= 0) check_call(Close(id), "close", __FILE__, __LINE__, __func__);
  }
  /// Closes now, ignoring failures (cleanup paths).
  void reset() noexcept {
    const hid_t id = std::exchange(m_id, H5I_INVALID_HID);
    if (id >= 0) {
      Close(id);
      H5Eclear2(H5E_DEFAULT);
    }
  }

 private:
  hid_t m_id = H5I_INVALID_HID;
};

using File = Handle<H5Fclose>;
using Group = Handle<H5Gclose>;
using Object = Handle<H5Oclose>;  ///< group or dataset opened by H5Oopen
using Dataset = Handle<H5Dclose>;
using Dataspace = Handle<H5Sclose>;
using Datatype = Handle<H5Tclose>;
using PropList = Handle<H5Pclose>;
using Attribute = Handle<H5Aclose>;

/// Splits an absolute HDF5 path "/a/b/c" into {"a", "b", "c"} ("/" gives {}).
/// Throws npde::Error unless the path starts with '/' and has no empty component.
std::vector<std::string> split_path(const std::string& path);

/// True iff the object at absolute `path` exists under `file` (every component is a link).
/// Not collective (metadata reads only).
bool path_exists(hid_t file, const std::string& path);

/// A variable-length UTF-8 string type, which h5py reads back as `str`.
Datatype utf8_string_type();

/// Writes or replaces a scalar attribute `name` on the object `obj` (its previous value,
/// if any, is deleted first). `file_type` is the stored type, `mem_type` describes `data`.
/// Collective in a parallel file: every rank calls it with identical arguments.
void write_scalar_attribute(hid_t obj, const std::string& name, hid_t file_type, hid_t mem_type,
                            const void* data);

}  // namespace npde::io::h5

/// Runs an HDF5 call and throws npde::Error (with the call text) if it returns a negative value;
/// otherwise yields the returned value, e.g. `hid_t f = NPDE_H5_CHECK(H5Fopen(...));`.
#define NPDE_H5_CHECK(call) ::npde::io::h5::check_call((call), #call, __FILE__, __LINE__, __func__)
