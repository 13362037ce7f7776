#!/usr/bin/env python3
"""Fake AWS IAM Identity Center (SSO-OIDC + SSO portal) for end-to-end tests.

Follows ../shared/docs/sso-and-hashes.md §3-§5 and §8: same paths, JSON shapes, status codes,
`x-amzn-ErrorType` headers and error bodies as AWS. Python stdlib only (botocore is used only to
sign STS/IAM calls to moto when a moto endpoint is configured).

In-process use::

    with FakeSSO(moto=moto) as sso:          # moto: awsfix.Moto (or None for static creds)
        sso.url, sso.ca_pem                   # https://127.0.0.1:PORT, path of the CA
        sess = sso.mint_session()             # a registered client + token pair for cache files
        sso.script("CreateToken:refresh_token", "invalid_grant")
        ... run the client ...
        sso.count("CreateToken", grant="refresh_token")

As a subprocess::

    python3 fake_sso.py --state-dir DIR [--moto-endpoint URL --moto-key-file F] [--region R]

writes DIR/port, DIR/ca.pem (and DIR/url) and serves until SIGTERM; FakeSSOProcess wraps this and
offers the same query/script methods through the /__control/ endpoints.

Secrets (tokens, keys) are never printed and never put in any argv.
"""

import argparse
import base64
import hashlib
import http.server
import json
import os
import secrets
import shutil
import signal
import socket
import socketserver
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import xml.etree.ElementTree as ET

OIDC_ERR_SUFFIX = ":http://internal.amazon.com/coral/com.amazonaws.sso.oidc/"
PORTAL_NS = "com.amazonaws.switchboard.portal#"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"

# op names (botocore operation names) by (method, path)
ROUTES = {
    ("POST", "/client/register"): "RegisterClient",
    ("POST", "/device_authorization"): "StartDeviceAuthorization",
    ("GET", "/authorize"): "Authorize",
    ("POST", "/token"): "CreateToken",
    ("GET", "/federation/credentials"): "GetRoleCredentials",
    ("GET", "/assignment/accounts"): "ListAccounts",
    ("GET", "/assignment/roles"): "ListAccountRoles",
    ("POST", "/logout"): "Logout",
    ("GET", "/device"): "VerifyDevice",
}
OIDC_OPS = {"RegisterClient", "StartDeviceAuthorization", "CreateToken", "Authorize", "VerifyDevice"}

# OIDC errors: fault name -> (status, x-amzn-ErrorType, error, error_description)
OIDC_FAULTS = {
    "authorization_pending": (400, "AuthorizationPendingException", "authorization_pending",
                              "Authorization is still pending"),
    "slow_down": (400, "SlowDownException", "slow_down", "Client is polling too quickly"),
    "expired_token": (400, "ExpiredTokenException", "expired_token", "Token has expired"),
    "invalid_grant": (400, "InvalidGrantException", "invalid_grant", "Invalid grant provided"),
    "invalid_client": (401, "InvalidClientException", "invalid_client", "Invalid client provided"),
    "access_denied": (400, "AccessDeniedException", "access_denied", "Access denied"),
    "invalid_request": (400, "InvalidRequestException", "invalid_request", "Invalid request"),
    "unauthorized_client": (400, "UnauthorizedClientException", "unauthorized_client",
                            "Client is not authorized for this grant"),
    "unsupported_grant_type": (400, "UnsupportedGrantTypeException", "unsupported_grant_type",
                               "Unsupported grant type"),
    "invalid_scope": (400, "InvalidScopeException", "invalid_scope", "Invalid scope"),
}
# portal errors: fault name -> (status, type, message)
PORTAL_FAULTS = {
    "unauthorized": (401, "UnauthorizedException", "Session token not found or invalid"),
    "invalid_request": (400, "InvalidRequestException", "Invalid request"),
    "not_found": (404, "ResourceNotFoundException", "Resource not found"),
    "forbidden": (403, "ForbiddenException", "No access"),
}
# both: generic HTTP faults
GENERIC_FAULTS = {
    "too_many_requests": (429, "TooManyRequestsException", "Too many requests"),
    "internal_error": (500, "InternalServerException", "An internal error occurred"),
    "service_unavailable": (503, "ServiceUnavailableException", "Service unavailable"),
}
FAULT_ALIASES = {"401": "unauthorized", "429": "too_many_requests", "500": "internal_error",
                 "503": "service_unavailable", "throttle": "too_many_requests",
                 "dropped": "drop", "delay": "slow"}
SPECIAL_FAULTS = {"drop", "reset", "slow", "no_refresh_token", "bad_json", "http", "ok"}
ALL_FAULTS = set(OIDC_FAULTS) | set(PORTAL_FAULTS) | set(GENERIC_FAULTS) | SPECIAL_FAULTS

DEFAULT_CONFIG = {
    "region": "us-east-1",
    "access_token_ttl": 28800,        # CreateToken expiresIn (s)
    "registration_ttl": 90 * 86400,   # clientSecretExpiresAt - now
    "device_expires_in": 600,
    "device_interval": 1,
    "device_approve_after_polls": None,  # None: only by GET verificationUriComplete / approve()
    "enforce_interval": False,        # honest slow_down when polled faster than interval
    "auth_code_ttl": 300,
    "rotate_refresh_tokens": True,    # every refresh returns a new refreshToken
    "invalidate_old_refresh_token": True,
    "refresh_requires_scopes": True,  # no refreshToken for clients registered without scopes
    "role_credentials_ttl": 3600,     # s; expiration = now + ttl (epoch ms on the wire)
    "role_session_name": "mytools-test-user",
    "assignments": None,              # None: any account/role; else {acct: {"accountName","emailAddress","roles":[...]}}
    "default_max_result": 20,
    "error_type_suffix": True,        # x-amzn-ErrorType "X:http://internal.amazon.com/coral/..." for OIDC
}

DEFAULT_ACCOUNTS = {
    "123456789012": {"accountName": "dev", "emailAddress": "dev@example.com",
                     "roles": ["ReadOnly", "Admin"]},
    "111122223333": {"accountName": "prod", "emailAddress": "prod@example.com",
                     "roles": ["ReadOnly"]},
}


def b64url_nopad(raw):
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def pkce_challenge(verifier):
    """base64url(SHA-256(verifier)) without padding (RFC 7636 S256)."""
    return b64url_nopad(hashlib.sha256(verifier.encode("ascii")).digest())


def iso_z(epoch):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(epoch)))


def _rand(n=32):
    return secrets.token_urlsafe(n)


# ------------------------------------------------------------------------------------------------
# TLS material
# ------------------------------------------------------------------------------------------------

