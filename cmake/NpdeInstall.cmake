# SPDX-License-Identifier: BSD-3-Clause
# `cmake --install <build> --prefix P`: every module library (P/lib/libnpde_<module>.a, libnpde.a for
# app), the public headers (P/include/npde/<module>/, plus the generated core/config.hpp), the npde
# command (P/bin), and the CMake package P/lib/cmake/npde (npdeConfig.cmake, npdeConfigVersion.cmake,
# npdeTargets.cmake with the npde:: targets), so that another project's find_package(npde) gives
# npde::core ... npde::app. See docs/library.md.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(NPDE_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/npde CACHE STRING
    "Where npdeConfig.cmake goes, relative to the install prefix")
mark_as_advanced(NPDE_INSTALL_CMAKEDIR)

# Modules registered by npde_add_module, and the interface targets of cmake/NpdeDependencies.cmake
# that the modules' link interfaces name (exported as npde::blas, npde::kokkoskernels, npde::hdf5).
get_property(_npde_modules GLOBAL PROPERTY NPDE_MODULES)
set(_npde_libraries "")
foreach(_m IN LISTS _npde_modules)
  list(APPEND _npde_libraries npde_${_m})
endforeach()
install(TARGETS ${_npde_libraries} EXPORT npdeTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
set(_npde_others "")
foreach(_h blas kokkoskernels hdf5)
  if(TARGET npde_${_h})
    set_target_properties(npde_${_h} PROPERTIES EXPORT_NAME ${_h})
    list(APPEND _npde_others npde_${_h})
  endif()
endforeach()
if(TARGET npde)
  list(APPEND _npde_others npde)  # the command, as the imported executable npde::npde
endif()
install(TARGETS ${_npde_others} EXPORT npdeTargets RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# Headers of the modules that were built (a kernels-only build installs core, nn and pde only).
foreach(_m IN LISTS _npde_modules)
  if(IS_DIRECTORY ${PROJECT_SOURCE_DIR}/include/npde/${_m})
    install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/npde/${_m}
            DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/npde FILES_MATCHING PATTERN "*.hpp")
  endif()
endforeach()
install(FILES ${PROJECT_BINARY_DIR}/include/npde/core/config.hpp DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/npde/core)

install(EXPORT npdeTargets NAMESPACE npde:: DESTINATION ${NPDE_INSTALL_CMAKEDIR})

# pkg-config folders of PETSc, SLEPc and FFTW as this build found them: the installed config appends
# them to PKG_CONFIG_PATH, so a consumer finds the same libraries without repeating the environment.
set(NPDE_PKG_CONFIG_DIRS "")
if(NOT NPDE_KERNELS_ONLY AND PKG_CONFIG_EXECUTABLE)
  foreach(_pc PETSc slepc fftw3 fftw3f)
    execute_process(COMMAND ${PKG_CONFIG_EXECUTABLE} --variable=pcfiledir ${_pc}
                    OUTPUT_VARIABLE _dir OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    if(_dir AND NOT _dir IN_LIST NPDE_PKG_CONFIG_DIRS)
      list(APPEND NPDE_PKG_CONFIG_DIRS ${_dir})
    endif()
  endforeach()
endif()

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/npdeConfig.cmake.in
  ${PROJECT_BINARY_DIR}/cmake/npdeConfig.cmake INSTALL_DESTINATION ${NPDE_INSTALL_CMAKEDIR})
# 0.x: a new minor version may change the interface.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/cmake/npdeConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/cmake/npdeConfig.cmake ${PROJECT_BINARY_DIR}/cmake/npdeConfigVersion.cmake
              ${PROJECT_SOURCE_DIR}/cmake/NpdeKokkosRepair.cmake
        DESTINATION ${NPDE_INSTALL_CMAKEDIR})
