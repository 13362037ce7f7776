"""End-to-end tests of `mytools kms encrypt|decrypt` and `mkpassword --kms/--secret` (contract
section 5, issue 4) against the real binary.

- moto_server on 127.0.0.1 with request-signature checking ON (awsfix.Moto); credentials reach
  mytools through a temporary HOME's ~/.aws/credentials (or environment variables), never argv;
  endpoints through AWS_ENDPOINT_URL_KMS / AWS_ENDPOINT_URL_SECRETS_MANAGER.
- The image's AWS CLI v1 is the independent oracle (it honours AWS_ENDPOINT_URL_*); blobs go to it
  through fileb:// files, never argv.
- Retries: a tiny stdlib HTTP fake on 127.0.0.1 that answers a script of statuses.
- Secrets: the generated passwords are looked up afterwards through moto and checked to appear on
  no stdout, stderr (also with -v) and in no exec'd argv (strace -f -e trace=execve).
"""
import base64
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import awsfix  # noqa: E402

UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
LOWER = "abcdefghijklmnopqrstuvwxyz"
DIGITS = "0123456789"
SYMBOLS = "!#$%&()*+,-.;<=>?[]^_{|}~"
B64_LINE = re.compile(r"^[A-Za-z0-9+/]+={0,2}$")


def mytools(args, env, input=None, timeout=60, wrap=None):
    """Runs mytools with bytes in/out. wrap: a command prefix (strace ...)."""
    cmd = list(wrap or []) + [awsfix.mytools_path()] + list(args)
    return subprocess.run(cmd, env=env, input=input if input is not None else b"",
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)


def aws_cli(args, env, timeout=120):
    r = subprocess.run(["aws"] + list(args), env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout, text=True)
    if r.returncode != 0:
        raise AssertionError("aws %s failed: %s" % (" ".join(args[:2]), r.stderr))
    return r.stdout


class MotoCase(unittest.TestCase):
    """One moto (signature checking on) and one HOME for the class."""

    @classmethod
    def setUpClass(cls):
        cls.moto = awsfix.Moto().start()
        cls.home = awsfix.TempHome()
        cls.home.write_credentials(cls.moto.credentials_ini())
        cls.home.write_config({"default": {"region": cls.moto.region, "output": "json"}})
        cls.key_id = cls.moto.kms_create_key()
        cls.key_arn = cls.moto.kms.describe_key(KeyId=cls.key_id)["KeyMetadata"]["Arn"]
        cls.moto.kms.create_alias(AliasName="alias/x", TargetKeyId=cls.key_id)
        cls.moto.kms.create_alias(AliasName="alias/app-key", TargetKeyId=cls.key_id)
        cls.tmp = tempfile.mkdtemp(prefix="mt-kms-")

    @classmethod
    def tearDownClass(cls):
        cls.moto.stop()
        cls.home.cleanup()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def env(self, **extra):
        return self.home.env(moto=self.moto, extra=extra)

    def path(self, name):
        return os.path.join(self.tmp, name)

    def write(self, name, data):
        p = self.path(name)
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        return p

    def encrypt(self, plaintext, key="alias/x", extra=()):
        r = mytools(["kms", "encrypt", "--key", key] + list(extra), self.env(), input=plaintext)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        out = r.stdout.decode()
        self.assertTrue(out.endswith("\n") and out.count("\n") == 1, out)
        self.assertRegex(out.strip(), B64_LINE)
        return out.strip()

    def decrypt(self, b64, extra=()):
        return mytools(["kms", "decrypt"] + list(extra), self.env(), input=b64.encode())

    def aws_decrypt(self, b64, context=None):
        """Plaintext bytes through `aws kms decrypt` (blob in a fileb:// file)."""
        blob = self.write("blob.bin", base64.b64decode(b64))
        args = ["kms", "decrypt", "--ciphertext-blob", "fileb://" + blob, "--output", "text",
                "--query", "Plaintext"]
        if context:
            args += ["--encryption-context", ",".join("%s=%s" % kv for kv in context.items())]
        return base64.b64decode(aws_cli(args, self.env()).strip())

    def one_error_line(self, r, *needles):
        lines = [l for l in r.stderr.decode().splitlines() if ": debug: " not in l]
        self.assertTrue(lines, "no error message")
        self.assertTrue(lines[0].startswith("mytools "), lines)
        for n in needles:
            self.assertIn(n, lines[0])
        self.assertLessEqual(len(lines), 2, lines)
        if len(lines) == 2:
            self.assertTrue(lines[1].startswith("hint: "), lines)
        return lines[0]


