// SPDX-License-Identifier: BSD-3-Clause
// GoogleTest main for single-process tests: MPI (singleton) and Kokkos around the run.
#include <gtest/gtest.h>
#include <mpi.h>

#include <Kokkos_Core.hpp>

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  ::testing::InitGoogleTest(&argc, argv);
  int rc = 0;
  Kokkos::initialize(argc, argv);
  rc = RUN_ALL_TESTS();
  Kokkos::finalize();
  MPI_Finalize();
  return rc;
}
