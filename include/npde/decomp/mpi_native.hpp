// SPDX-License-Identifier: BSD-3-Clause
// Native MPI access for the modules that own external MPI-based systems (io/, reference/).
#pragma once

#include <mpi.h>

#include "npde/decomp/communicator.hpp"

namespace npde::decomp {

/// The MPI_Comm behind a Communicator (still owned by it).
inline MPI_Comm native(const Communicator& c) { return *static_cast<MPI_Comm*>(c.native_handle()); }

}  // namespace npde::decomp
