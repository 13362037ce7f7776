mt_py_test(db_e2e ${CMAKE_CURRENT_SOURCE_DIR}/e2e/test_db.py)
mt_py_test(token_botocore ${CMAKE_CURRENT_SOURCE_DIR}/e2e/test_token_botocore.py TIMEOUT 900)
mt_py_test(docs ${CMAKE_CURRENT_SOURCE_DIR}/e2e/test_docs.py LABELS docs)
mt_py_test(clipboard_real ${CMAKE_CURRENT_SOURCE_DIR}/e2e/test_clipboard_real.py)
