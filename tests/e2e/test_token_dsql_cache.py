"""Aurora DSQL, ElastiCache and MemoryDB tokens (issue 10) against independent oracles.

- DSQL: >= 200 random cases equal botocore's generate_db_connect_auth_token /
  generate_db_connect_admin_auth_token, run in this process under the same pinned clock as the
  binary (faketime).
- ElastiCache / MemoryDB: no SDK has a generator. >= 200 random cases equal botocore's generic
  SigV4 query signer (botocore.auth.SigV4QueryAuth) on the same request, GET http://NAME/ with
  Action=connect&User=USER[&ResourceType=ServerlessCache], the query compared as AWS
  canonicalises it (parameters sorted, RFC 3986 encoding); and one worked case is computed here
  step by step from the AWS documentation's SigV4 algorithm with hashlib/hmac alone.
- Bad input: exit 3 with file:line:col for the config, exit 2 for flags.
"""
import datetime
import hashlib
import hmac
import os
import random
import sys
import unittest
import urllib.parse
from unittest import mock

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mtlib  # noqa: E402

import botocore.auth  # noqa: E402
import botocore.awsrequest  # noqa: E402
import botocore.credentials  # noqa: E402
import botocore.session  # noqa: E402

SEED = int(os.environ.get("MT_TOKEN_SEED", "20261201"))
CASES = int(os.environ.get("MT_TOKEN_CASES", "210"))
REGIONS = ["us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1",
           "ap-northeast-1", "ap-southeast-2", "sa-east-1"]
ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def word(rng, n, alphabet=ALNUM):
    return "".join(rng.choice(alphabet) for _ in range(n))


