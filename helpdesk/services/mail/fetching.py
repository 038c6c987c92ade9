"""`flask mail fetch`: poll an IMAP mailbox once, ingest each message, and move what was
handled out of the inbox (IMAP_DONE_FOLDER; unreadable mail to IMAP_FAILED_FOLDER).

imaps:// is IMAP over TLS (port 993); imap:// upgrades with STARTTLS and refuses to log
in without it. A message is moved only after its ingest committed: if the database is
down, the run stops and the message stays in the inbox for the next poll; a message
ingested but not moved (the connection dropped) is recognised as a duplicate next time.
"""
import imaplib
import ssl
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from flask import current_app

from ...extensions import db
from .ingest import ingest_message
from .parsing import UnreadableMail


class MailboxError(RuntimeError):
    """The mailbox could not be reached or refused us; the message says why."""


@dataclass
class FetchReport:
    handled: int = 0
    unreadable: int = 0
    lines: list[str] = field(default_factory=list)


def _quoted(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _ok(response, what: str):
    status, data = response
    if status != "OK":
        raise MailboxError(f"{what}: {status} {data!r}")
    return data


def connect(url: str) -> tuple[imaplib.IMAP4, str]:
    """A logged-in client and the folder to read."""
    parts = urlsplit(url)
    if parts.scheme not in ("imaps", "imap") or not parts.hostname:
        raise MailboxError("HELPDESK_IMAP_URL must look like imaps://user:pass@host:993/INBOX")
    cfg = current_app.config
    context = ssl.create_default_context(cafile=cfg.get("IMAP_CA_FILE") or None)
    timeout = cfg["IMAP_TIMEOUT"]
    client = None
    try:
        if parts.scheme == "imaps":
            client = imaplib.IMAP4_SSL(parts.hostname, parts.port or 993, ssl_context=context,
                                       timeout=timeout)
        else:
            client = imaplib.IMAP4(parts.hostname, parts.port or 143, timeout=timeout)
            client.starttls(ssl_context=context)
        client.login(unquote(parts.username or ""), unquote(parts.password or ""))
    except (OSError, imaplib.IMAP4.error) as error:
        if client is not None:
            client.shutdown()
        raise MailboxError(f"cannot open the mailbox at {parts.hostname}: {error}") from error
    return client, unquote(parts.path.lstrip("/")) or "INBOX"


def fetch_mailbox(url: str | None = None) -> FetchReport:
    url = url or current_app.config.get("IMAP_URL")
    if not url:
        raise MailboxError("HELPDESK_IMAP_URL is not set")
    client, folder = connect(url)
    report = FetchReport()
    try:
        _ok(client.select(_quoted(folder)), f"select {folder}")
        done, failed = current_app.config["IMAP_DONE_FOLDER"], current_app.config[
            "IMAP_FAILED_FOLDER"]
        for name in (done, failed):
            client.create(_quoted(name))  # NO when it exists already: fine
        uids = _ok(client.uid("SEARCH", None, "ALL"), "search")[0].split()
        for uid in uids:
            raw = _fetch(client, uid)
            try:
                result = ingest_message(raw)
            except UnreadableMail as error:
                report.unreadable += 1
                report.lines.append(f"unreadable: {error}")
                _move(client, uid, failed)
                continue
            report.handled += 1
            report.lines.append(result.summary)
            _move(client, uid, done)
            db.session.close()  # one message's objects need not outlive it
        client.expunge()
    finally:
        try:
            client.logout()
        except (OSError, imaplib.IMAP4.error):
            pass
    return report


def _fetch(client: imaplib.IMAP4, uid: bytes) -> bytes:
    data = _ok(client.uid("FETCH", uid, "(BODY.PEEK[])"), f"fetch {uid!r}")
    for item in data:
        if isinstance(item, tuple) and len(item) == 2:
            return item[1]
    raise MailboxError(f"fetch {uid!r}: no message body in the answer")


def _move(client: imaplib.IMAP4, uid: bytes, folder: str) -> None:
    if "MOVE" in client.capabilities:
        _ok(client.uid("MOVE", uid, _quoted(folder)), f"move to {folder}")
        return
    _ok(client.uid("COPY", uid, _quoted(folder)), f"copy to {folder}")
    _ok(client.uid("STORE", uid, "+FLAGS", "(\\Deleted)"), "flag as deleted")
