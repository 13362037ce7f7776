"""Stdlib fakes for the credential-provider tests (loopback only).

- RecordingProxy: forwards every request to moto and records it (method, path, headers, form
  body, response). With skew_window set it plays STS's clock rule: a signed request whose
  X-Amz-Date is more than skew_window seconds from the real clock gets 403 SignatureDoesNotMatch
  ("Signature expired") with the server's Date header, as STS does (aws-wire.md 4.3).
- FakeContainer: the ECS / EKS Pod Identity credentials endpoint, checking Authorization.
- FakeIMDS: IMDSv2 (PUT token, then GETs carrying x-aws-ec2-metadata-token).
- BlackHole: a listening socket that accepts connections and never answers.
"""
import email.utils
import http.server
import json
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class _Base:
    def __init__(self):
        self.srv = None
        self.thread = None
        self.lock = threading.Lock()

    def _start(self, handler):
        self.srv = _Server(("127.0.0.1", 0), handler)
        self.srv.owner = self
        self.port = self.srv.server_address[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self.thread = threading.Thread(target=self.srv.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        if self.srv:
            self.srv.shutdown()
            self.srv.server_close()
            self.srv = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *a):
        self.stop()


class _Quiet(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def _send(self, status, body, ctype="text/xml", extra=None):
        b = body if isinstance(body, bytes) else body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(b)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(b)


def amz_date_epoch(s):
    return time.mktime(time.strptime(s, "%Y%m%dT%H%M%SZ")) - time.timezone


class RecordingProxy(_Base):
    def __init__(self, target, skew_window=None, webid_issuer=None):
        super().__init__()
        self.target = target.rstrip("/")
        # moto with signature checking answers every unsigned call with a 500, so an unsigned
        # AssumeRoleWithWebIdentity is answered by webid_issuer(form) -> XML (the test makes it
        # an AssumeRole in moto, so the credentials are real there)
        self.webid_issuer = webid_issuer
        self.skew_window = skew_window
        self.calls = []

    def start(self):
        return self._start(_ProxyHandler)

    def actions(self, name=None):
        with self.lock:
            return [c for c in self.calls if name is None or c["action"] == name]

    def reset(self):
        with self.lock:
            self.calls = []


class _ProxyHandler(_Quiet):
    def do_POST(self):
        self._relay("POST")

    def do_GET(self):
        self._relay("GET")

    def _relay(self, method):
        owner = self.server.owner
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        form = dict(urllib.parse.parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        rec = {"method": method, "path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
               "body": body, "form": form, "action": form.get("Action") or self.headers.get("X-Amz-Target")}
        amz = self.headers.get("X-Amz-Date")
        if owner.skew_window is not None and amz and \
                abs(amz_date_epoch(amz) - time.time()) > owner.skew_window:
            rec["status"] = 403
            rec["rejected_skew"] = True
            with owner.lock:
                owner.calls.append(rec)
            if self.headers.get("X-Amz-Target"):   # awsJson (KMS): aws-wire.md 4.3
                self._send(400, json.dumps({"__type": "InvalidSignatureException",
                                            "message": "Signature expired: %s is now earlier than "
                                                       "the allowed window (5 min.)" % amz}),
                           "application/x-amz-json-1.1",
                           extra={"Date": email.utils.formatdate(usegmt=True)})
                return
            self._send(403, "<ErrorResponse><Error><Type>Sender</Type><Code>SignatureDoesNotMatch"
                            "</Code><Message>Signature expired: %s is now earlier than the allowed "
                            "window (15 min.)</Message></Error><RequestId>skew-1</RequestId>"
                            "</ErrorResponse>" % amz,
                       extra={"Date": email.utils.formatdate(usegmt=True)})
            return
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in ("content-length", "connection")}
        if rec["action"] == "AssumeRoleWithWebIdentity" and owner.webid_issuer and \
                not self.headers.get("Authorization"):
            data = owner.webid_issuer(form).encode()
            rec["status"], rec["response"] = 200, data
            with owner.lock:
                owner.calls.append(rec)
            self._send(200, data, extra={"Date": email.utils.formatdate(usegmt=True)})
            return
        req = urllib.request.Request(owner.target + self.path, data=body if method == "POST" else None,
                                     method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                status, data, ctype = r.status, r.read(), r.headers.get("Content-Type", "text/xml")
        except urllib.error.HTTPError as e:
            status, data, ctype = e.code, e.read(), e.headers.get("Content-Type", "text/xml")
        rec["status"] = status
        rec["response"] = data
        with owner.lock:
            owner.calls.append(rec)
        self._send(status, data, ctype, extra={"Date": email.utils.formatdate(usegmt=True)})


class FakeContainer(_Base):
    """GET <path> with Authorization == token answers creds (JSON); anything else 401/404."""

    def __init__(self, creds, token=None, path="/v1/credentials"):
        super().__init__()
        self.creds, self.token, self.path = creds, token, path
        self.requests = []

    def start(self):
        return self._start(_ContainerHandler)


class _ContainerHandler(_Quiet):
    def do_GET(self):
        o = self.server.owner
        with o.lock:
            o.requests.append({"path": self.path, "authorization": self.headers.get("Authorization"),
                               "accept": self.headers.get("Accept")})
        if self.path != o.path:
            return self._send(404, "{}", "application/json")
        if o.token is not None and self.headers.get("Authorization") != o.token:
            return self._send(401, '{"code":"AccessDenied","message":"bad token"}', "application/json")
        self._send(200, json.dumps(o.creds), "application/json")


class FakeIMDS(_Base):
    """IMDSv2 only: PUT /latest/api/token (TTL header required) -> token; GETs need the token."""

    def __init__(self, role, creds, host="127.0.0.1"):
        super().__init__()
        self.role, self.creds = role, creds
        self.token = "imds-token-%d" % int(time.time() * 1000)
        self.requests = []

    def start(self):
        return self._start(_IMDSHandler)


class _IMDSHandler(_Quiet):
    def _rec(self, method):
        o = self.server.owner
        with o.lock:
            o.requests.append({"method": method, "path": self.path,
                               "ttl": self.headers.get("x-aws-ec2-metadata-token-ttl-seconds"),
                               "token": self.headers.get("x-aws-ec2-metadata-token")})
        return o

    def do_PUT(self):
        o = self._rec("PUT")
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)
        if self.path != "/latest/api/token" or not self.headers.get("x-aws-ec2-metadata-token-ttl-seconds"):
            return self._send(400, "", "text/plain")
        self._send(200, o.token, "text/plain")

    def do_GET(self):
        o = self._rec("GET")
        if self.headers.get("x-aws-ec2-metadata-token") != o.token:
            return self._send(401, "", "text/plain")
        if self.path == "/latest/meta-data/iam/security-credentials/":
            return self._send(200, o.role, "text/plain")
        if self.path == "/latest/meta-data/iam/security-credentials/" + o.role:
            return self._send(200, json.dumps(o.creds), "text/plain")
        self._send(404, "", "text/plain")


class BlackHole:
    """Accepts TCP connections (kernel backlog) and never reads or answers."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.url = "http://127.0.0.1:%d" % self.port

    def stop(self):
        self.sock.close()


def webid_issuer_for(moto):
    """An AssumeRoleWithWebIdentity answer made from a real AssumeRole in moto (signed with the
    admin key), in STS's response shape (aws-wire.md 3.7)."""
    from xml.sax.saxutils import escape

    def issue(form):
        r = moto.client("sts").assume_role(RoleArn=form["RoleArn"],
                                           RoleSessionName=form.get("RoleSessionName", "s"))
        c, u = r["Credentials"], r["AssumedRoleUser"]
        return ('<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
                "<AssumeRoleWithWebIdentityResult><SubjectFromWebIdentityToken>sub</SubjectFromWebIdentityToken>"
                "<Audience>sts.amazonaws.com</Audience><AssumedRoleUser><Arn>%s</Arn>"
                "<AssumedRoleId>%s</AssumedRoleId></AssumedRoleUser><Credentials>"
                "<AccessKeyId>%s</AccessKeyId><SecretAccessKey>%s</SecretAccessKey>"
                "<SessionToken>%s</SessionToken><Expiration>%s</Expiration></Credentials>"
                "<Provider>arn:aws:iam::%s:oidc-provider/example</Provider>"
                "</AssumeRoleWithWebIdentityResult><ResponseMetadata><RequestId>w1</RequestId>"
                "</ResponseMetadata></AssumeRoleWithWebIdentityResponse>" % (
                    escape(u["Arn"]), escape(u["AssumedRoleId"]), escape(c["AccessKeyId"]),
                    escape(c["SecretAccessKey"]), escape(c["SessionToken"]),
                    c["Expiration"].strftime("%Y-%m-%dT%H:%M:%SZ"), moto.account_id))
    return issue


def xml_text(data, tag):
    import re
    m = re.search(r"<%s>(.*?)</%s>" % (tag, tag), data.decode() if isinstance(data, bytes) else data, re.S)
    return m.group(1) if m else None