class KmsCommands(MotoCase):
    def test_round_trip_is_binary_safe(self):
        data = bytes(range(256)) * 16  # exactly 4096 bytes, NUL and newlines included
        self.assertEqual(len(data), 4096)
        ct = self.encrypt(data)
        r = self.decrypt(ct)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, data)   # nothing added, not even a newline
        # --in FILE both ways; the ciphertext wrapped over lines still decrypts
        p = self.write("pt.bin", b"\x00one\ntwo\xff")
        r = mytools(["kms", "encrypt", "--key", "x", "--in", p], self.env())
        self.assertEqual(r.returncode, 0, r.stderr)
        wrapped = "\n".join(re.findall(".{1,20}", r.stdout.decode().strip())) + "\n\n"
        q = self.write("ct.txt", wrapped.encode())
        r = mytools(["kms", "decrypt", "--in", q], self.env())
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, b"\x00one\ntwo\xff")

    def test_plaintext_limits_are_usage_errors(self):
        r = mytools(["kms", "encrypt", "--key", "x"], self.env(), input=b"a" * 4097)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertEqual(r.stdout, b"")
        self.one_error_line(r, "4096")
        r = mytools(["kms", "encrypt", "--key", "x"], self.env(), input=b"")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.one_error_line(r, "1 to 4096")
        r = mytools(["kms", "encrypt"], self.env(), input=b"x")
        self.assertEqual(r.returncode, 2)
        self.one_error_line(r, "--key")
        r = mytools(["kms", "encrypt", "--key", "x", "--context", "a=1", "--context", "a=2"],
                    self.env(), input=b"x")
        self.assertEqual(r.returncode, 2)
        self.one_error_line(r, "'a' given twice")
        r = mytools(["kms", "encrypt", "--key", "x", "--context", "=v"], self.env(), input=b"x")
        self.assertEqual(r.returncode, 2)
        r = mytools(["kms", "decrypt"], self.env(), input=b"not*base64")
        self.assertEqual(r.returncode, 2)
        self.one_error_line(r, "base64")

    def test_key_forms(self):
        alias_arn = self.key_arn.replace(":key/" + self.key_id, ":alias/app-key")
        for key in ("alias/x", "x", "app-key", self.key_id, self.key_arn, alias_arn):
            with self.subTest(key=key):
                ct = self.encrypt(b"hello " + key.encode(), key=key)
                r = self.decrypt(ct)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertEqual(r.stdout, b"hello " + key.encode())

    def test_our_ciphertext_decrypts_with_the_aws_cli(self):
        pt = b"db password \x00\xfe bytes"
        ct = self.encrypt(pt, extra=["--context", "purpose=test", "--context", "expr=a=b"])
        self.assertEqual(self.aws_decrypt(ct, {"purpose": "test", "expr": "a=b"}), pt)

    def test_aws_cli_ciphertext_decrypts_with_mytools(self):
        pt = os.urandom(300)
        p = self.write("theirs.bin", pt)
        out = aws_cli(["kms", "encrypt", "--key-id", "alias/x", "--plaintext", "fileb://" + p,
                       "--encryption-context", "app=orders", "--output", "text", "--query",
                       "CiphertextBlob"], self.env()).strip()
        r = self.decrypt(out, ["--context", "app=orders"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, pt)
        # --key naming the right key works too
        r = self.decrypt(out, ["--context", "app=orders", "--key", self.key_id])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, pt)

    def test_wrong_secret_key_is_signature_does_not_match_exit_4(self):
        with awsfix.TempHome() as h:
            right = self.moto.secret_access_key
            wrong = ("X" if right[0] != "X" else "Y") + right[1:]  # moto's key may start with X
            h.write_credentials("[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n"
                                % (self.moto.access_key_id, wrong))
            h.write_config({"default": {"region": self.moto.region}})
            env = h.env(moto=self.moto)
            r = mytools(["kms", "encrypt", "--key", "x"], env, input=b"top secret plaintext")
            self.assertEqual(r.returncode, 4, r.stderr)
            self.assertEqual(r.stdout, b"")
            line = self.one_error_line(r, "SignatureDoesNotMatch", "KMS Encrypt")
            self.assertNotIn("top secret", r.stderr.decode())
            self.assertNotIn(wrong, r.stderr.decode())
            self.assertNotIn("<", line)   # moto's XML was parsed, not dumped

    def test_encryption_context_mismatch_fails(self):
        ct = self.encrypt(b"ctx bound", extra=["--context", "purpose=test"])
        for extra in (["--context", "purpose=other"], [], ["--context", "purpose=test",
                                                           "--context", "more=x"]):
            with self.subTest(extra=extra):
                r = self.decrypt(ct, extra)
                self.assertEqual(r.returncode, 1, r.stderr)
                self.assertEqual(r.stdout, b"")
                self.one_error_line(r, "InvalidCiphertextException")

    def test_unknown_key_is_not_found(self):
        r = mytools(["kms", "encrypt", "--key", "alias/nope"], self.env(), input=b"x")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.one_error_line(r, "NotFoundException")

    def test_environment_credentials(self):
        with awsfix.TempHome() as h:
            env = h.env(moto=self.moto, extra={
                "AWS_ACCESS_KEY_ID": self.moto.access_key_id,
                "AWS_SECRET_ACCESS_KEY": self.moto.secret_access_key,
                "AWS_REGION": self.moto.region})
            r = mytools(["kms", "encrypt", "--key", "x"], env, input=b"env creds")
            self.assertEqual(r.returncode, 0, r.stderr)
            r2 = mytools(["kms", "decrypt"], env, input=r.stdout)
            self.assertEqual(r2.stdout, b"env creds")

    def test_temporary_credentials_sign_the_session_token(self):
        # moto accepts temporary keys from AssumeRole (not from GetSessionToken)
        iam = self.moto.client("iam")
        iam.create_role(RoleName="mt-kms", AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"},
                                                    "Action": "sts:AssumeRole"}]}))
        iam.put_role_policy(RoleName="mt-kms", PolicyName="all", PolicyDocument=awsfix.ALLOW_ALL)
        c = self.moto.client("sts").assume_role(
            RoleArn="arn:aws:iam::%s:role/mt-kms" % self.moto.account_id,
            RoleSessionName="mt-kms-test")["Credentials"]
        with awsfix.TempHome() as h:
            h.write_credentials("[tmp]\naws_access_key_id = %s\naws_secret_access_key = %s\n"
                                "aws_session_token = %s\n" % (c["AccessKeyId"],
                                                               c["SecretAccessKey"],
                                                               c["SessionToken"]))
            h.write_config({"profile tmp": {"region": self.moto.region}})
            env = h.env(moto=self.moto)
            r = mytools(["kms", "encrypt", "--profile", "tmp", "--key", "x"], env, input=b"tmp")
            self.assertEqual(r.returncode, 0, r.stderr)
            r2 = mytools(["kms", "decrypt", "--profile", "tmp"], env, input=r.stdout)
            self.assertEqual(r2.returncode, 0, r2.stderr)
            self.assertEqual(r2.stdout, b"tmp")
            self.assertNotIn(c["SessionToken"], r.stderr.decode() + r2.stderr.decode())

    def test_verbose_shows_host_status_request_id_never_plaintext(self):
        pt = b"very-secret-plaintext-4711"
        r = mytools(["kms", "encrypt", "-v", "--key", "x"], self.env(), input=pt)
        self.assertEqual(r.returncode, 0, r.stderr)
        err = r.stderr.decode()
        host = self.moto.endpoint.split("//", 1)[1]
        self.assertRegex(err, r"< 200 POST %s/ request-id \S+" % re.escape(host))
        self.assertIn("TrentService.Encrypt", err)
        self.assertNotIn(pt.decode(), err)
        self.assertNotIn(base64.b64encode(pt).decode(), err)
        self.assertNotIn(self.moto.secret_access_key, err)
        r = mytools(["kms", "decrypt", "--verbose"], self.env(), input=r.stdout)
        self.assertEqual(r.stdout, pt)
        self.assertNotIn(pt.decode(), r.stderr.decode())
        self.assertNotIn(base64.b64encode(pt).decode(), r.stderr.decode())
        self.assertIn("< 200 POST", r.stderr.decode())


