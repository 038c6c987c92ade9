"""Real mail servers for the test suite: an SMTP sink (aiosmtpd) and an IMAP server (Dovecot).

No protocol mocks: the app talks to these with smtplib / imaplib like it would to production.

Fixtures (registered in tests/conftest.py):

* ``smtp_server`` -- an :class:`SmtpServer` on a free loopback port, new for each test.
  Collects what it accepts as :class:`ReceivedMail` (parsed ``EmailMessage`` + envelope) and can
  be told to misbehave for the next N messages (``refuse``, ``stall``) for retry tests.
* ``dovecot_server`` -- one :class:`DovecotServer` process for the whole session (own config,
  base_dir, ports and temp dir; killed at session end and at interpreter exit).
* ``imap_server`` -- an :class:`ImapMailbox`: a fresh user with an empty Maildir on that Dovecot,
  new for each test, reachable over IMAPS (self-signed CA in ``cafile``) and plain IMAP.

Example::

    def test_fetch_moves_handled_mail(app_config, smtp_server, imap_server):
        app_config.update(MAIL_HOST=smtp_server.host, MAIL_PORT=smtp_server.port)
        imap_server.deliver(b"From: carla@example.com\r\nSubject: Help\r\n\r\nBroken.\r\n")
        ...  # point the app at imap_server.url() and trust imap_server.cafile
        assert imap_server.counts() == {"INBOX": 0, "Processed": 1}
        [ack] = smtp_server.wait_for(1, to="carla@example.com")

When Dovecot is missing or cannot start, the IMAP fixtures skip with the reason, and the terminal
summary says so loudly; with HELPDESK_TEST_REQUIRE_DOVECOT=1 (CI) they fail instead.
HELPDESK_TEST_DOVECOT=/path/to/dovecot picks the binary; HELPDESK_TEST_IMAP_MAIL_USER the user
the mail processes run as when the tests run as root (default: nobody).

Run this file directly (``python tests/mailservers.py``) to get both servers for manual poking.
"""
from __future__ import annotations

import asyncio
import atexit
import contextlib
import ctypes
import email
import email.policy
import grp
import imaplib
import itertools
import os
import pwd
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import quote

import pytest
from aiosmtpd.controller import Controller

LOOPBACK = "127.0.0.1"
IMAP_PASSWORD = "imap-secret"


def free_port() -> int:
    """A port nobody listens on right now (the server binding it may still race; callers retry)."""
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def parse_message(raw: bytes) -> EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)


# --------------------------------------------------------------------------------------------
# SMTP


@dataclass
class ReceivedMail:
    """One message as the SMTP server saw it: envelope plus parsed message."""
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    message: EmailMessage
    received_at: float = field(default_factory=time.monotonic)

    def __getitem__(self, header: str):
        return self.message[header]

    @property
    def text(self) -> str:
        """The text/plain body (or the only body), decoded."""
        part = self.message.get_body(preferencelist=("plain", "html"))
        return (part or self.message).get_content()


@dataclass
class Rejection:
    """A refused or stalled attempt, for asserting how often the client tried."""
    kind: str          # "refuse" or "stall"
    stage: str         # "rcpt" or "data"
    reply: str
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage | None


@dataclass
class _Fault:
    kind: str
    stage: str
    remaining: int
    reply: str
    seconds: float = 0.0
    deliver: bool = False


DEFAULT_REPLIES = {
    421: "421 4.3.2 Service not available, closing transmission channel",
    450: "450 4.2.0 Mailbox temporarily unavailable",
    451: "451 4.3.0 Temporary failure, please try again later",
    452: "452 4.3.1 Insufficient system storage",
    550: "550 5.1.1 Mailbox unavailable",
    552: "552 5.3.4 Message too big",
    554: "554 5.7.1 Message refused",
}


