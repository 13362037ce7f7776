"""A pseudo-terminal for e2e tests: one private tmux server per test (its own -L socket), a
command in a pane, keys sent with send-keys, the screen read with capture-pane."""
import os
import subprocess
import tempfile
import time
import uuid


DONE = "[mt-done]"  # printed after the command: once on screen, all its output has been drawn


class Tmux:
    def __init__(self, env, width=160, height=40, conf=""):
        self.sock = "mt-" + uuid.uuid4().hex[:12]
        self.env = dict(env)
        self.env.pop("TMUX", None)
        # tests run faketime in panes: libfaketime is preloaded ahead of the ASan runtime
        self.env["ASAN_OPTIONS"] = (self.env.get("ASAN_OPTIONS", "") +
                                    ":verify_asan_link_order=0").lstrip(":")
        self.width, self.height = width, height
        fd, self.conf = tempfile.mkstemp(prefix="mt-tmux-", suffix=".conf")
        with os.fdopen(fd, "w") as f:
            # the pane stays after its command exits, so the screen can still be read
            f.write("set -g remain-on-exit on\n" + conf)

    def tmux(self, *args, check=True):
        return subprocess.run(["tmux", "-L", self.sock, "-f", self.conf] + list(args),
                              env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, check=check, timeout=30)

    def start(self, shell_cmd):
        """Runs a shell command line in a new session; its exit status goes to a file (tmux can
        be slow to notice that a pane's process has exited)."""
        self.status = self.conf + ".status"
        # the command waits until the pane is set up: early output is otherwise lost
        self.tmux("new-session", "-d", "-s", "t", "-x", str(self.width), "-y", str(self.height),
                  "tmux wait-for mt-go; %s; echo $? > %s; echo '%s'"
                  % (shell_cmd, self.status, DONE))
        self.tmux("wait-for", "-S", "mt-go")

    def keys(self, *keys):
        self.tmux("send-keys", "-t", "t", *keys)

    def literal(self, text):
        self.tmux("send-keys", "-t", "t", "-l", text)

    def screen(self):
        # -S -: the history too ("Pane is dead" scrolls the screen by a line)
        return self.tmux("capture-pane", "-p", "-t", "t", "-J", "-S", "-").stdout

    def wait_for(self, text, timeout=20):
        end = time.time() + timeout
        while time.time() < end:
            s = self.screen()
            if text in s:
                return s
            time.sleep(0.05)
        raise AssertionError("timed out waiting for %r; screen:\n%s" % (text, self.screen()))

    def wait_exit(self, timeout=20):
        """The exit status of the pane's command."""
        end = time.time() + timeout
        while time.time() < end:
            if DONE in self.screen():
                with open(self.status) as f:
                    return int(f.read())
            time.sleep(0.05)
        raise AssertionError("command did not exit; screen:\n%s" % self.screen())

    def close(self):
        self.tmux("kill-server", check=False)
        for p in (self.conf, self.conf + ".status"):
            if os.path.exists(p):
                os.unlink(p)
