"""The client commands mytools runs and prints, against real servers with TLS (issues 9, 10).

Each class starts its own server on 127.0.0.1 with a CA made for the test; a second CA made the
same way must never log in.
- MariaDB: the command `db token --format text` prints, run in a fresh terminal (tmux), logs in
  when the token is pasted at the prompt it shows, for engines mysql and mariadb (the user's
  password is the token, under a pinned clock).
- PostgreSQL: the same for psql; `db connect` for a DSQL-configured target runs psql with
  sslmode=verify-full through a tunnel (host=<name> hostaddr=127.0.0.1) with the token in
  PGPASSWORD; `psql "$DATABASE_URL"` logs in and urllib.parse gives back the exact token.
- Redis: `db connect ... -- PING` answers PONG over TLS with the token in REDISCLI_AUTH, the token
  in no /proc/*/cmdline; another CA is refused. Debian's redis-cli hangs under libfaketime, so
  the ACL user gets the tokens of every second of a short real-time window instead.
"""
import datetime
import glob
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import re
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mtlib  # noqa: E402
from test_verifier_db import WAIT, chown_tree, free_port, need, system_user  # noqa: E402

DB_NAME = "orders.cluster-abc123.eu-west-1.rds.amazonaws.com"
DSQL_NAME = "abcdefghijklmnopqrstuvwxyz.dsql.eu-west-1.on.aws"
CREDS = "[default]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = s3cr3t\n"


def make_ca(d, name, server_names):
    """A CA and a server certificate for server_names (DNS names and 127.0.0.1)."""
    ca, key = os.path.join(d, name + "-ca.pem"), os.path.join(d, name + "-ca.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", ca, "-days", "3", "-subj", "/CN=mytools test CA " + name],
                   check=True, capture_output=True)
    skey, csr, cert = (os.path.join(d, name + s) for s in ("-server.key", ".csr", "-server.pem"))
    subprocess.run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", skey, "-out",
                    csr, "-subj", "/CN=" + server_names[0]], check=True, capture_output=True)
    ext = os.path.join(d, name + ".ext")
    with open(ext, "w") as f:
        f.write("subjectAltName=" + ",".join(["DNS:" + n for n in server_names] +
                                             ["IP:127.0.0.1"]) + "\n")
    subprocess.run(["openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", key,
                    "-CAcreateserial", "-out", cert, "-days", "2", "-extfile", ext],
                   check=True, capture_output=True)
    for p in (ca, skey, cert):
        os.chmod(p, 0o644)
    return ca, cert, skey


def pinned_stamp():
    # after the certificates' notBefore, frozen: every run signs the same token
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=5)
    return t.strftime("%Y-%m-%d %H:%M:%S")



def descends_from(pid, root):
    """True when pid is root or one of its descendants (walks PPid in /proc)."""
    for _ in range(64):
        if pid == root:
            return True
        if pid <= 1:
            return False
        try:
            with open("/proc/%d/stat" % pid) as f:
                pid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            return False
    return False

