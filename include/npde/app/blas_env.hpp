// SPDX-License-Identifier: BSD-3-Clause
// Launch-time BLAS environment: one BLAS thread per rank and the right OpenBLAS kernels.
#pragma once

#include <string>

namespace npde::app {

/// OpenBLAS core to request for this CPU when the library's own detection fell back to a generic
/// kernel ("SkylakeX" / "Cooperlake" for AVX-512, "Haswell" for AVX2), or "" when nothing must change.
/// [in] detected: openblas_get_corename(); [in] cpu_flags: the "flags" line of /proc/cpuinfo.
std::string blas_core_fix(const std::string& detected, const std::string& cpu_flags);

/// Before MPI_Init: if OPENBLAS_NUM_THREADS is unset, or OpenBLAS runs generic kernels on a CPU it
/// misdetects, sets OPENBLAS_NUM_THREADS=1 / OPENBLAS_CORETYPE and re-executes the program once
/// (OpenBLAS reads them only at load time). NPDE_NO_REEXEC=1 disables this.
void ensure_blas_environment(char** argv);

}  // namespace npde::app