def creds(rng):
    tok = None
    if rng.random() < 0.5:
        tok = "IQoJb3JpZ2luX2Vj" + word(rng, rng.randint(20, 400), B64) + "=" * rng.randint(0, 2)
    return {"akid": rng.choice(["AKIA", "ASIA"]) + word(rng, 16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"),
            "secret": word(rng, 40, B64), "token": tok,
            "when": datetime.datetime(2001, 1, 1) + datetime.timedelta(
                seconds=rng.randrange(0, 36 * 365 * 86400))}


def ours(home, c, args):
    env = mtlib.clean_env(home, AWS_ACCESS_KEY_ID=c["akid"], AWS_SECRET_ACCESS_KEY=c["secret"],
                          AWS_SESSION_TOKEN=c["token"])
    r = mtlib.run(["db", "token", "--format", "token"] + args, env,
                  faketime=c["when"].strftime("%Y-%m-%d %H:%M:%S"))
    if r.returncode != 0:
        raise AssertionError("mytools failed (%d): %s" % (r.returncode, r.stderr))
    assert r.stdout.endswith("\n") and r.stdout.count("\n") == 1
    return r.stdout[:-1]


def pinned(when):
    return mock.patch.object(botocore.auth, "get_current_datetime", lambda *a, **k: when)


def canonical(token):
    """host part and the query as AWS canonicalises it: decoded, sorted, re-encoded (RFC 3986)."""
    host, _, query = token.partition("/?")
    pairs = urllib.parse.parse_qsl(query, keep_blank_values=True, strict_parsing=True)
    return host, "&".join("%s=%s" % (urllib.parse.quote(k, safe="-_.~"),
                                     urllib.parse.quote(v, safe="-_.~")) for k, v in sorted(pairs))


def sigv4_query_oracle(c, name, service, region, params):
    """botocore's generic query presigner on GET http://name/?params, scheme dropped."""
    cr = botocore.credentials.Credentials(c["akid"], c["secret"], c["token"])
    req = botocore.awsrequest.AWSRequest(method="GET", url="http://%s/" % name, params=params)
    with pinned(c["when"]):
        botocore.auth.SigV4QueryAuth(cr, service, region, expires=900).add_auth(req)
    return req.prepare().url[len("http://"):]


class Dsql(unittest.TestCase):
    def setUp(self):
        self.home = mtlib.Home()

    def tearDown(self):
        self.home.cleanup()

    def test_random_cases_match_botocore(self):
        rng = random.Random(SEED)
        seen = {"admin": 0, "token": 0, "host_region": 0, "upper": 0, "expires": 0}
        for i in range(CASES):
            c = creds(rng)
            region = rng.choice(REGIONS)
            host = "%s.dsql.%s.on.aws" % (word(rng, 26, "abcdefghijklmnopqrstuvwxyz"), region)
            if rng.random() < 0.2:
                host = host.upper() if rng.random() < 0.5 else host.capitalize()
            user = rng.choice(["admin", "app", "reporting_ro", "u-" + word(rng, 5)])
            admin = user == "admin" or rng.random() < 0.2
            expires = rng.choice([None, 1, 900, 3600, 604800, rng.randint(1, 604800)])
            args = ["--engine", "dsql", "--host", host, "--user", user]
            if admin and user != "admin":
                args.append("--admin")
            if expires is not None:
                args += ["--expires-in", str(expires)]
            if rng.random() < 0.5:
                args += ["--region", region]
            else:
                seen["host_region"] += 1  # the region comes from *.dsql.REGION.on.aws
            cl = botocore.session.get_session().create_client(
                "dsql", region_name=region, aws_access_key_id=c["akid"],
                aws_secret_access_key=c["secret"], aws_session_token=c["token"])
            gen = (cl.generate_db_connect_admin_auth_token if admin
                   else cl.generate_db_connect_auth_token)
            with pinned(c["when"]):
                want = gen(host, region, expires if expires is not None else 900)
            with self.subTest(i=i, host=host, user=user):
                self.assertEqual(ours(self.home.path, c, args), want)
            seen["admin"] += admin
            seen["token"] += c["token"] is not None
            seen["upper"] += host != host.lower()
            seen["expires"] += expires not in (None, 900)
        self.assertGreaterEqual(CASES, 200)
        for k, n in seen.items():
            self.assertGreater(n, 15, k)


class CacheTokens(unittest.TestCase):
    def setUp(self):
        self.home = mtlib.Home()

    def tearDown(self):
        self.home.cleanup()

    def test_random_cases_match_the_sigv4_query_signer(self):
        rng = random.Random(SEED + 7)
        seen = {"serverless": 0, "memorydb": 0, "upper": 0, "token": 0, "odd_user": 0}
        for i in range(CASES):
            c = creds(rng)
            region = rng.choice(REGIONS)
            engine = rng.choice(["elasticache", "valkey", "redis", "memorydb"])
            service = "memorydb" if engine == "memorydb" else "elasticache"
            name = rng.choice("abcdefghij") + word(rng, rng.randint(0, 30), ALNUM + "-")
            if rng.random() < 0.25:
                name = "".join(ch.upper() if rng.random() < 0.5 else ch for ch in name)
            user = rng.choice("abcdefgh") + word(rng, rng.randint(0, 25), ALNUM + "@._-")
            serverless = service == "elasticache" and rng.random() < 0.4
            args = ["--engine", engine, "--host", "endpoint.%s.cache.amazonaws.com" % word(rng, 6),
                    "--user", user, "--cache-name", name, "--region", region]
            if serverless:
                args.append("--serverless")
            params = {"Action": "connect", "User": user}
            if serverless:
                params["ResourceType"] = "ServerlessCache"
            signed = name.lower() if service == "elasticache" else name
            want = sigv4_query_oracle(c, signed, service, region, params)
            self.assertTrue(want.startswith(signed + "/"))
            with self.subTest(i=i, name=name, user=user, engine=engine):
                got = ours(self.home.path, c, args)
                self.assertEqual(canonical(got), canonical(want))
                self.assertTrue(got.startswith(signed + "/?Action=connect&User="), got)
            seen["serverless"] += serverless
            seen["memorydb"] += service == "memorydb"
            seen["upper"] += name != name.lower()
            seen["token"] += c["token"] is not None
            seen["odd_user"] += any(ch in user for ch in "@._-")
        self.assertGreaterEqual(CASES, 200)
        for k, n in seen.items():
            self.assertGreater(n, 15, k)

    def test_worked_case_from_the_documented_algorithm(self):
        """One ElastiCache token computed here from the AWS SigV4 documentation, step by step:
        canonical request -> string to sign -> signing key -> signature (hashlib/hmac only)."""
        c = {"akid": mtlib.AKID, "secret": mtlib.SECRET, "token": None,
             "when": datetime.datetime(2026, 1, 2, 3, 4, 5)}
        name, user, region, service = "sessions", "app-sessions@corp", "eu-west-1", "elasticache"
        amz_date, day = "20260102T030405Z", "20260102"
        scope = "%s/%s/%s/aws4_request" % (day, region, service)
        q = {"Action": "connect", "User": user, "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
             "X-Amz-Credential": "%s/%s" % (c["akid"], scope), "X-Amz-Date": amz_date,
             "X-Amz-Expires": "900", "X-Amz-SignedHeaders": "host"}
        enc = lambda s: urllib.parse.quote(s, safe="-_.~")  # noqa: E731
        cq = "&".join("%s=%s" % (enc(k), enc(v)) for k, v in sorted(q.items()))
        creq = "\n".join(["GET", "/", cq, "host:%s" % name, "", "host",
                          hashlib.sha256(b"").hexdigest()])
        sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                         hashlib.sha256(creq.encode()).hexdigest()])
        key = ("AWS4" + c["secret"]).encode()
        for part in (day, region, service, "aws4_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        sig = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
        if os.environ.get("MT_VERBOSE"):
            print("\ncanonical request:\n%s\n\nstring to sign:\n%s\n\nsignature %s" %
                  (creq, sts, sig))
        got = ours(self.home.path, c, ["--engine", "elasticache", "--host", "x.example",
                                       "--user", user, "--cache-name", "Sessions",
                                       "--region", region])
        self.assertEqual(canonical(got), (name, "&".join(
            sorted(cq.split("&") + ["X-Amz-Signature=" + sig]))))
        # and the second oracle agrees on the same case
        self.assertEqual(canonical(got), canonical(sigv4_query_oracle(
            c, name, service, region, {"Action": "connect", "User": user})))


class BadInput(unittest.TestCase):
    def setUp(self):
        self.home = mtlib.Home()
        self.home.aws_credentials("[default]\naws_access_key_id = AKIDX\n"
                                  "aws_secret_access_key = s\n")

    def tearDown(self):
        self.home.cleanup()

    def check(self, yaml, args, code, pattern):
        self.home.yaml(yaml)
        r = mtlib.run(["db", "token", "--format", "token"] + args, self.home.env())
        self.assertEqual(r.returncode, code, r.stderr)
        self.assertEqual(r.stdout, "")
        self.assertRegex(r.stderr, pattern)

    def test_config_errors_name_the_position(self):
        base = ("defaults:\n  region: eu-west-1\n  user: u\nenvironments:\n  e:\n    databases:\n"
                "      d:\n        host: h.example\n")
        y = r"\.mytools\.yaml:"
        for extra, pattern in (
                ("        engine: dsql\n        expires_in: 0\n", y + r"10:21: .*expires_in"),
                ("        engine: dsql\n        expires_in: 604801\n", y + r"10:21: .*expires_in"),
                ("        engine: dsql\n        serverless: true\n",
                 y + r"8:9: 'serverless' applies to engine elasticache only, not dsql"),
                ("        engine: memorydb\n        serverless: true\n        cache_name: c\n",
                 y + r"8:9: 'serverless' applies to engine elasticache only, not memorydb"),
                ("        engine: valkey\n", y + r"8:9: no cache_name for database 'd'"),
                ("        engine: mysql\n        cache_name: c\n", y + r"8:9: 'cache_name' applies"),
                ("        engine: dsql\n        serverless: maybe\n", y + r"10:21: 'serverless' must be"),
                ("        engine: redshift\n", y + r"9:17: unknown engine 'redshift'")):
            with self.subTest(extra=extra):
                self.check(base + extra, ["-e", "e", "-d", "d"], 3, pattern)

    def test_flag_errors_are_usage_errors(self):
        h = ["--host", "x.dsql.eu-west-1.on.aws", "--user", "u"]
        for args, pattern in (
                (h + ["--engine", "dsql", "--expires-in", "0"], "--expires-in"),
                (h + ["--engine", "dsql", "--expires-in", "604801"], "--expires-in"),
                (h + ["--engine", "dsql", "--expires-in", "9x"], "--expires-in"),
                (h + ["--engine", "postgres", "--serverless"], "--serverless applies"),
                (h + ["--engine", "mysql", "--admin"], "--admin applies"),
                (h + ["--engine", "elasticache"], "missing --cache-name"),
                (h + ["--engine", "postgres", "--cache-name", "c"], "--cache-name applies")):
            with self.subTest(args=args):
                self.check("", args, 2, pattern)


if __name__ == "__main__":
    unittest.main(verbosity=1)
