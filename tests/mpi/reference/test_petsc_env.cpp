// SPDX-License-Identifier: BSD-3-Clause
// PETSc lifetime for the reference tests (one global environment) and the version query.
#include <gtest/gtest.h>
#include <petscversion.h>

#include <string>

#include "npde/reference/petsc_env.hpp"

namespace {

// The MPI test main starts MPI and Kokkos only; every test of this executable runs inside PETSc.
// Options can still be given through the PETSC_OPTIONS environment variable.
class PetscEnvironment : public ::testing::Environment {
 public:
  void SetUp() override { npde::reference::initialize(nullptr, nullptr); }
  void TearDown() override { npde::reference::finalize(); }
};

[[maybe_unused]] ::testing::Environment* const g_petsc_environment =
    ::testing::AddGlobalTestEnvironment(new PetscEnvironment);

TEST(PetscEnv, IsRunningInsideTheEnvironment) { EXPECT_TRUE(npde::reference::is_initialized()); }

TEST(PetscEnv, SecondInitializeIsHarmless) {
  npde::reference::initialize(nullptr, nullptr);
  EXPECT_TRUE(npde::reference::is_initialized());
}

TEST(PetscEnv, VersionOfLinkedLibraryMatchesHeaders) {
  const std::string expected = std::to_string(PETSC_VERSION_MAJOR) + "." + std::to_string(PETSC_VERSION_MINOR) +
                               "." + std::to_string(PETSC_VERSION_SUBMINOR);
  EXPECT_EQ(npde::reference::petsc_version(), expected);
}

}  // namespace
