#!/usr/bin/env python3
"""Regenerates tests/vectors/sigv4/botocore.json from botocore (the pure-Python signers, no awscrt).

Every expected value in that file is computed by botocore here, never by mytools:
  rds      - RDSClient.generate_db_auth_token (same code as `aws rds generate-db-auth-token`),
             plus the canonical request and string to sign botocore built for it
  headers  - SigV4Auth.add_auth on a POST/GET AWSRequest (KMS / Secrets Manager / STS shapes)
  paths    - SigV4Auth._normalize_url_path (normalise + second encoding, non-S3)
  queries  - SigV4Auth._canonical_query_string_params (decoded pairs -> canonical query)
  encode   - botocore.utils.percent_encode (RFC 3986 unreserved only)
The clock is frozen by patching botocore.auth.get_current_datetime. No network.
Usage: python3 gen_botocore.py > botocore.json
"""
import datetime
import json
from unittest import mock

import botocore
import botocore.auth
import botocore.session
import botocore.utils
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

AKID = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
FROZEN = datetime.datetime(2026, 1, 2, 3, 4, 5)
TOKEN = "IQoJb3JpZ2luX2VjEXAMPLE/SESSION+TOKEN=="

captured = {}
_orig_cr = botocore.auth.SigV4Auth.canonical_request
_orig_sts = botocore.auth.SigV4Auth.string_to_sign


def _cr(self, request):
    captured["canonical_request"] = _orig_cr(self, request)
    return captured["canonical_request"]


def _sts(self, request, canonical_request):
    captured["string_to_sign"] = _orig_sts(self, request, canonical_request)
    return captured["string_to_sign"]


def frozen():
    return [mock.patch("botocore.auth.get_current_datetime", return_value=FROZEN),
            mock.patch.object(botocore.auth.SigV4Auth, "canonical_request", _cr),
            mock.patch.object(botocore.auth.SigV4Auth, "string_to_sign", _sts)]


def run_frozen(fn):
    patches = frozen()
    for p in patches:
        p.start()
    try:
        captured.clear()
        return fn()
    finally:
        for p in reversed(patches):
            p.stop()


RDS_CASES = [
    {"name": "doc-2.3", "host": "mydb.123456789012.us-east-1.rds.amazonaws.com", "port": 3306, "user": "jane_doe", "region": "us-east-1"},
    {"name": "doc-2.4-token", "host": "mydb.123456789012.us-east-1.rds.amazonaws.com", "port": 3306, "user": "jane_doe", "region": "us-east-1", "token": "FwoGZXIvYXdzEXAMPLE"},
    {"name": "upper-case-host", "host": "MyDB.123456789012.us-east-1.rds.amazonaws.com", "port": 5432, "user": "jane_doe", "region": "us-east-1"},
    {"name": "port-443", "host": "mydb.123456789012.us-east-1.rds.amazonaws.com", "port": 443, "user": "jane_doe", "region": "us-east-1"},
    {"name": "upper-case-host-port-443", "host": "MyDB.123456789012.us-east-1.rds.amazonaws.com", "port": 443, "user": "db user+1@x", "region": "us-east-1"},
    {"name": "port-80", "host": "mydb.123456789012.us-east-1.rds.amazonaws.com", "port": 80, "user": "jane_doe", "region": "us-east-1"},
    {"name": "ipv6-literal", "host": "[::1]", "port": 5432, "user": "jane_doe", "region": "us-east-1"},
    {"name": "ipv6-upper", "host": "[FD00::AB]", "port": 5432, "user": "jane_doe", "region": "us-east-1"},
    {"name": "ipv4", "host": "10.0.0.1", "port": 5432, "user": "jane_doe", "region": "us-east-1"},
    {"name": "anchors-user-encoding", "host": "pg.cluster-abc.eu-west-1.rds.amazonaws.com", "port": 5432, "user": "db user+1@x", "region": "eu-west-1"},
    {"name": "anchors-token", "host": "mydb.123456789012.us-east-1.rds.amazonaws.com", "port": 3306, "user": "jane_doe", "region": "us-east-1", "token": TOKEN},
    {"name": "user-email", "host": "mydb.123456789012.us-east-1.rds.amazonaws.com", "port": 3306, "user": "jane.doe@example.com", "region": "us-east-1"},
    {"name": "token-slash-plus", "host": "mydb.123456789012.us-east-1.rds.amazonaws.com", "port": 3306, "user": "jane_doe", "region": "us-east-1", "token": "IQoJb3JpZ2luX2VjEXAMPLE/abc+def=="},
    {"name": "user-utf8-reserved", "host": "mydb.example.com.", "port": 3306, "user": "\u00fc ~*/=&?%", "region": "us-east-1"},
    {"name": "port-1", "host": "db_1.internal", "port": 1, "user": "u", "region": "ap-southeast-2"},
    {"name": "port-65535-token", "host": "DB.Example.COM", "port": 65535, "user": "Admin", "region": "us-gov-west-1", "token": "a b+c/d=e~f_g.h-i"},
]

