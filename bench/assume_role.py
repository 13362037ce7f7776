"""Warm `db token` with an assume-role profile (see bench/run.sh): a two-hop chain
(base -> r1 -> r2) whose r2 credentials sit in ~/.aws/cli/cache under the AWS CLI's name, so
neither tool makes a request. Compares mytools with the same profile through
`aws rds generate-db-auth-token --profile r2` (which reuses the same cache file) and with the cached
SSO case. Stdlib only; times with hyperfine. Usage: assume_role.py BIN RUNS"""
import datetime
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

bin_path, runs = sys.argv[1], int(sys.argv[2])
home = tempfile.mkdtemp(prefix="mt-bench-ar-")
host = "db1.cluster-abc123.eu-west-1.rds.amazonaws.com"
arn = "arn:aws:iam::123456789012:role/Admin"


def hf(argv, env, n):
    js = os.path.join(home, "hf.json")
    subprocess.run(["hyperfine", "-N", "--warmup", "3", "--runs", str(n), "--export-json", js,
                    "--", " ".join(argv)], env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    with open(js) as f:
        return statistics.median(json.load(f)["results"][0]["times"]) * 1000


try:
    os.makedirs(os.path.join(home, ".aws/cli/cache"), mode=0o700)
    with open(os.path.join(home, ".aws/credentials"), "w") as f:
        f.write("[base]\naws_access_key_id = FAKEBENCHSTATICKEY01\n"
                "aws_secret_access_key = %s\n" % ("b" * 40))
    with open(os.path.join(home, ".aws/config"), "w") as f:
        f.write("[profile r1]\nrole_arn = arn:aws:iam::123456789012:role/Hop\nsource_profile = base\n"
                "region = eu-west-1\n\n[profile r2]\nrole_arn = %s\nsource_profile = r1\n"
                "region = eu-west-1\n" % arn)
    exp = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
    # the AWS CLI's name: sha1 of json.dumps(args, sort_keys=True) (aws-wire.md 10.1)
    name = hashlib.sha1(json.dumps({"RoleArn": arn}, sort_keys=True).encode()).hexdigest()
    with open(os.path.join(home, ".aws/cli/cache", name + ".json"), "w") as f:
        json.dump({"Credentials": {"AccessKeyId": "FAKEBENCHTEMPKEY0002", "SecretAccessKey": "s" * 40,
                                   "SessionToken": "IQoJb3JpZ2luX2Vj" + "x" * 700,
                                   "Expiration": exp.strftime("%Y-%m-%dT%H:%M:%SZ")},
                   "AssumedRoleUser": {"AssumedRoleId": "AROA:s", "Arn": arn + "/s"},
                   "ResponseMetadata": {}}, f)
    env = {"HOME": home, "PATH": os.environ["PATH"], "LC_ALL": "C", "MYTOOLS_CONFIG": os.devnull,
           "AWS_EC2_METADATA_DISABLED": "true"}
    ours = [bin_path, "db", "token", "--host", host, "--user", "app_user", "--profile", "r2",
            "--format", "token"]
    aws = [shutil.which("aws"), "rds", "generate-db-auth-token", "--hostname", host, "--port",
           "3306", "--username", "app_user", "--region", "eu-west-1", "--profile", "r2"]
    for argv in (ours, aws):
        r = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
        if r.returncode != 0 or "X-Amz-Credential=FAKEBENCHTEMPKEY0002" not in r.stdout:
            sys.exit("%s did not use the cached assumed role: %s" % (argv[0], r.stderr[-400:]))
    m = hf(ours, env, runs)
    a = hf(aws, env, max(5, runs // 3))
    print("\n#### Warm `db token` with a cached assume-role profile (two hops, ~/.aws/cli/cache)\n")
    print("| command | median wall | mytools is faster by |")
    print("|---|---|---|")
    print("| mytools db token --profile r2 | %.2f ms | — |" % m)
    print("| aws rds generate-db-auth-token --profile r2 | %.2f ms | %.0f× |" % (a, a / m))
    print("\n%s, %d runs of mytools; target (contract §8): ≤ 5 ms" % (datetime.date.today().isoformat(), runs))
finally:
    shutil.rmtree(home, ignore_errors=True)
