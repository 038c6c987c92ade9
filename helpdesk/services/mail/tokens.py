"""The per-ticket token in our Reply-To address: support+<token>@example.com.

The token is the ticket id and an HMAC of it keyed by SECRET_KEY (itsdangerous derives
the key and computes the MAC), written in lower-case base32: some mail servers lower-case
the local part of an address, and a base64 signature would not survive that. A token
cannot be forged for another ticket without the key; a valid token only says which
ticket a mail answers, never who may post on it (the sender is checked separately).
"""
import base64
import hashlib
import hmac
import re
from email.headerregistry import Address
from email.utils import parseaddr

from flask import current_app
from itsdangerous import Signer

from ...models import Ticket

SALT = "helpdesk.mail.reply-token"
SIGNATURE_CHARS = 16  # 80 bits
TOKEN_RE = re.compile(r"([0-9a-z]+)\.([a-z2-7]{" + str(SIGNATURE_CHARS) + "})")


def _signature(value: str) -> str:
    signer = Signer(current_app.config["SECRET_KEY"], salt=SALT, digest_method=hashlib.sha256)
    raw = signer.algorithm.get_signature(signer.derive_key(), value.encode())
    return base64.b32encode(raw).decode().lower()[:SIGNATURE_CHARS]


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while True:
        number, rest = divmod(number, 36)
        text = digits[rest] + text
        if number == 0:
            return text


def ticket_token(ticket: Ticket) -> str:
    value = _base36(ticket.id)
    return f"{value}.{_signature(value)}"


def ticket_id_from_token(token: str) -> int | None:
    """The ticket id a token was made for, or None when it is malformed or forged."""
    match = TOKEN_RE.fullmatch((token or "").lower())
    if match is None:
        return None
    value, signature = match.groups()
    if not hmac.compare_digest(signature, _signature(value)):
        return None
    return int(value, 36)


def support_address() -> Address:
    """The address customers write to (SUPPORT_ADDRESS, else MAIL_FROM's address)."""
    configured = current_app.config.get("SUPPORT_ADDRESS") or current_app.config["MAIL_FROM"]
    return parse_address(configured)


def parse_address(text: str) -> Address:
    _, addr = parseaddr(text)
    local, _, domain = addr.rpartition("@")
    return Address(username=local or addr, domain=domain or "localhost")


def reply_address(ticket: Ticket) -> str:
    """support+<token>@domain for this ticket."""
    support = support_address()
    return f"{support.username}+{ticket_token(ticket)}@{support.domain}"


def token_in_address(address: str) -> str | None:
    """The token of a support+<token>@domain address (None for any other address)."""
    support = support_address()
    local, _, domain = (address or "").strip().lower().rpartition("@")
    base, plus, token = local.partition("+")
    if not plus or domain != support.domain.lower() or base != support.username.lower():
        return None
    return token
