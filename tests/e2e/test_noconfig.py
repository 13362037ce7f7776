"""Without a config, db list and config check say so and name config init (exit 3);
db list --env unknown lists the known names as db token does."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import mtlib  # noqa: E402


class NoConfigTest(unittest.TestCase):
    def setUp(self):
        self.home = mtlib.Home()

    def tearDown(self):
        self.home.cleanup()

    def test_missing_config(self):
        for args in (["db", "list"], ["db", "list", "--format", "json"], ["config", "check"]):
            r = mtlib.run(args, self.home.env())
            self.assertEqual(r.returncode, 3, (args, r.stderr))
            self.assertEqual(r.stdout, "")
            self.assertIn("no config file: '%s/.mytools.yaml' does not exist" % self.home.path,
                          r.stderr)
            self.assertIn("mytools config init", r.stderr)

    def test_config_without_environments(self):
        p = self.home.yaml("defaults:\n  region: eu-west-1\n")
        r = mtlib.run(["db", "list"], self.home.env())
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertIn("'%s' defines no environments" % p, r.stderr)
        self.assertIn("config init --force", r.stderr)

    def test_unknown_env_lists_the_known_ones_like_db_token(self):
        self.home.yaml("environments:\n  production:\n    aliases: [prod]\n    databases:\n"
                       "      a: {host: h, user: u, region: eu-west-1}\n  staging:\n"
                       "    databases: {}\n")
        env = self.home.env(AWS_ACCESS_KEY_ID=mtlib.AKID, AWS_SECRET_ACCESS_KEY=mtlib.SECRET)
        lst = mtlib.run(["db", "list", "--env", "prd"], env)
        tok = mtlib.run(["db", "token", "--env", "prd", "-d", "a"], env)
        self.assertEqual(lst.returncode, 3)
        self.assertIn("known: production, staging", lst.stderr)
        strip = lambda s: s.split(": ", 1)[1]  # noqa: E731 (the command name differs)
        self.assertEqual(strip(lst.stderr), strip(tok.stderr))


if __name__ == "__main__":
    unittest.main()
