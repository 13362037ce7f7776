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


def run(args, env, input=None, timeout=30, faketime=None, stdout=subprocess.PIPE):
    cmd = [MYTOOLS] + list(args)
    if faketime:
        cmd = ["faketime", "-f", faketime] + cmd
        # libfaketime is preloaded ahead of the ASan runtime in sanitizer builds
        env = dict(env, ASAN_OPTIONS=(env.get("ASAN_OPTIONS", "") +
                                      ":verify_asan_link_order=0").lstrip(":"))
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
