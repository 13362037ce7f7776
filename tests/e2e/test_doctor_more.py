"""`mytools db doctor`, the parts test_doctor.py does not reach, each against a real peer:

- the plain-TLS probe (engines elasticache / memorydb / valkey / redis): Debian's redis-server
  with TLS only (port 0, tls-port) and a CA made here: a verified handshake is ok with subject,
  issuer and expiry; a ca_bundle of another CA fails with the ca_bundle fix; a certificate for
  another host name fails with the --host fix.
- check 7 (user name) with --login: the user the server's error names, compared with the
  configured one. Real PostgreSQL cuts a startup user name to 63 bytes (NAMEDATALEN - 1), so its
  error names another user than configured; real MariaDB names the user as sent (exact spelling
  rejected). A PostgreSQL-speaking peer that answers a login with an error naming the user in
  another case (as a pooler or proxy in front of the database does) gives the case warning. In
  every failed login the AWS plugin / rds_iam hint stays in the login check.

Every connection is to 127.0.0.1 (connect_host); AWS endpoints refuse (a port bound, never
listening): the checks that need AWS skip or warn, which these tests do not look at.
"""
import glob
import os
import shutil
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import awsfix  # noqa: E402
import mtlib  # noqa: E402
import test_doctor  # noqa: E402
from test_doctor import checks_of  # noqa: E402

WAIT = 60
CACHE_NAME = "master.sessions.abc123.use1.cache.amazonaws.com"
DB_NAME = "mydb.abc123xyz.us-east-1.rds.amazonaws.com"

def offline_env():
    return test_doctor.offline_env()


