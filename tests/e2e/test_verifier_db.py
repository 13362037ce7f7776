"""Verifiers from `mytools mkpassword --hash` accepted by real database servers.

Each class starts its own server on 127.0.0.1 in a temporary directory, creates a user from the
verifier that mytools printed (never from the password), logs in over TCP with the password and
checks that a wrong password is refused. Passwords reach the clients through a 0600 file or the
environment, never argv; SQL goes to the clients on stdin.

Needs (Debian): postgresql (server binaries under /usr/lib/postgresql/<ver>/bin and psql),
mariadb-server, mariadb-client. A missing server or client FAILS the test: CI installs them.
Runs as root (servers run as the postgres / mysql system users when those exist).
"""
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mtlib  # noqa: E402

MYTOOLS = os.environ.get("MYTOOLS") or os.path.join(
    os.environ.get("MT_BUILD_DIR", "build"), "cmd", "mytools")
WAIT = 60  # seconds: bound on every server start/stop


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def mkpassword(kind, n=3):
    r = subprocess.run([MYTOOLS, "mkpassword", "--hash", kind, "-n", str(n), "-s"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    assert r.returncode == 0, r.stderr.decode()
    pairs = [tuple(line.split("\t")) for line in r.stdout.decode().splitlines()]
    assert len(pairs) == n and all(len(p) == 2 for p in pairs), pairs
    return pairs


system_user = mtlib.system_user


def need(path, what):
    if not path or not os.access(path, os.X_OK):
        raise AssertionError(f"{what} not found: install the Debian package (see module doc)")
    return path


chown_tree = mtlib.chown_tree


class PostgresScram(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                      key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
        initdb = need(bins[-1] if bins else None, "PostgreSQL initdb (package postgresql)")
        bindir = os.path.dirname(initdb)
        cls.pg_ctl = need(os.path.join(bindir, "pg_ctl"), "pg_ctl")
        cls.psql = need(os.path.join(bindir, "psql") if os.path.exists(
            os.path.join(bindir, "psql")) else shutil.which("psql"), "psql")
        cls.user = system_user("postgres", "nobody")
        cls.dir = tempfile.mkdtemp(prefix="mt-pg-")
        cls.addClassCleanup(shutil.rmtree, cls.dir, True)
        chown_tree(cls.dir, cls.user)
        cls.data = os.path.join(cls.dir, "data")
        cls.port = free_port()
        cls.as_pg(["initdb", "-D", cls.data, "-U", "postgres", "--auth-local=trust",
                   "--auth-host=scram-sha-256", "-E", "UTF8", "--no-instructions"],
                  exe=initdb)
        with open(os.path.join(cls.data, "pg_hba.conf"), "w") as f:
            f.write("local all postgres trust\n"
                    "host all all 127.0.0.1/32 scram-sha-256\n")
        opts = (f"-c listen_addresses=127.0.0.1 -c port={cls.port} "
                f"-c unix_socket_directories={cls.dir} -c password_encryption=scram-sha-256")
        cls.addClassCleanup(cls.stop)
        cls.as_pg([cls.pg_ctl, "-D", cls.data, "-o", opts, "-l",
                   os.path.join(cls.dir, "log"), "-w", "-t", str(WAIT), "start"])

    @classmethod
    def as_pg(cls, args, exe=None, timeout=WAIT):
        if exe:
            args = [exe] + args[1:]
        r = subprocess.run(args, user=cls.user.pw_uid, group=cls.user.pw_gid, extra_groups=[],
                           cwd=cls.dir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=timeout, env={"PATH": os.environ.get("PATH", "/usr/bin"),
                                                 "LC_ALL": "C"})
        if r.returncode != 0:
            log = os.path.join(cls.dir, "log")
            extra = open(log).read() if os.path.exists(log) else ""
            raise AssertionError(f"{args[0]} failed: {r.stdout.decode()}\n{extra}")
        return r

    @classmethod
    def stop(cls):
        pidfile = os.path.join(cls.data, "postmaster.pid")
        if not os.path.exists(pidfile):
            return
        r = subprocess.run([cls.pg_ctl, "-D", cls.data, "-m", "fast", "-w", "-t", str(WAIT),
                            "stop"], user=cls.user.pw_uid, group=cls.user.pw_gid,
                           extra_groups=[], capture_output=True, timeout=WAIT + 10)
        if r.returncode != 0 and os.path.exists(pidfile):
            pid = int(open(pidfile).readline())
            os.kill(pid, signal.SIGKILL)

    def sql_admin(self, sql):
        r = subprocess.run([self.psql, "-X", "-h", self.dir, "-p", str(self.port), "-U",
                            "postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-At",
                            "-f", "-"], input=sql.encode(), capture_output=True, timeout=WAIT,
                           env={"PATH": os.environ.get("PATH", ""), "LC_ALL": "C",
                                "HOME": self.dir, "PGPASSFILE": "/dev/null"})
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        return r.stdout.decode()

    def login(self, role, password):
        env = {"PATH": os.environ.get("PATH", ""), "LC_ALL": "C", "HOME": self.dir,
               "PGPASSFILE": "/dev/null", "PGPASSWORD": password, "PGSSLMODE": "disable",
               "PGCONNECT_TIMEOUT": "10"}
        return subprocess.run([self.psql, "-X", "-w", "-h", "127.0.0.1", "-p", str(self.port),
                               "-U", role, "-d", "postgres", "-At", "-c",
                               "SELECT current_user"], capture_output=True, env=env,
                              timeout=WAIT)

    def test_scram_verifier_logs_in(self):
        for i, (pw, verifier) in enumerate(mkpassword("scram-sha-256")):
            role = f"r{i}"
            self.assertTrue(verifier.startswith("SCRAM-SHA-256$4096:"), verifier)
            self.sql_admin(f"CREATE ROLE {role} LOGIN PASSWORD '{verifier}';")
            # stored verbatim: a malformed verifier would have been hashed as a plaintext
            stored = self.sql_admin(
                f"SELECT rolpassword FROM pg_authid WHERE rolname = '{role}';").strip()
            self.assertEqual(stored, verifier)
            r = self.login(role, pw)
            self.assertEqual(r.returncode, 0, r.stderr.decode())
            self.assertEqual(r.stdout.decode().strip(), role)
            bad = self.login(role, pw[:-1] + ("x" if pw[-1] != "x" else "y"))
            self.assertNotEqual(bad.returncode, 0)
            self.assertIn("password authentication failed", bad.stderr.decode())
            bad = self.login(role, verifier)
            self.assertNotEqual(bad.returncode, 0)


class MariadbNative(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.mariadbd = need(shutil.which("mariadbd", path="/usr/sbin:/usr/bin:" +
                                         os.environ.get("PATH", "")),
                            "mariadbd (package mariadb-server)")
        cls.install_db = need(shutil.which("mariadb-install-db"),
                              "mariadb-install-db (package mariadb-server)")
        cls.client = need(shutil.which("mariadb"), "mariadb client (package mariadb-client)")
        cls.user = system_user("mysql", "nobody")
        cls.dir = tempfile.mkdtemp(prefix="mt-mariadb-")
        cls.addClassCleanup(shutil.rmtree, cls.dir, True)
        cls.data = os.path.join(cls.dir, "data")
        os.mkdir(cls.data)
        chown_tree(cls.dir, cls.user)
        cls.sock = os.path.join(cls.dir, "sock")
        cls.port = free_port()
        mtlib.start_mariadb(cls, (), WAIT)

    def sql_admin(self, sql):
        r = subprocess.run([self.client, "--no-defaults", f"--socket={self.sock}", "-uroot",
                            "-N", "-B"], input=sql.encode(), capture_output=True, timeout=WAIT)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        return r.stdout.decode()

    def login(self, user, password):
        # password in a 0600 option file, never in argv
        opt = os.path.join(self.dir, "client.cnf")
        fd = os.open(opt, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(f"[client]\nuser={user}\npassword=\"{password}\"\nhost=127.0.0.1\n"
                    f"port={self.port}\nprotocol=TCP\nconnect-timeout=10\n")
        try:
            return subprocess.run([self.client, f"--defaults-file={opt}", "-N", "-B", "-e",
                                   "SELECT CURRENT_USER()"], capture_output=True,
                                  timeout=WAIT, env={"PATH": os.environ.get("PATH", ""),
                                                     "HOME": self.dir})
        finally:
            os.unlink(opt)

    def test_native_verifier_logs_in(self):
        self.sql_admin("DELETE FROM mysql.global_priv WHERE User = ''; FLUSH PRIVILEGES;")
        for i, (pw, verifier) in enumerate(mkpassword("mysql-native")):
            user = f"u{i}"
            self.assertRegex(verifier, r"^\*[0-9A-F]{40}$")
            self.sql_admin(f"CREATE USER '{user}'@'127.0.0.1' IDENTIFIED BY PASSWORD "
                           f"'{verifier}';")
            shown = self.sql_admin(f"SHOW CREATE USER '{user}'@'127.0.0.1';")
            self.assertIn(verifier, shown)
            r = self.login(user, pw)
            self.assertEqual(r.returncode, 0, r.stderr.decode())
            self.assertEqual(r.stdout.decode().strip(), f"{user}@127.0.0.1")
            bad = self.login(user, pw[:-1] + ("x" if pw[-1] != "x" else "y"))
            self.assertNotEqual(bad.returncode, 0)
            self.assertIn("Access denied", bad.stderr.decode())
            bad = self.login(user, verifier)
            self.assertNotEqual(bad.returncode, 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
