# output engineer: terminal escaping, quoting at client boundaries, engines (issues 7, 9, 10)
mt_py_test(output_escape ${CMAKE_CURRENT_SOURCE_DIR}/e2e/test_output_escape.py)
mt_py_test(output_quoting ${CMAKE_CURRENT_SOURCE_DIR}/e2e/test_output_quoting.py)
mt_py_test(token_dsql_cache ${CMAKE_CURRENT_SOURCE_DIR}/e2e/test_token_dsql_cache.py TIMEOUT 900)