class SmtpServer:
    """aiosmtpd on a free loopback port; also the handler, so all state lives on one object.

    Faults are queued in order: ``refuse(2); stall(1)`` refuses the next two messages, stalls the
    third, and accepts everything after that.
    """

    def __init__(self, host: str = LOOPBACK):
        self.host = host
        self.port: int | None = None
        self.received: list[ReceivedMail] = []
        self.rejections: list[Rejection] = []
        self._faults: list[_Fault] = []
        self._cond = threading.Condition()
        self._controller: Controller | None = None

    # lifecycle -------------------------------------------------------------------------------
    def start(self, attempts: int = 5) -> SmtpServer:
        for attempt in range(attempts):
            port = free_port()
            controller = Controller(self, hostname=self.host, port=port, ready_timeout=10,
                                    enable_SMTPUTF8=True)
            try:
                controller.start()
            except OSError:  # another process took the port between free_port() and bind
                if attempt == attempts - 1:
                    raise
                continue
            self._controller, self.port = controller, port
            return self
        raise AssertionError("unreachable")

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # reading what arrived --------------------------------------------------------------------
    @property
    def messages(self) -> list[ReceivedMail]:
        with self._cond:
            return list(self.received)

    def messages_to(self, address: str) -> list[ReceivedMail]:
        address = address.lower()
        return [m for m in self.messages if address in (r.lower() for r in m.rcpt_tos)]

    def wait_for(self, count: int, timeout: float = 5.0, *, to: str | None = None
                 ) -> list[ReceivedMail]:
        """Block until at least `count` messages (to `to`, if given) arrived; return them all.

        Fails the test with what did arrive when the time is up.
        """
        def matching():
            return [m for m in self.received
                    if to is None or to.lower() in (r.lower() for r in m.rcpt_tos)]

        deadline = time.monotonic() + timeout
        with self._cond:
            while len(matching()) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    got = [(m.rcpt_tos, m["Subject"]) for m in self.received]
                    raise AssertionError(
                        f"SMTP server got {len(matching())} of {count} messages"
                        f"{f' to {to}' if to else ''} within {timeout}s; received: {got}; "
                        f"rejected: {[(r.kind, r.stage, r.reply) for r in self.rejections]}")
                self._cond.wait(left)
            return matching()

    def clear(self) -> None:
        with self._cond:
            self.received.clear()
            self.rejections.clear()

    # misbehaving -----------------------------------------------------------------------------
    def refuse(self, count: int = 1, code: int = 451, *, message: str | None = None,
               at: str = "data") -> None:
        """Refuse the next `count` messages with `code` (4xx temporary, 5xx permanent).

        at="data" answers the end of DATA (the message is not kept); at="rcpt" refuses each
        RCPT TO command instead, so a message to two recipients uses up two refusals.
        """
        reply = message if message is not None else DEFAULT_REPLIES.get(code, f"{code} Refused")
        if not reply.startswith(str(code)):
            reply = f"{code} {reply}"
        self._add_fault(_Fault("refuse", self._stage(at), count, reply))

    def stall(self, count: int = 1, seconds: float = 3.0, *, at: str = "data",
              deliver: bool = False, code: int = 451) -> None:
        """Hang for `seconds` on the next `count` messages -- longer than the client's timeout.

        The message is dropped (after the pause the server would answer `code`, if the client is
        still there), so a client that gave up and retries ends with exactly one copy.
        deliver=True keeps the message once the pause is over, even if the client hung up, and
        answers 250 (a server that accepted it although the client timed out: a duplicate).
        The pause is an asyncio sleep: other connections (the client's retry) are served meanwhile.
        The stall is in `rejections` from its start. at="rcpt" stalls RCPT TO instead.
        """
        reply = "250 OK" if deliver else DEFAULT_REPLIES.get(code, f"{code} Timed out")
        self._add_fault(_Fault("stall", self._stage(at), count, reply, seconds, deliver))

    @staticmethod
    def _stage(at: str) -> str:
        if at not in ("rcpt", "data"):
            raise ValueError(f"at must be 'rcpt' or 'data', not {at!r}")
        return at

    def _add_fault(self, fault: _Fault) -> None:
        if fault.remaining > 0:
            with self._cond:
                self._faults.append(fault)

    def _take_fault(self, stage: str) -> _Fault | None:
        with self._cond:
            if not self._faults or self._faults[0].stage != stage:
                return None
            fault = self._faults[0]
            fault.remaining -= 1
            if fault.remaining <= 0:
                self._faults.pop(0)
            return fault

    async def _apply(self, fault: _Fault, envelope, rcpt_tos, mail=None) -> str:
        """Record the fault at once, then (for a stall) sleep. aiosmtpd cancels this coroutine
        when the client hangs up, so anything due after the pause is scheduled separately."""
        with self._cond:
            self.rejections.append(Rejection(fault.kind, fault.stage, fault.reply,
                                             envelope.mail_from, rcpt_tos,
                                             mail.message if mail else None))
            self._cond.notify_all()
        if fault.kind == "stall":
            if fault.deliver and mail is not None:
                asyncio.get_running_loop().call_later(fault.seconds, self._keep, mail)
            await asyncio.sleep(fault.seconds)
        return fault.reply

    def _keep(self, mail: ReceivedMail) -> None:
        with self._cond:
            self.received.append(mail)
            self._cond.notify_all()

    # aiosmtpd handler hooks ------------------------------------------------------------------
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        fault = self._take_fault("rcpt")
        if fault is not None:
            reply = await self._apply(fault, envelope, [address])
            if not fault.deliver:
                return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode()
        mail = ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), raw, parse_message(raw))
        fault = self._take_fault("data")
        if fault is not None:
            return await self._apply(fault, envelope, mail.rcpt_tos, mail)
        self._keep(mail)
        return "250 OK"


