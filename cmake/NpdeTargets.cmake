# SPDX-License-Identifier: BSD-3-Clause
# Helpers that declare npde's module libraries and tests.

# npde_add_module(NAME <module> SOURCES ... LINK ...): static library npde_<module>, alias npde::<module>
# (the same name as the installed package exports it under).
function(npde_add_module)
  cmake_parse_arguments(A "" "NAME" "SOURCES;LINK" ${ARGN})
  if(NOT A_SOURCES)
    # A module with no compiled sources yet (header-only so far) still gets its library.
    set(_empty ${PROJECT_BINARY_DIR}/npde_${A_NAME}_empty.cpp)
    file(WRITE ${_empty} "// empty translation unit of module ${A_NAME}\n")
    set(A_SOURCES ${_empty})
  endif()
  add_library(npde_${A_NAME} STATIC ${A_SOURCES})
  add_library(npde::${A_NAME} ALIAS npde_${A_NAME})
  target_include_directories(npde_${A_NAME} PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
    $<BUILD_INTERFACE:${PROJECT_BINARY_DIR}/include>
    PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_compile_features(npde_${A_NAME} PUBLIC cxx_std_17)
  target_link_libraries(npde_${A_NAME} PUBLIC ${A_LINK})
  npde_set_warnings(npde_${A_NAME})
  # Installed and exported as npde::<module> (cmake/NpdeInstall.cmake installs every registered module).
  set_target_properties(npde_${A_NAME} PROPERTIES EXPORT_NAME ${A_NAME})
  set_property(GLOBAL APPEND PROPERTY NPDE_MODULES ${A_NAME})
endfunction()

function(npde_set_warnings tgt)
  target_compile_options(${tgt} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra>)
  if(NPDE_ENABLE_NATIVE AND NOT Kokkos_ENABLE_CUDA)
    target_compile_options(${tgt} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-march=native>)
  endif()
  if(COMMAND npde_apply_sanitizers)  # cmake/NpdeSanitizers.cmake, a no-op unless NPDE_SANITIZE
    npde_apply_sanitizers(${tgt})
  endif()
endfunction()

# Environment every test and launched rank gets: OpenMPI as root, one BLAS thread per rank.
set(NPDE_TEST_ENV
  "OMPI_ALLOW_RUN_AS_ROOT=1" "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1"
  "OMPI_MCA_rmaps_base_oversubscribe=1" "OMPI_MCA_btl_vader_single_copy_mechanism=none"
  "OPENBLAS_NUM_THREADS=1" "OMP_NUM_THREADS=1" "OMP_PROC_BIND=false")

# npde_add_unit_test(NAME n SOURCES ... LINK ... [LABELS ...] [TIMEOUT s])
function(npde_add_unit_test)
  cmake_parse_arguments(A "" "NAME;TIMEOUT" "SOURCES;LINK;LABELS" ${ARGN})
  if(NOT A_TIMEOUT)
    set(A_TIMEOUT 120)
  endif()
  add_executable(${A_NAME} ${A_SOURCES})
  target_link_libraries(${A_NAME} PRIVATE ${A_LINK} npde_test_main GTest::gtest)
  npde_set_warnings(${A_NAME})
  add_test(NAME ${A_NAME} COMMAND ${A_NAME})
  set_tests_properties(${A_NAME} PROPERTIES TIMEOUT ${A_TIMEOUT} LABELS "unit;${A_LABELS}"
    ENVIRONMENT "${NPDE_TEST_ENV}")
endfunction()

# npde_add_mpi_test(NAME n SOURCES ... LINK ... [RANKS 1 2] [LABELS ...] [TIMEOUT s])
# Registers one ctest test per rank count (NAME_np1, NAME_np2, ...) under MPIEXEC_EXECUTABLE.
function(npde_add_mpi_test)
  # OVERSUBSCRIBE: also the rank counts above the machine's cores (NPDE_TEST_ENV lets Open MPI do it)
  cmake_parse_arguments(A "OVERSUBSCRIBE" "NAME;TIMEOUT" "SOURCES;LINK;RANKS;LABELS" ${ARGN})
  if(NOT A_RANKS)
    set(A_RANKS 1 2)
  endif()
  if(NOT A_TIMEOUT)
    set(A_TIMEOUT 180)
  endif()
  add_executable(${A_NAME} ${A_SOURCES})
  target_link_libraries(${A_NAME} PRIVATE ${A_LINK} npde_mpi_test_main GTest::gtest)
  npde_set_warnings(${A_NAME})
  foreach(np IN LISTS A_RANKS)
    if(NOT A_OVERSUBSCRIBE AND MPIEXEC_MAX_NUMPROCS AND np GREATER MPIEXEC_MAX_NUMPROCS AND np GREATER 2)
      continue()
    endif()
    add_test(NAME ${A_NAME}_np${np}
      COMMAND ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${np} ${MPIEXEC_PREFLAGS}
              $<TARGET_FILE:${A_NAME}> ${MPIEXEC_POSTFLAGS})
    set_tests_properties(${A_NAME}_np${np} PROPERTIES TIMEOUT ${A_TIMEOUT}
      LABELS "mpi;${A_LABELS}" PROCESSORS ${np} ENVIRONMENT "${NPDE_TEST_ENV}")
  endforeach()
endfunction()

# Python for the end-to-end tests: Debian's interpreter has numpy, h5py, PyYAML and matplotlib; a
# pyenv or venv python3 first on PATH may not. One cache variable serves every test folder.
set(NPDE_REGRESSION_PYTHON /usr/bin/python3 CACHE FILEPATH
    "Python 3 with numpy, h5py, PyYAML and matplotlib for the end-to-end tests")

# npde_python_has(<out-var> <module>...): TRUE if NPDE_REGRESSION_PYTHON imports every module.
function(npde_python_has out)
  set(_ok FALSE)
  if(EXISTS ${NPDE_REGRESSION_PYTHON})
    string(REPLACE ";" ", " _mods "${ARGN}")
    execute_process(COMMAND ${NPDE_REGRESSION_PYTHON} -c "import ${_mods}"
                    RESULT_VARIABLE _rc OUTPUT_QUIET ERROR_QUIET)
    if(_rc EQUAL 0)
      set(_ok TRUE)
    endif()
  endif()
  set(${out} ${_ok} PARENT_SCOPE)
endfunction()
