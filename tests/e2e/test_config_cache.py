"""The binary parse cache of ~/.mytools.yaml (config/cache.c, load.c), through the real binary.

Observables, none of them timing:
  - the cache file appears at $XDG_CACHE_HOME/mytools/config-<sha256(path)>.bin (0600, dir 0700)
    only once the config is older than the racy window, and never for a config that fails to parse;
  - a cache is really read: a cache patched by hand (with its checksums fixed) changes the output
    of `db list` (which decodes everything) and of `db token -e -d` (which decodes only the
    environment and database it names, through the cache's index), and MYTOOLS_NO_CONFIG_CACHE=1
    ignores it; a patch with a stale record checksum is ignored by both;
  - a corrupt cache is ignored and rewritten; a same-size edit with the old mtime put back shows
    the new content (the ctime still differs); output and warnings equal those of a plain parse.
"""
import hashlib
import os
import stat
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mtlib  # noqa: E402
from mtlib import run  # noqa: E402

RACY_SECS = 2.1
OLD = 1600000000

CONFIG = """\
defaults:
  region: eu-west-1
  colour: blue
environments:
  production:
    aliases: [prod]
    user: app
    databases:
      orders: {host: orders.example, port: 3307, name: shop}
      billing: {host: billing.example, engine: pg}
"""
SAME_SIZE = CONFIG.replace("orders.example", "ORDERS.example")
BAD = "environments:\n  production:\n    port: x\n"

M64 = (1 << 64) - 1
P1 = 0x9E3779B97F4A7C15
P2 = 0xC2B2AE3D27D4EB4F


def _lane(h, w):
    x = ((h ^ w) * P1) & M64
    return ((x << 29) | (x >> 35)) & M64


def cache_sum(data):
    """mt_cfg_cache_sum() (config/cache.c): four lanes over 32-byte blocks, zero-padded tail."""
    h = [P2, P2 + 1, P2 + 2, P2 + 3]
    r = P1 ^ len(data)
    if len(data) % 32:
        data = data + b"\0" * (32 - len(data) % 32)
    for off in range(0, len(data), 32):
        for i in range(4):
            h[i] = _lane(h[i], int.from_bytes(data[off + 8 * i:off + 8 * i + 8], "little"))
    for i in range(4):
        r = _lane(r, h[i])
    r ^= r >> 32
    r = (r * P2) & M64
    r ^= r >> 29
    return r


HDR = 104  # cache.c's header length


def u32(data, at):
    return int.from_bytes(data[at:at + 4], "little")


def fix_sums(data):
    """Recomputes every checksum of a cache (cache.c's layout): each body record's, the head's
    (stamp, path, head) and the whole file's."""
    s, p, h = u32(data, 12), u32(data, 16), u32(data, 20)
    head = HDR + s + p
    at, end = head + h, head + h + u32(data, head + 8)
    while at < end:
        n = u32(data, at)
        data[at + 4:at + 12] = cache_sum(bytes(data[at + 12:at + 12 + n])).to_bytes(8, "little")
        at += 12 + n
    data[96:104] = cache_sum(bytes(data[HDR:head + h])).to_bytes(8, "little")
    data[88:96] = cache_sum(bytes(data[HDR:])).to_bytes(8, "little")


