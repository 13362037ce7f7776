"""db token / db list / dispatch, driven through the real binary with a temporary HOME."""
import datetime
import hashlib
import json
import os
import pty
import re
import select
import stat
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mtlib  # noqa: E402
from mtlib import AKID, SECRET, run  # noqa: E402

HOST = "orders.cluster-abc123.eu-west-1.rds.amazonaws.com"
CONFIG = """\
defaults:
  region: us-east-1
  profile: engineer
  engine: mysql
  clipboard: off
environments:
  production:
    aliases: [prod]
    profile: prod-engineer
    user: prod_engineer
    databases:
      orders:
        host: %s
        port: 3306
        name: orders
      payments:
        host: payments.cluster-abc123.eu-central-1.rds.amazonaws.com
        engine: postgres
        user: prod_payments_ro
      tunnelled:
        host: tun.cluster-abc123.eu-west-1.rds.amazonaws.com
        connect_host: 127.0.0.1
        connect_port: 13306
  staging:
    region: eu-west-2
    user: stage
    databases:
      orders:
        host: orders.staging.internal
""" % HOST

AWS_CONFIG = """\
[profile prod-engineer]
sso_session = corp
sso_account_id = 123456789012
sso_role_name = ReadOnly
region = eu-west-1

[sso-session corp]
sso_start_url = https://d-1234567890.awsapps.com/start
sso_region = us-east-1
sso_registration_scopes = sso:account:access

[profile engineer]
region = ap-south-1

[profile dev]
region = us-west-2
"""
AWS_CREDENTIALS = """\
[engineer]
aws_access_key_id = AKIDENGINEER
aws_secret_access_key = engineer-secret

[dev]
aws_access_key_id = AKIDDEV
aws_secret_access_key = dev-secret
"""


def cli_cache_name(account, role, session=None, start_url=None):
    args = {"accountId": account, "roleName": role}
    if session:
        args["sessionName"] = session
    else:
        args["startUrl"] = start_url
    return hashlib.sha1(json.dumps(args, sort_keys=True, separators=(",", ":"))
                        .encode()).hexdigest() + ".json"


def write_cli_cache(home, minutes_left, akid="ASIASSOCACHED", token="sso-session-token"):
    exp = (datetime.datetime.now(datetime.timezone.utc) +
           datetime.timedelta(minutes=minutes_left)).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = {"ProviderType": "sso", "Credentials": {
        "AccessKeyId": akid, "SecretAccessKey": "sso-secret", "SessionToken": token,
        "Expiration": exp, "AccountId": "123456789012"}}
    name = cli_cache_name("123456789012", "ReadOnly", session="corp")
    return home.write(".aws/cli/cache/" + name, json.dumps(body)), exp


def param(token, key):
    for kv in token.split("?", 1)[1].split("&"):
        k, _, v = kv.partition("=")
        if k == key:
            return v
    return None


class Base(unittest.TestCase):
    def setUp(self):
        self.home = mtlib.Home()
        self.home.yaml(CONFIG)
        self.home.aws_config(AWS_CONFIG)
        self.home.aws_credentials(AWS_CREDENTIALS)

    def tearDown(self):
        self.home.cleanup()

    def ok(self, args, **env):
        r = run(args, self.home.env(**env))
        self.assertEqual(r.returncode, 0, r.stderr)
        return r

    def fails(self, args, code, pattern, **env):
        r = run(args, self.home.env(**env))
        self.assertEqual(r.returncode, code, "stdout=%r stderr=%r" % (r.stdout, r.stderr))
        self.assertRegex(r.stderr, pattern)
        first = r.stderr.splitlines()[0]
        self.assertTrue(first.startswith("mytools"), first)
        self.assertEqual(r.stdout, "")
        return r