def make_tls_material(directory):
    """Throwaway CA + server cert (SAN IP:127.0.0.1, DNS:localhost) made with the openssl command.

    Returns (ca_pem, server_pem, server_key). Validity 2000-01-01 .. ~2100 when libfaketime exists
    (so binaries run under faketime still verify the chain), else now .. +100 years."""
    os.makedirs(directory, exist_ok=True)
    p = lambda n: os.path.join(directory, n)
    with open(p("server.ext"), "w") as f:
        f.write("basicConstraints=critical,CA:FALSE\n"
                "keyUsage=critical,digitalSignature,keyEncipherment\n"
                "extendedKeyUsage=serverAuth\n"
                "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                "subjectKeyIdentifier=hash\n"
                "authorityKeyIdentifier=keyid,issuer\n")
    import mtlib  # this directory: the one way to pin a clock (libfaketime, no wrapper)
    pre_env = None
    if os.path.exists(mtlib.LIBFAKETIME):
        pre_env = dict(os.environ, **mtlib.faketime_vars("2000-01-01 00:00:00"))
    days = "36500"
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    cmds = [
        ["openssl", "req", "-x509", *ec, "-keyout", p("ca.key"), "-out", p("ca.pem"),
         "-days", days, "-subj", "/CN=mytools throwaway test CA",
         "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign",
         "-addext", "subjectKeyIdentifier=hash"],
        ["openssl", "req", "-new", *ec, "-keyout", p("server.key"), "-out", p("server.csr"),
         "-subj", "/CN=localhost"],
        ["openssl", "x509", "-req", "-in", p("server.csr"), "-CA", p("ca.pem"),
         "-CAkey", p("ca.key"), "-CAcreateserial", "-out", p("server.pem"), "-days", days,
         "-extfile", p("server.ext")],
    ]
    old = os.umask(0o077)
    try:
        for c in cmds:
            r = subprocess.run(c, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, timeout=60, env=pre_env)
            if r.returncode != 0 and pre_env:   # libfaketime unusable: plain clock
                r = subprocess.run(c, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, timeout=60)
            if r.returncode != 0:
                raise RuntimeError("openssl failed: %s\n%s" % (" ".join(c[:3]), r.stdout.decode(errors="replace")))
    finally:
        os.umask(old)
    os.chmod(p("ca.pem"), 0o644)
    return p("ca.pem"), p("server.pem"), p("server.key")


# ------------------------------------------------------------------------------------------------
# Role credentials: static fakes or real temporary credentials minted by moto STS AssumeRole
# ------------------------------------------------------------------------------------------------

class StaticCredentialSource:
    def get(self, account_id, role_name, ttl, session_name):
        ak = "ASIA" + "".join(secrets.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16))
        return {"accessKeyId": ak, "secretAccessKey": _rand(30)[:40],
                "sessionToken": "FQoGZXIvYXdz" + _rand(90),
                "expiration": int((time.time() + ttl) * 1000)}


class MotoCredentialSource:
    """Signs STS AssumeRole (and IAM CreateRole/PutRolePolicy, lazily, so the role exists with an
    allow-* policy) with the moto admin key, so the returned ASIA… keys pass moto's signature check."""

    def __init__(self, endpoint, access_key_id, secret_access_key, region="us-east-1"):
        self.endpoint = endpoint.rstrip("/")
        self._ak, self._sk = access_key_id, secret_access_key
        self.region = region
        self._roles = set()
        self._lock = threading.Lock()
        self._account = None

    @classmethod
    def from_key_file(cls, path, endpoint=None, region="us-east-1"):
        with open(path) as f:
            d = json.load(f)
        return cls(endpoint or d["endpoint"], d["access_key_id"], d["secret_access_key"],
                   d.get("region", region))

    def _call(self, service, params):
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
        body = urllib.parse.urlencode(params)
        req = AWSRequest(method="POST", url=self.endpoint + "/", data=body,
                         headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
        SigV4Auth(Credentials(self._ak, self._sk), service, self.region).add_auth(req)
        r = urllib.request.Request(self.endpoint + "/", data=body.encode(), method="POST",
                                   headers=dict(req.headers.items()))
        try:
            with urllib.request.urlopen(r, timeout=30) as resp:
                return 200, resp.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    @staticmethod
    def _find(xml_bytes, name):
        root = ET.fromstring(xml_bytes)
        for el in root.iter():
            if el.tag.split("}")[-1] == name:
                return el.text
        return None

    def account_id(self):
        if self._account is None:
            st, body = self._call("sts", {"Action": "GetCallerIdentity", "Version": "2011-06-15"})
            if st != 200:
                raise RuntimeError("moto GetCallerIdentity failed: HTTP %d" % st)
            self._account = self._find(body, "Account")
        return self._account

    def _ensure_role(self, account_id, role_name):
        if account_id != self.account_id():
            return  # cannot create roles in other moto accounts; GetCallerIdentity still works
        with self._lock:
            if role_name in self._roles:
                return
            trust = {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}
            st, body = self._call("iam", {"Action": "CreateRole", "Version": "2010-05-08",
                                          "RoleName": role_name,
                                          "AssumeRolePolicyDocument": json.dumps(trust)})
            if st != 200 and b"EntityAlreadyExists" not in body:
                raise RuntimeError("moto CreateRole failed: HTTP %d" % st)
            allow = {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "*", "Resource": "*"}]}
            st, body = self._call("iam", {"Action": "PutRolePolicy", "Version": "2010-05-08",
                                          "RoleName": role_name, "PolicyName": "allow-all",
                                          "PolicyDocument": json.dumps(allow)})
            if st != 200:
                raise RuntimeError("moto PutRolePolicy failed: HTTP %d" % st)
            self._roles.add(role_name)

    def get(self, account_id, role_name, ttl, session_name):
        self._ensure_role(account_id, role_name)
        st, body = self._call("sts", {
            "Action": "AssumeRole", "Version": "2011-06-15",
            "RoleArn": "arn:aws:iam::%s:role/%s" % (account_id, role_name),
            "RoleSessionName": session_name, "DurationSeconds": str(max(900, int(ttl)))})
        if st != 200:
            raise RuntimeError("moto AssumeRole failed: HTTP %d" % st)
        return {"accessKeyId": self._find(body, "AccessKeyId"),
                "secretAccessKey": self._find(body, "SecretAccessKey"),
                "sessionToken": self._find(body, "SessionToken"),
                # the SSO-reported expiry follows role_credentials_ttl (moto does not expire keys)
                "expiration": int((time.time() + ttl) * 1000)}


