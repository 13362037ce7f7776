# Issue 7 hardening: error chains and exit codes, file types and modes, read-only HOME / ENOSPC,
# scale, fault injection.
mt_py_test(errors_e2e ${CMAKE_CURRENT_LIST_DIR}/../e2e/test_errors.py)
mt_py_test(files_e2e ${CMAKE_CURRENT_LIST_DIR}/../e2e/test_files.py)
mt_py_test(scale_e2e ${CMAKE_CURRENT_LIST_DIR}/../e2e/test_scale.py)
