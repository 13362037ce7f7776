# kms: KMS Encrypt/Decrypt and Secrets Manager (kms/), `mytools kms`, `mkpassword --kms/--secret`.
# The unit test replaces the transport and the clock (both reached across translation units).
mt_unit_test(test_kms SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_kms.c
             LIBS mt_kms PkgConfig::CJSON)
target_link_options(test_kms PRIVATE "LINKER:--wrap=mt_http_do" "LINKER:--wrap=mt_clock_now")

# against moto_server (signature checking on), the AWS CLI and a stdlib fake for retries
mt_py_test(kms_e2e ${CMAKE_CURRENT_SOURCE_DIR}/e2e/test_kms.py TIMEOUT 900)