def valid_password(pw, length, symbols=False):
    alphabet = UPPER + LOWER + DIGITS + (SYMBOLS if symbols else "")
    return (len(pw) == length and all(c in alphabet for c in pw) and
            any(c in UPPER for c in pw) and any(c in LOWER for c in pw) and
            any(c in DIGITS for c in pw) and (not symbols or any(c in SYMBOLS for c in pw)))


class MkpasswordKms(MotoCase):
    def test_kms_prints_ciphertexts_that_decrypt_to_passwords(self):
        r = mytools(["mkpassword", "--kms", "alias/x", "-n", "3", "-l", "24", "-s"], self.env())
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.decode().splitlines()
        self.assertEqual(len(lines), 3)
        pws = []
        for line in lines:
            self.assertRegex(line, B64_LINE)
            pw = self.aws_decrypt(line).decode("ascii")
            self.assertTrue(valid_password(pw, 24, symbols=True), "invalid password shape")
            pws.append(pw)
        self.assertEqual(len(set(pws)), 3)
        for pw in pws:
            self.assertNotIn(pw, r.stdout.decode())
            self.assertNotIn(pw, r.stderr.decode())

    def test_kms_with_context_hash_and_json(self):
        r = mytools(["mkpassword", "--kms", "x", "--context", "db=orders", "-n", "2",
                     "--hash", "mysql-native", "--format", "json"], self.env())
        self.assertEqual(r.returncode, 0, r.stderr)
        objs = json.loads(r.stdout)
        self.assertEqual(len(objs), 2)
        import hashlib
        for o in objs:
            self.assertEqual(set(o), {"ciphertext", "verifier"})
            d = mytools(["kms", "decrypt", "--context", "db=orders"], self.env(),
                        input=o["ciphertext"].encode())
            self.assertEqual(d.returncode, 0, d.stderr)
            pw = d.stdout.decode()
            self.assertTrue(valid_password(pw, 32))
            want = "*" + hashlib.sha1(hashlib.sha1(pw.encode()).digest()).hexdigest().upper()
            self.assertEqual(o["verifier"], want)
            self.assertNotIn(pw, r.stdout.decode())
        # text: ciphertext TAB verifier
        r = mytools(["mkpassword", "--kms", "x", "--hash", "scram-sha-256"], self.env())
        self.assertEqual(r.returncode, 0, r.stderr)
        ct, ver = r.stdout.decode().rstrip("\n").split("\t")
        self.assertRegex(ct, B64_LINE)
        self.assertTrue(ver.startswith("SCRAM-SHA-256$4096:"))

    def test_kms_errors(self):
        r = mytools(["mkpassword", "--kms", "alias/nope"], self.env())
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stdout, b"")
        self.one_error_line(r, "NotFoundException")
        r = mytools(["mkpassword", "--kms", "bad name"], self.env())
        self.assertEqual(r.returncode, 2)
        self.one_error_line(r, "--kms")
        r = mytools(["mkpassword", "--kms", "x", "--context", "a=1", "--context", "a=2"],
                    self.env())
        self.assertEqual(r.returncode, 2)
        self.one_error_line(r, "--context")


