#!/usr/bin/env python3
"""Proves that the e2e fixtures (fake_sso.py, awsfix.py) behave like AWS as documented in
../shared/docs/sso-and-hashes.md, using botocore's own sso / sso-oidc clients and the AWS CLI v1
(`aws`, botocore 1.43) as oracles, against moto with signature checking on.
Does not need the mytools binary."""

import http.server
import json
import os
import shutil
import ssl
import subprocess
import sys
import threading
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import awsfix  # noqa: E402
import fake_sso  # noqa: E402
from fake_sso import DEVICE_GRANT  # noqa: E402

from botocore.exceptions import ClientError, ConnectionClosedError, EndpointConnectionError  # noqa: E402

START_URL = "https://d-1234567890.awsapps.com/start"
ACCT = "123456789012"

MOTO = None
FAKE = None


def setUpModule():
    global MOTO, FAKE
    MOTO, FAKE = awsfix.start_sso_stack()


def tearDownModule():
    awsfix.stop_sso_stack(MOTO, FAKE)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **kw):
        return None


def raw_request(url, method="GET", body=None, headers=None, ca=None, follow=False):
    """(status, headers dict lower-case, body bytes) without raising on HTTP errors."""
    ctx = ssl.create_default_context(cafile=ca or FAKE.ca_pem)
    handlers = [urllib.request.HTTPSHandler(context=ctx)]
    if not follow:
        handlers.append(_NoRedirect())
    opener = urllib.request.build_opener(*handlers)
    data = json.dumps(body).encode() if isinstance(body, dict) else body
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with opener.open(req, timeout=20) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


class Base(unittest.TestCase):
    def setUp(self):
        FAKE.reset(requests=True, faults=True, state=True)
        FAKE.configure(**{k: v for k, v in fake_sso.DEFAULT_CONFIG.items()})
        self.oidc = awsfix.botocore_client("sso-oidc", FAKE.url, None, None, unsigned=True, verify=FAKE.ca_pem)
        self.sso = awsfix.botocore_client("sso", FAKE.url, None, None, unsigned=True, verify=FAKE.ca_pem)

    def register(self, **kw):
        args = {"clientName": "botocore-client-my-sso", "clientType": "public", "scopes": ["sso:account:access"]}
        args.update(kw)
        return self.oidc.register_client(**args)

    def code(self, exc):
        return exc.response["Error"]["Code"]


class CacheNames(unittest.TestCase):
    """§2 / §4 / §5 worked examples."""

    def test_vectors(self):
        self.assertEqual(awsfix.sso_cache_name("my-sso"), "0ad374308c5a4e22f723adf10145eafad7c4031c.json")
        self.assertEqual(awsfix.sso_cache_name(START_URL), "7487b5b67d5fa1132cf33fa93ae51ef38cc37752.json")
        self.assertEqual(awsfix.cli_cache_name(ACCT, "ReadOnly", session_name="my-sso"),
                         "31b260dab331b2af063485cea75f7b8b3cf54c71.json")
        self.assertEqual(awsfix.cli_cache_name(ACCT, "ReadOnly", start_url=START_URL),
                         "30bbb2b1278a4c1fb1b943c46c1ef6501807f657.json")
        self.assertEqual(awsfix.registration_cache_name(START_URL, "us-east-1", ["sso:account:access"], "my-sso"),
                         "a8343d65418848d0bc13a5f25cbb32508ceec5d1.json")
        self.assertEqual(awsfix.registration_cache_name(START_URL, "us-east-1", None, "my-sso"),
                         "8b2cedd020fb181ad4cf906d1d27b232fd31557e.json")
        self.assertEqual(awsfix.registration_cache_name(START_URL, "us-east-1"),
                         "365414a68be7c9bfc776c660981dbdbd942acea4.json")
        self.assertEqual(fake_sso.pkce_challenge("SobLid_tSlsxbim5txlQXE3SD9G_Stc.EdoYezeMyv.9-WpzanInzq92UXQjUSag"),
                         "PNVwmsUEebtF7upOvrSNb4uzwm756MeUuvUbVOsixEc")

    def test_token_json_format(self):
        s = awsfix.sso_token_json({"refreshToken": "r", "accessToken": "a", "startUrl": "u", "region": "x",
                                   "expiresAt": "2026-11-22T09:51:00Z", "clientId": "c", "clientSecret": "s",
                                   "registrationExpiresAt": "2027-02-20T01:50:59Z", "expiresIn": 5})
        self.assertEqual(s, '{"startUrl": "u", "region": "x", "accessToken": "a", "expiresAt": '
                            '"2026-11-22T09:51:00Z", "clientId": "c", "clientSecret": "s", '
                            '"registrationExpiresAt": "2027-02-20T01:50:59Z", "refreshToken": "r"}')


