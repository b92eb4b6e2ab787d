# One fuzz smoke test (cmake/Fuzz.cmake), run by ctest:
#   cmake -DMODE=regressions -DTARGET=<t> -DFUZZER=<exe> -DOUT=<build dir> -DREGRESSIONS=<dir> -P run-fuzzer.cmake
#   cmake -DMODE=fuzz -DTARGET=<t> -DFUZZER=<exe> -DOUT=<build dir> -P run-fuzzer.cmake
# fuzz: $ENV{IMPRINT_FUZZ_SECONDS} seconds (default 60) from OUT/corpus/<t> into OUT/live/<t>;
# a crash lands in OUT/crashes/<t>/. Logs: OUT/<t>.log, OUT/<t>-regressions.log.

# The head-file and index-file fuzzers load for the backbone the seeds were saved with
# (tests/fuzz/seed-corpora.js).
if(EXISTS "${OUT}/head-backbone")
  file(READ "${OUT}/head-backbone" backbone)
  string(STRIP "${backbone}" backbone)
  string(REPLACE " " ";" backbone "${backbone}")
  list(GET backbone 0 dim)
  list(GET backbone 1 hash)
  set(ENV{IMPRINT_FUZZ_DIM} "${dim}")
  set(ENV{IMPRINT_FUZZ_HASH} "${hash}")
endif()

# A JavaScript target (tests/fuzz/fuzz_<t>.js) runs through node: -DNODE=<node> -DRUNNER=<run.js>,
# with FUZZER the libFuzzer addon.
if(DEFINED NODE)
  set(command "${NODE}" --max-old-space-size=1024 "${RUNNER}" "${FUZZER}" "${TARGET}")
else()
  set(command "${FUZZER}")
endif()

# Prints the end of the log as it is (libFuzzer's lines are no CMake list), then fails the test.
function(fail log lines what)
  execute_process(COMMAND tail -n ${lines} "${log}")
  message(FATAL_ERROR "fuzz: ${TARGET} ${what}")
endfunction()

if(MODE STREQUAL "regressions")
  # Every input a fuzzer ever crashed on stays a regression test.
  file(GLOB inputs "${REGRESSIONS}/*")
  list(LENGTH inputs count)
  if(count EQUAL 0)
    message("fuzz: ${TARGET}: no regression inputs")
    return()
  endif()
  set(log "${OUT}/${TARGET}-regressions.log")
  execute_process(COMMAND ${command} ${inputs} OUTPUT_FILE "${log}" ERROR_FILE "${log}" RESULT_VARIABLE result)
  if(NOT result EQUAL 0)
    fail("${log}" 20 "fails on a recorded regression input (see ${log})")
  endif()
  message("fuzz: ${TARGET}: ${count} regression input(s) pass")
elseif(MODE STREQUAL "fuzz")
  set(seconds 60)
  if(DEFINED ENV{IMPRINT_FUZZ_SECONDS})
    set(seconds "$ENV{IMPRINT_FUZZ_SECONDS}")
  endif()
  file(MAKE_DIRECTORY "${OUT}/crashes/${TARGET}" "${OUT}/live/${TARGET}")
  set(log "${OUT}/${TARGET}.log")
  message("fuzz: ${TARGET} for ${seconds}s")
  execute_process(
    COMMAND ${command} "${OUT}/live/${TARGET}" "${OUT}/corpus/${TARGET}" -max_total_time=${seconds}
            -rss_limit_mb=2048 -max_len=4000000 "-artifact_prefix=${OUT}/crashes/${TARGET}/" -print_final_stats=1
    OUTPUT_FILE "${log}" ERROR_FILE "${log}" RESULT_VARIABLE result)
  if(NOT result EQUAL 0)
    fail("${log}" 40 "FOUND A CRASH (see ${OUT}/crashes/${TARGET}/ and ${log})")
  endif()
  execute_process(COMMAND grep -E "^stat::(number_of_executed_units|peak_rss_mb)|cov:" "${log}"
                  COMMAND tail -n 3)
else()
  message(FATAL_ERROR "run-fuzzer.cmake: MODE must be regressions or fuzz")
endif()
