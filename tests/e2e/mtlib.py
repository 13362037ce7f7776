"""Small helpers for the end-to-end tests that drive the real mytools binary.

Secrets never go in argv: credentials reach the binary through its environment or files.
"""
import os
import shutil
import subprocess
import tempfile

MYTOOLS = os.environ.get("MYTOOLS") or os.path.join(
    os.environ.get("MT_BUILD_DIR", "build"), "cmd", "mytools")

AKID = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"


def clean_env(home, **extra):
    """A minimal environment: nothing AWS_* or MYTOOLS_* leaks in from the caller."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "MYTOOLS_", "DISPLAY", "WAYLAND_"))}
    env.update({"HOME": home, "LC_ALL": "C", "TZ": "UTC", "AWS_EC2_METADATA_DISABLED": "true"})
    env.pop("NO_COLOR", None)
    env.update({k: v for k, v in extra.items() if v is not None})
    return env


LIBFAKETIME = next((p for p in ("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
                                "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1",
                                "/usr/lib/faketime/libfaketime.so.1") if os.path.exists(p)),
                   "libfaketime.so.1")


def faketime_vars(stamp, env=None):
    """The variables that freeze a process's wall clock at stamp ("YYYY-MM-DD HH:MM:SS").
    libfaketime is preloaded directly, never through the faketime wrapper: the wrapper's sem_open
    fails ("File exists") when a killed run left its /dev/shm file behind for a pid that is
    reused (testing-notes.md). The monotonic clock stays real, so timeouts still fire; in
    sanitizer builds libfaketime comes ahead of the ASan runtime."""
    asan = ((env if env is not None else os.environ).get("ASAN_OPTIONS", "") +
            ":verify_asan_link_order=0").lstrip(":")
    return {"LD_PRELOAD": LIBFAKETIME, "FAKETIME": stamp, "FAKETIME_DONT_FAKE_MONOTONIC": "1",
            "ASAN_OPTIONS": asan}


def faketime_argv(stamp):
    """A command prefix for shell lines (tmux): env VAR=... with faketime_vars(stamp)."""
    return ["env"] + ["%s=%s" % kv for kv in faketime_vars(stamp).items()]


def run(args, env, input=None, timeout=30, faketime=None, stdout=subprocess.PIPE):
    cmd = [MYTOOLS] + list(args)
    if faketime:
        env = dict(env, **faketime_vars(faketime, env))
    return subprocess.run(cmd, env=env, input=input, stdout=stdout, stderr=subprocess.PIPE,
                          timeout=timeout, text=True)


class Home:
    """A throw-away HOME with writers for the files mytools reads."""

    def __init__(self):
        self.path = tempfile.mkdtemp(prefix="mt-home-")
        os.makedirs(os.path.join(self.path, ".aws"), mode=0o700)

    def write(self, rel, text, mode=0o600):
        p = os.path.join(self.path, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "w") as f:
            f.write(text)
        return p

    def yaml(self, text):
        return self.write(".mytools.yaml", text)

    def aws_config(self, text):
        return self.write(".aws/config", text)

    def aws_credentials(self, text):
        return self.write(".aws/credentials", text)

    def env(self, **extra):
        return clean_env(self.path, **extra)

    def cleanup(self):
        shutil.rmtree(self.path, ignore_errors=True)


# ---- real database servers (test_doctor.py, test_verifier_db.py) ----

SERVER_WAIT = 60  # seconds: bound on every server start/stop


def system_user(*names):
    """The first of the named system users that exists (servers refuse to run as root)."""
    import pwd
    for n in names:
        try:
            return pwd.getpwnam(n)
        except KeyError:
            pass
    raise AssertionError("none of the users %s exists" % (names,))


def chown_tree(path, user):
    for root, dirs, files in os.walk(path):
        for n in dirs + files:
            os.lchown(os.path.join(root, n), user.pw_uid, user.pw_gid)
    os.chown(path, user.pw_uid, user.pw_gid)


def stop_server(proc, wait=SERVER_WAIT):
    """SIGTERM (a clean shutdown), then SIGKILL after wait seconds."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(wait)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def start_mariadb(cls, extra=(), wait=SERVER_WAIT):
    """Initialises cls.data and starts mariadbd on 127.0.0.1:cls.port and cls.sock as cls.user;
    ready once root can run SELECT 1 over the socket. Sets cls.proc and cls.log (cls.dir/server.log)
    and registers their clean-up on cls. Needs cls.mariadbd, install_db, client, user, dir, data,
    sock, port; extra: more mariadbd options (TLS files, --skip-ssl)."""
    import time
    r = subprocess.run([cls.install_db, "--no-defaults", f"--user={cls.user.pw_name}",
                        f"--datadir={cls.data}", "--auth-root-authentication-method=normal",
                        "--skip-test-db"], capture_output=True, timeout=wait * 2)
    if r.returncode != 0:
        raise AssertionError("mariadb-install-db failed: " + r.stdout.decode() + r.stderr.decode())
    log_path = os.path.join(cls.dir, "server.log")
    cls.log = open(log_path, "wb")
    cls.addClassCleanup(cls.log.close)
    cls.proc = subprocess.Popen(
        [cls.mariadbd, "--no-defaults", f"--user={cls.user.pw_name}", f"--datadir={cls.data}",
         f"--socket={cls.sock}", f"--port={cls.port}", "--bind-address=127.0.0.1",
         "--skip-networking=0", "--skip-name-resolve", "--skip-log-bin",
         f"--pid-file={os.path.join(cls.dir, 'pid')}", "--innodb-buffer-pool-size=16M",
         *extra], stdout=cls.log, stderr=subprocess.STDOUT)
    cls.addClassCleanup(stop_server, cls.proc, wait)
    deadline = time.monotonic() + wait
    while True:
        if cls.proc.poll() is not None:
            with open(log_path) as f:
                raise AssertionError("mariadbd exited: " + f.read())
        r = subprocess.run([cls.client, "--no-defaults", f"--socket={cls.sock}", "-uroot",
                            "-e", "SELECT 1"], capture_output=True, timeout=wait)
        if r.returncode == 0:
            return
        if time.monotonic() > deadline:
            raise AssertionError("mariadbd did not come up: " + r.stderr.decode())
        time.sleep(0.2)
