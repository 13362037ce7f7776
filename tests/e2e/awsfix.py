"""Shared helpers for mytools end-to-end tests (Python stdlib + the image's botocore).

- Moto:      moto_server on 127.0.0.1 with signature checking ON and an allow-* IAM admin key.
- TempHome:  a throwaway HOME (.aws/config, .aws/credentials, .mytools.yaml, SSO caches) and a
             clean environment for child processes.
- run():     run the mytools binary ($MYTOOLS).
- sso_cache_name(), cli_cache_name(), registration_cache_name(): the AWS CLI's cache file names
             (../shared/docs/sso-and-hashes.md §2 and §5), computed independently.

Secrets never go into any argv: keys are handed over in 0600 files or environment variables.
"""

import atexit
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

ALLOW_ALL = json.dumps({"Version": "2012-10-17",
                        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})

_live = set()   # objects with stop(); stopped at exit if a test forgot


@atexit.register
def _stop_all():
    for o in list(_live):
        try:
            o.stop()
        except Exception:
            pass


# ------------------------------------------------------------------------------------------------
# cache names (independent re-implementation of the AWS CLI rules)
# ------------------------------------------------------------------------------------------------

def sso_cache_name(session_or_url):
    """~/.aws/sso/cache file name: sha1(UTF-8 of the sso-session name, or of the legacy
    sso_start_url exactly as configured) + '.json'."""
    return hashlib.sha1(session_or_url.encode("utf-8")).hexdigest() + ".json"


def cli_cache_name(account_id, role_name, session_name=None, start_url=None):
    """~/.aws/cli/cache file name for SSO role credentials: sha1 of compact sorted JSON of
    {accountId, roleName, sessionName} (sso_session profiles) or {accountId, roleName, startUrl}."""
    args = {"roleName": role_name, "accountId": account_id}
    if session_name is not None:
        args["sessionName"] = session_name
    else:
        args["startUrl"] = start_url
    s = json.dumps(args, sort_keys=True, separators=(",", ":"))
    return hashlib.sha1(s.encode("utf-8")).hexdigest().replace(":", "_").replace("/", "_") + ".json"


def registration_cache_name(start_url, region, scopes=None, session_name=None, tool="botocore"):
    """~/.aws/sso/cache client-registration file name (AWS CLI): sha1 of json.dumps(sort_keys=True)
    with Python's default separators of {region, scopes, session_name, startUrl, tool}."""
    args = {"tool": tool, "startUrl": start_url, "region": region,
            "scopes": list(scopes) if scopes else None, "session_name": session_name}
    return hashlib.sha1(json.dumps(args, sort_keys=True).encode("utf-8")).hexdigest() + ".json"


TOKEN_KEY_ORDER = ("startUrl", "region", "accessToken", "expiresAt", "clientId", "clientSecret",
                   "registrationExpiresAt", "refreshToken")


def sso_token_json(fields):
    """Serialise a token cache file exactly like the AWS CLI v2 (key order of §2, one line,
    Python default separators, no trailing newline). Extra keys are appended after."""
    d = {k: fields[k] for k in TOKEN_KEY_ORDER if fields.get(k) is not None}
    for k, v in fields.items():
        if k not in d and k not in ("expiresIn",) and v is not None:
            d[k] = v
    return json.dumps(d)


def iso_z(epoch):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(epoch)))


