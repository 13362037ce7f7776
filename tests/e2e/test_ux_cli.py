"""Global options before the command (contract 1) and colour on terminals only (contract 2)."""
import json
import os
import shlex
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import mtlib  # noqa: E402
from tmuxlib import Tmux  # noqa: E402

ESC = "\x1b["


class GlobalsTest(unittest.TestCase):
    def setUp(self):
        self.home = mtlib.Home()
        self.env = self.home.env(AWS_ACCESS_KEY_ID=mtlib.AKID, AWS_SECRET_ACCESS_KEY=mtlib.SECRET)

    def tearDown(self):
        self.home.cleanup()

    def test_config_before_the_command(self):
        p = self.home.yaml("environments: {}\n")
        for args in (["--config", p, "config", "path"], ["--config=" + p, "config", "path"]):
            r = mtlib.run(args, self.env)
            self.assertEqual((r.returncode, r.stdout), (0, p + "\n"), r.stderr)

    def test_region_and_profile_before_the_command_reach_it(self):
        r = mtlib.run(["--region", "ap-south-1", "-v", "db", "token", "--host", "h.example",
                       "--user", "u", "--format", "json"], self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["region"], "ap-south-1")
        self.assertIn("debug:", r.stderr)  # -v before the command counts
        # the later value wins, as when both are after the command
        r = mtlib.run(["--region", "ap-south-1", "db", "token", "--host", "h.example", "--user",
                       "u", "--format", "json", "--region", "eu-north-1"], self.env)
        self.assertEqual(json.loads(r.stdout)["region"], "eu-north-1")
        r = mtlib.run(["--profile", "nosuch", "db", "token", "--host", "h.example", "--user", "u",
                       "--region", "eu-west-1"], self.env)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("nosuch", r.stderr)

    def test_unknown_or_incomplete_leading_option_is_usage(self):
        for args in (["--bogus", "db", "list"], ["--profile"], ["-x", "db", "list"]):
            r = mtlib.run(args, self.env)
            self.assertEqual(r.returncode, 2, args)
            self.assertIn("mytools: ", r.stderr)
        r = mtlib.run(["--quiet", "--help"], self.env)
        self.assertEqual(r.returncode, 0)
        self.assertTrue(r.stdout.startswith("usage: "))


class ColourTest(unittest.TestCase):
    def setUp(self):
        self.home = mtlib.Home()
        self.home.yaml("environments:\n  prod:\n    regoin: x\n    databases: {}\n")

    def tearDown(self):
        self.home.cleanup()

    def pane(self, args, **env):
        t = Tmux(self.home.env())
        try:
            # in the command line: tmux sets TERM in the pane itself
            t.start(" ".join(shlex.quote(a) for a in
                             ["env"] + ["%s=%s" % kv for kv in env.items()] + [mtlib.MYTOOLS] + args))
            t.wait_exit()
            return t.tmux("capture-pane", "-p", "-e", "-t", "t", "-S", "-").stdout
        finally:
            t.close()

    def test_terminal_gets_colour(self):
        # tmux re-encodes SGR (1;31 becomes 1 and 31): look for the colour before the text
        s = self.pane(["db", "token", "--bogus"])
        self.assertRegex(s, r"db token: (\x1b\[[0-9;]*m)*\x1b\[31munknown option '--bogus'")
        s = self.pane(["config", "check"])
        self.assertRegex(s, r"config check: \x1b\[33mwarning:")

    def test_no_color_env_and_flag_and_dumb_term(self):
        for args, env in ((["config", "check"], {"NO_COLOR": "1"}),
                          (["config", "check", "--no-color"], {}),
                          (["--no-color", "config", "check"], {}),
                          (["config", "check"], {"TERM": "dumb"})):
            s = self.pane(args, **env)
            self.assertIn("warning:", s)
            self.assertNotIn(ESC, s, (args, env))

    def test_pipes_get_no_escapes(self):
        r = mtlib.run(["config", "check"], self.home.env())
        self.assertIn("warning:", r.stderr)
        self.assertNotIn("\x1b", r.stderr + r.stdout)
        r = mtlib.run(["db", "token", "--bogus"], self.home.env())
        self.assertNotIn("\x1b", r.stderr)


if __name__ == "__main__":
    unittest.main()
