# SPDX-License-Identifier: BSD-3-Clause
# Optional AddressSanitizer/UndefinedBehaviorSanitizer instrumentation of npde's own targets.
#
# -DNPDE_SANITIZE="address;undefined" instruments every target that goes through
# npde_set_warnings (module libraries, tests, the npde command, benchmarks); imported targets
# (Kokkos, PETSc, HDF5, OpenMPI, GTest) and global flags are left alone. The sanitizer runtime
# options reach every test, and every rank mpiexec starts, through NPDE_TEST_ENV.

set(NPDE_SANITIZE "" CACHE STRING
  "Sanitizers for npde's targets, a list out of: address, undefined, leak (e.g. \"address;undefined\")")
string(REPLACE ";" "," _npde_san_list "${NPDE_SANITIZE}")
add_feature_info(sanitizers NPDE_SANITIZE "npde targets built with -fsanitize (NPDE_SANITIZE)")
option(NPDE_SANITIZE_FULL_STACKS "Sanitized tests record full malloc stacks (slower, narrower leak suppressions)" OFF)

set(_npde_san_known address undefined leak)
foreach(_s IN LISTS NPDE_SANITIZE)
  if(NOT _s IN_LIST _npde_san_known)
    message(FATAL_ERROR "NPDE_SANITIZE: unknown sanitizer '${_s}' (known: ${_npde_san_known})")
  endif()
endforeach()
if(NPDE_SANITIZE AND NOT CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
  message(FATAL_ERROR "NPDE_SANITIZE needs GCC or Clang, not ${CMAKE_CXX_COMPILER_ID}")
endif()
if(NPDE_SANITIZE AND Kokkos_ENABLE_CUDA)
  message(FATAL_ERROR "NPDE_SANITIZE is for host builds; nvcc does not support -fsanitize")
endif()

if(NPDE_SANITIZE)
  set(NPDE_SANITIZE_COMPILE_OPTIONS -fsanitize=${_npde_san_list} -fno-omit-frame-pointer)
  if("undefined" IN_LIST NPDE_SANITIZE)
    # Undefined behaviour aborts the test instead of printing and carrying on, so ctest sees it.
    list(APPEND NPDE_SANITIZE_COMPILE_OPTIONS -fno-sanitize-recover=undefined)
  endif()
  set(NPDE_SANITIZE_LINK_OPTIONS -fsanitize=${_npde_san_list})
  message(STATUS "npde: sanitizers ${_npde_san_list} on npde targets")

  # Runtime options of every test, and of every rank mpiexec starts (it passes the environment on).
  # A finding aborts the process so that ctest fails the test. ASan's default fast unwinder records
  # malloc stacks only up to the first frame in a library built without frame pointers (all of
  # Debian's): cheap, but a leak inside PETSc then cannot be told from one npde caused through
  # PETSc. NPDE_SANITIZE_FULL_STACKS unwinds fully (2-4x slower tests) and so needs fewer,
  # narrower leak suppressions; tests/sanitizers/lsan.supp explains each.
  set(_npde_san_dir ${PROJECT_SOURCE_DIR}/tests/sanitizers)
  set(_npde_asan "detect_leaks=1:halt_on_error=1:check_initialization_order=1:strict_string_checks=1")
  if(NPDE_SANITIZE_FULL_STACKS)
    string(APPEND _npde_asan ":fast_unwind_on_malloc=0:malloc_context_size=10")
    set(_npde_lsan_supp ${_npde_san_dir}/lsan.supp)
  else()
    # The rules for any stack depth, plus those that short stacks need.
    set(_npde_lsan_supp ${PROJECT_BINARY_DIR}/lsan-short-stacks.supp)
    file(READ ${_npde_san_dir}/lsan.supp _npde_supp_all)
    file(READ ${_npde_san_dir}/lsan-short-stacks.supp _npde_supp_short)
    file(WRITE ${_npde_lsan_supp} "${_npde_supp_all}${_npde_supp_short}")
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
      ${_npde_san_dir}/lsan.supp ${_npde_san_dir}/lsan-short-stacks.supp)
  endif()
  list(APPEND NPDE_TEST_ENV "ASAN_OPTIONS=${_npde_asan}"
    "LSAN_OPTIONS=suppressions=${_npde_lsan_supp}:print_suppressions=0"
    "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:suppressions=${_npde_san_dir}/ubsan.supp")
endif()

# OpenMPI unloads its components in MPI_Finalize, which leaves the leaks they made with
# unnamed frames; executables get a dlclose that keeps them loaded (see the source file).
if(NPDE_SANITIZE MATCHES "address|leak")
  add_library(npde_keep_dlopen OBJECT ${PROJECT_SOURCE_DIR}/tests/sanitizers/keep_dlopen.c)
  set_target_properties(npde_keep_dlopen PROPERTIES POSITION_INDEPENDENT_CODE ON)
endif()

# Called by npde_set_warnings for each npde target. Compile options stay on the target; the link
# option is PUBLIC so that an executable linking an instrumented library also gets the runtime.
function(npde_apply_sanitizers tgt)
  if(NOT NPDE_SANITIZE)
    return()
  endif()
  target_compile_options(${tgt} PRIVATE ${NPDE_SANITIZE_COMPILE_OPTIONS})
  target_link_options(${tgt} PUBLIC ${NPDE_SANITIZE_LINK_OPTIONS})
  get_target_property(_type ${tgt} TYPE)
  if(_type STREQUAL "EXECUTABLE" AND TARGET npde_keep_dlopen)
    target_link_libraries(${tgt} PRIVATE npde_keep_dlopen)
    target_link_options(${tgt} PRIVATE -Wl,--export-dynamic-symbol=dlclose)
  endif()
endfunction()
