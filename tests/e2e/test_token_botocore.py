"""db token vs botocore's generate_db_auth_token: byte-identical for the same inputs and clock.

Draws >= 200 random cases (hosts in upper case, port 443, Aurora cluster and RDS Proxy names,
China regions, users with @ . _ -, keys with and without session tokens, times) and compares the
real binary, run under faketime with credentials in its environment, with botocore run in this
process under the same pinned clock. A few cases also go through the `aws` CLI itself.
"""
import datetime
import os
import random
import subprocess
import sys
import unittest
from unittest import mock

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mtlib  # noqa: E402

import botocore.auth  # noqa: E402
import botocore.session  # noqa: E402

SEED = int(os.environ.get("MT_TOKEN_SEED", "20261122"))
CASES = int(os.environ.get("MT_TOKEN_CASES", "240"))

REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2",
           "sa-east-1", "cn-north-1", "cn-northwest-1", "us-gov-west-1", "me-south-1"]
ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def rand_word(rng, n, alphabet=ALNUM):
    return "".join(rng.choice(alphabet) for _ in range(n))


def rand_host(rng, region):
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    acct = rand_word(rng, 12, "0123456789")
    kind = rng.randrange(4)
    if kind == 0:
        h = "%s.%s.%s.rds.%s" % (rand_word(rng, rng.randint(3, 12)), acct, region, suffix)
    elif kind == 1:
        h = "%s.cluster-%s.%s.rds.%s" % (rand_word(rng, 6), rand_word(rng, 12), region, suffix)
    elif kind == 2:
        h = "%s.proxy-%s.%s.rds.%s" % (rand_word(rng, 8), rand_word(rng, 12), region, suffix)
    else:
        h = "%s.cluster-ro-%s.%s.rds.%s" % (rand_word(rng, 5), rand_word(rng, 12), region, suffix)
    if rng.random() < 0.25:
        h = "".join(c.upper() if rng.random() < 0.5 else c for c in h)
    return h


def rand_user(rng):
    alphabet = ALNUM + "@._-" + "ABCXYZ"
    return rng.choice("abcdefghijklmnop") + rand_word(rng, rng.randint(0, 30), alphabet)


def rand_case(rng):
    region = rng.choice(REGIONS)
    port = rng.choice([3306, 5432, 443, 1433, rng.randint(1, 65535)])
    token = None
    if rng.random() < 0.5:
        token = "IQoJb3JpZ2luX2Vj" + rand_word(rng, rng.randint(20, 600), B64)
        token += "=" * rng.randint(0, 2)
    when = datetime.datetime(2001, 1, 1) + datetime.timedelta(
        seconds=rng.randrange(0, 36 * 365 * 86400))
    return {
        "host": rand_host(rng, region), "port": port, "user": rand_user(rng), "region": region,
        "akid": rng.choice(["AKIA", "ASIA"]) + rand_word(rng, 16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"),
        "secret": rand_word(rng, 40, B64), "token": token, "when": when,
    }


def botocore_token(case):
    sess = botocore.session.get_session()
    client = sess.create_client("rds", region_name=case["region"],
                                aws_access_key_id=case["akid"],
                                aws_secret_access_key=case["secret"],
                                aws_session_token=case["token"])
    when = case["when"]
    with mock.patch.object(botocore.auth, "get_current_datetime", lambda *a, **k: when):
        return client.generate_db_auth_token(DBHostname=case["host"], Port=case["port"],
                                             DBUsername=case["user"], Region=case["region"])


def env_for(case, home):
    return mtlib.clean_env(home, AWS_ACCESS_KEY_ID=case["akid"],
                           AWS_SECRET_ACCESS_KEY=case["secret"],
                           AWS_SESSION_TOKEN=case["token"])


def ours(case, home):
    r = mtlib.run(["db", "token", "--host", case["host"], "--port", str(case["port"]),
                   "--user", case["user"], "--region", case["region"], "--format", "token"],
                  env_for(case, home), faketime=case["when"].strftime("%Y-%m-%d %H:%M:%S"))
    if r.returncode != 0:
        raise AssertionError("mytools failed (%d): %s" % (r.returncode, r.stderr))
    assert r.stdout.endswith("\n") and r.stdout.count("\n") == 1, repr(r.stdout[-20:])
    return r.stdout[:-1]


class TokenVsBotocore(unittest.TestCase):
    def setUp(self):
        self.home = mtlib.Home()

    def tearDown(self):
        self.home.cleanup()

    def test_random_cases_match_botocore(self):
        rng = random.Random(SEED)
        seen_token = seen_upper = seen_443 = 0
        for i in range(CASES):
            case = rand_case(rng)
            with self.subTest(i=i, host=case["host"], user=case["user"]):
                expected = botocore_token(case)
                self.assertEqual(ours(case, self.home.path), expected)
            seen_token += case["token"] is not None
            seen_upper += case["host"] != case["host"].lower()
            seen_443 += case["port"] == 443
        self.assertGreaterEqual(CASES, 200)
        # the draw really covered the edge cases it claims to
        self.assertGreater(seen_token, 20)
        self.assertGreater(seen_upper, 10)
        self.assertGreater(seen_443, 5)

    def test_session_token_position_matches_botocore(self):
        case = {"host": "mydb.123456789012.us-east-1.rds.amazonaws.com", "port": 3306,
                "user": "jane_doe", "region": "us-east-1", "akid": mtlib.AKID,
                "secret": mtlib.SECRET, "token": "IQoJb3JpZ2luX2VjEXAMPLE/SESSION+TOKEN==",
                "when": datetime.datetime(2026, 1, 2, 3, 4, 5)}
        tok = ours(case, self.home.path)
        self.assertEqual(tok, botocore_token(case))
        params = [p.split("=", 1)[0] for p in tok.split("?", 1)[1].split("&")]
        self.assertEqual(params, ["Action", "DBUser", "X-Amz-Algorithm", "X-Amz-Credential",
                                  "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders",
                                  "X-Amz-Security-Token", "X-Amz-Signature"])
        self.assertIn("X-Amz-Security-Token=IQoJb3JpZ2luX2VjEXAMPLE%2FSESSION%2BTOKEN%3D%3D&", tok)
        # the token is signed: the same request without it has another signature
        no_tok = dict(case, token=None)
        self.assertNotEqual(ours(no_tok, self.home.path).rsplit("=", 1)[1],
                            tok.rsplit("=", 1)[1])

    def test_matches_the_aws_cli_itself(self):
        rng = random.Random(SEED + 1)
        for _ in range(3):
            case = rand_case(rng)
            stamp = case["when"].strftime("%Y-%m-%d %H:%M:%S")
            env = env_for(case, self.home.path)
            env["AWS_CONFIG_FILE"] = os.devnull
            env.update(mtlib.faketime_vars(stamp, env))
            r = subprocess.run(["aws", "rds", "generate-db-auth-token",
                                "--hostname", case["host"], "--port", str(case["port"]),
                                "--username", case["user"], "--region", case["region"]],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, timeout=120)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(ours(case, self.home.path), r.stdout.strip())


if __name__ == "__main__":
    unittest.main(verbosity=2)