def make_ca(d, name, server_name):
    """A CA 'mytools doctor2 NAME' and a server certificate for server_name and 127.0.0.1."""
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    ca, cakey = os.path.join(d, name + "-ca.pem"), os.path.join(d, name + "-ca.key")
    crt, key, csr = (os.path.join(d, name + s) for s in ("-server.pem", "-server.key", ".csr"))
    ext = os.path.join(d, name + ".ext")
    run = lambda a: subprocess.run(a, check=True, capture_output=True, timeout=WAIT)  # noqa: E731
    run(["openssl", "req", "-x509", *ec, "-keyout", cakey, "-out", ca, "-days", "30",
         "-subj", "/CN=mytools doctor2 " + name, "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
    run(["openssl", "req", *ec, "-keyout", key, "-out", csr, "-subj", "/CN=" + server_name])
    with open(ext, "w") as f:
        f.write("subjectAltName=DNS:%s,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
                "extendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n" % server_name)
    run(["openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", cakey, "-CAcreateserial",
         "-out", crt, "-days", "200", "-extfile", ext])
    for p in (ca, crt, key):
        os.chmod(p, 0o644)
    return ca, crt, key


def doctor(home, args, env=None):
    return test_doctor.doctor(home, args, env_extra=env or offline_env())


def yaml_db(home, host, port, engine, user, ca, extra=""):
    home.yaml("environments:\n  t:\n    databases:\n      db:\n"
              "        host: %s\n        connect_host: 127.0.0.1\n        connect_port: %d\n"
              "        engine: %s\n        user: %s\n        region: us-east-1\n"
              "        ca_bundle: %s\n%s" % (host, port, engine, user, ca, extra))


# ------------------------------------------------------------------------------------------------
# plain TLS: redis-server with TLS only
# ------------------------------------------------------------------------------------------------

class RedisTls(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        server = shutil.which("redis-server")
        if not server:
            raise AssertionError("redis-server not found (package redis-server)")
        cls.dir = tempfile.mkdtemp(prefix="mt-doc2-redis-")
        cls.addClassCleanup(shutil.rmtree, cls.dir, True)
        cls.ca, crt, key = make_ca(cls.dir, "good", CACHE_NAME)
        cls.other_ca, _, _ = make_ca(cls.dir, "other", CACHE_NAME)
        for _ in range(3):   # the port can be taken between free_port() and the bind
            cls.port = awsfix.free_port()
            cls.proc = subprocess.Popen(
                [server, "--port", "0", "--tls-port", str(cls.port), "--bind", "127.0.0.1",
                 "--tls-cert-file", crt, "--tls-key-file", key, "--tls-ca-cert-file", cls.ca,
                 "--tls-auth-clients", "no", "--save", "", "--appendonly", "no",
                 "--dir", cls.dir], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + WAIT
            while not awsfix.pid_listens_on(cls.proc.pid, cls.port):
                if cls.proc.poll() is not None or time.monotonic() > deadline:
                    break
                time.sleep(0.05)
            if cls.proc.poll() is None and awsfix.pid_listens_on(cls.proc.pid, cls.port):
                break
            cls.stop()
        else:
            raise AssertionError("redis-server did not come up")
        cls.addClassCleanup(cls.stop)

    @classmethod
    def stop(cls):
        if cls.proc.poll() is None:
            cls.proc.terminate()
            cls.proc.wait(WAIT)

    def setUp(self):
        self.home = mtlib.Home()
        self.addCleanup(self.home.cleanup)

    def tls_check(self, engine, ca, host=CACHE_NAME):
        yaml_db(self.home, host, self.port, engine, "app-sessions", ca,
                "        cache_name: sessions\n")
        r = doctor(self.home, ["-e", "t", "-d", "db", "--format", "json"])
        doc, c = checks_of(r)
        return r, c["network and TLS"]

    def cert_field(self, field):
        """What openssl says of the server's certificate (the oracle for the evidence)."""
        crt = os.path.join(self.dir, "good-server.pem")
        return subprocess.run(["openssl", "x509", "-in", crt, "-noout", "-" + field,
                               "-nameopt", "RFC2253"], capture_output=True, text=True,
                              check=True).stdout.strip().split("=", 1)[1]

    def test_verified_handshake_ok_for_every_cache_engine(self):
        subject, issuer = self.cert_field("subject"), self.cert_field("issuer")
        end = time.strptime(self.cert_field("enddate"), "%b %d %H:%M:%S %Y %Z")
        for engine in ("elasticache", "memorydb", "valkey", "redis"):
            with self.subTest(engine=engine):
                r, t = self.tls_check(engine, self.ca)
                self.assertEqual(t["status"], "ok", t)
                self.assertIn("'%s'" % subject, t["evidence"])
                self.assertIn("issued by '%s'" % issuer, t["evidence"])
                self.assertIn(time.strftime("%Y-%m-%d", end), t["evidence"])
                self.assertIn("verified for %s" % CACHE_NAME, t["evidence"])
                self.assertIn("127.0.0.1:%d" % self.port, t["evidence"])
                self.assertIsNone(t["fix"])

    def test_ca_bundle_of_another_ca_fails(self):
        r, t = self.tls_check("elasticache", self.other_ca)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertEqual(t["status"], "fail", t)
        self.assertIn("not trusted", t["evidence"])
        self.assertIn("mytools doctor2 good", t["evidence"])
        self.assertIn("ca_bundle", t["fix"])

    def test_certificate_for_another_host_name_fails(self):
        other = "master.other.abc123.use1.cache.amazonaws.com"
        r, t = self.tls_check("valkey", self.ca, host=other)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertEqual(t["status"], "fail", t)
        self.assertIn("not " + other, t["evidence"])
        self.assertIn(CACHE_NAME, t["evidence"])
        self.assertIn("--host", t["fix"])


# ------------------------------------------------------------------------------------------------
# check 7 with --login: real PostgreSQL and MariaDB
# ------------------------------------------------------------------------------------------------

class Postgres(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not bins:
            raise AssertionError("PostgreSQL initdb not found (package postgresql)")
        cls.pg_ctl = os.path.join(os.path.dirname(bins[-1]), "pg_ctl")
        cls.user = mtlib.system_user("postgres", "nobody")
        cls.dir = tempfile.mkdtemp(prefix="mt-doc2-pg-")
        cls.addClassCleanup(shutil.rmtree, cls.dir, True)
        cls.pki = os.path.join(cls.dir, "pki")
        os.mkdir(cls.pki)
        cls.ca, crt, key = make_ca(cls.pki, "pg", DB_NAME)
        os.chmod(key, 0o600)
        mtlib.chown_tree(cls.dir, cls.user)
        cls.data = os.path.join(cls.dir, "data")
        cls.port = awsfix.free_port()
        cls.as_pg([bins[-1], "-D", cls.data, "-U", "postgres", "--auth-local=trust",
                   "--auth-host=scram-sha-256", "-E", "UTF8", "--no-instructions"])
        with open(os.path.join(cls.data, "pg_hba.conf"), "w") as f:
            f.write("local all postgres trust\nhost all all 127.0.0.1/32 scram-sha-256\n")
        opts = (f"-c listen_addresses=127.0.0.1 -c port={cls.port} "
                f"-c unix_socket_directories={cls.dir} -c ssl=on -c ssl_cert_file={crt} "
                f"-c ssl_key_file={key}")
        cls.addClassCleanup(cls.stop)
        cls.as_pg([cls.pg_ctl, "-D", cls.data, "-o", opts, "-l", os.path.join(cls.dir, "log"),
                   "-w", "-t", str(WAIT), "start"])

    @classmethod
    def as_pg(cls, args):
        r = subprocess.run(args, user=cls.user.pw_uid, group=cls.user.pw_gid, extra_groups=[],
                           cwd=cls.dir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=WAIT, env={"PATH": os.environ.get("PATH", ""), "LC_ALL": "C"})
        if r.returncode != 0:
            raise AssertionError("%s failed: %s" % (args[0], r.stdout.decode()))

    @classmethod
    def stop(cls):
        if os.path.exists(os.path.join(cls.data, "postmaster.pid")):
            subprocess.run([cls.pg_ctl, "-D", cls.data, "-m", "fast", "-w", "-t", str(WAIT),
                            "stop"], user=cls.user.pw_uid, group=cls.user.pw_gid,
                           extra_groups=[], capture_output=True, timeout=WAIT + 10)

    def setUp(self):
        self.home = mtlib.Home()
        self.addCleanup(self.home.cleanup)

    def login(self, user):
        yaml_db(self.home, DB_NAME, self.port, "postgres", user, self.ca)
        r = doctor(self.home, ["-e", "t", "-d", "db", "--format", "json", "--login"])
        self.assertEqual(r.returncode, 1, r.stderr)
        return checks_of(r)[1]

    def test_user_name_cut_to_63_bytes_by_the_server(self):
        user = "iam_" + "u" * 66
        c = self.login(user)
        lg = c["login"]
        self.assertEqual(lg["status"], "fail", lg)
        # the oracle: PostgreSQL's own error names the user it looked up (NAMEDATALEN - 1 bytes)
        self.assertIn('for user "%s"' % user[:63], lg["evidence"])
        self.assertNotIn(user, lg["evidence"])
        self.assertIn("rds_iam", lg["fix"])
        u = c["user name"]
        self.assertEqual(u["status"], "warn", u)
        self.assertIn("'%s'" % user[:63], u["evidence"])
        self.assertIn("'%s'" % user, u["evidence"])
        self.assertIn("63", u["fix"])

    def test_server_names_the_configured_user(self):
        c = self.login("iam_user")
        self.assertEqual(c["login"]["status"], "fail", c["login"])
        self.assertIn("rds_iam", c["login"]["fix"])
        u = c["user name"]
        self.assertEqual(u["status"], "ok", u)
        self.assertIn("the server's error names 'iam_user' as configured", u["evidence"])


class Mariadb(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.mariadbd = shutil.which("mariadbd", path="/usr/sbin:/usr/bin")
        cls.install_db = shutil.which("mariadb-install-db")
        cls.client = shutil.which("mariadb")
        if not (cls.mariadbd and cls.install_db and cls.client):
            raise AssertionError("mariadb-server / mariadb-client not installed")
        cls.user = mtlib.system_user("mysql", "nobody")
        cls.dir = tempfile.mkdtemp(prefix="mt-doc2-maria-")
        cls.addClassCleanup(shutil.rmtree, cls.dir, True)
        cls.pki = os.path.join(cls.dir, "pki")
        os.mkdir(cls.pki)
        cls.ca, crt, key = make_ca(cls.pki, "maria", DB_NAME)
        cls.data = os.path.join(cls.dir, "data")
        os.mkdir(cls.data)
        mtlib.chown_tree(cls.dir, cls.user)
        cls.sock = os.path.join(cls.dir, "sock")
        cls.port = awsfix.free_port()
        mtlib.start_mariadb(cls, extra=(f"--ssl-cert={crt}", f"--ssl-key={key}",
                                        f"--ssl-ca={cls.ca}"), wait=WAIT)
        r = subprocess.run([cls.client, "--no-defaults", f"--socket={cls.sock}", "-uroot",
                            "-e", "CREATE USER IF NOT EXISTS 'iam_user'@'%' IDENTIFIED BY "
                            "'not-the-token-1'"], capture_output=True, timeout=WAIT)
        if r.returncode != 0:
            raise AssertionError("cannot create the test user: " + r.stderr.decode())
        deadline = time.monotonic() + WAIT
        while not awsfix.pid_listens_on(cls.proc.pid, cls.port):  # TCP as well as the socket
            if time.monotonic() > deadline:
                raise AssertionError("mariadbd does not listen on port %d" % cls.port)
            time.sleep(0.05)

    def setUp(self):
        self.home = mtlib.Home()
        self.addCleanup(self.home.cleanup)

    def test_server_names_the_configured_user_and_the_plugin_hint_stays(self):
        yaml_db(self.home, DB_NAME, self.port, "mariadb", "IAM_User", self.ca)
        r = doctor(self.home, ["-e", "t", "-d", "db", "--format", "json", "--login"])
        self.assertEqual(r.returncode, 1, r.stderr)
        _, c = checks_of(r)
        lg = c["login"]
        self.assertEqual(lg["status"], "fail", lg)
        self.assertRegex(lg["evidence"], r"Access denied for user 'IAM_User'@'127\.0\.0\.1'")
        self.assertIn("AWSAuthenticationPlugin", lg["fix"])
        u = c["user name"]
        self.assertEqual(u["status"], "warn", u)   # upper case: warned before the login too
        self.assertIn("the server's error names 'IAM_User' as configured", u["evidence"])


# ------------------------------------------------------------------------------------------------
# check 7: an error naming the user in another case
# ------------------------------------------------------------------------------------------------

class CaseFoldingPeer(unittest.TestCase):
    """A PostgreSQL-speaking peer on 127.0.0.1 (as a pooler in front of the database is): it
    accepts SSLRequest, completes TLS with a certificate of the test CA, and answers the startup
    message with the ErrorResponse PostgreSQL sends for a failed password, naming the startup
    packet's user in lower case. The real psql reads it; db doctor must warn about the case."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="mt-doc2-peer-")
        cls.addClassCleanup(shutil.rmtree, cls.dir, True)
        cls.ca, crt, key = make_ca(cls.dir, "peer", DB_NAME)
        cls.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        cls.ctx.load_cert_chain(crt, key)
        cls.lsock = socket.socket()
        cls.lsock.bind(("127.0.0.1", 0))
        cls.lsock.listen(8)
        cls.port = cls.lsock.getsockname()[1]
        cls.users = []
        cls.addClassCleanup(cls.lsock.close)
        threading.Thread(target=cls.serve, daemon=True).start()

    @classmethod
    def serve(cls):
        while True:
            try:
                conn, _ = cls.lsock.accept()
            except OSError:
                return
            threading.Thread(target=cls.one, args=(conn,), daemon=True).start()

    @staticmethod
    def recv_exact(s, n):
        b = b""
        while len(b) < n:
            k = s.recv(n - len(b))
            if not k:
                raise EOFError
            b += k
        return b

    @classmethod
    def one(cls, conn):
        t = None
        try:
            conn.settimeout(WAIT)
            ln, code = struct.unpack("!II", cls.recv_exact(conn, 8))
            if code not in (80877103, 80877104):   # SSLRequest / GSSENCRequest
                return
            conn.sendall(b"S" if code == 80877103 else b"N")
            if code == 80877104:
                ln, code = struct.unpack("!II", cls.recv_exact(conn, 8))
                conn.sendall(b"S")
            t = cls.ctx.wrap_socket(conn, server_side=True)
            (ln,) = struct.unpack("!I", cls.recv_exact(t, 4))
            body = cls.recv_exact(t, ln - 4)[4:].split(b"\0")
            params = dict(zip(body[0::2], body[1::2]))
            user = params.get(b"user", b"").decode()
            cls.users.append(user)
            fields = b"".join([b"SFATAL\0", b"VFATAL\0", b"C28P01\0",
                               b'Mpassword authentication failed for user "' +
                               user.lower().encode() + b'"\0', b"\0"])
            t.sendall(b"E" + struct.pack("!I", len(fields) + 4) + fields)
        except (OSError, EOFError, ssl.SSLError):
            pass
        finally:
            (t or conn).close()
            conn.close()

    def test_error_names_the_user_in_another_case(self):
        home = mtlib.Home()
        self.addCleanup(home.cleanup)
        yaml_db(home, DB_NAME, self.port, "postgres", "IAM_User", self.ca)
        r = doctor(home, ["-e", "t", "-d", "db", "--format", "json", "--login"])
        self.assertEqual(r.returncode, 1, r.stderr)
        _, c = checks_of(r)
        self.assertIn("IAM_User", self.users)        # psql sent the configured spelling
        lg = c["login"]
        self.assertEqual(lg["status"], "fail", lg)
        self.assertIn('password authentication failed for user "iam_user"', lg["evidence"])
        self.assertIn("rds_iam", lg["fix"])
        u = c["user name"]
        self.assertEqual(u["status"], "warn", u)
        self.assertIn("'iam_user'", u["evidence"])
        self.assertIn("'IAM_User'", u["evidence"])
        self.assertIn("case", u["evidence"])
        self.assertIn("--user iam_user", u["fix"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
