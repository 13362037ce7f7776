"""Every AWS credential source (issue 8) and issue 7 defects 4 and 11, driving the real binary.

STS: moto_server with signature checking on, every STS call recorded by credfix.RecordingProxy.
The db token of each case is compared with botocore's generate_db_auth_token for exactly the
credentials moto issued (taken from the recorded STS response), at the clock faketime pins.
Container and IMDS credentials come from stdlib fakes on loopback; IMDS tests also run inside
`unshare -n` (lo up) so nothing can reach 169.254.169.254.
"""
import datetime
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse
from unittest import mock

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import awsfix  # noqa: E402
import credfix  # noqa: E402
import mtlib  # noqa: E402

import botocore.auth  # noqa: E402

MYTOOLS = awsfix.mytools_path()
HOST, PORT, USER, REGION = "db1.abc123.us-east-1.rds.amazonaws.com", 3306, "app_user", "us-east-1"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]})


def pinned_now():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def botocore_token(akid, secret, token, when, host=HOST, port=PORT, user=USER, region=REGION):
    s = awsfix.isolated_session()
    c = s.create_client("rds", region_name=region, aws_access_key_id=akid,
                        aws_secret_access_key=secret, aws_session_token=token)
    with mock.patch.object(botocore.auth, "get_current_datetime", lambda *a, **k: when.replace(tzinfo=None)):
        return c.generate_db_auth_token(DBHostname=host, Port=port, DBUsername=user, Region=region)


def token_akid(tok):
    q = urllib.parse.parse_qs(tok.split("?", 1)[1])
    return q["X-Amz-Credential"][0].split("/")[0]


def run(args, env, faketime=None, timeout=60, input=None):
    cmd = [MYTOOLS] + list(args)
    if faketime:
        env = dict(env, **mtlib.faketime_vars(faketime, env))
    return subprocess.run(cmd, env=env, input=input, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, timeout=timeout,
                          stdin=None if input is not None else subprocess.DEVNULL)


def token_args(fmt="json"):
    return ["db", "token", "--host", HOST, "--port", str(PORT), "--user", USER, "--region", REGION,
            "--format", fmt]


def creds_of(resp_xml):
    return (credfix.xml_text(resp_xml, "AccessKeyId"), credfix.xml_text(resp_xml, "SecretAccessKey"),
            credfix.xml_text(resp_xml, "SessionToken"), credfix.xml_text(resp_xml, "Expiration"))


