#!/usr/bin/env python3
"""File types, cache directory modes, read-only HOME and a full disk (issue 7 defects 6, 7, 8),
against the real binary, the fake SSO and moto.

- A FIFO or device where a config or cache file belongs must never hang a run: a config is exit 3,
  a cache is a miss (with a -v line).
- ~/.aws/sso/cache and ~/.aws/cli/cache open to others are tightened to 0700 when ours, refused
  (exit 1) when another user's or impossible to tighten.
- A read-only ~/.aws (a read-only bind mount in a private mount namespace: root ignores modes) and
  a full file system (a tiny tmpfs) during cache writes: a run that writes nothing works, a write
  that is needed fails with exit 1 and one line, a refresh that cannot be saved is used and warned
  about; every file that was valid before is byte-identical and no temporary file is left.
Namespaces need root and unshare(1); without them those cases are skipped (CI runs as root)."""
import os
import shutil
import stat
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import awsfix  # noqa: E402
from awsfix import run  # noqa: E402

START_URL = "https://d-1234567890.awsapps.com/start"
ACCT, ROLE = "123456789012", "ReadOnly"
DB_ARGS = ["db", "token", "--host", "db1.cluster-abc.us-east-1.rds.amazonaws.com", "--user",
           "app", "--region", "us-east-1", "--profile", "p"]
HINT = "hint: run 'mytools sso login --profile p'"
MOTO = FAKE = None
HANG = 20  # seconds: far above any run here, far below forever


def can_unshare():
    if os.geteuid() != 0 or not shutil.which("unshare"):
        return False
    return subprocess.run(["unshare", "-m", "true"], stderr=subprocess.DEVNULL).returncode == 0


NS = can_unshare()


def setUpModule():
    global MOTO, FAKE
    MOTO, FAKE = awsfix.start_sso_stack()


def tearDownModule():
    awsfix.stop_sso_stack(MOTO, FAKE)


def snapshot(root):
    """{relative path: bytes} of every regular file under root."""
    out = {}
    for d, _, files in os.walk(root):
        for f in files:
            p = os.path.join(d, f)
            if os.path.isfile(p) and not os.path.islink(p):
                with open(p, "rb") as fh:
                    out[os.path.relpath(p, root)] = fh.read()
    return out


class Base(unittest.TestCase):
    def setUp(self):
        FAKE.reset(requests=True, faults=True)
        self.home = awsfix.TempHome()

    def tearDown(self):
        subprocess.run(["chmod", "-R", "u+rwx", self.home.path], stderr=subprocess.DEVNULL)
        self.home.cleanup()

    def env(self, **extra):
        return self.home.env(fake=FAKE, moto=MOTO, extra=extra)

    def sso_session(self, expires_in):
        return self.home.sso_session(FAKE, expires_in, START_URL)

    def cli_path(self):
        return self.home.cli_cache_path(ACCT, ROLE, session_name="my-sso")

    def mt(self, args, **extra):
        return run(args, self.env(**extra), timeout=HANG)

    def run_ns(self, pre, args, post="", **extra):
        """mytools in a private mount namespace: `pre` (sh) sets mounts up, `post` runs after
        (its output goes to files under HOME/out: the namespace's mounts vanish with it)."""
        os.makedirs(os.path.join(self.home.path, "out"), exist_ok=True)
        script = ("set -e\n" + pre + "\nset +e\n\"$MT_BIN\" \"$@\"\nrc=$?\n" + post +
                  "\nexit $rc\n")
        env = self.env(MT_BIN=awsfix.mytools_path(), H=self.home.path, **extra)
        return subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script,
                               "sh"] + list(args), env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, timeout=HANG,
                              stdin=subprocess.DEVNULL)

    def one_line(self, r, rc, text):
        self.assertEqual(r.returncode, rc, r.stderr)
        lines = [l for l in r.stderr.splitlines() if not l.startswith("hint: ")]
        self.assertEqual(len(lines), 1, r.stderr)
        self.assertIn(text, lines[0])
        return lines[0]