# ------------------------------------------------------------------------------------------------
# Core state (thread safe)
# ------------------------------------------------------------------------------------------------

class _Core:
    def __init__(self, config=None, cred_source=None):
        self.lock = threading.RLock()
        self.config = dict(DEFAULT_CONFIG)
        if config:
            self.config.update(config)
        self.creds = cred_source or StaticCredentialSource()
        self.base_url = None
        self._reset_state()
        self._reset_log()
        self._reset_faults()

    # -- bookkeeping --------------------------------------------------------------------------
    def _reset_state(self):
        self.clients = {}
        self.devices = {}        # deviceCode -> dict
        self.auth_codes = {}     # code -> dict
        self.access_tokens = {}  # token -> dict
        self.refresh_tokens = {}  # token -> dict

    def _reset_log(self):
        self.log = []
        self.seq = 0
        self.connections = {}
        self.conn_seq = 0
        self.tls_failures = 0
        self.delayed_now = 0
        self.delayed_max = 0

    def _reset_faults(self):
        self.queues = {}   # key -> list of fault dicts
        self.sticky = {}   # key -> fault dict

    def reset(self, requests=True, faults=True, state=False):
        with self.lock:
            if requests:
                self._reset_log()
            if faults:
                self._reset_faults()
            if state:
                self._reset_state()

    def new_connection(self, peer):
        with self.lock:
            self.conn_seq += 1
            cid = self.conn_seq
            self.connections[cid] = {"id": cid, "peer": "%s:%s" % peer[:2], "opened": time.time(),
                                     "closed": None, "requests": 0, "tls": None}
            return cid

    def record(self, rec):
        with self.lock:
            self.seq += 1
            rec["seq"] = self.seq
            self.log.append(rec)
            c = self.connections.get(rec.get("conn"))
            if c:
                c["requests"] += 1
            return rec

    def requests(self, op=None, grant=None, path=None, since=0):
        with self.lock:
            out = []
            for r in self.log:
                if op and r["op"] != op:
                    continue
                if grant and r.get("grant") != grant:
                    continue
                if path and r["path"] != path:
                    continue
                if r["seq"] <= since:
                    continue
                out.append(json.loads(json.dumps(r)))
            return out

    def stats(self):
        with self.lock:
            ops = {}
            for r in self.log:
                ops[r["op"]] = ops.get(r["op"], 0) + 1
                if r.get("grant"):
                    k = "%s:%s" % (r["op"], r["grant"])
                    ops[k] = ops.get(k, 0) + 1
            return {"ops": ops, "requests": len(self.log), "connections": len(self.connections),
                    "tls_failures": self.tls_failures, "max_concurrent_delayed": self.delayed_max}

    # -- faults -------------------------------------------------------------------------------
    @staticmethod
    def _norm_fault(f):
        if isinstance(f, (int,)):
            f = str(f)
        if isinstance(f, str):
            f = {"fault": f}
        f = dict(f)
        name = str(f.get("fault", "ok"))
        name = FAULT_ALIASES.get(name, name)
        if name not in ALL_FAULTS:
            raise ValueError("unknown fault %r (known: %s)" % (name, ", ".join(sorted(ALL_FAULTS))))
        f["fault"] = name
        return f

    def script(self, op, faults, sticky=False):
        """Queue faults for op ("CreateToken", "CreateToken:refresh_token", "GetRoleCredentials",
        "*", …). Each fault is a name or {"fault": name, "times": N, "delay": s, "status": …}.
        sticky=True: the (single) fault applies to every request until clear_faults(op)."""
        if isinstance(faults, (str, dict, int)):
            faults = [faults]
        norm = [self._norm_fault(f) for f in faults]
        with self.lock:
            if sticky:
                if len(norm) != 1:
                    raise ValueError("sticky takes exactly one fault")
                self.sticky[op] = norm[0]
            else:
                q = self.queues.setdefault(op, [])
                for f in norm:
                    for _ in range(int(f.pop("times", 1))):
                        q.append(dict(f))

    def clear_faults(self, op=None):
        with self.lock:
            if op is None:
                self._reset_faults()
            else:
                self.queues.pop(op, None)
                self.sticky.pop(op, None)

    def take_fault(self, op, grant):
        keys = []
        if grant:
            keys.append("%s:%s" % (op, grant))
        keys += [op, "*"]
        with self.lock:
            for k in keys:
                q = self.queues.get(k)
                if q:
                    return q.pop(0)
            for k in keys:
                if k in self.sticky:
                    return dict(self.sticky[k])
        return None

    # -- OIDC ---------------------------------------------------------------------------------
    def register_client(self, body, grant_types=None):
        now = int(time.time())
        name = body.get("clientName")
        ctype = body.get("clientType")
        if not isinstance(name, str) or not name or ctype != "public":
            return ("oidc_error", "invalid_request")
        gts = body.get("grantTypes") if grant_types is None else grant_types
        redirects = body.get("redirectUris") or []
        if gts and "authorization_code" in gts and not redirects:
            return ("oidc_error", "invalid_request")
        for u in redirects:
            pu = urllib.parse.urlsplit(u)
            if pu.scheme not in ("http", "https") or not pu.hostname:
                return ("oidc_error_x", (400, "InvalidRedirectUriException", "invalid_redirect_uri",
                                         "Invalid redirect URI"))
        cid = "cid-" + _rand(16)
        c = {"clientId": cid, "clientSecret": "csec-" + _rand(48), "clientName": name,
             "scopes": body.get("scopes") or [], "grantTypes": gts or [],
             "redirectUris": redirects, "issuerUrl": body.get("issuerUrl"),
             "clientIdIssuedAt": now,
             "clientSecretExpiresAt": now + int(self.config["registration_ttl"])}
        with self.lock:
            self.clients[cid] = c
        return ("ok", {"clientId": cid, "clientSecret": c["clientSecret"],
                       "clientIdIssuedAt": now, "clientSecretExpiresAt": c["clientSecretExpiresAt"]})

    def _client_ok(self, body):
        c = self.clients.get(body.get("clientId"))
        if not c or not secrets.compare_digest(str(body.get("clientSecret", "")), c["clientSecret"]):
            return None
        if c["clientSecretExpiresAt"] <= time.time():
            return None
        return c

    def start_device(self, body):
        with self.lock:
            c = self._client_ok(body)
            if not c:
                return ("oidc_error", "invalid_client")
            if not isinstance(body.get("startUrl"), str) or not body["startUrl"]:
                return ("oidc_error", "invalid_request")
            dc = "dc-" + _rand(32)
            letters = "BCDFGHJKLMNPQRSTVWXZ"
            uc = "".join(secrets.choice(letters) for _ in range(4)) + "-" + \
                "".join(secrets.choice(letters) for _ in range(4))
            exp_in = int(self.config["device_expires_in"])
            self.devices[dc] = {"clientId": c["clientId"], "userCode": uc,
                                "startUrl": body["startUrl"], "expiresAt": time.time() + exp_in,
                                "approved": False, "polls": 0, "last_poll": None, "used": False,
                                "interval": int(self.config["device_interval"])}
        vu = self.base_url + "/device"
        return ("ok", {"deviceCode": dc, "userCode": uc, "verificationUri": vu,
                       "verificationUriComplete": vu + "?user_code=" + uc,
                       "expiresIn": exp_in, "interval": int(self.config["device_interval"])})

    def approve(self, device_code=None, user_code=None):
        """Approve one device code (by deviceCode or userCode), or all pending ones. Returns count."""
        n = 0
        with self.lock:
            for dc, d in self.devices.items():
                if device_code and dc != device_code:
                    continue
                if user_code and d["userCode"] != user_code:
                    continue
                if not d["approved"]:
                    d["approved"] = True
                    n += 1
        return n

    def authorize(self, q):
        """Returns ("redirect", location) or ("page", status, text)."""
        g = lambda k: (q.get(k) or [None])[0]
        with self.lock:
            c = self.clients.get(g("client_id"))
            if not c or c["clientSecretExpiresAt"] <= time.time():
                return ("page", 400, "invalid client_id")
            ru = g("redirect_uri")
            if not ru:
                return ("page", 400, "missing redirect_uri")
            pu = urllib.parse.urlsplit(ru)
            if pu.scheme != "http" or pu.hostname not in ("127.0.0.1", "localhost", "::1"):
                return ("page", 400, "redirect_uri must be a loopback http URI")
            ok = False
            for reg in c["redirectUris"]:
                pr = urllib.parse.urlsplit(reg)
                if (pr.scheme, pr.hostname, pr.path or "/") == (pu.scheme, pu.hostname, pu.path or "/") \
                        and (pr.port is None or pr.port == pu.port):
                    ok = True
            if not ok:
                return ("page", 400, "redirect_uri not registered for this client")
            state = g("state")

            def err(e):
                qs = {"error": e}
                if state is not None:
                    qs["state"] = state
                return ("redirect", ru + ("&" if "?" in ru else "?") + urllib.parse.urlencode(qs))
            if "authorization_code" not in c["grantTypes"]:
                return err("unauthorized_client")
            if g("response_type") != "code":
                return err("unsupported_response_type")
            if g("code_challenge_method") != "S256":
                return err("invalid_request")
            ch = g("code_challenge")
            if not ch or len(ch) != 43 or set(ch) - set(
                    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"):
                return err("invalid_request")
            code = "code-" + _rand(24)
            self.auth_codes[code] = {"clientId": c["clientId"], "redirectUri": ru, "challenge": ch,
                                     "scopes": (g("scopes") or "").split(),
                                     "state": state, "used": False,
                                     "expiresAt": time.time() + int(self.config["auth_code_ttl"])}
        qs = {"code": code}
        if state is not None:
            qs["state"] = state
        return ("redirect", ru + ("&" if "?" in ru else "?") + urllib.parse.urlencode(qs))

    def _issue(self, c, start_url, no_refresh=False, session=None):
        ttl = int(self.config["access_token_ttl"])
        at = "at-" + _rand(48)
        session = session or "sess-" + _rand(8)
        self.access_tokens[at] = {"clientId": c["clientId"], "expiresAt": time.time() + ttl,
                                  "valid": True, "session": session, "startUrl": start_url}
        out = {"accessToken": at, "tokenType": "Bearer", "expiresIn": ttl}
        can_refresh = bool(c["scopes"]) or "refresh_token" in c["grantTypes"] or \
            not self.config["refresh_requires_scopes"]
        if can_refresh and not no_refresh:
            rt = "rt-" + _rand(48)
            self.refresh_tokens[rt] = {"clientId": c["clientId"], "valid": True,
                                       "session": session, "startUrl": start_url}
            out["refreshToken"] = rt
        return out

    def create_token(self, body, no_refresh=False):
        grant = body.get("grantType")
        with self.lock:
            c = self._client_ok(body)
            if not c:
                return ("oidc_error", "invalid_client")
            if grant == DEVICE_GRANT:
                d = self.devices.get(body.get("deviceCode"))
                if not d or d["clientId"] != c["clientId"] or d["used"]:
                    return ("oidc_error", "invalid_grant")
                now = time.time()
                if now >= d["expiresAt"]:
                    return ("oidc_error", "expired_token")
                d["polls"] += 1
                last, d["last_poll"] = d["last_poll"], now
                n = self.config["device_approve_after_polls"]
                if not d["approved"] and n is not None and d["polls"] > int(n):
                    d["approved"] = True
                if not d["approved"]:
                    if self.config["enforce_interval"] and last is not None and \
                            now - last < d["interval"]:
                        d["interval"] += 5
                        return ("oidc_error", "slow_down")
                    return ("oidc_error", "authorization_pending")
                d["used"] = True
                return ("ok", self._issue(c, d["startUrl"], no_refresh))
            if grant == "authorization_code":
                if "authorization_code" not in c["grantTypes"]:
                    return ("oidc_error", "unauthorized_client")
                a = self.auth_codes.get(body.get("code"))
                if not a or a["used"] or a["clientId"] != c["clientId"]:
                    return ("oidc_error", "invalid_grant")
                if time.time() >= a["expiresAt"]:
                    return ("oidc_error", "expired_token")
                if body.get("redirectUri") != a["redirectUri"]:
                    return ("oidc_error", "invalid_grant")
                v = body.get("codeVerifier")
                if not isinstance(v, str) or not (43 <= len(v) <= 128) or \
                        not secrets.compare_digest(pkce_challenge(v), a["challenge"]):
                    return ("oidc_error", "invalid_grant")
                a["used"] = True
                return ("ok", self._issue(c, c.get("issuerUrl"), no_refresh))
            if grant == "refresh_token":
                r = self.refresh_tokens.get(body.get("refreshToken"))
                if not r or not r["valid"] or r["clientId"] != c["clientId"]:
                    return ("oidc_error", "invalid_grant")
                out = self._issue(c, r["startUrl"], no_refresh=True, session=r["session"])
                if not no_refresh:
                    if self.config["rotate_refresh_tokens"]:
                        if self.config["invalidate_old_refresh_token"]:
                            r["valid"] = False
                        rt = "rt-" + _rand(48)
                        self.refresh_tokens[rt] = dict(r, valid=True)
                        out["refreshToken"] = rt
                    else:
                        out["refreshToken"] = body["refreshToken"]
                return ("ok", out)
            return ("oidc_error", "unsupported_grant_type")

    def mint_session(self, start_url="https://d-1234567890.awsapps.com/start",
                     scopes=("sso:account:access",), expires_in=None, pkce=False):
        """Register a client and issue a token pair directly (no HTTP). Returns the fields of a
        token cache file plus registration data: startUrl, region, accessToken, expiresAt (ISO Z),
        clientId, clientSecret, registrationExpiresAt (ISO Z), refreshToken (if any), expiresIn."""
        body = {"clientName": "botocore-client-test", "clientType": "public",
                "scopes": list(scopes) if scopes else None}
        gts = ["authorization_code", "refresh_token"] if pkce else None
        if pkce:
            body["redirectUris"] = ["http://127.0.0.1/oauth/callback"]
            body["issuerUrl"] = start_url
        _, reg = self.register_client(body, grant_types=gts)
        with self.lock:
            c = self.clients[reg["clientId"]]
            tok = self._issue(c, start_url)
            if expires_in is not None:
                self.access_tokens[tok["accessToken"]]["expiresAt"] = time.time() + int(expires_in)
                tok["expiresIn"] = int(expires_in)
        out = {"startUrl": start_url, "region": self.config["region"],
               "accessToken": tok["accessToken"],
               "expiresAt": iso_z(time.time() + tok["expiresIn"]),
               "clientId": reg["clientId"], "clientSecret": reg["clientSecret"],
               "registrationExpiresAt": iso_z(reg["clientSecretExpiresAt"])}
        if "refreshToken" in tok:
            out["refreshToken"] = tok["refreshToken"]
        out["expiresIn"] = tok["expiresIn"]
        return out

    def revoke(self, access_token=None, refresh_token=None, client_id=None, all_tokens=False,
               expire_registration=False):
        """Invalidate tokens (portal then answers 401, refresh invalid_grant)."""
        n = 0
        with self.lock:
            for tok, d in list(self.access_tokens.items()) + list(self.refresh_tokens.items()):
                if all_tokens or tok in (access_token, refresh_token) or \
                        (client_id and d["clientId"] == client_id):
                    if d["valid"]:
                        d["valid"] = False
                        n += 1
            if expire_registration:
                for cid, c in self.clients.items():
                    if all_tokens or cid == client_id:
                        c["clientSecretExpiresAt"] = int(time.time()) - 1
        return n

    # -- portal -------------------------------------------------------------------------------
    def check_bearer(self, token):
        with self.lock:
            d = self.access_tokens.get(token or "")
            return bool(d and d["valid"] and d["expiresAt"] > time.time())

    def assignments(self):
        a = self.config["assignments"]
        return DEFAULT_ACCOUNTS if a is None else a

    def role_allowed(self, account_id, role_name):
        a = self.config["assignments"]
        if a is None:
            return True
        return account_id in a and role_name in a[account_id].get("roles", [])

    def logout(self, token):
        with self.lock:
            d = self.access_tokens.get(token)
            if not d:
                return
            d["valid"] = False
            for t in list(self.access_tokens.values()) + list(self.refresh_tokens.values()):
                if t["session"] == d["session"]:
                    t["valid"] = False


# ------------------------------------------------------------------------------------------------
# HTTP layer
# ------------------------------------------------------------------------------------------------

class _ConnInfo(threading.local):
    conn_id = None


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, addr, handler, ssl_ctx, core):
        self.ssl_ctx = ssl_ctx
        self.core = core
        self.connlocal = _ConnInfo()
        self.open_socks = set()
        self.socks_lock = threading.Lock()
        super().__init__(addr, handler)

    def _conn_set(self, cid, **kw):
        with self.core.lock:
            c = self.core.connections.get(cid)   # may be gone after reset()
            if c is not None:
                c.update(kw)

    def finish_request(self, request, client_address):
        cid = self.core.new_connection(client_address)
        self.connlocal.conn_id = cid
        try:
            request.settimeout(30)
            tls = self.ssl_ctx.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            with self.core.lock:
                self.core.tls_failures += 1
            self._conn_set(cid, closed=time.time(), tls="handshake-failed")
            return
        self._conn_set(cid, tls=tls.version())
        with self.socks_lock:
            self.open_socks.add(tls)
        try:
            self.RequestHandlerClass(tls, client_address, self)
        except Exception:
            pass
        finally:
            try:
                tls.close()
            except Exception:
                pass
            with self.socks_lock:
                self.open_socks.discard(tls)
            self._conn_set(cid, closed=time.time())

    def shutdown_request(self, request):
        try:
            request.close()
        except Exception:
            pass

    def handle_error(self, request, client_address):
        pass  # never print tracebacks (they could contain request data)

    def close_all(self):
        with self.socks_lock:
            socks = list(self.open_socks)
        for s in socks:
            try:
                socket.socket.shutdown(s, socket.SHUT_RDWR)
            except Exception:
                pass


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeSSO/1.0"
    sys_version = ""
    timeout = 30

    def version_string(self):
        return self.server_version

    def log_message(self, *a):
        pass  # silent: URLs/headers may hold secrets

    def handle_one_request(self):
        try:
            super().handle_one_request()
        except (ConnectionError, ssl.SSLError, socket.timeout, OSError):
            self.close_connection = True

    def finish(self):
        try:
            super().finish()
        except Exception:
            pass

    # -- plumbing -----------------------------------------------------------------------------
    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_PUT(self):
        self._dispatch("PUT")

    def do_DELETE(self):
        self._dispatch("DELETE")

    def do_HEAD(self):
        self._dispatch("HEAD")

    def _read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            out = b""
            while True:
                n = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if n == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return out
                out += self.rfile.read(n)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _send(self, status, body=b"", headers=None, ctype="application/json"):
        if isinstance(body, (dict, list)):
            body = json.dumps(body, separators=(",", ":")).encode()
        elif isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        if ctype and (body or status != 302):
            self.send_header("Content-Type", ctype)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self._status = status

    def _oidc_error(self, name):
        st, typ, err, desc = OIDC_FAULTS[name]
        self._oidc_error_x((st, typ, err, desc))

    def _oidc_error_x(self, spec):
        st, typ, err, desc = spec
        suffix = OIDC_ERR_SUFFIX if self.server.core.config["error_type_suffix"] else ""
        self._send(st, {"error": err, "error_description": desc},
                   {"x-amzn-ErrorType": typ + suffix})

    def _portal_error(self, st, typ, msg, extra=None):
        h = {"x-amzn-ErrorType": typ}
        h.update(extra or {})
        self._send(st, {"message": msg, "__type": PORTAL_NS + typ}, h)

    def _dispatch(self, method):
        core = self.server.core
        self._status = None
        u = urllib.parse.urlsplit(self.path)
        path = u.path
        query = urllib.parse.parse_qs(u.query, keep_blank_values=True)
        raw = self._read_body()
        if path.startswith("/__control/"):
            return self._control(method, path, query, raw)
        body = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
        op = ROUTES.get((method, path))
        if op is None and path in {p for (_, p) in ROUTES}:
            op = "MethodNotAllowed"
        op = op or "Unknown"
        grant = None
        if op == "CreateToken" and isinstance(body, dict):
            g = body.get("grantType")
            grant = "device_code" if g == DEVICE_GRANT else g
        rec = core.record({
            "time": time.time(), "conn": self.server.connlocal.conn_id, "method": method,
            "path": path, "query": {k: v[0] if len(v) == 1 else v for k, v in query.items()},
            "raw_query": u.query, "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": body, "raw_body": raw.decode("utf-8", "replace"), "op": op, "grant": grant,
            "status": None, "fault": None})
        fault = core.take_fault(op, grant) if op not in ("Unknown", "MethodNotAllowed") else None
        try:
            self._answer(op, method, query, raw, body, fault, rec)
        finally:
            with core.lock:
                rec["status"] = self._status
                rec["fault"] = fault["fault"] if fault else None
                rec["done"] = time.time()

    def _answer(self, op, method, query, raw, body, fault, rec):
        core = self.server.core
        oidc = op in OIDC_OPS
        no_refresh = False
        if fault:
            if fault.get("delay"):
                # how many delayed requests overlap: tests prove parallel service with this
                # high-water mark instead of a wall-clock bound that a loaded machine breaks
                with core.lock:
                    core.delayed_now += 1
                    core.delayed_max = max(core.delayed_max, core.delayed_now)
                try:
                    time.sleep(float(fault["delay"]))
                finally:
                    with core.lock:
                        core.delayed_now -= 1
            name = fault["fault"]
            if name == "drop":
                self.close_connection = True
                try:
                    self.request.shutdown(socket.SHUT_RDWR)
                except Exception:
                    pass
                return
            if name == "reset":
                self.close_connection = True
                try:   # SO_LINGER 0 + close => TCP RST
                    self.request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.rfile.close()
                    socket.socket.close(self.request)
                except Exception:
                    pass
                return
            if name == "http":
                b = fault.get("body", "")
                self._send(int(fault.get("status", 500)), b, fault.get("headers"),
                           fault.get("content_type", "application/json"))
                return
            if name == "bad_json":
                self._send(200, b'{"accessToken": "trunc')
                return
            if name == "no_refresh_token":
                no_refresh = True
            elif name in ("slow", "ok"):
                pass
            elif name in GENERIC_FAULTS:
                st, typ, msg = GENERIC_FAULTS[name]
                extra = {}
                if fault.get("retry_after") is not None:
                    extra["Retry-After"] = str(fault["retry_after"])
                if oidc:
                    suffix = OIDC_ERR_SUFFIX if core.config["error_type_suffix"] else ""
                    extra["x-amzn-ErrorType"] = typ + suffix
                    self._send(st, {"error": "server_error" if st >= 500 else "too_many_requests",
                                    "error_description": msg}, extra)
                else:
                    self._portal_error(st, typ, msg, extra)
                return
            elif oidc and name in OIDC_FAULTS:
                if op == "Authorize":
                    return self._redirect_error(query, OIDC_FAULTS[name][2])
                return self._oidc_error(name)
            elif not oidc and name in PORTAL_FAULTS:
                st, typ, msg = PORTAL_FAULTS[name]
                return self._portal_error(st, typ, msg)
            elif name in OIDC_FAULTS:      # OIDC fault scripted on a portal op
                st, typ, msg = OIDC_FAULTS[name][0], OIDC_FAULTS[name][1], OIDC_FAULTS[name][3]
                return self._portal_error(st, typ, msg)
            elif name in PORTAL_FAULTS:    # portal fault on an OIDC op
                st, typ, msg = PORTAL_FAULTS[name]
                return self._oidc_error_x((st, typ, name, msg))

        if op in ("Unknown", "MethodNotAllowed"):
            return self._send(404 if op == "Unknown" else 405,
                              {"message": "Not Found"}, {"x-amzn-ErrorType": "UnknownOperationException"})
        if op in ("RegisterClient", "StartDeviceAuthorization", "CreateToken"):
            if not isinstance(body, dict):
                return self._oidc_error("invalid_request")
            if op == "RegisterClient":
                res = core.register_client(body)
            elif op == "StartDeviceAuthorization":
                res = core.start_device(body)
            else:
                res = core.create_token(body, no_refresh=no_refresh)
            if res[0] == "ok":
                return self._send(200, res[1])
            if res[0] == "oidc_error_x":
                return self._oidc_error_x(res[1])
            return self._oidc_error(res[1])
        if op == "Authorize":
            res = core.authorize(query)
            if res[0] == "redirect":
                return self._send(302, b"", {"Location": res[1]}, ctype=None)
            return self._send(res[1], "<html><body>%s</body></html>" % res[2], ctype="text/html")
        if op == "VerifyDevice":
            uc = (query.get("user_code") or [None])[0]
            if uc and core.approve(user_code=uc):
                return self._send(200, "<html><body>Request approved</body></html>", ctype="text/html")
            return self._send(200, "<html><body>Enter the code</body></html>", ctype="text/html")

        # portal
        token = self.headers.get("x-amz-sso_bearer_token")
        g = lambda k: (query.get(k) or [None])[0]
        if op == "GetRoleCredentials":
            if not g("role_name") or not g("account_id"):
                return self._portal_error(400, "InvalidRequestException", "Missing role_name or account_id")
            if not core.check_bearer(token):
                return self._portal_error(*PORTAL_FAULTS["unauthorized"])
            if not core.role_allowed(g("account_id"), g("role_name")):
                return self._portal_error(*PORTAL_FAULTS["forbidden"])
            try:
                rc = core.creds.get(g("account_id"), g("role_name"),
                                    int(core.config["role_credentials_ttl"]),
                                    core.config["role_session_name"])
            except Exception:
                return self._portal_error(500, "InternalServerException", "credential backend failed")
            return self._send(200, {"roleCredentials": rc})
        if op in ("ListAccounts", "ListAccountRoles"):
            if not core.check_bearer(token):
                return self._portal_error(*PORTAL_FAULTS["unauthorized"])
            try:
                mr = int(g("max_result") or core.config["default_max_result"])
            except ValueError:
                mr = 0
            if not 1 <= mr <= 100:
                return self._portal_error(400, "InvalidRequestException", "max_result out of range")
            a = core.assignments()
            if op == "ListAccounts":
                items = [{"accountId": k, "accountName": v.get("accountName", k),
                          "emailAddress": v.get("emailAddress", "")} for k, v in sorted(a.items())]
                key = "accountList"
            else:
                acct = g("account_id")
                if not acct:
                    return self._portal_error(400, "InvalidRequestException", "Missing account_id")
                if acct not in a:
                    return self._portal_error(404, "ResourceNotFoundException", "Account not found")
                items = [{"roleName": r, "accountId": acct} for r in a[acct].get("roles", [])]
                key = "roleList"
            start = 0
            nt = g("next_token")
            if nt:
                try:
                    start = int(base64.urlsafe_b64decode(nt.encode() + b"==").decode().split(":")[1])
                except Exception:
                    return self._portal_error(400, "InvalidRequestException", "Invalid next token")
            page = items[start:start + mr]
            out = {key: page}
            if start + mr < len(items):
                out["nextToken"] = base64.urlsafe_b64encode(("page:%d" % (start + mr)).encode()).decode()
            else:
                out["nextToken"] = None
            return self._send(200, out)
        if op == "Logout":
            if not core.check_bearer(token):
                return self._portal_error(*PORTAL_FAULTS["unauthorized"])
            core.logout(token)
            return self._send(200, b"", ctype=None)

    def _redirect_error(self, query, err):
        ru = (query.get("redirect_uri") or [""])[0]
        qs = {"error": err}
        st = (query.get("state") or [None])[0]
        if st is not None:
            qs["state"] = st
        return self._send(302, b"", {"Location": ru + ("&" if "?" in ru else "?") +
                                     urllib.parse.urlencode(qs)}, ctype=None)

    # -- control ------------------------------------------------------------------------------
    def _control(self, method, path, query, raw):
        core = self.server.core
        try:
            args = json.loads(raw) if raw else {}
        except ValueError:
            return self._send(400, {"error": "bad json"})
        q = {k: v[0] for k, v in query.items()}
        name = path[len("/__control/"):]
        try:
            if name == "health":
                return self._send(200, {"ok": True, "url": core.base_url})
            if name == "requests" and method == "GET":
                return self._send(200, {"requests": core.requests(
                    op=q.get("op"), grant=q.get("grant"), path=q.get("path"),
                    since=int(q.get("since", 0)))})
            if name == "stats":
                return self._send(200, core.stats())
            if name == "connections":
                with core.lock:
                    return self._send(200, {"connections": list(core.connections.values())})
            if method != "POST":
                return self._send(405, {"error": "POST required"})
            if name == "reset":
                core.reset(args.get("requests", True), args.get("faults", True), args.get("state", False))
                return self._send(200, {"ok": True})
            if name == "script":
                if args.get("clear"):
                    core.clear_faults(args.get("op"))
                else:
                    core.script(args["op"], args.get("faults", []), bool(args.get("sticky")))
                return self._send(200, {"ok": True})
            if name == "approve":
                return self._send(200, {"approved": core.approve(args.get("deviceCode"), args.get("userCode"))})
            if name == "config":
                with core.lock:
                    for k, v in args.items():
                        if k not in DEFAULT_CONFIG:
                            return self._send(400, {"error": "unknown config key " + k})
                        core.config[k] = v
                    return self._send(200, {k: v for k, v in core.config.items()})
            if name == "mint":
                return self._send(200, core.mint_session(**args))
            if name == "revoke":
                return self._send(200, {"revoked": core.revoke(**args)})
        except (ValueError, KeyError, TypeError) as e:
            return self._send(400, {"error": "%s: %s" % (type(e).__name__, e)})
        return self._send(404, {"error": "unknown control endpoint"})


