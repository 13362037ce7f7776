# HTTP transport, AWS error parsing, retries and endpoints (common/http.c, awserr.c, retry.c,
# endpoint.c).
mt_unit_test(test_retry SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_retry.c LIBS mt_common)
# the retry driver is tested over a scripted transport: retry.c calls mt_http_do across TUs
target_link_options(test_retry PRIVATE "LINKER:--wrap=mt_http_do")
mt_unit_test(test_awserr SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_awserr.c LIBS mt_common)
mt_unit_test(test_endpoint SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_endpoint.c LIBS mt_common)

# Real-network test on 127.0.0.1: a small driver over the real transport, a Python TLS server and
# a throwaway CA made with `openssl req` at test time.
add_executable(http_driver ${CMAKE_SOURCE_DIR}/tests/e2e/http_driver.c)
target_link_libraries(http_driver PRIVATE mt_common)
mt_py_test(http_e2e ${CMAKE_SOURCE_DIR}/tests/e2e/test_http.py TIMEOUT 300)
set_property(TEST http_e2e APPEND PROPERTY ENVIRONMENT "MT_HTTP_DRIVER=$<TARGET_FILE:http_driver>")
