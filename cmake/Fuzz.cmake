# libFuzzer targets for every parser that takes outside bytes (tests/fuzz/fuzz_<target>.c, linked
# with the instrumented library) and their ctest smoke runs; included by cmake/Native.cmake when
# IMPRINT_FUZZ is on. scripts/fuzz.sh drives them:
#   fuzz-seeds                 seed corpora from real files (tests/fuzz/seed-corpora.js)
#   fuzz-regressions-<target>  every input in tests/fuzz/regressions/<target>/ must pass
#   fuzz-<target>              $IMPRINT_FUZZ_SECONDS (default 60) of fuzzing from the seeds
# The same for the JavaScript targets tests/fuzz/fuzz_<target>.js (below).
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

# JavaScript targets (tests/fuzz/fuzz_<target>.js: the converter's readers of outside bytes) run
# under the same libFuzzer, from a Node-API addon (tests/fuzz/node/libfuzzer_node.c) linked with
# clang's libclang_rt.fuzzer_no_main; tests/fuzz/node/run.js instruments the JavaScript for coverage.
file(GLOB fuzz_js_sources CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/tests/fuzz/fuzz_*.js")
set(fuzz_js_targets "")
foreach(source ${fuzz_js_sources})
  get_filename_component(name "${source}" NAME_WE)
  string(REGEX REPLACE "^fuzz_" "" target "${name}")
  list(APPEND fuzz_js_targets ${target})
endforeach()
if(fuzz_js_targets)
  get_filename_component(node_bin "${IMPRINT_NODE}" DIRECTORY)
  find_path(IMPRINT_NODE_API_INCLUDE node_api.h HINTS "${node_bin}/../include/node" PATH_SUFFIXES node)
  if(NOT IMPRINT_NODE_API_INCLUDE)
    message(FATAL_ERROR "the JavaScript fuzz targets need Node's C headers (node_api.h): apt-get install libnode-dev")
  endif()
  execute_process(COMMAND "${CMAKE_C_COMPILER}" --print-runtime-dir OUTPUT_VARIABLE clang_runtime_dir
                  OUTPUT_STRIP_TRAILING_WHITESPACE)
  set(libfuzzer_no_main "${clang_runtime_dir}/libclang_rt.fuzzer_no_main-${CMAKE_SYSTEM_PROCESSOR}.a")
  if(NOT EXISTS "${libfuzzer_no_main}")
    message(FATAL_ERROR "libFuzzer without main() not found: ${libfuzzer_no_main}")
  endif()
  # Not instrumented and not sanitized: node itself is neither; the coverage is the JavaScript's.
  add_library(libfuzzer_node MODULE "${PROJECT_SOURCE_DIR}/tests/fuzz/node/libfuzzer_node.c")
  set_target_properties(libfuzzer_node PROPERTIES PREFIX "" SUFFIX ".node" C_STANDARD 11 C_STANDARD_REQUIRED ON)
  target_compile_definitions(libfuzzer_node PRIVATE NODE_GYP_MODULE_NAME=libfuzzer_node)
  target_compile_options(libfuzzer_node PRIVATE -O2 -Wall -Wextra -Werror)
  target_include_directories(libfuzzer_node SYSTEM PRIVATE "${IMPRINT_NODE_API_INCLUDE}")
  target_link_libraries(libfuzzer_node PRIVATE "${libfuzzer_no_main}" stdc++ m pthread)
endif()

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
foreach(target ${fuzz_js_targets})
  add_test(NAME fuzz-regressions-${target}
    COMMAND "${CMAKE_COMMAND}" -DMODE=regressions -DTARGET=${target} "-DFUZZER=$<TARGET_FILE:libfuzzer_node>"
            "-DNODE=${IMPRINT_NODE}" "-DRUNNER=${PROJECT_SOURCE_DIR}/tests/fuzz/node/run.js"
            "-DOUT=${CMAKE_BINARY_DIR}" "-DREGRESSIONS=${PROJECT_SOURCE_DIR}/tests/fuzz/regressions/${target}"
            -P "${run_fuzzer}")
  set_tests_properties(fuzz-regressions-${target} PROPERTIES FIXTURES_REQUIRED fuzz-seeds)
  list(APPEND regression_tests fuzz-regressions-${target})
endforeach()
foreach(target ${fuzz_js_targets})
  add_test(NAME fuzz-${target}
    COMMAND "${CMAKE_COMMAND}" -DMODE=fuzz -DTARGET=${target} "-DFUZZER=$<TARGET_FILE:libfuzzer_node>"
            "-DNODE=${IMPRINT_NODE}" "-DRUNNER=${PROJECT_SOURCE_DIR}/tests/fuzz/node/run.js"
            "-DOUT=${CMAKE_BINARY_DIR}" -P "${run_fuzzer}")
  set_tests_properties(fuzz-${target} PROPERTIES FIXTURES_REQUIRED fuzz-seeds DEPENDS "${regression_tests}")
endforeach()
foreach(target ${fuzz_targets})
  add_test(NAME fuzz-${target}
    COMMAND "${CMAKE_COMMAND}" -DMODE=fuzz -DTARGET=${target} "-DFUZZER=$<TARGET_FILE:fuzz_${target}>"
            "-DOUT=${CMAKE_BINARY_DIR}" -P "${run_fuzzer}")
  # After every replay, so a known crash is reported as such rather than found again.
  set_tests_properties(fuzz-${target} PROPERTIES FIXTURES_REQUIRED fuzz-seeds DEPENDS "${regression_tests}")
endforeach()
