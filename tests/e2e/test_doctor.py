"""`mytools db doctor` end to end: the real binary against real peers.

- moto_server (signature checking on): an instance with IAM auth on, one with it off, an Aurora
  cluster and an RDS Proxy; the resource ARN is built from what botocore reads from moto
  (DbiResourceId / DbClusterResourceId / prx- id) and the account from STS; AccessDenied -> skip.
- offline causes: region mismatch, a tunnel address signed, expired credentials, a clock 20
  minutes off (faketime) -> the matching fail lines.
- a CNAME chain ending at an RDS name: dnsmasq (dnsmasq-base) on 127.0.0.1 in `unshare -n -m`
  with a bind-mounted /etc/resolv.conf, so no query leaves the namespace.
- real PostgreSQL and MariaDB with TLS (a CA made here with `openssl req`): verified handshake ok;
  the wrong CA, a certificate for another name, a server without TLS -> fail with the right fix;
  --login with a wrong password (the token is no password there) -> the server's message.
- no output (-v included) carries the secret key, the session token or a token.

Every AWS endpoint is loopback (AWS_ENDPOINT_URL*); the probe connects to 127.0.0.1 only
(connect_host), and DNS is only asked inside a namespace with its own resolver.
"""
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import awsfix  # noqa: E402
import mtlib  # noqa: E402
from test_rds import make_fleet  # noqa: E402

WAIT = 60
NAME = "mydb.abc123xyz.us-east-1.rds.amazonaws.com"
SESSION = "FwoGZXIvYXdzEXAMPLEsessionTOKENdoctor"


_held = []


def closed_port():
    """A loopback port that refuses connections for the whole run: bound (so no parallel test
    can take it) but never listening."""
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    _held.append(s)
    return s.getsockname()[1]


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=60, **kw)


