# doctor2: db doctor's plain-TLS probe against redis-server with TLS, and check 7 (user name)
# with --login against real PostgreSQL / MariaDB and a case-folding PostgreSQL-speaking peer.
mt_py_test(doctor_more_e2e ${CMAKE_CURRENT_LIST_DIR}/../e2e/test_doctor_more.py TIMEOUT 600)
