"""db token benchmark driver (see bench/run.sh). Stdlib only; times with hyperfine, peak RSS
with wait4(2). Credentials reach every tool through files or its environment, never argv."""
import datetime
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

bin_path, out_dir, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
go_bin = sys.argv[4] if len(sys.argv) > 4 else None
home = tempfile.mkdtemp(prefix="mt-bench-")
host = "db1999.cluster-abc123.eu-west-1.rds.amazonaws.com"

try:
    # a config of 2,000 databases in 20 environments; the one asked for is the last
    lines = ["defaults:", "  region: eu-west-1", "  engine: mysql", "  clipboard: off",
             "environments:"]
    n = 0
    for e in range(20):
        lines += ["  env%d:" % e, "    profile: bench", "    user: app_user", "    databases:"]
        for _ in range(100):
            lines += ["      db%d:" % n,
                      "        host: db%d.cluster-abc123.eu-west-1.rds.amazonaws.com" % n,
                      "        port: 3306", "        name: schema%d" % n]
            n += 1
    cfg = os.path.join(home, ".mytools.yaml")
    with open(cfg, "w") as f:
        f.write("\n".join(lines) + "\n")
    # an engineer's config is not seconds old: give it an old mtime and let its ctime age past
    # the parse cache's racy window (2 s), as on any run but the first after an edit
    os.utime(cfg, (time.time() - 86400, time.time() - 86400))
    time.sleep(2.5)
    os.makedirs(os.path.join(home, ".aws/cli/cache"))
    with open(os.path.join(home, ".aws/config"), "w") as f:
        f.write("[profile bench]\nsso_session = corp\nsso_account_id = 123456789012\n"
                "sso_role_name = ReadOnly\nregion = eu-west-1\n\n[sso-session corp]\n"
                "sso_start_url = https://d-1234567890.awsapps.com/start\nsso_region = us-east-1\n")
    exp = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=8))
    creds = {"AccessKeyId": "FAKEBENCHTEMPKEY0001", "SecretAccessKey": "s" * 40,
             "SessionToken": "IQoJb3JpZ2luX2Vj" + "x" * 700,
             "Expiration": exp.strftime("%Y-%m-%dT%H:%M:%SZ"), "AccountId": "123456789012"}
    key = hashlib.sha1(json.dumps({"accountId": "123456789012", "roleName": "ReadOnly",
                                   "sessionName": "corp"}, sort_keys=True,
                                  separators=(",", ":")).encode()).hexdigest()
    with open(os.path.join(home, ".aws/cli/cache", key + ".json"), "w") as f:
        json.dump({"ProviderType": "sso", "Credentials": creds}, f)

    base_env = {"HOME": home, "PATH": os.environ["PATH"], "LC_ALL": "C",
                "AWS_EC2_METADATA_DISABLED": "true"}
    # the peers sign with the same (cached) temporary credentials, from their environment
    peer_env = dict(base_env, AWS_ACCESS_KEY_ID=creds["AccessKeyId"],
                    AWS_SECRET_ACCESS_KEY=creds["SecretAccessKey"],
                    AWS_SESSION_TOKEN=creds["SessionToken"], AWS_CONFIG_FILE=os.devnull)
    node_script = os.path.join(out_dir, "node", "token.js")
    with open(node_script, "w") as f:
        f.write("const {Signer} = require('@aws-sdk/rds-signer');\n"
                "new Signer({hostname: '%s', port: 3306, username: 'app_user', region: "
                "'eu-west-1'}).getAuthToken().then(t => process.stdout.write(t + '\\n'));\n" % host)
    node_env = dict(peer_env, NODE_PATH=os.path.join(out_dir, "node", "node_modules"))

    tools = [
        ("mytools db token", [bin_path, "db", "token", "-e", "env19", "-d", "db1999",
                              "--format", "token"], base_env),
        ("aws rds generate-db-auth-token", [shutil.which("aws"), "rds", "generate-db-auth-token",
                                            "--hostname", host, "--port", "3306", "--username",
                                            "app_user", "--region", "eu-west-1"], peer_env),
        ("node @aws-sdk/rds-signer", [shutil.which("node"), node_script], node_env),
    ]
    if go_bin:
        # LoadDefaultConfig reads the environment credentials, as the other peers do
        tools.append(("go aws-sdk-go-v2 BuildAuthToken", [go_bin, host + ":3306", "eu-west-1",
                                                          "app_user"], peer_env))

    results = []
    for name, argv, env in tools:
        # correctness first: each prints one token for the same host
        r = subprocess.run(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=60)
        # (aws-sdk-go-v2 writes "host:port?Action=..." without the '/' the others put first)
        if r.returncode != 0 or not r.stdout.startswith((host + ":3306/?Action=connect",
                                                         host + ":3306?Action=connect")):
            sys.exit("%s failed: %s %s" % (name, r.returncode, r.stderr[-400:]))
        # peak RSS of a few runs, in kilobytes, from GNU time (a fork of this Python process
        # would count Python's own pages before exec)
        rss = []
        for _ in range(5):
            r = subprocess.run(["/usr/bin/time", "-f", "%M"] + argv, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            rss.append(int(r.stderr.strip().splitlines()[-1]))
        n_runs = runs if name.startswith("mytools") else max(5, runs // 3)
        js = os.path.join(out_dir, "hyperfine.json")
        hf_env = dict(env)
        subprocess.run(["hyperfine", "-N", "--warmup", "3", "--runs", str(n_runs),
                        "--export-json", js, "--", " ".join(argv)], env=hf_env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(js) as f:
            times = json.load(f)["results"][0]["times"]
        results.append((name, statistics.median(times) * 1000, max(rss) / 1024.0))

    ours = results[0]
    print("| command | median wall | peak RSS | mytools is faster by |")
    print("|---|---|---|---|")
    for name, ms, mb in results:
        ratio = "—" if name == ours[0] else "%.0f×" % (ms / ours[1])
        print("| %s | %.2f ms | %.1f MB | %s |" % (name, ms, mb, ratio))
    print("\n%s, %d runs of mytools (config: 2,000 databases, cached SSO credentials), %s" % (
        datetime.date.today().isoformat(), runs, os.uname().machine))
finally:
    shutil.rmtree(home, ignore_errors=True)
