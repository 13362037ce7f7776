"""config init: interactively through a tmux pseudo-terminal (profile names completed from
~/.aws/config), and --discover against moto_server with signature checking on (two instances,
one without IAM auth, an Aurora cluster, an RDS Proxy). botocore's view of moto is the oracle
for the discovered databases; the written file passes `config check --strict` and mytools reads
it back (db list --format json, db token --format json)."""
import json
import os
import shlex
import stat
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import awsfix  # noqa: E402
import mtlib  # noqa: E402
from tmuxlib import Tmux  # noqa: E402


class InteractiveInit(unittest.TestCase):
    def setUp(self):
        self.home = mtlib.Home()
        self.home.aws_config("[profile dev]\nregion = us-west-2\n"
                             "[profile prod-admin]\nregion = eu-central-1\n")
        self.home.aws_credentials("[prod-admin]\naws_access_key_id = %s\n"
                                  "aws_secret_access_key = %s\n" % (mtlib.AKID, mtlib.SECRET))
        self.env = self.home.env(USER="tester")
        self.path = os.path.join(self.home.path, ".mytools.yaml")

    def tearDown(self):
        self.home.cleanup()

    def start(self, *args):
        t = Tmux(self.env)
        t.start(" ".join(shlex.quote(a) for a in [mtlib.MYTOOLS, "config", "init"] + list(args)))
        return t

    def test_questions_with_completion_write_a_working_config(self):
        t = self.start()
        try:
            t.wait_for("AWS profile for the tokens [default]: ")
            t.literal("prod-")
            t.keys("Tab")
            t.wait_for("[default]: prod-admin ")
            t.keys("Enter")
            t.wait_for("AWS region [eu-central-1]: ")  # the profile's region is the default
            t.keys("Enter")
            t.wait_for("environment name")
            t.literal("production")
            t.keys("Enter")
            t.wait_for("database name")
            t.literal("orders")
            t.keys("Enter")
            t.wait_for("endpoint host name: ")
            t.literal("orders.abc.eu-central-1.rds.amazonaws.com")
            t.keys("Enter")
            t.wait_for("engine [mysql]: ")
            t.literal("post")
            t.keys("Tab")
            t.wait_for("engine [mysql]: postgres")
            t.keys("Enter")
            t.wait_for("IAM authentication [tester]: ")
            t.literal("app_user")
            t.keys("Enter")
            self.assertEqual(t.wait_exit(), 0, t.screen())
        finally:
            t.close()
        self.assertEqual(stat.S_IMODE(os.stat(self.path).st_mode), 0o600)
        r = mtlib.run(["config", "check", "--strict"], self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = mtlib.run(["db", "token", "-e", "production", "-d", "orders", "--format", "json"],
                      self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        j = json.loads(r.stdout)
        self.assertEqual((j["host"], j["port"], j["user"], j["region"], j["engine"]),
                         ("orders.abc.eu-central-1.rds.amazonaws.com", 5432, "app_user",
                          "eu-central-1", "postgres"))
        r = mtlib.run(["db", "list", "--format", "json"], self.env)
        self.assertEqual(json.loads(r.stdout)[0]["databases"][0]["profile"], "prod-admin")

    def test_ctrl_d_cancels_and_writes_nothing(self):
        t = self.start()
        try:
            t.wait_for("AWS profile")
            t.keys("Enter")
            t.wait_for("AWS region")
            t.literal("eu-west-1")
            t.keys("Enter")
            t.wait_for("environment name")
            t.keys("C-d")
            self.assertEqual(t.wait_exit(), 2)
        finally:
            t.close()
        self.assertFalse(os.path.exists(self.path))

    def test_refuses_to_overwrite_without_force(self):
        self.home.yaml("# mine\n")
        r = mtlib.run(["config", "init"], self.env)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("exists: not overwriting it", r.stderr)
        self.assertIn("--force", r.stderr)
        with open(self.path) as f:
            self.assertEqual(f.read(), "# mine\n")

    def test_without_terminal_needs_discover(self):
        r = mtlib.run(["config", "init"], self.env, input="")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--discover", r.stderr)
        self.assertFalse(os.path.exists(self.path))


class DiscoverInit(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.moto = awsfix.Moto().start()
        m = cls.moto
        rds = awsfix.make_fleet(m)
        # the oracle: what botocore reads from moto
        cls.want = {}
        for d in rds.describe_db_instances()["DBInstances"]:
            cls.want[d["DBInstanceIdentifier"]] = (d["Endpoint"]["Address"],
                                                   d["Endpoint"]["Port"], d["Engine"],
                                                   d["IAMDatabaseAuthenticationEnabled"])
        for d in rds.describe_db_clusters()["DBClusters"]:
            e = "postgres" if "postgres" in d["Engine"] else "mysql"
            cls.want[d["DBClusterIdentifier"]] = (d["Endpoint"], d["Port"], e,
                                                  d["IAMDatabaseAuthenticationEnabled"])
            cls.want[d["DBClusterIdentifier"] + "-reader"] = (
                d["ReaderEndpoint"], d["Port"], e, d["IAMDatabaseAuthenticationEnabled"])
        for d in rds.describe_db_proxies()["DBProxies"]:
            cls.want[d["DBProxyName"]] = (d["Endpoint"], 3306, "mysql", True)

    @classmethod
    def tearDownClass(cls):
        cls.moto.stop()

    def setUp(self):
        self.home = mtlib.Home()
        self.home.aws_credentials(self.moto.credentials_ini("acct"))
        self.home.aws_config("[profile acct]\n")
        self.env = self.home.env(AWS_ENDPOINT_URL_RDS=self.moto.endpoint,
                                 AWS_ENDPOINT_URL_STS=self.moto.endpoint, USER="tester")
        self.path = os.path.join(self.home.path, ".mytools.yaml")

    def tearDown(self):
        self.home.cleanup()

    def discover(self, *extra):
        return mtlib.run(["--profile", "acct", "config", "init", "--discover", "--region",
                          self.moto.region] + list(extra), self.env, timeout=120)

    def test_discover_writes_every_database_and_marks_no_iam(self):
        r = self.discover()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "")
        self.assertEqual(stat.S_IMODE(os.stat(self.path).st_mode), 0o600)
        self.assertIn("1 without IAM authentication", r.stderr)
        r = mtlib.run(["config", "check", "--strict"], self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = mtlib.run(["db", "list", "--format", "json"], self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        envs = json.loads(r.stdout)
        self.assertEqual([e["name"] for e in envs], ["acct"])  # one environment
        got = {d["name"]: (d["host"], d["port"], d["engine"], d["profile"], d["region"], d["user"])
               for d in envs[0]["databases"]}
        self.assertEqual(sorted(got), sorted(self.want))
        for name, (host, port, engine, _) in self.want.items():
            self.assertEqual(got[name], (host, port, engine, "acct", self.moto.region, "tester"),
                             name)
        with open(self.path) as f:
            text = f.read()
        for name, (_, _, _, iam) in self.want.items():
            marked = "IAM database authentication is OFF" in text.split('"%s":' % name)[0] \
                .rsplit("\n", 2)[-2]
            self.assertEqual(marked, not iam, name)

    def test_env_and_user_flags_and_force(self):
        self.assertEqual(self.discover().returncode, 0)
        r = self.discover("--env", "prod", "--user", "iam_app")
        self.assertEqual(r.returncode, 1)
        self.assertIn("--force", r.stderr)
        r = self.discover("--env", "prod", "--user", "iam_app", "--force")
        self.assertEqual(r.returncode, 0, r.stderr)
        envs = json.loads(mtlib.run(["db", "list", "--format", "json"], self.env).stdout)
        self.assertEqual(envs[0]["name"], "prod")
        self.assertEqual({d["user"] for d in envs[0]["databases"]}, {"iam_app"})

    def test_wrong_secret_is_an_auth_error_and_writes_nothing(self):
        self.home.aws_credentials("[acct]\naws_access_key_id = %s\naws_secret_access_key = %s\n"
                                  % (self.moto.access_key_id, "x" * 40))
        r = self.discover()
        self.assertIn(r.returncode, (1, 4), r.stderr)
        self.assertFalse(os.path.exists(self.path))
        self.assertNotIn("x" * 40, r.stderr)


if __name__ == "__main__":
    unittest.main()
