"""End-to-end tests of `mytools mkpassword` (contract section 5) against the real binary.

Statistics: the generator must be uniform over the passwords that contain every enabled class
(whole-password rejection). The expected per-character probability of that distribution is
computed here independently by inclusion-exclusion, and observed counts are checked with a
chi-square test whose critical value comes from the Wilson-Hilferty approximation at
alpha = 1e-4 (per-position tests are Bonferroni-corrected), so a correct generator fails with
probability well under 1e-3 per run while modulo bias or a planted class character is caught.

Only the Python standard library is used; MYTOOLS names the binary under test.
"""
import base64
import collections
import hashlib
import hmac
import json
import math
import os
import shutil
import statistics
import subprocess
import tempfile
import unittest

MYTOOLS = os.environ.get("MYTOOLS") or os.path.join(
    os.environ.get("MT_BUILD_DIR", "build"), "cmd", "mytools")

UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
LOWER = "abcdefghijklmnopqrstuvwxyz"
DIGITS = "0123456789"
SYMBOLS = "!#$%&()*+,-.;<=>?[]^_{|}~"  # contract section 5, verbatim
AMBIGUOUS = "0O1lI|"
ALPHA = 1e-4


def env():
    e = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MYTOOLS_"))}
    e.update({"LC_ALL": "C", "HOME": tempfile.gettempdir()})
    return e


def run(args, prog=None, timeout=120):
    return subprocess.run([prog or MYTOOLS] + list(args), env=env(), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=timeout)


def gen(args, n, length):
    r = run(["mkpassword", "-n", str(n), "-l", str(length)] + list(args))
    assert r.returncode == 0, r.stderr.decode()
    lines = r.stdout.decode("ascii").split("\n")
    assert lines[-1] == "", "output must end with a newline"
    return lines[:-1]


def chi2_critical(df, alpha):
    """Upper alpha point of chi-square(df), Wilson-Hilferty."""
    z = statistics.NormalDist().inv_cdf(1.0 - alpha)
    h = 2.0 / (9.0 * df)
    return df * (1.0 - h + z * math.sqrt(h)) ** 3


def expected_probs(classes, length):
    """P(character) at any one position of a password drawn uniformly from the strings of this
    length over the union of classes that contain a character of every class."""
    n = sum(len(c) for c in classes)
    k = len(classes)

    def p_cover(required, positions):
        # P(positions uniform characters hit every class in required), inclusion-exclusion
        total = 0.0
        for mask in range(1 << len(required)):
            missing = sum(len(required[i]) for i in range(len(required)) if mask >> i & 1)
            sign = -1.0 if bin(mask).count("1") % 2 else 1.0
            total += sign * ((n - missing) / n) ** positions
        return total

    p_valid = p_cover(classes, length)
    probs = {}
    for i in range(k):
        others = classes[:i] + classes[i + 1:]
        p = (1.0 / n) * p_cover(others, length - 1) / p_valid
        for ch in classes[i]:
            probs[ch] = p
    assert abs(sum(probs.values()) - 1.0) < 1e-9
    return probs


def chi2(counts, probs, total):
    return sum((counts.get(ch, 0) - total * p) ** 2 / (total * p) for ch, p in probs.items())


