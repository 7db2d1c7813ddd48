# simtime_find_dependency(<package> <debian-package> [<find_package arguments>...])
#
# find_package(<package> ... CONFIG) for the dependencies that Debian 12's packages ship CMake
# configs for. When the package is missing (or too old), the configure step stops with one
# line that names the Debian package to install, instead of CMake's page about
# <package>_DIR:
#
#   simtime: fmt not found: install libfmt-dev (scripts/setup.sh installs every dependency)
#
# A macro, not a function: find_package's variables (fmt_VERSION, ...) stay visible to the
# caller.
macro(simtime_find_dependency package debian_package)
  find_package(${package} ${ARGN} CONFIG QUIET)
  if(NOT ${package}_FOUND)
    set(_simtime_why "not found")
    if(${package}_CONSIDERED_VERSIONS)
      # Found, but not a version that fits: say which ones were seen.
      set(_simtime_versions ${${package}_CONSIDERED_VERSIONS})
      list(REMOVE_DUPLICATES _simtime_versions)  # /lib is /usr/lib: the same config twice
      list(JOIN _simtime_versions ", " _simtime_versions)
      set(_simtime_why "${ARGN} needed, found only ${_simtime_versions}")
    endif()
    message(FATAL_ERROR
      "simtime: ${package} ${_simtime_why}: install ${debian_package} "
      "(scripts/setup.sh installs every dependency)")
  endif()
endmacro()
