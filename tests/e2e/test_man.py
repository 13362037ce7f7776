"""Man pages and the command table agree in both directions (label docs): every command of
`mytools --help` has one section in one page, every option its --help lists is in that section,
and every option a page mentions exists; each page lints clean and has the standard sections.
The oracle is the --help output (a separate renderer), not the page generator."""
import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mtlib  # noqa: E402

BUILD = os.environ.get("MT_BUILD_DIR", "build")
PAGES = ["mytools.1", "mytools-db.1", "mytools-sso.1", "mytools-kms.1", "mkpassword.1",
         "mytools.yaml.5"]
TOP_LEVEL = {"--install", "--list", "--version", "--help"}


def run(*args):
    return subprocess.run([mtlib.MYTOOLS] + list(args), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)


def help_options(text):
    return set(re.findall(r"(?m)^\s+(?:-\w, )?(--[a-z][a-z-]*)", text))


def read(page):
    with open(os.path.join(BUILD, "man", page)) as f:
        return f.read()


def plain(roff):
    return roff.replace("\\-", "-").replace("\\e", "\\")


class ManTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        top = run("--help").stdout
        block = top.split("commands:\n", 1)[1].split("\n\n", 1)[0]
        cls.commands = [re.split(r"\s{2,}", l.strip())[0] for l in block.splitlines()]
        cls.globals = help_options(top.split("global options:\n", 1)[1])
        cls.pages = {p: read(p) for p in PAGES}

    def sections(self, page):
        """{command path: its .SS section text} of a page."""
        parts = re.split(r'(?m)^\.SS "mytools ([^"]+)"\n', self.pages[page])
        return {parts[i]: re.split(r"(?m)^\.S[HS] ", parts[i + 1])[0]
                for i in range(1, len(parts), 2)}

    def test_lint_clean(self):
        for p in PAGES:
            r = subprocess.run(["mandoc", "-T", "lint", "-W", "warning",
                                os.path.join(BUILD, "man", p)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            self.assertEqual((r.returncode, r.stdout), (0, ""), p)

    def test_standard_sections(self):
        need = ["NAME", "SYNOPSIS", "DESCRIPTION", "FILES", "EXAMPLES", "SEE ALSO"]
        for p in PAGES:
            have = re.findall(r"(?m)^\.SH (.+)$", self.pages[p])
            want = need + ([] if p.endswith(".5") else ["ENVIRONMENT", "EXIT STATUS"])
            for s in want:
                self.assertIn(s, have, p)
            self.assertNotIn("README", self.pages[p], p + " names a file that is not installed")

    def test_every_command_in_exactly_one_page_with_all_its_options(self):
        where = {}
        for p in PAGES:
            for path, text in self.sections(p).items():
                self.assertIn(path, self.commands, "%s documents a command that does not exist: %r"
                              % (p, path))
                self.assertNotIn(path, where, "%r in %s and %s" % (path, where.get(path), p))
                where[path] = p
                r = run(*path.split(), "--help")
                self.assertEqual(r.returncode, 0, path)
                for opt in help_options(r.stdout.split("global options:")[0]):
                    self.assertIn(opt, plain(text), "%s lacks %s of %r" % (p, opt, path))
        self.assertEqual(sorted(where), sorted(self.commands))

    def test_every_option_a_page_mentions_exists(self):
        for p in PAGES:
            known = set(self.globals) | TOP_LEVEL
            for path in self.sections(p):
                known |= help_options(run(*path.split(), "--help").stdout)
            if p == "mytools.1" or p.endswith(".5"):  # the overview names every command's options
                for c in self.commands:
                    known |= help_options(run(*c.split(), "--help").stdout)
            mentioned = set(re.findall(r"--[a-z][a-z-]*", plain(self.pages[p])))
            self.assertEqual(mentioned - known, set(), p)

    def test_global_options_in_every_command_page(self):
        for p in PAGES[:5]:
            for opt in self.globals:
                self.assertIn(opt, plain(self.pages[p]), p)


if __name__ == "__main__":
    unittest.main()
