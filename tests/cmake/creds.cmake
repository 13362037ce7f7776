# creds: every AWS credential source (issue 8) and issue 7 defects 4 and 11: the chain in sso/,
# STS against moto (signature checking on, calls recorded), credential_process, container and IMDS
# fakes (IMDS inside unshare -n), the precedence table against botocore.
mt_py_test(creds_e2e ${CMAKE_CURRENT_SOURCE_DIR}/e2e/test_creds.py TIMEOUT 900)
