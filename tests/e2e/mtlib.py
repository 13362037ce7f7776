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
