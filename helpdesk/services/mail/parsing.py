"""Reading one RFC 5322 message: addresses, threading headers, text, files, and whether
it was written by a machine (auto-replies, bounces, lists).

Charsets and encoded headers are decoded by the standard library's `email` package
(policy.default); HTML-only mail is cleaned with nh3 and turned into text with
html2text; quoted history and signatures are cut with mail-parser-reply. Pure: no
database, no Flask.
"""
import hashlib
import re
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr

import html2text
import nh3
from mailparser_reply import EmailReplyParser

MESSAGE_ID_RE = re.compile(r"<[^<>\s]{1,250}>")
RECIPIENT_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To",
                     "X-Envelope-To")
REPLY_LANGUAGES = ["en", "de", "fr", "es", "it", "nl", "da", "sv", "pl", "cs"]
BULK_PRECEDENCE = {"bulk", "junk", "list"}
SAFE_TAGS = {"p", "br", "div", "span", "a", "ul", "ol", "li", "b", "strong", "i", "em",
             "blockquote", "pre", "code", "h1", "h2", "h3", "h4", "table", "tr", "td", "th",
             "thead", "tbody", "hr"}


class UnreadableMail(ValueError):
    """Not a message we can read (no headers, no sender)."""


@dataclass
class MailFile:
    filename: str
    content: bytes
    content_type: str


@dataclass
class Bounce:
    """A delivery-status notification: the addresses that failed for good, and why."""
    failed: list[str]
    diagnostic: str


@dataclass
class ParsedMail:
    message_id: str
    from_address: str
    from_name: str
    recipients: list[str]
    subject: str
    text: str
    in_reply_to: list[str]
    references: list[str]
    files: list[MailFile] = field(default_factory=list)
    automatic: str | None = None  # why a machine wrote it (None: a person did)
    bounce: Bounce | None = None
    size: int = 0

    @property
    def thread_ids(self) -> list[str]:
        """Ids this mail answers, nearest first: In-Reply-To, then References newest
        first (the tie-break when several name different tickets)."""
        seen, ordered = set(), []
        for mid in [*self.in_reply_to, *reversed(self.references)]:
            if mid not in seen:
                seen.add(mid)
                ordered.append(mid)
        return ordered


def parse(raw: bytes) -> ParsedMail:
    if not raw or not raw.strip():
        raise UnreadableMail("the message is empty")
    msg = message_from_bytes(raw, policy=policy.default)
    if not msg.keys():
        raise UnreadableMail("the message has no headers")
    name, address = _sender(msg)
    if not address:
        raise UnreadableMail("the message has no sender (From)")
    bounce = _bounce(msg)
    return ParsedMail(
        message_id=_message_id(msg, raw),
        from_address=address, from_name=name,
        recipients=_recipients(msg),
        subject=" ".join(_header(msg, "Subject").split()),
        text=_body_text(msg),
        in_reply_to=MESSAGE_ID_RE.findall(_header(msg, "In-Reply-To")),
        references=MESSAGE_ID_RE.findall(_header(msg, "References")),
        files=list(_files(msg)),
        automatic=_automatic(msg, address, bounce),
        bounce=bounce,
        size=len(raw),
    )


def _header(msg: EmailMessage, name: str) -> str:
    try:
        value = msg.get(name)
    except (ValueError, IndexError, TypeError):  # a header the parser chokes on
        value = msg.get_all(name, failobj=[""])[0] if msg.get_all(name) else ""
    return str(value or "")


def _message_id(msg: EmailMessage, raw: bytes) -> str:
    found = MESSAGE_ID_RE.findall(_header(msg, "Message-ID"))
    if found:
        return found[0]
    # No Message-ID: the same bytes delivered twice still count as one message.
    return f"<{hashlib.sha256(raw).hexdigest()}@no-message-id.invalid>"


def _sender(msg: EmailMessage) -> tuple[str, str]:
    name, address = parseaddr(_header(msg, "From"))
    address = address.strip().lower()
    if "@" not in address or any(ch.isspace() or ord(ch) < 32 for ch in address):
        return "", ""
    return " ".join(name.split()), address


def _recipients(msg: EmailMessage) -> list[str]:
    values = [v for h in RECIPIENT_HEADERS for v in (msg.get_all(h) or [])]
    return [addr.strip().lower() for _, addr in getaddresses([str(v) for v in values])
            if "@" in addr]


