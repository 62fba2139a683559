// SPDX-License-Identifier: BSD-3-Clause
// Versions of the I/O and communication libraries npde runs with (for --version and provenance).
#pragma once

#include <string>

namespace npde::io {

/// HDF5 library version at run time, e.g. "1.10.8".
std::string hdf5_version();
/// First line of MPI_Get_library_version, e.g. "Open MPI v4.1.4, ...".
std::string mpi_library_version();

}  // namespace npde::io