def parse_iso(s):
    """Parse the timestamps SDKs write (Z, +00:00, fractional seconds) → epoch seconds."""
    import datetime
    s = s.strip().replace("Z", "+00:00")
    return datetime.datetime.fromisoformat(s).timestamp()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def pid_listens_on(pid, port):
    """True if process `pid` holds the socket listening on 127.0.0.1:port. Under ctest -j16 a
    port from free_port() can be taken by another test's server between the probe and the bind:
    then a readiness probe on that port answers although *our* server failed to bind, and the
    test talks to someone else's server (moto with signature checking still off: wrong
    credentials 'succeed')."""
    want = "%08X:%04X" % (0x0100007F, port)   # 127.0.0.1 in /proc/net/tcp's byte order
    inodes = set()
    try:
        with open("/proc/net/tcp") as f:
            for line in f.readlines()[1:]:
                parts = line.split()
                if parts[1] == want and parts[3] == "0A":   # LISTEN
                    inodes.add("socket:[%s]" % parts[9])
        fd_dir = "/proc/%d/fd" % pid
        for fd in os.listdir(fd_dir):
            try:
                if os.readlink(os.path.join(fd_dir, fd)) in inodes:
                    return True
            except OSError:
                continue
    except OSError:
        return False
    return False


# ------------------------------------------------------------------------------------------------
# botocore without the caller's environment/config leaking in
# ------------------------------------------------------------------------------------------------

def isolated_session():
    import botocore.session
    s = botocore.session.Session()
    s.set_config_variable("config_file", os.devnull)
    s.set_config_variable("credentials_file", os.devnull)
    s.get_scoped_config = lambda: {}   # ignore AWS_PROFILE etc. of the parent
    return s


def botocore_client(service, endpoint_url, access_key_id, secret_access_key, session_token=None,
                    region="us-east-1", verify=None, max_attempts=1, unsigned=False):
    from botocore.config import Config
    kw = {"retries": {"total_max_attempts": max_attempts, "mode": "standard"}}
    if unsigned:
        from botocore import UNSIGNED
        kw["signature_version"] = UNSIGNED
    return isolated_session().create_client(
        service, region_name=region, endpoint_url=endpoint_url, aws_access_key_id=access_key_id,
        aws_secret_access_key=secret_access_key, aws_session_token=session_token,
        verify=verify, config=Config(**kw))


# ------------------------------------------------------------------------------------------------
# moto
# ------------------------------------------------------------------------------------------------

def _find_moto_server():
    cand = os.path.join(os.path.dirname(sys.executable), "moto_server")
    if os.access(cand, os.X_OK):
        return cand
    p = shutil.which("moto_server")
    if not p:
        raise RuntimeError("moto_server not found on PATH")
    return p


def _clean_env(extra=None):
    env = {k: v for k, v in os.environ.items()
           if not (k.startswith("AWS_") or k.startswith("MYTOOLS_") or k.startswith("MOTO_"))}
    env.update(extra or {})
    return env


