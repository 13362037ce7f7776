#!/usr/bin/env python3
"""Scale (issue 7 defect 5): AWS INI files are parsed in linear time. A generous bound only
catches a regression back to quadratic look-ups (80,000 sections took 29 s before); the real
target (100,000 sections parse and sign in under 100 ms, release build) is measured by
bench/scale.py. Both look-ups are exercised: the profile asked for is the last section of
~/.aws/credentials and of ~/.aws/config, and a duplicate key deep in the file is still found.

~/.mytools.yaml at scale (20,000 databases in 200 environments with aliases): a warm `db token`
reads only its environment and database through the parse cache's index (config/cache.c); here
the answers of the warm runs are checked against a run without the cache, for the first, a middle
and the last database, by name and by alias (the 1.5x cost bound is measured by bench/scale.py)."""
import glob
import json
import os
import resource
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import awsfix  # noqa: E402
from awsfix import run  # noqa: E402

N = 100000
BOUND = 5.0   # CPU seconds, even under ASan; quadratic look-ups take about a minute
ARGS = ["db", "token", "--host", "db.example.eu-west-1.rds.amazonaws.com", "--user", "app",
        "--format", "token"]


class IniScale(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.home = awsfix.TempHome()
        with open(os.path.join(cls.home.path, "creds.tmp"), "w") as f:
            for i in range(N):
                f.write("[p%d]\naws_access_key_id = AKIAEXAMPLE%09d\n"
                        "aws_secret_access_key = %s\n" % (i, i, "k" * 40))
        os.makedirs(cls.home.aws, exist_ok=True)
        os.rename(os.path.join(cls.home.path, "creds.tmp"),
                  os.path.join(cls.home.aws, "credentials"))
        lines = []
        for i in range(N):
            lines.append("[profile p%d]\nregion = %s\noutput = json\n"
                         % (i, "eu-west-1" if i == N - 1 else "us-east-1"))
        cls.home.write_config("".join(lines))

    @classmethod
    def tearDownClass(cls):
        cls.home.cleanup()

    def timed(self, args):
        """Runs mytools; returns (result, CPU seconds it used). CPU time, not wall time: under
        ctest -j16 on two cores a linear parse can wait seconds for a CPU, but never burns them
        (RUSAGE_CHILDREN grows by exactly this child: tests here run one at a time)."""
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        r = run(ARGS + args, self.home.env(), timeout=300)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        return r, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)

    def test_last_profile_of_100000(self):
        r, dt = self.timed(["--profile", "p%d" % (N - 1)])
        self.assertEqual(r.returncode, 0, r.stderr)
        # region from the last [profile] of ~/.aws/config, key id from the last credentials section
        self.assertIn("X-Amz-Credential=AKIAEXAMPLE%09d%%2F" % (N - 1), r.stdout)
        self.assertIn("%2Feu-west-1%2Frds-db%2Faws4_request", r.stdout)
        self.assertLess(dt, BOUND, "100,000 sections took %.1f CPU seconds" % dt)

    def test_duplicate_key_found_at_the_end(self):
        with open(os.path.join(self.home.aws, "credentials"), "a") as f:
            f.write("[dup]\naws_access_key_id = A\naws_access_key_id = B\n")
        try:
            r, dt = self.timed(["--profile", "dup", "--region", "eu-west-1"])
            self.assertEqual(r.returncode, 3, r.stderr)
            self.assertRegex(r.stderr, r"credentials:%d: duplicate key 'aws_access_key_id' in "
                                       r"\[dup\] \(first at line %d\)" % (3 * N + 3, 3 * N + 2))
            self.assertLess(dt, BOUND)
        finally:
            with open(os.path.join(self.home.aws, "credentials"), "r+") as f:
                data = f.read()
                f.seek(0)
                f.write(data[:data.index("[dup]")])
                f.truncate()


class YamlScale(unittest.TestCase):
    ENVS, PER = 200, 100

    @classmethod
    def setUpClass(cls):
        cls.home = awsfix.TempHome()
        lines = ["defaults:", "  region: eu-west-1", "  engine: mysql", "environments:"]
        for e in range(cls.ENVS):
            lines += ["  env%d:" % e, "    aliases: [e%d]" % e, "    user: u%d" % e,
                      "    databases:"]
            for d in range(cls.PER):
                k = e * cls.PER + d
                lines += ["      db%d: {host: h%d.example, port: %d}" % (d, k, 1024 + k % 60000)]
        cls.cfg = os.path.join(cls.home.path, ".mytools.yaml")
        with open(cls.cfg, "w") as f:
            f.write("\n".join(lines) + "\n")
        os.utime(cls.cfg, (time.time() - 86400, time.time() - 86400))
        time.sleep(2.1)  # past the parse cache's racy window (the ctime cannot be set back)

    @classmethod
    def tearDownClass(cls):
        cls.home.cleanup()

    def token(self, env, db, **extra):
        e = self.home.env(extra=dict(AWS_ACCESS_KEY_ID="AKIDEXAMPLE",
                                     AWS_SECRET_ACCESS_KEY="s" * 40,
                                     XDG_CACHE_HOME=os.path.join(self.home.path, "xdg"), **extra))
        r = run(["db", "token", "-e", env, "-d", db, "--format", "json"], e, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        out = json.loads(r.stdout)
        out.pop("token", None)  # signed at another second; everything else must match
        out.pop("expires_at", None)
        out.pop("expires", None)
        return out

    def test_warm_token_reads_the_right_record(self):
        self.token("env0", "db0")  # parses and writes the cache
        self.assertEqual(len(glob.glob(os.path.join(self.home.path, "xdg/mytools/*.bin"))), 1)
        for e, d in ((0, 0), (0, 99), (117, 42), (self.ENVS - 1, self.PER - 1)):
            for name in ("env%d" % e, "e%d" % e):
                want = self.token(name, "db%d" % d, MYTOOLS_NO_CONFIG_CACHE="1")
                self.assertEqual(self.token(name, "db%d" % d), want)
                self.assertIn("h%d.example" % (e * self.PER + d), json.dumps(want))


if __name__ == "__main__":
    unittest.main(verbosity=2)
