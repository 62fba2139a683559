// SPDX-License-Identifier: BSD-3-Clause
// GoogleTest main for single-process tests: MPI (singleton) and Kokkos around the run; without MPI
// for the kernel tests of a kernels-only build (NPDE_TEST_NO_MPI).
#include <gtest/gtest.h>
#ifndef NPDE_TEST_NO_MPI
#include <mpi.h>
#endif

#include <Kokkos_Core.hpp>

int main(int argc, char** argv) {
#ifndef NPDE_TEST_NO_MPI
  MPI_Init(&argc, &argv);
#endif
  ::testing::InitGoogleTest(&argc, argv);
  int rc = 0;
  Kokkos::initialize(argc, argv);
  rc = RUN_ALL_TESTS();
  Kokkos::finalize();
#ifndef NPDE_TEST_NO_MPI
  MPI_Finalize();
#endif
  return rc;
}
