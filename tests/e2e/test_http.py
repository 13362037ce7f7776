#!/usr/bin/env python3
"""End-to-end tests of common/http.c (the libcurl transport) and the retry driver, over real
sockets on 127.0.0.1 only.

The C side is tests/e2e/http_driver.c ($MT_HTTP_DRIVER). A throwaway CA and a server certificate
for 127.0.0.1/localhost are generated with `openssl req` in a temporary directory; a scripted
HTTP(S) server (stdlib http.server + ssl) answers each request from a per-test script and counts
requests and accepted TCP connections. Every server is stopped by the test that started it.
"""
import json
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DRIVER = os.environ.get("MT_HTTP_DRIVER", "")
SECRET = "Bearer s3cr3t-T0KEN-do-not-log"
QUERY_SECRET = "X-Amz-Signature=feedfacecafebeef"


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=60, **kw)


def make_pki(d):
    """CA (good), another CA (wrong), a server cert for 127.0.0.1/localhost signed by the good CA,
    and one for another name signed by the same CA."""
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    for name in ("ca", "wrong-ca"):
        run(["openssl", "req", "-x509", *ec, "-keyout", f"{d}/{name}.key", "-out",
             f"{d}/{name}.pem", "-days", "2", "-subj", f"/CN=mytools test {name}",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
    for name, san in (("server", "IP:127.0.0.1,DNS:localhost"), ("other", "DNS:other.example")):
        run(["openssl", "req", *ec, "-keyout", f"{d}/{name}.key", "-out", f"{d}/{name}.csr",
             "-subj", f"/CN={san.split(',')[0].split(':')[1]}"])
        with open(f"{d}/{name}.cnf", "w") as f:
            f.write(f"subjectAltName={san}\nbasicConstraints=CA:FALSE\n"
                    "extendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n")
        run(["openssl", "x509", "-req", "-in", f"{d}/{name}.csr", "-CA", f"{d}/ca.pem", "-CAkey",
             f"{d}/ca.key", "-CAcreateserial", "-out", f"{d}/{name}.pem", "-days", "2",
             "-extfile", f"{d}/{name}.cnf"])


class ScriptedServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, tls_ctx):
        super().__init__(("127.0.0.1", 0), Handler)
        if tls_ctx is not None:
            # handshake lazily in the handler thread, never in the accept loop
            self.socket = tls_ctx.wrap_socket(self.socket, server_side=True,
                                              do_handshake_on_connect=False)
        self.lock = threading.Lock()
        self.script = []
        self.requests = []
        self.connections = 0
        self.thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)

    @property
    def port(self):
        return self.server_address[1]

    def get_request(self):
        sock, addr = super().get_request()
        with self.lock:
            self.connections += 1
        return sock, addr

    def handle_error(self, request, client_address):
        pass  # TLS failures and dropped connections are expected in these tests

    def next_action(self):
        with self.lock:
            return self.script.pop(0) if self.script else {"status": 200, "body": b"hello"}

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.shutdown()
        self.server_close()
        self.thread.join(timeout=5)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 5  # idle keep-alive connections end after 5 s

    def log_message(self, *args):
        pass

    def _handle(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        srv = self.server
        with srv.lock:
            srv.requests.append({"method": self.command, "path": self.path,
                                 "headers": {k.lower(): v for k, v in self.headers.items()},
                                 "body": body})
            seq = len(srv.requests)
        a = srv.next_action()
        if a.get("delay"):
            time.sleep(a["delay"])
        if a.get("drop"):
            self.close_connection = True
            return
        if a.get("echo"):
            out = json.dumps({"method": self.command, "path": self.path,
                              "headers": {k.lower(): v for k, v in self.headers.items()},
                              "body": body.decode("utf-8", "replace")}).encode()
        else:
            out = a.get("body", b"")
            if isinstance(out, str):
                out = out.encode()
        self.send_response_only(a.get("status", 200))
        self.send_header("Date", self.date_time_string())
        self.send_header("x-amzn-RequestId", f"req-{seq}")
        for k, v in a.get("headers", {}).items():
            self.send_header(k, v)
        if a.get("no_length"):
            self.send_header("Connection", "close")
            self.close_connection = True
        else:
            self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        if self.command != "HEAD":
            try:
                self.wfile.write(out)
            except OSError:
                pass
        if a.get("no_length"):
            self.wfile.flush()

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_CONNECT = _handle


def json_err(status, code, message="m"):
    return {"status": status, "headers": {"Content-Type": "application/x-amz-json-1.1"},
            "body": json.dumps({"__type": code, "message": message})}


@unittest.skipUnless(DRIVER and os.path.exists(DRIVER), "MT_HTTP_DRIVER not built")
class HttpE2E(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="mt-http-")
        make_pki(cls.tmp)
        cls.ca = os.path.join(cls.tmp, "ca.pem")
        cls.wrong_ca = os.path.join(cls.tmp, "wrong-ca.pem")
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(os.path.join(cls.tmp, "server.pem"), os.path.join(cls.tmp, "server.key"))
        cls.tls = ctx

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        self.servers = []

    def tearDown(self):
        for s in self.servers:
            s.stop()

    def server(self, tls=True, script=()):
        s = ScriptedServer(self.tls if tls else None)
        s.script = list(script)
        self.servers.append(s)
        return s.start()

    def url(self, s, path="/", tls=True, host="127.0.0.1"):
        return f"{'https' if tls else 'http'}://{host}:{s.port}{path}"

    def drive(self, *args, stdin=None, ca=True, timeout=60, env=None):
        cmd = [DRIVER]
        if ca:
            cmd += ["--ca", self.ca]
        cmd += list(args)
        t0 = time.monotonic()
        full_env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
        full_env.update(env or {})
        p = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=timeout,
                           env=full_env)
        return p, time.monotonic() - t0

    def assertOk(self, p):
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("\nok\n", "\n" + p.stdout)

    def assertHttpError(self, p, text=None):
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("error code=MT_E_HTTP", p.stdout)
        if text:
            self.assertIn(text, p.stdout)

    # --- basics ------------------------------------------------------------------------------

    def test_success_https(self):
        s = self.server(script=[{"status": 200, "body": "hello"}])
        p, _ = self.drive("-v", "--print-body", self.url(s, "/some/path?" + QUERY_SECRET))
        self.assertOk(p)
        self.assertIn("status=200 attempts=1 body_len=5 new_connections=1 request_id=req-1",
                      p.stdout)
        self.assertIn("hello", p.stdout)
        self.assertEqual(s.requests[0]["path"], "/some/path?" + QUERY_SECRET)
        # -v: method, host, path, status, request id; never the query
        self.assertIn(f"GET https://127.0.0.1:{s.port}/some/path", p.stderr)
        self.assertIn("< 200 GET", p.stderr)
        self.assertIn("request-id req-1", p.stderr)
        self.assertNotIn("X-Amz-Signature", p.stderr)
        self.assertNotIn("feedface", p.stderr)

    def test_post_secret_header_and_body(self):
        s = self.server(script=[{"echo": True}])
        stdin = f"header Authorization: {SECRET}\nheader X-Amz-Target: TrentService.Encrypt\n" \
                'body {"KeyId": "alias/k"}\n'
        p, _ = self.drive("-v", "--stdin", "--print-body",
                          "--header", "Content-Type: application/x-amz-json-1.1",
                          self.url(s), stdin=stdin)
        self.assertOk(p)
        req = s.requests[0]
        self.assertEqual(req["method"], "POST")
        self.assertEqual(req["headers"]["authorization"], SECRET)
        self.assertEqual(req["headers"]["x-amz-target"], "TrentService.Encrypt")
        self.assertEqual(req["headers"]["content-type"], "application/x-amz-json-1.1")
        self.assertEqual(req["body"], b'{"KeyId": "alias/k"}')
        self.assertNotIn("expect", req["headers"])  # no 100-continue
        self.assertTrue(req["headers"]["user-agent"].startswith("mytools"))
        self.assertNotIn("s3cr3t", p.stderr)  # -v never shows headers
        self.assertIn("POST https://127.0.0.1", p.stderr)

    def test_put_and_delete(self):
        s = self.server(script=[{"status": 200}, {"status": 204}])
        p, _ = self.drive("--method", "PUT", "--stdin", self.url(s, "/x"), stdin="body abc\n")
        self.assertOk(p)
        p, _ = self.drive("--method", "DELETE", self.url(s, "/y"))
        self.assertOk(p)
        self.assertEqual([(r["method"], r["path"], r["body"]) for r in s.requests],
                         [("PUT", "/x", b"abc"), ("DELETE", "/y", b"")])

    def test_redirect_not_followed(self):
        s = self.server()
        s.script = [{"status": 302, "headers": {"Location": self.url(s, "/elsewhere")}}]
        p, _ = self.drive(self.url(s, "/start"))
        self.assertOk(p)
        self.assertIn("status=302", p.stdout)
        self.assertEqual(len(s.requests), 1)

    # --- TLS ---------------------------------------------------------------------------------

    def test_wrong_ca_fails(self):
        s = self.server()
        p, _ = self.drive("--retry", self.url(s), ca=False, timeout=30)
        self.assertHttpError(p, "TLS verification")  # system store does not know our CA
        p, _ = self.drive("--ca", self.wrong_ca, "--retry", self.url(s), ca=False)
        self.assertHttpError(p, "TLS verification")
        self.assertIn("attempts=1", p.stdout)  # a verification failure is never retried
        self.assertEqual(s.requests, [])

    def test_host_name_checked(self):
        s = self.server()
        p, _ = self.drive(self.url(s, host="localhost"))  # the certificate names localhost too
        self.assertOk(p)
        # same CA, but a certificate for another name: the host name check must fail
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(os.path.join(self.tmp, "other.pem"), os.path.join(self.tmp, "other.key"))
        other = ScriptedServer(ctx)
        self.servers.append(other.start())
        p, _ = self.drive("--retry", self.url(other))
        self.assertHttpError(p, "TLS verification")
        self.assertIn("attempts=1", p.stdout)
        self.assertEqual(other.requests, [])

    def test_missing_ca_file(self):
        s = self.server()
        p, _ = self.drive("--ca", os.path.join(self.tmp, "nope.pem"), self.url(s), ca=False)
        self.assertHttpError(p, "cannot read CA bundle")
        self.assertEqual(s.connections, 0)

    # --- plain http policy -------------------------------------------------------------------

    def test_http_loopback_allowed(self):
        s = self.server(tls=False, script=[{"status": 200, "body": "plain"}] * 2)
        p, _ = self.drive("--print-body", self.url(s, tls=False), ca=False)
        self.assertOk(p)
        self.assertIn("plain", p.stdout)
        p, _ = self.drive(self.url(s, tls=False, host="localhost"), ca=False)
        self.assertOk(p)

    def test_http_non_loopback_refused(self):
        for url in ("http://192.0.2.1:81/", "http://example.invalid/x?y=z",
                    "http://10.0.0.1/", "http://169.254.169.254/latest/api/token",
                    "http://[2001:db8::1]:80/", "http://127.0.0.1.nip.io/"):
            p, elapsed = self.drive("--retry", "--connect-timeout-ms", "5000", url, ca=False)
            self.assertHttpError(p, "refusing plain http://")
            self.assertIn("attempts=1", p.stdout)
            self.assertLess(elapsed, 2.0, url)  # refused before any connection attempt
            self.assertNotIn("y=z", p.stdout)

    def test_proxy_env(self):
        # the standard proxy variables are honoured for remote https, as curl does ...
        proxy = self.server(tls=False, script=[{"status": 403}])
        p, _ = self.drive("https://kms.example.invalid/", ca=False,
                          env={"https_proxy": self.url(proxy, tls=False)})
        self.assertHttpError(p)
        self.assertEqual([(r["method"], r["path"]) for r in proxy.requests],
                         [("CONNECT", "kms.example.invalid:443")])
        # ... but loopback (and plain http, which is loopback-only) never goes through a proxy
        s = self.server(script=[{"status": 200}])
        plain = self.server(tls=False, script=[{"status": 200}])
        env = {"https_proxy": self.url(proxy, tls=False), "http_proxy": self.url(proxy, tls=False),
               "ALL_PROXY": self.url(proxy, tls=False)}
        p, _ = self.drive(self.url(s), env=env)
        self.assertOk(p)
        p, _ = self.drive(self.url(plain, tls=False), ca=False, env=env)
        self.assertOk(p)
        self.assertEqual(len(proxy.requests), 1)

    def test_bad_urls(self):
        for url in ("ftp://127.0.0.1/", "https://user:pw@127.0.0.1/", "https:///x",
                    "https://127.0.0.1/a b"):
            p, _ = self.drive(url, ca=False)
            self.assertHttpError(p)
            self.assertNotIn("pw@", p.stdout)

    # --- retries -----------------------------------------------------------------------------

    def test_retry_500_500_200(self):
        s = self.server(script=[{"status": 500}, {"status": 500}, {"status": 200, "body": "{}"}])
        p, _ = self.drive("--retry", "--no-jitter", "-v", self.url(s))
        self.assertOk(p)
        self.assertIn("status=200 attempts=3", p.stdout)
        self.assertEqual(len(s.requests), 3)
        self.assertIn("retry: attempt 1/3 got HTTP 500", p.stderr)

    def test_retry_throttling_400(self):
        s = self.server(script=[json_err(400, "ThrottlingException", "Rate exceeded"),
                                {"status": 200}])
        p, _ = self.drive("--retry", "--no-jitter", self.url(s))
        self.assertOk(p)
        self.assertIn("attempts=2", p.stdout)
        self.assertEqual(len(s.requests), 2)

    def test_retry_throttling_header_only(self):
        s = self.server(script=[{"status": 400, "headers": {
            "x-amzn-ErrorType": "TooManyRequestsException:http://internal.amazon.com/"}},
            {"status": 200}])
        p, _ = self.drive("--retry", "--no-jitter", self.url(s))
        self.assertOk(p)
        self.assertIn("attempts=2", p.stdout)

    def test_access_denied_not_retried(self):
        s = self.server(script=[json_err(400, "AccessDeniedException", "User: x is not authorized"),
                                {"status": 200}])
        p, _ = self.drive("--retry", "--no-jitter", self.url(s))
        self.assertEqual(p.returncode, 1, p.stdout)
        self.assertIn("attempts=1", p.stdout)
        self.assertIn("error code=MT_E_AWS", p.stdout)
        self.assertIn("type=AccessDeniedException", p.stdout)
        self.assertIn("msg=AccessDeniedException: User: x is not authorized", p.stdout)
        self.assertEqual(len(s.requests), 1)

    def test_auth_error_exit_4(self):
        s = self.server(script=[{"status": 403, "headers": {"Content-Type": "text/html"},
                                 "body": "<ErrorResponse><Errors><Error><Code>SignatureDoesNotMatch"
                                         "</Code><Message>bad sig</Message></Error></Errors>"
                                         "</ErrorResponse>"}])
        p, _ = self.drive("--retry", self.url(s))
        self.assertEqual(p.returncode, 4, p.stdout)
        self.assertIn("error code=MT_E_AUTH", p.stdout)
        self.assertIn("msg=SignatureDoesNotMatch: bad sig", p.stdout)
        self.assertEqual(len(s.requests), 1)

    def test_dropped_connection_retried(self):
        s = self.server(script=[{"drop": True}, {"status": 200, "body": "after drop"}])
        p, _ = self.drive("--retry", "--no-jitter", "--print-body", self.url(s))
        self.assertOk(p)
        self.assertIn("attempts=2", p.stdout)
        self.assertIn("after drop", p.stdout)
        self.assertEqual(len(s.requests), 2)

    def test_dropped_connection_without_retry(self):
        s = self.server(script=[{"drop": True}])
        p, _ = self.drive(self.url(s))
        self.assertHttpError(p, "connection to")  # reached, then closed: not "cannot reach"
        self.assertIn("fail=1", p.stdout)  # MT_HTTP_FAIL_CONNECT

    def test_retry_after_honoured(self):
        s = self.server(script=[{"status": 503}, {"status": 200}])
        p, quick = self.drive("--retry", "--no-jitter", self.url(s))
        self.assertOk(p)
        s.script = [{"status": 503, "headers": {"Retry-After": "1"}}, {"status": 200}]
        p, slow = self.drive("--retry", "--no-jitter", self.url(s))
        self.assertOk(p)
        self.assertIn("attempts=2", p.stdout)
        self.assertGreaterEqual(slow, 1.0)
        self.assertLess(quick, 0.9)
        s.script = [{"status": 429, "headers": {"x-amz-retry-after": "1200"}}, {"status": 200}]
        p, slow = self.drive("--retry", "--no-jitter", self.url(s))
        self.assertOk(p)
        self.assertGreaterEqual(slow, 1.2)

    def test_three_attempts_max(self):
        s = self.server(script=[json_err(500, "KMSInternalException")] * 5)
        p, _ = self.drive("--retry", "--no-jitter", self.url(s))
        self.assertEqual(p.returncode, 1, p.stdout)
        self.assertIn("attempts=3", p.stdout)
        self.assertIn("error code=MT_E_AWS", p.stdout)
        self.assertIn("type=KMSInternalException", p.stdout)
        self.assertIn("status=500", p.stdout)
        self.assertEqual(len(s.requests), 3)

    def test_max_attempts_configurable(self):
        s = self.server(script=[{"status": 503}] * 3 + [{"status": 200}])
        p, _ = self.drive("--retry", "--no-jitter", "--max-attempts", "4", self.url(s))
        self.assertOk(p)
        self.assertIn("attempts=4", p.stdout)

    def test_real_jitter_bounded(self):
        # default jitter from libsodium: b * 1 s then b * 2 s, so at most ~3 s in total
        s = self.server(script=[{"status": 502}, {"status": 504}, {"status": 200}])
        p, elapsed = self.drive("--retry", self.url(s))
        self.assertOk(p)
        self.assertIn("attempts=3", p.stdout)
        self.assertLess(elapsed, 4.5)

    # --- limits ------------------------------------------------------------------------------

    def test_response_cap(self):
        big = b"x" * (2 << 20)
        s = self.server(script=[{"status": 200, "body": big}])
        p, _ = self.drive(self.url(s))  # default cap 1 MiB, Content-Length known
        self.assertHttpError(p, "larger than 1048576 bytes")
        s.script = [{"status": 200, "body": big, "no_length": True}]
        p, _ = self.drive(self.url(s))  # no length: enforced while receiving
        self.assertHttpError(p, "larger than 1048576 bytes")
        s.script = [{"status": 200, "body": b"y" * 1000}, {"status": 200, "body": b"y" * 1001,
                                                           "no_length": True}]
        p, _ = self.drive("--max-response", "1000", self.url(s))
        self.assertOk(p)
        self.assertIn("body_len=1000", p.stdout)
        p, _ = self.drive("--max-response", "1000", "--retry", self.url(s))
        self.assertHttpError(p, "larger than 1000 bytes")
        self.assertIn("attempts=1", p.stdout)  # not retried

    def test_connection_reuse(self):
        s = self.server(script=[{"status": 200, "body": "a"}] * 5)
        p, _ = self.drive("--count", "5", self.url(s))
        self.assertOk(p)
        self.assertEqual(len(s.requests), 5)
        self.assertEqual(s.connections, 1)
        lines = [l for l in p.stdout.splitlines() if l.startswith("status=")]
        self.assertEqual(len(lines), 5)
        self.assertIn("new_connections=1", lines[0])
        for l in lines[1:]:
            self.assertIn("new_connections=0", l)

    def test_connection_reuse_with_retries(self):
        s = self.server(script=[{"status": 500}, {"status": 200}, {"status": 200}])
        p, _ = self.drive("--count", "2", "--retry", "--no-jitter", self.url(s))
        self.assertOk(p)
        self.assertEqual(len(s.requests), 3)
        self.assertEqual(s.connections, 1)

    def test_slow_server_times_out(self):
        s = self.server(script=[{"delay": 3, "status": 200}])
        p, elapsed = self.drive("--timeout-ms", "500", self.url(s))
        self.assertHttpError(p, "timed out")
        self.assertIn("fail=2", p.stdout)  # MT_HTTP_FAIL_TIMEOUT
        self.assertLess(elapsed, 2.5)

    def test_timeout_retried(self):
        s = self.server(script=[{"delay": 2, "status": 200}, {"status": 200, "body": "fast"}])
        p, _ = self.drive("--timeout-ms", "400", "--retry", "--no-jitter", "--print-body",
                          self.url(s))
        self.assertOk(p)
        self.assertIn("attempts=2", p.stdout)
        self.assertIn("fast", p.stdout)

    def test_connect_refused_retried_then_fails(self):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        sock.close()  # nothing listens there now
        p, _ = self.drive("--retry", "--no-jitter", f"https://127.0.0.1:{port}/")
        self.assertHttpError(p, "cannot reach")
        self.assertIn("attempts=3", p.stdout)

    # --- loading -----------------------------------------------------------------------------

    def test_missing_libcurl(self):
        s = self.server()
        p, _ = self.drive("--libcurl", "libcurl-does-not-exist.so.4", self.url(s))
        self.assertHttpError(p, "cannot load libcurl-does-not-exist.so.4: ")
        self.assertEqual(s.connections, 0)

    def test_not_linked_against_libcurl(self):
        bins = [DRIVER]
        mytools = os.environ.get("MYTOOLS", "")
        if mytools and os.path.exists(mytools):
            bins.append(mytools)
        for b in bins:
            out = subprocess.run(["ldd", b], capture_output=True, text=True, timeout=30).stdout
            self.assertNotIn("libcurl", out, b)
            self.assertIn("libc.so", out, b)


if __name__ == "__main__":
    unittest.main(verbosity=2)
