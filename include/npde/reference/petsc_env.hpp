// SPDX-License-Identifier: BSD-3-Clause
// PETSc lifetime for npde: start, stop and identify the PETSc library behind reference/.
#pragma once

#include <string>

namespace npde::reference {

/// Starts PETSc and SLEPc on MPI_COMM_WORLD. Collective on MPI_COMM_WORLD.
/// Call after MPI_Init and Kokkos::initialize and before any reference solve; finalize() in reverse
/// order (PETSc, then Kokkos, then MPI). `argc`/`argv` may be null; otherwise every argument PETSc
/// understands (-ksp_type cg, -ksp_monitor, ...) enters its options database and later overrides the
/// per-solve options of a reference problem. A second call while PETSc runs does nothing.
/// Errors from PETSc calls made by npde are turned into npde::Error carrying PETSc's message
/// (PETSc's own traceback printing is replaced by that).
void initialize(int* argc, char*** argv);

/// Stops SLEPc and PETSc if initialize() started them. Collective on MPI_COMM_WORLD.
void finalize();

/// True between initialize() and finalize() (or when PETSc was started by someone else).
bool is_initialized();

/// Version of the PETSc library linked in, "major.minor.subminor", e.g. "3.18.5". Not collective;
/// works before initialize().
std::string petsc_version();

/// Version of SLEPc, "major.minor.subminor". Not collective.
std::string slepc_version();

/// Version of the FFTW library linked in, e.g. "3.3.10". Not collective.
std::string fftw_version();

}  // namespace npde::reference
