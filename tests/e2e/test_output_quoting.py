"""Issue 7 defects 1 and 2: config values cannot add client options or weaken TLS, and the printed
commands run as printed. Clients are stand-ins on PATH that record their argv (and whether the
token arrived in their environment); libpq's own PQconninfoParse reads the psql conninfo."""
import ctypes
import ctypes.util
import json
import os
import subprocess
import sys
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mtlib  # noqa: E402
from mtlib import run  # noqa: E402

AWS_CREDENTIALS = "[default]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = s\n"
RECORDER = """#!/usr/bin/python3
import json, os, sys
env = {k: (v[:40] if k in ("MYSQL_PWD", "PGPASSWORD", "REDISCLI_AUTH") else None)
       for k, v in os.environ.items() if k in ("MYSQL_PWD", "PGPASSWORD", "REDISCLI_AUTH")}
with open(%r, "a") as f:
    f.write(json.dumps({"argv0": os.path.basename(sys.argv[0]), "args": sys.argv[1:],
                        "env": env}) + "\\n")
"""


class PQconninfoOption(ctypes.Structure):
    _fields_ = [("keyword", ctypes.c_char_p), ("envvar", ctypes.c_char_p),
                ("compiled", ctypes.c_char_p), ("val", ctypes.c_char_p),
                ("label", ctypes.c_char_p), ("dispchar", ctypes.c_char_p),
                ("dispsize", ctypes.c_int)]


def libpq_parse(conninfo):
    """The conninfo as libpq itself reads it: {keyword: value} of the set options."""
    pq = ctypes.CDLL(ctypes.util.find_library("pq"))
    pq.PQconninfoParse.restype = ctypes.POINTER(PQconninfoOption)
    pq.PQconninfoParse.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_char_p)]
    err = ctypes.c_char_p()
    opts = pq.PQconninfoParse(conninfo.encode(), ctypes.byref(err))
    assert opts, "libpq rejected the conninfo: %r" % err.value
    out, i = {}, 0
    while opts[i].keyword:
        if opts[i].val is not None:
            out[opts[i].keyword.decode()] = opts[i].val.decode()
        i += 1
    return out


class Base(unittest.TestCase):
    def setUp(self):
        self.home = mtlib.Home()
        self.home.aws_credentials(AWS_CREDENTIALS)
        self.bin = os.path.join(self.home.path, "bin")
        os.makedirs(self.bin)
        self.log = os.path.join(self.home.path, "argv.log")
        for prog in ("mysql", "mariadb", "psql", "redis-cli"):
            self.home.write("bin/" + prog, RECORDER % self.log, mode=0o755)

    def tearDown(self):
        self.home.cleanup()

    def env(self, **extra):
        return self.home.env(PATH=self.bin + ":/usr/bin:/bin", **extra)

    def calls(self):
        with open(self.log) as f:
            return [json.loads(line) for line in f]

    def connect(self, args, extra=()):
        r = run(["db", "connect"] + args + list(extra), self.env())
        self.assertEqual(r.returncode, 0, r.stderr)
        calls = self.calls()
        self.assertEqual(len(calls), 1)
        return calls[0]


CONFIG = """\
defaults:
  region: eu-west-1
  user: app
  clipboard: off
environments:
  prod:
    databases:
      pg:
        host: pg.example.com
        engine: postgres
        name: "pay host=attacker.example sslmode=disable"
        ca_bundle: "/etc/my certs/it's rds.pem"
      pgslash:
        host: pg.example.com
        engine: postgres
        name: 'a\\b'
      my:
        host: my.example.com
        name: "orders --host=attacker.example"
        ca_bundle: "/etc/my certs/rds.pem"
      maria:
        host: maria.example.com
        engine: mariadb
        name: orders
"""