class TokenFromConfig(Base):
    def test_sso_cache_json_output(self):
        _, exp = write_cli_cache(self.home, 60)
        r = self.ok(["db", "token", "--env", "prod", "--database", "orders", "--format", "json"])
        o = json.loads(r.stdout)
        self.assertEqual(o["env"], "production")
        self.assertEqual(o["database"], "orders")
        self.assertEqual((o["host"], o["port"], o["user"]), (HOST, 3306, "prod_engineer"))
        self.assertEqual(o["region"], "eu-west-1")  # from the host name, not defaults.region
        self.assertEqual(o["engine"], "mysql")
        self.assertTrue(o["token"].startswith(HOST + ":3306/?Action=connect&DBUser=prod_engineer&"))
        self.assertIn("X-Amz-Credential=ASIASSOCACHED%2F", o["token"])
        self.assertEqual(param(o["token"], "X-Amz-Security-Token"), "sso-session-token")
        self.assertEqual(param(o["token"], "X-Amz-Expires"), "900")
        exp_at = datetime.datetime.strptime(o["expires_at"], "%Y-%m-%dT%H:%M:%SZ")
        signed = datetime.datetime.strptime(param(o["token"], "X-Amz-Date"), "%Y%m%dT%H%M%SZ")
        self.assertEqual(exp_at - signed, datetime.timedelta(seconds=900))

    def test_pipe_default_is_bare_token(self):
        write_cli_cache(self.home, 60)
        r = self.ok(["db", "token", "-e", "production", "-d", "orders"])
        self.assertEqual(r.stdout.count("\n"), 1)
        self.assertTrue(r.stdout.startswith(HOST + ":3306/?Action=connect"))

    def test_shell_aws_profile_does_not_win_over_config(self):
        # AWS_PROFILE=dev in the shell; the config says prod-engineer for production
        write_cli_cache(self.home, 60)
        r = self.ok(["db", "token", "-e", "prod", "-d", "orders", "--format", "json"],
                    AWS_PROFILE="dev")
        self.assertIn("ASIASSOCACHED", json.loads(r.stdout)["token"])

    def test_env_keys_ignored_when_config_chose_profile(self):
        write_cli_cache(self.home, 60)
        r = self.ok(["db", "token", "-e", "prod", "-d", "orders"],
                    AWS_ACCESS_KEY_ID="AKIDFROMENV", AWS_SECRET_ACCESS_KEY="x")
        self.assertIn("X-Amz-Credential=ASIASSOCACHED%2F", r.stdout)

    def test_profile_flag_wins(self):
        r = self.ok(["db", "token", "-e", "prod", "-d", "orders", "--profile", "dev"])
        self.assertIn("X-Amz-Credential=AKIDDEV%2F", r.stdout)
        self.assertIsNone(param(r.stdout.strip(), "X-Amz-Security-Token"))

    def test_defaults_profile_static_keys_and_region_rules(self):
        # staging has no profile: defaults.profile (engineer, static keys); region from env level
        r = self.ok(["db", "token", "-e", "staging", "-d", "orders", "--format", "json"])
        o = json.loads(r.stdout)
        self.assertEqual(o["region"], "eu-west-2")
        self.assertIn("X-Amz-Credential=AKIDENGINEER%2F", o["token"])
        self.assertIn("%2Feu-west-2%2Frds-db%2Faws4_request", o["token"])
        # --region beats everything
        r = self.ok(["db", "token", "-e", "staging", "-d", "orders", "--region", "sa-east-1"])
        self.assertIn("%2Fsa-east-1%2Frds-db", r.stdout)

    def test_postgres_env_format_quotes_safely(self):
        write_cli_cache(self.home, 60, token="tok'en")
        self.home.aws_config(AWS_CONFIG.replace("sso_role_name = ReadOnly", "sso_role_name = ReadOnly"))
        r = self.ok(["db", "token", "-e", "prod", "-d", "payments", "--format", "env"])
        lines = r.stdout.splitlines()
        self.assertIn("export PGHOST='payments.cluster-abc123.eu-central-1.rds.amazonaws.com'", lines)
        self.assertIn("export PGPORT='5432'", lines)
        self.assertIn("export PGUSER='prod_payments_ro'", lines)
        self.assertIn("export PGSSLMODE='verify-full'", lines)
        self.assertIn("export MYTOOLS_DB_USER='prod_payments_ro'", lines)
        # evaluate the lines in a real shell and compare what it sees with the json token
        sh = subprocess.run(["sh", "-c", r.stdout + 'printf %s "$PGPASSWORD"'],
                            stdout=subprocess.PIPE, text=True, env={"PATH": os.environ["PATH"]})
        self.assertTrue(sh.stdout.startswith(
            "payments.cluster-abc123.eu-central-1.rds.amazonaws.com:5432/?Action=connect"))
        self.assertEqual(param(sh.stdout, "X-Amz-Security-Token"), "tok%27en")

    def test_mysql_env_format_and_tunnel(self):
        write_cli_cache(self.home, 60)
        r = self.ok(["db", "token", "-e", "prod", "-d", "tunnelled", "--format", "env"])
        self.assertIn("export MYSQL_HOST='127.0.0.1'", r.stdout)
        self.assertIn("export MYSQL_TCP_PORT='13306'", r.stdout)
        # the token is still signed for the real endpoint, never the tunnel
        self.assertIn("MYSQL_PWD='tun.cluster-abc123.eu-west-1.rds.amazonaws.com:3306/?", r.stdout)

    def test_short_lived_credentials_cap_expiry(self):
        exp = (datetime.datetime.now(datetime.timezone.utc) +
               datetime.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
        r = run(["db", "token", "--host", "h.example", "--user", "u", "--region", "us-east-1",
                 "--format", "json"],
                self.home.env(AWS_ACCESS_KEY_ID=AKID, AWS_SECRET_ACCESS_KEY=SECRET,
                              AWS_SESSION_TOKEN="t", AWS_CREDENTIAL_EXPIRATION=exp,
                              MYTOOLS_CONFIG=os.devnull))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["expires_at"], exp)
        self.assertIn("expire", r.stderr)