class Tmux:
    """A fresh terminal: its own tmux server and socket, bash without rc files."""

    def __init__(self, d, env):
        self.sock = os.path.join(d, "tmux.sock")
        self.env = env
        self.tmux("new-session", "-d", "-x", "250", "-y", "50", "bash", "--norc", "--noprofile")

    def tmux(self, *args, input=None):
        return subprocess.run(["tmux", "-S", self.sock] + list(args), env=self.env, input=input,
                              capture_output=True, text=True, timeout=30, check=True).stdout

    def type(self, text, enter=True):
        # through a paste buffer: send-keys would read a trailing ';' as its command separator
        self.tmux("load-buffer", "-b", "in", "-", input=text)
        self.tmux("paste-buffer", "-d", "-b", "in")
        if enter:
            self.tmux("send-keys", "Enter")

    def screen(self):
        return self.tmux("capture-pane", "-p", "-J", "-S", "-200")

    def wait_for(self, what, timeout=30):
        """what: a string, or a compiled regular expression."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            s = self.screen()
            if (what.search(s) if hasattr(what, "search") else what in s):
                return s
            time.sleep(0.1)
        raise AssertionError("%r never appeared on the terminal:\n%s" % (what, self.screen()))

    def wait_prompt(self, timeout=30):
        """The shell's hidden prompt: 'token: ' at a line start and the terminal's echo off
        (read -s has started), so a paste now is never echoed."""
        self.wait_for(re.compile(r"^token: ", re.M), timeout)
        tty = self.tmux("display-message", "-p", "#{pane_tty}").strip()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            flags = subprocess.run(["stty", "-F", tty, "-a"], capture_output=True, text=True,
                                   timeout=10).stdout.split()
            if "-echo" in flags:
                return
            time.sleep(0.05)
        raise AssertionError("the prompt never turned echo off")

    def close(self):
        subprocess.run(["tmux", "-S", self.sock, "kill-server"], capture_output=True, timeout=30)


class Base(unittest.TestCase):
    def setUp(self):
        self.home = mtlib.Home()
        self.home.aws_credentials(CREDS)
        self.stamp = pinned_stamp()

    def tearDown(self):
        self.home.cleanup()

    def mt(self, args, faketime=True, **env):
        r = mtlib.run(args, self.home.env(**env), faketime=self.stamp if faketime else None)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout

    def printed_command(self, db):
        out = self.mt(["db", "token", "-e", "t", "-d", db, "--format", "text", "--no-clipboard"])
        lines = [line.strip() for line in out.splitlines()]
        cmd = [line for line in lines if line.startswith("(printf 'token: '")]
        self.assertEqual(len(cmd), 1, out)
        self.assertNotIn("X-Amz-Signature", cmd[0])
        return cmd[0], out

    def terminal_login(self, db, token, query, expect, ready):
        """Runs the printed command in tmux, pastes the token at its prompt, runs query."""
        cmd, _ = self.printed_command(db)
        term = Tmux(self.home.path, self.home.env(TERM="xterm"))
        try:
            term.type(cmd)
            term.wait_prompt()
            term.type(token)  # pasted: the shell reads it, not echoed, never in argv/history
            term.wait_for(ready)  # the client's own prompt: logged in
            term.type(query)
            screen = term.wait_for(expect)
            self.assertNotIn(token[:60], screen)
            return screen
        finally:
            term.close()

    def terminal_refused(self, db, token, refusal):
        cmd, _ = self.printed_command(db)
        term = Tmux(self.home.path, self.home.env(TERM="xterm"))
        try:
            term.type(cmd + "; echo EXIT=$?")
            term.wait_prompt()
            term.type(token)
            screen = term.wait_for(re.compile(r"^EXIT=\d+", re.M))
            self.assertNotIn("EXIT=0", screen)
            # what the client said after the prompt, not the command line
            after = re.split(r"^token: ", screen, maxsplit=1, flags=re.M)[-1]
            if os.environ.get("MT_VERBOSE"):
                print(after.strip())
            self.assertRegex(after, refusal)
        finally:
            term.close()


class MariaDB(Base):
    @classmethod
    def setUpClass(cls):
        cls.mariadbd = need(shutil.which("mariadbd", path="/usr/sbin:/usr/bin"), "mariadbd")
        install_db = need(shutil.which("mariadb-install-db"), "mariadb-install-db")
        cls.client = need(shutil.which("mariadb"), "mariadb client")
        user = system_user("mysql", "nobody")
        cls.dir = tempfile.mkdtemp(prefix="mt-mariadb-tls-")
        cls.addClassCleanup(shutil.rmtree, cls.dir, True)
        cls.ca, cert, key = make_ca(cls.dir, "good", ["localhost", DB_NAME])
        cls.other_ca, _, _ = make_ca(cls.dir, "other", ["localhost"])
        data = os.path.join(cls.dir, "data")
        os.mkdir(data)
        chown_tree(cls.dir, user)
        os.chmod(cls.dir, 0o755)
        cls.sock = os.path.join(cls.dir, "sock")
        cls.port = free_port()
        subprocess.run([install_db, "--no-defaults", "--user=" + user.pw_name, "--datadir=" + data,
                        "--auth-root-authentication-method=normal", "--skip-test-db"],
                       check=True, capture_output=True, timeout=WAIT * 2)
        cls.log = open(os.path.join(cls.dir, "server.log"), "wb")
        cls.addClassCleanup(cls.log.close)
        cls.proc = subprocess.Popen(
            [cls.mariadbd, "--no-defaults", "--user=" + user.pw_name, "--datadir=" + data,
             "--socket=" + cls.sock, "--port=%d" % cls.port, "--bind-address=127.0.0.1",
             "--skip-networking=0", "--skip-name-resolve", "--innodb-buffer-pool-size=16M",
             "--skip-log-bin", "--pid-file=" + os.path.join(cls.dir, "pid"),
             "--ssl-ca=" + cls.ca, "--ssl-cert=" + cert, "--ssl-key=" + key],
            stdout=cls.log, stderr=subprocess.STDOUT)
        cls.addClassCleanup(cls.stop)
        deadline = time.monotonic() + WAIT
        while cls.admin("SELECT 1", check=False).returncode != 0:
            if cls.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("mariadbd did not come up: " +
                                     open(os.path.join(cls.dir, "server.log")).read())
            time.sleep(0.2)

    @classmethod
    def stop(cls):
        if cls.proc.poll() is None:
            cls.proc.terminate()
            try:
                cls.proc.wait(WAIT)
            except subprocess.TimeoutExpired:
                cls.proc.kill()
                cls.proc.wait(10)

    @classmethod
    def admin(cls, sql, check=True):
        r = subprocess.run([cls.client, "--no-defaults", "--socket=" + cls.sock, "-uroot", "-N",
                            "-B"], input=sql.encode(), capture_output=True, timeout=WAIT)
        if check:
            assert r.returncode == 0, r.stderr.decode()
        return r

    def config(self, engine, ca):
        self.home.yaml(
            "defaults:\n  clipboard: off\n  region: eu-west-1\n  user: app\n"
            "environments:\n  t:\n    databases:\n"
            "      direct:\n        host: localhost\n        port: %d\n        engine: %s\n"
            "        ca_bundle: %s\n"
            "      tunnel:\n        host: %s\n        connect_host: 127.0.0.1\n"
            "        connect_port: %d\n        engine: %s\n        ca_bundle: %s\n"
            % (self.port, engine, ca, DB_NAME, self.port, engine, ca))

    def token_user(self, db):
        token = self.mt(["db", "token", "-e", "t", "-d", db, "--format", "token"]).strip()
        self.assertGreater(len(token), 79)  # longer than MariaDB's password prompt reads
        self.admin("DROP USER IF EXISTS 'app'@'127.0.0.1'; "
                   "CREATE USER 'app'@'127.0.0.1' IDENTIFIED BY '%s' REQUIRE SSL;" % token)
        return token

    def test_printed_command_logs_in_for_mysql_and_mariadb(self):
        for engine in ("mysql", "mariadb"):
            for db in ("direct", "tunnel"):
                with self.subTest(engine=engine, db=db):
                    self.config(engine, self.ca)
                    token = self.token_user(db)
                    _, out = self.printed_command(db)
                    if db == "tunnel":
                        self.assertIn("cannot check the host name", out)
                    self.terminal_login(db, token, "SELECT CONCAT('who=', CURRENT_USER());",
                                        "who=app@127.0.0.1", "MariaDB [")

    def test_another_ca_does_not_log_in(self):
        for engine in ("mysql", "mariadb"):
            for db in ("direct", "tunnel"):
                with self.subTest(engine=engine, db=db):
                    self.config(engine, self.ca)
                    token = self.token_user(db)
                    self.config(engine, self.other_ca)
                    self.terminal_refused(db, token, r"ERROR 2026 .*(?i:certificate)")


class Postgres(Base):
    @classmethod
    def setUpClass(cls):
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        initdb = need(bins[-1] if bins else None, "initdb")
        cls.pg_ctl = os.path.join(os.path.dirname(initdb), "pg_ctl")
        cls.psql = need(shutil.which("psql"), "psql")
        cls.user = system_user("postgres", "nobody")
        cls.dir = tempfile.mkdtemp(prefix="mt-pg-tls-")
        cls.addClassCleanup(shutil.rmtree, cls.dir, True)
        cls.ca, cert, key = make_ca(cls.dir, "good", [DB_NAME, DSQL_NAME])
        cls.other_ca, _, _ = make_ca(cls.dir, "other", [DB_NAME, DSQL_NAME])
        os.chmod(cls.dir, 0o755)
        chown_tree(cls.dir, cls.user)
        os.chmod(key, 0o600)
        cls.data = os.path.join(cls.dir, "data")
        cls.port = free_port()
        cls.as_pg([initdb, "-D", cls.data, "-U", "postgres", "--auth-local=trust",
                   "--auth-host=scram-sha-256", "-E", "UTF8", "--no-instructions"])
        with open(os.path.join(cls.data, "pg_hba.conf"), "w") as f:
            f.write("local all postgres trust\nhostssl all all 127.0.0.1/32 scram-sha-256\n")
        opts = ("-c listen_addresses=127.0.0.1 -c port=%d -c unix_socket_directories=%s "
                "-c ssl=on -c ssl_cert_file=%s -c ssl_key_file=%s"
                % (cls.port, cls.dir, cert, key))
        cls.addClassCleanup(cls.stop)
        cls.as_pg([cls.pg_ctl, "-D", cls.data, "-o", opts, "-l", os.path.join(cls.dir, "log"),
                   "-w", "-t", str(WAIT), "start"])

    @classmethod
    def as_pg(cls, args):
        r = subprocess.run(args, user=cls.user.pw_uid, group=cls.user.pw_gid, extra_groups=[],
                           cwd=cls.dir, capture_output=True, timeout=WAIT,
                           env={"PATH": os.environ.get("PATH", "/usr/bin"), "LC_ALL": "C"})
        if r.returncode != 0:
            log = os.path.join(cls.dir, "log")
            raise AssertionError("%s failed: %s %s" % (args[0], r.stderr.decode(),
                                 open(log).read() if os.path.exists(log) else ""))

    @classmethod
    def stop(cls):
        if os.path.exists(os.path.join(cls.data, "postmaster.pid")):
            subprocess.run([cls.pg_ctl, "-D", cls.data, "-m", "immediate", "-w", "stop"],
                           user=cls.user.pw_uid, group=cls.user.pw_gid, extra_groups=[],
                           capture_output=True, timeout=WAIT)

    def admin(self, sql):
        r = subprocess.run([self.psql, "-X", "-h", self.dir, "-p", str(self.port), "-U",
                            "postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-At"],
                           input=sql.encode(), capture_output=True, timeout=WAIT,
                           env={"PATH": os.environ.get("PATH", ""), "HOME": self.dir})
        self.assertEqual(r.returncode, 0, r.stderr.decode())

    def config(self, ca):
        self.home.yaml(
            "defaults:\n  clipboard: off\n  region: eu-west-1\n"
            "environments:\n  t:\n    databases:\n"
            "      rds:\n        host: %s\n        engine: postgres\n        user: app\n"
            "        name: postgres\n        connect_host: 127.0.0.1\n        connect_port: %d\n"
            "        ca_bundle: %s\n"
            "      ledger:\n        host: %s\n        engine: dsql\n        user: admin\n"
            "        connect_host: 127.0.0.1\n        connect_port: %d\n        ca_bundle: %s\n"
            % (DB_NAME, self.port, ca, DSQL_NAME, self.port, ca))

    def token_role(self, db, role):
        token = self.mt(["db", "token", "-e", "t", "-d", db, "--format", "token"]).strip()
        self.admin("DROP ROLE IF EXISTS %s; CREATE ROLE %s LOGIN PASSWORD '%s';"
                   % (role, role, token))
        return token

    def test_printed_psql_command_logs_in(self):
        self.config(self.ca)
        token = self.token_role("rds", "app")
        self.terminal_login("rds", token, "SELECT 'who=' || current_user;", "who=app",
                            "postgres=>")

    def test_printed_psql_command_with_another_ca_does_not(self):
        self.config(self.ca)
        token = self.token_role("rds", "app")
        self.config(self.other_ca)
        self.terminal_refused("rds", token, r"certificate verify failed")

    def test_db_connect_dsql_runs_psql_verify_full(self):
        self.config(self.ca)
        token = self.token_role("ledger", "admin")
        self.assertTrue(token.startswith(DSQL_NAME + "/?Action=DbConnectAdmin&"))
        # db connect under the same pinned clock signs the same token; psql reports its TLS
        out = self.mt(["db", "connect", "-e", "t", "-d", "ledger", "--", "-XAt", "-c",
                       "SELECT current_user || ' ' || ssl FROM pg_stat_ssl "
                       "WHERE pid = pg_backend_pid()"])
        self.assertEqual(out.strip(), "admin true")
        # another CA: refused
        self.config(self.other_ca)
        r = mtlib.run(["db", "connect", "-e", "t", "-d", "ledger", "--", "-XAt", "-c", "SELECT 1"],
                      self.home.env(), faketime=self.stamp)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("certificate verify failed", r.stderr)

    def test_database_url(self):
        self.config(self.ca)
        token = self.token_role("ledger", "admin")
        env_out = self.mt(["db", "token", "-e", "t", "-d", "ledger", "--format", "env"])
        url = self.mt(["db", "token", "-e", "t", "-d", "ledger", "--format", "url"]).strip()
        self.assertIn("export DATABASE_URL=" + "'" + url + "'", env_out)
        u = urllib.parse.urlsplit(url)
        self.assertEqual(urllib.parse.unquote(u.password), token)
        self.assertEqual(urllib.parse.unquote(u.username), "admin")
        self.assertEqual(u.hostname, DSQL_NAME)
        r = subprocess.run([self.psql, url, "-XAt", "-c", "SELECT 1"], capture_output=True,
                           text=True, timeout=WAIT,
                           env={"PATH": os.environ.get("PATH", ""), "HOME": self.home.path})
        self.assertEqual((r.returncode, r.stdout.strip()), (0, "1"), r.stderr)
        # the environment form, as a shell sources it
        r = subprocess.run(["bash", "-c", 'eval "$(cat)"; psql "$DATABASE_URL" -XAt -c '
                            "'SELECT current_user'"], input=env_out, capture_output=True,
                           text=True, timeout=WAIT,
                           env={"PATH": os.environ.get("PATH", ""), "HOME": self.home.path})
        self.assertEqual((r.returncode, r.stdout.strip()), (0, "admin"), r.stderr)


class Redis(Base):
    @classmethod
    def setUpClass(cls):
        cls.server = need(shutil.which("redis-server"), "redis-server")
        need(shutil.which("redis-cli"), "redis-cli (package redis-tools)")
        cls.dir = tempfile.mkdtemp(prefix="mt-redis-tls-")
        cls.addClassCleanup(shutil.rmtree, cls.dir, True)
        cls.ca, cert, key = make_ca(cls.dir, "good", ["master.sessions.example.internal"])
        cls.other_ca, _, _ = make_ca(cls.dir, "other", ["master.sessions.example.internal"])
        cls.port = free_port()
        cls.proc = subprocess.Popen(
            [cls.server, "--port", "0", "--tls-port", str(cls.port), "--bind", "127.0.0.1",
             "--tls-cert-file", cert, "--tls-key-file", key, "--tls-ca-cert-file", cls.ca,
             "--tls-auth-clients", "no", "--save", "", "--appendonly", "no",
             "--dir", cls.dir], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cls.addClassCleanup(cls.stop)
        deadline = time.monotonic() + WAIT
        while cls.cli(["PING"]).stdout.strip() != "PONG":
            if cls.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("redis-server did not come up")
            time.sleep(0.1)

    @classmethod
    def cli(cls, args):
        return subprocess.run(["redis-cli", "--tls", "--cacert", cls.ca, "-h", "127.0.0.1", "-p",
                               str(cls.port)] + args, capture_output=True, text=True, timeout=30)

    @classmethod
    def stop(cls):
        cls.proc.terminate()
        cls.proc.wait(WAIT)

    def config(self, ca):
        self.home.yaml(
            "defaults:\n  clipboard: off\n  region: eu-west-1\n"
            "environments:\n  t:\n    databases:\n"
            "      sessions:\n        host: 127.0.0.1\n        port: %d\n        engine: valkey\n"
            "        cache_name: Sessions\n        user: app-sessions\n        ca_bundle: %s\n"
            % (self.port, ca))

    def window_tokens(self, seconds=40):
        """The tokens of every second from now on, as the ACL user's passwords (SHA-256)."""
        start = int(time.time())
        hashes = []
        for s in range(start - 1, start + seconds):
            stamp = datetime.datetime.fromtimestamp(s, datetime.timezone.utc)
            r = mtlib.run(["db", "token", "-e", "t", "-d", "sessions", "--format", "token"],
                          self.home.env(), faketime=stamp.strftime("%Y-%m-%d %H:%M:%S"))
            self.assertEqual(r.returncode, 0, r.stderr)
            tok = r.stdout.strip()
            self.assertTrue(tok.startswith("sessions/?Action=connect&User=app-sessions&"))
            hashes.append("#" + hashlib.sha256(tok.encode()).hexdigest())
        r = self.cli(["ACL", "SETUSER", "app-sessions", "reset", "on"] + hashes +
                     ["~*", "+@all"])
        self.assertEqual(r.stdout.strip(), "OK", r.stderr)
        return start + seconds

    def test_db_connect_ping_pong_token_not_in_argv(self):
        self.config(self.ca)
        until = self.window_tokens()
        env = self.home.env()
        p = subprocess.Popen([mtlib.MYTOOLS, "db", "connect", "-e", "t", "-d", "sessions", "--",
                              "-r", "30", "-i", "0.1", "PING"], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        seen = 0
        while p.poll() is None:
            # every process of this run (mytools execs the client in place; anything it starts
            # descends from it), not other tests' processes on a shared machine
            for c in glob.glob("/proc/[0-9]*/cmdline"):
                if not descends_from(int(c.split("/")[2]), p.pid):
                    continue
                try:
                    with open(c, "rb") as f:
                        argv = f.read()
                except OSError:
                    continue
                self.assertNotIn(b"X-Amz-Signature", argv, c)
                self.assertNotIn(b"Action=connect", argv, c)
                seen += b"redis-cli" in argv
            time.sleep(0.05)
        out, err = p.communicate()
        self.assertLess(time.time(), until, "the token window ran out")
        self.assertEqual(p.returncode, 0, err)
        self.assertGreater(seen, 0, "redis-cli was never seen running")
        self.assertEqual(out.split(), ["PONG"] * 30)

    def test_another_ca_is_refused(self):
        self.config(self.ca)
        self.window_tokens(seconds=20)
        self.config(self.other_ca)
        r = mtlib.run(["db", "connect", "-e", "t", "-d", "sessions", "--", "PING"],
                      self.home.env())
        self.assertNotIn("PONG", r.stdout)
        if os.environ.get("MT_VERBOSE"):
            print(r.returncode, r.stdout, r.stderr)
        self.assertRegex(r.stdout + r.stderr, r"certificate verify failed")


if __name__ == "__main__":
    unittest.main(verbosity=2)
