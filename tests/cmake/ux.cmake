# ux: interactive picking, config init, completion, man pages, clipboard through tmux, packaging.
mt_py_test(ux_pick ${CMAKE_CURRENT_LIST_DIR}/../e2e/test_pick.py)
