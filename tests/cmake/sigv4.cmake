# sigv4: unit tests. Reads the public AWS SigV4 suite from $MT_SHARED_DIR/testdata/sigv4 and our
# botocore-generated vectors from $MT_SOURCE_DIR/tests/vectors/sigv4 at run time.
mt_unit_test(test_sigv4
  SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_sigv4.c
  LIBS mt_sigv4 PkgConfig::CJSON)