@pytest.fixture
def smtp_server():
    """A fresh SMTP server for this test: ``app_config.update(MAIL_HOST=smtp_server.host,
    MAIL_PORT=smtp_server.port)`` points the app at it."""
    with SmtpServer() as server:
        yield server


# --------------------------------------------------------------------------------------------
# IMAP (Dovecot)


class DovecotUnavailable(RuntimeError):
    """Dovecot is not installed or would not start; the message says why."""


def find_dovecot() -> str | None:
    """HELPDESK_TEST_DOVECOT (a path) if set, else dovecot on PATH or in the usual sbin dirs."""
    if os.environ.get("HELPDESK_TEST_DOVECOT"):
        path = os.environ["HELPDESK_TEST_DOVECOT"]
        return path if os.access(path, os.X_OK) else None
    return shutil.which("dovecot") or next(
        (p for p in ("/usr/sbin/dovecot", "/usr/local/sbin/dovecot") if os.access(p, os.X_OK)),
        None)


try:  # looked up now: after fork() (in preexec_fn) loading libraries could deadlock
    _prctl = ctypes.CDLL(None, use_errno=True).prctl
except (OSError, AttributeError):  # not Linux
    _prctl = None


def _die_with_parent() -> None:
    """preexec_fn: the kernel sends SIGTERM to Dovecot's master if pytest dies, even by SIGKILL."""
    if _prctl is not None:
        _prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _run(*cmd: str, cwd: Path) -> None:
    result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=30, check=False)
    if result.returncode:
        raise DovecotUnavailable(f"{' '.join(cmd)} failed: {result.stderr.strip()[-500:]}")


