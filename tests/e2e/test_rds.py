"""kms/rds.c (mt_rds_describe) against moto_server with signature checking on.

botocore is the oracle: whatever it reads from moto's DescribeDBInstances / DescribeDBClusters /
DescribeDBProxies answers, the C client must read too (identifiers, ARNs, resource ids, endpoint,
port, IAM authentication flag), across pages (MaxRecords=100, so more than 100 instances), and an
AccessDenied answer must come back as such.
"""
import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import awsfix  # noqa: E402

DRIVER = os.environ.get("MT_RDS_DRIVER") or os.path.join(
    os.environ.get("MT_BUILD_DIR", "build"), "tests", "rds_driver")


make_fleet = awsfix.make_fleet  # test_doctor.py imports it from here


def oracle(rds, kind):
    """What botocore reads, in the driver's terms."""
    out = []
    if kind == "instance":
        for p in rds.get_paginator("describe_db_instances").paginate():
            for d in p["DBInstances"]:
                out.append({"id": d["DBInstanceIdentifier"], "arn": d["DBInstanceArn"],
                            "resource_id": d["DbiResourceId"], "engine": d["Engine"],
                            "address": d["Endpoint"]["Address"], "reader": "-",
                            "port": str(d["Endpoint"]["Port"]),
                            "iam": "1" if d["IAMDatabaseAuthenticationEnabled"] else "0",
                            "status": d["DBInstanceStatus"]})
    elif kind == "cluster":
        for p in rds.get_paginator("describe_db_clusters").paginate():
            for d in p["DBClusters"]:
                out.append({"id": d["DBClusterIdentifier"], "arn": d["DBClusterArn"],
                            "resource_id": d["DbClusterResourceId"], "engine": d["Engine"],
                            "address": d["Endpoint"], "reader": d["ReaderEndpoint"],
                            "port": str(d["Port"]),
                            "iam": "1" if d["IAMDatabaseAuthenticationEnabled"] else "0",
                            "status": d["Status"]})
    else:
        for p in rds.get_paginator("describe_db_proxies").paginate():
            for d in p["DBProxies"]:
                iam = any(a.get("IAMAuth") in ("REQUIRED", "ENABLED") for a in d.get("Auth", []))
                out.append({"id": d["DBProxyName"], "arn": d["DBProxyArn"],
                            "resource_id": d["DBProxyArn"].rsplit(":", 1)[1],
                            "engine": d["EngineFamily"], "address": d["Endpoint"], "reader": "-",
                            "port": {"MYSQL": "3306", "POSTGRESQL": "5432"}[d["EngineFamily"]],
                            "iam": "1" if iam else "0", "status": d["Status"]})
    return out


def run_driver(moto, kind, keys=None):
    env = awsfix._clean_env({"MT_RDS_ENDPOINT": moto.endpoint, "MT_RDS_REGION": moto.region,
                             "AWS_ACCESS_KEY_ID": (keys or moto.env())["AWS_ACCESS_KEY_ID"],
                             "AWS_SECRET_ACCESS_KEY":
                                 (keys or moto.env())["AWS_SECRET_ACCESS_KEY"]})
    p = subprocess.run([DRIVER, kind], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=120)
    lines = p.stdout.splitlines()
    rows = [dict(f.split("=", 1) for f in ln.split(" ")) for ln in lines[:-1]]
    return p.returncode, rows, lines[-1] if lines else ""


class RdsDescribe(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.moto = awsfix.Moto().start()
        cls.rds = make_fleet(cls.moto, n_extra=103)   # > MaxRecords: the Marker loop runs

    @classmethod
    def tearDownClass(cls):
        cls.moto.stop()

    def check(self, kind, expect_min):
        rc, rows, last = run_driver(self.moto, kind)
        self.assertEqual((rc, last), (0, "ok"))
        want = oracle(self.rds, kind)
        self.assertGreaterEqual(len(want), expect_min)
        key = lambda r: r["id"]  # noqa: E731
        self.assertEqual(sorted(rows, key=key), sorted(want, key=key))

    def test_instances_across_pages(self):
        self.check("instance", 105)

    def test_clusters(self):
        self.check("cluster", 1)

    def test_proxies(self):
        self.check("proxy", 1)

    def test_iam_flags_and_resource_ids(self):
        rc, rows, _ = run_driver(self.moto, "instance")
        by = {r["id"]: r for r in rows}
        self.assertEqual(by["pg-iam"]["iam"], "1")
        self.assertEqual(by["my-noiam"]["iam"], "0")
        self.assertTrue(by["pg-iam"]["resource_id"].startswith("db-"))

    def test_wrong_secret_is_an_auth_error(self):
        keys = dict(self.moto.env())
        keys["AWS_SECRET_ACCESS_KEY"] = "wrong" + keys["AWS_SECRET_ACCESS_KEY"][5:]
        rc, rows, last = run_driver(self.moto, "instance", keys)
        self.assertEqual(rc, 4, last)
        self.assertIn("SignatureDoesNotMatch", last)

    def test_access_denied(self):
        iam = self.moto.client("iam")
        iam.create_user(UserName="no-rds")
        iam.put_user_policy(UserName="no-rds", PolicyName="sts-only", PolicyDocument=json.dumps(
            {"Version": "2012-10-17",
             "Statement": [{"Effect": "Allow", "Action": "sts:*", "Resource": "*"}]}))
        k = iam.create_access_key(UserName="no-rds")["AccessKey"]
        rc, rows, last = run_driver(self.moto, "cluster", {
            "AWS_ACCESS_KEY_ID": k["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": k["SecretAccessKey"]})
        self.assertEqual(rc, 1, last)
        self.assertRegex(last, r"type=AccessDenied")


if __name__ == "__main__":
    unittest.main(verbosity=2)