class StsBase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.moto = awsfix.Moto().start()
        try:
            iam = cls.moto.client("iam")
            cls.roles = {}
            for r in ("R1", "R2", "RW", "RA"):
                cls.roles[r] = iam.create_role(RoleName=r, AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
                iam.put_role_policy(RoleName=r, PolicyName="all", PolicyDocument=awsfix.ALLOW_ALL)
            cls.users = {}
            for u in ("u_env", "u_file", "u_cfg", "u_proc", "u_ctr"):
                iam.create_user(UserName=u)
                iam.put_user_policy(UserName=u, PolicyName="all", PolicyDocument=awsfix.ALLOW_ALL)
                k = iam.create_access_key(UserName=u)["AccessKey"]
                cls.users[u] = (k["AccessKeyId"], k["SecretAccessKey"])
            cls.proxy = credfix.RecordingProxy(cls.moto.endpoint,
                                               webid_issuer=credfix.webid_issuer_for(cls.moto)).start()
        except Exception:
            cls.moto.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.proxy.stop()
        cls.moto.stop()

    def setUp(self):
        self.home = awsfix.TempHome()
        self.proxy.reset()
        self.proxy.skew_window = None

    def tearDown(self):
        self.home.cleanup()

    def env(self, **extra):
        e = self.home.env(sts=self.proxy.url)
        e.update(extra)
        return e

    def check_token(self, r, when, creds):
        self.assertEqual(r.returncode, 0, r.stderr)
        out = json.loads(r.stdout)
        self.assertEqual(out["token"], botocore_token(creds[0], creds[1], creds[2], when))
        return out


class AssumeRole(StsBase):
    def write_chain(self):
        self.home.write_credentials({"base": {"aws_access_key_id": self.moto.access_key_id,
                                              "aws_secret_access_key": self.moto.secret_access_key}})
        self.home.write_config({"profile r1": {"role_arn": self.roles["R1"], "source_profile": "base"},
                                "profile r2": {"role_arn": self.roles["R2"], "source_profile": "r1",
                                               "role_session_name": "deploy-2"}})

    def test_chain_of_depth_two_then_cache_then_aws_cli(self):
        self.write_chain()
        when = pinned_now()
        ft = when.strftime("%Y-%m-%d %H:%M:%S")
        r = run(token_args() + ["--profile", "r2", "-v"], self.env(), faketime=ft)
        calls = self.proxy.actions("AssumeRole")
        self.assertEqual([c["form"]["RoleArn"] for c in calls], [self.roles["R1"], self.roles["R2"]],
                         r.stderr)
        # hop 1 signed by the base key, hop 2 by hop 1's temporary key and token
        self.assertIn("Credential=%s/" % self.moto.access_key_id, calls[0]["headers"]["authorization"])
        hop1 = creds_of(calls[0]["response"])
        self.assertIn("Credential=%s/" % hop1[0], calls[1]["headers"]["authorization"])
        self.assertEqual(calls[1]["headers"]["x-amz-security-token"], hop1[2])
        self.assertEqual(calls[1]["form"]["RoleSessionName"], "deploy-2")
        hop2 = creds_of(calls[1]["response"])
        out = self.check_token(r, when, hop2)
        self.assertIn("credentials: assume-role r2 via source_profile r1", r.stderr)
        for secret in (hop1[1], hop2[1], hop2[2], self.moto.secret_access_key):
            self.assertNotIn(secret, r.stderr)
        self.assertEqual(out["expires_at"], (when + datetime.timedelta(minutes=15)).strftime("%Y-%m-%dT%H:%M:%SZ"))
        # the AWS CLI's cache file name and format
        name = credfix_cache_name({"RoleArn": self.roles["R2"], "RoleSessionName": "deploy-2"})
        path = os.path.join(self.home.cli_cache, name)
        with open(path) as f:
            cached = json.load(f)
        self.assertEqual(cached["Credentials"]["AccessKeyId"], hop2[0])
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o600)

        # second token: no STS call, same credentials
        self.proxy.reset()
        r2 = run(token_args() + ["--profile", "r2", "-v"], self.env(), faketime=ft)
        self.assertEqual(self.proxy.actions(), [], r2.stderr)
        self.check_token(r2, when, hop2)
        self.assertRegex(r2.stderr, r"credentials: assume-role r2 via source_profile r1 \(cached until \d\d:\d\d\)")

        # the aws CLI reuses the file mytools wrote: no AssumeRole, GetCallerIdentity with hop 2's key
        self.proxy.reset()
        a = subprocess.run(["aws", "sts", "get-caller-identity", "--profile", "r2", "--output", "json"],
                           env=self.env(AWS_DEFAULT_REGION=REGION), capture_output=True, text=True,
                           timeout=120)
        self.assertEqual(a.returncode, 0, a.stderr)
        self.assertEqual([c["action"] for c in self.proxy.actions()], ["GetCallerIdentity"])
        self.assertIn("Credential=%s/" % hop2[0], self.proxy.actions()[0]["headers"]["authorization"])
        self.assertIn(":assumed-role/R2/deploy-2", json.loads(a.stdout)["Arn"])

    def test_mytools_reuses_the_aws_cli_cache(self):
        self.write_chain()
        a = subprocess.run(["aws", "sts", "get-caller-identity", "--profile", "r2"],
                           env=self.env(AWS_DEFAULT_REGION=REGION), capture_output=True, text=True,
                           timeout=120)
        self.assertEqual(a.returncode, 0, a.stderr)
        hop2 = creds_of(self.proxy.actions("AssumeRole")[-1]["response"])
        self.proxy.reset()
        when = pinned_now()
        r = run(token_args() + ["--profile", "r2"], self.env(), faketime=when.strftime("%Y-%m-%d %H:%M:%S"))
        self.assertEqual(self.proxy.actions(), [])
        self.check_token(r, when, hop2)

    def test_credential_source_environment(self):
        self.home.write_config({"profile ci": {"role_arn": self.roles["RA"],
                                               "credential_source": "Environment",
                                               "external_id": "ext-42", "duration_seconds": "1800"}})
        when = pinned_now()
        env = self.env(AWS_ACCESS_KEY_ID=self.moto.access_key_id,
                       AWS_SECRET_ACCESS_KEY=self.moto.secret_access_key)
        r = run(token_args() + ["--profile", "ci"], env, faketime=when.strftime("%Y-%m-%d %H:%M:%S"))
        calls = self.proxy.actions("AssumeRole")
        self.assertEqual(len(calls), 1, r.stderr)
        self.assertIn("Credential=%s/" % self.moto.access_key_id, calls[0]["headers"]["authorization"])
        self.assertEqual((calls[0]["form"]["ExternalId"], calls[0]["form"]["DurationSeconds"]),
                         ("ext-42", "1800"))
        self.check_token(r, when, creds_of(calls[0]["response"]))

    def test_credential_source_ecs_container(self):
        # the task role's credentials: real temporary ones from moto
        task = self.moto.client("sts").assume_role(RoleArn=self.roles["R1"], RoleSessionName="task")["Credentials"]
        with credfix.FakeContainer({"AccessKeyId": task["AccessKeyId"],
                                    "SecretAccessKey": task["SecretAccessKey"],
                                    "Token": task["SessionToken"],
                                    "Expiration": task["Expiration"].strftime("%Y-%m-%dT%H:%M:%SZ")},
                                   token="ecs-auth") as ctr:
            self.home.write_config({"profile task": {"role_arn": self.roles["RA"],
                                                     "credential_source": "EcsContainer"}})
            when = pinned_now()
            r = run(token_args() + ["--profile", "task"],
                    self.env(AWS_CONTAINER_CREDENTIALS_FULL_URI=ctr.url + "/v1/credentials",
                             AWS_CONTAINER_AUTHORIZATION_TOKEN="ecs-auth"),
                    faketime=when.strftime("%Y-%m-%d %H:%M:%S"))
            calls = self.proxy.actions("AssumeRole")
            self.assertEqual(len(calls), 1, r.stderr)
            self.assertIn("Credential=%s/" % task["AccessKeyId"], calls[0]["headers"]["authorization"])
            self.assertEqual(calls[0]["headers"]["x-amz-security-token"], task["SessionToken"])
            self.assertEqual(len(ctr.requests), 1)
            self.check_token(r, when, creds_of(calls[0]["response"]))

    def test_mfa_code_asked_on_a_terminal(self):
        import pty
        self.home.write_credentials({"base": {"aws_access_key_id": self.moto.access_key_id,
                                              "aws_secret_access_key": self.moto.secret_access_key}})
        serial = "arn:aws:iam::%s:mfa/me" % self.moto.account_id
        self.home.write_config({"profile m": {"role_arn": self.roles["R1"], "source_profile": "base",
                                              "mfa_serial": serial}})
        env = self.env()
        pid, fd = pty.fork()
        if pid == 0:
            os.execve(MYTOOLS, [MYTOOLS] + token_args("token") + ["--profile", "m", "--no-clipboard"], env)
        out = b""
        deadline = time.time() + 30
        sent = False
        while time.time() < deadline:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
            if not sent and b"MFA code for " + serial.encode() in out:
                os.write(fd, b"123456\n")
                sent = True
        _, status = os.waitpid(pid, 0)
        os.close(fd)
        self.assertTrue(sent, out)
        self.assertEqual(os.waitstatus_to_exitcode(status), 0, out)
        calls = self.proxy.actions("AssumeRole")
        self.assertEqual((calls[0]["form"]["SerialNumber"], calls[0]["form"]["TokenCode"]), (serial, "123456"))

    def test_cycle_is_a_config_error_naming_it(self):
        self.home.write_config({"profile a": {"role_arn": self.roles["R1"], "source_profile": "b"},
                                "profile b": {"role_arn": self.roles["R2"], "source_profile": "a"}})
        r = run(token_args() + ["--profile", "a"], self.env())
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertIn("source_profile cycle: a -> b -> a", r.stderr)
        self.assertEqual(self.proxy.actions(), [])

    def test_clock_twenty_minutes_off_is_corrected_once(self):
        self.write_chain()
        self.proxy.skew_window = 15 * 60
        r = run(token_args() + ["--profile", "r1", "-v"], self.env(), faketime="-20m")
        self.assertEqual(r.returncode, 0, r.stderr)
        calls = self.proxy.actions("AssumeRole")
        self.assertEqual([c.get("rejected_skew", False) for c in calls], [True, False], r.stderr)
        self.assertIn("signing again with the server's clock", r.stderr)
        # the token is signed with the corrected clock too
        tok = json.loads(r.stdout)["token"]
        amz = urllib.parse.parse_qs(tok.split("?", 1)[1])["X-Amz-Date"][0]
        self.assertLess(abs(credfix.amz_date_epoch(amz) - time.time()), 120)

    def test_kms_call_with_a_skewed_clock_is_corrected_once(self):
        key = self.moto.kms_create_key()
        self.proxy.skew_window = 5 * 60
        env = self.env(AWS_ACCESS_KEY_ID=self.moto.access_key_id,
                       AWS_SECRET_ACCESS_KEY=self.moto.secret_access_key,
                       AWS_ENDPOINT_URL_KMS=self.proxy.url, AWS_REGION=REGION)
        r = run(["kms", "encrypt", "--key", key, "-v"], env, faketime="-20m", input="hello")
        self.assertEqual(r.returncode, 0, r.stderr)
        calls = self.proxy.actions("TrentService.Encrypt")
        self.assertEqual([c.get("rejected_skew", False) for c in calls], [True, False], r.stderr)
        self.assertEqual(self.moto.kms_decrypt(__import__("base64").b64decode(r.stdout.strip())), b"hello")

    def test_mfa_without_a_terminal_is_exit_4_with_a_hint(self):
        self.home.write_credentials({"base": {"aws_access_key_id": self.moto.access_key_id,
                                              "aws_secret_access_key": self.moto.secret_access_key}})
        self.home.write_config({"profile m": {"role_arn": self.roles["R1"], "source_profile": "base",
                                              "mfa_serial": "arn:aws:iam::123456789012:mfa/me"}})
        r = run(token_args() + ["--profile", "m"], self.env())
        self.assertEqual(r.returncode, 4, r.stderr)
        self.assertIn("MFA code", r.stderr)
        self.assertIn("hint:", r.stderr)
        self.assertEqual(self.proxy.actions(), [])