class ConfigCache(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.home = mtlib.Home()
        cls.xdg = os.path.join(cls.home.path, "xdg")
        cls.cfg = cls.home.yaml(CONFIG)
        cls.bad = cls.home.write("bad.yaml", BAD)
        for p in (cls.cfg, cls.bad):
            os.utime(p, (OLD, OLD))
        time.sleep(RACY_SECS)  # the ctime cannot be set back; wait until it is old enough

    @classmethod
    def tearDownClass(cls):
        cls.home.cleanup()

    def cache_path(self, config_path):
        name = "config-%s.bin" % hashlib.sha256(config_path.encode()).hexdigest()
        return os.path.join(self.xdg, "mytools", name)

    def mt(self, *args, **env):
        e = self.home.env(XDG_CACHE_HOME=self.xdg, **env)
        return run(list(args), e)

    def listing(self, **env):
        r = self.mt("db", "list", "--format", "json", **env)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout, r.stderr

    def test_1_cache_written_used_and_checked(self):
        cache = self.cache_path(self.cfg)
        plain = self.listing(MYTOOLS_NO_CONFIG_CACHE="1")
        self.assertIn("orders.example", plain[0])
        self.assertIn("unknown key 'colour'", plain[1])
        self.assertFalse(os.path.exists(cache), "MYTOOLS_NO_CONFIG_CACHE=1 wrote a cache")

        self.assertEqual(self.listing(), plain)  # parses and writes the cache
        st = os.stat(cache)
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o600)
        self.assertEqual(stat.S_IMODE(os.stat(os.path.dirname(cache)).st_mode), 0o700)
        self.assertEqual(self.listing(), plain)  # from the cache: same output, same warnings
        check_plain = self.mt("config", "check", MYTOOLS_NO_CONFIG_CACHE="1")
        check_cached = self.mt("config", "check")
        self.assertEqual((check_cached.returncode, check_cached.stdout, check_cached.stderr),
                         (check_plain.returncode, check_plain.stdout, check_plain.stderr))

        # the cache is what a hit returns: patch a host name and fix the checksum
        with open(cache, "rb") as f:
            data = bytearray(f.read())
        self.assertEqual(data[:8], b"MTCFGC\r\n")
        self.assertEqual(int.from_bytes(data[88:96], "little"), cache_sum(bytes(data[HDR:])))
        i = data.index(b"orders.example")
        data[i:i + 14] = b"patchd.example"
        fix_sums(data)
        with open(cache, "wb") as f:
            f.write(data)
        self.assertIn("patchd.example", self.listing()[0])
        self.assertEqual(self.listing(MYTOOLS_NO_CONFIG_CACHE="1"), plain)
        # a warm db token decodes only production/orders, from the cache (alias or name)
        for env in ("prod", "production"):
            tok = self.mt("db", "token", "-e", env, "-d", "orders", "--format", "json",
                          "--region", "eu-west-1", AWS_ACCESS_KEY_ID="AKIDEXAMPLE",
                          AWS_SECRET_ACCESS_KEY="s" * 40)
            self.assertEqual(tok.returncode, 0, tok.stderr)
            self.assertIn("patchd.example", tok.stdout)
            self.assertIn("unknown key 'colour'", tok.stderr)  # warnings come from the head
        # an unknown database falls back to the full decode: its error lists the known ones
        tok = self.mt("db", "token", "-e", "prod", "-d", "nope", "--region", "eu-west-1")
        self.assertEqual(tok.returncode, 3, tok.stderr)
        self.assertIn("orders", tok.stderr)
        self.assertIn("billing", tok.stderr)
        # a broken record it does not need (billing) does not matter to it
        k = data.index(b"billing.example")
        data[k:k + 1] = b"B"
        with open(cache, "wb") as f:
            f.write(data)
        tok = self.mt("db", "token", "-e", "prod", "-d", "orders", "--format", "json",
                      "--region", "eu-west-1", AWS_ACCESS_KEY_ID="AKIDEXAMPLE",
                      AWS_SECRET_ACCESS_KEY="s" * 40)
        self.assertEqual(tok.returncode, 0, tok.stderr)
        self.assertIn("patchd.example", tok.stdout)
        data[k:k + 1] = b"b"
        # a record changed behind its checksum: db token does not use it, the file is reparsed
        j = data.index(b"patchd.example")
        data[j:j + 6] = b"PATCHD"
        with open(cache, "wb") as f:
            f.write(data)
        tok = self.mt("db", "token", "-e", "prod", "-d", "orders", "--format", "json",
                      "--region", "eu-west-1", AWS_ACCESS_KEY_ID="AKIDEXAMPLE",
                      AWS_SECRET_ACCESS_KEY="s" * 40)
        self.assertEqual(tok.returncode, 0, tok.stderr)
        self.assertIn("orders.example", tok.stdout)
        self.assertNotIn("PATCHD", tok.stdout)
        data[j:j + 6] = b"patchd"

        # the same patch without fixing the checksum: ignored, parsed, rewritten
        data[i:i + 14] = b"xxxxxx.example"
        with open(cache, "wb") as f:
            f.write(data)
        self.assertEqual(self.listing(), plain)
        with open(cache, "rb") as f:
            self.assertNotIn(b"xxxxxx.example", f.read())

        # garbage and truncation: ignored and rewritten
        for junk in (b"", b"garbage", bytes(data[:100])):
            with open(cache, "wb") as f:
                f.write(junk)
            self.assertEqual(self.listing(), plain)
            with open(cache, "rb") as f:
                self.assertEqual(f.read(8), b"MTCFGC\r\n")

    def test_2_same_size_edit_with_old_mtime(self):
        cache = self.cache_path(self.cfg)
        self.listing()
        self.assertTrue(os.path.exists(cache))
        before = os.stat(self.cfg)
        with open(self.cfg, "w") as f:
            f.write(SAME_SIZE)
        os.utime(self.cfg, ns=(before.st_atime_ns, before.st_mtime_ns))
        after = os.stat(self.cfg)
        self.assertEqual((after.st_size, after.st_ino, after.st_mtime_ns),
                         (before.st_size, before.st_ino, before.st_mtime_ns))
        out = self.listing()[0]
        self.assertIn("ORDERS.example", out)
        self.assertNotIn("orders.example", out)
        self.assertIn("ORDERS.example", self.listing()[0])
        with open(self.cfg, "w") as f:  # restore for other tests
            f.write(CONFIG)

    def test_3_parse_error_never_cached(self):
        for _ in range(2):
            r = self.mt("db", "list", "--config", self.bad)
            self.assertEqual(r.returncode, 3, r.stderr)
            self.assertIn("bad.yaml:3:11: 'port' must be an integer", r.stderr)
            self.assertFalse(os.path.exists(self.cache_path(self.bad)))

    def test_4_fresh_file_not_cached(self):
        p = self.home.write("fresh.yaml", CONFIG)
        os.utime(p, (OLD, OLD))  # an old mtime is not enough: the ctime is now
        r = self.mt("db", "list", "--config", p)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertFalse(os.path.exists(self.cache_path(p)))


if __name__ == "__main__":
    unittest.main(verbosity=2)