class FileTypes(Base):
    """Defect 6."""

    def fifo(self, path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if os.path.exists(path):
            os.unlink(path)
        os.mkfifo(path, 0o600)
        return path

    def test_fifo_config_files_are_config_errors(self):
        self.sso_session(3600)
        for rel in (".mytools.yaml", ".aws/config", ".aws/credentials"):
            with self.subTest(rel=rel):
                p = os.path.join(self.home.path, rel)
                saved = open(p).read() if os.path.isfile(p) else None
                self.fifo(p)
                r = self.mt(DB_ARGS)
                self.one_line(r, 3, "cannot read '%s': a FIFO, not a regular file" % p)
                os.unlink(p)
                if saved is not None:
                    self.home.write(rel, saved)

    def test_device_config_is_a_config_error(self):
        self.sso_session(3600)
        os.symlink("/dev/zero", os.path.join(self.home.path, ".mytools.yaml"))
        r = self.mt(DB_ARGS)
        self.one_line(r, 3, "a device, not a regular file")

    def test_explicit_config_fifo(self):
        p = self.fifo(os.path.join(self.home.path, "cfg.yaml"))
        r = self.mt(["db", "list"], MYTOOLS_CONFIG=p)
        self.one_line(r, 3, "cannot read '%s': a FIFO, not a regular file" % p)

    def test_fifo_token_cache_is_a_miss(self):
        self.sso_session(3600)
        self.fifo(self.home.sso_token_path("my-sso"))
        r = self.mt(DB_ARGS + ["-v"])
        self.assertEqual(r.returncode, 4, r.stderr)
        self.assertIn(HINT, r.stderr)
        self.assertRegex(r.stderr, r"no usable token cache for sso-session 'my-sso' \(cannot "
                                   r"read '[^']+': a FIFO, not a regular file\)")
        self.assertEqual(FAKE.count(), 0)

    def test_fifo_role_credentials_cache_is_a_miss(self):
        self.sso_session(3600)
        self.fifo(self.cli_path())
        r = self.mt(DB_ARGS + ["-v"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("ignoring the role credentials cache (cannot read '%s': a FIFO, not a "
                      "regular file)" % self.cli_path(), r.stderr)
        self.assertEqual(FAKE.count("GetRoleCredentials"), 1)
        self.assertTrue(stat.S_ISREG(os.lstat(self.cli_path()).st_mode))  # replaced atomically

    def test_symlinked_token_cache_is_a_miss(self):
        f = self.sso_session(3600)
        real = self.home.write("elsewhere.json", open(self.home.sso_token_path("my-sso")).read())
        os.unlink(self.home.sso_token_path("my-sso"))
        os.symlink(real, self.home.sso_token_path("my-sso"))
        r = self.mt(DB_ARGS + ["-v"])
        self.assertEqual(r.returncode, 4, r.stderr)
        self.assertIn("a symbolic link, not a regular file", r.stderr)
        self.assertNotIn(f["accessToken"], r.stderr)


class DirModes(Base):
    """Defect 7."""

    def mode(self, p):
        return stat.S_IMODE(os.stat(p).st_mode)

    def test_open_dirs_we_own_are_tightened(self):
        self.sso_session(3600)
        os.makedirs(self.home.cli_cache, exist_ok=True)
        for d in (self.home.sso_cache, self.home.cli_cache):
            os.chmod(d, 0o777)
        r = self.mt(DB_ARGS)
        self.assertEqual(r.returncode, 0, r.stderr)
        for d in (self.home.sso_cache, self.home.cli_cache):
            self.assertEqual(self.mode(d), 0o700, d)
        # also on the warm path (nothing written)
        os.chmod(self.home.cli_cache, 0o775)
        r = self.mt(DB_ARGS)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.mode(self.home.cli_cache), 0o700)

    def test_foreign_dirs_are_refused(self):
        if os.geteuid() != 0:
            self.skipTest("chown to another user needs root")
        for which in ("sso", "cli"):
            with self.subTest(which=which):
                self.sso_session(3600)
                d = self.home.sso_cache if which == "sso" else self.home.cli_cache
                os.makedirs(d, exist_ok=True)
                os.chown(d, 65534, 65534)
                before = snapshot(self.home.aws)
                r = self.mt(DB_ARGS)
                self.one_line(r, 1, "refusing cache directory '%s': it belongs to another user "
                                    "(uid 65534)" % d)
                self.assertEqual(snapshot(self.home.aws), before)
                os.chown(d, 0, 0)

    @unittest.skipUnless(NS, "needs root and unshare -m")
    def test_open_dir_that_cannot_be_tightened_is_refused(self):
        self.sso_session(3600)
        os.chmod(self.home.sso_cache, 0o777)
        before = snapshot(self.home.aws)
        r = self.run_ns('mount --bind "$H/.aws" "$H/.aws"; mount -o remount,bind,ro "$H/.aws"',
                        DB_ARGS)
        self.one_line(r, 1, "refusing cache directory '%s': writable by other users (mode 0777) "
                            "and cannot be made private: Read-only file system"
                      % self.home.sso_cache)
        self.assertEqual(snapshot(self.home.aws), before)


@unittest.skipUnless(NS, "needs root and unshare -m")
class ReadOnlyAndFull(Base):
    """Defect 8."""
    RO = 'mount --bind "$H/.aws" "$H/.aws"; mount -o remount,bind,ro "$H/.aws"'

    def test_read_only_aws_valid_token_needs_no_write(self):
        self.sso_session(3600)
        before = snapshot(self.home.aws)
        r = self.run_ns(self.RO, DB_ARGS + ["-v"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("going on without the lock", r.stderr)
        self.assertEqual(FAKE.count("GetRoleCredentials"), 1)
        self.assertEqual(FAKE.count("CreateToken"), 0)
        self.assertEqual(snapshot(self.home.aws), before)

    def test_read_only_aws_token_in_refresh_window_is_used(self):
        self.sso_session(300)   # inside the 15-minute refresh window, still valid
        before = snapshot(self.home.aws)
        r = self.run_ns(self.RO, DB_ARGS)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(FAKE.count("CreateToken"), 0)
        self.assertEqual(snapshot(self.home.aws), before)

    def test_read_only_aws_expired_token_fails_before_refreshing(self):
        f = self.sso_session(-60)
        before = snapshot(self.home.aws)
        r = self.run_ns(self.RO, DB_ARGS)
        self.one_line(r, 1, "cannot refresh the expired SSO token of sso-session 'my-sso': "
                            "cannot open lock file '%s/" % self.home.sso_cache)
        self.assertIn("Read-only file system", r.stderr)
        self.assertEqual(FAKE.count("CreateToken"), 0)   # the refresh token was not burnt
        self.assertEqual(snapshot(self.home.aws), before)
        self.assertTrue(FAKE.core.refresh_tokens[f["refreshToken"]]["valid"])

    def test_full_disk_after_refresh_uses_and_warns(self):
        self.sso_session(-60)
        name = os.path.basename(self.home.sso_token_path("my-sso"))
        stage = os.path.join(self.home.path, "stage")
        shutil.move(self.home.sso_cache, stage)
        os.makedirs(self.home.sso_cache, mode=0o700)
        # a 64 KiB tmpfs holding the token, then filled up; after the run, copy what is there out
        pre = ('mount -t tmpfs -o size=64k,mode=0700 tmpfs "$H/.aws/sso/cache"\n'
               'cp -a "$H/stage/." "$H/.aws/sso/cache/"\n'
               'dd if=/dev/zero of="$H/.aws/sso/cache/fill" bs=1k 2>/dev/null || true\n'
               'rm -f "$H/.aws/sso/cache/fill.small"\n')
        post = ('rm -f "$H/.aws/sso/cache/fill"\n'
                'cp -a "$H/.aws/sso/cache/." "$H/out/"\n')
        r = self.run_ns(pre, DB_ARGS + ["--format", "json"], post)
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stderr.splitlines()
        self.assertEqual(len(lines), 1, r.stderr)
        self.assertRegex(lines[0], r"^mytools db token: warning: the refreshed SSO session of "
                                   r"sso-session 'my-sso' could not be saved \(.*No space left "
                                   r"on device\); this run uses it, but the refresh token left "
                                   r"in the cache may no longer be valid, so a later run may "
                                   r"need 'mytools sso login --profile p'$")
        self.assertEqual(FAKE.count("CreateToken", grant="refresh_token"), 1)
        self.assertEqual(FAKE.count("GetRoleCredentials"), 1)
        self.assertIn('"token"', r.stdout)
        out = os.path.join(self.home.path, "out")
        left = [n for n in os.listdir(out) if not n.endswith(".lock")]   # the lock is expected
        self.assertEqual(sorted(left), sorted(os.listdir(stage)))             # no temp file
        got = {k: v for k, v in snapshot(out).items() if not k.endswith(".lock")}
        self.assertEqual(got, snapshot(stage))                                # byte-identical
        self.assertIn(name, os.listdir(out))


if __name__ == "__main__":
    unittest.main(verbosity=2)