class ConfigCannotInject(Base):
    def setUp(self):
        super().setUp()
        self.home.yaml(CONFIG)

    def test_psql_conninfo_is_quoted_and_tls_last(self):
        c = self.connect(["-e", "prod", "-d", "pg"])
        self.assertEqual(c["argv0"], "psql")
        self.assertEqual(len(c["args"]), 1, c)
        opts = libpq_parse(c["args"][0])
        self.assertEqual(opts["host"], "pg.example.com")
        self.assertEqual(opts["dbname"], "pay host=attacker.example sslmode=disable")
        self.assertEqual(opts["sslmode"], "verify-full")
        self.assertEqual(opts["sslrootcert"], "/etc/my certs/it's rds.pem")
        self.assertTrue(c["args"][0].endswith("sslmode='verify-full'"))
        self.assertTrue(c["env"]["PGPASSWORD"].startswith("pg.example.com:5432/?Action="))
        self.assertEqual(libpq_parse(self.connect_again("pgslash")["args"][0])["dbname"], "a\\b")

    def connect_again(self, db):
        os.unlink(self.log)
        return self.connect(["-e", "prod", "-d", db])

    def test_mysql_values_are_option_values(self):
        c = self.connect(["-e", "prod", "-d", "my"], ["--", "-e", "SELECT 1"])
        a = c["args"]
        self.assertEqual([x for x in a if x.startswith("--host")], ["--host=my.example.com"])
        self.assertIn("--database=orders --host=attacker.example", a)
        self.assertIn("--ssl-ca=/etc/my certs/rds.pem", a)
        self.assertIn("--ssl-mode=VERIFY_IDENTITY", a)
        # TLS after every value, the user's arguments after "--" last and unchanged
        self.assertLess(a.index("--ssl-ca=/etc/my certs/rds.pem"), a.index("--ssl-mode=VERIFY_IDENTITY"))
        self.assertEqual(a[-2:], ["-e", "SELECT 1"])
        self.assertTrue(c["env"]["MYSQL_PWD"].startswith("my.example.com:3306/?Action="))
        for x in a:
            self.assertFalse("X-Amz" in x)

    def test_mariadb_client_flags(self):
        c = self.connect(["-e", "prod", "-d", "maria"])
        self.assertEqual(c["argv0"], "mariadb")
        self.assertIn("--ssl-verify-server-cert", c["args"])
        self.assertIn("--database=orders", c["args"])
        self.assertNotIn("orders", c["args"])

    def test_values_a_client_could_misread_are_config_errors(self):
        for key, value, col in (("name", "--host=attacker.example", 15),
                                ("user", '"-p"', 15), ("host", '"db\\nexample"', 15),
                                ("ca_bundle", '"/x\\e[2J"', 20), ("connect_host", "-x", 23)):
            self.home.yaml("environments:\n  e:\n    databases:\n      d:\n        host: h\n"
                           "        user: u\n        region: eu-west-1\n        %s: %s\n"
                           % (key, value) if key not in ("host", "user") else
                           "environments:\n  e:\n    databases:\n      d:\n"
                           "        region: eu-west-1\n        %s: %s\n" % (key, value))
            for cmd in (["db", "connect"], ["db", "token"]):
                r = run(cmd + ["-e", "e", "-d", "d"], self.env())
                self.assertEqual(r.returncode, 3, (key, r.stderr))
                self.assertRegex(r.stderr, r"\.mytools\.yaml:\d+:%d: '%s' " % (col, key))
                self.assertFalse(os.path.exists(self.log))