def credfix_cache_name(args):
    import hashlib
    return hashlib.sha1(json.dumps(args, sort_keys=True).encode()).hexdigest() + ".json"


class WebIdentity(StsBase):
    def check_one_unsigned_call(self, r, token_text, session):
        calls = self.proxy.actions()
        self.assertEqual([c["action"] for c in calls], ["AssumeRoleWithWebIdentity"], r.stderr)
        c = calls[0]
        self.assertNotIn("authorization", c["headers"])
        self.assertNotIn("x-amz-date", c["headers"])
        self.assertEqual(c["form"]["WebIdentityToken"], token_text)
        self.assertEqual(c["form"]["RoleArn"], self.roles["RW"])
        self.assertEqual(c["form"]["RoleSessionName"], session)
        return creds_of(c["response"])

    def test_from_the_environment(self):
        tok = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6bnM6c2EifQ.sig-%d" % os.getpid()
        tf = self.home.write(".kube/token", tok)
        when = pinned_now()
        r = run(token_args() + ["-v"], self.env(AWS_WEB_IDENTITY_TOKEN_FILE=tf, AWS_ROLE_ARN=self.roles["RW"],
                                                AWS_ROLE_SESSION_NAME="irsa-pod"),
                faketime=when.strftime("%Y-%m-%d %H:%M:%S"))
        creds = self.check_one_unsigned_call(r, tok, "irsa-pod")
        self.check_token(r, when, creds)
        self.assertIn("credentials: web identity", r.stderr)
        self.assertNotIn(tok, r.stderr)
        # cached like the AWS CLI does: the next run and `aws` make no AssumeRoleWithWebIdentity
        env = self.env(AWS_WEB_IDENTITY_TOKEN_FILE=tf, AWS_ROLE_ARN=self.roles["RW"],
                       AWS_ROLE_SESSION_NAME="irsa-pod")
        self.proxy.reset()
        r2 = run(token_args(), env, faketime=when.strftime("%Y-%m-%d %H:%M:%S"))
        self.assertEqual(self.proxy.actions(), [], r2.stderr)
        self.check_token(r2, when, creds)
        a = subprocess.run(["aws", "sts", "get-caller-identity"], env=dict(env, AWS_DEFAULT_REGION=REGION),
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(a.returncode, 0, a.stderr)
        self.assertEqual([c["action"] for c in self.proxy.actions()], ["GetCallerIdentity"])
        self.assertIn("Credential=%s/" % creds[0], self.proxy.actions()[0]["headers"]["authorization"])

    def test_from_a_profile(self):
        tok = "profile-token-%d\n" % os.getpid()   # sent verbatim, as botocore reads the file
        tf = self.home.write("oidc/token.jwt", tok)
        self.home.write_config({"profile gh": {"role_arn": self.roles["RW"],
                                               "web_identity_token_file": tf,
                                               "role_session_name": "gha-run"}})
        when = pinned_now()
        r = run(token_args() + ["--profile", "gh"], self.env(), faketime=when.strftime("%Y-%m-%d %H:%M:%S"))
        creds = self.check_one_unsigned_call(r, tok, "gha-run")
        self.check_token(r, when, creds)


# ------------------------------------------------------------------------------------------------
# the precedence table, cross-checked with botocore (aws sts get-caller-identity)
# ------------------------------------------------------------------------------------------------

SOURCES = ["env", "assume_role", "webid_env", "creds_file", "process", "config_static", "container"]


class Precedence(StsBase):
    def setup_sources(self, names, stack):
        cfg, cred, env = {}, {}, {}
        u = self.users
        if "env" in names:
            env.update(AWS_ACCESS_KEY_ID=u["u_env"][0], AWS_SECRET_ACCESS_KEY=u["u_env"][1])
        if "assume_role" in names:
            cfg.setdefault("default", {}).update(role_arn=self.roles["RA"], source_profile="base")
            cred["base"] = {"aws_access_key_id": self.moto.access_key_id,
                            "aws_secret_access_key": self.moto.secret_access_key}
        if "webid_env" in names:
            env.update(AWS_WEB_IDENTITY_TOKEN_FILE=self.home.write("wi.tok", "tok-%d" % os.getpid()),
                       AWS_ROLE_ARN=self.roles["RW"], AWS_ROLE_SESSION_NAME="wi")
        if "creds_file" in names:
            cred.setdefault("default", {}).update(aws_access_key_id=u["u_file"][0],
                                                  aws_secret_access_key=u["u_file"][1])
        if "process" in names:
            script = self.home.write("bin/proc.py", "import json\nprint(json.dumps({'Version': 1, "
                                     "'AccessKeyId': %r, 'SecretAccessKey': %r}))\n" % u["u_proc"])
            cfg.setdefault("default", {}).update(credential_process="%s %s" % (sys.executable, script))
        if "config_static" in names:
            cfg.setdefault("default", {}).update(aws_access_key_id=u["u_cfg"][0],
                                                 aws_secret_access_key=u["u_cfg"][1])
        if "container" in names:
            exp = (datetime.datetime.utcnow() + datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
            ctr = credfix.FakeContainer({"AccessKeyId": u["u_ctr"][0], "SecretAccessKey": u["u_ctr"][1],
                                         "Token": "ctr-token", "Expiration": exp}).start()
            stack.callback(ctr.stop)
            env.update(AWS_CONTAINER_CREDENTIALS_FULL_URI=ctr.url + "/v1/credentials")
        if cfg:
            self.home.write_config(cfg)
        if cred:
            self.home.write_credentials(cred)
        return env

    def which_ours(self, tok):
        akid = token_akid(tok)
        for name, key in (("env", "u_env"), ("creds_file", "u_file"), ("config_static", "u_cfg"),
                          ("process", "u_proc"), ("container", "u_ctr")):
            if self.users[key][0] == akid:
                return name
        for c in self.proxy.actions():
            if c.get("response") and credfix.xml_text(c["response"], "AccessKeyId") == akid:
                return {"AssumeRole": "assume_role", "AssumeRoleWithWebIdentity": "webid_env"}[c["action"]]
        return "unknown " + akid

    def which_botocore(self, arn):
        m = re.search(r":user/(\w+)$", arn)
        if m:
            return {"u_env": "env", "u_file": "creds_file", "u_cfg": "config_static",
                    "u_proc": "process", "u_ctr": "container"}[m.group(1)]
        m = re.search(r":assumed-role/(\w+)/", arn)
        return {"RA": "assume_role", "RW": "webid_env"}[m.group(1)] if m else "unknown " + arn

    def test_each_pair_wins_as_in_botocore(self):
        import contextlib
        table = []
        for a, b in itertools.combinations(SOURCES, 2):
            with contextlib.ExitStack() as stack:
                self.home.cleanup()
                self.home = awsfix.TempHome()
                self.proxy.reset()
                extra = self.setup_sources({a, b}, stack)
                env = self.env(**extra)
                r = run(token_args("token"), env)
                self.assertEqual(r.returncode, 0, "%s+%s: %s" % (a, b, r.stderr))
                ours = self.which_ours(r.stdout.strip())
                shutil.rmtree(self.home.cli_cache, ignore_errors=True)
                aws = subprocess.run(["aws", "sts", "get-caller-identity", "--output", "json"],
                                     env=dict(env, AWS_DEFAULT_REGION=REGION), capture_output=True,
                                     text=True, timeout=120)
                self.assertEqual(aws.returncode, 0, "%s+%s: %s" % (a, b, aws.stderr))
                theirs = self.which_botocore(json.loads(aws.stdout)["Arn"])
                table.append((a, b, ours, theirs))
        bad = [t for t in table if t[2] != t[3]]
        self.assertEqual(bad, [], "\n".join("%s + %s: mytools %s, botocore %s" % t for t in table))


# ------------------------------------------------------------------------------------------------
# credential_process, container, blank environment keys, no secret in errors (no STS needed)
# ------------------------------------------------------------------------------------------------

class Local(unittest.TestCase):
    AKID, SECRET = "FAKEPROCESSKEY000001", "procSecret/K7MDENG+bPxRfiCYEXAMPLEKEY"

    def setUp(self):
        self.home = awsfix.TempHome()

    def tearDown(self):
        self.home.cleanup()

    def env(self, **extra):
        e = self.home.env()
        e.update(extra)
        return e

    def proc_script(self, rel, body):
        p = self.home.write(rel, "#!%s\nimport json, sys\n%s\n" % (sys.executable, body), mode=0o700)
        return p

    def test_credential_process_with_arguments_and_expiry(self):
        exp = (datetime.datetime.utcnow().replace(microsecond=0) + datetime.timedelta(minutes=10))
        p = self.proc_script("bin/creds", "assert sys.argv[1:] == ['--role', 'a b', 'x\"y'], sys.argv\n"
                             "print(json.dumps({'Version': 1, 'AccessKeyId': %r, 'SecretAccessKey': %r, "
                             "'SessionToken': 'tok', 'Expiration': %r}))" % (
                                 self.AKID, self.SECRET, exp.strftime("%Y-%m-%dT%H:%M:%SZ")))
        self.home.write_config({"default": {"credential_process": "%s --role 'a b' \"x\\\"y\"" % p}})
        when = pinned_now()
        r = run(token_args() + ["-v"], self.env(), faketime=when.strftime("%Y-%m-%d %H:%M:%S"))
        self.assertEqual(r.returncode, 0, r.stderr)
        out = json.loads(r.stdout)
        self.assertEqual(out["token"], botocore_token(self.AKID, self.SECRET, "tok", when))
        self.assertEqual(out["expires_at"], exp.strftime("%Y-%m-%dT%H:%M:%SZ"))
        self.assertIn("credentials: credential_process of profile default", r.stderr)
        self.assertNotIn(self.SECRET, r.stderr)

    def test_credential_process_quoted_path_with_a_space(self):
        p = self.proc_script("my tools/get creds", "print(json.dumps({'Version': 1, 'AccessKeyId': %r, "
                             "'SecretAccessKey': %r}))" % (self.AKID, self.SECRET))
        self.home.write_config({"profile p": {"credential_process": '"%s"' % p}})
        r = run(token_args("token") + ["--profile", "p"], self.env())
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(token_akid(r.stdout.strip()), self.AKID)

    def test_credential_process_in_the_credentials_file(self):
        # botocore merges ~/.aws/credentials into the profile: a credential_process there runs
        p = self.proc_script("bin/creds2", "print(json.dumps({'Version': 1, 'AccessKeyId': %r, "
                             "'SecretAccessKey': %r}))" % (self.AKID, self.SECRET))
        self.home.write_config({"profile p": {"region": REGION}})
        self.home.write_credentials({"p": {"credential_process": p}})
        r = run(token_args("token") + ["--profile", "p", "-v"], self.env())
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(token_akid(r.stdout.strip()), self.AKID)
        self.assertIn("credentials: credential_process of profile p", r.stderr)
        # and botocore picks the same identity from the same files
        cmd = [sys.executable, "-c", "import botocore.session as s; "
               "print(s.Session(profile='p').get_credentials().access_key)"]
        b = subprocess.run(cmd, env=self.env(), capture_output=True, text=True, timeout=60)
        self.assertEqual(b.stdout.strip(), self.AKID, b.stderr)

    def test_credential_process_failing_passes_stderr_and_names_the_profile(self):
        p = self.proc_script("bin/fail", "sys.stdout.write(json.dumps({'SecretAccessKey': %r}))\n"
                             "sys.stderr.write('vault: permission denied\\n'); sys.exit(3)" % self.SECRET)
        self.home.write_config({"profile p": {"credential_process": p}})
        r = run(token_args("token") + ["--profile", "p"], self.env())
        self.assertEqual(r.returncode, 4, r.stderr)
        self.assertIn("vault: permission denied", r.stderr)
        self.assertIn("credential_process of profile 'p' failed (exit status 3)", r.stderr)
        self.assertNotIn(self.SECRET, r.stderr)
        self.assertEqual(r.stdout, "")

    def test_credential_process_bad_json_never_echoes_the_output(self):
        for body in ("print('{\"Version\": 2, \"AccessKeyId\": \"%s\", \"SecretAccessKey\": \"%s\"}')",
                     "print('not json %s %s')"):
            p = self.proc_script("bin/bad", body % (self.AKID, self.SECRET))
            self.home.write_config({"profile p": {"credential_process": p}})
            r = run(token_args("token") + ["--profile", "p"], self.env())
            self.assertEqual(r.returncode, 4, r.stderr)
            self.assertIn("credential_process of profile 'p'", r.stderr)
            self.assertNotIn(self.SECRET, r.stderr)
            self.assertNotIn(self.AKID, r.stderr)

    def test_credential_process_timeout(self):
        p = self.proc_script("bin/slow", "import time; time.sleep(30)")
        self.home.write_config({"profile p": {"credential_process": p}})
        t0 = time.monotonic()
        r = run(token_args("token") + ["--profile", "p"], self.env(MYTOOLS_CREDENTIAL_PROCESS_TIMEOUT="1"))
        self.assertEqual(r.returncode, 4, r.stderr)
        self.assertIn("did not finish within 1 s", r.stderr)
        self.assertLess(time.monotonic() - t0, 10)

    def container_case(self, token_env):
        exp = (datetime.datetime.utcnow().replace(microsecond=0) + datetime.timedelta(hours=1))
        creds = {"AccessKeyId": "FAKECONTAINERKEY0001", "SecretAccessKey": "ctrSecret+abc/def",
                 "Token": "ctr-session-token", "Expiration": exp.strftime("%Y-%m-%dT%H:%M:%SZ")}
        with credfix.FakeContainer(creds, token="pod-identity-token-%d" % os.getpid()) as ctr:
            env = self.env(AWS_CONTAINER_CREDENTIALS_FULL_URI=ctr.url + "/v1/credentials", **token_env(ctr.token))
            when = pinned_now()
            r = run(token_args(), env, faketime=when.strftime("%Y-%m-%d %H:%M:%S"))
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(json.loads(r.stdout)["token"],
                             botocore_token(creds["AccessKeyId"], creds["SecretAccessKey"], creds["Token"], when))
            self.assertEqual([q["authorization"] for q in ctr.requests], [ctr.token])
            self.assertEqual(ctr.requests[0]["accept"], "application/json")

    def test_container_token_file(self):
        self.container_case(lambda t: {"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE":
                                       self.home.write("eks/token", t)})

    def test_container_token_variable(self):
        self.container_case(lambda t: {"AWS_CONTAINER_AUTHORIZATION_TOKEN": t})

    def test_container_wrong_token_is_exit_4(self):
        with credfix.FakeContainer({}, token="right") as ctr:
            r = run(token_args(), self.env(AWS_CONTAINER_CREDENTIALS_FULL_URI=ctr.url + "/v1/credentials",
                                           AWS_CONTAINER_AUTHORIZATION_TOKEN="wrong"))
            self.assertEqual(r.returncode, 4, r.stderr)

    def test_container_full_uri_host_not_allowed(self):
        r = run(token_args(), self.env(AWS_CONTAINER_CREDENTIALS_FULL_URI="http://10.0.0.5/creds"))
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertIn("AWS_CONTAINER_CREDENTIALS_FULL_URI", r.stderr)

    # issue 7 defect 11
    def test_blank_environment_keys_count_as_unset(self):
        self.home.write_credentials({"default": {"aws_access_key_id": self.AKID,
                                                 "aws_secret_access_key": self.SECRET}})
        when = pinned_now()
        r = run(token_args(), self.env(AWS_ACCESS_KEY_ID=" ", AWS_SECRET_ACCESS_KEY=" ",
                                       AWS_SESSION_TOKEN=" "),
                faketime=when.strftime("%Y-%m-%d %H:%M:%S"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["token"], botocore_token(self.AKID, self.SECRET, None, when))

    # issue 7 defect 4
    def test_secret_in_access_key_field_is_never_echoed(self):
        secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
        self.home.write_credentials("[default]\n# pasted into the wrong line\naws_access_key_id = %s\n"
                                    "aws_secret_access_key = %s\n" % (secret, secret))
        r = run(token_args("token"), self.env())
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertNotIn(secret[:8], r.stderr)
        self.assertIn("credentials:3: aws_access_key_id of profile 'default'", r.stderr)
        r = run(token_args("token"), self.env(AWS_ACCESS_KEY_ID=secret, AWS_SECRET_ACCESS_KEY=secret))
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertNotIn(secret[:8], r.stderr)
        self.assertIn("AWS_ACCESS_KEY_ID: not a valid AWS access key id", r.stderr)


class SsoStatus(unittest.TestCase):
    """sso status reads ~/.aws/config through the INI parser and escapes what it prints."""

    def test_quoted_session_name_and_control_characters(self):
        with awsfix.TempHome() as h:
            h.write_config('[sso-session "a b"]\nsso_start_url = https://x.awsapps.com/start\x1b]0;pwned\x07\n'
                           "sso_region = us-east-1\n\n[sso-session plain]\nsso_start_url = https://y/start\n"
                           "sso_region = eu-west-1\n")
            r = run(["sso", "status"], dict(h.env(), MYTOOLS_CONFIG=os.devnull))
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("sso-session a b\n", r.stdout)
            self.assertIn("sso-session plain\n", r.stdout)
            self.assertIn("start\\e]0;pwned\\x07\n", r.stdout)
            self.assertNotIn("\x1b", r.stdout)
            self.assertNotIn("\x07", r.stdout)
            j = run(["sso", "status", "--format", "json"], dict(h.env(), MYTOOLS_CONFIG=os.devnull))
            names = [e["sso_session"] for e in json.loads(j.stdout)["sessions"]]
            self.assertEqual(sorted(names), ["a b", "plain"])


# ------------------------------------------------------------------------------------------------
# IMDS inside a network namespace of its own
# ------------------------------------------------------------------------------------------------

def in_netns(test_name):
    """Runs this file's ImdsInner.<test_name> inside `unshare -n` with lo up."""
    code = ("import os, subprocess, sys, unittest; subprocess.run(['ip', 'link', 'set', 'lo', 'up'], check=True); "
            "sys.path.insert(0, %r); import test_creds; "
            "r = unittest.TextTestRunner(verbosity=2).run(unittest.defaultTestLoader.loadTestsFromName("
            "'ImdsInner.%s', test_creds)); sys.exit(0 if r.wasSuccessful() else 1)") % (HERE, test_name)
    return subprocess.run(["unshare", "-n", sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, env=dict(os.environ, MT_IN_NETNS="1"))


@unittest.skipUnless(shutil.which("unshare"), "needs unshare")
class Imds(unittest.TestCase):
    def check(self, name):
        r = in_netns(name)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("ok", r.stderr)

    def test_imdsv2_token_then_credentials(self):
        self.check("test_imdsv2_token_then_credentials")

    def test_black_hole_fails_fast(self):
        self.check("test_black_hole_fails_fast")

    def test_absent_fails_fast(self):
        self.check("test_absent_fails_fast")

    def test_container_lookalike_loopback_name_refused(self):
        self.check("test_container_lookalike_loopback_name_refused")


@unittest.skipUnless(os.environ.get("MT_IN_NETNS"), "runs inside unshare -n (see Imds)")
class ImdsInner(unittest.TestCase):
    def setUp(self):
        self.home = awsfix.TempHome()
        env = self.home.env()
        env.pop("AWS_EC2_METADATA_DISABLED")
        self.base_env = env

    def tearDown(self):
        self.home.cleanup()

    def test_container_lookalike_loopback_name_refused(self):
        # a host name that starts like 127.x is a name, not a loopback address: the SDKs never
        # resolve it for an http:// FULL_URI, so neither the request nor the authorization token
        # may go there (in this namespace nothing could answer anyway)
        for url in ("http://127.0.0.1.example.invalid/creds", "http://127.evil.invalid:80/creds",
                    "http://localhost.example.invalid/creds"):
            r = run(token_args(), dict(self.base_env, AWS_EC2_METADATA_DISABLED="true",
                                       AWS_CONTAINER_CREDENTIALS_FULL_URI=url,
                                       AWS_CONTAINER_AUTHORIZATION_TOKEN="pod-token"))
            self.assertEqual(r.returncode, 3, url + ": " + r.stderr)
            self.assertIn("must name a loopback or container metadata address", r.stderr)
            self.assertNotIn("pod-token", r.stderr)

    def test_imdsv2_token_then_credentials(self):
        exp = (datetime.datetime.utcnow().replace(microsecond=0) + datetime.timedelta(hours=6))
        creds = {"Code": "Success", "Type": "AWS-HMAC", "AccessKeyId": "FAKEIMDSTEMPKEY00001",
                 "SecretAccessKey": "imdsSecret/abc+def", "Token": "imds-session-token",
                 "Expiration": exp.strftime("%Y-%m-%dT%H:%M:%SZ"), "LastUpdated": "2026-01-01T00:00:00Z"}
        with credfix.FakeIMDS("web-role", creds) as m:
            when = pinned_now()
            r = run(token_args() + ["-v"], dict(self.base_env, AWS_EC2_METADATA_SERVICE_ENDPOINT=m.url),
                    faketime=when.strftime("%Y-%m-%d %H:%M:%S"))
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(json.loads(r.stdout)["token"],
                             botocore_token(creds["AccessKeyId"], creds["SecretAccessKey"], creds["Token"], when))
            self.assertEqual([(q["method"], q["path"]) for q in m.requests],
                             [("PUT", "/latest/api/token"),
                              ("GET", "/latest/meta-data/iam/security-credentials/"),
                              ("GET", "/latest/meta-data/iam/security-credentials/web-role")])
            self.assertEqual(m.requests[0]["ttl"], "21600")
            self.assertEqual([q["token"] for q in m.requests[1:]], [m.token, m.token])
            self.assertIn("credentials: EC2 instance metadata (IMDSv2, role web-role)", r.stderr)

    def nothing_configured(self, env):
        t0 = time.monotonic()
        r = run(token_args("token"), env, timeout=30)
        took = time.monotonic() - t0
        self.assertEqual(r.returncode, 4, r.stderr)
        self.assertIn("no AWS credentials found", r.stderr)
        self.assertIn("hint:", r.stderr)
        self.assertLess(took, 3.0)

    def test_black_hole_fails_fast(self):
        bh = credfix.BlackHole()
        try:
            self.nothing_configured(dict(self.base_env, AWS_EC2_METADATA_SERVICE_ENDPOINT=bh.url))
        finally:
            bh.stop()

    def test_absent_fails_fast(self):
        self.nothing_configured(self.base_env)   # the real 169.254.169.254: unreachable in here


if __name__ == "__main__":
    unittest.main()
