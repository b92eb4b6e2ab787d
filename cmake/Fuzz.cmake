# libFuzzer targets for every parser that takes outside bytes (tests/fuzz/fuzz_<target>.c, linked
# with the instrumented library) and their ctest smoke runs; included by cmake/Native.cmake when
# IMPRINT_FUZZ is on. scripts/fuzz.sh drives them:
#   fuzz-seeds                 seed corpora from real files (tests/fuzz/seed-corpora.js)
#   fuzz-regressions-<target>  every input in tests/fuzz/regressions/<target>/ must pass
#   fuzz-<target>              $IMPRINT_FUZZ_SECONDS (default 60) of fuzzing from the seeds
# Corpora, logs and crashes are under the build directory: corpus/, live/, crashes/<target>/.

file(GLOB fuzz_sources CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/tests/fuzz/fuzz_*.c")
set(fuzz_targets "")
foreach(source ${fuzz_sources})
  get_filename_component(name "${source}" NAME_WE)
  string(REGEX REPLACE "^fuzz_" "" target "${name}")
  list(APPEND fuzz_targets ${target})
  add_executable(${name} "${source}")
  set_target_properties(${name} PROPERTIES C_STANDARD 11 C_STANDARD_REQUIRED ON C_EXTENSIONS OFF)
  target_include_directories(${name} PRIVATE "${PROJECT_SOURCE_DIR}/src")
  target_compile_options(${name} PRIVATE -fsanitize=fuzzer)
  target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  target_link_libraries(${name} PRIVATE imprint)
endforeach()

add_test(NAME fuzz-seeds
  COMMAND "${IMPRINT_NODE}" tests/fuzz/seed-corpora.js "${CMAKE_BINARY_DIR}" "${IMPRINT_TESTDATA_DIR}"
  WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}")
set_tests_properties(fuzz-seeds PROPERTIES FIXTURES_SETUP fuzz-seeds)

set(run_fuzzer "${CMAKE_CURRENT_LIST_DIR}/run-fuzzer.cmake")
set(regression_tests "")
foreach(target ${fuzz_targets})
  add_test(NAME fuzz-regressions-${target}
    COMMAND "${CMAKE_COMMAND}" -DMODE=regressions -DTARGET=${target} "-DFUZZER=$<TARGET_FILE:fuzz_${target}>"
            "-DOUT=${CMAKE_BINARY_DIR}" "-DREGRESSIONS=${PROJECT_SOURCE_DIR}/tests/fuzz/regressions/${target}"
            -P "${run_fuzzer}")
  set_tests_properties(fuzz-regressions-${target} PROPERTIES FIXTURES_REQUIRED fuzz-seeds)
  list(APPEND regression_tests fuzz-regressions-${target})
endforeach()
foreach(target ${fuzz_targets})
  add_test(NAME fuzz-${target}
    COMMAND "${CMAKE_COMMAND}" -DMODE=fuzz -DTARGET=${target} "-DFUZZER=$<TARGET_FILE:fuzz_${target}>"
            "-DOUT=${CMAKE_BINARY_DIR}" -P "${run_fuzzer}")
  # After every replay, so a known crash is reported as such rather than found again.
  set_tests_properties(fuzz-${target} PROPERTIES FIXTURES_REQUIRED fuzz-seeds DEPENDS "${regression_tests}")
endforeach()
