#!/usr/bin/env python3
"""Whole stderr lines of chained errors (issue 7 defect 9) and the exit codes of configuration
mistakes (defect 10), against the real binary, moto (signature checking on) and the fake SSO.

Every assertion matches the complete stderr (re.fullmatch), so a separator lost between two parts
of a chain (`... for profile 'p'cannot reach ...`) fails. Only the number in libcurl's
"after N ms" varies and is matched as \\d+."""
import http.server
import json
import os
import re
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import awsfix  # noqa: E402
from awsfix import run  # noqa: E402

START_URL = "https://d-1234567890.awsapps.com/start"
DB_ARGS = ["db", "token", "--host", "db1.cluster-abc.us-east-1.rds.amazonaws.com", "--user",
           "app", "--region", "us-east-1", "--profile", "p"]
REFUSED = (r"cannot reach '127\.0\.0\.1:1': Failed to connect to 127\.0\.0\.1 port 1 after \d+ ms: "
           r"Couldn't connect to server")
HINT = "hint: run 'mytools sso login --profile p'\n"
MOTO = FAKE = REDIRECT = None


class Redirector(http.server.BaseHTTPRequestHandler):
    """Answers everything with a 302 whose body claims an expired token, as a captive portal or a
    hostile proxy could: the body must not turn a redirect into 'log in again'."""

    def answer(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)
        body = json.dumps({"__type": "ExpiredTokenException", "error": "invalid_grant",
                           "message": "log in again"}).encode()
        self.send_response(302)
        self.send_header("Location", "http://127.0.0.1:1/elsewhere")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = answer

    def log_message(self, *a):
        pass


def setUpModule():
    global MOTO, FAKE, REDIRECT
    REDIRECT = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Redirector)
    threading.Thread(target=REDIRECT.serve_forever, daemon=True).start()
    MOTO, FAKE = awsfix.start_sso_stack()


def tearDownModule():
    awsfix.stop_sso_stack(MOTO, FAKE)
    REDIRECT.shutdown()
    REDIRECT.server_close()


def redirect_url():
    return "http://127.0.0.1:%d" % REDIRECT.server_address[1]


class Base(unittest.TestCase):
    def setUp(self):
        FAKE.reset(requests=True, faults=True)
        self.home = awsfix.TempHome()

    def tearDown(self):
        self.home.cleanup()

    def fresh_home(self):
        self.home.cleanup()
        self.home = awsfix.TempHome()

    def sso_session(self, expires_in):
        return self.home.sso_session(FAKE, expires_in, START_URL)

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


