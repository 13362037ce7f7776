# Issue 7 hardening: error chains and exit codes, file types and modes, read-only HOME / ENOSPC,
# scale, fault injection.
mt_py_test(errors_e2e ${CMAKE_CURRENT_LIST_DIR}/../e2e/test_errors.py)
mt_py_test(files_e2e ${CMAKE_CURRENT_LIST_DIR}/../e2e/test_files.py)
mt_py_test(scale_e2e ${CMAKE_CURRENT_LIST_DIR}/../e2e/test_scale.py)

# libFuzzer targets for the parsers of outside input that had none (see fuzz.cmake); the
# command-line parser is fuzzed over the real option tables: every cmd/ source but main.c.
include(${CMAKE_CURRENT_LIST_DIR}/fuzz.cmake)
mt_fuzz_target(NAME fuzz_awserr SOURCES ${CMAKE_CURRENT_LIST_DIR}/../fuzz/fuzz_awserr.c
               LIBS mt_common CORPUS tests/fuzz/corpus/fuzz_awserr)
mt_fuzz_target(NAME fuzz_sigv4_canon SOURCES ${CMAKE_CURRENT_LIST_DIR}/../fuzz/fuzz_sigv4_canon.c
               LIBS mt_sigv4 mt_common CORPUS tests/fuzz/corpus/fuzz_sigv4_canon)
mt_fuzz_target(NAME fuzz_cli_args SOURCES ${CMAKE_CURRENT_LIST_DIR}/../fuzz/fuzz_cli_args.c
               LIBS mt_cmd CORPUS tests/fuzz/corpus/fuzz_cli_args)

# valgrind memcheck over the e2e paths (skipped in the sanitizer build)
mt_py_test(valgrind_e2e ${CMAKE_CURRENT_LIST_DIR}/../e2e/test_valgrind.py LABELS "e2e;valgrind"
           TIMEOUT 900)
mt_py_test(faults_e2e ${CMAKE_CURRENT_LIST_DIR}/../e2e/test_faults.py)
