"""The demo behind README's first command: a throw-away HOME, moto_server on 127.0.0.1 with
signature checking on, and mytools doing its main job there. Everything it starts it stops."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "e2e"))
import awsfix  # noqa: E402
import mtlib  # noqa: E402

MYTOOLS = os.path.abspath(sys.argv[1])
CONFIG = """\
defaults:
  region: eu-west-1
  profile: demo
  clipboard: off
environments:
  production:
    aliases: [prod]
    user: prod_engineer
    databases:
      orders:
        host: orders.cluster-abc123.eu-west-1.rds.amazonaws.com
        name: orders
      payments:
        host: payments.cluster-abc123.eu-central-1.rds.amazonaws.com
        engine: postgres
"""


def show(title, argv, env):
    print("\n$ " + " ".join(["mytools"] + argv[1:]) + "    # " + title)
    r = subprocess.run(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sys.stdout.write(r.stdout)
    sys.stdout.write(r.stderr)
    if r.returncode != 0:
        sys.exit("demo: step failed with exit status %d" % r.returncode)
    return r.stdout


with awsfix.Moto() as moto, awsfix.TempHome() as home:
    print("moto_server on %s with signature checking on; IAM user keys in a temporary HOME"
          % moto.endpoint)
    home.write(".mytools.yaml", CONFIG)
    home.write(".aws/credentials", moto.credentials_ini("demo"))
    home.write(".aws/config", "[profile demo]\nregion = eu-west-1\n")
    env = {"HOME": home.path, "PATH": os.environ["PATH"], "LC_ALL": "C",
           "AWS_ENDPOINT_URL_STS": moto.endpoint}
    # the keys mytools will sign with are real: moto accepts them on a signed STS call
    print("caller identity of the demo profile:", moto.caller_identity()["Arn"])

    show("environments and databases", [MYTOOLS, "db", "list"], env)
    show("where the config is", [MYTOOLS, "config", "path"], env)
    tok = json.loads(show("a token for a script, as JSON",
                          [MYTOOLS, "db", "token", "-e", "prod", "-d", "orders", "--format",
                           "json"], env))
    print("\nregion taken from the host name: %s; expires at %s" % (tok["region"],
                                                                    tok["expires_at"]))
    # the same token from the AWS CLI for the same credentials and a pinned clock
    pinned = "2026-01-02 03:04:05"
    pinned_env = dict(env, TZ="UTC", **mtlib.faketime_vars(pinned, env))
    ours = subprocess.run([MYTOOLS, "db", "token", "-e", "prod", "-d",
                           "orders"], env=pinned_env, stdout=subprocess.PIPE,
                          text=True, check=True).stdout.strip()
    theirs = subprocess.run(["aws", "rds", "generate-db-auth-token",
                             "--profile", "demo", "--hostname", tok["host"], "--port", "3306",
                             "--username", tok["user"], "--region", tok["region"]],
                            env=pinned_env, stdout=subprocess.PIPE, text=True,
                            check=True).stdout.strip()
    if ours != theirs:
        sys.exit("demo: token differs from aws rds generate-db-auth-token")
    print("byte-identical to `aws rds generate-db-auth-token` at %s UTC" % pinned)
    show("shell exports for psql", [MYTOOLS, "db", "token", "-e", "prod", "-d", "payments",
                                    "--format", "env"], env)
    show("a password and its PostgreSQL verifier",
         [MYTOOLS, "mkpassword", "--length", "24", "--symbols", "--hash", "scram-sha-256"], env)
    print("\ndemo: ok")
