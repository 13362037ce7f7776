# Fuzzing infrastructure (label `fuzz`).
#
#   mt_fuzz_target(NAME fuzz_x SOURCES tests/fuzz/fuzz_x.c LIBS mt_x CORPUS tests/fuzz/corpus/fuzz_x)
#
# SOURCES are absolute or relative to the current directory; CORPUS is relative to the repo root.
# Always builds `<name>_replay` (the target's LLVMFuzzerTestOneInput + tests/fuzz/replay.c, a
# plain main() that feeds every corpus file once) and registers the CTest `<name>` that replays
# the committed corpus, so CI runs every corpus input under ASan/UBSan (MT_SANITIZE=ON) without
# libFuzzer. With -DMT_FUZZ=ON (clang only) it also builds `<name>`, a real libFuzzer binary
# (-fsanitize=fuzzer,address,undefined), and instruments the LIBS targets for coverage. Run:
#
#   cmake -S . -B build-fuzz -DMT_FUZZ=ON -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug
#   cmake --build build-fuzz --target fuzz_config_yaml
#   mkdir -p /tmp/new && build-fuzz/tests/fuzz_config_yaml -max_total_time=300 /tmp/new \
#       tests/fuzz/corpus/fuzz_config_yaml
#
# New inputs land in /tmp/new (the committed corpus is only read); copy interesting ones and every
# crasher (crash-*, leak-*, timeout-*) into tests/fuzz/corpus/<name>/. An area file that sorts
# before "fuzz" (e.g. config.cmake) includes this file first; the guard makes that safe.
include_guard(GLOBAL)

if(MT_FUZZ AND NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR "MT_FUZZ=ON needs clang (-DCMAKE_C_COMPILER=clang)")
endif()

get_filename_component(MT_FUZZ_ROOT ${CMAKE_CURRENT_LIST_DIR}/../.. ABSOLUTE)  # repo root
set(MT_FUZZ_REPLAY_MAIN ${MT_FUZZ_ROOT}/tests/fuzz/replay.c)
set_property(GLOBAL PROPERTY MT_FUZZ_INSTRUMENTED "")
# Every registered target, one "NAME<TAB>CORPUS-DIR" line each, for CI's fuzz smoke run
# (tests/fuzz-smoke.sh): a target added on any branch is picked up without editing the script.
set(MT_FUZZ_LIST ${CMAKE_BINARY_DIR}/fuzz-targets.txt)
file(WRITE ${MT_FUZZ_LIST} "")

function(mt_fuzz_target)
  cmake_parse_arguments(F "" "NAME;CORPUS" "SOURCES;LIBS" ${ARGN})
  if(NOT F_NAME OR NOT F_SOURCES OR NOT F_CORPUS)
    message(FATAL_ERROR "mt_fuzz_target: NAME, SOURCES and CORPUS are required")
  endif()
  get_filename_component(corpus ${F_CORPUS} ABSOLUTE BASE_DIR ${MT_FUZZ_ROOT})

  file(APPEND ${MT_FUZZ_LIST} "${F_NAME}\t${corpus}\n")
  add_executable(${F_NAME}_replay ${F_SOURCES} ${MT_FUZZ_REPLAY_MAIN})
  target_link_libraries(${F_NAME}_replay PRIVATE ${F_LIBS})
  add_test(NAME ${F_NAME} COMMAND ${F_NAME}_replay ${corpus})
  set_tests_properties(${F_NAME} PROPERTIES LABELS fuzz TIMEOUT 300)

  if(MT_FUZZ)
    set(san -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
    get_property(done GLOBAL PROPERTY MT_FUZZ_INSTRUMENTED)
    foreach(lib ${F_LIBS})
      if(TARGET ${lib} AND NOT lib IN_LIST done)
        get_target_property(type ${lib} TYPE)
        if(type STREQUAL "STATIC_LIBRARY")
          # coverage for the fuzzer; anything linking the library then needs the ASan runtime
          target_compile_options(${lib} PRIVATE -fsanitize=fuzzer-no-link ${san})
          target_link_options(${lib} INTERFACE -fsanitize=address,undefined)
          set_property(GLOBAL APPEND PROPERTY MT_FUZZ_INSTRUMENTED ${lib})
        endif()
      endif()
    endforeach()
    add_executable(${F_NAME} ${F_SOURCES})
    target_compile_options(${F_NAME} PRIVATE -fsanitize=fuzzer ${san})
    target_link_options(${F_NAME} PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_libraries(${F_NAME} PRIVATE ${F_LIBS})
  endif()
endfunction()
