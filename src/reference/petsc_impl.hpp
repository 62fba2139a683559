// SPDX-License-Identifier: BSD-3-Clause
// Private PETSc glue of reference/: error translation at the C++ boundary and scoped option sets.
#pragma once

#include <petscsys.h>

#include <string>

#if defined(PETSC_USE_COMPLEX)
#error "npde::reference needs a real-scalar PETSc build"
#endif

// PETSC_SUCCESS arrived in PETSc 3.19; 3.18 returns a plain 0.
#ifndef PETSC_SUCCESS
#define PETSC_SUCCESS 0
#endif

namespace npde::reference::detail {

/// Throws npde::Error for a nonzero PETSc code, with PETSc's message for the error that caused it.
[[noreturn]] void throw_petsc_error(PetscErrorCode code, const char* expr, const char* file, int line);

/// Solver options for one solve: while alive, PETSc's default options database is a copy in which
/// `defaults` are overridden by the process-wide database (the command line). Nothing leaks into
/// the next solve. Not collective; create and destroy it on every rank of the solve alike.
class ScopedOptions {
 public:
  explicit ScopedOptions(const std::string& defaults);
  ~ScopedOptions();
  ScopedOptions(const ScopedOptions&) = delete;
  ScopedOptions& operator=(const ScopedOptions&) = delete;

 private:
  PetscOptions m_options = nullptr;
};

}  // namespace npde::reference::detail

/// The one translation point from PETSc error codes to npde exceptions: wrap each PETSc-style call
/// made from a function that reports errors by throwing.
#define NPDE_PETSC_CALL(expr)                                                         \
  do {                                                                                \
    PetscErrorCode npde_petsc_code_ = (expr);                                         \
    if (npde_petsc_code_ != PETSC_SUCCESS)                                            \
      ::npde::reference::detail::throw_petsc_error(npde_petsc_code_, #expr, __FILE__, __LINE__); \
  } while (0)