class TextMode(Base):
    """--format text on a real pseudo-terminal."""

    def run_tty(self, args, env):
        master, slave = pty.openpty()
        p = subprocess.Popen([mtlib.MYTOOLS] + args, stdin=subprocess.DEVNULL, stdout=slave,
                             stderr=subprocess.PIPE, env=env)
        os.close(slave)
        out = b""
        deadline = time.time() + 20
        while time.time() < deadline:
            r, _, _ = select.select([master], [], [], 0.2)
            if r:
                try:
                    chunk = os.read(master, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                out += chunk
            elif p.poll() is not None:
                break
        p.wait(timeout=10)
        os.close(master)
        return p.returncode, out.decode().replace("\r\n", "\n"), p.stderr.read().decode()

    def test_text_copies_to_configured_clipboard_and_hides_token(self):
        write_cli_cache(self.home, 60)
        clip = os.path.join(self.home.path, "clip.txt")
        argv_log = os.path.join(self.home.path, "argv.txt")
        script = self.home.write("bin/fakeclip", "#!/bin/sh\necho \"$0 $*\" > '%s'\ncat > '%s'\n"
                                 % (argv_log, clip), mode=0o755)
        self.home.yaml(CONFIG.replace("clipboard: off", "clipboard: %s\n  clipboard_clear: 0" % script))
        code, out, err = self.run_tty(["db", "token", "-e", "prod", "-d", "orders"], self.home.env())
        self.assertEqual(code, 0, err)
        with open(clip) as f:
            token = f.read()
        self.assertTrue(token.startswith(HOST + ":3306/?Action=connect"))
        self.assertNotIn(token, out)
        self.assertNotIn("X-Amz-Signature", out)
        with open(argv_log) as f:
            self.assertNotIn("X-Amz", f.read())
        self.assertIn("copied to the clipboard", out)
        self.assertRegex(out, r"expires \d\d:\d\d:\d\d \S+ \(in 1[45] min\)")
        # Debian's mysql is MariaDB's client: its flags, the token read by the shell (issue 9)
        self.assertIn("IFS= read -rs MYSQL_PWD; echo >&2; export MYSQL_PWD; exec mysql "
                      "--host=%s --port=3306 --protocol=TCP --user=prod_engineer "
                      "--database=orders --ssl --ssl-verify-server-cert)" % HOST, out)
        self.assertIn("mytools db connect -e production -d orders", out)

    def test_text_without_clipboard_prints_token(self):
        write_cli_cache(self.home, 60)
        code, out, err = self.run_tty(["db", "token", "-e", "prod", "-d", "payments"],
                                      self.home.env())
        self.assertEqual(code, 0, err)
        self.assertIn("payments.cluster-abc123.eu-central-1.rds.amazonaws.com:5432/?Action=", out)
        # no ca_bundle: how to get the RDS CA instead of a psql command that cannot verify
        self.assertIn("truststore.pki.rds.amazonaws.com/global/global-bundle.pem", out)
        self.assertNotIn("exec psql", out)

    def test_failing_clipboard_command(self):
        write_cli_cache(self.home, 60)
        self.home.yaml(CONFIG.replace("clipboard: off", "clipboard: exit 3"))
        # default text mode: says so and prints the token (contract), exit 0
        code, out, err = self.run_tty(["db", "token", "-e", "prod", "-d", "orders"], self.home.env())
        self.assertEqual(code, 0, err)
        self.assertIn("clipboard command 'exit 3' failed (exit status 3)", out)
        self.assertIn(HOST + ":3306/?Action=connect", out)
        # explicitly asked for: an error, exit 1, nothing on stdout
        r = run(["db", "token", "-e", "prod", "-d", "orders", "--format", "token", "--clipboard"],
                self.home.env())
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stdout, "")
        self.assertRegex(r.stderr, r"^mytools db token: clipboard command 'exit 3' failed "
                                   r"\(exit status 3\)\n$")

    def test_clear_after_seconds_only_if_unchanged(self):
        write_cli_cache(self.home, 60)
        store = os.path.join(self.home.path, "xclip-store")
        # a stand-in xclip on PATH that keeps the selection in a file
        self.home.write("bin/xclip", "#!/bin/sh\ncase \"$*\" in *-out*) cat '%s' 2>/dev/null ;;"
                        " *) cat > '%s' ;; esac\n" % (store, store), mode=0o755)
        self.home.yaml(CONFIG.replace("clipboard: off", "clipboard: auto\n  clipboard_clear: 1"))
        env = self.home.env(DISPLAY=":99", PATH=os.path.join(self.home.path, "bin") + ":" +
                            os.environ["PATH"])
        r = run(["db", "token", "-e", "prod", "-d", "orders", "--format", "token", "--clipboard"], env)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(store) as f:
            self.assertEqual(f.read(), r.stdout.strip())
        deadline = time.time() + 10
        while time.time() < deadline and os.path.getsize(store) > 0:
            time.sleep(0.1)
        self.assertEqual(os.path.getsize(store), 0, "clipboard was not cleared")
        # second run: the user copies something else before the clear: it is left alone
        r = run(["db", "token", "-e", "prod", "-d", "orders", "--format", "token", "--clipboard"], env)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(store, "w") as f:
            f.write("something the user copied")
        time.sleep(2.5)
        with open(store) as f:
            self.assertEqual(f.read(), "something the user copied")


