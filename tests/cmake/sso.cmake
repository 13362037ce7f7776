# sso/: IAM Identity Center caches, refresh, login, logout, status (issue 3).
mt_unit_test(test_sso SOURCES ${CMAKE_CURRENT_LIST_DIR}/../unit/test_sso.c
             LIBS mt_sso mt_config mt_common PkgConfig::CJSON)

mt_py_test(sso_e2e ${CMAKE_CURRENT_LIST_DIR}/../e2e/test_sso.py TIMEOUT 900)

# "fuzz" sorts before "sso": fuzz.cmake is already included; the guard makes this a no-op
include(${CMAKE_CURRENT_LIST_DIR}/fuzz.cmake)
mt_fuzz_target(NAME fuzz_sso_token SOURCES ${CMAKE_CURRENT_LIST_DIR}/../fuzz/fuzz_sso_token.c
               LIBS mt_sso mt_common CORPUS tests/fuzz/corpus/fuzz_sso_token)