class Moto:
    """moto_server on 127.0.0.1:<free port> with signature checking on.

    Attributes: endpoint, region, access_key_id, secret_access_key, account_id, key_file (0600 JSON
    {endpoint, region, access_key_id, secret_access_key, account_id}), workdir.
    """

    def __init__(self, region="us-east-1", auth=True, user_name="admin", start_timeout=30):
        self.region = region
        self.auth = auth
        self.user_name = user_name
        self.start_timeout = start_timeout
        self.proc = None
        self.workdir = None
        self.endpoint = None
        self.access_key_id = self.secret_access_key = self.account_id = None
        self.key_file = None

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self):
        self.workdir = tempfile.mkdtemp(prefix="moto-")
        _live.add(self)
        exe = _find_moto_server()
        last = None
        for _ in range(3):    # the port can be taken between free_port() and bind
            port = free_port()
            self._log = open(os.path.join(self.workdir, "moto.log"), "ab")
            self.proc = subprocess.Popen([exe, "-H", "127.0.0.1", "-p", str(port)], cwd=self.workdir,
                                         stdin=subprocess.DEVNULL, stdout=self._log,
                                         stderr=subprocess.STDOUT, start_new_session=True,
                                         env=_clean_env())
            self.endpoint = "http://127.0.0.1:%d" % port
            try:
                self._wait_ready()
                break
            except RuntimeError as e:
                last = e
                self._kill()
        else:
            self.stop()
            raise last
        self._setup_iam()
        if self.auth:
            self._enable_auth()
        self._write_key_file()
        return self

    def _wait_ready(self):
        deadline = time.time() + self.start_timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("moto_server exited (rc %s)" % self.proc.returncode)
            try:
                with urllib.request.urlopen(self.endpoint + "/moto-api/data.json", timeout=2) as r:
                    r.read()
                if pid_listens_on(self.proc.pid, int(self.endpoint.rsplit(":", 1)[1])):
                    return
                raise RuntimeError("another process answers on %s" % self.endpoint)
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)
        raise RuntimeError("moto_server not ready after %ss" % self.start_timeout)

    def _setup_iam(self):
        iam = botocore_client("iam", self.endpoint, "testing", "testing", region=self.region)
        iam.create_user(UserName=self.user_name)
        iam.put_user_policy(UserName=self.user_name, PolicyName="allow-all", PolicyDocument=ALLOW_ALL)
        k = iam.create_access_key(UserName=self.user_name)["AccessKey"]
        self.access_key_id, self.secret_access_key = k["AccessKeyId"], k["SecretAccessKey"]

    def _enable_auth(self):
        # exactly as testing-notes.md: body "0", Content-Type text/plain
        req = urllib.request.Request(self.endpoint + "/moto-api/reset-auth", data=b"0", method="POST",
                                     headers={"Content-Type": "text/plain"})
        with urllib.request.urlopen(req, timeout=10) as r:
            if r.status != 200:
                raise RuntimeError("reset-auth failed: %d" % r.status)
        # verify: unsigned rejected, wrong secret rejected, right key accepted
        unsigned = urllib.request.Request(
            self.endpoint + "/", data=b"Action=GetCallerIdentity&Version=2011-06-15", method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded"})
        try:
            with urllib.request.urlopen(unsigned, timeout=10) as r:
                raise RuntimeError("moto accepted an unsigned STS call (HTTP %d)" % r.status)
        except urllib.error.HTTPError as e:
            self.unsigned_status = e.code   # moto answers 500 (it has no Authorization to parse)
        code = self.sts_error_code(self.access_key_id, "wrong" + self.secret_access_key[5:])
        if code != "SignatureDoesNotMatch":
            raise RuntimeError("moto did not reject a wrong signature (got %r)" % code)
        ident = self.caller_identity()
        self.account_id = ident["Account"]

    def _write_key_file(self):
        if self.account_id is None:
            self.account_id = self.caller_identity()["Account"]
        self.key_file = os.path.join(self.workdir, "admin-key.json")
        fd = os.open(self.key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump({"endpoint": self.endpoint, "region": self.region,
                       "access_key_id": self.access_key_id,
                       "secret_access_key": self.secret_access_key,
                       "account_id": self.account_id}, f)

    def _kill(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            for sig, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
                try:
                    os.killpg(self.proc.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    self.proc.wait(wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        # children left in the group (should not happen after the leader died, but be sure)
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.proc.wait(5)
        except Exception:
            pass
        self.proc = None
        try:
            self._log.close()
        except Exception:
            pass

    def stop(self):
        self._kill()
        _live.discard(self)
        if self.workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *a):
        self.stop()

    # -- helpers ------------------------------------------------------------------------------
    def client(self, service, access_key_id=None, secret_access_key=None, session_token=None,
               region=None):
        """botocore client against moto, signed with the admin key unless keys are given."""
        return botocore_client(service, self.endpoint,
                               access_key_id or self.access_key_id,
                               secret_access_key or self.secret_access_key,
                               session_token, region=region or self.region)

    def caller_identity(self, access_key_id=None, secret_access_key=None, session_token=None):
        r = self.client("sts", access_key_id, secret_access_key, session_token).get_caller_identity()
        return {k: r[k] for k in ("UserId", "Account", "Arn")}

    def sts_error_code(self, access_key_id, secret_access_key, session_token=None):
        """Error code of GetCallerIdentity with these keys, or None if it succeeded."""
        from botocore.exceptions import ClientError
        try:
            self.caller_identity(access_key_id, secret_access_key, session_token)
            return None
        except ClientError as e:
            return e.response["Error"]["Code"]

    def credentials_ini(self, profile="default"):
        return "[%s]\naws_access_key_id = %s\naws_secret_access_key = %s\n" % (
            profile, self.access_key_id, self.secret_access_key)

    def env(self):
        """Environment (not argv!) for a child that should use moto with the admin key."""
        return {"AWS_ACCESS_KEY_ID": self.access_key_id, "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
                "AWS_ENDPOINT_URL_STS": self.endpoint, "AWS_ENDPOINT_URL_KMS": self.endpoint,
                "AWS_ENDPOINT_URL_SECRETS_MANAGER": self.endpoint, "AWS_DEFAULT_REGION": self.region,
                "AWS_REGION": self.region}

    def kms_create_key(self, description="mytools test key", **kw):
        return self.client("kms").create_key(Description=description, **kw)["KeyMetadata"]["KeyId"]

    def kms_encrypt(self, key_id, plaintext):
        return self.client("kms").encrypt(KeyId=key_id, Plaintext=plaintext)["CiphertextBlob"]

    def kms_decrypt(self, blob):
        return self.client("kms").decrypt(CiphertextBlob=blob)["Plaintext"]

    def sm_create_secret(self, name, value):
        kw = {"SecretBinary": value} if isinstance(value, bytes) else {"SecretString": value}
        return self.client("secretsmanager").create_secret(Name=name, **kw)["ARN"]

    def sm_get(self, name):
        r = self.client("secretsmanager").get_secret_value(SecretId=name)
        return r.get("SecretString", r.get("SecretBinary"))

    @property
    def sm(self):
        return self.client("secretsmanager")

    @property
    def kms(self):
        return self.client("kms")


# ------------------------------------------------------------------------------------------------
# HOME
# ------------------------------------------------------------------------------------------------

class TempHome:
    """A throwaway HOME. Files: config / credentials / .mytools.yaml writers, SSO cache helpers."""

    def __init__(self):
        self.path = tempfile.mkdtemp(prefix="mt-home-")
        os.chmod(self.path, 0o700)
        self.aws = os.path.join(self.path, ".aws")
        self.sso_cache = os.path.join(self.aws, "sso", "cache")
        self.cli_cache = os.path.join(self.aws, "cli", "cache")

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.cleanup()

    def cleanup(self):
        shutil.rmtree(self.path, ignore_errors=True)

    # writers
    def _write(self, path, text, mode=0o600):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.chmod(path, mode)
        return path

    @staticmethod
    def _ini(sections):
        if isinstance(sections, str):
            return sections
        out = []
        for name, kv in sections.items():
            out.append("[%s]" % name)
            for k, v in kv.items():
                out.append("%s = %s" % (k, v))
            out.append("")
        return "\n".join(out)

    def write(self, relpath, text, mode=0o600):
        """Write HOME/relpath (parents created), mode 0600 by default; returns the path."""
        return self._write(os.path.join(self.path, relpath), text, mode)

    def write_config(self, sections):
        """sections: INI text, or {"profile p": {"k": "v"}, "sso-session s": {...}}."""
        return self._write(os.path.join(self.aws, "config"), self._ini(sections))

    def write_credentials(self, sections):
        return self._write(os.path.join(self.aws, "credentials"), self._ini(sections))

    def write_mytools_yaml(self, text):
        return self._write(os.path.join(self.path, ".mytools.yaml"), text)

    def write_sso_token(self, session_or_url, fields, raw=None):
        """Token cache file (AWS CLI v2 format) for an sso-session name or legacy start URL.
        `raw` writes the given text verbatim instead (corrupt-cache tests)."""
        p = os.path.join(self.sso_cache, sso_cache_name(session_or_url))
        return self._write(p, raw if raw is not None else sso_token_json(fields))

    def sso_token_path(self, session_or_url):
        return os.path.join(self.sso_cache, sso_cache_name(session_or_url))

    def cli_cache_path(self, account_id, role_name, session_name=None, start_url=None):
        return os.path.join(self.cli_cache, cli_cache_name(account_id, role_name, session_name, start_url))

    def read_json(self, path):
        with open(path) as f:
            return json.load(f)

    def sso_profile_config(self, profile="p", session="my-sso", start_url="https://d-1234567890.awsapps.com/start",
                           sso_region="us-east-1", account_id="123456789012", role_name="ReadOnly",
                           region="us-east-1", scopes="sso:account:access", legacy=False, extra=None):
        """Write ~/.aws/config with one SSO profile (sso_session style, or legacy)."""
        prof = {"region": region, "sso_account_id": account_id, "sso_role_name": role_name}
        secs = {}
        if legacy:
            prof.update({"sso_start_url": start_url, "sso_region": sso_region})
        else:
            prof["sso_session"] = session
            s = {"sso_start_url": start_url, "sso_region": sso_region}
            if scopes:
                s["sso_registration_scopes"] = scopes
            secs["sso-session %s" % session] = s
        prof.update(extra or {})
        name = "default" if profile == "default" else "profile %s" % profile
        secs = dict([(name, prof)] + list(secs.items()))
        return self.write_config(secs)

    def sso_session(self, fake, expires_in, start_url="https://d-1234567890.awsapps.com/start",
                    session="my-sso"):
        """One SSO profile (sso_profile_config defaults) and a token minted by fake for start_url,
        cached for session with expiresAt expires_in seconds from now. Returns the token fields."""
        self.sso_profile_config(session=session, start_url=start_url)
        f = fake.mint_session(start_url=start_url)
        f.pop("expiresIn", None)
        f["expiresAt"] = iso_z(time.time() + expires_in)
        self.write_sso_token(session, f)
        return f

    def env(self, ca_bundle=None, sso=None, sso_oidc=None, sts=None, kms=None, secrets_manager=None,
            fake=None, moto=None, extra=None):
        """Clean environment: parent's AWS_*/MYTOOLS_* removed, HOME set, LC_ALL=C,
        AWS_EC2_METADATA_DISABLED=true, endpoint overrides and AWS_CA_BUNDLE when given.
        fake= (FakeSSO) fills sso/sso_oidc/ca_bundle; moto= (Moto) fills sts/kms/secrets_manager."""
        env = {k: v for k, v in os.environ.items()
               if not (k.startswith("AWS_") or k.startswith("MYTOOLS_") or k in ("BROWSER",))}
        if fake is not None:
            sso = sso or fake.url
            sso_oidc = sso_oidc or fake.url
            ca_bundle = ca_bundle or fake.ca_pem
        if moto is not None:
            sts = sts or moto.endpoint
            kms = kms or moto.endpoint
            secrets_manager = secrets_manager or moto.endpoint
        env.update({"HOME": self.path, "LC_ALL": "C", "AWS_EC2_METADATA_DISABLED": "true",
                    "XDG_CONFIG_HOME": os.path.join(self.path, ".config")})
        for var, val in (("AWS_CA_BUNDLE", ca_bundle), ("AWS_ENDPOINT_URL_SSO", sso),
                         ("AWS_ENDPOINT_URL_SSO_OIDC", sso_oidc), ("AWS_ENDPOINT_URL_STS", sts),
                         ("AWS_ENDPOINT_URL_KMS", kms),
                         ("AWS_ENDPOINT_URL_SECRETS_MANAGER", secrets_manager)):
            if val:
                env[var] = val
        env.update(extra or {})
        return env


# ------------------------------------------------------------------------------------------------
# running the binary
# ------------------------------------------------------------------------------------------------

def mytools_path():
    p = os.environ.get("MYTOOLS")
    if not p:
        raise RuntimeError("MYTOOLS is not set (path of the mytools binary)")
    return p


def run(args, env, input=None, timeout=60, binary=None, check=False):
    """Run mytools with args (list) and env; returns CompletedProcess (text stdout/stderr)."""
    cmd = [binary or mytools_path()] + list(args)
    return subprocess.run(cmd, env=env, input=input, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, timeout=timeout, check=check,
                          stdin=None if input is not None else subprocess.DEVNULL)


def write_browser_script(directory, ca_pem, name="browser.sh"):
    """A $BROWSER script that follows the authorize / verification URL non-interactively
    (curl in the background, trusting only the fake's CA), so PKCE and device logins finish
    without a person. The URL is argv of curl, but it holds no secret (code_challenge only)."""
    p = os.path.join(directory, name)
    with open(p, "w") as f:
        f.write("#!/bin/sh\n"
                "( curl -sS -L --max-time 20 --cacert '%s' -o /dev/null \"$1\" "
                ">>'%s.log' 2>&1 & ) >/dev/null 2>&1\nexit 0\n" % (ca_pem, p))
    os.chmod(p, 0o700)
    return p


# ------------------------------------------------------------------------------------------------
# The whole SSO stack for a test module
# ------------------------------------------------------------------------------------------------

def start_sso_stack():
    """moto (signature checking on) plus the fake IAM Identity Center minting its credentials.
    Returns (moto, fake); stop both with stop_sso_stack. Nothing is left running on failure."""
    import fake_sso  # beside this file; imported here so awsfix alone stays light
    moto = Moto().start()
    try:
        return moto, fake_sso.FakeSSO(moto=moto).start()
    except Exception:
        moto.stop()
        raise


def stop_sso_stack(moto, fake):
    if fake:
        fake.stop()
    if moto:
        moto.stop()


# ---- an RDS fleet in moto (test_rds.py, test_config_init.py, test_doctor.py) ----

def make_fleet(moto, n_extra=0):
    """An instance with IAM auth on, one with it off, an Aurora cluster and an RDS Proxy."""
    rds = moto.client("rds")
    rds.create_db_instance(DBInstanceIdentifier="pg-iam", DBInstanceClass="db.t3.micro",
                           Engine="postgres", MasterUsername="master",
                           MasterUserPassword="not-used-123", EnableIAMDatabaseAuthentication=True)
    rds.create_db_instance(DBInstanceIdentifier="my-noiam", DBInstanceClass="db.t3.micro",
                           Engine="mysql", MasterUsername="master",
                           MasterUserPassword="not-used-123", EnableIAMDatabaseAuthentication=False)
    for i in range(n_extra):
        rds.create_db_instance(DBInstanceIdentifier="extra-%03d" % i, DBInstanceClass="db.t3.micro",
                               Engine="mysql", MasterUsername="master",
                               MasterUserPassword="not-used-123")
    rds.create_db_cluster(DBClusterIdentifier="aurora-a", Engine="aurora-postgresql",
                          MasterUsername="master", MasterUserPassword="not-used-123",
                          EnableIAMDatabaseAuthentication=True)
    ec2 = moto.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.%d.0/24" % i,
                                 AvailabilityZone=moto.region + z)["Subnet"]["SubnetId"]
               for i, z in ((1, "a"), (2, "b"))]
    rds.create_db_proxy(DBProxyName="proxy-a", EngineFamily="MYSQL", RoleArn=(
        "arn:aws:iam::%s:role/proxy" % moto.account_id), VpcSubnetIds=subnets,
        Auth=[{"AuthScheme": "SECRETS", "IAMAuth": "REQUIRED",
               "SecretArn": "arn:aws:secretsmanager:%s:%s:secret:p" % (moto.region,
                                                                      moto.account_id)}])
    return rds
