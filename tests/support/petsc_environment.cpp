// SPDX-License-Identifier: BSD-3-Clause
// PETSc lifetime for the reference test executables: one global GoogleTest environment.
#include <gtest/gtest.h>

#include "npde/reference/petsc_env.hpp"

namespace {

// The MPI test main starts MPI and Kokkos only; every test of a reference executable runs inside
// PETSc. Options can still be given through the PETSC_OPTIONS environment variable.
class PetscEnvironment : public ::testing::Environment {
 public:
  void SetUp() override { npde::reference::initialize(nullptr, nullptr); }
  void TearDown() override { npde::reference::finalize(); }
};

[[maybe_unused]] ::testing::Environment* const g_petsc_environment =
    ::testing::AddGlobalTestEnvironment(new PetscEnvironment);

}  // namespace
