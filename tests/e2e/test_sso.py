#!/usr/bin/env python3
"""IAM Identity Center end to end (issue 3): refresh, GetRoleCredentials, locking, AWS-CLI
compatible caches, PKCE and device logins, logout, status -- the real mytools binary against the
fake SSO service (tests/e2e/fake_sso.py) whose role credentials are real for moto (signature
checking on), and the AWS CLI v1 (botocore 1.43) as the interoperability oracle.

Secrets never go into any argv; every server is stopped in tearDownModule."""

import json
import os
import pty
import re
import select
import shutil
import ssl
import stat
import subprocess
import sys
import time
import unittest
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import awsfix  # noqa: E402
import fake_sso  # noqa: E402
from awsfix import TOKEN_KEY_ORDER, iso_z, run  # noqa: E402

START_URL = "https://d-1234567890.awsapps.com/start"
ACCT = "123456789012"
ROLE = "ReadOnly"
HINT = "hint: run 'mytools sso login --profile p'"
DB_ARGS = ["db", "token", "--host", "db1.cluster-abc.us-east-1.rds.amazonaws.com", "--user",
           "app", "--region", "us-east-1", "--format", "json", "--profile", "p"]
ISO_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
CLI_CRED_ORDER = ["AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration", "AccountId"]

MOTO = None
FAKE = None


def setUpModule():
    global MOTO, FAKE
    MOTO, FAKE = awsfix.start_sso_stack()


def tearDownModule():
    awsfix.stop_sso_stack(MOTO, FAKE)


def secrets_of(fields):
    return [fields[k] for k in ("accessToken", "refreshToken", "clientSecret") if fields.get(k)]


