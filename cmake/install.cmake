# Install the package so that an outside project can use it in either of two ways:
#   CMake:      find_package(wbem REQUIRED) then target_link_libraries(app PRIVATE wbem::cim)
#   pkg-config: pkg-config --cflags --libs wbem-cim
# Every module installs its own target into the export set wbemTargets; this file only
# publishes that set, so a new module needs no change here.

include(CMakePackageConfigHelpers)

set(WBEM_CMAKE_INSTALL_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/wbem)

# Packages the exported targets need at link time (public dependencies, and the private ones of
# our static libraries, such as spdlog): wbemConfig.cmake runs find_dependency() on each, so
# users get them without asking. Add one here when a target needs it. msgpack-cxx is wbem::decoupled's
# (under the package name this build found it by: `msgpack` on Debian 12, see CMakeLists.txt).
set(WBEM_PUBLIC_DEPENDENCIES Threads Boost spdlog absl SQLite3 ${WBEM_MSGPACK_PACKAGE})

install(EXPORT wbemTargets
  NAMESPACE wbem::
  FILE wbemTargets.cmake
  DESTINATION ${WBEM_CMAKE_INSTALL_DIR})

configure_package_config_file(
  ${CMAKE_CURRENT_LIST_DIR}/wbemConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/wbemConfig.cmake
  INSTALL_DESTINATION ${WBEM_CMAKE_INSTALL_DIR})
write_basic_package_version_file(
  ${CMAKE_CURRENT_BINARY_DIR}/wbemConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMajorVersion)
install(FILES
  ${CMAKE_CURRENT_BINARY_DIR}/wbemConfig.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/wbemConfigVersion.cmake
  DESTINATION ${WBEM_CMAKE_INSTALL_DIR})

# The .pc file locates the prefix from its own directory (${pcfiledir}) rather than from the
# configure-time prefix, so an install placed elsewhere with `cmake --install --prefix` still
# works, as the CMake config does.
set(WBEM_PKGCONFIG_INSTALL_DIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
file(RELATIVE_PATH WBEM_PC_PREFIX ${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig ${CMAKE_INSTALL_PREFIX})
string(REGEX REPLACE "/$" "" WBEM_PC_PREFIX ${WBEM_PC_PREFIX})
file(RELATIVE_PATH WBEM_PC_LIBDIR ${CMAKE_INSTALL_PREFIX} ${CMAKE_INSTALL_FULL_LIBDIR})
file(RELATIVE_PATH WBEM_PC_INCLUDEDIR ${CMAKE_INSTALL_PREFIX} ${CMAKE_INSTALL_FULL_INCLUDEDIR})
configure_file(${CMAKE_CURRENT_LIST_DIR}/wbem-cim.pc.in ${CMAKE_CURRENT_BINARY_DIR}/wbem-cim.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/wbem-cim.pc DESTINATION ${WBEM_PKGCONFIG_INSTALL_DIR})
