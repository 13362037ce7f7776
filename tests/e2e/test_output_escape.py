"""Issue 7 defect 3: control characters from the config and ~/.aws/config never reach the
terminal raw through human-readable stdout; json output stays valid JSON."""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mtlib  # noqa: E402
from mtlib import run  # noqa: E402

# YAML double-quoted escapes: ESC ] 0 ; ... BEL (window title), a newline (fake line), CSI 2J
ENV_NAME = "st\x1b]0;pwned\x07g"
DB_NAME = "o\nFAKE: all good"
ALIAS = "s\x1b[2J"
CONFIG = """\
defaults:
  clipboard: off
  profile: engineer
  region: "eu\\e[31m-west-1\\u009b2J"
environments:
  "st\\e]0;pwned\\ag":
    aliases: ["s\\e[2J"]
    user: app
    databases:
      "o\\nFAKE: all good":
        host: db.example.internal
"""
AWS_CONFIG = "[profile engineer]\nregion = eu-west-1\n"
AWS_CREDENTIALS = "[engineer]\naws_access_key_id = AKIDENGINEER\naws_secret_access_key = s\n"

RAW = [c for c in map(chr, range(0x20)) if c != "\n"] + ["\x7f", "\x9b"]


class Escaping(unittest.TestCase):
    def setUp(self):
        self.home = mtlib.Home()
        self.home.yaml(CONFIG)
        self.home.aws_config(AWS_CONFIG)
        self.home.aws_credentials(AWS_CREDENTIALS)

    def tearDown(self):
        self.home.cleanup()

    def run_ok(self, args):
        r = run(args, self.home.env())
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout

    def assert_clean(self, out, lines):
        for c in RAW:
            self.assertNotIn(c, out, "raw %r reached stdout: %r" % (c, out))
        self.assertEqual(len(out.splitlines()), lines, out)

    def test_verbose_lines_escape_config_values(self):
        # -v names the target's profile and region: config text, never raw on the terminal
        self.home.yaml(CONFIG.replace("profile: engineer", 'profile: "eng\\e]0;x\\aineer"'))
        r = run(["-v", "db", "token", "-e", ENV_NAME, "-d", DB_NAME, "--format", "token"],
                self.home.env())
        self.assertIn("debug: target", r.stderr)
        self.assertIn("profile eng?]0;x?ineer", r.stderr)
        for c in RAW:
            self.assertNotIn(c, r.stderr, "raw %r reached stderr: %r" % (c, r.stderr))

    def test_db_list_text_escapes(self):
        out = self.run_ok(["db", "list"])
        self.assert_clean(out, 2)
        self.assertIn("st\\e]0;pwned\\x07g", out)
        self.assertIn("s\\e[2J", out)
        self.assertIn("o\\nFAKE: all good", out)

    def test_db_list_json_stays_exact(self):
        out = self.run_ok(["db", "list", "--format", "json"])
        self.assertIn("\\u001b", out)
        doc = json.loads(out)
        self.assertEqual(doc[0]["name"], ENV_NAME)
        self.assertEqual(doc[0]["aliases"], [ALIAS])
        self.assertEqual(doc[0]["databases"][0]["name"], DB_NAME)

    def test_config_check_escapes(self):
        out = self.run_ok(["config", "check"])
        self.assert_clean(out, 1)
        self.assertIn("eu\\e[31m-west-1\\xc2\\x9b2J", out)
        self.assertIn("st\\e]0;pwned\\x07g/o\\nFAKE", out)

    def test_db_token_text_escapes(self):
        out = self.run_ok(["db", "token", "-e", ALIAS, "-d", DB_NAME, "--format", "text",
                           "--no-clipboard", "--region", "eu-west-1"])
        for c in RAW:
            self.assertNotIn(c, out)
        self.assertIn("st\\e]0;pwned\\x07g", out)
        self.assertNotIn("\nFAKE", out)


if __name__ == "__main__":
    unittest.main()
