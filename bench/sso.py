"""SSO refresh benchmark (see bench/run.sh): `mytools db token` on an expired IAM Identity Center
token against the local fake SSO service (tests/e2e/fake_sso.py, HTTPS on 127.0.0.1), end to end:
token cache read, CreateToken(refresh_token), GetRoleCredentials, both caches written, RDS token
signed. Reports the requests and TLS handshakes the fake saw per run (contract section 8: at most
one CreateToken + one GetRoleCredentials, one TLS handshake per host) and the wall time; the warm
path (role credentials cached) for comparison. Prints a markdown table.

Usage: python3 bench/sso.py MYTOOLS_BINARY [runs]. Stdlib + the e2e fixtures; tokens only in
files, never in argv."""
import os
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
import awsfix  # noqa: E402
import fake_sso  # noqa: E402

START_URL = "https://d-1234567890.awsapps.com/start"
ARGS = ["db", "token", "--host", "db1.cluster-abc.us-east-1.rds.amazonaws.com", "--user", "app",
        "--region", "us-east-1", "--profile", "p", "--format", "token"]


def main():
    binary = os.path.abspath(sys.argv[1])
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    rows = []
    with fake_sso.FakeSSO() as fake, awsfix.TempHome() as home:
        home.sso_profile_config()
        env = home.env(fake=fake)
        cold, warm, creates, roles, conns = [], [], [], [], []
        for _ in range(runs):
            f = fake.mint_session(start_url=START_URL)
            f.pop("expiresIn")
            f["expiresAt"] = awsfix.iso_z(time.time() - 60)      # expired: must refresh
            home.write_sso_token("my-sso", f)
            shutil.rmtree(home.cli_cache, ignore_errors=True)
            fake.reset()
            t0 = time.perf_counter()
            r = subprocess.run([binary] + ARGS, env=env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            cold.append((time.perf_counter() - t0) * 1000)
            if r.returncode != 0:
                sys.exit("mytools failed: " + r.stderr)
            st = fake.stats()
            creates.append(st["ops"].get("CreateToken:refresh_token", 0))
            roles.append(st["ops"].get("GetRoleCredentials", 0))
            conns.append(st["connections"])
            fake.reset()
            t0 = time.perf_counter()
            r = subprocess.run([binary] + ARGS, env=env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            warm.append((time.perf_counter() - t0) * 1000)
            if r.returncode != 0 or fake.stats()["requests"]:
                sys.exit("warm run failed or made requests: " + r.stderr)

        def rng(v):
            return "%d" % v[0] if min(v) == max(v) else "%d-%d" % (min(v), max(v))

        rows.append(("refresh: expired token -> CreateToken + GetRoleCredentials",
                     statistics.median(cold), rng(creates), rng(roles), rng(conns)))
        rows.append(("warm: role credentials cached (no request)", statistics.median(warm),
                     "0", "0", "0"))
    print("\n### SSO refresh end to end (`mytools db token`, local fake over HTTPS, %d runs)\n"
          % runs)
    print("| scenario | median wall (ms) | CreateToken | GetRoleCredentials | TLS handshakes "
          "(one host: fake OIDC + portal) |")
    print("|---|---:|---:|---:|---:|")
    for name, ms, c, g, h in rows:
        print("| %s | %.1f | %s | %s | %s |" % (name, ms, c, g, h))


if __name__ == "__main__":
    main()