class Statistics(unittest.TestCase):
    """10^6 characters per alphabet."""

    def check(self, args, classes, length):
        n = 1_000_000 // length
        lines = gen(args, n, length)
        self.assertEqual(len(lines), n)
        alphabet = "".join(classes)
        allowed = set(alphabet)
        probs = expected_probs(classes, length)
        # shape and class presence in every password
        for pw in lines:
            self.assertEqual(len(pw), length)
            self.assertTrue(set(pw) <= allowed, "character outside the alphabet")
            for c in classes:
                self.assertTrue(any(ch in c for ch in pw), "a class is missing")
        self.assertEqual(len(set(lines)), n, "duplicate passwords")
        # overall frequencies
        counts = collections.Counter("".join(lines))
        stat = chi2(counts, probs, n * length)
        crit = chi2_critical(len(alphabet) - 1, ALPHA)
        self.assertLess(stat, crit, f"overall chi-square {stat:.1f} >= {crit:.1f} for {args}")
        # per position (Bonferroni over positions)
        crit_pos = chi2_critical(len(alphabet) - 1, ALPHA / length)
        for pos in range(length):
            col = collections.Counter(pw[pos] for pw in lines)
            stat = chi2(col, probs, n)
            self.assertLess(stat, crit_pos,
                            f"position {pos}: chi-square {stat:.1f} >= {crit_pos:.1f} for {args}")
        return probs

    def test_default_alphabet(self):
        self.check([], [UPPER, LOWER, DIGITS], 32)

    def test_symbols(self):
        self.check(["--symbols"], [UPPER, LOWER, DIGITS, SYMBOLS], 32)

    def test_no_ambiguous(self):
        strip = lambda s: "".join(c for c in s if c not in AMBIGUOUS)
        self.check(["--no-ambiguous", "-s"],
                   [strip(UPPER), strip(LOWER), strip(DIGITS), strip(SYMBOLS)], 32)

    def test_short_passwords_are_uniform_over_valid_ones(self):
        # at length 8 a quarter of uniform candidates lack a digit: the expected frequencies
        # differ clearly from 1/62 (digits about 1.3x), so this tests the rejection scheme itself
        probs = self.check([], [UPPER, LOWER, DIGITS], 8)
        self.assertGreater(probs["5"] / probs["a"], 1.2)

    def test_single_character_class(self):
        self.check(["--no-upper", "--no-digits", "--symbol-set", "!"], [LOWER, "!"], 10)


class Output(unittest.TestCase):
    def test_default_is_one_32_char_password(self):
        lines = gen([], 1, 32)
        r = run(["mkpassword"])
        self.assertEqual(r.returncode, 0)
        out = r.stdout.decode()
        self.assertRegex(out, r"^[A-Za-z0-9]{32}\n$")
        self.assertEqual(len(lines[0]), 32)
        self.assertEqual(r.stderr, b"")

    def test_class_switches_and_exclude(self):
        for pw in gen(["--no-upper", "--no-digits", "--exclude", "aeiou"], 200, 12):
            self.assertRegex(pw, r"^[b-df-hj-np-tv-z]{12}$")
        for pw in gen(["--no-lower", "--no-upper"], 100, 8):
            self.assertRegex(pw, r"^[0-9]{8}$")
        for pw in gen(["--symbol-set", "@:"], 200, 16):
            self.assertRegex(pw, r"^[A-Za-z0-9@:]{16}$")
            self.assertRegex(pw, r"[@:]")
        for pw in gen(["-s", "--no-ambiguous"], 300, 40):
            self.assertFalse(set(pw) & set(AMBIGUOUS))
            for c in (UPPER, LOWER, DIGITS, SYMBOLS):
                self.assertTrue(set(pw) & set(c))

    def test_length_limits(self):
        self.assertEqual(len(gen([], 1, 8)[0]), 8)
        self.assertEqual(len(gen(["-s"], 3, 4096)[2]), 4096)

    def test_hash_mysql_native(self):
        r = run(["mkpassword", "--hash", "mysql-native", "-n", "5"])
        self.assertEqual(r.returncode, 0, r.stderr)
        for line in r.stdout.decode().splitlines():
            pw, ver = line.split("\t")
            want = "*" + hashlib.sha1(hashlib.sha1(pw.encode()).digest()).hexdigest().upper()
            self.assertEqual(ver, want)

    def test_hash_scram(self):
        r = run(["mkpassword", "--hash", "scram-sha-256", "-n", "3", "-s"])
        self.assertEqual(r.returncode, 0, r.stderr)
        salts = set()
        for line in r.stdout.decode().splitlines():
            pw, ver = line.split("\t")
            mech, rest = ver.split("$", 1)
            self.assertEqual(mech, "SCRAM-SHA-256")
            iters_salt, keys = rest.split("$")
            iters, salt_b64 = iters_salt.split(":")
            stored_b64, server_b64 = keys.split(":")
            self.assertEqual(iters, "4096")
            salt = base64.b64decode(salt_b64, validate=True)
            self.assertEqual(len(salt), 16)
            salts.add(salt)
            salted = hashlib.pbkdf2_hmac("sha256", pw.encode(), salt, 4096)
            client = hmac.new(salted, b"Client Key", "sha256").digest()
            server = hmac.new(salted, b"Server Key", "sha256").digest()
            self.assertEqual(base64.b64decode(stored_b64), hashlib.sha256(client).digest())
            self.assertEqual(base64.b64decode(server_b64), server)
        self.assertEqual(len(salts), 3, "salts must be fresh")

    def test_hash_caching_sha2(self):
        r = run(["mkpassword", "--hash", "caching-sha2", "-n", "3", "-s", "-l", "20"])
        self.assertEqual(r.returncode, 0, r.stderr)
        for line in r.stdout.decode().splitlines():
            pw, ver = line.split("\t")
            self.assertRegex(ver, r"^0x[0-9A-F]{140}$")
            raw = bytes.fromhex(ver[2:])
            self.assertEqual(raw[:7], b"$A$005$")
            salt, digest = raw[7:27], raw[27:]
            self.assertTrue(all(1 <= b <= 0x7F and b != ord("$") for b in salt))
            self.assertEqual(digest.decode(), sha256_crypt(pw.encode(), salt, 5000))

    def test_json(self):
        r = run(["mkpassword", "--format", "json", "-n", "4", "-l", "10"])
        self.assertEqual(r.returncode, 0, r.stderr)
        doc = json.loads(r.stdout)
        self.assertEqual(len(doc), 4)
        for o in doc:
            self.assertEqual(set(o), {"password"})
            self.assertEqual(len(o["password"]), 10)
        r = run(["mkpassword", "--format", "json", "--hash", "mysql-native",
                 "--symbol-set", "\"\\/"])
        self.assertEqual(r.returncode, 0, r.stderr)
        doc = json.loads(r.stdout)
        self.assertEqual(len(doc), 1)
        o = doc[0]
        self.assertEqual(set(o), {"password", "verifier"})
        self.assertRegex(o["password"], r'["\\/]')
        self.assertEqual(o["verifier"], "*" + hashlib.sha1(
            hashlib.sha1(o["password"].encode()).digest()).hexdigest().upper())
        r = run(["mkpassword", "--format", "text", "-n", "2"])
        self.assertEqual(len(r.stdout.splitlines()), 2)

    def test_kms_and_secret_never_print_a_password(self):
        # no AWS credentials or region in this HOME: a failure before any request, and no
        # password generated for KMS or Secrets Manager ever reaches stdout
        for args in (["--kms", "alias/x"], ["--secret", "s", "--username", "u"],
                     ["--kms", "k", "--hash", "mysql-native"]):
            r = run(["mkpassword"] + args)
            self.assertNotEqual(r.returncode, 0)
            self.assertNotEqual(r.returncode, 2, r.stderr)
            self.assertEqual(r.stdout, b"")


