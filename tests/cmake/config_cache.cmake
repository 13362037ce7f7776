# config/cache.c + load.c: the binary parse cache of ~/.mytools.yaml.
# (This file sorts before fuzz.cmake, so it includes it first; its include guard makes that safe.)
include(${CMAKE_CURRENT_LIST_DIR}/fuzz.cmake)

mt_unit_test(test_config_cache SOURCES ${CMAKE_CURRENT_LIST_DIR}/../unit/test_config_cache.c
             LIBS mt_config)
mt_fuzz_target(NAME fuzz_config_cache SOURCES ${CMAKE_CURRENT_LIST_DIR}/../fuzz/fuzz_config_cache.c
               LIBS mt_config CORPUS tests/fuzz/corpus/fuzz_config_cache)
mt_py_test(test_config_cache_e2e ${CMAKE_CURRENT_LIST_DIR}/../e2e/test_config_cache.py)
