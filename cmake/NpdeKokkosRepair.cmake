# SPDX-License-Identifier: BSD-3-Clause
# npde_repair_kokkos_includes(): Debian's Trilinos export points Kokkos::kokkos at /usr/lib/include,
# which does not exist, and CMake refuses to link an imported target that names a missing include
# directory. Drops the missing entries and adds the directory that really holds Kokkos_Core.hpp.
# Used by npde's own build (NpdeDependencies.cmake) and by the installed npdeConfig.cmake, so a
# project that calls find_package(npde) gets the same repair. A no-op for a sound Kokkos install.
# [in] extra hint directories for Kokkos_Core.hpp (e.g. the one npde was built with).
macro(npde_repair_kokkos_includes)
  if(TARGET Kokkos::kokkos)
    get_target_property(_npde_kk_inc Kokkos::kokkos INTERFACE_INCLUDE_DIRECTORIES)
    set(_npde_kk_good "")
    set(_npde_kk_bad FALSE)
    foreach(_d IN LISTS _npde_kk_inc)
      if(_d MATCHES "^\\$<" OR EXISTS "${_d}")
        list(APPEND _npde_kk_good "${_d}")
      else()
        set(_npde_kk_bad TRUE)
      endif()
    endforeach()
    if(_npde_kk_bad)
      find_path(NPDE_KOKKOS_INCLUDE_DIR Kokkos_Core.hpp
        HINTS ${ARGN} ${Kokkos_INCLUDE_DIRS} ${Kokkos_DIR}/../../../../include/trilinos
        PATHS /usr/include/trilinos NO_DEFAULT_PATH)
      if(NOT NPDE_KOKKOS_INCLUDE_DIR)
        message(FATAL_ERROR "Kokkos::kokkos names a missing include directory and Kokkos_Core.hpp was not found; pass -DNPDE_KOKKOS_INCLUDE_DIR=...")
      endif()
      list(APPEND _npde_kk_good "${NPDE_KOKKOS_INCLUDE_DIR}")
      set_target_properties(Kokkos::kokkos PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${_npde_kk_good}")
      message(STATUS "npde: repaired Kokkos::kokkos include directories -> ${_npde_kk_good}")
    endif()
  endif()
endmacro()
