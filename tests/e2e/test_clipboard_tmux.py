"""OSC 52 inside tmux (tmux 3.3 drops the DCS passthrough unless allow-passthrough is on): with
set-clipboard on, tmux's own paste buffer holds the token afterwards; the text says "sent to the
terminal's clipboard (OSC 52)", never "copied"; the clear (45 s by default, clipboard_clear
otherwise, 0 = never) deletes the buffer again."""
import os
import shlex
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import mtlib  # noqa: E402
from tmuxlib import Tmux  # noqa: E402

CLOCK = "2026-03-04 05:06:07"


def config(clear):
    return ("defaults:\n  region: eu-west-1\n  user: app\n%s"
            "environments:\n  prod:\n    databases:\n      orders:\n"
            "        host: orders.abc.eu-west-1.rds.amazonaws.com\n" %
            ("  clipboard_clear: %d\n" % clear if clear is not None else ""))


class OscTmuxTest(unittest.TestCase):
    def setUp(self):
        self.home = mtlib.Home()
        self.env = self.home.env(AWS_ACCESS_KEY_ID=mtlib.AKID, AWS_SECRET_ACCESS_KEY=mtlib.SECRET)
        self.t = None

    def tearDown(self):
        if self.t:
            self.t.close()
        self.home.cleanup()

    def token(self):
        r = mtlib.run(["db", "token", "-e", "prod", "-d", "orders", "--format", "token"],
                      self.env, faketime=CLOCK)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout.strip()

    def run_in_tmux(self, clear, tmux_conf):
        self.home.yaml(config(clear))
        self.t = Tmux(self.env, conf=tmux_conf)
        self.t.start(" ".join(shlex.quote(a) for a in
                              mtlib.faketime_argv(CLOCK) + [mtlib.MYTOOLS, "db", "token",
                                                            "-e", "prod", "-d", "orders"]))
        self.assertEqual(self.t.wait_exit(), 0, self.t.screen())
        return self.t.screen()

    def buffers(self):
        names = self.t.tmux("list-buffers", "-F", "#{buffer_name}").stdout.split()
        # a buffer may be deleted between the two calls (that is what the clear does)
        shown = [self.t.tmux("show-buffer", "-b", n, check=False) for n in names]
        return [r.stdout for r in shown if r.returncode == 0]

    def test_set_clipboard_on_fills_the_tmux_buffer_and_the_clear_removes_it(self):
        screen = self.run_in_tmux(2, "set -g set-clipboard on\n")
        tok = self.token()
        self.assertEqual(self.t.tmux("show-buffer").stdout, tok)
        self.assertIn("sent to the terminal's clipboard (OSC 52); cleared in 2 s", screen)
        self.assertNotIn("copied", screen)
        self.assertNotIn(tok, screen)
        end = time.time() + 20
        while tok in self.buffers() and time.time() < end:
            time.sleep(0.1)
        self.assertNotIn(tok, self.buffers())

    def test_default_clear_is_45_s_and_0_means_never(self):
        screen = self.run_in_tmux(None, "set -g set-clipboard on\n")
        self.assertIn("sent to the terminal's clipboard (OSC 52); cleared in 45 s", screen)
        self.t.close()
        screen = self.run_in_tmux(0, "set -g set-clipboard on\n")
        self.assertIn("sent to the terminal's clipboard (OSC 52)\n", screen)
        self.assertNotIn("cleared in", screen)


if __name__ == "__main__":
    unittest.main()
