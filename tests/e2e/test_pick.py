"""Interactive picking (contract 5): db token without --env/--database on a terminal asks with
readline, Tab completes environment names/aliases and database names, Ctrl-D cancels (exit 2, no
output); without a terminal a missing name stays a usage error."""
import os
import shlex
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import mtlib  # noqa: E402
from tmuxlib import Tmux  # noqa: E402

CLOCK = "2026-03-04 05:06:07"  # faketime: a fixed clock makes two runs sign the same token
CONFIG = """\
defaults:
  region: eu-west-1
  user: app
environments:
  production:
    aliases: [prod]
    databases:
      orders:
        host: orders.abc.eu-west-1.rds.amazonaws.com
      ordersreplica:
        host: ordersro.abc.eu-west-1.rds.amazonaws.com
      users:
        host: users.abc.eu-west-1.rds.amazonaws.com
        engine: postgres
  staging:
    databases:
      orders:
        host: orders.stg.eu-west-1.rds.amazonaws.com
"""


class PickTest(unittest.TestCase):
    def setUp(self):
        self.home = mtlib.Home()
        self.home.yaml(CONFIG)
        self.env = self.home.env(AWS_ACCESS_KEY_ID=mtlib.AKID,
                                 AWS_SECRET_ACCESS_KEY=mtlib.SECRET)
        self.out = os.path.join(self.home.path, "out")
        self.t = Tmux(self.env)

    def tearDown(self):
        self.t.close()
        self.home.cleanup()

    def start(self, args):
        cmd = mtlib.faketime_argv(CLOCK) + [mtlib.MYTOOLS] + args
        # stdout to a file, stdin and stderr on the terminal: the prompt shows, the token is captured
        self.t.start(" ".join(shlex.quote(a) for a in cmd) + " > " + shlex.quote(self.out))

    def oracle(self, env, db):
        r = mtlib.run(["db", "token", "-e", env, "-d", db, "--format", "token"], self.env,
                      faketime=CLOCK)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout

    def output(self):
        with open(self.out) as f:
            return f.read()

    def test_names_are_escaped_in_the_prompt_and_the_list(self):
        # an environment and a database name holding a terminal title sequence (YAML escapes)
        self.home.yaml('defaults:\n  region: eu-west-1\n  user: app\nenvironments:\n'
                       '  "x\\e]0;PWNED\\a":\n    aliases: [p]\n    databases:\n'
                       '      "d1\\e]0;PWNED\\a":\n        host: a.abc.eu-west-1.rds.amazonaws.com\n'
                       '      "d2\\e]0;PWNED\\a":\n        host: b.abc.eu-west-1.rds.amazonaws.com\n')
        self.start(["db", "token", "-e", "p", "--format", "token"])
        self.t.wait_for("database in x\\e]0;PWNED\\x07 (Tab completes): ")
        self.t.literal("d")
        self.t.keys("Tab", "Tab")  # the one-line list of both names
        self.t.wait_for("d1\\e]0;PWNED\\x07  d2\\e]0;PWNED\\x07")
        title = self.t.tmux("display-message", "-p", "-t", "t", "#{pane_title}").stdout
        self.assertNotIn("PWNED", title)
        self.t.keys("C-c")

    def test_tab_completes_and_enter_gives_the_token(self):
        self.start(["db", "token", "--format", "token"])
        self.t.wait_for("environment (Tab completes): ")
        self.t.literal("prod")
        self.t.keys("Tab", "Tab")  # ambiguous: production and prod: the one-line list
        s = self.t.wait_for("prod  production")
        self.t.literal("u")
        self.t.keys("Tab")
        self.t.wait_for("environment (Tab completes): production ")
        self.t.keys("Enter")
        self.t.wait_for("database in production (Tab completes): ")
        self.t.literal("ord")
        self.t.keys("Tab")  # common prefix of orders and ordersreplica
        self.t.wait_for("(Tab completes): orders")
        self.t.keys("Tab", "Tab")  # the first Tab after a completion only rings the bell
        s = self.t.wait_for("orders  ordersreplica")
        self.t.keys("Enter")
        self.assertEqual(self.t.wait_exit(), 0, self.t.screen())
        self.assertEqual(self.output(), self.oracle("production", "orders"))
        self.assertNotIn("X-Amz", s)

    def test_alias_and_unique_database_completion(self):
        self.start(["db", "token", "--format", "token"])
        self.t.wait_for("environment (Tab completes): ")
        self.t.literal("st")
        self.t.keys("Tab")
        self.t.wait_for("(Tab completes): staging ")
        self.t.keys("Enter")
        self.t.wait_for("database in staging (Tab completes): ")
        self.t.literal("o")
        self.t.keys("Tab", "Enter")
        self.assertEqual(self.t.wait_exit(), 0, self.t.screen())
        self.assertEqual(self.output(), self.oracle("staging", "orders"))

    def test_only_database_is_asked_when_env_given(self):
        self.start(["db", "token", "-e", "prod", "--format", "token"])
        self.t.wait_for("database in production (Tab completes): ")
        self.t.literal("us")
        self.t.keys("Tab", "Enter")
        self.assertEqual(self.t.wait_exit(), 0, self.t.screen())
        self.assertEqual(self.output(), self.oracle("production", "users"))

    def test_ctrl_d_cancels_with_exit_2_and_no_output(self):
        self.start(["db", "token", "--format", "token"])
        self.t.wait_for("environment (Tab completes): ")
        self.t.keys("C-d")
        self.assertEqual(self.t.wait_exit(), 2)
        self.assertEqual(self.output(), "")
        screen = self.t.screen()
        self.assertNotIn("mytools", screen)
        self.assertNotIn("error", screen)

    def test_empty_database_cancels(self):
        self.start(["db", "connect", "-e", "staging"])
        self.t.wait_for("database in staging (Tab completes): ")
        self.t.keys("Enter")
        self.assertEqual(self.t.wait_exit(), 2)
        self.assertEqual(self.output(), "")

    def test_unknown_typed_name_is_reported_with_the_known_ones(self):
        self.start(["db", "token", "--format", "token"])
        self.t.wait_for("environment (Tab completes): ")
        self.t.literal("qa")
        self.t.keys("Enter")
        self.assertEqual(self.t.wait_exit(), 3)
        s = self.t.screen()
        self.assertIn("'qa'", s)
        self.assertIn("production", s)

    def test_readline_is_loaded_only_for_a_prompt(self):
        # the dynamic loader's own trace: names every object it opens
        trace = os.path.join(self.home.path, "ld")
        env = dict(self.env, LD_DEBUG="files", LD_DEBUG_OUTPUT=trace)
        r = mtlib.run(["db", "token", "-e", "production", "-d", "orders", "--format", "token"], env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("libreadline", self.read_traces(trace))
        self.t.close()
        self.t = Tmux(env)
        self.start(["db", "token", "--format", "token"])
        self.t.wait_for("environment (Tab completes): ")
        self.t.keys("C-d")
        self.assertEqual(self.t.wait_exit(), 2)
        self.assertIn("libreadline", self.read_traces(trace))

    def read_traces(self, prefix):
        out = ""
        d, base = os.path.split(prefix)
        for f in os.listdir(d):
            if f.startswith(base + "."):
                with open(os.path.join(d, f), errors="replace") as fh:
                    out += fh.read()
                os.unlink(os.path.join(d, f))
        return out

    def test_without_a_terminal_a_missing_name_is_a_usage_error(self):
        r = mtlib.run(["db", "token"], self.env, input="")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertEqual(r.stdout, "")
        r = mtlib.run(["db", "token", "-e", "prod"], self.env, input="")
        self.assertEqual(r.returncode, 2, r.stderr)


if __name__ == "__main__":
    unittest.main()
