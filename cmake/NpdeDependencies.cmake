# SPDX-License-Identifier: BSD-3-Clause
# Finds npde's dependencies (all Debian 12 packages, or a user's own installs) and
# repairs the known defects of Debian's packaging without touching system files.

# --- Kokkos (Debian: 3.4 inside Trilinos, Serial; or a user's Kokkos 4 via -DKokkos_ROOT) ---
find_package(Kokkos REQUIRED)
set_package_properties(Kokkos PROPERTIES TYPE REQUIRED PURPOSE "kernels on CPU or GPU")
# Debian's Trilinos export names a missing include directory (see NpdeKokkosRepair.cmake).
include(NpdeKokkosRepair)
npde_repair_kokkos_includes()
message(STATUS "npde: Kokkos ${Kokkos_VERSION}, devices: ${Kokkos_DEVICES}")

# --- Kokkos Kernels (gemm on the device; the host uses CBLAS directly) ---
# With a user's Kokkos 4, only a matching Kokkos Kernels 4 may be used (Debian's Trilinos one is
# built against Kokkos 3.4 and has no version file, so the version request skips it).
if(Kokkos_VERSION VERSION_LESS 4.0)
  find_package(KokkosKernels QUIET)
else()
  find_package(KokkosKernels 4 QUIET)
endif()
add_library(npde_kokkoskernels INTERFACE)
set(NPDE_HAVE_KOKKOSKERNELS 0)
if(TARGET Kokkos::kokkoskernels)
  target_link_libraries(npde_kokkoskernels INTERFACE Kokkos::kokkoskernels)
  set(NPDE_HAVE_KOKKOSKERNELS 1)
elseif(TARGET trilinos_kokkoskernels)
  # Debian/TriBITS export: a bare target without include directories.
  target_link_libraries(npde_kokkoskernels INTERFACE trilinos_kokkoskernels)
  target_include_directories(npde_kokkoskernels SYSTEM INTERFACE ${KokkosKernels_INCLUDE_DIRS})
  set(NPDE_HAVE_KOKKOSKERNELS 1)
endif()
if(NOT NPDE_HAVE_KOKKOSKERNELS AND NOT Kokkos_ENABLE_CUDA AND NOT Kokkos_ENABLE_HIP)
  message(STATUS "npde: Kokkos Kernels not found; host GEMMs use CBLAS")
elseif(NOT NPDE_HAVE_KOKKOSKERNELS)
  message(FATAL_ERROR "npde: a device Kokkos build needs Kokkos Kernels (pass -DKokkosKernels_ROOT=...)")
endif()

# --- CBLAS (OpenBLAS) for host GEMMs in float and double, and its core query ---
# A kernels-only device build never runs a host GEMM (nn dispatches on the memory space), so it
# does not link OpenBLAS: the binaries then need nothing beyond the CUDA/HIP runtime libraries.
set(NPDE_HAVE_CBLAS 0)
add_library(npde_blas INTERFACE)
if(NPDE_KERNELS_ONLY AND NPDE_HAVE_KOKKOSKERNELS AND (Kokkos_ENABLE_CUDA OR Kokkos_ENABLE_HIP))
  message(STATUS "npde: device kernels-only build: GEMMs through Kokkos Kernels, no CBLAS")
else()
  find_path(NPDE_CBLAS_INCLUDE_DIR cblas.h PATH_SUFFIXES openblas x86_64-linux-gnu/openblas-pthread)
  find_library(NPDE_OPENBLAS_LIBRARY NAMES openblas)
endif()
if(NPDE_CBLAS_INCLUDE_DIR AND NPDE_OPENBLAS_LIBRARY)
  set(NPDE_HAVE_CBLAS 1)
  target_include_directories(npde_blas SYSTEM INTERFACE ${NPDE_CBLAS_INCLUDE_DIR})
  target_link_libraries(npde_blas INTERFACE ${NPDE_OPENBLAS_LIBRARY})
  message(STATUS "npde: OpenBLAS ${NPDE_OPENBLAS_LIBRARY}")