def make_test_ca(directory: Path) -> tuple[Path, Path, Path]:
    """A throw-away CA and a server certificate for localhost/127.0.0.1 signed by it (openssl
    CLI, EC keys: ~50 ms). Returns (ca_file, cert_file, key_file). A real CA + leaf rather than
    one self-signed leaf, so clients verifying strictly (VERIFY_X509_STRICT) accept it too."""
    ca_key, ca, key, csr, cert = (directory / n for n in
                                  ("ca.key", "ca.pem", "server.key", "server.csr", "server.pem"))
    ext = directory / "server.ext"
    ext.write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n"
                   "basicConstraints=critical,CA:FALSE\n"
                   "keyUsage=critical,digitalSignature,keyEncipherment\n"
                   "extendedKeyUsage=serverAuth\n")
    ec = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes")
    _run("openssl", "req", "-x509", *ec, "-keyout", str(ca_key), "-out", str(ca), "-days", "7",
         "-subj", "/CN=Helpdesk test CA",
         "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=directory)
    _run("openssl", "req", *ec, "-keyout", str(key), "-out", str(csr), "-subj", "/CN=localhost",
         cwd=directory)
    _run("openssl", "x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key),
         "-set_serial", str(int.from_bytes(os.urandom(8), "big")), "-days", "7",
         "-extfile", str(ext), "-out", str(cert), cwd=directory)
    return ca, cert, key


DIR_PREFIX = "helpdesk-dovecot-"


def remove_stale_dirs() -> None:
    """Temp dirs of sessions that were killed too hard to clean up (their Dovecot died with them:
    see _die_with_parent). The pid in the name says whose it was."""
    for path in Path(tempfile.gettempdir()).glob(f"{DIR_PREFIX}*-*"):
        pid = path.name.removeprefix(DIR_PREFIX).split("-", 1)[0]
        try:
            if not pid.isdigit() or path.stat().st_uid != os.getuid():
                continue
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(path, ignore_errors=True)
        except OSError:  # gone meanwhile, or a live process of another user
            pass


class DovecotServer:
    """A private Dovecot (IMAP + IMAPS on free loopback ports) in its own temp dir.

    Everything it touches is under `root`: config, base_dir (sockets, pid), state_dir, logs,
    the CA, the passwd-files and the users' Maildirs. Nothing under /etc/dovecot or /var is used,
    so a system Dovecot (or another test session's) does not matter.

    Dovecot refuses to access mail as root, so when the tests run as root the mail processes run
    as HELPDESK_TEST_IMAP_MAIL_USER (default ``nobody``), its own processes as ``dovecot`` and
    log-in processes as ``dovenull`` (both created by the Debian package); as any other user,
    everything runs as that user.
    """

    def __init__(self):
        self.binary = find_dovecot()
        self.root: Path | None = None
        self.port: int | None = None        # plain IMAP (plaintext auth allowed on loopback)
        self.ssl_port: int | None = None    # IMAPS
        self.cafile: Path | None = None
        self.startup_seconds: float | None = None
        self._process: subprocess.Popen | None = None
        self._users = itertools.count(1)
        self._lock = threading.Lock()
        self.running_as_root = os.geteuid() == 0
        if self.running_as_root:
            mail_user = os.environ.get("HELPDESK_TEST_IMAP_MAIL_USER", "nobody")
            try:
                pw = pwd.getpwnam(mail_user)
            except KeyError:
                raise DovecotUnavailable(f"mail user {mail_user!r} does not exist") from None
            self.mail_uid, self.mail_gid = pw.pw_uid, pw.pw_gid
        else:
            self.mail_uid, self.mail_gid = os.getuid(), os.getgid()

    @property
    def log_path(self) -> Path:
        return self.root / "dovecot.log"

    def log_tail(self, lines: int = 15) -> str:
        text = ""
        if self.root is None:
            return text
        for name in ("dovecot.log", "dovecot.stderr"):
            with contextlib.suppress(OSError):
                text += (self.root / name).read_text(errors="replace")
        return "\n".join(text.strip().splitlines()[-lines:])

    # lifecycle -------------------------------------------------------------------------------
    def start(self, timeout: float = 15.0, attempts: int = 3) -> DovecotServer:
        if self.binary is None:
            raise DovecotUnavailable(
                "dovecot is not installed (Debian: apt-get install dovecot-imapd; "
                "`make test` does that when run as root)")
        began = time.monotonic()
        remove_stale_dirs()
        self.root = Path(tempfile.mkdtemp(prefix=f"{DIR_PREFIX}{os.getpid()}-"))
        atexit.register(self.stop)
        # Log-in and mail processes run as other users when we are root: let them through.
        self.root.chmod(0o711)
        (self.root / "home").mkdir(mode=0o755)
        (self.root / "passwd.d").mkdir()
        self.cafile, self._cert, self._key = make_test_ca(self.root)
        for attempt in range(attempts):
            self.port = free_port()
            while (ssl_port := free_port()) == self.port:
                pass
            self.ssl_port = ssl_port
            self._write_config()
            self._launch()
            try:
                self._wait_until_ready(timeout)
                break
            except DovecotUnavailable:
                in_use = "Address already in use" in self.log_tail()
                self._terminate()
                if not in_use or attempt == attempts - 1:
                    raise
                for name in ("dovecot.log", "dovecot.stderr"):  # lost a race for a port
                    (self.root / name).unlink(missing_ok=True)
        self.startup_seconds = time.monotonic() - began
        return self

    def stop(self) -> None:
        self._terminate()
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None
        atexit.unregister(self.stop)

    def _terminate(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        # Dovecot has its own process group (see _launch). SIGTERM to all of it at once: the
        # master alone would wait about a second for its children.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)

    def _write_config(self) -> None:
        root = self.root
        me = pwd.getpwuid(os.getuid()).pw_name
        if self.running_as_root:
            users = f"""\
default_internal_user = dovecot
default_login_user = dovenull
mail_uid = {self.mail_uid}
mail_gid = {self.mail_gid}
first_valid_uid = 1
first_valid_gid = 1
"""
        else:
            users = f"""\
default_internal_user = {me}
default_internal_group = {grp.getgrgid(os.getgid()).gr_name}
default_login_user = {me}
first_valid_uid = {os.getuid()}
first_valid_gid = {os.getgid()}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
"""
        (root / "dovecot.conf").write_text(f"""\
# Written by tests/mailservers.py for one test session; removed when it ends.
instance_name = helpdesk-test-{os.getpid()}
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = {LOOPBACK}
{users}
ssl = yes
ssl_cert = <{self._cert}
ssl_key = <{self._key}
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
auth_verbose = yes
mail_location = maildir:~/Maildir
mail_fsync = never
mail_max_userip_connections = 200
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd.d/%u
}}
userdb {{
  driver = static
  args = home={root}/home/%u
}}
# After a wrong password Dovecot's anvil delays every later log-in from the same IP (4 s, 8 s,
# ... for half a minute; login_trusted_networks does not lift that in 2.3). Tests try wrong
# passwords on purpose, so the auth process must not reach anvil's penalty socket at all.
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service imap-login {{
  inet_listener imap {{
    address = {LOOPBACK}
    port = {self.port}
  }}
  inet_listener imaps {{
    address = {LOOPBACK}
    port = {self.ssl_port}
    ssl = yes
  }}
}}
""")

    def _launch(self) -> None:
        with open(self.root / "dovecot.stderr", "ab") as stderr:
            self._process = subprocess.Popen(
                [self.binary, "-F", "-c", str(self.root / "dovecot.conf")],
                stdin=subprocess.DEVNULL, stdout=stderr, stderr=stderr, cwd=self.root,
                process_group=0, preexec_fn=_die_with_parent)

    def _wait_until_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        context = self.ssl_context()
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise DovecotUnavailable(
                    f"dovecot exited with status {self._process.returncode} at start:\n"
                    f"{self.log_tail()}")
            try:
                with socket.create_connection((LOOPBACK, self.port), timeout=2) as plain:
                    if not plain.recv(100).startswith(b"* OK"):
                        raise OSError("no IMAP greeting on the plain port")
                with socket.create_connection((LOOPBACK, self.ssl_port), timeout=2) as raw, \
                        context.wrap_socket(raw, server_hostname="localhost") as tls:
                    if not tls.recv(100).startswith(b"* OK"):
                        raise OSError("no IMAP greeting on the SSL port")
                return
            except (OSError, ssl.SSLError) as error:
                last_error = error
                time.sleep(0.02)
        raise DovecotUnavailable(f"dovecot did not answer within {timeout}s ({last_error}):\n"
                                 f"{self.log_tail()}")

    # users -----------------------------------------------------------------------------------
    def ssl_context(self) -> ssl.SSLContext:
        """A client context that verifies the server against this session's CA."""
        return ssl.create_default_context(cafile=str(self.cafile))

    def add_user(self, name: str | None = None, password: str = IMAP_PASSWORD) -> ImapMailbox:
        """A new IMAP user with an empty Maildir.

        One passwd-file per user: Dovecot re-reads a changed passwd-file at most once a second,
        but opens a file it has not seen yet at once."""
        with self._lock:
            name = name or f"mailbox{next(self._users)}"
            if not re.fullmatch(r"[A-Za-z0-9._-]+", name):
                raise ValueError(f"user names here are plain ASCII words, not {name!r}")
            home = self.root / "home" / name
            home.mkdir(mode=0o700)
            os.chown(home, self.mail_uid, self.mail_gid)
            (self.root / "passwd.d" / name).write_text(f"{name}:{{PLAIN}}{password}::::::\n")
        return ImapMailbox(self, name, password)


def _quote_mailbox(name: str) -> str:
    if name and re.fullmatch(r"[A-Za-z0-9._/-]+", name):
        return name
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


_LIST_LINE = re.compile(rb'\((?P<flags>[^)]*)\) (?P<delim>"[^"]*"|NIL) (?P<name>.+)')


class ImapMailbox:
    """One user's mailbox on the session's Dovecot, with helpers that use IMAP themselves.

    Connection details for the app: ``host``, ``port`` (plain), ``ssl_port``, ``user``,
    ``password``, ``cafile`` (PEM of the CA that signed the server's certificate: pass it to the
    app, or set SSL_CERT_FILE to it so ``ssl.create_default_context()`` trusts it), and
    ``url()`` = ``imaps://user:password@127.0.0.1:port/INBOX``.
    """

    def __init__(self, server: DovecotServer, user: str, password: str):
        self.server = server
        self.host = LOOPBACK
        self.port = server.port
        self.ssl_port = server.ssl_port
        self.user = user
        self.password = password
        self.cafile = str(server.cafile)

    def __repr__(self):
        return f"<ImapMailbox {self.url(with_password=False)}>"

    def url(self, folder: str = "INBOX", *, ssl: bool = True, with_password: bool = True) -> str:
        scheme, port = ("imaps", self.ssl_port) if ssl else ("imap", self.port)
        auth = quote(self.user, safe="")
        if with_password:
            auth += ":" + quote(self.password, safe="")
        return f"{scheme}://{auth}@{self.host}:{port}/{quote(folder, safe='')}"

    def ssl_context(self) -> ssl.SSLContext:
        return self.server.ssl_context()

    def connect(self, *, ssl: bool = True, timeout: float = 10) -> imaplib.IMAP4:
        """A logged-in imaplib client; use it as a context manager (it logs out on exit)."""
        if ssl:
            imap = imaplib.IMAP4_SSL(self.host, self.ssl_port, ssl_context=self.ssl_context(),
                                     timeout=timeout)
        else:
            imap = imaplib.IMAP4(self.host, self.port, timeout=timeout)
        imap.login(self.user, self.password)
        return imap

    @staticmethod
    def _ok(response, what: str):
        typ, data = response
        if typ != "OK":
            raise AssertionError(f"IMAP {what} failed: {typ} {data}")
        return data

    def deliver(self, message: bytes | str | EmailMessage, folder: str = "INBOX", *,
                flags: str | None = None) -> int:
        """Put a raw RFC 5322 message into `folder` via APPEND; returns its UID.

        Line endings are normalised to CRLF by imaplib. flags e.g. r"(\\Seen)".
        """
        if isinstance(message, EmailMessage):
            message = message.as_bytes(policy=email.policy.SMTP)
        elif isinstance(message, str):
            message = message.encode()
        with self.connect() as imap:
            data = self._ok(imap.append(_quote_mailbox(folder), flags, None, message),
                            f"APPEND to {folder}")
        match = re.search(rb"APPENDUID \d+ (\d+)", data[0] or b"")
        return int(match.group(1)) if match else 0

    def create_folder(self, name: str) -> None:
        with self.connect() as imap:
            self._ok(imap.create(_quote_mailbox(name)), f"CREATE {name}")

    def folders(self) -> list[str]:
        with self.connect() as imap:
            data = self._ok(imap.list(), "LIST")
        names = []
        for line in data:
            match = _LIST_LINE.match(line or b"")
            if match:
                name = match.group("name").decode()
                if name.startswith('"'):
                    name = name[1:-1].replace('\\"', '"').replace("\\\\", "\\")
                names.append(name)
        return sorted(names)

    def count(self, folder: str = "INBOX") -> int:
        """Messages in `folder`; 0 when it does not exist."""
        with self.connect() as imap:
            typ, data = imap.status(_quote_mailbox(folder), "(MESSAGES)")
        if typ != "OK":
            return 0
        return int(re.search(rb"MESSAGES (\d+)", data[0]).group(1))

    def counts(self) -> dict[str, int]:
        """{folder: number of messages} for every folder."""
        return {name: self.count(name) for name in self.folders()}

    def messages(self, folder: str = "INBOX") -> list[EmailMessage]:
        """The messages in `folder`, oldest first, read without setting \\Seen."""
        with self.connect() as imap:
            self._ok(imap.select(_quote_mailbox(folder), readonly=True), f"EXAMINE {folder}")
            typ, data = imap.uid("SEARCH", None, "ALL")
            uids = data[0].split() if typ == "OK" and data and data[0] else []
            if not uids:
                return []
            data = self._ok(imap.uid("FETCH", b",".join(uids).decode(), "(BODY.PEEK[])"),
                            "FETCH")
        return [parse_message(item[1]) for item in data if isinstance(item, tuple)]


# --------------------------------------------------------------------------------------------
# fixtures and the loud skip

DOVECOT_PROBLEMS: list[str] = []
REQUIRE_DOVECOT = os.environ.get("HELPDESK_TEST_REQUIRE_DOVECOT") == "1"


@pytest.fixture(scope="session")
def dovecot_server():
    """One Dovecot for the test session; skips (loudly) when it cannot run."""
    server = None
    try:
        server = DovecotServer()
        server.start()
    except DovecotUnavailable as error:
        if server is not None:
            server.stop()
        DOVECOT_PROBLEMS.append(f"Dovecot IMAP server unavailable: {error}")
    if DOVECOT_PROBLEMS:
        if REQUIRE_DOVECOT:
            pytest.fail(f"{DOVECOT_PROBLEMS[0]}\n(HELPDESK_TEST_REQUIRE_DOVECOT=1: not skipping)",
                        pytrace=False)
        pytest.skip(DOVECOT_PROBLEMS[0])
    yield server
    server.stop()


@pytest.fixture
def imap_server(dovecot_server) -> ImapMailbox:
    """A fresh IMAP user with an empty INBOX on the session's Dovecot."""
    return dovecot_server.add_user()


def pytest_terminal_summary(terminalreporter):
    if not DOVECOT_PROBLEMS:
        return
    tr = terminalreporter
    what = "could not run" if REQUIRE_DOVECOT else "were SKIPPED"
    tr.write_sep("!", f"WARNING: the IMAP tests {what}", yellow=True, bold=True)
    first, *rest = DOVECOT_PROBLEMS[0].splitlines()
    tr.write_line(first, yellow=True, bold=True)
    for line in rest:
        tr.write_line("  " + line)


if __name__ == "__main__":  # manual poking: both servers until Ctrl-C
    with SmtpServer() as smtp:
        dovecot = DovecotServer().start()
        box = dovecot.add_user()
        print(f"SMTP   {smtp.host}:{smtp.port}")
        print(f"IMAP   {box.url(ssl=False)}\nIMAPS  {box.url()}\nCA     {box.cafile}")
        print(f"Dovecot started in {dovecot.startup_seconds:.2f}s; log {dovecot.log_path}")
        try:
            signal.pause()
        except KeyboardInterrupt:
            pass
        finally:
            dovecot.stop()