class ExitCodes(Base):
    """Defect 10: configuration mistakes are exit 3 (never 4 with a login hint), a redirect is 1,
    a cached token with CR/LF is a corrupt cache (exit 4 with the login hint, never 2)."""

    def test_bad_scheme_overrides_are_config_errors(self):
        for expires_in in (-60, 3600):      # the refresh path and the GetRoleCredentials path
            for var in ("AWS_ENDPOINT_URL_SSO_OIDC", "AWS_ENDPOINT_URL_SSO"):
                for url in ("ftp://127.0.0.1/x", "file:///etc/passwd"):
                    with self.subTest(expires_in=expires_in, var=var, url=url):
                        self.fresh_home()
                        self.sso_session(expires_in)
                        r = run(DB_ARGS, self.home.env(fake=FAKE, moto=MOTO, extra={var: url}))
                        if var == "AWS_ENDPOINT_URL_SSO" and expires_in < 0:
                            # refreshed first (the OIDC endpoint is fine), then the portal call
                            ctx = "cannot get SSO role credentials for profile 'p'"
                        elif var == "AWS_ENDPOINT_URL_SSO":
                            ctx = "cannot get SSO role credentials for profile 'p'"
                        else:
                            ctx = "cannot refresh the SSO token of sso-session 'my-sso'"
                        if var == "AWS_ENDPOINT_URL_SSO_OIDC" and expires_in > 0:
                            # a valid token makes no OIDC call: the override is never used
                            self.assertEqual(r.returncode, 0, r.stderr)
                            continue
                        self.assert_stderr(r, 3, r"mytools db token: %s: invalid endpoint URL "
                                           r"'%s' \(from %s\)\n" % (ctx, re.escape(url), var))
        self.static_creds()
        for url in ("ftp://127.0.0.1/x", "file:///etc/passwd"):
            r = run(["mkpassword", "--kms", "alias/x"], self.home.env(kms=url))
            self.assert_stderr(r, 3, r"mytools mkpassword: invalid endpoint URL '%s' \(from "
                                     r"AWS_ENDPOINT_URL_KMS\)\n" % re.escape(url))

    def test_injected_sso_region(self):
        for bad in ("us-east-1.evil.example/x", "us-east-1 x", "x@127.0.0.1"):
            for expires_in in (None, -60, 3600):
                with self.subTest(region=bad, expires_in=expires_in):
                    self.fresh_home()
                    if expires_in is not None:
                        self.sso_session(expires_in)
                    self.home.sso_profile_config(sso_region=bad)
                    r = run(DB_ARGS, self.home.env(fake=FAKE, moto=MOTO))
                    self.assert_stderr(r, 3, r"mytools db token: %s: profile 'p': invalid "
                                       r"sso_region '%s'\n"
                                       % (re.escape(os.path.join(self.home.aws, "config")),
                                          re.escape(bad)))
        self.assertEqual(FAKE.count(), 0)

    def test_redirect_is_a_runtime_error(self):
        line = (r"the endpoint answered with a redirect \(HTTP 302\), which is not followed\n"
                r"hint: check the endpoint override \(AWS_ENDPOINT_URL\*, endpoint_url\) and any "
                r"proxy\n")
        self.sso_session(-60)
        before = open(self.home.sso_token_path("my-sso")).read()
        r = run(DB_ARGS, self.home.env(fake=FAKE, moto=MOTO,
                                       extra={"AWS_ENDPOINT_URL_SSO_OIDC": redirect_url()}))
        self.assert_stderr(r, 1, r"mytools db token: cannot refresh the SSO token of "
                                 r"sso-session 'my-sso': " + line)
        self.assertEqual(open(self.home.sso_token_path("my-sso")).read(), before)
        self.fresh_home()
        self.sso_session(3600)
        r = run(DB_ARGS, self.home.env(fake=FAKE, moto=MOTO,
                                       extra={"AWS_ENDPOINT_URL_SSO": redirect_url()}))
        self.assert_stderr(r, 1, r"mytools db token: cannot get SSO role credentials for "
                                 r"profile 'p': " + line)
        self.static_creds()
        r = run(["mkpassword", "--kms", "alias/x"], self.home.env(kms=redirect_url()))
        self.assert_stderr(r, 1, r"mytools mkpassword: KMS Encrypt: " + line)

    def test_crlf_in_cached_token_is_corrupt(self):
        for field in ("accessToken", "refreshToken", "clientSecret"):
            with self.subTest(field=field):
                self.fresh_home()
                f = self.sso_session(-60 if field != "accessToken" else 3600)
                f[field] = f[field][:8] + "\r\nX-Injected: 1"
                self.home.write_sso_token("my-sso", f)
                before = open(self.home.sso_token_path("my-sso")).read()
                r = run(DB_ARGS, self.home.env(fake=FAKE, moto=MOTO))
                self.assertEqual(r.returncode, 4, r.stderr)
                self.assertTrue(r.stderr.endswith(HINT), r.stderr)
                self.assertEqual(len(r.stderr.splitlines()), 2, r.stderr)
                self.assertEqual(open(self.home.sso_token_path("my-sso")).read(), before)
        self.assertEqual(FAKE.count(), 0)

    def test_crlf_in_cli_cache_is_a_miss(self):
        self.sso_session(3600)
        r = run(DB_ARGS, self.home.env(fake=FAKE, moto=MOTO))
        self.assertEqual(r.returncode, 0, r.stderr)
        cli = self.home.cli_cache_path("123456789012", "ReadOnly", session_name="my-sso")
        d = json.load(open(cli))
        d["Credentials"]["SessionToken"] += "\r\nX-Injected: 1"
        with open(cli, "w") as fh:
            json.dump(d, fh)
        FAKE.reset(requests=True)
        r = run(DB_ARGS + ["-v"], self.home.env(fake=FAKE, moto=MOTO))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(FAKE.count("GetRoleCredentials"), 1)   # a miss: fetched again
        self.assertNotIn("\r", open(cli).read().replace("\\r", ""))


class Mkpassword(Base):
    """Defect 13: --secret needs a username source (exit 2, before any request); a failing
    --format json run prints nothing on stdout (not a partial '[')."""

    def test_secret_needs_a_username(self):
        self.static_creds()
        r = run(["mkpassword", "--secret", "harden/nouser"], self.home.env(moto=MOTO))
        self.assert_stderr(r, 2, r"mytools mkpassword: --secret needs --username, or "
                                 r"--env/--database to take the configured user\n(hint: .*\n)?")
        self.assertEqual(r.stdout, "")
        names = [x["Name"] for x in MOTO.sm.list_secrets()["SecretList"]]
        self.assertNotIn("harden/nouser", names)
        r = run(["mkpassword", "--secret", "harden/user", "--username", "app"],
                self.home.env(moto=MOTO))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(MOTO.sm_get("harden/user"))["username"], "app")

    def test_failing_json_run_prints_nothing(self):
        self.static_creds()
        r = run(["mkpassword", "--format", "json", "--kms", "alias/none", "-n", "3"],
                self.home.env(moto=MOTO))
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertEqual(r.stdout, "", "partial JSON on stdout")
        # the second of three Encrypt calls fails: still nothing on stdout
        calls = []

        class OneThenDenied(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                calls.append(1)
                if len(calls) == 1:
                    code, body = 200, {"CiphertextBlob": "AAECAw==", "KeyId": "k",
                                       "EncryptionAlgorithm": "SYMMETRIC_DEFAULT"}
                else:
                    code, body = 400, {"__type": "DisabledException", "message": "disabled"}
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *a):
                pass

        srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), OneThenDenied)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        try:
            r = run(["mkpassword", "--format", "json", "--kms", "alias/k", "-n", "3"],
                    self.home.env(kms="http://127.0.0.1:%d" % srv.server_address[1]))
        finally:
            srv.shutdown()
            srv.server_close()
        self.assertEqual(len(calls), 2)
        self.assert_stderr(r, 1, r"mytools mkpassword: KMS Encrypt: DisabledException: "
                                 r"disabled\n(hint: .*\n)?")
        self.assertEqual(r.stdout, "", "partial JSON on stdout")
        key = MOTO.kms_create_key()
        r = run(["mkpassword", "--format", "json", "--kms", key, "-n", "2"],
                self.home.env(moto=MOTO))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len(json.loads(r.stdout)), 2)

if __name__ == "__main__":
    unittest.main(verbosity=2)