# ------------------------------------------------------------------------------------------------
# Public API
# ------------------------------------------------------------------------------------------------

class _Queries:
    """Convenience queries shared by FakeSSO and FakeSSOProcess (built on requests()/stats())."""

    def count(self, op=None, grant=None, path=None):
        return len(self.requests(op=op, grant=grant, path=path))

    def ops(self):
        return [r["op"] for r in self.requests()]


class FakeSSO(_Queries):
    """In-process fake. `moto` may be an awsfix.Moto (anything with endpoint/access_key_id/
    secret_access_key/region) or None (static fake credentials)."""

    def __init__(self, moto=None, region="us-east-1", workdir=None, config=None,
                 moto_endpoint=None, moto_key_file=None):
        cfg = dict(config or {})
        cfg.setdefault("region", region)
        if moto is not None:
            src = MotoCredentialSource(moto.endpoint, moto.access_key_id, moto.secret_access_key,
                                       getattr(moto, "region", region))
        elif moto_key_file:
            src = MotoCredentialSource.from_key_file(moto_key_file, moto_endpoint, region)
        else:
            src = None
        self.core = _Core(cfg, src)
        self._own_dir = workdir is None
        self.workdir = workdir or tempfile.mkdtemp(prefix="fake-sso-")
        self.httpd = None
        self.thread = None
        self.port = None
        self.url = None
        self.ca_pem = None

    def start(self):
        ca, cert, key = make_tls_material(os.path.join(self.workdir, "tls"))
        self.ca_pem = ca
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(cert, key)
        self.httpd = _Server(("127.0.0.1", 0), _Handler, ctx, self.core)
        self.port = self.httpd.server_address[1]
        self.url = "https://127.0.0.1:%d" % self.port
        self.core.base_url = self.url
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                       name="fake-sso", daemon=True)
        self.thread.start()
        return self

    def stop(self):
        if self.httpd:
            self.httpd.shutdown()
            self.httpd.close_all()
            self.httpd.server_close()
            self.httpd = None
        if self._own_dir and self.workdir and os.path.isdir(self.workdir):
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *a):
        self.stop()

    # queries / scripting
    def requests(self, op=None, grant=None, path=None, since=0):
        return self.core.requests(op, grant, path, since)

    def stats(self):
        return self.core.stats()

    def connections(self):
        with self.core.lock:
            return [dict(c) for c in self.core.connections.values()]

    def script(self, op, *faults, sticky=False):
        self.core.script(op, list(faults), sticky)

    def clear_faults(self, op=None):
        self.core.clear_faults(op)

    def reset(self, requests=True, faults=True, state=False):
        self.core.reset(requests, faults, state)

    def approve(self, device_code=None, user_code=None):
        return self.core.approve(device_code, user_code)

    def configure(self, **kw):
        for k in kw:
            if k not in DEFAULT_CONFIG:
                raise KeyError(k)
        with self.core.lock:
            self.core.config.update(kw)

    def mint_session(self, **kw):
        return self.core.mint_session(**kw)

    def revoke(self, **kw):
        return self.core.revoke(**kw)

    def env(self):
        """AWS_ENDPOINT_URL_* and AWS_CA_BUNDLE pointing an SDK/CLI at this fake."""
        return {"AWS_ENDPOINT_URL_SSO": self.url, "AWS_ENDPOINT_URL_SSO_OIDC": self.url,
                "AWS_CA_BUNDLE": self.ca_pem}


