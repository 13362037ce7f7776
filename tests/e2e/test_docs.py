"""Help, man page and command table agree (label docs)."""
import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mtlib  # noqa: E402

SRC = os.environ.get("MT_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))


def help_of(*words):
    r = subprocess.run([mtlib.MYTOOLS] + list(words) + ["--help"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    return r


class Docs(unittest.TestCase):
    def commands(self):
        top = help_of().stdout
        block = top.split("commands:\n", 1)[1].split("\n\n", 1)[0]
        return [re.split(r"\s{2,}", l.strip())[0] for l in block.splitlines()]

    def test_every_command_has_usage_and_man_entry(self):
        # the pages built from man/*.in (test_man.py checks each page against the table)
        man = ""
        mandir = os.path.join(os.environ.get("MT_BUILD_DIR", "build"), "man")
        for page in sorted(os.listdir(mandir)):
            if re.search(r"\.[15]$", page):
                with open(os.path.join(mandir, page)) as f:
                    man += f.read().replace("\\-", "-")
        cmds = self.commands()
        self.assertIn("db token", cmds)
        for c in cmds:
            r = help_of(*c.split())
            self.assertEqual(r.returncode, 0, c)
            self.assertTrue(r.stdout.startswith("usage: mytools " + c), c)
            self.assertIn('.SS "mytools %s"' % c, man, "man page lacks command %r" % c)
            for opt in set(re.findall(r"^\s+(?:-\w, )?(--[a-z-]+)", r.stdout, re.M)):
                self.assertIn(opt, man, "man page lacks %s of %r" % (opt, c))

    def test_man_page_renders_without_warnings(self):
        r = subprocess.run(["mandoc", "-T", "lint", "-W", "warning",
                            os.path.join(os.environ.get("MT_BUILD_DIR", "build"), "man",
                                         "mytools.1")],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.assertEqual(r.returncode, 0, r.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