USAGE_CASES = [
    (["-l", "7"], "--length"),
    (["--length", "4097"], "--length"),
    (["-l", "12x"], "--length"),
    (["-l", "-8"], "--length"),
    (["-n", "0"], "--count"),
    (["--count", "-3"], "--count"),
    (["--count", "lots"], "--count"),
    (["--format", "xml"], "--format"),
    (["--hash", "md5"], "--hash"),
    (["--symbol-set", "ab!"], "--symbol-set"),
    (["--symbol-set", "! "], "--symbol-set"),
    (["--symbol-set", ""], "--symbol-set"),
    (["--no-upper", "--no-lower", "--no-digits"], "--no-upper"),
    (["--no-upper", "--no-lower", "--exclude", DIGITS], "--exclude"),
    (["--context", "a=b"], "--context"),
    (["--kms", "k", "--context", "novalue"], "--context"),
    (["--username", "u"], "--username"),
    (["--overwrite"], "--overwrite"),
    (["--secret-kms-key", "k"], "--secret-kms-key"),
    (["--description", "d"], "--description"),
    (["--secret", "s", "-n", "2"], "--secret"),
    (["--frobnicate"], "--frobnicate"),
    (["--length"], "--length"),
    (["extra"], "mkpassword"),
]


class Usage(unittest.TestCase):
    def test_usage_errors_exit_2_naming_the_flag(self):
        for args, flag in USAGE_CASES:
            with self.subTest(args=args):
                r = run(["mkpassword"] + args)
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assertEqual(r.stdout, b"")
                lines = r.stderr.decode().splitlines()
                self.assertTrue(lines and lines[0].startswith("mytools mkpassword: "), lines)
                self.assertIn(flag, lines[0])
                # one message line, optionally followed by a hint line
                self.assertLessEqual(len(lines), 2, lines)
                if len(lines) == 2:
                    self.assertTrue(lines[1].startswith("hint: "), lines)

    def test_help(self):
        r = run(["mkpassword", "--help"])
        self.assertEqual(r.returncode, 0)
        out = r.stdout.decode()
        self.assertTrue(out.startswith("usage: "))
        for flag in ("--length", "--symbols", "--no-upper", "--no-lower", "--no-digits",
                     "--no-ambiguous", "--exclude", "--symbol-set", "--count", "--kms",
                     "--context", "--secret", "--username", "--secret-kms-key",
                     "--description", "--overwrite", "--hash", "--format"):
            self.assertIn(flag, out)


