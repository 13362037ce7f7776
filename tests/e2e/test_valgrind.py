#!/usr/bin/env python3
"""valgrind memcheck over the end-to-end paths (issue 7 "proof that stays in CI"): `db token`
through an SSO refresh and from the warm cache, `mkpassword --kms` and `mkpassword --secret`,
against moto (signature checking on) and the fake SSO as the other e2e tests start them.
Zero memcheck errors and zero definitely lost bytes, else the test fails with valgrind's report.
Skipped in a sanitizer build (ASan and valgrind exclude each other)."""
import os
import re
import shutil
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import awsfix  # noqa: E402
from awsfix import iso_z  # noqa: E402

START_URL = "https://d-1234567890.awsapps.com/start"
DB_ARGS = ["db", "token", "--host", "db1.cluster-abc.us-east-1.rds.amazonaws.com", "--user",
           "app", "--region", "us-east-1", "--profile", "p", "--format", "json"]
VALGRIND = ["valgrind", "--tool=memcheck", "--error-exitcode=99", "--leak-check=full",
            "--errors-for-leak-kinds=definite", "--show-leak-kinds=definite",
            "--child-silent-after-fork=yes", "--num-callers=30"]
MOTO = FAKE = None


def sanitizer_build():
    cache = os.path.join(os.environ.get("MT_BUILD_DIR", ""), "CMakeCache.txt")
    try:
        with open(cache) as f:
            return re.search(r"^MT_SANITIZE:BOOL=(ON|1|TRUE)", f.read(), re.M) is not None
    except OSError:
        return False


SKIP = sanitizer_build() or not shutil.which("valgrind")


def setUpModule():
    global MOTO, FAKE
    if not SKIP:
        MOTO, FAKE = awsfix.start_sso_stack()


def tearDownModule():
    awsfix.stop_sso_stack(MOTO, FAKE)


@unittest.skipIf(SKIP, "sanitizer build or no valgrind")
class Memcheck(unittest.TestCase):
    def setUp(self):
        FAKE.reset(requests=True, faults=True)
        self.home = awsfix.TempHome()

    def tearDown(self):
        self.home.cleanup()

    def vg(self, args, env, rc=0, input=None):
        log = os.path.join(self.home.path, "vg.log")
        r = subprocess.run(VALGRIND + ["--log-file=" + log, awsfix.mytools_path()] + args,
                           env=env, input=input, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=300, stdin=None if input else subprocess.DEVNULL)
        with open(log) as f:
            report = f.read()
        self.assertNotEqual(r.returncode, 99, report)
        self.assertEqual(r.returncode, rc, r.stderr + report[-3000:])
        self.assertRegex(report, r"ERROR SUMMARY: 0 errors", report[-3000:])
        m = re.search(r"definitely lost: ([\d,]+) bytes", report)
        self.assertTrue(m is None or m.group(1) == "0", report[-3000:])
        return r

    def test_db_token_sso_refresh_then_warm(self):
        self.home.sso_profile_config()
        f = FAKE.mint_session(start_url=START_URL)
        f.pop("expiresIn", None)
        f["expiresAt"] = iso_z(time.time() - 60)
        self.home.write_sso_token("my-sso", f)
        env = self.home.env(fake=FAKE, moto=MOTO)
        self.vg(DB_ARGS, env)
        self.assertEqual(FAKE.count("CreateToken", grant="refresh_token"), 1)
        self.vg(DB_ARGS, env)                       # warm: the CLI cache, no request
        self.assertEqual(FAKE.count("GetRoleCredentials"), 1)

    def test_db_token_login_needed(self):
        self.home.sso_profile_config()
        self.vg(DB_ARGS, self.home.env(fake=FAKE, moto=MOTO), rc=4)

    def test_mkpassword_kms_and_secret(self):
        self.home.write_credentials(MOTO.credentials_ini())
        self.home.write_config({"default": {"region": MOTO.region}})
        env = self.home.env(moto=MOTO)
        key = MOTO.kms_create_key()
        self.vg(["mkpassword", "--kms", key, "-n", "2", "--format", "json"], env)
        self.vg(["mkpassword", "--secret", "vg/app", "--username", "app", "--hash",
                 "scram-sha-256"], env)
        self.vg(["mkpassword", "--secret", "vg/app", "--username", "app"], env, rc=1)  # exists
        self.vg(["kms", "encrypt", "--key", key], env, input="plaintext")


if __name__ == "__main__":
    unittest.main(verbosity=2)
