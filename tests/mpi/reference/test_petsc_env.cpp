// SPDX-License-Identifier: BSD-3-Clause
// PETSc lifetime inside the reference tests' global environment and the version query.
#include <gtest/gtest.h>
#include <petscversion.h>

#include <string>

#include "npde/reference/petsc_env.hpp"

namespace {

// tests/support/petsc_environment.cpp starts PETSc before the first test of every reference executable.
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
