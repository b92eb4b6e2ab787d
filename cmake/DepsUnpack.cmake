# imprint_read_lock / imprint_unpack: unpack a tarball pinned in scripts/deps.lock
# (fetched into .deps/ by scripts/fetch-deps.sh) after checking its sha256,
# optionally patch it, and leave a stamp so that it is done once. Used by
# cmake/XnnpackDeps.cmake for the wasm and the native builds.

# The repository root.
get_filename_component(IMPRINT_REPO_ROOT "${CMAKE_CURRENT_LIST_DIR}/.." ABSOLUTE)
set(IMPRINT_DEPS_LOCK "${IMPRINT_REPO_ROOT}/scripts/deps.lock")
set(IMPRINT_DEPS_DIR "${IMPRINT_REPO_ROOT}/.deps" CACHE PATH
    "Where scripts/fetch-deps.sh keeps the pinned source tarballs")

# Reconfigure (and so re-check the stamps) when a pin changes.
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${IMPRINT_DEPS_LOCK}")

find_program(IMPRINT_PATCH_PROGRAM patch REQUIRED)

# imprint_read_lock(<package>) sets <package>_TARBALL, <package>_SHA256 and
# <package>_STRIP from scripts/deps.lock.
function(imprint_read_lock package)
  file(STRINGS "${IMPRINT_DEPS_LOCK}" lines REGEX "^${package}[ \t]")
  list(LENGTH lines count)
  if(NOT count EQUAL 1)
    message(FATAL_ERROR "scripts/deps.lock: expected exactly one line for ${package}, found ${count}")
  endif()
  string(REGEX REPLACE "[ \t]+" ";" fields "${lines}")
  list(LENGTH fields nfields)
  if(NOT nfields EQUAL 5)
    message(FATAL_ERROR "scripts/deps.lock: malformed line for ${package}: ${lines}")
  endif()
  list(GET fields 2 tarball)
  list(GET fields 3 sha256)
  list(GET fields 4 strip)
  set(${package}_TARBALL "${IMPRINT_DEPS_DIR}/${tarball}" PARENT_SCOPE)
  set(${package}_SHA256 "${sha256}" PARENT_SCOPE)
  set(${package}_STRIP "${strip}" PARENT_SCOPE)
endfunction()

# imprint_unpack(<package> <destination> [PATCH <file>])
function(imprint_unpack package destination)
  cmake_parse_arguments(ARG "" "PATCH" "" ${ARGN})
  imprint_read_lock(${package})
  set(tarball "${${package}_TARBALL}")
  set(expected "${${package}_SHA256}")
  set(strip "${${package}_STRIP}")

  set(stamp_text "tarball-sha256=${expected}\n")
  if(ARG_PATCH)
    file(SHA256 "${ARG_PATCH}" patch_sha256)
    string(APPEND stamp_text "patch-sha256=${patch_sha256}\n")
  endif()
  set(stamp "${destination}/.imprint-unpacked")
  if(EXISTS "${stamp}")
    file(READ "${stamp}" existing)
    if(existing STREQUAL stamp_text)
      return()
    endif()
  endif()

  if(NOT EXISTS "${tarball}")
    message(FATAL_ERROR "${tarball} is missing: run scripts/fetch-deps.sh (or scripts/build.sh) first")
  endif()
  file(SHA256 "${tarball}" actual)
  if(NOT actual STREQUAL expected)
    message(FATAL_ERROR "${tarball}: sha256 ${actual} does not match the pin ${expected} in scripts/deps.lock")
  endif()

  message(STATUS "Unpacking ${package} into ${destination}")
  file(REMOVE_RECURSE "${destination}" "${destination}.tmp")
  file(ARCHIVE_EXTRACT INPUT "${tarball}" DESTINATION "${destination}.tmp")
  if(strip EQUAL 0)
    file(RENAME "${destination}.tmp" "${destination}")
  elseif(strip EQUAL 1)
    file(GLOB top LIST_DIRECTORIES true "${destination}.tmp/*")
    list(LENGTH top ntop)
    if(NOT ntop EQUAL 1 OR NOT IS_DIRECTORY "${top}")
      message(FATAL_ERROR "${tarball}: expected one top-level folder, found: ${top}")
    endif()
    file(RENAME "${top}" "${destination}")
    file(REMOVE_RECURSE "${destination}.tmp")
  else()
    message(FATAL_ERROR "scripts/deps.lock: unsupported strip count ${strip} for ${package}")
  endif()

  if(ARG_PATCH)
    message(STATUS "Patching ${package} with ${ARG_PATCH}")
    execute_process(
      COMMAND "${IMPRINT_PATCH_PROGRAM}" -p1 --fuzz=0 --batch --forward --quiet
              -d "${destination}" -i "${ARG_PATCH}"
      RESULT_VARIABLE result
      OUTPUT_VARIABLE output
      ERROR_VARIABLE output)
    if(NOT result EQUAL 0)
      file(REMOVE_RECURSE "${destination}")
      message(FATAL_ERROR "${ARG_PATCH} no longer applies cleanly to ${package} "
                          "(the pinned source changed?):\n${output}")
    endif()
  endif()
  file(WRITE "${stamp}" "${stamp_text}")
endfunction()
