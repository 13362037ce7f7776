#!/usr/bin/env python3
"""Fault injection through the real binary (issue 7 "proof that stays in CI"): a scripted KMS
on 127.0.0.1 answers `mytools mkpassword --kms` with throttling, 5xx, a connection reset in the
middle of a body, a stall past the request timeout, an oversized body. Each case ends with the
documented exit code and one stderr line, makes exactly the documented number of attempts
(3 in AWS "standard" mode), and leaves every file under HOME byte-identical. Unknown CAs, a full
disk and a read-only HOME are in errors_e2e and files_e2e; the transport itself (redirects,
Retry-After, jitter, connection reuse) in http_e2e."""
import http.server
import json
import os
import socket
import struct
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import awsfix  # noqa: E402
from awsfix import run  # noqa: E402

OK_BODY = {"CiphertextBlob": "AAECAwQF", "KeyId": "arn:aws:kms:us-east-1:111122223333:key/k",
           "EncryptionAlgorithm": "SYMMETRIC_DEFAULT"}


class Script(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.actions, self.count, self.lock = [], 0, threading.Lock()
        self.stop_stall = threading.Event()

    def next(self):
        with self.lock:
            self.count += 1
            return self.actions.pop(0) if self.actions else "ok"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def reply(self, code, body, extra=None):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        a = self.server.next()
        if a == "ok":
            self.reply(200, OK_BODY)
        elif a == "429":
            self.reply(400, {"__type": "ThrottlingException", "message": "Rate exceeded"})
        elif a == "500":
            self.reply(500, {"__type": "KMSInternalException", "message": "internal"})
        elif a == "503":
            self.reply(503, {"__type": "ServiceUnavailableException", "message": "busy"})
        elif a == "reset":
            # headers and half a body, then a TCP reset (SO_LINGER 0)
            self.send_response(200)
            self.send_header("Content-Type", "application/x-amz-json-1.1")
            self.send_header("Content-Length", "4096")
            self.end_headers()
            self.wfile.write(b'{"CiphertextBlob": "AAEC')
            self.wfile.flush()
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
        elif a == "stall":
            self.server.stop_stall.wait(120)   # never answers within the request timeout
            self.close_connection = True
        elif a == "big":
            self.send_response(200)
            self.send_header("Content-Type", "application/x-amz-json-1.1")
            self.send_header("Content-Length", str(64 << 20))
            self.end_headers()
            try:
                chunk = b" " * 65536
                for _ in range(1024):
                    self.wfile.write(chunk)
            except OSError:
                pass
            self.close_connection = True


def snapshot(root):
    out = {}
    for d, _, files in os.walk(root):
        for f in files:
            p = os.path.join(d, f)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, root)] = fh.read()
    return out


class Faults(unittest.TestCase):
    def setUp(self):
        self.srv = Script()
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()
        self.home = awsfix.TempHome()
        self.home.write_credentials({"default": {"aws_access_key_id": "AKIDEXAMPLE",
                                                 "aws_secret_access_key": "x" * 40}})
        self.home.write_config({"default": {"region": "us-east-1"}})
        self.home.write_mytools_yaml("defaults:\n  region: us-east-1\n")

    def tearDown(self):
        self.srv.stop_stall.set()
        self.srv.shutdown()
        self.srv.server_close()
        self.home.cleanup()

    def mt(self, actions, n=1, timeout=60):
        self.srv.actions = list(actions)
        before = snapshot(self.home.path)
        env = self.home.env(kms="http://127.0.0.1:%d" % self.srv.server_address[1])
        t = time.monotonic()
        r = run(["mkpassword", "--kms", "alias/app", "-n", str(n)], env, timeout=timeout)
        self.elapsed = time.monotonic() - t
        self.assertEqual(snapshot(self.home.path), before, "a file changed")
        return r

    def fails(self, r, text, attempts):
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertEqual(r.stdout, "")
        lines = r.stderr.splitlines()
        self.assertEqual(len(lines), 1, r.stderr)
        self.assertTrue(lines[0].startswith("mytools mkpassword: KMS Encrypt: "), lines[0])
        self.assertIn(text, lines[0])
        self.assertEqual(self.srv.count, attempts)

    def test_429_then_success(self):
        r = self.mt(["429", "429"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), OK_BODY["CiphertextBlob"])
        self.assertEqual(self.srv.count, 3)

    def test_5xx_until_attempts_run_out(self):
        self.fails(self.mt(["500", "503", "500", "ok"]), "KMSInternalException: internal", 3)

    def test_reset_mid_body(self):
        r = self.mt(["reset", "ok"])
        self.assertEqual(r.returncode, 0, r.stderr)     # a transient network error: retried
        self.assertEqual(self.srv.count, 2)
        self.srv.count = 0
        self.fails(self.mt(["reset", "reset", "reset"]),
                   "connection to '127.0.0.1:%d' broke: Recv failure: Connection reset by peer"
                   % self.srv.server_address[1], 3)

    def test_oversized_body(self):
        r = self.mt(["big"])
        self.fails(r, "is larger than", 1)

    def test_stall_times_out_then_retry_succeeds(self):
        # MT_HTTP_TIMEOUT_MS_DEFAULT (30 s) fires, the retry gets the answer: one stall costs
        # 30 s plus at most 1 s of backoff (README: the worst case of three)
        r = self.mt(["stall"], timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.srv.count, 2)
        self.assertGreaterEqual(self.elapsed, 29)
        self.assertLess(self.elapsed, 45)


if __name__ == "__main__":
    unittest.main(verbosity=2)