class BrokenInputs(Base):
    def test_malformed_yaml(self):
        self.home.yaml("environments:\n  production:\n    databases: [unclosed\n")
        self.fails(["db", "token", "-e", "production", "-d", "orders"], 3,
                   r"\.mytools\.yaml:\d+:\d+: ")

    def test_wrong_type(self):
        self.home.yaml(CONFIG.replace("port: 3306", "port: [1, 2]"))
        self.fails(["db", "token", "-e", "production", "-d", "orders"], 3,
                   r"\.mytools\.yaml:14:\d+: .*port")

    def test_unknown_env_and_database(self):
        self.fails(["db", "token", "-e", "prd", "-d", "orders"], 3,
                   r"unknown environment 'prd'.*production")
        self.fails(["db", "token", "-e", "prod", "-d", "nope"], 3, r"unknown database 'nope'")

    def test_alias_clash(self):
        self.home.yaml(CONFIG.replace("aliases: [prod]", "aliases: [prod, staging]"))
        self.fails(["db", "list"], 3, r"\.mytools\.yaml:\d+:\d+: .*staging.*clashes with an alias")

    def test_unknown_key_is_a_warning_with_line(self):
        write_cli_cache(self.home, 60)
        self.home.yaml(CONFIG.replace("  engine: mysql\n", "  engine: mysql\n  regoin: x\n"))
        r = self.ok(["db", "token", "-e", "prod", "-d", "orders"])
        self.assertRegex(r.stderr, r"\.mytools\.yaml:5:\d+: .*regoin")

    def test_malformed_aws_ini(self):
        self.home.aws_config(AWS_CONFIG + "this line is not ini\n")
        self.fails(["db", "token", "-e", "prod", "-d", "orders"], 3, r"config:\d+: ")

    def test_missing_region(self):
        self.home.yaml("environments:\n  e:\n    databases:\n      d:\n        host: db.internal\n"
                       "        user: u\n")
        self.home.aws_config("[default]\n")
        self.fails(["db", "token", "-e", "e", "-d", "d"], 3, r"region", AWS_ACCESS_KEY_ID=AKID,
                   AWS_SECRET_ACCESS_KEY=SECRET)

    def test_missing_credentials(self):
        self.home.aws_config("")
        self.home.aws_credentials("")
        r = self.fails(["db", "token", "--host", "h", "--user", "u", "--region", "us-east-1"], 4,
                       r"no AWS credentials", MYTOOLS_CONFIG=os.devnull)
        self.assertIn("hint: ", r.stderr)

    def test_sso_without_cache_needs_login(self):
        r = self.fails(["db", "token", "-e", "prod", "-d", "orders"], 4, r"SSO")
        self.assertIn("hint: run 'mytools sso login --profile prod-engineer'", r.stderr)

    def test_expiring_or_expired_cache(self):
        write_cli_cache(self.home, 10)  # AWS CLI rule: < 15 min left is not reused
        self.fails(["db", "token", "-e", "prod", "-d", "orders"], 4, r"15 minutes")
        write_cli_cache(self.home, -30)
        self.fails(["db", "token", "-e", "prod", "-d", "orders"], 4, r"SSO")

    def test_expired_env_credentials(self):
        self.fails(["db", "token", "--host", "h", "--user", "u", "--region", "us-east-1"], 4,
                   r"expired", AWS_ACCESS_KEY_ID=AKID, AWS_SECRET_ACCESS_KEY=SECRET,
                   AWS_CREDENTIAL_EXPIRATION="2001-01-01T00:00:00Z", MYTOOLS_CONFIG=os.devnull)

    def test_corrupt_cli_cache_is_ignored(self):
        path, _ = write_cli_cache(self.home, 60)
        with open(path, "a") as f:
            f.write("}garbage")
        self.fails(["db", "token", "-e", "prod", "-d", "orders"], 4, r"SSO")

    def test_usage_errors(self):
        self.fails(["db", "token", "--bogus"], 2, r"unknown option '--bogus'")
        self.fails(["db", "token", "-e", "prod", "-d", "orders", "--format", "xml"], 2,
                   r"--format")
        self.fails(["db", "token", "--host", "h", "--user", "u", "--port", "0"], 2, r"--port")
        self.fails(["db", "token"], 2, r"no database given")
        self.fails(["db", "frobnicate"], 2, r"unknown command 'db frobnicate'")
        self.fails(["nope"], 2, r"unknown command 'nope'")
        self.fails(["db", "token", "--env"], 2, r"'--env' needs a value")

    def test_profile_not_found(self):
        self.fails(["db", "token", "-e", "prod", "-d", "orders", "--profile", "ghost"], 3,
                   r"profile 'ghost' not found")

    def test_explicit_missing_config(self):
        self.fails(["db", "list", "--config", "/nonexistent/x.yaml"], 3, r"/nonexistent/x.yaml")


