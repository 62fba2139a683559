# SPDX-License-Identifier: BSD-3-Clause
# Driver of the ctest test example_custom_equation (cmake -P; variables from tests/examples/CMakeLists.txt):
#   1. cmake --install NPDE_BUILD_DIR --prefix WORK_DIR/prefix   (a fresh prefix every run)
#   2. configure EXAMPLE_SOURCE_DIR with -Dnpde_DIR=WORK_DIR/prefix/PACKAGE_DIR (no other hints:
#      the installed npdeConfig.cmake must find Kokkos, MPI, PETSc, ... by itself)
#   3. build it
#   4. MPIEXEC NP_FLAG RANKS PREFLAGS custom_equation POSTFLAGS
# Any step that fails fails the test, with that step's output.
cmake_minimum_required(VERSION 3.20)

foreach(_v NPDE_BUILD_DIR EXAMPLE_SOURCE_DIR WORK_DIR MPIEXEC RANKS)
  if(NOT DEFINED ${_v} OR "${${_v}}" STREQUAL "")
    message(FATAL_ERROR "install_and_run_example.cmake: -D${_v}=... is required")
  endif()
endforeach()

set(_prefix ${WORK_DIR}/prefix)
set(_build ${WORK_DIR}/build)
if(NOT PACKAGE_DIR)
  set(PACKAGE_DIR lib/cmake/npde)  # NPDE_INSTALL_CMAKEDIR's usual value
endif()
file(REMOVE_RECURSE ${_prefix} ${_build})

set(_config_args "")
if(CONFIG)
  set(_config_args --config ${CONFIG})
endif()

# step(<name> <quiet> <command>...): runs the command; on failure prints its output and stops.
function(step name quiet)
  string(TIMESTAMP _t0 "%s")
  if(quiet)
    execute_process(COMMAND ${ARGN} RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _out)
  else()
    execute_process(COMMAND ${ARGN} RESULT_VARIABLE _rc)
  endif()
  string(TIMESTAMP _t1 "%s")
  math(EXPR _dt "${_t1} - ${_t0}")
  if(NOT _rc EQUAL 0)
    string(REPLACE ";" " " _cmd "${ARGN}")
    message(FATAL_ERROR "example: ${name} failed (${_rc}): ${_cmd}\n${_out}")
  endif()
  message(STATUS "example: ${name} ok (${_dt} s)")
endfunction()

step("install into ${_prefix}" TRUE ${CMAKE_COMMAND} --install ${NPDE_BUILD_DIR} --prefix ${_prefix} ${_config_args})

set(_configure ${CMAKE_COMMAND} -S ${EXAMPLE_SOURCE_DIR} -B ${_build} -Dnpde_DIR=${_prefix}/${PACKAGE_DIR})
if(GENERATOR)
  list(APPEND _configure -G ${GENERATOR})
endif()
if(CONFIG)
  list(APPEND _configure -DCMAKE_BUILD_TYPE=${CONFIG})
endif()
if(CXX_COMPILER)
  list(APPEND _configure -DCMAKE_CXX_COMPILER=${CXX_COMPILER})
endif()
if(C_COMPILER)
  list(APPEND _configure -DCMAKE_C_COMPILER=${C_COMPILER})
endif()
step("configure with find_package(npde)" TRUE ${_configure})
step("build" TRUE ${CMAKE_COMMAND} --build ${_build} ${_config_args})

set(_exe ${_build}/custom_equation)
if(NOT EXISTS ${_exe} AND CONFIG AND EXISTS ${_build}/${CONFIG}/custom_equation)
  set(_exe ${_build}/${CONFIG}/custom_equation)  # multi-config generators
endif()
separate_arguments(_pre UNIX_COMMAND "${PREFLAGS}")
separate_arguments(_post UNIX_COMMAND "${POSTFLAGS}")
step("run on ${RANKS} ranks" FALSE ${MPIEXEC} ${NP_FLAG} ${RANKS} ${_pre} ${_exe} ${_post})
