// SPDX-License-Identifier: BSD-3-Clause
// Run-time library versions.
#include "npde/io/version.hpp"

#include <hdf5.h>
#include <mpi.h>

#include <cstring>

namespace npde::io {

std::string hdf5_version() {
  unsigned maj = 0, min = 0, rel = 0;
  H5get_libversion(&maj, &min, &rel);
  return std::to_string(maj) + "." + std::to_string(min) + "." + std::to_string(rel);
}

std::string mpi_library_version() {
  char buf[MPI_MAX_LIBRARY_VERSION_STRING];
  int len = 0;
  MPI_Get_library_version(buf, &len);
  std::string s(buf, strnlen(buf, std::size_t(len)));  // Open MPI counts the NUL in len
  const auto nl = s.find_first_of("\r\n");
  if (nl != std::string::npos) s.resize(nl);
  return s;
}

}  // namespace npde::io
