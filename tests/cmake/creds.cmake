# creds: every AWS credential source (issue 8) and issue 7 defects 4 and 11: the chain in sso/,
# STS against moto (signature checking on, calls recorded), credential_process, container and IMDS
# fakes (IMDS inside unshare -n), the precedence table against botocore.
mt_py_test(creds_e2e ${CMAKE_CURRENT_SOURCE_DIR}/e2e/test_creds.py TIMEOUT 900)

# unit tests of the pure parts, and libFuzzer targets for every new parser of outside input
# ("creds" sorts before "fuzz": include the helper first; its guard makes that safe)
include(${CMAKE_CURRENT_LIST_DIR}/fuzz.cmake)
mt_unit_test(test_creds SOURCES ${CMAKE_CURRENT_LIST_DIR}/../unit/test_creds.c
             LIBS mt_sso mt_config mt_common PkgConfig::CJSON)
mt_fuzz_target(NAME fuzz_creds_process SOURCES ${CMAKE_CURRENT_LIST_DIR}/../fuzz/fuzz_creds_process.c
               LIBS mt_sso mt_common CORPUS tests/fuzz/corpus/fuzz_creds_process)
mt_fuzz_target(NAME fuzz_sts_xml SOURCES ${CMAKE_CURRENT_LIST_DIR}/../fuzz/fuzz_sts_xml.c
               LIBS mt_sso mt_common CORPUS tests/fuzz/corpus/fuzz_sts_xml)
mt_fuzz_target(NAME fuzz_metadata_json SOURCES ${CMAKE_CURRENT_LIST_DIR}/../fuzz/fuzz_metadata_json.c
               LIBS mt_sso mt_common CORPUS tests/fuzz/corpus/fuzz_metadata_json)