class PrintedCommandsRunAsPrinted(Base):
    """Defect 2: the text output's commands, run by a real shell, do exactly what they say."""

    def setUp(self):
        super().setUp()
        self.marker = os.path.join(self.home.path, "pwned")
        self.home.yaml("defaults:\n  clipboard: off\n  region: eu-west-1\n"
                       "environments:\n  prod:\n    databases:\n      orders:\n"
                       "        host: orders.example.com\n        name: orders\n"
                       "        ca_bundle: /etc/rds ca.pem\n")
        # `mytools` in the printed line is a recorder too
        self.home.write("bin/mytools", RECORDER % self.log, mode=0o755)

    def printed(self, args):
        r = run(["db", "token", "--format", "text", "--no-clipboard"] + args, self.env())
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = [line.strip() for line in r.stdout.splitlines()]
        client = [line for line in lines if line.startswith("(printf 'token: '")]
        again = [line for line in lines if line.startswith("mytools ")]
        self.assertEqual((len(client), len(again)), (1, 1), r.stdout)
        token = [line for line in lines if "X-Amz-Signature=" in line][0]
        return client[0], again[0], token

    def shell(self, line, stdin=""):
        r = subprocess.run(["bash", "-c", line], input=stdin, capture_output=True, text=True,
                           env=self.env(), timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_hostile_user_and_newline(self):
        user = "app;touch %s;#\nsecond line $(touch %s)" % (self.marker, self.marker)
        args = ["-e", "prod", "-d", "orders", "--user", user, "--profile", "default",
                "--connect-host", "127.0.0.1", "--connect-port", "13306", "--no-clipboard"]
        client, again, token = self.printed(args)
        self.shell(client, stdin=token + "\n")
        self.shell(again)
        self.assertFalse(os.path.exists(self.marker), "the printed command ran a command")
        c, m = self.calls()
        self.assertIn("--user=" + user, c["args"])
        self.assertIn("--ssl-ca=/etc/rds ca.pem", c["args"])
        self.assertIn("--ssl-mode=VERIFY_CA", c["args"])  # through a tunnel: CA, no host name
        self.assertEqual(c["env"]["MYSQL_PWD"], token[:40])  # read by the shell, not argv
        self.assertEqual(m["args"], ["db", "connect", "--profile", "default", "-e", "prod", "-d",
                                     "orders", "--user", user, "--connect-host", "127.0.0.1",
                                     "--connect-port", "13306"])

    def test_connect_line_carries_flags_without_values(self):
        args = ["--host", "abc.dsql.eu-west-1.on.aws", "--engine", "dsql", "--user", "u 1",
                "--admin", "--expires-in", "60", "--region", "eu-west-1"]
        r = run(["db", "token", "--format", "text", "--no-clipboard"] + args, self.env())
        self.assertEqual(r.returncode, 0, r.stderr)
        again = [line.strip() for line in r.stdout.splitlines()
                 if line.strip().startswith("mytools ")]
        self.assertEqual(len(again), 1, r.stdout)
        self.shell(again[0])
        self.assertEqual(self.calls()[0]["args"],
                         ["db", "connect", "--region", "eu-west-1", "--host",
                          "abc.dsql.eu-west-1.on.aws", "--engine", "dsql", "--user", "u 1",
                          "--admin", "--expires-in", "60"])


    def test_cache_clients_say_they_do_not_check_the_host_name(self):
        # hiredis (redis-cli, valkey-cli) verifies the chain only: the printed command says so
        r = run(["db", "token", "--format", "text", "--no-clipboard", "--engine", "elasticache",
                 "--host", "master.sess.abc.euw1.cache.amazonaws.com", "--cache-name", "sess",
                 "--user", "app", "--region", "eu-west-1"], self.env())
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"note: (redis|valkey)-cli verifies the server certificate's "
                                   r"CA but not its host name")

    def test_leading_equals_survives_zsh(self):
        # zsh expands a word starting with '=' to a command's path (=echo -> /usr/bin/echo)
        r = run(["db", "token", "--format", "text", "--no-clipboard", "-e", "prod", "-d",
                 "orders", "--user", "=echo"], self.env())
        self.assertEqual(r.returncode, 0, r.stderr)
        again = [line.strip() for line in r.stdout.splitlines()
                 if line.strip().startswith("mytools ")]
        self.assertEqual(len(again), 1, r.stdout)
        z = subprocess.run(["zsh", "-f", "-c", again[0]], capture_output=True, text=True,
                           env=self.env(), timeout=30)
        self.assertEqual(z.returncode, 0, z.stderr)
        self.assertEqual(self.calls()[0]["args"][-2:], ["--user", "=echo"])


class Urls(Base):
    """--format url: every part percent-encoded; Python's urllib gives back user and token."""

    def test_url_parts_decode_exactly(self):
        self.home.yaml("defaults:\n  clipboard: off\n  region: eu-west-1\n"
                       "environments:\n  e:\n    databases:\n"
                       "      my:\n        host: my.example.com\n        user: \"a@b:c/d%e\"\n"
                       "        name: \"or ders\"\n"
                       "      kv:\n        host: kv.example.com\n        engine: valkey\n"
                       "        cache_name: kv\n        user: \"app@x.y\"\n")
        stamp = "2026-01-02 03:04:05"
        env = self.env(AWS_SESSION_TOKEN="IQoJb3JpZ2luX2Vj/+==&%")
        for db, scheme, path in (("my", "mysql", "/or ders"), ("kv", "rediss", "")):
            tok = run(["db", "token", "-e", "e", "-d", db, "--format", "token"], env,
                      faketime=stamp).stdout.strip()
            url = run(["db", "token", "-e", "e", "-d", db, "--format", "url"], env,
                      faketime=stamp).stdout.strip()
            u = urllib.parse.urlsplit(url)
            self.assertEqual(u.scheme, scheme)
            self.assertEqual(urllib.parse.unquote(u.password), tok)
            self.assertEqual(urllib.parse.unquote(u.username),
                             "a@b:c/d%e" if db == "my" else "app@x.y")
            self.assertEqual(urllib.parse.unquote(u.path), path)
            self.assertIn("%25", url)  # the token's own percent signs are encoded again


if __name__ == "__main__":
    unittest.main()