STRACE = ["strace", "-f", "-e", "trace=execve", "-s", "4096", "-o"]


class SecretsManager(MotoCase):
    def get_secret(self, name):
        out = aws_cli(["secretsmanager", "get-secret-value", "--secret-id", name], self.env())
        return json.loads(out)

    def traced(self, args, env=None):
        """mytools under strace; returns (CompletedProcess, the execve log)."""
        log = self.path("strace.log")
        env = dict(env or self.env())
        # LeakSanitizer cannot run under ptrace (sanitizer builds); the untraced runs check leaks
        env["ASAN_OPTIONS"] = ":".join(filter(None, [env.get("ASAN_OPTIONS"), "detect_leaks=0"]))
        r = mytools(args, env, wrap=STRACE + [log])
        with open(log, errors="replace") as f:
            text = f.read()
        os.unlink(log)
        self.assertIn("execve(", text)
        return r, text

    def assert_nowhere(self, secret, *texts):
        for t in texts:
            if isinstance(t, bytes):
                t = t.decode(errors="replace")
            self.assertNotIn(secret, t)

    def test_create_refuse_overwrite(self):
        name = "app/orders-db"
        r, trace1 = self.traced(["mkpassword", "-v", "--secret", name, "--username", "app",
                                 "-l", "28", "--description", "orders app user"])
        self.assertEqual(r.returncode, 0, r.stderr)
        arn, ver1 = r.stdout.decode().rstrip("\n").split("\t")
        self.assertTrue(arn.startswith("arn:aws:secretsmanager:%s:" % self.moto.region), arn)
        self.assertIn(":secret:" + name + "-", arn)
        self.assertIn("< 200 POST", r.stderr.decode())
        got = self.get_secret(name)
        self.assertEqual(got["VersionId"], ver1)
        self.assertEqual(got["ARN"], arn)
        value = json.loads(got["SecretString"])
        self.assertEqual(set(value), {"username", "password"})
        self.assertEqual(value["username"], "app")
        pw1 = value["password"]
        self.assertTrue(valid_password(pw1, 28))
        self.assert_nowhere(pw1, r.stdout, r.stderr, trace1)
        desc = self.moto.sm.describe_secret(SecretId=name)
        self.assertEqual(desc["Description"], "orders app user")

        # again without --overwrite: exit 1, nothing changed
        r, trace2 = self.traced(["mkpassword", "-v", "--secret", name, "--username", "app"])
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertEqual(r.stdout, b"")
        self.one_error_line(r, "secret '%s' already exists" % name, "--overwrite")
        got = self.get_secret(name)
        self.assertEqual(got["VersionId"], ver1)
        self.assertEqual(json.loads(got["SecretString"])["password"], pw1)
        self.assertEqual(len(self.moto.sm.describe_secret(SecretId=name)["VersionIdsToStages"]), 1)

        # --overwrite: a new version becomes AWSCURRENT, the old one AWSPREVIOUS
        r, trace3 = self.traced(["mkpassword", "-v", "--secret", name, "--username", "app",
                                 "--overwrite", "--format", "json"])
        self.assertEqual(r.returncode, 0, r.stderr)
        obj = json.loads(r.stdout)[0]
        self.assertEqual(set(obj), {"secret_arn", "version_id"})
        self.assertNotEqual(obj["version_id"], ver1)
        got = self.get_secret(name)
        self.assertEqual(got["VersionId"], obj["version_id"])
        pw2 = json.loads(got["SecretString"])["password"]
        self.assertNotEqual(pw2, pw1)
        self.assertTrue(valid_password(pw2, 32))
        stages = self.moto.sm.describe_secret(SecretId=name)["VersionIdsToStages"]
        self.assertEqual(stages[obj["version_id"]], ["AWSCURRENT"])
        self.assertIn("AWSPREVIOUS", stages[ver1])
        self.assert_nowhere(pw2, r.stdout, r.stderr, trace3)
        self.assert_nowhere(pw1, trace2, trace3)

    def test_rds_style_secret_from_the_config(self):
        self.home.write_mytools_yaml(
            "environments:\n"
            "  production:\n"
            "    aliases: [prod]\n"
            "    user: orders_app\n"
            "    databases:\n"
            "      orders:\n"
            "        engine: postgres\n"
            "        host: orders.cluster-abc.us-east-1.rds.amazonaws.com\n"
            "        name: orders\n"
            "      billing:\n"
            "        host: billing.example.internal\n"
            "        port: 3307\n")
        try:
            r, trace = self.traced(["mkpassword", "--secret", "rds/orders", "-e", "prod", "-d",
                                    "orders", "--hash", "scram-sha-256", "-s"])
            self.assertEqual(r.returncode, 0, r.stderr)
            arn, ver, verifier = r.stdout.decode().rstrip("\n").split("\t")
            self.assertTrue(verifier.startswith("SCRAM-SHA-256$4096:"))
            value = json.loads(self.get_secret("rds/orders")["SecretString"])
            pw = value.pop("password")
            self.assertTrue(valid_password(pw, 32, symbols=True))
            self.assertEqual(value, {"username": "orders_app", "engine": "postgres",
                                     "host": "orders.cluster-abc.us-east-1.rds.amazonaws.com",
                                     "port": 5432, "dbname": "orders"})
            self.assert_nowhere(pw, r.stdout, r.stderr, trace)
            # --username wins over the configured user; the default engine is mysql
            r = mytools(["mkpassword", "--secret", "rds/billing", "--env", "production",
                         "--database", "billing", "--username", "migrator"], self.env())
            self.assertEqual(r.returncode, 0, r.stderr)
            value = json.loads(self.get_secret("rds/billing")["SecretString"])
            value.pop("password")
            self.assertEqual(value, {"username": "migrator", "engine": "mysql",
                                     "host": "billing.example.internal", "port": 3307})
            # unknown database: configuration error, nothing stored
            r = mytools(["mkpassword", "--secret", "rds/none", "-e", "prod", "-d", "nope"],
                        self.env())
            self.assertEqual(r.returncode, 3, r.stderr)
        finally:
            os.unlink(os.path.join(self.home.path, ".mytools.yaml"))

    def test_secret_kms_key_and_kms_together(self):
        r = mytools(["mkpassword", "--secret", "both", "--username", "u", "--secret-kms-key",
                     "app-key", "--kms", "x", "--format", "json"], self.env())
        self.assertEqual(r.returncode, 0, r.stderr)
        obj = json.loads(r.stdout)[0]
        self.assertEqual(set(obj), {"ciphertext", "secret_arn", "version_id"})
        pw = json.loads(self.get_secret("both")["SecretString"])["password"]
        self.assertEqual(self.aws_decrypt(obj["ciphertext"]).decode(), pw)
        desc = self.moto.sm.describe_secret(SecretId="both")
        self.assertIn(desc.get("KmsKeyId"), ("alias/app-key", self.key_id, self.key_arn))

    def test_wrong_credentials_store_nothing(self):
        with awsfix.TempHome() as h:
            right = self.moto.secret_access_key
            h.write_credentials("[default]\naws_access_key_id = %s\naws_secret_access_key = %s%s\n"
                                % (self.moto.access_key_id, "x" if right[0] != "x" else "y",
                                   right[1:]))
            h.write_config({"default": {"region": self.moto.region}})
            r = mytools(["mkpassword", "--secret", "never", "--username", "u"], h.env(moto=self.moto))
            self.assertEqual(r.returncode, 4, r.stderr)
            self.one_error_line(r, "SignatureDoesNotMatch")
        names = [s["Name"] for s in self.moto.sm.list_secrets()["SecretList"]]
        self.assertNotIn("never", names)


