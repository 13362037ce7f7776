"""The clipboard through real peers: xclip on an Xvfb display, and OSC 52 on a real controlling
terminal. (test_db.py covers the logic with a stand-in helper.)"""
import base64
import os
import pty
import shutil
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mtlib  # noqa: E402
from mtlib import AKID, SECRET  # noqa: E402

ARGS = ["db", "token", "--host", "db.example.internal", "--user", "u", "--region", "us-east-1"]


def xclip_pids(display):
    """Processes named xclip whose environment has DISPLAY=display."""
    want = ("DISPLAY=" + display).encode()
    pids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/comm" % d, "rb") as f:
                if f.read().strip() != b"xclip":
                    continue
            with open("/proc/%s/environ" % d, "rb") as f:
                if want in f.read().split(b"\0"):
                    pids.append(int(d))
        except OSError:
            continue
    return pids


class RealClipboard(unittest.TestCase):
    def setUp(self):
        self.home = mtlib.Home()

    def tearDown(self):
        self.home.cleanup()

    def test_xclip_on_xvfb(self):
        for tool in ("Xvfb", "xclip"):
            self.assertIsNotNone(shutil.which(tool), tool + " is missing (tests/setup.sh)")
        display = None
        xvfb = subprocess.Popen(["Xvfb", "-displayfd", "1", "-nolisten", "tcp"],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        try:
            display = ":" + xvfb.stdout.readline().decode().strip()
            env = self.home.env(DISPLAY=display, AWS_ACCESS_KEY_ID=AKID,
                                AWS_SECRET_ACCESS_KEY=SECRET, MYTOOLS_CONFIG=os.devnull)
            r = mtlib.run(ARGS + ["--format", "token", "--clipboard"], env)
            self.assertEqual(r.returncode, 0, r.stderr)
            # readiness, not a sleep: the forked `xclip -in` owns the selection a moment after
            # mytools returns
            deadline, got = time.monotonic() + 10, None
            while time.monotonic() < deadline:
                got = subprocess.run(["xclip", "-selection", "clipboard", "-out"], env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     text=True, timeout=10).stdout
                if got:
                    break
                time.sleep(0.05)
            self.assertEqual(got, r.stdout.strip())
        finally:
            # only the xclip serving *our* display: a pkill by name would kill the selection
            # owner of a test running beside this one
            for pid in (xclip_pids(display) if display else []):
                try:
                    os.kill(pid, 15)
                except OSError:
                    pass
            xvfb.terminate()
            xvfb.wait(timeout=10)

    def test_osc52_on_controlling_terminal(self):
        # the clear after 2 s writes the empty selection to the same terminal: read until EOF
        cfg = self.home.yaml("defaults:\n  clipboard_clear: 2\n")
        env = self.home.env(AWS_ACCESS_KEY_ID=AKID, AWS_SECRET_ACCESS_KEY=SECRET,
                            MYTOOLS_CONFIG=cfg)
        pid, fd = pty.fork()
        if pid == 0:  # child: the pty is its controlling terminal and stdout
            os.execve(mtlib.MYTOOLS, [mtlib.MYTOOLS] + ARGS + ["--format", "text"], env)
        out = b""
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        _, status = os.waitpid(pid, 0)
        os.close(fd)
        self.assertEqual(os.waitstatus_to_exitcode(status), 0, out)
        start = out.index(b"\x1b]52;c;") + 7
        payload = out[start:out.index(b"\x07", start)]
        token = base64.b64decode(payload).decode()
        self.assertTrue(token.startswith("db.example.internal:3306/?Action=connect"))
        # OSC 52 cannot be confirmed: never "copied"
        self.assertIn(b"sent to the terminal's clipboard (OSC 52); cleared in 2 s", out)
        self.assertNotIn(b"copied", out)
        visible = out[:start - 7] + out[out.index(b"\x07", start):]
        self.assertNotIn(token.encode(), visible)
        self.assertTrue(out.endswith(b"\x1b]52;c;\x07"), out[-40:])


class Install(unittest.TestCase):
    def test_cmake_install(self):
        build = os.environ.get("MT_BUILD_DIR")
        self.assertTrue(build, "MT_BUILD_DIR not set")
        prefix = self.home_dir = mtlib.Home().path
        try:
            r = subprocess.run(["cmake", "--install", build, "--prefix", prefix],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            self.assertEqual(r.returncode, 0, r.stdout)
            bin_ = os.path.join(prefix, "bin")
            self.assertTrue(os.access(os.path.join(bin_, "mytools"), os.X_OK))
            link = os.path.join(bin_, "mkpassword")
            self.assertTrue(os.path.islink(link))
            mk = subprocess.run([link, "--length", "12"], stdout=subprocess.PIPE, text=True)
            self.assertEqual(mk.returncode, 0)
            self.assertEqual(len(mk.stdout.strip()), 12)
            self.assertTrue(os.path.exists(os.path.join(prefix, "share/man/man1/mytools.1")))
            self.assertTrue(os.path.exists(os.path.join(prefix, "share/man/man1/mkpassword.1")))
            self.assertTrue(os.path.exists(
                os.path.join(prefix, "share/bash-completion/completions/mytools")))
        finally:
            shutil.rmtree(prefix, ignore_errors=True)


if __name__ == "__main__":
    unittest.main(verbosity=2)
