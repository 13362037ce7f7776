"""Flat in input size (contract section 8), side by side in one run (see bench/run.sh):
  - a warm `db token` (parse cache valid, cached SSO role credentials) with 20 / 2,000 / 20,000
    configured databases: 20,000 may cost at most 1.5x what 20 cost;
  - `db token` with an ~/.aws/credentials of 100,000 sections (the profile asked for is the
    last): parse and sign in under 100 ms.
Times with hyperfine (median), stdlib only. Usage: python3 bench/scale.py BIN [runs]"""
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
import awsfix  # noqa: E402  (cache file names as botocore computes them)

bin_path = sys.argv[1]
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 30


def yaml_config(n_db):
    envs = max(1, n_db // 100)
    per = n_db // envs
    lines = ["defaults:", "  region: eu-west-1", "  engine: mysql", "  clipboard: off",
             "environments:"]
    k = 0
    for e in range(envs):
        lines += ["  env%d:" % e, "    profile: bench", "    user: app_user", "    databases:"]
        for _ in range(per):
            lines += ["      db%d:" % k,
                      "        host: db%d.cluster-abc123.eu-west-1.rds.amazonaws.com" % k,
                      "        port: 3306", "        name: schema%d" % k]
            k += 1
    return "\n".join(lines) + "\n", "env%d" % (envs - 1), "db%d" % (k - 1)


def sso_home(home):
    os.makedirs(os.path.join(home, ".aws/cli/cache"), exist_ok=True)
    with open(os.path.join(home, ".aws/config"), "w") as f:
        f.write("[profile bench]\nsso_session = corp\nsso_account_id = 123456789012\n"
                "sso_role_name = ReadOnly\nregion = eu-west-1\n\n[sso-session corp]\n"
                "sso_start_url = https://d-1234567890.awsapps.com/start\nsso_region = us-east-1\n")
    exp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 8 * 3600))
    creds = {"AccessKeyId": "FAKEBENCHTEMPKEY0001", "SecretAccessKey": "s" * 40,
             "SessionToken": "IQoJb3JpZ2luX2Vj" + "x" * 700, "Expiration": exp,
             "AccountId": "123456789012"}
    name = awsfix.cli_cache_name("123456789012", "ReadOnly", session_name="corp")
    with open(os.path.join(home, ".aws/cli/cache", name), "w") as f:
        json.dump({"ProviderType": "sso", "Credentials": creds}, f)


def median_ms(argv, env, n):
    js = tempfile.mktemp(suffix=".json")
    try:
        subprocess.run(["hyperfine", "-N", "--warmup", "3", "--runs", str(n), "--export-json", js,
                        "--", " ".join(argv)], env=env, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        with open(js) as f:
            t = sorted(json.load(f)["results"][0]["times"])
        return t[len(t) // 2] * 1000
    finally:
        if os.path.exists(js):
            os.unlink(js)


def check(argv, env):
    r = subprocess.run(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=120)
    if r.returncode != 0 or "Action=connect" not in r.stdout:
        sys.exit("%s failed: %d %s" % (" ".join(argv[:3]), r.returncode, r.stderr[-400:]))


rows = []
homes = []
try:
    for n_db in (20, 2000, 20000):
        home = tempfile.mkdtemp(prefix="mt-scale-")
        homes.append(home)
        text, env_name, db = yaml_config(n_db)
        cfg = os.path.join(home, ".mytools.yaml")
        with open(cfg, "w") as f:
            f.write(text)
        os.utime(cfg, (time.time() - 86400, time.time() - 86400))
        sso_home(home)
        env = {"HOME": home, "PATH": os.environ["PATH"], "LC_ALL": "C",
               "AWS_EC2_METADATA_DISABLED": "true"}
        argv = [bin_path, "db", "token", "-e", env_name, "-d", db, "--format", "token"]
        homes.append(home)
        rows.append(("warm db token, %s databases" % format(n_db, ","), argv, env))
    time.sleep(2.5)  # past the parse cache's racy window: the first run writes the cache
    home = tempfile.mkdtemp(prefix="mt-scale-")
    homes.append(home)
    os.makedirs(os.path.join(home, ".aws"))
    with open(os.path.join(home, ".aws/credentials"), "w") as f:
        for i in range(100000):
            f.write("[p%d]\naws_access_key_id = AKIAEXAMPLE%09d\n"
                    "aws_secret_access_key = %s\n" % (i, i, "k" * 40))
    env = {"HOME": home, "PATH": os.environ["PATH"], "LC_ALL": "C",
           "AWS_EC2_METADATA_DISABLED": "true", "AWS_CONFIG_FILE": os.devnull}
    rows.append(("db token, ~/.aws/credentials of 100,000 sections",
                 [bin_path, "db", "token", "--host", "db.example.eu-west-1.rds.amazonaws.com",
                  "--user", "app", "--region", "eu-west-1", "--profile", "p99999",
                  "--format", "token"], env))
    results = []
    for name, argv, env in rows:
        check(argv, env)
        check(argv, env)  # the parse cache is written by a run past the racy window
        results.append((name, median_ms(argv, env, runs)))
    base = results[0][1]
    print("\n### Flat in input size\n")
    print("| run | median wall | vs 20 databases |")
    print("|---|---|---|")
    for name, ms in results:
        print("| %s | %.2f ms | %s |" % (name, ms, "%.2f×" % (ms / base)
                                         if "databases" in name else "—"))
    print("\n%s, %d runs each, %s" % (datetime.date.today().isoformat(), runs, os.uname().machine))
finally:
    for h in homes:
        shutil.rmtree(h, ignore_errors=True)