class FakeSSOProcess(_Queries):
    """Runs fake_sso.py as a subprocess (own process group) and talks to /__control/."""

    def __init__(self, state_dir=None, moto=None, region="us-east-1", python=None, env=None):
        self._own_dir = state_dir is None
        self.state_dir = state_dir or tempfile.mkdtemp(prefix="fake-sso-proc-")
        self.moto = moto
        self.region = region
        self.python = python or sys.executable
        self.env = env
        self.proc = None
        self.url = self.ca_pem = self.port = None

    def start(self, timeout=30):
        cmd = [self.python, "-B", os.path.abspath(__file__), "--state-dir", self.state_dir,
               "--region", self.region]
        if self.moto is not None:
            cmd += ["--moto-endpoint", self.moto.endpoint, "--moto-key-file", self.moto.key_file]
        env = dict(self.env or os.environ)
        self._log = open(os.path.join(self.state_dir, "fake_sso.log"), "wb")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self._log,
                                     stderr=subprocess.STDOUT, start_new_session=True, env=env)
        portf = os.path.join(self.state_dir, "port")
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("fake_sso.py exited with %s" % self.proc.returncode)
            if os.path.exists(portf):
                with open(portf) as f:
                    txt = f.read().strip()
                if txt:
                    self.port = int(txt)
                    break
            time.sleep(0.05)
        else:
            self.stop()
            raise RuntimeError("fake_sso.py did not start")
        self.url = "https://127.0.0.1:%d" % self.port
        self.ca_pem = os.path.join(self.state_dir, "ca.pem")
        self._ctx = ssl.create_default_context(cafile=self.ca_pem)
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(5)
            except Exception:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except Exception:
                    pass
                self.proc.wait(5)
        if self.proc:
            self._log.close()
        self.proc = None
        if self._own_dir:
            shutil.rmtree(self.state_dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *a):
        self.stop()

    def _ctl(self, name, data=None, query=None):
        url = self.url + "/__control/" + name
        if query:
            url += "?" + urllib.parse.urlencode({k: v for k, v in query.items() if v is not None})
        req = urllib.request.Request(url, method="GET" if data is None else "POST",
                                     data=None if data is None else json.dumps(data).encode(),
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, context=self._ctx, timeout=30) as r:
                return json.loads(r.read())
        except urllib.error.HTTPError as e:
            raise RuntimeError("control %s: HTTP %d %s" % (name, e.code, e.read()[:200]))

    def requests(self, op=None, grant=None, path=None, since=0):
        return self._ctl("requests", query={"op": op, "grant": grant, "path": path, "since": since})["requests"]

    def stats(self):
        return self._ctl("stats")

    def connections(self):
        return self._ctl("connections")["connections"]

    def script(self, op, *faults, sticky=False):
        self._ctl("script", {"op": op, "faults": list(faults), "sticky": sticky})

    def clear_faults(self, op=None):
        self._ctl("script", {"op": op, "clear": True})

    def reset(self, requests=True, faults=True, state=False):
        self._ctl("reset", {"requests": requests, "faults": faults, "state": state})

    def approve(self, device_code=None, user_code=None):
        return self._ctl("approve", {"deviceCode": device_code, "userCode": user_code})["approved"]

    def configure(self, **kw):
        return self._ctl("config", kw)

    def mint_session(self, **kw):
        if "scopes" in kw and kw["scopes"] is not None:
            kw["scopes"] = list(kw["scopes"])
        return self._ctl("mint", kw)

    def revoke(self, **kw):
        return self._ctl("revoke", kw)["revoked"]

    def env(self):
        return {"AWS_ENDPOINT_URL_SSO": self.url, "AWS_ENDPOINT_URL_SSO_OIDC": self.url,
                "AWS_CA_BUNDLE": self.ca_pem}


