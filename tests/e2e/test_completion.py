"""Completion from the command table in the real shells: bash (with bash-completion's
_init_completion), fish (complete -C) and zsh (compinit, through a tmux pseudo-terminal), for
commands, options, option values, applet links and the names of the user's own config and
~/.aws/config. The candidates are derived from `mytools --help` output and the files written
here, not from the completion code."""
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import mtlib  # noqa: E402
from tmuxlib import Tmux  # noqa: E402

SRC = os.environ.get("MT_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
COMPLETIONS = os.path.join(SRC, "completions")
BASH_COMPLETION = "/usr/share/bash-completion/bash_completion"

CONFIG = """\
environments:
  production:
    aliases: [prod]
    databases:
      orders: {host: o.example}
      users: {host: u.example}
  staging:
    databases:
      reports: {host: r.example}
"""
AWS_CONFIG = "[default]\nregion = eu-west-1\n[profile dev]\n[profile prod-admin]\n"


def help_options(args):
    """Long options listed by --help (the oracle for option completion)."""
    r = subprocess.run([mtlib.MYTOOLS] + args + ["--help"], stdout=subprocess.PIPE, text=True)
    return sorted(set(re.findall(r"(?m)^\s+(?:-\w, )?(--[a-z-]+)", r.stdout)))


def run_list(env):
    return subprocess.run(["mytools", "--list"], env=env, stdout=subprocess.PIPE,
                          text=True).stdout.split()


CASES = [  # (line typed, expected candidates)
    ("mytools d", ["db"]),
    ("mytools db t", ["token"]),
    ("mytools db token --e", [o for o in help_options(["db", "token"]) if o.startswith("--e")]),
    ("mytools db token --env ", ["prod", "production", "staging"]),
    ("mytools db token --env prod --database ", ["orders", "users"]),
    ("mytools db token -e staging -d ", ["reports"]),
    ("mytools db token --profile ", ["default", "dev", "prod-admin"]),
    ("mytools --profile ", ["default", "dev", "prod-admin"]),
    ("mytools db token --format ", ["env", "json", "text", "token", "url"]),
    ("mkpassword --h", [o for o in help_options(["mkpassword"]) if o.startswith("--h")]),
    ("mkpassword --hash ", ["caching-sha2", "mysql-native", "scram-sha-256"]),
    ("db-token --d", ["--database"]),
    ("mytools completion ", ["bash", "fish", "zsh"]),
]


class Base(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.home = mtlib.Home()
        cls.home.yaml(CONFIG)
        cls.home.aws_config(AWS_CONFIG)
        cls.bin = os.path.join(cls.home.path, "bin")
        os.mkdir(cls.bin)
        os.symlink(os.path.abspath(mtlib.MYTOOLS), os.path.join(cls.bin, "mytools"))
        for link in ("mkpassword", "db-token"):
            os.symlink("mytools", os.path.join(cls.bin, link))
        cls.env = cls.home.env(PATH=cls.bin + ":" + os.environ["PATH"])

    @classmethod
    def tearDownClass(cls):
        cls.home.cleanup()

    def test_oracle_is_not_empty(self):
        self.assertIn("--env", help_options(["db", "token"]))
        self.assertIn("--hash", help_options(["mkpassword"]))


class ScriptsTest(Base):
    def test_completion_command_prints_the_installed_files(self):
        for shell, name in (("bash", "mytools.bash"), ("zsh", "_mytools"), ("fish", "mytools.fish")):
            r = subprocess.run([mtlib.MYTOOLS, "completion", shell], stdout=subprocess.PIPE,
                               text=True)
            self.assertEqual(r.returncode, 0)
            with open(os.path.join(COMPLETIONS, name)) as f:
                self.assertEqual(r.stdout, f.read(), shell)
        r = subprocess.run([mtlib.MYTOOLS, "completion", "tcsh"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
        self.assertEqual((r.returncode, r.stdout), (2, ""))

    def test_scripts_hold_no_command_or_option_names(self):
        # (only the zsh #compdef line names the links the package installs)
        for name in ("mytools.bash", "_mytools", "mytools.fish"):
            with open(os.path.join(COMPLETIONS, name)) as f:
                text = f.read()
            for word in ("--env", "--format", "connect", "kms", "scram", "sso", "db list"):
                self.assertNotIn(word, text, name)


class BashTest(Base):
    def complete(self, line):
        words = shlex.split(line) + ([""] if line.endswith(" ") else [])
        script = ("source %s; source %s; COMP_LINE=%s; COMP_POINT=${#COMP_LINE}; COMP_WORDS=(%s); "
                  "COMP_CWORD=%d; _mytools; printf '%%s\\n' \"${COMPREPLY[@]}\"" %
                  (BASH_COMPLETION, os.path.join(COMPLETIONS, "mytools.bash"), shlex.quote(line),
                   " ".join(shlex.quote(w) for w in words), len(words) - 1))
        r = subprocess.run(["bash", "--norc", "--noprofile", "-c", script], env=self.env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        return sorted(x for x in r.stdout.split("\n") if x)

    def test_cases(self):
        for line, want in CASES:
            self.assertEqual(self.complete(line), sorted(want), line)

    def test_equals_form_and_files(self):
        self.assertEqual(self.complete("mytools db list --format=j"), ["--format=json"])
        f = os.path.join(self.home.path, "somefile.yaml")
        open(f, "w").close()
        self.assertEqual(self.complete("mytools --config " + self.home.path + "/somef"), [f])

    def test_complete_is_registered_for_the_links(self):
        r = subprocess.run(["bash", "--norc", "--noprofile", "-c",
                            "source %s; complete -p" % os.path.join(COMPLETIONS, "mytools.bash")],
                           env=self.env, stdout=subprocess.PIPE, text=True)
        links = run_list(self.env)
        self.assertIn("db-token", links)
        for name in ["mytools"] + links:
            self.assertIn("complete -F _mytools %s\n" % name, r.stdout + "\n")


class FishTest(Base):
    def complete(self, line):
        script = "source %s; complete -C %s" % (os.path.join(COMPLETIONS, "mytools.fish"),
                                                shlex.quote(line))
        r = subprocess.run(["fish", "--no-config", "-c", script], env=self.env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        return sorted(x.split("\t")[0] for x in r.stdout.split("\n") if x)

    def test_cases(self):
        for line, want in CASES:
            self.assertEqual(self.complete(line), sorted(want), line)


class ZshTest(Base):
    def test_cases_through_a_terminal(self):
        zdot = tempfile.mkdtemp(prefix="mt-zdot-")
        try:
            with open(os.path.join(zdot, ".zshrc"), "w") as f:
                f.write("fpath=(%s $fpath)\nautoload -Uz compinit\ncompinit -u -d %s/dump\n"
                        "PS1='zsh> '\n" % (COMPLETIONS, zdot))
            for line, want in CASES:
                t = Tmux(dict(self.env, ZDOTDIR=zdot), width=200)
                try:
                    t.start("zsh -i")
                    t.wait_for("zsh> ")
                    t.literal(line)
                    t.keys("Tab")
                    head = line if line.endswith(" ") else line[:line.rfind(" ") + 1]
                    if len(want) == 1:  # unique: zsh inserts it on the command line
                        t.wait_for("zsh> " + head + want[0])
                        continue
                    t.keys("Tab")  # a common prefix is inserted first; the list comes next
                    for w in want:
                        t.wait_for(w)
                    # the lines below the command line are the list (the second Tab also
                    # put the first candidate on the command line)
                    listing = t.screen().split("zsh> " + head, 1)[1].split("\n", 1)[1]
                    self.assertEqual(sorted(listing.split()), sorted(want), (line, listing))
                finally:
                    t.close()
        finally:
            shutil.rmtree(zdot, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
