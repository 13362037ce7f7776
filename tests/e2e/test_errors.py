#!/usr/bin/env python3
"""Whole stderr lines of chained errors (issue 7 defect 9) and the exit codes of configuration
mistakes (defect 10), against the real binary, moto (signature checking on) and the fake SSO.

Every assertion matches the complete stderr (re.fullmatch), so a separator lost between two parts
of a chain (`... for profile 'p'cannot reach ...`) fails. Only the number in libcurl's
"after N ms" varies and is matched as \\d+."""
import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import awsfix  # noqa: E402
from awsfix import iso_z, run  # noqa: E402

START_URL = "https://d-1234567890.awsapps.com/start"
DB_ARGS = ["db", "token", "--host", "db1.cluster-abc.us-east-1.rds.amazonaws.com", "--user",
           "app", "--region", "us-east-1", "--profile", "p"]
REFUSED = (r"cannot reach '127\.0\.0\.1:1': Failed to connect to 127\.0\.0\.1 port 1 after \d+ ms: "
           r"Couldn't connect to server")
HINT = "hint: run 'mytools sso login --profile p'\n"
MOTO = FAKE = None


def setUpModule():
    global MOTO, FAKE
    MOTO, FAKE = awsfix.start_sso_stack()


def tearDownModule():
    awsfix.stop_sso_stack(MOTO, FAKE)


class Base(unittest.TestCase):
    def setUp(self):
        FAKE.reset(requests=True, faults=True)
        self.home = awsfix.TempHome()

    def tearDown(self):
        self.home.cleanup()

    def sso_session(self, expires_in):
        self.home.sso_profile_config()
        f = FAKE.mint_session(start_url=START_URL)
        f.pop("expiresIn", None)
        f["expiresAt"] = iso_z(time.time() + expires_in)
        self.home.write_sso_token("my-sso", f)
        return f

    def static_creds(self):
        self.home.write_credentials(MOTO.credentials_ini())
        self.home.write_config({"default": {"region": MOTO.region}})

    def assert_stderr(self, r, rc, pattern):
        self.assertEqual(r.returncode, rc, r.stderr)
        self.assertRegex(r.stderr, r"\n\Z")
        self.assertIsNotNone(re.fullmatch(pattern, r.stderr),
                             "stderr %r does not match %r" % (r.stderr, pattern))


class ChainedErrors(Base):
    def test_sso_refresh_unreachable(self):
        self.sso_session(-60)
        r = run(DB_ARGS, self.home.env(fake=FAKE, moto=MOTO,
                                       extra={"AWS_ENDPOINT_URL_SSO_OIDC": "https://127.0.0.1:1"}))
        self.assert_stderr(r, 1, r"mytools db token: cannot refresh the SSO token of sso-session "
                                 r"'my-sso': " + REFUSED + "\n")

    def test_sso_refresh_unknown_ca(self):
        self.sso_session(-60)
        r = run(DB_ARGS, self.home.env(fake=FAKE, moto=MOTO,
                                       ca_bundle="/etc/ssl/certs/ca-certificates.crt"))
        self.assert_stderr(
            r, 1, r"mytools db token: cannot refresh the SSO token of sso-session 'my-sso': "
                  r"TLS verification of '127\.0\.0\.1:\d+' failed: SSL certificate problem: "
                  r"unable to get local issuer certificate\n"
                  r"hint: is the server certificate signed by a CA in "
                  r"'/etc/ssl/certs/ca-certificates\.crt'\?\n")

    def test_role_credentials_unreachable(self):
        self.sso_session(3600)
        r = run(DB_ARGS, self.home.env(fake=FAKE, moto=MOTO,
                                       extra={"AWS_ENDPOINT_URL_SSO": "https://127.0.0.1:1"}))
        self.assert_stderr(r, 1, r"mytools db token: cannot get SSO role credentials for profile "
                                 r"'p': " + REFUSED + "\n")

    def test_kms_unreachable_and_aws_error(self):
        self.static_creds()
        r = run(["mkpassword", "--kms", "alias/none"], self.home.env(kms="https://127.0.0.1:1"))
        self.assert_stderr(r, 1, r"mytools mkpassword: KMS Encrypt: " + REFUSED + "\n")
        r = run(["mkpassword", "--kms", "alias/none"], self.home.env(moto=MOTO))
        self.assert_stderr(r, 1, r"mytools mkpassword: KMS Encrypt: NotFoundException: Alias "
                                 r"arn:aws:kms:us-east-1:\d{12}:alias/none is not found\.\n")

    def test_kms_unknown_ca(self):
        self.static_creds()
        r = run(["mkpassword", "--kms", "alias/none"], self.home.env(kms=FAKE.url))
        self.assert_stderr(
            r, 1, r"mytools mkpassword: KMS Encrypt: TLS verification of '127\.0\.0\.1:\d+' "
                  r"failed: SSL certificate problem: unable to get local issuer certificate\n"
                  r"hint: set AWS_CA_BUNDLE or the profile's ca_bundle to the CA file that signs "
                  r"this endpoint\n")

    def test_secrets_manager_unreachable(self):
        self.static_creds()
        r = run(["mkpassword", "--secret", "app/db", "--username", "app"],
                self.home.env(moto=MOTO, secrets_manager="https://127.0.0.1:1"))
        self.assert_stderr(r, 1, r"mytools mkpassword: Secrets Manager CreateSecret: " + REFUSED
                           + "\n")

    def test_flag_prefix(self):
        self.static_creds()
        r = run(["kms", "encrypt", "--key", "bad key"], self.home.env(moto=MOTO), input="x")
        self.assert_stderr(r, 2, r"mytools kms encrypt: --key: 'bad key' is not a KMS key id, "
                                 r"key ARN, alias/NAME or alias name\n")
        r = run(["mkpassword", "--kms", "bad key"], self.home.env(moto=MOTO))
        self.assert_stderr(r, 2, r"mytools mkpassword: --kms: 'bad key' is not a KMS key id, "
                                 r"key ARN, alias/NAME or alias name\n")


if __name__ == "__main__":
    unittest.main(verbosity=2)
