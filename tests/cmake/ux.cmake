# ux: interactive picking, config init, completion, man pages, clipboard through tmux, packaging.
mt_py_test(ux_pick ${CMAKE_CURRENT_LIST_DIR}/../e2e/test_pick.py)
mt_py_test(ux_cli ${CMAKE_CURRENT_LIST_DIR}/../e2e/test_ux_cli.py)
mt_py_test(ux_clipboard_tmux ${CMAKE_CURRENT_LIST_DIR}/../e2e/test_clipboard_tmux.py)
mt_py_test(ux_completion ${CMAKE_CURRENT_LIST_DIR}/../e2e/test_completion.py)
mt_py_test(ux_man ${CMAKE_CURRENT_LIST_DIR}/../e2e/test_man.py LABELS docs)
mt_py_test(ux_noconfig ${CMAKE_CURRENT_LIST_DIR}/../e2e/test_noconfig.py)
mt_py_test(ux_config_init ${CMAKE_CURRENT_LIST_DIR}/../e2e/test_config_init.py)
