# config/: ~/.mytools.yaml, AWS INI files, target resolution.
mt_unit_test(test_config SOURCES ${CMAKE_CURRENT_LIST_DIR}/../unit/test_config.c LIBS mt_config)
mt_unit_test(test_aws_ini SOURCES ${CMAKE_CURRENT_LIST_DIR}/../unit/test_aws_ini.c LIBS mt_config)

include(${CMAKE_CURRENT_LIST_DIR}/fuzz.cmake)
mt_fuzz_target(NAME fuzz_config_yaml SOURCES ${CMAKE_CURRENT_LIST_DIR}/../fuzz/fuzz_config_yaml.c
               LIBS mt_config CORPUS tests/fuzz/corpus/fuzz_config_yaml)
mt_fuzz_target(NAME fuzz_aws_ini SOURCES ${CMAKE_CURRENT_LIST_DIR}/../fuzz/fuzz_aws_ini.c
               LIBS mt_config CORPUS tests/fuzz/corpus/fuzz_aws_ini)