class Base(unittest.TestCase):
    def setUp(self):
        FAKE.reset(requests=True, faults=True)
        FAKE.configure(device_approve_after_polls=None, access_token_ttl=28800)
        self.home = awsfix.TempHome()
        self.secrets = []

    def tearDown(self):
        self.home.cleanup()

    # -- helpers --------------------------------------------------------------------------------
    def env(self, **extra):
        return self.home.env(fake=FAKE, moto=MOTO, extra=extra)

    def mt(self, args, timeout=60, **extra):
        r = run(args, self.env(**extra), timeout=timeout)
        self.no_secrets(r.stdout + r.stderr)
        return r

    def no_secrets(self, text):
        for s in self.secrets:
            self.assertNotIn(s, text, "a secret was printed")

    def session(self, expires_in=28800, **fields):
        """Minted token pair written as the AWS CLI would; returns the fields."""
        f = FAKE.mint_session(start_url=START_URL)
        f.pop("expiresIn", None)
        f["expiresAt"] = iso_z(time.time() + expires_in)
        f.update(fields)
        self.secrets += secrets_of(f)
        self.home.write_sso_token("my-sso", f)
        return f

    def token_path(self):
        return self.home.sso_token_path("my-sso")

    def cli_path(self, legacy=False):
        if legacy:
            return self.home.cli_cache_path(ACCT, ROLE, start_url=START_URL)
        return self.home.cli_cache_path(ACCT, ROLE, session_name="my-sso")

    def read(self, path):
        with open(path) as f:
            return f.read()

    def assert_token_file_cli_format(self, path):
        raw = self.read(path)
        d = json.loads(raw)
        self.assertEqual(raw, json.dumps(d), "not the AWS CLI's one-line format")
        keys = [k for k in TOKEN_KEY_ORDER if k in d]
        self.assertEqual(list(d), keys, "key order differs from the AWS CLI")
        for k in ("startUrl", "region", "accessToken", "expiresAt"):
            self.assertIn(k, d)
        self.assertRegex(d["expiresAt"], ISO_RE)
        if "registrationExpiresAt" in d:
            self.assertRegex(d["registrationExpiresAt"], ISO_RE)
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
        return d

    def assert_cli_cache_format(self, path, dir_created=True):
        raw = self.read(path)
        d = json.loads(raw)
        self.assertEqual(raw, json.dumps(d))
        self.assertEqual(list(d), ["ProviderType", "Credentials"])
        self.assertEqual(d["ProviderType"], "sso")
        self.assertEqual(list(d["Credentials"]), CLI_CRED_ORDER)
        self.assertRegex(d["Credentials"]["Expiration"], ISO_RE)
        self.assertEqual(d["Credentials"]["AccountId"], ACCT)
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
        if dir_created:   # created by mytools: 0700
            self.assertEqual(stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode), 0o700)
        c = d["Credentials"]
        self.secrets += [c["SecretAccessKey"], c["SessionToken"]]
        # real for moto (signature checking on)
        ident = MOTO.caller_identity(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
        self.assertEqual(ident["Account"], MOTO.account_id)
        return d

    def refresh_token_valid(self, rt):
        with FAKE.core.lock:
            r = FAKE.core.refresh_tokens.get(rt)
            return bool(r and r["valid"])


class Refresh(Base):
    def test_expired_token_refreshed_once_caches_in_cli_format(self):
        self.home.sso_profile_config()
        old = self.session(expires_in=-60)
        r = self.mt(DB_ARGS, **{"MYTOOLS_DEBUG": "1"})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("X-Amz-Security-Token", json.loads(r.stdout)["token"])
        self.assertEqual(FAKE.count("CreateToken", grant="refresh_token"), 1)
        self.assertEqual(FAKE.count("GetRoleCredentials"), 1)
        self.assertEqual(FAKE.count("RegisterClient"), 0)
        req = FAKE.requests(op="CreateToken")[0]
        expected = json.dumps({"grantType": "refresh_token", "clientId": old["clientId"],
                               "clientSecret": old["clientSecret"],
                               "refreshToken": old["refreshToken"]})
        self.assertEqual(req["raw_body"], expected)   # botocore's body, byte for byte
        self.assertNotIn("authorization", req["headers"])
        g = FAKE.requests(op="GetRoleCredentials")[0]
        self.assertEqual(g["raw_query"], "role_name=%s&account_id=%s" % (ROLE, ACCT))
        self.assertEqual(g["headers"]["x-amz-sso_bearer_token"][:3], "at-")
        d = self.assert_token_file_cli_format(self.token_path())
        self.assertEqual(list(d), list(TOKEN_KEY_ORDER))
        self.assertNotEqual(d["accessToken"], old["accessToken"])
        self.assertNotEqual(d["refreshToken"], old["refreshToken"])
        self.assertTrue(self.refresh_token_valid(d["refreshToken"]))
        self.assertEqual(d["registrationExpiresAt"], old["registrationExpiresAt"])
        self.assertGreater(awsfix.parse_iso(d["expiresAt"]), time.time() + 28000)
        self.secrets += secrets_of(d)
        self.assert_cli_cache_format(self.cli_path())
        self.no_secrets(r.stdout + r.stderr)
        # the next run uses the CLI cache: no request at all
        FAKE.reset()
        r = self.mt(DB_ARGS)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(FAKE.count(), 0)

    def test_valid_token_no_refresh(self):
        self.home.sso_profile_config()
        before = self.session(expires_in=3600)
        r = self.mt(DB_ARGS)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(FAKE.count("CreateToken"), 0)
        self.assertEqual(FAKE.count("GetRoleCredentials"), 1)
        self.assertEqual(self.read(self.token_path()), awsfix.sso_token_json(before))
        self.assert_cli_cache_format(self.cli_path())
        # one TLS connection for the whole run
        self.assertEqual(FAKE.stats()["connections"], 1)

    def test_legacy_profile_uses_token_and_never_refreshes(self):
        self.home.sso_profile_config(legacy=True)
        f = FAKE.mint_session(start_url=START_URL)
        self.secrets += secrets_of(f)
        f.pop("expiresIn")
        self.home.write_sso_token(START_URL, f)
        r = self.mt(DB_ARGS)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assert_cli_cache_format(self.cli_path(legacy=True))
        # expiring legacy token: no refresh path -> still used while valid
        os.unlink(self.cli_path(legacy=True))
        f["expiresAt"] = iso_z(time.time() - 5)
        self.home.write_sso_token(START_URL, f)
        FAKE.reset()
        r = self.mt(DB_ARGS)
        self.assertEqual(r.returncode, 4)
        self.assertIn(HINT, r.stderr)
        self.assertEqual(FAKE.count(), 0)

    def test_twenty_concurrent_runs_refresh_once(self):
        self.home.sso_profile_config()
        self.session(expires_in=300)   # < 15 min: every run wants to refresh
        env = self.env()
        procs = [subprocess.Popen([awsfix.mytools_path()] + DB_ARGS, env=env,
                                  stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(20)]
        outs = [p.communicate(timeout=120) for p in procs]
        for p, (o, e) in zip(procs, outs):
            self.assertEqual(p.returncode, 0, e)
            json.loads(o)
            self.no_secrets(o + e)
        self.assertEqual(FAKE.count("CreateToken", grant="refresh_token"), 1)
        self.assertEqual(FAKE.count("GetRoleCredentials"), 1)
        for d in (self.home.sso_cache, self.home.cli_cache):
            for n in os.listdir(d):
                if n.endswith(".json"):
                    with open(os.path.join(d, n)) as f:
                        json.load(f)
                else:
                    self.assertTrue(n.endswith(".lock"), n)   # no temp files left behind
        self.assert_token_file_cli_format(self.token_path())
        self.assert_cli_cache_format(self.cli_path())


class Failures(Base):
    def test_non_terminal_without_session_needs_login(self):
        self.home.sso_profile_config()
        r = self.mt(DB_ARGS)
        self.assertEqual(r.returncode, 4, r.stderr)
        self.assertIn(HINT, r.stderr.splitlines())
        self.assertTrue(r.stderr.startswith("mytools db token: "))
        self.assertEqual(FAKE.count(), 0)
        self.assertFalse(os.path.exists(self.home.sso_cache))   # nothing created

    def _unchanged_after(self, fault, times, code, pattern):
        self.home.sso_profile_config()
        self.session(expires_in=-30)
        before = self.read(self.token_path())
        FAKE.script("CreateToken:refresh_token", *([fault] * times))
        r = self.mt(DB_ARGS)
        self.assertEqual(r.returncode, code, r.stderr)
        self.assertRegex(r.stderr, pattern)
        self.assertEqual(self.read(self.token_path()), before)
        self.assertFalse(os.path.exists(self.cli_path()))
        self.assertEqual(FAKE.count("GetRoleCredentials"), 0)
        return r

    def test_refresh_500_thrice_leaves_files_untouched(self):
        self._unchanged_after("500", 3, 1, r"cannot refresh the SSO token")
        self.assertEqual(FAKE.count("CreateToken", grant="refresh_token"), 3)

    def test_invalid_grant_exit_4_with_hint(self):
        r = self._unchanged_after("invalid_grant", 1, 4, r"refresh failed")
        self.assertIn(HINT, r.stderr)
        self.assertEqual(FAKE.count("CreateToken", grant="refresh_token"), 1)

    def test_expired_registration_exit_4_without_request(self):
        self.home.sso_profile_config()
        self.session(expires_in=-30, registrationExpiresAt=iso_z(time.time() - 10))
        before = self.read(self.token_path())
        r = self.mt(DB_ARGS)
        self.assertEqual(r.returncode, 4, r.stderr)
        self.assertIn(HINT, r.stderr)
        self.assertIn("registration", r.stderr)
        self.assertEqual(FAKE.count(), 0)
        self.assertEqual(self.read(self.token_path()), before)

    def test_refresh_fails_but_token_still_valid(self):
        self.home.sso_profile_config()
        self.session(expires_in=600)
        before = self.read(self.token_path())
        FAKE.script("CreateToken:refresh_token", "invalid_grant")
        r = self.mt(DB_ARGS)
        self.assertEqual(r.returncode, 0, r.stderr)   # botocore: keep the valid token
        self.assertEqual(self.read(self.token_path()), before)
        self.assertEqual(FAKE.count("GetRoleCredentials"), 1)

    def test_portal_401_means_token_invalid(self):
        self.home.sso_profile_config()
        f = self.session(expires_in=3600)
        FAKE.revoke(access_token=f["accessToken"])
        r = self.mt(DB_ARGS)
        self.assertEqual(r.returncode, 4, r.stderr)
        self.assertIn("expired or is otherwise invalid", r.stderr)
        self.assertIn(HINT, r.stderr)

    def test_portal_transient_errors_are_retried(self):
        self.home.sso_profile_config()
        self.session(expires_in=3600)
        FAKE.script("GetRoleCredentials", "429", "dropped")
        r = self.mt(DB_ARGS)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(FAKE.count("GetRoleCredentials"), 3)


class Corrupt(Base):
    """Corrupt token caches never crash and never lose a valid refresh token."""

    def run_case(self, raw, expect_rc):
        FAKE.reset()
        for p in (self.cli_path(),):
            if os.path.exists(p):
                os.unlink(p)
        self.home.write_sso_token("my-sso", None, raw=raw)
        r = self.mt(DB_ARGS)
        self.assertIn(r.returncode, (0, 4), "crash? rc=%d %s" % (r.returncode, r.stderr))
        self.assertEqual(r.returncode, expect_rc, "%r: %s" % (raw[:80], r.stderr))
        return r

    def test_corrupt_variants(self):
        self.home.sso_profile_config()
        f = self.session(expires_in=-60)
        good = awsfix.sso_token_json(f)
        no_brace = good[:-1]
        cases = [
            # (raw, rc, refresh token must survive in the file afterwards)
            (good + good[10:], 0),                       # trailing garbage (in-place rewrite race)
            (good + "}\n  \"x\": 1}", 0),
            (no_brace, 0),                               # cut before the final brace: salvaged
            (good[:len(good) // 2], 4),                  # truncated mid-way
            ("", 4), ("\x00\x01\xff garbage", 4), ("[]", 4), ("null", 4), ("{", 4),
            (json.dumps(dict(f, accessToken=123, expiresAt=5)), 0),   # wrong types, refreshable
            (json.dumps({k: v for k, v in f.items() if k not in ("accessToken", "expiresAt")}), 0),
            (json.dumps(dict(f, refreshToken=["x"])), 4),              # cannot refresh, expired
            (json.dumps(dict(f, clientSecret=None)), 4),
        ]
        for raw, rc in cases:
            with self.subTest(raw=raw[:60]):
                # a fresh, valid refresh token for each case
                cur = FAKE.mint_session(start_url=START_URL)
                self.secrets += secrets_of(cur)
                raw2 = raw
                for k in ("accessToken", "refreshToken", "clientId", "clientSecret"):
                    if isinstance(f.get(k), str):
                        raw2 = raw2.replace(f[k], cur[k])
                r = self.run_case(raw2, rc)
                after = self.read(self.token_path())
                if rc == 0:
                    d = self.assert_token_file_cli_format(self.token_path()) \
                        if FAKE.count("CreateToken") else json.loads(after[:after.index("}") + 1])
                    self.assertTrue(self.refresh_token_valid(d["refreshToken"]))
                    self.secrets += secrets_of(d)
                else:
                    self.assertEqual(after, raw2)   # untouched: nothing lost
                    self.assertIn(HINT, r.stderr)

    def test_other_writers_formats(self):
        """Pretty JSON with milliseconds (JS SDK), +00:00 offsets, extra keys, any key order."""
        self.home.sso_profile_config()
        f = self.session()
        exp = time.strftime("%Y-%m-%dT%H:%M:%S.123Z", time.gmtime(time.time() + 7200))
        js = dict(reversed(list(f.items())), expiresAt=exp, ssoSessionName="my-sso", extra=[1, 2])
        for raw in (json.dumps(js, indent=2),
                    json.dumps(dict(f, expiresAt=time.strftime(
                        "%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(time.time() + 7200)))) + "\n"):
            with self.subTest(raw=raw[:40]):
                self.run_case(raw, 0)
                self.assertEqual(FAKE.count("CreateToken"), 0)
                self.assertEqual(self.read(self.token_path()), raw)   # used as is, not rewritten
                self.assert_cli_cache_format(self.cli_path())

    def test_corrupt_cli_cache_is_replaced(self):
        self.home.sso_profile_config()
        self.session()
        for raw in ('{"ProviderType": "sso", "Credentials": {"AccessKeyId": 1}}', "{{{", "\x00"):
            self.home.write(os.path.relpath(self.cli_path(), self.home.path), raw)
            r = self.mt(DB_ARGS)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assert_cli_cache_format(self.cli_path(), dir_created=False)


class Login(Base):
    def browser(self):
        return awsfix.write_browser_script(self.home.path, FAKE.ca_pem)

    def aws_cli(self, profile="p"):
        if not shutil.which("aws"):
            self.skipTest("aws CLI not installed")
        env = self.env()
        env["AWS_ENDPOINT_URL_STS"] = MOTO.endpoint
        return subprocess.run(["aws", "sts", "get-caller-identity", "--profile", profile,
                               "--output", "json"], env=env, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              timeout=90)

    def test_pkce_login_then_aws_cli(self):
        self.home.sso_profile_config()
        r = self.mt(["sso", "login", "--profile", "p"], BROWSER=self.browser())
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("Attempting to open your default browser. If the browser does not open, "
                      "open the following URL.\n", r.stdout)
        self.assertTrue(r.stdout.endswith("Successfully logged into Start URL: %s\n" % START_URL))
        reg = FAKE.requests(op="RegisterClient")
        self.assertEqual(len(reg), 1)
        self.assertEqual(reg[0]["raw_body"], json.dumps({
            "clientName": "botocore-client-my-sso", "clientType": "public",
            "grantTypes": ["authorization_code", "refresh_token"],
            "redirectUris": ["http://127.0.0.1/oauth/callback"], "issuerUrl": START_URL,
            "scopes": ["sso:account:access"]}))
        auth = FAKE.requests(op="Authorize")[0]
        keys = [kv.split("=")[0] for kv in auth["raw_query"].split("&")]
        self.assertEqual(keys, ["response_type", "client_id", "redirect_uri", "state",
                                "code_challenge_method", "scopes", "code_challenge"])
        q = auth["query"]
        self.assertRegex(q["redirect_uri"], r"^http://127\.0\.0\.1:\d+/oauth/callback$")
        self.assertIn("redirect_uri=http%3A%2F%2F127.0.0.1%3A", auth["raw_query"])
        self.assertEqual(q["scopes"], "sso:account:access")
        self.assertRegex(q["state"], r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-"
                                     r"[0-9a-f]{12}$")
        tok = FAKE.requests(op="CreateToken")[0]
        self.assertEqual(list(tok["body"]), ["grantType", "clientId", "clientSecret",
                                             "redirectUri", "codeVerifier", "code"])
        self.assertEqual(tok["body"]["redirectUri"], q["redirect_uri"])
        self.assertEqual(len(tok["body"]["codeVerifier"]), 64)
        self.assertEqual(fake_sso.pkce_challenge(tok["body"]["codeVerifier"]), q["code_challenge"])
        d = self.assert_token_file_cli_format(self.token_path())
        self.assertEqual(list(d), list(TOKEN_KEY_ORDER))
        self.secrets += secrets_of(d)
        regname = awsfix.registration_cache_name(START_URL, "us-east-1", ["sso:account:access"],
                                                 "my-sso")
        regfile = os.path.join(self.home.sso_cache, regname)
        raw = self.read(regfile)
        rd = json.loads(raw)
        self.assertEqual(raw, json.dumps(rd))
        self.assertEqual(list(rd), ["clientId", "clientSecret", "expiresAt", "scopes",
                                    "grantTypes"])
        self.assertEqual(rd["grantTypes"], ["authorization_code", "refresh_token"])
        self.assertEqual(stat.S_IMODE(os.stat(self.home.sso_cache).st_mode), 0o700)
        # the AWS CLI uses it with no further login
        FAKE.reset()
        a = self.aws_cli()
        self.assertEqual(a.returncode, 0, a.stderr)
        self.assertEqual(json.loads(a.stdout)["Account"], MOTO.account_id)
        self.assertEqual(FAKE.count("CreateToken"), 0)
        self.assertEqual(FAKE.count("RegisterClient"), 0)
        # a second login reuses the registration (same flow kind)
        FAKE.reset()
        r = self.mt(["sso", "login"], AWS_PROFILE="p", BROWSER=self.browser())
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(FAKE.count("RegisterClient"), 0)
        self.assertEqual(FAKE.count("CreateToken", grant="authorization_code"), 1)

    def test_device_login_then_aws_cli(self):
        self.home.sso_profile_config()
        r = self.mt(["sso", "login", "--profile", "p", "--use-device-code"],
                    BROWSER=self.browser())
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("Attempting to open your default browser.\nIf the browser does not open or "
                      "you wish to use a different device to authorize this request, open the "
                      "following URL:\n\n%s/device\n\nThen enter the code:\n\n" % FAKE.url,
                      r.stdout)
        reg = FAKE.requests(op="RegisterClient")[0]
        self.assertEqual(reg["raw_body"], json.dumps({
            "clientName": "botocore-client-my-sso", "clientType": "public",
            "scopes": ["sso:account:access"]}))
        sd = FAKE.requests(op="StartDeviceAuthorization")[0]
        self.assertEqual(list(sd["body"]), ["clientId", "clientSecret", "startUrl"])
        polls = FAKE.requests(op="CreateToken", grant="device_code")
        self.assertGreaterEqual(len(polls), 2)
        self.assertEqual(list(polls[0]["body"]), ["grantType", "clientId", "clientSecret",
                                                  "deviceCode"])
        d = self.assert_token_file_cli_format(self.token_path())
        self.secrets += secrets_of(d)
        regname = awsfix.registration_cache_name(START_URL, "us-east-1", ["sso:account:access"],
                                                 "my-sso")
        rd = json.loads(self.read(os.path.join(self.home.sso_cache, regname)))
        self.assertEqual(list(rd), ["clientId", "clientSecret", "expiresAt", "scopes"])
        FAKE.reset()
        a = self.aws_cli()
        self.assertEqual(a.returncode, 0, a.stderr)
        self.assertEqual(FAKE.count("CreateToken"), 0)

    def test_legacy_device_login_no_browser(self):
        self.home.sso_profile_config(legacy=True)
        FAKE.configure(device_approve_after_polls=1)
        r = self.mt(["sso", "login", "--profile", "p", "--no-browser"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("Browser will not be automatically opened.\nPlease visit the following "
                      "URL:\n\n%s/device\n\nThen enter the code:\n\n" % FAKE.url, r.stdout)
        self.assertIn("Alternatively, you may visit the following URL which will autofill the "
                      "code upon loading:\n%s/device?user_code=" % FAKE.url, r.stdout)
        body = json.loads(FAKE.requests(op="RegisterClient")[0]["raw_body"])
        self.assertRegex(body["clientName"], r"^botocore-client-\d+$")
        self.assertNotIn("scopes", body)
        d = self.assert_token_file_cli_format(self.home.sso_token_path(START_URL))
        self.secrets += secrets_of(d)
        regname = awsfix.registration_cache_name(START_URL, "us-east-1")
        rd = json.loads(self.read(os.path.join(self.home.sso_cache, regname)))
        self.assertEqual(list(rd), ["clientId", "clientSecret", "expiresAt"])
        r = self.mt(DB_ARGS)
        self.assertEqual(r.returncode, 0, r.stderr)
        a = self.aws_cli()
        self.assertEqual(a.returncode, 0, a.stderr)

    def test_device_slow_down_and_expired(self):
        self.home.sso_profile_config()
        FAKE.configure(device_approve_after_polls=0)
        FAKE.script("CreateToken:device_code", "slow_down")
        r = self.mt(["sso", "login", "--use-device-code", "--no-browser"], AWS_PROFILE="p")
        self.assertEqual(r.returncode, 0, r.stderr)
        polls = FAKE.requests(op="CreateToken", grant="device_code")
        self.assertEqual(len(polls), 2)
        self.assertGreaterEqual(polls[1]["time"] - polls[0]["time"], 5.5)   # interval 1 + 5
        FAKE.reset()
        FAKE.script("CreateToken:device_code", "expired_token")
        r = self.mt(["sso", "login", "--use-device-code", "--no-browser"], AWS_PROFILE="p")
        self.assertEqual(r.returncode, 4, r.stderr)
        self.assertIn("pending authorization", r.stderr)

    def test_pkce_no_browser_listener_on_loopback_only(self):
        self.home.sso_profile_config()
        p = subprocess.Popen([awsfix.mytools_path(), "sso", "login", "--profile", "p",
                              "--no-browser"], env=self.env(), stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            url = None
            deadline = time.time() + 30
            while time.time() < deadline and not url:
                line = p.stdout.readline()
                if line.startswith("https://"):
                    url = line.strip()
            self.assertTrue(url, "no authorize URL printed")
            port = int(re.search(r"127\.0\.0\.1%3A(\d+)%2F", url).group(1))
            with open("/proc/net/tcp") as f:
                listen = [l.split()[1] for l in f.read().splitlines()[1:]
                          if l.split()[3] == "0A"]
            self.assertIn("0100007F:%04X" % port, listen)      # 127.0.0.1 only
            self.assertNotIn("00000000:%04X" % port, listen)
            ctx = ssl.create_default_context(cafile=FAKE.ca_pem)
            with urllib.request.urlopen(url, context=ctx, timeout=20) as resp:   # -> loopback
                self.assertEqual(resp.status, 200)
            out, err = p.communicate(timeout=30)
        finally:
            if p.poll() is None:
                p.kill()
                p.communicate()
        self.assertEqual(p.returncode, 0, err)
        self.assertIn("Successfully logged into Start URL: %s" % START_URL, out)

    def test_pkce_state_mismatch(self):
        self.home.sso_profile_config()
        script = os.path.join(self.home.path, "evil-browser.py")
        with open(script, "w") as f:
            f.write("#!%s\nimport sys, urllib.parse, urllib.request, threading\n"
                    "q = urllib.parse.parse_qs(urllib.parse.urlsplit(sys.argv[1]).query)\n"
                    "u = q['redirect_uri'][0] + '?code=abc&state=wrong'\n"
                    "import os\nif os.fork() == 0:\n"
                    "    urllib.request.urlopen(u, timeout=10).read()\n" % sys.executable)
        os.chmod(script, 0o700)
        r = self.mt(["sso", "login", "--profile", "p"], BROWSER=script)
        self.assertEqual(r.returncode, 4, r.stderr)
        self.assertIn("state parameter does not match", r.stderr)
        self.assertEqual(FAKE.count("CreateToken"), 0)
        self.assertFalse(os.path.exists(self.token_path()))

    def test_db_token_logs_in_on_a_terminal(self):
        """stdin and stderr are a terminal: invalid_grant leads to a (PKCE) login, then success."""
        self.home.sso_profile_config()
        self.session(expires_in=-30)
        FAKE.script("CreateToken:refresh_token", "invalid_grant")
        master, slave = pty.openpty()
        try:
            p = subprocess.Popen([awsfix.mytools_path()] + DB_ARGS,
                                 env=self.env(BROWSER=self.browser()), stdin=slave,
                                 stdout=subprocess.PIPE, stderr=slave, text=True)
            os.close(slave)
            slave = None
            chunks = []
            deadline = time.time() + 60
            while p.poll() is None and time.time() < deadline:
                rr, _, _ = select.select([master], [], [], 0.2)
                if rr:
                    try:
                        chunks.append(os.read(master, 4096))
                    except OSError:
                        break
            out, _ = p.communicate(timeout=30)
        finally:
            if slave is not None:
                os.close(slave)
            os.close(master)
        tty = b"".join(chunks).decode(errors="replace")
        self.assertEqual(p.returncode, 0, tty)
        self.assertIn("Attempting to open your default browser", tty)
        self.assertIn("token", json.loads(out))
        self.assertEqual(FAKE.count("CreateToken", grant="authorization_code"), 1)
        self.assert_token_file_cli_format(self.token_path())

    def test_login_errors(self):
        self.home.write_config({"profile p": {"sso_session": "nope"},
                                "profile q": {"sso_start_url": START_URL},
                                "sso-session h": {"sso_start_url": "http://x.example/start",
                                                  "sso_region": "us-east-1"}})
        r = self.mt(["sso", "login", "--profile", "p"])
        self.assertEqual(r.returncode, 3)
        self.assertIn('the specified sso-session does not exist: "nope"', r.stderr)
        r = self.mt(["sso", "login", "--profile", "q"])
        self.assertEqual(r.returncode, 3)
        self.assertIn("sso_region", r.stderr)
        r = self.mt(["sso", "login", "--sso-session", "h"])
        self.assertEqual(r.returncode, 3)
        self.assertIn("https", r.stderr)
        r = self.mt(["sso", "login", "--sso-session", "h", "--profile", "p"])
        self.assertEqual(r.returncode, 2)
        self.assertEqual(FAKE.count(), 0)


class BotocoreInterop(Base):
    def test_token_refreshed_by_botocore_is_used(self):
        if not shutil.which("aws"):
            self.skipTest("aws CLI not installed")
        self.home.sso_profile_config()
        self.session(expires_in=300)       # botocore refreshes (< 15 min)
        env = self.env()
        a = subprocess.run(["aws", "sts", "get-caller-identity", "--profile", "p"], env=env,
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=90)
        self.assertEqual(a.returncode, 0, a.stderr)
        self.assertEqual(FAKE.count("CreateToken", grant="refresh_token"), 1)
        d = json.loads(self.read(self.token_path()))
        self.secrets += secrets_of(d)
        shutil.rmtree(self.home.cli_cache, ignore_errors=True)
        FAKE.reset()
        r = self.mt(DB_ARGS)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(FAKE.count("CreateToken"), 0)
        self.assertEqual(FAKE.count("RegisterClient"), 0)
        self.assertEqual(FAKE.count("GetRoleCredentials"), 1)
        self.assertEqual(FAKE.requests(op="GetRoleCredentials")[0]["headers"]
                         ["x-amz-sso_bearer_token"], d["accessToken"])
        self.assert_cli_cache_format(self.cli_path())


class LogoutStatus(Base):
    def test_logout_deletes_what_the_cli_deletes(self):
        self.home.sso_profile_config()
        f = self.session()
        r = self.mt(DB_ARGS)
        self.assertEqual(r.returncode, 0, r.stderr)
        regname = awsfix.registration_cache_name(START_URL, "us-east-1", ["sso:account:access"],
                                                 "my-sso")
        self.home.write(".aws/sso/cache/" + regname, json.dumps(
            {"clientId": "c", "clientSecret": "s", "expiresAt": iso_z(time.time() + 9e5)}))
        self.home.write(".aws/cli/cache/assume.json", json.dumps(
            {"ProviderType": "assume-role", "Credentials": {}}))
        self.home.write(".aws/sso/cache/other.json", "not json")
        r = self.mt(["sso", "logout"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertFalse(os.path.exists(self.token_path()))
        self.assertFalse(os.path.exists(self.cli_path()))
        self.assertTrue(os.path.exists(os.path.join(self.home.sso_cache, regname)))
        self.assertTrue(os.path.exists(os.path.join(self.home.cli_cache, "assume.json")))
        self.assertTrue(os.path.exists(os.path.join(self.home.sso_cache, "other.json")))
        lo = FAKE.requests(op="Logout")
        self.assertEqual(len(lo), 1)
        self.assertEqual(lo[0]["headers"]["x-amz-sso_bearer_token"], f["accessToken"])
        # logged out: the next run needs a login
        r = self.mt(DB_ARGS)
        self.assertEqual(r.returncode, 4)
        self.assertIn(HINT, r.stderr)

    def test_status_never_prints_a_token(self):
        self.home.write_config({
            "profile p": {"sso_session": "my-sso", "sso_account_id": ACCT, "sso_role_name": ROLE},
            "profile old": {"sso_start_url": START_URL + "/", "sso_region": "eu-west-1",
                            "sso_account_id": ACCT, "sso_role_name": ROLE},
            "sso-session my-sso": {"sso_start_url": START_URL, "sso_region": "us-east-1",
                                   "sso_registration_scopes": "sso:account:access"},
            "sso-session unused": {"sso_start_url": "https://u.awsapps.com/start",
                                   "sso_region": "us-west-2"}})
        self.session(expires_in=7200)
        r = self.mt(DB_ARGS, AWS_PROFILE="p")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assert_cli_cache_format(self.cli_path())
        r = self.mt(["sso", "status"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("sso-session my-sso", r.stdout)
        self.assertIn("sso-session unused", r.stdout)
        self.assertIn(START_URL + "/", r.stdout)
        self.assertIn("can refresh:  yes", r.stdout)
        self.assertIn("profile p (%s %s): role credentials expires" % (ACCT, ROLE), r.stdout)
        r = self.mt(["sso", "status", "--format", "json"])
        self.assertEqual(r.returncode, 0, r.stderr)
        s = json.loads(r.stdout)["sessions"]
        self.assertEqual([x["sso_session"] for x in s], ["my-sso", None, "unused"])
        self.assertTrue(s[0]["token_valid"] and s[0]["can_refresh"])
        self.assertRegex(s[0]["token_expires_at"], ISO_RE)
        self.assertTrue(s[0]["role_credentials"][0]["valid"])
        self.assertIsNone(s[1]["token_expires_at"])
        self.assertFalse(s[1]["can_refresh"])
        r = self.mt(["sso", "status", "--format", "xml"])
        self.assertEqual(r.returncode, 2)


if __name__ == "__main__":
    unittest.main(verbosity=2)