class Link(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="mt-link-")
        self.link = os.path.join(self.dir, "mkpassword")
        os.symlink(os.path.abspath(MYTOOLS), self.link)

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def test_symlink_equals_subcommand(self):
        a = subprocess.run([self.link, "--help"], env=env(), capture_output=True, timeout=30)
        b = run(["mkpassword", "--help"])
        self.assertEqual(a.returncode, 0)
        self.assertEqual(a.stdout, b.stdout)
        r = subprocess.run([self.link, "-l", "20", "-n", "50", "--no-digits"], env=env(),
                           capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.decode().splitlines()
        self.assertEqual(len(lines), 50)
        for pw in lines:
            self.assertRegex(pw, r"^[A-Za-z]{20}$")
        a = subprocess.run([self.link, "-l", "3"], env=env(), capture_output=True, timeout=30)
        b = run(["mkpassword", "-l", "3"])
        self.assertEqual(a.returncode, 2)
        self.assertEqual(a.stderr, b.stderr)


# SHA-256-crypt (Drepper), written from the specification, independent of the C code; checked
# against the glibc and MySQL vectors from shared/docs/sso-and-hashes.md below.
CRYPT_B64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def sha256_crypt(pw, salt, rounds):
    sha = hashlib.sha256
    b = sha(pw + salt + pw).digest()
    a = sha(pw + salt)
    a.update((b * (len(pw) // 32 + 1))[:len(pw)])
    n = len(pw)
    while n:
        a.update(b if n & 1 else pw)
        n >>= 1
    a = a.digest()
    dp = sha(pw * len(pw)).digest()
    p = (dp * (len(pw) // 32 + 1))[:len(pw)]
    ds = sha(salt * (16 + a[0])).digest()
    s = (ds * (len(salt) // 32 + 1))[:len(salt)]
    for i in range(rounds):
        c = sha()
        c.update(p if i & 1 else a)
        if i % 3:
            c.update(s)
        if i % 7:
            c.update(p)
        c.update(a if i & 1 else p)
        a = c.digest()
    order = [(0, 10, 20), (21, 1, 11), (12, 22, 2), (3, 13, 23), (24, 4, 14), (15, 25, 5),
             (6, 16, 26), (27, 7, 17), (18, 28, 8), (9, 19, 29)]
    out = []
    for x, y, z in order:
        w = a[x] << 16 | a[y] << 8 | a[z]
        for _ in range(4):
            out.append(CRYPT_B64[w & 63])
            w >>= 6
    w = a[31] << 8 | a[30]
    for _ in range(3):
        out.append(CRYPT_B64[w & 63])
        w >>= 6
    return "".join(out)


class ReferenceCrypt(unittest.TestCase):
    def test_python_reference_matches_published_vectors(self):
        self.assertEqual(sha256_crypt(b"Hello world!", b"saltstring", 5000),
                         "5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5")
        lit = ("24412430303524031A69251C34295C4B35167C7F1E5A7B63091349503974624D34504B5A42"
               "4679354856336868686F52485A736E4A733368786E427575516C73446469496537")
        raw = bytes.fromhex(lit)
        self.assertEqual(sha256_crypt(b"foobar", raw[7:27], 5000), raw[27:].decode())


if __name__ == "__main__":
    unittest.main(verbosity=2)