class ListAndDispatch(Base):
    def test_list_text_and_json(self):
        r = self.ok(["db", "list"])
        self.assertIn("production (aliases: prod)", r.stdout)
        self.assertRegex(r.stdout, r"orders +%s:3306" % re.escape(HOST))
        r = self.ok(["db", "list", "--format", "json", "--env", "prod"])
        envs = json.loads(r.stdout)
        self.assertEqual([e["name"] for e in envs], ["production"])
        dbs = {d["name"]: d for d in envs[0]["databases"]}
        self.assertEqual(dbs["payments"]["engine"], "postgres")
        self.assertEqual(dbs["payments"]["port"], 5432)
        self.assertEqual(dbs["payments"]["region"], "eu-central-1")
        self.assertEqual(dbs["orders"]["profile"], "prod-engineer")

    def test_help_paths_agree(self):
        a = self.ok(["db", "token", "--help"]).stdout
        b = self.ok(["help", "db", "token"]).stdout
        c = self.ok(["--help", "db", "token"]).stdout
        self.assertTrue(a.startswith("usage: mytools db token"))
        self.assertEqual(a, b)
        self.assertEqual(a, c)
        top = self.ok(["--help"]).stdout
        self.assertTrue(top.startswith("usage: "))
        self.assertIn("db token", top)

    def test_version(self):
        out = self.ok(["--version"]).stdout.splitlines()
        self.assertRegex(out[0], r"^mytools \d+\.\d+\.\d+$")
        self.assertTrue(any(l.startswith("libsodium ") for l in out))
        self.assertTrue(any(l.startswith("OpenSSL ") for l in out))
        self.assertTrue(any(re.match(r"^libcurl \d+\.\d+", l) for l in out), out)

    def test_install_links_and_applets(self):
        d = tempfile.mkdtemp(dir=self.home.path)
        self.ok(["--install", "-s", d])
        names = sorted(os.listdir(d))
        listed = sorted(self.ok(["--list"]).stdout.split())
        self.assertEqual(names, listed)
        self.assertIn("mkpassword", names)
        self.ok(["--install", "-s", d])  # idempotent
        # never overwrites a file that is not such a link
        os.remove(os.path.join(d, "db-list"))  # (writing through the link would hit the binary)
        with open(os.path.join(d, "db-list"), "w") as f:
            f.write("mine")
        os.remove(os.path.join(d, "db-token"))
        r = run(["--install", "-s", d], self.home.env())
        self.assertEqual(r.returncode, 1)
        self.assertIn("not replacing", r.stderr)
        with open(os.path.join(d, "db-list")) as f:
            self.assertEqual(f.read(), "mine")
        self.assertTrue(os.path.islink(os.path.join(d, "db-token")))
        # a link runs its applet: db-token --help == mytools db token --help
        via = subprocess.run([os.path.join(d, "db-token"), "--help"], stdout=subprocess.PIPE,
                             text=True, env=self.home.env())
        self.assertEqual(via.stdout, self.ok(["db", "token", "--help"]).stdout)
        mk = subprocess.run([os.path.join(d, "mkpassword"), "--help"], stdout=subprocess.PIPE,
                            text=True, env=self.home.env())
        self.assertEqual(mk.stdout, self.ok(["mkpassword", "--help"]).stdout)
        self.assertTrue(mk.stdout.startswith("usage: mytools mkpassword"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
