# run-fuzz.cmake: the fuzz-parse test (cmake -P).  Builds a fresh seed corpus
# from every .stp under SEEDS, runs FUZZER for SECONDS, and fails on any
# finding; crash inputs are kept under WORK/ as crash-*, timeout-*, oom-*.
#   -DFUZZER=path -DSEEDS=dir -DWORK=dir -DSECONDS=n [-DDICT=file]
foreach(v FUZZER SEEDS WORK SECONDS)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "run-fuzz.cmake: -D${v}=... is required")
  endif()
endforeach()

file(REMOVE_RECURSE ${WORK}/seeds ${WORK}/corpus)
file(MAKE_DIRECTORY ${WORK}/seeds ${WORK}/corpus)
file(GLOB_RECURSE seeds ${SEEDS}/*.stp)
list(LENGTH seeds nseeds)
if(nseeds EQUAL 0)
  message(FATAL_ERROR "no .stp seeds under ${SEEDS}")
endif()
set(i 0)
foreach(f ${seeds})
  math(EXPR i "${i} + 1")
  get_filename_component(name ${f} NAME)
  configure_file(${f} ${WORK}/seeds/${i}-${name} COPYONLY)
endforeach()
message(STATUS "fuzz-parse: ${nseeds} seeds, ${SECONDS} s")

set(dict_arg)
if(DEFINED DICT AND EXISTS ${DICT})
  set(dict_arg -dict=${DICT})
endif()
execute_process(
  COMMAND ${FUZZER} -max_total_time=${SECONDS} -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
          ${dict_arg} -artifact_prefix=${WORK}/ ${WORK}/corpus ${WORK}/seeds
  RESULT_VARIABLE rc
  OUTPUT_VARIABLE out
  ERROR_VARIABLE out)
string(LENGTH "${out}" outlen)
if(outlen GREATER 20000)
  math(EXPR start "${outlen} - 20000")
  string(SUBSTRING "${out}" ${start} 20000 out)
endif()
message("${out}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "fuzz-parse: the fuzzer found a problem (exit status ${rc}); see the report above and "
                      "the input saved under ${WORK}/")
endif()
if(out MATCHES "ERROR: (AddressSanitizer|UndefinedBehaviorSanitizer|LeakSanitizer|libFuzzer)"
   OR out MATCHES "runtime error:")
  message(FATAL_ERROR "fuzz-parse: a sanitizer reported an error")
endif()
message(STATUS "fuzz-parse: no findings")
