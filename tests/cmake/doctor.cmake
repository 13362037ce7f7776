# doctor: `mytools db doctor` (cmd/cmd_doctor.c), the database probe (common/dbprobe.c) and the
# RDS describe client (kms/rds.c).
include(${CMAKE_CURRENT_LIST_DIR}/fuzz.cmake)

# RDS describe calls against moto_server (signature checking on), botocore as the oracle
add_executable(rds_driver ${CMAKE_CURRENT_LIST_DIR}/../e2e/rds_driver.c)
target_link_libraries(rds_driver PRIVATE mt_kms)
mt_py_test(rds_e2e ${CMAKE_CURRENT_LIST_DIR}/../e2e/test_rds.py TIMEOUT 600)
set_property(TEST rds_e2e APPEND PROPERTY ENVIRONMENT "MT_RDS_DRIVER=$<TARGET_FILE:rds_driver>")

mt_fuzz_target(NAME fuzz_rds_describe SOURCES ${CMAKE_CURRENT_LIST_DIR}/../fuzz/fuzz_rds_describe.c
               LIBS mt_kms CORPUS tests/fuzz/corpus/fuzz_rds_describe)

# db doctor end to end: moto, faketime, dnsmasq in a namespace, real PostgreSQL and MariaDB
mt_py_test(doctor_e2e ${CMAKE_CURRENT_LIST_DIR}/../e2e/test_doctor.py TIMEOUT 900)

# the parsers of server bytes in common/dbprobe.c (MySQL greeting, DNS answers)
mt_fuzz_target(NAME fuzz_dbprobe SOURCES ${CMAKE_CURRENT_LIST_DIR}/../fuzz/fuzz_dbprobe.c
               LIBS mt_common CORPUS tests/fuzz/corpus/fuzz_dbprobe)
