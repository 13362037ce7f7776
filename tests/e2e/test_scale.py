#!/usr/bin/env python3
"""Scale (issue 7 defect 5): AWS INI files are parsed in linear time. A generous bound only
catches a regression back to quadratic look-ups (80,000 sections took 29 s before); the real
target (100,000 sections parse and sign in under 100 ms, release build) is measured by
bench/scale.py. Both look-ups are exercised: the profile asked for is the last section of
~/.aws/credentials and of ~/.aws/config, and a duplicate key deep in the file is still found."""
import os
import resource
import sys
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


if __name__ == "__main__":
    unittest.main(verbosity=2)