class DeviceFlow(Base):
    def test_register_device_pending_slowdown_token(self):
        reg = self.register()
        self.assertEqual(set(reg) - {"ResponseMetadata"},
                         {"clientId", "clientSecret", "clientIdIssuedAt", "clientSecretExpiresAt"})
        self.assertGreater(reg["clientSecretExpiresAt"], time.time() + 80 * 86400)
        da = self.oidc.start_device_authorization(clientId=reg["clientId"], clientSecret=reg["clientSecret"],
                                                  startUrl=START_URL)
        for k in ("deviceCode", "userCode", "verificationUri", "verificationUriComplete"):
            self.assertIsInstance(da[k], str)
        self.assertEqual((da["expiresIn"], da["interval"]), (600, 1))
        tok_args = dict(clientId=reg["clientId"], clientSecret=reg["clientSecret"], grantType=DEVICE_GRANT,
                        deviceCode=da["deviceCode"])
        with self.assertRaises(self.oidc.exceptions.AuthorizationPendingException) as cm:
            self.oidc.create_token(**tok_args)
        hdrs = cm.exception.response["ResponseMetadata"]["HTTPHeaders"]
        self.assertEqual(cm.exception.response["ResponseMetadata"]["HTTPStatusCode"], 400)
        self.assertTrue(hdrs["x-amzn-errortype"].startswith("AuthorizationPendingException:http://internal"))
        self.assertEqual(cm.exception.response["error"], "authorization_pending")
        FAKE.script("CreateToken:device_code", "slow_down")
        with self.assertRaises(self.oidc.exceptions.SlowDownException):
            self.oidc.create_token(**tok_args)
        # a BROWSER fetching verificationUriComplete approves the code
        st, _, _ = raw_request(da["verificationUriComplete"], follow=True)
        self.assertEqual(st, 200)
        tok = self.oidc.create_token(**tok_args)
        self.assertEqual(tok["tokenType"], "Bearer")
        self.assertEqual(tok["expiresIn"], 28800)
        self.assertTrue(tok["refreshToken"])
        with self.assertRaises(self.oidc.exceptions.InvalidGrantException):   # device code is consumed
            self.oidc.create_token(**tok_args)
        # the recording
        reqs = FAKE.requests(op="CreateToken", grant="device_code")
        self.assertEqual([r["fault"] for r in reqs], [None, "slow_down", None, None])
        self.assertEqual([r["status"] for r in reqs], [400, 400, 200, 400])
        self.assertEqual(reqs[0]["body"], {"grantType": DEVICE_GRANT, "clientId": reg["clientId"],
                                           "clientSecret": reg["clientSecret"], "deviceCode": da["deviceCode"]})
        self.assertNotIn("authorization", reqs[0]["headers"])
        self.assertEqual(FAKE.count("RegisterClient"), 1)
        self.assertEqual(FAKE.requests(op="RegisterClient")[0]["body"],
                         {"clientName": "botocore-client-my-sso", "clientType": "public",
                          "scopes": ["sso:account:access"]})

    def test_approve_after_polls_interval_and_expiry(self):
        FAKE.configure(device_approve_after_polls=2, enforce_interval=True, device_interval=1)
        reg = self.register()
        da = self.oidc.start_device_authorization(clientId=reg["clientId"], clientSecret=reg["clientSecret"],
                                                  startUrl=START_URL)
        a = dict(clientId=reg["clientId"], clientSecret=reg["clientSecret"], grantType=DEVICE_GRANT,
                 deviceCode=da["deviceCode"])
        with self.assertRaises(self.oidc.exceptions.AuthorizationPendingException):
            self.oidc.create_token(**a)
        with self.assertRaises(self.oidc.exceptions.SlowDownException):   # polled faster than interval
            self.oidc.create_token(**a)
        self.assertTrue(self.oidc.create_token(**a)["accessToken"])        # 3rd poll > 2 → approved
        FAKE.configure(device_expires_in=1, device_approve_after_polls=None, enforce_interval=False)
        da = self.oidc.start_device_authorization(clientId=reg["clientId"], clientSecret=reg["clientSecret"],
                                                  startUrl=START_URL)
        time.sleep(1.1)
        with self.assertRaises(self.oidc.exceptions.ExpiredTokenException):
            self.oidc.create_token(clientId=reg["clientId"], clientSecret=reg["clientSecret"],
                                   grantType=DEVICE_GRANT, deviceCode=da["deviceCode"])

    def test_bad_client(self):
        with self.assertRaises(self.oidc.exceptions.InvalidClientException) as cm:
            self.oidc.create_token(clientId="nope", clientSecret="x", grantType="refresh_token", refreshToken="r")
        self.assertEqual(cm.exception.response["ResponseMetadata"]["HTTPStatusCode"], 401)
        reg = self.register()
        with self.assertRaises(self.oidc.exceptions.InvalidClientException):
            self.oidc.start_device_authorization(clientId=reg["clientId"], clientSecret="wrong", startUrl=START_URL)


