# Test fixtures for the e2e tests (fake IAM Identity Center, moto helpers): proves they behave like
# AWS, with botocore's sso/sso-oidc clients and the AWS CLI v1 as oracles. Needs no mytools binary.
add_test(NAME fixtures_e2e
         COMMAND ${Python3_EXECUTABLE} -B ${CMAKE_CURRENT_SOURCE_DIR}/e2e/test_fixtures.py)
set_tests_properties(fixtures_e2e PROPERTIES LABELS e2e TIMEOUT 180
  ENVIRONMENT "MT_SHARED_DIR=${MT_SHARED_DIR};MT_SOURCE_DIR=${CMAKE_SOURCE_DIR}")