def main(argv=None):
    ap = argparse.ArgumentParser(description="Fake AWS IAM Identity Center (SSO-OIDC + portal) over HTTPS")
    ap.add_argument("--state-dir", required=True, help="writes port, url, ca.pem here")
    ap.add_argument("--moto-endpoint", help="moto server URL (role credentials via STS AssumeRole)")
    ap.add_argument("--moto-key-file", help="JSON file with access_key_id/secret_access_key (0600)")
    ap.add_argument("--region", default="us-east-1")
    ap.add_argument("--access-token-ttl", type=int, default=None)
    ap.add_argument("--approve-after-polls", type=int, default=None)
    a = ap.parse_args(argv)
    if a.moto_endpoint and not a.moto_key_file:
        ap.error("--moto-endpoint needs --moto-key-file")
    cfg = {}
    if a.access_token_ttl is not None:
        cfg["access_token_ttl"] = a.access_token_ttl
    if a.approve_after_polls is not None:
        cfg["device_approve_after_polls"] = a.approve_after_polls
    os.makedirs(a.state_dir, exist_ok=True)
    fake = FakeSSO(region=a.region, workdir=os.path.join(a.state_dir, "work"), config=cfg,
                   moto_endpoint=a.moto_endpoint, moto_key_file=a.moto_key_file)
    fake._own_dir = True
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    fake.start()
    shutil.copyfile(fake.ca_pem, os.path.join(a.state_dir, "ca.pem"))
    with open(os.path.join(a.state_dir, "url.tmp"), "w") as f:
        f.write(fake.url + "\n")
    os.replace(os.path.join(a.state_dir, "url.tmp"), os.path.join(a.state_dir, "url"))
    with open(os.path.join(a.state_dir, "port.tmp"), "w") as f:
        f.write("%d\n" % fake.port)
    os.replace(os.path.join(a.state_dir, "port.tmp"), os.path.join(a.state_dir, "port"))
    try:
        while not stop.wait(0.5):
            pass
    finally:
        fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
