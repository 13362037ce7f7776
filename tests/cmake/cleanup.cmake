# cleanup: the one-decision helpers of common/ (PATH walk, tilde expansion)
mt_unit_test(test_file SOURCES ${CMAKE_CURRENT_LIST_DIR}/../unit/test_file.c LIBS mt_common)
