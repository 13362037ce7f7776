# mkpassword: password generator, database verifiers, the applet.
find_library(MT_LIBCRYPT crypt REQUIRED) # libcrypt-dev: independent SHA-256-crypt for cross-checks

mt_unit_test(test_pwgen SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_pwgen.c LIBS mt_common)
mt_unit_test(test_verifier SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_verifier.c
             LIBS mt_common ${MT_LIBCRYPT})

mt_py_test(mkpassword_e2e ${CMAKE_CURRENT_SOURCE_DIR}/e2e/test_mkpassword.py TIMEOUT 600)
mt_py_test(verifier_db_e2e ${CMAKE_CURRENT_SOURCE_DIR}/e2e/test_verifier_db.py TIMEOUT 600)