elseif(NOT NPDE_HAVE_KOKKOSKERNELS)
  message(FATAL_ERROR "npde: neither OpenBLAS (cblas.h, libopenblas) nor Kokkos Kernels found; install libopenblas-dev")
endif()

if(NPDE_KERNELS_ONLY)
  # The kernel tests (nn, pde) need GoogleTest alone: an installed one, or its sources (Debian's
  # googletest package puts them in /usr/src/googletest) built here for a bare device machine.
  set(NPDE_GTEST_SOURCE_DIR "" CACHE PATH "GoogleTest sources to build with the kernel tests")
  if(NPDE_ENABLE_TESTS AND NPDE_GTEST_SOURCE_DIR)
    set(INSTALL_GTEST OFF CACHE BOOL "" FORCE)
    set(BUILD_GMOCK OFF CACHE BOOL "" FORCE)
    add_subdirectory(${NPDE_GTEST_SOURCE_DIR} ${PROJECT_BINARY_DIR}/googletest EXCLUDE_FROM_ALL)
    if(NOT TARGET GTest::gtest)
      add_library(GTest::gtest ALIAS gtest)
    endif()
  elseif(NPDE_ENABLE_TESTS)
    find_package(GTest QUIET)
    if(NOT TARGET GTest::gtest)
      message(STATUS "npde: GoogleTest not found; kernel tests off (pass -DNPDE_GTEST_SOURCE_DIR=...)")
      set(NPDE_ENABLE_TESTS OFF)
    endif()
  endif()
  return()
endif()

# --- MPI ---
find_package(MPI REQUIRED COMPONENTS C CXX)
set_package_properties(MPI PROPERTIES TYPE REQUIRED PURPOSE "data and domain parallelism")

# --- parallel HDF5 (PETSc's pkg-config lacks the HDF5 include path, so take it from here) ---
set(HDF5_PREFER_PARALLEL TRUE)
find_package(HDF5 REQUIRED COMPONENTS C)
if(NOT HDF5_IS_PARALLEL)
  message(FATAL_ERROR "npde needs a parallel HDF5 (Debian: libhdf5-openmpi-dev); found ${HDF5_C_LIBRARIES}")
endif()
add_library(npde_hdf5 INTERFACE)
target_include_directories(npde_hdf5 SYSTEM INTERFACE ${HDF5_C_INCLUDE_DIRS})
target_link_libraries(npde_hdf5 INTERFACE ${HDF5_C_LIBRARIES} MPI::MPI_C)
target_compile_definitions(npde_hdf5 INTERFACE ${HDF5_C_DEFINITIONS})

# --- PETSc and SLEPc (pkg-config) ---
find_package(PkgConfig REQUIRED)
pkg_check_modules(PETSC REQUIRED IMPORTED_TARGET PETSc)
# SLEPc solves the eigenvalue reference problems (Schroedinger); it ships with every PETSc install
# that npde targets (Debian slepc-dev, Spack/EasyBuild petsc+slepc modules).
pkg_check_modules(SLEPC REQUIRED IMPORTED_TARGET slepc)
set(NPDE_HAVE_SLEPC 1)
# FFTW (double) for the pseudo-spectral solvers and Gaussian random fields of reference/.
pkg_check_modules(FFTW REQUIRED IMPORTED_TARGET fftw3)
# single precision for the Fourier neural operators' float32 mode (same Debian package)
pkg_check_modules(FFTWF REQUIRED IMPORTED_TARGET fftw3f)
message(STATUS "npde: PETSc ${PETSC_VERSION}, SLEPc ${SLEPC_VERSION}, FFTW ${FFTW_VERSION}")

# --- input decks and expressions ---
find_package(yaml-cpp REQUIRED)
find_package(muparser REQUIRED)
if(TARGET yaml-cpp::yaml-cpp)
  set(NPDE_YAML_TARGET yaml-cpp::yaml-cpp)
else()
  set(NPDE_YAML_TARGET yaml-cpp)
endif()

if(NPDE_ENABLE_TESTS)
  find_package(GTest REQUIRED)
endif()