HEADER_CASES = [
    {"name": "kms-encrypt-token", "method": "POST", "url": "https://kms.eu-west-1.amazonaws.com/",
     "headers": [["X-Amz-Target", "TrentService.Encrypt"], ["Content-Type", "application/x-amz-json-1.1"]],
     "body": "{\"KeyId\": \"alias/my-key\", \"Plaintext\": \"aGVsbG8gd29ybGQ=\"}",
     "region": "eu-west-1", "service": "kms", "token": TOKEN},
    {"name": "secretsmanager-get-no-token", "method": "POST", "url": "https://secretsmanager.us-east-1.amazonaws.com/",
     "headers": [["X-Amz-Target", "secretsmanager.GetSecretValue"], ["Content-Type", "application/x-amz-json-1.1"]],
     "body": "{\"SecretId\": \"prod/db/password\"}", "region": "us-east-1", "service": "secretsmanager"},
    {"name": "sts-local-port-token", "method": "POST", "url": "http://127.0.0.1:28417/",
     "headers": [["Content-Type", "application/x-www-form-urlencoded; charset=utf-8"]],
     "body": "Action=GetCallerIdentity&Version=2011-06-15", "region": "us-west-2", "service": "sts", "token": "FwoGZXIvYXdzEXAMPLE"},
    {"name": "get-with-params-and-spaces", "method": "GET", "url": "https://sts.amazonaws.com/",
     "params": [["Version", "2011-06-15"], ["Action", "GetCallerIdentity"], ["Marker", "a b/c+d=e~"]],
     "headers": [["X-Custom", "  two   spaces\there  "]], "body": "", "region": "us-east-1", "service": "sts"},
]

PATHS = ["", "/", "//", "/./", "/..", "/a/b/../c/./d", "/a/b/..", "/a//b///c/", "/example space/",
         "/%20/%2F", "/\u1234", "/a~b!c$d'e(f)g*h+i,j;k=l:m@n", "/~user/.hidden/./x/", "/a/b/c/../../../../d"]

QUERIES = [
    [["Action", "connect"], ["DBUser", "jane_doe"]],
    [["b", "2"], ["a", "3"], ["a", "1"], ["A", "z"], ["a", ""]],
    [["key with space", "value+plus/slash=eq&amp"], ["~tilde", "*star"], ["\u00e9", "\u1234"], ["X-Amz-Foo", "bar"]],
    [["k", "v%20"], ["_", "-"], [".", "~"]],
]

ENCODE = ["", "abcXYZ019-_.~", " ", "+", "/", "=", "@", ":", "%", "*", "!", "\u00fc", "\u1234", "a/b c+d=e@f:g",
          "\x7f\x01", "IQoJb3JpZ2luX2VjEXAMPLE/SESSION+TOKEN=="]


def rds(case):
    sess = botocore.session.get_session()
    client = sess.create_client("rds", region_name=case["region"], aws_access_key_id=AKID,
                                aws_secret_access_key=SECRET, aws_session_token=case.get("token"))
    tok = run_frozen(lambda: client.generate_db_auth_token(DBHostname=case["host"], Port=case["port"],
                                                           DBUsername=case["user"], Region=case["region"]))
    return dict(case, token_out=tok, canonical_request=captured["canonical_request"],
                string_to_sign=captured["string_to_sign"])


def header(case):
    creds = Credentials(AKID, SECRET, case.get("token"))
    req = AWSRequest(method=case["method"], url=case["url"], data=case["body"].encode(),
                     params=dict(case.get("params", [])), headers=dict(case["headers"]))
    prepared_params = case.get("params", [])

    def sign():
        botocore.auth.SigV4Auth(creds, case["service"], case["region"]).add_auth(req)

    run_frozen(sign)
    sent = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in req.headers.items()}
    host = botocore.auth._host_from_url(req.url)
    return dict(case, params=prepared_params, host=host, canonical_request=captured["canonical_request"],
                string_to_sign=captured["string_to_sign"], x_amz_date=sent["X-Amz-Date"],
                authorization=sent["Authorization"], x_amz_security_token=sent.get("X-Amz-Security-Token"))


def main():
    signer = botocore.auth.SigV4Auth(Credentials(AKID, SECRET), "s", "r")
    out = {
        "generator": "botocore %s (pure-Python signers), clock frozen at 2026-01-02T03:04:05Z; "
                     "regenerate with tests/vectors/sigv4/gen_botocore.py" % botocore.__version__,
        "access_key_id": AKID, "secret_access_key": SECRET, "now": "2026-01-02T03:04:05Z",
        "rds": [rds(c) for c in RDS_CASES],
        "headers": [header(c) for c in HEADER_CASES],
        "paths": [{"in": p, "out": signer._normalize_url_path(p)} for p in PATHS],
        "queries": [{"in": q, "out": signer._canonical_query_string_params(q)} for q in QUERIES],
        "encode": [{"in": s, "out": botocore.utils.percent_encode(s)} for s in ENCODE],
    }
    print(json.dumps(out, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