def _automatic(msg: EmailMessage, sender: str, bounce: Bounce | None) -> str | None:
    auto = _header(msg, "Auto-Submitted").strip().lower()
    if auto and auto != "no":
        return f"Auto-Submitted: {auto}"
    precedence = _header(msg, "Precedence").strip().lower()
    if precedence in BULK_PRECEDENCE:
        return f"Precedence: {precedence}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponder"):
        if _header(msg, name).strip():
            return f"{name} header"
    if _header(msg, "List-Id").strip():
        return "a mailing list (List-Id)"
    if bounce is not None or msg.get_content_type() == "multipart/report":
        return "a delivery-status notification (bounce)"
    if _header(msg, "Return-Path").strip() == "<>":
        return "a null sender (Return-Path: <>)"
    local = sender.partition("@")[0]
    if local in ("mailer-daemon", "postmaster"):
        return f"sent by {local}"
    return None


def _bounce(msg: EmailMessage) -> Bounce | None:
    for part in msg.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        failed, diagnostics = [], []
        for block in part.get_payload() or []:
            action = str(block.get("Action", "")).strip().lower()
            status = str(block.get("Status", "")).strip()
            recipient = str(block.get("Final-Recipient") or block.get("Original-Recipient")
                            or "")
            address = recipient.rpartition(";")[2].strip().strip("<>").lower()
            if address and (action == "failed" or status.startswith("5")):
                failed.append(address)
                diagnostics.append(" ".join(str(block.get("Diagnostic-Code", status))
                                            .split()))
        return Bounce(failed=failed, diagnostic="; ".join(d for d in diagnostics if d))
    return None


def _decoded(part) -> str:
    try:
        return part.get_content()
    except (LookupError, UnicodeError, AssertionError):  # unknown or lying charset
        payload = part.get_payload(decode=True) or b""
        return payload.decode("utf-8", "replace")


def html_to_text(html: str) -> str:
    """Safe text from HTML: nh3 drops scripts, styles and unknown tags first."""
    cleaned = nh3.clean(html, tags=SAFE_TAGS, attributes={"a": {"href"}})
    converter = html2text.HTML2Text()
    converter.ignore_images = True
    converter.body_width = 0
    converter.ignore_emphasis = True
    return converter.handle(cleaned).strip()


def _body_text(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    text = _decoded(part)
    if part.get_content_type() == "text/html":
        text = html_to_text(text)
    return text.replace("\r\n", "\n").strip()


def _files(msg: EmailMessage):
    body = msg.get_body(preferencelist=("plain", "html"))
    bodies = {id(body)} if body is not None else set()
    if body is not None and msg.get_body(preferencelist=("html",)) is not None:
        bodies.add(id(msg.get_body(preferencelist=("html",))))
    count = 0
    for part in msg.walk():
        if part.is_multipart() or id(part) in bodies:
            continue
        ctype = part.get_content_type()
        if ctype in ("message/delivery-status", "text/rfc822-headers"):
            continue
        filename = part.get_filename()
        disposition = part.get_content_disposition()
        if ctype.startswith("text/") and not filename and disposition != "attachment":
            continue  # another alternative of the body
        if part.get_content_maintype() == "message":
            content = part.as_bytes() if not part.is_multipart() else b""
            inner = part.get_payload()
            if isinstance(inner, list) and inner:
                content = inner[0].as_bytes()
        else:
            content = part.get_payload(decode=True) or b""
        count += 1
        if not filename:
            filename = f"attachment-{count}.{part.get_content_subtype()}"
        yield MailFile(filename=filename, content=content, content_type=ctype)


_REPLY_PARSER = EmailReplyParser(languages=REPLY_LANGUAGES)


def latest_reply(text: str) -> str:
    """The new part of a reply: quoted history and signature cut (mail-parser-reply);
    a trailing block of "> " lines, which it leaves, goes too. Falls back to the whole
    text when nothing would be left."""
    replies = _REPLY_PARSER.read(text).replies
    reply = (replies[0].body if replies else text) or ""
    lines = reply.rstrip().split("\n")
    while lines and (lines[-1].startswith(">") or not lines[-1].strip()):
        lines.pop()
    reply = "\n".join(lines).strip()
    return reply or text.strip()