class Pkce(Base):
    def _authorize_url(self, reg, redirect, challenge, state, method="S256"):
        q = [("response_type", "code"), ("client_id", reg["clientId"]), ("redirect_uri", redirect),
             ("state", state), ("code_challenge_method", method), ("scopes", "sso:account:access"),
             ("code_challenge", challenge)]
        return FAKE.url + "/authorize?" + urllib.parse.urlencode(q)

    def test_authorize_redirect_and_token(self):
        reg = self.register(grantTypes=["authorization_code", "refresh_token"],
                            redirectUris=["http://127.0.0.1/oauth/callback"], issuerUrl=START_URL)
        verifier = "SobLid_tSlsxbim5txlQXE3SD9G_Stc.EdoYezeMyv.9-WpzanInzq92UXQjUSag"
        challenge = fake_sso.pkce_challenge(verifier)
        redirect = "http://127.0.0.1:45678/oauth/callback"
        st, h, _ = raw_request(self._authorize_url(reg, redirect, challenge, "st-1"))
        self.assertEqual(st, 302)
        loc = urllib.parse.urlsplit(h["location"])
        self.assertEqual(loc.scheme + "://" + loc.netloc + loc.path, redirect)
        q = dict(urllib.parse.parse_qsl(loc.query))
        self.assertEqual(q["state"], "st-1")
        code = q["code"]
        base = dict(clientId=reg["clientId"], clientSecret=reg["clientSecret"], grantType="authorization_code",
                    redirectUri=redirect, code=code)
        with self.assertRaises(self.oidc.exceptions.InvalidGrantException):
            self.oidc.create_token(codeVerifier="x" * 64, **base)
        with self.assertRaises(self.oidc.exceptions.InvalidGrantException):
            self.oidc.create_token(codeVerifier=verifier, **dict(base, redirectUri="http://127.0.0.1:1/oauth/callback"))
        tok = self.oidc.create_token(codeVerifier=verifier, **base)
        self.assertTrue(tok["accessToken"] and tok["refreshToken"])
        with self.assertRaises(self.oidc.exceptions.InvalidGrantException):   # code is single use
            self.oidc.create_token(codeVerifier=verifier, **base)
        self.assertEqual(FAKE.count("CreateToken", grant="authorization_code"), 4)

    def test_authorize_validation(self):
        reg = self.register(grantTypes=["authorization_code", "refresh_token"],
                            redirectUris=["http://127.0.0.1/oauth/callback"], issuerUrl=START_URL)
        ch = fake_sso.pkce_challenge("v" * 64)
        st, _, _ = raw_request(self._authorize_url(reg, "http://evil.example/oauth/callback", ch, "s"))
        self.assertEqual(st, 400)
        st, _, _ = raw_request(self._authorize_url(reg, "http://127.0.0.1:5/other", ch, "s"))
        self.assertEqual(st, 400)
        st, _, _ = raw_request(self._authorize_url(dict(reg, clientId="nope"), "http://127.0.0.1:5/oauth/callback", ch, "s"))
        self.assertEqual(st, 400)
        st, h, _ = raw_request(self._authorize_url(reg, "http://127.0.0.1:5/oauth/callback", ch, "s", method="plain"))
        self.assertEqual(st, 302)
        self.assertEqual(dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(h["location"]).query)),
                         {"error": "invalid_request", "state": "s"})
        devreg = self.register()    # device-flow registration cannot use /authorize
        st, _, _ = raw_request(self._authorize_url(devreg, "http://127.0.0.1:5/oauth/callback", ch, "s"))
        self.assertEqual(st, 400)

    def test_browser_script_completes_callback(self):
        reg = self.register(grantTypes=["authorization_code", "refresh_token"],
                            redirectUris=["http://127.0.0.1/oauth/callback"], issuerUrl=START_URL)
        got = {}

        class CB(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                got.update(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *a):
                pass
        srv = http.server.HTTPServer(("127.0.0.1", 0), CB)
        t = threading.Thread(target=srv.handle_request, daemon=True)
        t.start()
        d = FAKE.workdir
        script = awsfix.write_browser_script(d, FAKE.ca_pem)
        url = self._authorize_url(reg, "http://127.0.0.1:%d/oauth/callback" % srv.server_address[1],
                                  fake_sso.pkce_challenge("w" * 64), "st-9")
        subprocess.run([script, url], check=True, timeout=10)
        t.join(15)
        srv.server_close()
        self.assertEqual(got.get("state"), "st-9")
        self.assertTrue(got.get("code"))


class Refresh(Base):
    def test_refresh_rotates(self):
        s = FAKE.mint_session()
        a = dict(clientId=s["clientId"], clientSecret=s["clientSecret"], grantType="refresh_token")
        t1 = self.oidc.create_token(refreshToken=s["refreshToken"], **a)
        self.assertNotEqual(t1["refreshToken"], s["refreshToken"])
        self.assertNotEqual(t1["accessToken"], s["accessToken"])
        self.assertEqual(t1["expiresIn"], 28800)
        with self.assertRaises(self.oidc.exceptions.InvalidGrantException):   # old one is spent
            self.oidc.create_token(refreshToken=s["refreshToken"], **a)
        FAKE.script("CreateToken:refresh_token", "no_refresh_token")
        t2 = self.oidc.create_token(refreshToken=t1["refreshToken"], **a)
        self.assertNotIn("refreshToken", t2)
        self.sso.list_accounts(accessToken=t2["accessToken"])
        FAKE.script("CreateToken", {"fault": "invalid_grant"})
        with self.assertRaises(self.oidc.exceptions.InvalidGrantException):
            self.oidc.create_token(refreshToken="whatever", **a)
        self.assertEqual(FAKE.count("CreateToken", grant="refresh_token"), 4)
        self.assertEqual(FAKE.requests(op="CreateToken")[0]["body"],
                         {"grantType": "refresh_token", "clientId": s["clientId"],
                          "clientSecret": s["clientSecret"], "refreshToken": s["refreshToken"]})

    def test_no_refresh_token_without_scopes(self):
        s = FAKE.mint_session(scopes=None)
        self.assertNotIn("refreshToken", s)


class Portal(Base):
    def test_role_credentials_work_against_moto(self):
        s = FAKE.mint_session()
        rc = self.sso.get_role_credentials(roleName="ReadOnly", accountId=ACCT, accessToken=s["accessToken"])
        c = rc["roleCredentials"]
        self.assertTrue(c["accessKeyId"].startswith("ASIA"))
        self.assertIsInstance(c["expiration"], int)
        self.assertAlmostEqual(c["expiration"] / 1000.0, time.time() + 3600, delta=60)   # milliseconds
        ident = MOTO.caller_identity(c["accessKeyId"], c["secretAccessKey"], c["sessionToken"])
        self.assertEqual(ident["Arn"], "arn:aws:sts::%s:assumed-role/ReadOnly/mytools-test-user" % ACCT)
        # the role has an allow-* policy, so other services work with these keys too
        kms = MOTO.client("kms", c["accessKeyId"], c["secretAccessKey"], c["sessionToken"])
        self.assertTrue(kms.create_key()["KeyMetadata"]["KeyId"])
        r = FAKE.requests(op="GetRoleCredentials")[0]
        self.assertEqual(r["raw_query"], "role_name=ReadOnly&account_id=%s" % ACCT)
        self.assertEqual(r["headers"]["x-amz-sso_bearer_token"], s["accessToken"])
        # wrong session token / wrong secret against moto
        self.assertEqual(MOTO.sts_error_code(c["accessKeyId"], c["secretAccessKey"], "bad"), "InvalidClientTokenId")
        self.assertEqual(MOTO.sts_error_code(c["accessKeyId"], "x" * 40, c["sessionToken"]), "SignatureDoesNotMatch")

    def test_bad_token_unauthorized(self):
        with self.assertRaises(self.sso.exceptions.UnauthorizedException):
            self.sso.get_role_credentials(roleName="ReadOnly", accountId=ACCT, accessToken="bogus")
        st, h, body = raw_request(FAKE.url + "/federation/credentials?role_name=R&account_id=1",
                                  headers={"x-amz-sso_bearer_token": "bogus"})
        self.assertEqual(st, 401)
        self.assertEqual(h["x-amzn-errortype"], "UnauthorizedException")
        self.assertEqual(json.loads(body), {"message": "Session token not found or invalid",
                                            "__type": "com.amazonaws.switchboard.portal#UnauthorizedException"})
        # expired / logged out tokens too
        s = FAKE.mint_session(expires_in=1)
        time.sleep(1.1)
        with self.assertRaises(self.sso.exceptions.UnauthorizedException):
            self.sso.get_role_credentials(roleName="ReadOnly", accountId=ACCT, accessToken=s["accessToken"])
        s = FAKE.mint_session()
        self.sso.logout(accessToken=s["accessToken"])
        with self.assertRaises(self.sso.exceptions.UnauthorizedException):
            self.sso.list_accounts(accessToken=s["accessToken"])
        with self.assertRaises(self.oidc.exceptions.InvalidGrantException):
            self.oidc.create_token(clientId=s["clientId"], clientSecret=s["clientSecret"],
                                   grantType="refresh_token", refreshToken=s["refreshToken"])

    def test_pagination(self):
        accts = {"%012d" % i: {"accountName": "a%d" % i, "emailAddress": "a%d@example.com" % i,
                               "roles": ["R%d" % j for j in range(5)]} for i in range(7)}
        FAKE.configure(assignments=accts)
        s = FAKE.mint_session()
        pages = list(self.sso.get_paginator("list_accounts").paginate(
            accessToken=s["accessToken"], PaginationConfig={"PageSize": 3}))
        self.assertEqual([len(p["accountList"]) for p in pages], [3, 3, 1])
        self.assertEqual(sorted(a["accountId"] for p in pages for a in p["accountList"]), sorted(accts))
        roles = [r["roleName"] for p in self.sso.get_paginator("list_account_roles").paginate(
            accessToken=s["accessToken"], accountId="%012d" % 2, PaginationConfig={"PageSize": 2})
            for r in p["roleList"]]
        self.assertEqual(roles, ["R0", "R1", "R2", "R3", "R4"])
        self.assertEqual(FAKE.count("ListAccountRoles"), 3)
        self.assertEqual(FAKE.requests(op="ListAccounts")[1]["query"]["max_result"], "3")
        with self.assertRaises(ClientError) as cm:   # not assigned
            self.sso.get_role_credentials(roleName="Nope", accountId="%012d" % 2, accessToken=s["accessToken"])
        self.assertEqual(self.code(cm.exception), "ForbiddenException")


class Faults(Base):
    def test_http_faults(self):
        s = FAKE.mint_session()
        call = lambda: self.sso.get_role_credentials(roleName="ReadOnly", accountId=ACCT, accessToken=s["accessToken"])
        FAKE.script("GetRoleCredentials", "429", "500", "unauthorized", {"fault": "slow", "delay": 1},
                    "drop", "reset", {"fault": "http", "status": 502, "body": "<html>bad gateway</html>",
                                      "content_type": "text/html"})
        with self.assertRaises(self.sso.exceptions.TooManyRequestsException):
            call()
        with self.assertRaises(ClientError) as cm:
            call()
        self.assertEqual(cm.exception.response["ResponseMetadata"]["HTTPStatusCode"], 500)
        with self.assertRaises(self.sso.exceptions.UnauthorizedException):
            call()
        t = time.time()
        call()
        self.assertGreaterEqual(time.time() - t, 1.0)
        with self.assertRaises((ConnectionClosedError, EndpointConnectionError)):
            call()
        with self.assertRaises((ConnectionClosedError, EndpointConnectionError)):
            call()
        with self.assertRaises(ClientError) as cm:
            call()
        self.assertEqual(cm.exception.response["ResponseMetadata"]["HTTPStatusCode"], 502)
        call()
        recs = FAKE.requests(op="GetRoleCredentials")
        self.assertEqual([r["fault"] for r in recs],
                         ["too_many_requests", "internal_error", "unauthorized", "slow", "drop", "reset", "http", None])
        self.assertEqual([r["status"] for r in recs], [429, 500, 401, 200, None, None, 502, 200])

    def test_sticky_and_oidc_faults(self):
        s = FAKE.mint_session()
        a = dict(clientId=s["clientId"], clientSecret=s["clientSecret"], grantType="refresh_token",
                 refreshToken=s["refreshToken"])
        FAKE.script("CreateToken", "invalid_client", sticky=True)
        for _ in range(2):
            with self.assertRaises(self.oidc.exceptions.InvalidClientException):
                self.oidc.create_token(**a)
        FAKE.clear_faults("CreateToken")
        FAKE.script("*", "expired_token")
        with self.assertRaises(self.oidc.exceptions.ExpiredTokenException):
            self.oidc.create_token(**a)
        FAKE.script("CreateToken", {"fault": "authorization_pending", "times": 2})
        for _ in range(2):
            with self.assertRaises(self.oidc.exceptions.AuthorizationPendingException):
                self.oidc.create_token(**a)
        self.assertTrue(self.oidc.create_token(**a)["refreshToken"])
        with self.assertRaises(ValueError):
            FAKE.script("CreateToken", "no_such_fault")

    def test_concurrent_clients(self):
        s = FAKE.mint_session()
        results, errors = [], []

        def worker():
            try:
                cl = awsfix.botocore_client("sso", FAKE.url, None, None, unsigned=True, verify=FAKE.ca_pem)
                c = cl.get_role_credentials(roleName="ReadOnly", accountId=ACCT,
                                            accessToken=s["accessToken"])["roleCredentials"]
                results.append(c)
            except Exception as e:   # pragma: no cover
                errors.append(e)
        FAKE.script("GetRoleCredentials", {"fault": "slow", "delay": 0.5}, sticky=True)
        ts = [threading.Thread(target=worker) for _ in range(20)]
        t0 = time.time()
        for t in ts:
            t.start()
        for t in ts:
            t.join(30)
        self.assertEqual(errors, [])
        self.assertEqual(len(results), 20)
        # served in parallel, not 20 × 0.5 s one after the other: the delayed requests overlap
        # (a high-water mark, not a wall-clock bound that a loaded machine breaks)
        self.assertGreater(FAKE.stats()["max_concurrent_delayed"], 1)
        self.assertLess(time.time() - t0, 60)
        self.assertEqual(FAKE.count("GetRoleCredentials"), 20)
        self.assertGreaterEqual(FAKE.stats()["connections"], 20)
        self.assertEqual(len({r["conn"] for r in FAKE.requests(op="GetRoleCredentials")}), 20)
        c = results[7]
        self.assertEqual(MOTO.caller_identity(c["accessKeyId"], c["secretAccessKey"], c["sessionToken"])["Account"], ACCT)


class Helpers(unittest.TestCase):
    def test_static_credentials_mode(self):
        with fake_sso.FakeSSO() as f:
            s = f.mint_session()
            sso = awsfix.botocore_client("sso", f.url, None, None, unsigned=True, verify=f.ca_pem)
            c = sso.get_role_credentials(roleName="R", accountId=ACCT, accessToken=s["accessToken"])["roleCredentials"]
            self.assertTrue(c["accessKeyId"].startswith("ASIA"))
            self.assertGreater(c["expiration"], time.time() * 1000)
            self.assertEqual(f.env()["AWS_CA_BUNDLE"], f.ca_pem)

    def test_moto_helpers(self):
        kid = MOTO.kms_create_key()
        self.assertEqual(MOTO.kms_decrypt(MOTO.kms_encrypt(kid, b"hi")), b"hi")
        MOTO.sm_create_secret("fixture/test", "s3cret")
        self.assertEqual(MOTO.sm_get("fixture/test"), "s3cret")
        self.assertEqual(os.stat(MOTO.key_file).st_mode & 0o777, 0o600)
        self.assertEqual(MOTO.unsigned_status, 500)     # moto's answer to a request without a signature
        self.assertEqual(MOTO.sts_error_code(MOTO.access_key_id, "x" * 40), "SignatureDoesNotMatch")
        self.assertEqual(MOTO.sts_error_code("AKIAEXAMPLEINVALID00", "x" * 40), "InvalidClientTokenId")

    def test_temphome_env_and_run(self):
        os.environ["AWS_PROFILE"] = "leak"
        os.environ["MYTOOLS_X"] = "leak"
        try:
            with awsfix.TempHome() as h:
                env = h.env(fake=FAKE, moto=MOTO, extra={"X": "1"})
                self.assertNotIn("AWS_PROFILE", env)
                self.assertNotIn("MYTOOLS_X", env)
                self.assertEqual((env["HOME"], env["LC_ALL"], env["AWS_EC2_METADATA_DISABLED"]), (h.path, "C", "true"))
                self.assertEqual(env["AWS_ENDPOINT_URL_SSO_OIDC"], FAKE.url)
                self.assertEqual(env["AWS_ENDPOINT_URL_SECRETS_MANAGER"], MOTO.endpoint)
                self.assertEqual(env["AWS_CA_BUNDLE"], FAKE.ca_pem)
                p = h.write(".mytools.yaml", "defaults: {}\n")
                self.assertEqual(os.stat(p).st_mode & 0o777, 0o600)
                r = awsfix.run(["-c", "import os; print(os.environ['HOME'])"], env, binary=sys.executable)
                self.assertEqual(r.stdout.strip(), h.path)
        finally:
            del os.environ["AWS_PROFILE"], os.environ["MYTOOLS_X"]


class Subprocess(unittest.TestCase):
    def test_cli_mode_and_control(self):
        with fake_sso.FakeSSOProcess(moto=MOTO) as p:
            self.assertTrue(os.path.exists(os.path.join(p.state_dir, "ca.pem")))
            with open("/proc/%d/cmdline" % p.proc.pid, "rb") as f:
                argv = f.read()
            self.assertNotIn(MOTO.secret_access_key.encode(), argv)
            s = p.mint_session(expires_in=600)
            sso = awsfix.botocore_client("sso", p.url, None, None, unsigned=True, verify=p.ca_pem)
            p.script("GetRoleCredentials", "unauthorized")
            with self.assertRaises(sso.exceptions.UnauthorizedException):
                sso.get_role_credentials(roleName="Admin", accountId=ACCT, accessToken=s["accessToken"])
            c = sso.get_role_credentials(roleName="Admin", accountId=ACCT, accessToken=s["accessToken"])["roleCredentials"]
            self.assertIn("assumed-role/Admin/", MOTO.caller_identity(
                c["accessKeyId"], c["secretAccessKey"], c["sessionToken"])["Arn"])
            self.assertEqual(p.count("GetRoleCredentials"), 2)
            self.assertEqual([r["status"] for r in p.requests(op="GetRoleCredentials")], [401, 200])
            self.assertGreaterEqual(p.stats()["connections"], 1)
            p.configure(access_token_ttl=1234)
            oidc = awsfix.botocore_client("sso-oidc", p.url, None, None, unsigned=True, verify=p.ca_pem)
            t = oidc.create_token(clientId=s["clientId"], clientSecret=s["clientSecret"],
                                  grantType="refresh_token", refreshToken=s["refreshToken"])
            self.assertEqual(t["expiresIn"], 1234)
            self.assertEqual(p.count("CreateToken", grant="refresh_token"), 1)
            p.reset()
            self.assertEqual(p.requests(), [])
            pid = p.proc.pid
        self.assertRaises(ProcessLookupError, os.kill, pid, 0)


@unittest.skipUnless(shutil.which("aws"), "aws CLI v1 not on PATH")
class AwsCliOracle(Base):
    def _aws(self, home, *args):
        env = home.env(fake=FAKE, moto=MOTO)
        return subprocess.run(["aws"] + list(args), env=env, capture_output=True, text=True, timeout=60)

    def test_cached_token_no_refresh(self):
        with awsfix.TempHome() as h:
            h.sso_profile_config(profile="p", session="my-sso")
            s = FAKE.mint_session()
            h.write_sso_token("my-sso", s)
            r = self._aws(h, "sts", "get-caller-identity", "--profile", "p")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("assumed-role/ReadOnly/", json.loads(r.stdout)["Arn"])
            self.assertEqual(FAKE.count("GetRoleCredentials"), 1)
            self.assertEqual(FAKE.count("CreateToken"), 0)
            self.assertEqual(FAKE.requests(op="GetRoleCredentials")[0]["headers"]["x-amz-sso_bearer_token"],
                             s["accessToken"])

    def test_expiring_token_refreshed(self):
        with awsfix.TempHome() as h:
            h.sso_profile_config(profile="p", session="my-sso")
            s = FAKE.mint_session(expires_in=600)      # < 15 min left → botocore refreshes
            h.write_sso_token("my-sso", s)
            r = self._aws(h, "sts", "get-caller-identity", "--profile", "p")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(FAKE.count("CreateToken", grant="refresh_token"), 1)
            self.assertEqual(FAKE.count("CreateToken"), 1)
            self.assertEqual(FAKE.count("GetRoleCredentials"), 1)
            new = h.read_json(h.sso_token_path("my-sso"))
            self.assertNotEqual(new["accessToken"], s["accessToken"])
            self.assertNotEqual(new["refreshToken"], s["refreshToken"])
            self.assertAlmostEqual(awsfix.parse_iso(new["expiresAt"]), time.time() + 28800, delta=60)
            self.assertEqual(FAKE.requests(op="GetRoleCredentials")[0]["headers"]["x-amz-sso_bearer_token"],
                             new["accessToken"])

    def test_invalid_token_message(self):
        with awsfix.TempHome() as h:
            h.sso_profile_config(profile="p", session="my-sso")
            s = FAKE.mint_session()
            FAKE.revoke(access_token=s["accessToken"])
            h.write_sso_token("my-sso", s)
            r = self._aws(h, "sts", "get-caller-identity", "--profile", "p")
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("has expired or is otherwise invalid", r.stderr)


if __name__ == "__main__":
    unittest.main()