# ------------------------------------------------------------------------------------------------
# retries against a scripted stdlib fake (signatures are not checked there)
# ------------------------------------------------------------------------------------------------

class Fake:
    """HTTP on 127.0.0.1:0 answering a script of (status, json body) in order."""

    def __init__(self, script):
        self.script = list(script)
        self.requests = []
        fake = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                fake.requests.append({"target": self.headers.get("X-Amz-Target"),
                                      "date": self.headers.get("X-Amz-Date"),
                                      "auth": self.headers.get("Authorization"),
                                      "body": body})
                status, payload = fake.script.pop(0) if fake.script else (500, {})
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("x-amzn-RequestId", "fake-%d" % len(fake.requests))
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = "http://127.0.0.1:%d" % self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *a):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


CT = base64.b64encode(b"fake ciphertext blob").decode()
THROTTLE = {"__type": "ThrottlingException",
            "message": "You have exceeded the rate at which you may call KMS. Reduce the "
                       "frequency of your calls."}


class Retries(unittest.TestCase):
    def setUp(self):
        self.home = awsfix.TempHome()
        self.home.write_credentials("[default]\naws_access_key_id = AKIDEXAMPLE\n"
                                    "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\n")
        self.home.write_config({"default": {"region": "eu-west-1"}})

    def tearDown(self):
        self.home.cleanup()

    def test_500_500_200_succeeds_after_three_signed_attempts(self):
        with Fake([(500, {"__type": "KMSInternalException", "message": "x"}), (500, {}),
                   (200, {"CiphertextBlob": CT, "KeyId": "arn:k"})]) as f:
            env = self.home.env(kms=f.url)
            r = mytools(["kms", "encrypt", "-v", "--key", "x"], env, input=b"retry me")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stdout.decode(), CT + "\n")
            self.assertEqual(len(f.requests), 3)
            self.assertTrue(all(q["target"] == "TrentService.Encrypt" for q in f.requests))
            self.assertTrue(all("/eu-west-1/kms/aws4_request" in q["auth"] for q in f.requests))
            self.assertEqual(len({q["body"] for q in f.requests}), 1)
            err = r.stderr.decode()
            self.assertIn("retry: attempt 1/3 got HTTP 500", err)
            self.assertIn("retry: attempt 2/3 got HTTP 500", err)
            self.assertNotIn("retry me", err)

    def test_throttling_thrice_fails_after_three_attempts(self):
        with Fake([(400, THROTTLE)] * 3) as f:
            r = mytools(["kms", "encrypt", "--key", "x"], self.home.env(kms=f.url), input=b"x")
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertEqual(len(f.requests), 3)
            lines = r.stderr.decode().splitlines()
            self.assertEqual(len(lines), 1, lines)
            self.assertIn("ThrottlingException", lines[0])

    def test_create_secret_retry_reuses_the_client_request_token(self):
        ok = {"ARN": "arn:aws:secretsmanager:eu-west-1:1:secret:s-AbCdEf", "Name": "s",
              "VersionId": "v"}
        with Fake([(503, {}), (200, ok)]) as f:
            r = mytools(["mkpassword", "--secret", "s", "--username", "u"],
                        self.home.env(secrets_manager=f.url))
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(len(f.requests), 2)
            b1, b2 = (json.loads(q["body"]) for q in f.requests)
            self.assertEqual(f.requests[0]["target"], "secretsmanager.CreateSecret")
            self.assertRegex(b1["ClientRequestToken"],
                             r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
            self.assertEqual(b1, b2)
            self.assertNotIn(json.loads(b1["SecretString"])["password"], r.stdout.decode())
            self.assertEqual(r.stdout.decode(), ok["ARN"] + "\tv\n")

    def test_non_retryable_is_sent_once(self):
        with Fake([(400, {"__type": "AccessDeniedException", "message": "no"})] * 3) as f:
            r = mytools(["kms", "decrypt"], self.home.env(kms=f.url), input=CT.encode())
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertEqual(len(f.requests), 1)
            self.assertIn("AccessDeniedException", r.stderr.decode())


if __name__ == "__main__":
    unittest.main(verbosity=2)