def make_pki(d):
    """ca (good), wrong-ca, server (NAME + 127.0.0.1, 400 days), soon (NAME, 10 days), all EC."""
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    for name in ("ca", "wrong-ca"):
        run(["openssl", "req", "-x509", *ec, "-keyout", f"{d}/{name}.key", "-out",
             f"{d}/{name}.pem", "-days", "800", "-subj", f"/CN=mytools doctor {name}",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
    for name, days in (("server", 400), ("soon", 10)):
        run(["openssl", "req", *ec, "-keyout", f"{d}/{name}.key", "-out", f"{d}/{name}.csr",
             "-subj", f"/CN={NAME}"])
        with open(f"{d}/{name}.cnf", "w") as f:
            f.write(f"subjectAltName=DNS:{NAME},IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
                    "extendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n")
        run(["openssl", "x509", "-req", "-in", f"{d}/{name}.csr", "-CA", f"{d}/ca.pem", "-CAkey",
             f"{d}/ca.key", "-CAcreateserial", "-out", f"{d}/{name}.pem", "-days", str(days),
             "-extfile", f"{d}/{name}.cnf"])
    for f in os.listdir(d):
        os.chmod(os.path.join(d, f), 0o644 if not f.endswith(".key") else 0o600)


def doctor(home, args, env_extra=None, faketime=None, timeout=90):
    env = home.env(**(env_extra or {}))
    r = mtlib.run(["db", "doctor"] + list(args), env, faketime=faketime, timeout=timeout)
    # a sanitizer build reports on stderr: no check may hide one behind a parsed answer
    assert "Sanitizer" not in r.stderr and "runtime error" not in r.stderr, r.stderr
    return r


def checks_of(r):
    doc = json.loads(r.stdout)
    return doc, {c["name"]: c for c in doc["checks"]}


def offline_env(**extra):
    """Static keys and AWS endpoints that refuse connections (STS/RDS checks then warn/skip)."""
    dead = "http://127.0.0.1:%d" % closed_port()
    env = {"AWS_ACCESS_KEY_ID": mtlib.AKID, "AWS_SECRET_ACCESS_KEY": mtlib.SECRET,
           "AWS_ENDPOINT_URL": dead, "AWS_REGION": "us-east-1"}
    env.update(extra)
    return env


class Offline(unittest.TestCase):
    """Checks that need no peer: each cause gets its fail line."""

    def setUp(self):
        self.home = mtlib.Home()
        self.addCleanup(self.home.cleanup)
        self.port = closed_port()

    def test_region_mismatch(self):
        r = doctor(self.home, ["--host", "db1.abc.eu-west-1.rds.amazonaws.com", "--user", "app",
                               "--connect-host", "127.0.0.1", "--connect-port", str(self.port),
                               "--region", "us-east-1", "--format", "json"], offline_env())
        self.assertEqual(r.returncode, 1, r.stderr)
        _, c = checks_of(r)
        self.assertEqual(c["region"]["status"], "fail")
        self.assertIn("eu-west-1", c["region"]["evidence"])
        self.assertIn("us-east-1", c["region"]["evidence"])
        self.assertIn("--region eu-west-1", c["region"]["fix"])

    def test_region_from_host_name_is_ok(self):
        r = doctor(self.home, ["--host", "db1.abc.eu-west-1.rds.amazonaws.com", "--user", "app",
                               "--connect-host", "127.0.0.1", "--connect-port", str(self.port),
                               "--format", "json"], offline_env())
        _, c = checks_of(r)
        self.assertEqual(c["region"]["status"], "ok")
        self.assertIn("(host name)", c["resolution"]["evidence"])

    def test_dsql_region_mismatch(self):
        r = doctor(self.home, ["--host", "abcdefghijklmnopqrstuvwxyz.dsql.eu-north-1.on.aws",
                               "--user", "admin", "--region", "us-east-1", "--connect-host",
                               "127.0.0.1", "--connect-port", str(self.port), "--format", "json"],
                   offline_env())
        _, c = checks_of(r)
        self.assertEqual(c["region"]["status"], "fail")
        self.assertIn("eu-north-1", c["region"]["evidence"])
        self.assertEqual(c["endpoint name"]["status"], "ok")

    def test_control_characters_are_escaped_in_text(self):
        host = "db1\x1b[2J.corp\x07.test"
        # not an AWS name: its CNAME look-up runs, so in a namespace where no query can leave
        r = subprocess.run(["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$@"', "sh",
                            mtlib.MYTOOLS, "db", "doctor", "--host", host, "--user",
                            "app\x1b]0;x\x07", "--connect-host", "127.0.0.1", "--connect-port",
                            str(self.port)], env=self.home.env(**offline_env()),
                           capture_output=True, text=True, timeout=90)
        self.assertNotIn("\x1b", r.stdout)
        self.assertNotIn("\x07", r.stdout)
        self.assertIn("db1\\e[2J.corp\\x07.test", r.stdout)
        self.assertNotIn("\x1b", r.stderr)

    def test_tunnel_address_signed(self):
        r = doctor(self.home, ["--host", "127.0.0.1", "--port", str(self.port), "--user", "app",
                               "--format", "json"], offline_env())
        self.assertEqual(r.returncode, 1)
        _, c = checks_of(r)
        self.assertEqual(c["endpoint name"]["status"], "fail")
        self.assertIn("--connect-host 127.0.0.1", c["endpoint name"]["fix"])
        self.assertIn("connect_host", c["endpoint name"]["fix"])

    def test_expired_credentials(self):
        r = doctor(self.home, ["--host", NAME, "--user", "app", "--connect-host", "127.0.0.1",
                               "--connect-port", str(self.port), "--format", "json"],
                   offline_env(AWS_SESSION_TOKEN=SESSION,
                               AWS_CREDENTIAL_EXPIRATION=awsfix.iso_z(time.time() - 600)))
        self.assertEqual(r.returncode, 1, r.stderr)
        _, c = checks_of(r)
        self.assertEqual(c["credentials"]["status"], "fail")
        self.assertIn("expired", c["credentials"]["evidence"])
        self.assertTrue(c["credentials"]["fix"])

    def test_short_credentials_warn(self):
        r = doctor(self.home, ["--host", NAME, "--user", "app", "--connect-host", "127.0.0.1",
                               "--connect-port", str(self.port), "--format", "json"],
                   offline_env(AWS_SESSION_TOKEN=SESSION,
                               AWS_CREDENTIAL_EXPIRATION=awsfix.iso_z(time.time() + 300)))
        _, c = checks_of(r)
        # STS is unreachable here: the expiry is still judged from what the chain returned
        self.assertEqual(c["credentials"]["status"], "warn")
        self.assertRegex(c["credentials"]["evidence"], r"\((4|5) min left\)")
        self.assertIn("not 15", c["credentials"]["fix"])

    def test_connect_refused_is_network_fail(self):
        r = doctor(self.home, ["--host", NAME, "--user", "app", "--connect-host", "127.0.0.1",
                               "--connect-port", str(self.port), "--format", "json"],
                   offline_env())
        _, c = checks_of(r)
        self.assertEqual(c["network and TLS"]["status"], "fail")
        self.assertIn("refused", c["network and TLS"]["evidence"])

    def test_usage_and_config_errors_exit_early(self):
        r = doctor(self.home, ["--format", "yaml", "--host", NAME, "--user", "a"], offline_env())
        self.assertEqual(r.returncode, 2)
        r = doctor(self.home, ["-e", "nope", "-d", "x"], offline_env())
        self.assertEqual(r.returncode, 3, r.stderr)
        r = doctor(self.home, ["--host", NAME, "--user", "a", "--profile", "nope"], offline_env())
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertIn("profile 'nope' not found", r.stderr)
        self.assertEqual(r.stdout, "")

    def test_text_output_has_every_check(self):
        r = doctor(self.home, ["--host", "db1.abc.eu-west-1.rds.amazonaws.com", "--user", "App",
                               "--connect-host", "127.0.0.1", "--connect-port", str(self.port),
                               "--region", "us-east-1"], offline_env())
        self.assertEqual(r.returncode, 1)
        for name in ("resolution", "region", "endpoint name", "credentials", "clock", "database",
                     "user name", "network and TLS"):
            self.assertRegex(r.stdout, r"(?m)^  (ok|warn|fail|skip) +%s " % name)
        self.assertRegex(r.stdout, r"(?m)^  fail +region .*\n +fix: ")
        self.assertRegex(r.stdout, r"(?m)^  warn +user name ")


class WithMoto(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.moto = awsfix.Moto().start()
        cls.rds = make_fleet(cls.moto)
        dbs = {d["DBInstanceIdentifier"]: d for d in cls.rds.describe_db_instances()["DBInstances"]}
        cls.inst_on, cls.inst_off = dbs["pg-iam"], dbs["my-noiam"]
        cls.cluster = cls.rds.describe_db_clusters()["DBClusters"][0]
        cls.proxy = cls.rds.describe_db_proxies()["DBProxies"][0]
        cls.account = cls.moto.caller_identity()["Account"]

    @classmethod
    def tearDownClass(cls):
        cls.moto.stop()

    def setUp(self):
        self.home = mtlib.Home()
        self.addCleanup(self.home.cleanup)

    def env(self, keys=None, **extra):
        e = {"AWS_ACCESS_KEY_ID": (keys or {}).get("AccessKeyId", self.moto.access_key_id),
             "AWS_SECRET_ACCESS_KEY": (keys or {}).get("SecretAccessKey",
                                                       self.moto.secret_access_key),
             "AWS_ENDPOINT_URL_STS": self.moto.endpoint, "AWS_ENDPOINT_URL_RDS": self.moto.endpoint,
             "AWS_REGION": self.moto.region}
        e.update(extra)
        return e

    def run_for(self, host, port, engine, user="iam_user", keys=None, faketime=None, extra=()):
        args = ["--host", host, "--port", str(port), "--engine", engine, "--user", user,
                "--connect-host", "127.0.0.1", "--connect-port", str(closed_port()),
                "--format", "json"] + list(extra)
        r = doctor(self.home, args, self.env(keys), faketime=faketime)
        return r, checks_of(r)

    def expected_arn(self, resource_id, user="iam_user"):
        return "arn:aws:rds-db:%s:%s:dbuser:%s/%s" % (self.moto.region, self.account, resource_id,
                                                       user)

    def test_instance_with_iam_auth(self):
        d = self.inst_on
        r, (doc, c) = self.run_for(d["Endpoint"]["Address"], d["Endpoint"]["Port"], "postgres")
        self.assertEqual(c["credentials"]["status"], "ok", c["credentials"])
        self.assertIn(self.account, c["credentials"]["evidence"])
        self.assertEqual(c["clock"]["status"], "ok", c["clock"])
        self.assertEqual(c["database"]["status"], "ok", c["database"])
        self.assertIn("pg-iam", c["database"]["evidence"])
        arn = self.expected_arn(d["DbiResourceId"])
        self.assertIn(arn, c["policy"]["evidence"])
        self.assertEqual(doc["policy"], {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "rds-db:connect", "Resource": arn}]})
        self.assertEqual(doc["target"]["account"], self.account)

    def test_instance_without_iam_auth(self):
        d = self.inst_off
        r, (doc, c) = self.run_for(d["Endpoint"]["Address"], d["Endpoint"]["Port"], "mysql")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(c["database"]["status"], "fail", c["database"])
        self.assertIn("IAM database authentication off", c["database"]["evidence"])
        self.assertIn("--enable-iam-database-authentication", c["database"]["fix"])
        self.assertIn("my-noiam", c["database"]["fix"])

    def test_engine_and_port_differ_warn(self):
        d = self.inst_on
        r, (doc, c) = self.run_for(d["Endpoint"]["Address"], 3306, "mysql")
        self.assertEqual(c["database"]["status"], "warn", c["database"])

    def test_cluster(self):
        d = self.cluster
        for host in (d["Endpoint"], d["ReaderEndpoint"]):
            r, (doc, c) = self.run_for(host, d["Port"], "postgres")
            self.assertEqual(c["database"]["status"], "ok", c["database"])
            self.assertEqual(doc["policy"]["Statement"][0]["Resource"],
                             self.expected_arn(d["DbClusterResourceId"]))

    def test_aurora_member_uses_the_cluster_resource_id(self):
        rds = self.moto.client("rds")
        rds.create_db_cluster(DBClusterIdentifier="aurora-m", Engine="aurora-mysql",
                              MasterUsername="master", MasterUserPassword="not-used-123",
                              EnableIAMDatabaseAuthentication=True)
        inst = rds.create_db_instance(DBInstanceIdentifier="aurora-m-1", Engine="aurora-mysql",
                                      DBInstanceClass="db.r5.large",
                                      DBClusterIdentifier="aurora-m")["DBInstance"]
        cl = [d for d in rds.describe_db_clusters()["DBClusters"]
              if d["DBClusterIdentifier"] == "aurora-m"][0]
        inst = [d for d in rds.describe_db_instances()["DBInstances"]
                if d["DBInstanceIdentifier"] == "aurora-m-1"][0]
        self.assertNotEqual(inst["DbiResourceId"], cl["DbClusterResourceId"])
        r, (doc, c) = self.run_for(inst["Endpoint"]["Address"], inst["Endpoint"]["Port"], "mysql")
        self.assertEqual(c["database"]["status"], "ok", c["database"])
        self.assertEqual(doc["policy"]["Statement"][0]["Resource"],
                         self.expected_arn(cl["DbClusterResourceId"]))

    def test_proxy(self):
        d = self.proxy
        r, (doc, c) = self.run_for(d["Endpoint"], 3306, "mysql", user="App")
        self.assertEqual(c["database"]["status"], "ok", c["database"])
        prx = d["DBProxyArn"].rsplit(":", 1)[1]
        self.assertTrue(prx.startswith("prx-"))
        self.assertEqual(doc["policy"]["Statement"][0]["Resource"], self.expected_arn(prx, "App"))
        self.assertEqual(c["user name"]["status"], "warn")

    def test_access_denied_is_skip(self):
        iam = self.moto.client("iam")
        iam.create_user(UserName="doctor-no-rds")
        iam.put_user_policy(UserName="doctor-no-rds", PolicyName="sts", PolicyDocument=json.dumps(
            {"Version": "2012-10-17",
             "Statement": [{"Effect": "Allow", "Action": "sts:*", "Resource": "*"}]}))
        k = iam.create_access_key(UserName="doctor-no-rds")["AccessKey"]
        d = self.inst_on
        r, (doc, c) = self.run_for(d["Endpoint"]["Address"], 5432, "postgres", keys=k)
        self.assertEqual(c["database"]["status"], "skip", c["database"])
        self.assertIn("rds:DescribeDBInstances", c["database"]["evidence"])
        self.assertEqual(c["credentials"]["status"], "ok")

    def test_clock_20_minutes_off(self):
        d = self.inst_on
        r, (doc, c) = self.run_for(d["Endpoint"]["Address"], 5432, "postgres", faketime="+20m")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(c["clock"]["status"], "fail", c["clock"])
        self.assertRegex(c["clock"]["evidence"], r"\b(19|20) min .* ahead of AWS")
        self.assertIn("clock", c["clock"]["fix"])

    def test_wrong_secret_fails_credentials(self):
        k = {"AccessKeyId": self.moto.access_key_id,
             "SecretAccessKey": "wrong" + self.moto.secret_access_key[5:]}
        d = self.inst_on
        r, (doc, c) = self.run_for(d["Endpoint"]["Address"], 5432, "postgres", keys=k)
        self.assertEqual(c["credentials"]["status"], "fail")
        self.assertIn("SignatureDoesNotMatch", c["credentials"]["evidence"])
        self.assertEqual(c["database"]["status"], "skip")

    def test_no_secret_in_any_output(self):
        d = self.inst_on
        args = ["-v", "--host", d["Endpoint"]["Address"], "--port", "5432", "--engine",
                "postgres", "--user", "iam_user", "--connect-host", "127.0.0.1",
                "--connect-port", str(closed_port())]
        for fmt in ("text", "json"):
            r = doctor(self.home, args + ["--format", fmt],
                       self.env(AWS_SESSION_TOKEN=SESSION))
            out = r.stdout + r.stderr
            self.assertIn("debug", out.lower())   # -v did produce lines
            for s in (self.moto.secret_access_key, SESSION, "X-Amz-Signature",
                      "X-Amz-Credential", "X-Amz-Security-Token="):
                self.assertNotIn(s, out)


def ns_script(resolv, dnsmasq_args, doctor_argv, env):
    """A shell script for `unshare -n -m`: loopback up, our resolv.conf bind-mounted, dnsmasq on
    127.0.0.1:53 (ready when it answers), then the doctor run."""
    q = lambda s: "'" + s.replace("'", "'\\''") + "'"  # noqa: E731
    return "\n".join([
        "set -e",
        "ip link set lo up",
        "mount --bind %s /etc/resolv.conf" % q(resolv),
        "%s &" % " ".join(q(a) for a in ["dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null",
                                        "--no-resolv", "--no-hosts", "--bind-interfaces",
                                        "--listen-address=127.0.0.1", "--port=53",
                                        "--pid-file=", "--user=root"] + dnsmasq_args),
        "DNSMASQ=$!",
        "trap 'kill $DNSMASQ 2>/dev/null' EXIT",
        "i=0; until dig +time=1 +tries=1 @127.0.0.1 %s >/dev/null 2>&1; do "
        "i=$((i+1)); [ $i -lt 100 ] || exit 97; sleep 0.05; done" % q(NAME),
        "set +e",
        " ".join("%s=%s" % (k, q(v)) for k, v in env.items()) + " " +
        " ".join(q(a) for a in doctor_argv),
        "echo \"rc=$?\" >&2",
    ])


class CnameChain(unittest.TestCase):
    def setUp(self):
        if not shutil.which("dnsmasq"):
            self.fail("dnsmasq not found: install dnsmasq-base (tests/setup.sh)")
        self.home = mtlib.Home()
        self.addCleanup(self.home.cleanup)
        self.resolv = self.home.write("resolv.conf", "nameserver 127.0.0.1\noptions attempts:1\n",
                                      0o644)

    def run_ns(self, host, dnsmasq_args):
        env = self.home.env(**offline_env())
        argv = [mtlib.MYTOOLS, "db", "doctor", "--host", host, "--user", "app",
                "--connect-port", str(closed_port()), "--format", "json"]
        script = ns_script(self.resolv, dnsmasq_args, argv, env)
        p = subprocess.run(["unshare", "-n", "-m", "sh", "-c", script], env={"PATH": os.environ[
            "PATH"]}, capture_output=True, text=True, timeout=120)
        self.assertIn("rc=", p.stderr, p.stderr)
        return p, checks_of(p)

    def test_chain_ending_at_rds_endpoint(self):
        p, (doc, c) = self.run_ns("app-db.corp.test", [
            "--host-record=%s,127.0.0.1" % NAME, "--cname=alias.corp.test,%s" % NAME,
            "--cname=app-db.corp.test,alias.corp.test"])
        e = c["endpoint name"]
        self.assertEqual(e["status"], "fail", e)
        self.assertIn("app-db.corp.test -> alias.corp.test -> %s" % NAME, e["evidence"])
        self.assertIn("--host %s" % NAME, e["fix"])

    def test_alias_of_a_moto_instance_finds_it_in_aws(self):
        """dnsmasq and moto both inside the namespace: the alias's CNAME target is the endpoint
        DescribeDBInstances reports, so the database check finds the instance behind the alias
        and the policy ARN carries its DbiResourceId."""
        p = subprocess.run(["unshare", "-n", "-m", sys.executable, "-B", os.path.abspath(__file__),
                            "--ns-helper", self.resolv, self.home.path],
                           env=dict(os.environ), capture_output=True, text=True, timeout=240)
        self.assertEqual(p.returncode, 0, p.stderr[-3000:])
        res = json.loads(p.stdout.splitlines()[-1])
        doc, c = res["doctor"], {x["name"]: x for x in res["doctor"]["checks"]}
        self.assertEqual(c["endpoint name"]["status"], "fail", c["endpoint name"])
        self.assertIn(res["endpoint"], c["endpoint name"]["fix"])
        self.assertEqual(c["database"]["status"], "ok", c["database"])
        self.assertEqual(doc["policy"]["Statement"][0]["Resource"],
                         "arn:aws:rds-db:us-east-1:%s:dbuser:%s/app" % (res["account"],
                                                                       res["resource_id"]))

    def test_name_without_cname_warns(self):
        p, (doc, c) = self.run_ns("plain.corp.test", [
            "--host-record=%s,127.0.0.1" % NAME, "--host-record=plain.corp.test,10.1.2.3"])
        e = c["endpoint name"]
        self.assertEqual(e["status"], "warn", e)
        self.assertIn("10.1.2.3", e["evidence"])


# ------------------------------------------------------------------------------------------------
# real servers with TLS
# ------------------------------------------------------------------------------------------------

system_user = mtlib.system_user
chown_tree = mtlib.chown_tree


class TlsServers:
    """Shared by the PostgreSQL and MariaDB classes: PKI, config and result helpers."""

    engine = None

    def config(self, ca="ca", host=NAME):
        return self.home.yaml(
            "environments:\n  t:\n    databases:\n      db:\n"
            "        host: %s\n        connect_host: 127.0.0.1\n        connect_port: %d\n"
            "        engine: %s\n        user: iam_user\n        region: us-east-1\n"
            "        ca_bundle: %s\n" % (host, self.port, self.engine,
                                         os.path.join(self.pki, ca + ".pem")))

    def doctor(self, extra=(), ca="ca", host=NAME):
        self.config(ca, host)
        r = doctor(self.home, ["-e", "t", "-d", "db", "--format", "json"] + list(extra),
                   offline_env())
        return r, checks_of(r)

    def test_verified_handshake_ok(self):
        r, (doc, c) = self.doctor()
        t = c["network and TLS"]
        self.assertEqual(t["status"], "ok", t)
        self.assertIn("CN=" + NAME, t["evidence"])
        self.assertIn("mytools doctor ca", t["evidence"])
        self.assertIsNone(t["fix"])

    def test_wrong_ca(self):
        r, (doc, c) = self.doctor(ca="wrong-ca")
        t = c["network and TLS"]
        self.assertEqual(t["status"], "fail", t)
        self.assertIn("not trusted", t["evidence"])
        self.assertIn("ca_bundle", t["fix"])

    def test_certificate_for_another_name(self):
        other = "other.abc123xyz.us-east-1.rds.amazonaws.com"
        r, (doc, c) = self.doctor(host=other)
        t = c["network and TLS"]
        self.assertEqual(t["status"], "fail", t)
        self.assertIn("not " + other, t["evidence"])
        self.assertIn(NAME, t["evidence"])
        self.assertIn("--host", t["fix"])

    def test_writes_nothing(self):
        def tree():
            out = {}
            for root, dirs, files in os.walk(self.home.path):
                for n in dirs + files:
                    p = os.path.join(root, n)
                    st = os.lstat(p)
                    out[p] = (st.st_mode, st.st_size, st.st_mtime_ns)
            return out
        self.config()
        time.sleep(2.1)   # the config cache skips files changed in the last 2 s: let it apply
        before = tree()
        r = doctor(self.home, ["-e", "t", "-d", "db", "--format", "json", "--login"],
                   offline_env())
        checks_of(r)
        self.assertEqual(tree(), before)

    def test_login_wrong_password_shows_server_message(self):
        r, (doc, c) = self.doctor(["--login"])
        lg = c["login"]
        self.assertEqual(lg["status"], "fail", lg)
        self.assertRegex(lg["evidence"], self.login_error)
        self.assertIn(self.login_fix, lg["fix"])
        self.assertNotIn("X-Amz-Signature", r.stdout + r.stderr)


class Postgres(TlsServers, unittest.TestCase):
    engine = "postgres"
    login_error = r'the server said: .*password authentication failed for user "iam_user"'
    login_fix = "rds_iam"

    @classmethod
    def setUpClass(cls):
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not bins:
            raise AssertionError("PostgreSQL initdb not found (package postgresql)")
        bindir = os.path.dirname(bins[-1])
        cls.pg_ctl = os.path.join(bindir, "pg_ctl")
        cls.psql = os.path.join(bindir, "psql")
        cls.user = system_user("postgres", "nobody")
        cls.dir = tempfile.mkdtemp(prefix="mt-doc-pg-")
        cls.addClassCleanup(shutil.rmtree, cls.dir, True)
        cls.pki = os.path.join(cls.dir, "pki")
        os.mkdir(cls.pki)
        make_pki(cls.pki)
        chown_tree(cls.dir, cls.user)
        cls.data = os.path.join(cls.dir, "data")
        cls.port = awsfix.free_port()
        cls.as_pg([bins[-1], "-D", cls.data, "-U", "postgres", "--auth-local=trust",
                   "--auth-host=scram-sha-256", "-E", "UTF8", "--no-instructions"])
        with open(os.path.join(cls.data, "pg_hba.conf"), "w") as f:
            f.write("local all postgres trust\nhost all all 127.0.0.1/32 scram-sha-256\n")
        # TLS settings in postgresql.conf, not -c: the tests change them with ALTER SYSTEM +
        # reload, which command-line settings would override
        with open(os.path.join(cls.data, "postgresql.conf"), "a") as f:
            f.write(f"ssl = on\nssl_cert_file = '{cls.pki}/server.pem'\n"
                    f"ssl_key_file = '{cls.pki}/server.key'\n")
        opts = (f"-c listen_addresses=127.0.0.1 -c port={cls.port} "
                f"-c unix_socket_directories={cls.dir}")
        cls.addClassCleanup(cls.stop)
        cls.as_pg([cls.pg_ctl, "-D", cls.data, "-o", opts, "-l", os.path.join(cls.dir, "log"),
                   "-w", "-t", str(WAIT), "start"])
        cls.sql("CREATE ROLE iam_user LOGIN PASSWORD 'not-the-token-1';")

    @classmethod
    def as_pg(cls, args):
        r = subprocess.run(args, user=cls.user.pw_uid, group=cls.user.pw_gid, extra_groups=[],
                           cwd=cls.dir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=WAIT, env={"PATH": os.environ.get("PATH", ""), "LC_ALL": "C"})
        if r.returncode != 0:
            raise AssertionError("%s failed: %s" % (args[0], r.stdout.decode()))

    @classmethod
    def sql(cls, text):
        r = subprocess.run([cls.psql, "-X", "-h", cls.dir, "-p", str(cls.port), "-U", "postgres",
                            "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-At", "-c", text],
                           capture_output=True, timeout=WAIT,
                           env={"PATH": os.environ.get("PATH", ""), "LC_ALL": "C",
                                "HOME": cls.dir, "PGPASSFILE": "/dev/null"})
        if r.returncode != 0:
            raise AssertionError(r.stderr.decode())
        return r.stdout.decode()

    @classmethod
    def stop(cls):
        if os.path.exists(os.path.join(cls.data, "postmaster.pid")):
            subprocess.run([cls.pg_ctl, "-D", cls.data, "-m", "fast", "-w", "-t", str(WAIT),
                            "stop"], user=cls.user.pw_uid, group=cls.user.pw_gid,
                           extra_groups=[], capture_output=True, timeout=WAIT + 10)

    def setUp(self):
        self.home = mtlib.Home()
        self.addCleanup(self.home.cleanup)

    def reload_with(self, **settings):
        for k, v in settings.items():
            self.sql("ALTER SYSTEM SET %s = '%s';" % (k, v))
        self.sql("SELECT pg_reload_conf();")
        time.sleep(0)  # the reload is asynchronous: wait until the setting shows
        deadline = time.monotonic() + WAIT
        while any(self.sql("SHOW %s;" % k).strip() != v for k, v in settings.items()):
            if time.monotonic() > deadline:
                raise AssertionError("reload did not apply %s" % settings)
            time.sleep(0.05)

    def test_server_without_tls(self):
        self.reload_with(ssl="off")
        self.addCleanup(self.reload_with, ssl="on")
        r, (doc, c) = self.doctor()
        t = c["network and TLS"]
        self.assertEqual(t["status"], "fail", t)
        self.assertIn("'N'", t["evidence"])
        self.assertIn("needs TLS", t["fix"])

    def test_certificate_expiring_soon_warns(self):
        self.reload_with(ssl_cert_file=self.pki + "/soon.pem", ssl_key_file=self.pki + "/soon.key")
        self.addCleanup(self.reload_with, ssl_cert_file=self.pki + "/server.pem",
                        ssl_key_file=self.pki + "/server.key")
        r, (doc, c) = self.doctor()
        t = c["network and TLS"]
        self.assertEqual(t["status"], "warn", t)
        self.assertRegex(t["evidence"], r"\((9|10) days\)")


class Mariadb(TlsServers, unittest.TestCase):
    engine = "mariadb"
    login_error = r"the server said: .*Access denied for user 'iam_user'"
    login_fix = "AWSAuthenticationPlugin"

    @classmethod
    def setUpClass(cls):
        cls.mariadbd = shutil.which("mariadbd", path="/usr/sbin:/usr/bin")
        cls.install_db = shutil.which("mariadb-install-db")
        cls.client = shutil.which("mariadb")
        if not (cls.mariadbd and cls.install_db and cls.client):
            raise AssertionError("mariadb-server / mariadb-client not installed")
        cls.user = system_user("mysql", "nobody")
        cls.dir = tempfile.mkdtemp(prefix="mt-doc-maria-")
        cls.addClassCleanup(shutil.rmtree, cls.dir, True)
        cls.pki = os.path.join(cls.dir, "pki")
        os.mkdir(cls.pki)
        make_pki(cls.pki)
        cls.data = os.path.join(cls.dir, "data")
        os.mkdir(cls.data)
        chown_tree(cls.dir, cls.user)
        cls.sock = os.path.join(cls.dir, "sock")
        cls.port = awsfix.free_port()
        mtlib.start_mariadb(cls, [f"--ssl-cert={cls.pki}/server.pem",
                                  f"--ssl-key={cls.pki}/server.key", f"--ssl-ca={cls.pki}/ca.pem"],
                            WAIT)
        subprocess.run([cls.client, "--no-defaults", f"--socket={cls.sock}", "-uroot", "-e",
                        "CREATE USER 'iam_user'@'%' IDENTIFIED BY 'not-the-token-1'"],
                       check=True, capture_output=True, timeout=WAIT)

    def setUp(self):
        self.home = mtlib.Home()
        self.addCleanup(self.home.cleanup)


class MariadbWithoutTls(unittest.TestCase):
    """A MariaDB server started without certificates: its greeting has no CLIENT_SSL."""

    @classmethod
    def setUpClass(cls):
        cls.mariadbd = shutil.which("mariadbd", path="/usr/sbin:/usr/bin")
        cls.install_db = shutil.which("mariadb-install-db")
        cls.user = system_user("mysql", "nobody")
        cls.dir = tempfile.mkdtemp(prefix="mt-doc-maria-plain-")
        cls.addClassCleanup(shutil.rmtree, cls.dir, True)
        cls.data = os.path.join(cls.dir, "data")
        os.mkdir(cls.data)
        chown_tree(cls.dir, cls.user)
        cls.port = awsfix.free_port()
        cls.client = shutil.which("mariadb")
        cls.sock = os.path.join(cls.dir, "sock")
        mtlib.start_mariadb(cls, ["--skip-ssl"], WAIT)
        import socket
        sock = os.path.join(cls.dir, "sock")
        deadline = time.monotonic() + WAIT
        while subprocess.run([shutil.which("mariadb"), "--no-defaults", f"--socket={sock}",
                              "-uroot", "-e", "CREATE USER 'iam_user'@'%' IDENTIFIED BY 'x1'"],
                             capture_output=True, timeout=WAIT).returncode != 0:
            if cls.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("mariadbd (without TLS) did not come up")
            time.sleep(0.2)
        deadline = time.monotonic() + WAIT
        while True:   # ready when the greeting arrives
            if cls.proc.poll() is not None:
                raise AssertionError("mariadbd exited")
            try:
                with socket.create_connection(("127.0.0.1", cls.port), timeout=2) as s:
                    if s.recv(4):
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("mariadbd did not come up")
            time.sleep(0.2)

    def test_server_without_tls(self):
        home = mtlib.Home()
        self.addCleanup(home.cleanup)
        r = doctor(home, ["--host", NAME, "--user", "iam_user", "--engine", "mariadb",
                          "--connect-host", "127.0.0.1", "--connect-port", str(self.port),
                          "--format", "json"], offline_env())
        _, c = checks_of(r)
        t = c["network and TLS"]
        self.assertEqual(t["status"], "fail", t)
        self.assertIn("does not offer TLS", t["evidence"])
        self.assertIn("needs TLS", t["fix"])


def ns_helper(resolv, home_path):
    """Runs inside `unshare -n -m` (see CnameChain): loopback up, resolv.conf bind-mounted,
    moto + dnsmasq on 127.0.0.1, one doctor run; prints one JSON line."""
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    subprocess.run(["mount", "--bind", resolv, "/etc/resolv.conf"], check=True)
    moto = awsfix.Moto().start()
    dns = None
    try:
        rds = moto.client("rds")
        d = rds.create_db_instance(DBInstanceIdentifier="behind-alias", Engine="postgres",
                                   DBInstanceClass="db.t3.micro", MasterUsername="master",
                                   MasterUserPassword="not-used-123",
                                   EnableIAMDatabaseAuthentication=True)["DBInstance"]
        d = rds.describe_db_instances(DBInstanceIdentifier="behind-alias")["DBInstances"][0]
        endpoint = d["Endpoint"]["Address"]
        dns = subprocess.Popen(["dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null",
                                "--no-resolv", "--no-hosts", "--bind-interfaces",
                                "--listen-address=127.0.0.1", "--port=53", "--pid-file=",
                                "--user=root", "--host-record=%s,127.0.0.1" % endpoint,
                                "--cname=orders-db.corp.test,%s" % endpoint],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + WAIT
        while subprocess.run(["dig", "+time=1", "+tries=1", "+short", "@127.0.0.1",
                              "orders-db.corp.test"], capture_output=True,
                             text=True).stdout.strip() == "":
            if time.monotonic() > deadline:
                raise RuntimeError("dnsmasq did not answer")
            time.sleep(0.05)
        env = mtlib.clean_env(home_path, AWS_ACCESS_KEY_ID=moto.access_key_id,
                              AWS_SECRET_ACCESS_KEY=moto.secret_access_key,
                              AWS_ENDPOINT_URL_STS=moto.endpoint,
                              AWS_ENDPOINT_URL_RDS=moto.endpoint, AWS_REGION=moto.region)
        r = mtlib.run(["db", "doctor", "--host", "orders-db.corp.test", "--user", "app",
                       "--engine", "postgres", "--connect-port", str(closed_port()),
                       "--format", "json"], env, timeout=120)
        print(json.dumps({"doctor": json.loads(r.stdout), "endpoint": endpoint,
                          "resource_id": d["DbiResourceId"], "account": moto.account_id}))
    finally:
        if dns:
            dns.kill()
            dns.wait()
        moto.stop()


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--ns-helper":
        ns_helper(sys.argv[2], sys.argv[3])
        sys.exit(0)
    unittest.main(verbosity=2)
