"""Mail in: one message becomes a new ticket, a reply, an internal note, or nothing.

`ingest_message(raw)` is the one entry point (the `mail ingest` command and `mail fetch`
both call it). Everything it writes for a message is one transaction: the log row, the
ticket or message, its files, the original .eml, the acknowledgement in the outbox.

- A message delivered twice (same Message-ID; without one, the same bytes) is stored once.
- Machines are never answered and never open tickets: Auto-Submitted, Precedence
  bulk/junk/list, X-Autoreply, List-Id, bounces (which mark the failed address on its
  account), mail from our own addresses.
- Threading rules and tie-breaks: threading.py. Then the sender decides: the requester
  posts a public reply (reopening a resolved ticket, refused with a follow-up link on a
  closed one); a known agent replies publicly, or internally when the text starts with
  MAIL_NOTE_MARKER; anybody else is kept as an internal note with a marker.
- Files pass the upload checks one by one; refused ones are named in a reply.
"""
import io
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ... import permissions
from ...extensions import db
from ...models import Category, InboundMail, OutboxMail, Status, Ticket, User, utcnow
from .. import audit
from ..errors import InvalidInput
from ..files.attachments import check_uploads, storage
from ..files.uploads import describe_limit
from ..people import accounts
from ..tickets import conversation, opening
from ..unit_of_work import on_rollback, unit_of_work
from .outbox import AUTO_REPLIED, queue_mail, remember_message_id, site_url
from .parsing import MailFile, ParsedMail, latest_reply, parse
from .threading import find_ticket
from .tokens import parse_address, support_address, token_in_address

SUBJECT_MAX = 200
AUTO_REPLIES_PER_HOUR = 5  # to one address: a broken autoresponder cannot loop with us
NOT_REQUESTER_MARKER = ("[Received by e-mail from {address}, who is not the requester. "
                        "Check before acting on it.]")
AGENT_REFUSED_MARKER = "[Sent by e-mail as a public reply; kept internal: {reason}]"


@dataclass(frozen=True)
class IngestResult:
    outcome: str          # created | added | note | refused | ignored | duplicate
    reason: str
    ticket_number: str | None = None
    rule: str | None = None

    @property
    def summary(self) -> str:
        where = f" {self.ticket_number}" if self.ticket_number else ""
        how = f" (matched by {self.rule})" if self.rule else ""
        return f"{self.outcome}{where}{how}: {self.reason}"


@dataclass
class _Upload:
    """A mail part in the shape the upload checks take (like werkzeug's FileStorage)."""
    filename: str
    stream: io.BytesIO


def ingest_message(raw: bytes) -> IngestResult:
    """Read one message and act on it; UnreadableMail for one that cannot be read."""
    mail = parse(raw)
    if _already_seen(mail.message_id):
        return IngestResult("duplicate", "this message was delivered before")
    try:
        with unit_of_work():
            result, original = _handle(mail, raw)
            db.session.add(InboundMail(
                message_id=mail.message_id[:255], from_address=mail.from_address[:254],
                subject=mail.subject[:300], outcome=result.outcome, rule=result.rule,
                reason=result.reason[:500], size=len(raw),
                ticket_id=_ticket_id(result), stored_name=original))
    except IntegrityError:
        if _already_seen(mail.message_id):  # the same message, ingested at the same moment
            return IngestResult("duplicate", "this message was delivered before")
        raise
    return result


def _already_seen(message_id: str) -> bool:
    return db.session.scalar(select(InboundMail.id).where(
        InboundMail.message_id == message_id[:255])) is not None


def _ticket_id(result: IngestResult) -> int | None:
    if result.ticket_number is None:
        return None
    return db.session.scalar(select(Ticket.id).where(Ticket.number == result.ticket_number))


def _handle(mail: ParsedMail, raw: bytes) -> tuple[IngestResult, str | None]:
    """What to do with the message, and the storage key of the kept original."""
    if mail.automatic:
        reason = f"not a person's mail: {mail.automatic}"
        if mail.bounce and mail.bounce.failed:
            reason += "; " + _mark_failing(mail.bounce.failed, mail.bounce.diagnostic)
        return IngestResult("ignored", reason), None
    if _is_ours(mail.from_address):
        return IngestResult("ignored", "sent from our own address (a loop)"), None
    limit = current_app.config["MAIL_MAX_MESSAGE_BYTES"]
    if mail.size > limit:
        _auto_reply(mail.from_address, "message_too_large", subject="Your message was too large",
                    mail_subject=mail.subject, size=describe_limit(mail.size),
                    limit=describe_limit(limit))
        return IngestResult("refused", f"too large ({describe_limit(mail.size)})"), None
    original = _keep_original(raw)
    match = find_ticket(mail)
    sender = accounts.find_by_email(mail.from_address)
    if match.ticket is None:
        return _open_ticket(mail, sender), original
    return _answer(mail, sender, match.ticket, match.rule), original


def _is_ours(address: str) -> bool:
    ours = {parse_address(current_app.config["MAIL_FROM"]).addr_spec.lower(),
            support_address().addr_spec.lower()}
    return address in ours or token_in_address(address) is not None


def _keep_original(raw: bytes) -> str:
    """The whole message as received, for agents (never an attachment customers see)."""
    store = storage()
    stored = store.save(io.BytesIO(raw), max_bytes=max(len(raw), 1))
    on_rollback(lambda: store.delete(stored.key))
    return stored.key


def _mark_failing(addresses: list[str], diagnostic: str) -> str:
    marked = []
    for address in addresses:
        user = accounts.find_by_email(address)
        if user is not None:
            user.email_failing_since = user.email_failing_since or utcnow()
            user.email_failure = (diagnostic or "delivery failed")[:300]
            marked.append(address)
    return f"marked failing: {', '.join(marked)}" if marked else "no account for the address"


# --- files -------------------------------------------------------------------------------

def _checked_files(files: list[MailFile]) -> tuple[list[_Upload], list[str]]:
    """Files that pass the upload checks, and a line per refused one."""
    accepted, refused = [], []
    limit = current_app.config["MAX_FILES"]
    for part in files:
        upload = _Upload(part.filename, io.BytesIO(part.content))
        try:
            check_uploads([upload])
        except InvalidInput as error:
            refused.append(error.message)
            continue
        if len(accepted) >= limit:
            refused.append(f"{part.filename}: only {limit} files are taken per message.")
            continue
        accepted.append(upload)
    return accepted, refused


# --- a new thread ------------------------------------------------------------------------

def _open_ticket(mail: ParsedMail, sender: User | None) -> IngestResult:
    if sender is not None and not sender.is_customer:
        return IngestResult("ignored", "staff mail that answers no ticket (tickets are "
                                       "opened for customers)")
    if sender is not None and not sender.is_active:
        return IngestResult("ignored", "the sender's account is deactivated")
    if sender is None:
        sender = accounts.new_customer_from_mail(email=mail.from_address, name=mail.from_name)
    files, refused = _checked_files(mail.files)
    ticket = opening.create_ticket(
        requester=sender, created_by=sender,
        subject=(mail.subject or "(no subject)")[:SUBJECT_MAX],
        description=mail.text or "(no text)", category_id=_category_for(mail),
        files=files, channel="mail")
    remember_message_id(ticket, mail.message_id, "in")
    audit.record(ticket, sender, "mail_received", note="opened by e-mail", internal=True)
    _auto_reply(sender, "acknowledgement", subject=ticket.subject, ticket=ticket,
                refused=refused)
    return IngestResult("created", f"new ticket for {sender.email}", ticket.number)


def _category_for(mail: ParsedMail) -> int | None:
    if not mail.recipients:
        return None
    return db.session.scalar(select(Category.id).where(
        func.lower(Category.mail_address).in_(mail.recipients), Category.active.is_(True))
        .order_by(Category.position).limit(1))


# --- an answer on a ticket ---------------------------------------------------------------

def _answer(mail: ParsedMail, sender: User | None, ticket: Ticket, rule: str) -> IngestResult:
    text = latest_reply(mail.text) if mail.text else ""
    files, refused = _checked_files(mail.files)
    remember_message_id(ticket, mail.message_id, "in")
    audit.record(ticket, sender, "mail_received", note=f"threaded by {rule}", internal=True)
    if sender is not None and sender.id == ticket.requester_id:
        return _requester_reply(ticket, sender, text, files, refused, rule)
    if sender is not None and sender.is_staff:
        return _agent_reply(ticket, sender, text, files, rule)
    author = sender or accounts.new_customer_from_mail(email=mail.from_address,
                                                       name=mail.from_name)
    marker = NOT_REQUESTER_MARKER.format(address=mail.from_address)
    conversation.post_mail_note(ticket, author, f"{marker}\n\n{text}", files=files)
    return IngestResult("note", "the sender is not the requester: kept as an internal note",
                        ticket.number, rule)


def _requester_reply(ticket, customer, text, files, refused, rule) -> IngestResult:
    if ticket.status == Status.CLOSED:
        _auto_reply(customer, "reply_refused_closed", subject=ticket.subject, ticket=ticket,
                    follow_up_link=site_url("portal.new_ticket", follow_up=ticket.number))
        return IngestResult("refused", "the ticket is closed; the sender was pointed to a "
                                       "follow-up", ticket.number, rule)
    if not customer.is_active:
        return IngestResult("ignored", "the sender's account is deactivated", ticket.number,
                            rule)
    conversation.post_reply(ticket, customer, text or "(no text)", files=files,
                            text_format="text")
    if refused:
        _auto_reply(customer, "files_refused", subject=ticket.subject, ticket=ticket,
                    refused=refused)
    return IngestResult("added", "a reply from the requester", ticket.number, rule)


def _agent_reply(ticket, agent, text, files, rule) -> IngestResult:
    marker = current_app.config["MAIL_NOTE_MARKER"]
    if marker and text.lstrip().lower().startswith(marker.lower()):
        body = text.lstrip()[len(marker):].strip()
        conversation.post_reply(ticket, agent, body or "(no text)", internal=True, files=files,
                                text_format="text")
        return IngestResult("note", f"an agent's note ({marker})", ticket.number, rule)
    refusal = _public_reply_refusal(ticket, agent)
    if refusal is not None:
        reason = AGENT_REFUSED_MARKER.format(reason=refusal)
        conversation.post_mail_note(ticket, agent, f"{reason}\n\n{text}", files=files)
        return IngestResult("note", f"kept internal: {refusal}", ticket.number, rule)
    conversation.post_reply(ticket, agent, text or "(no text)", files=files,
                            text_format="text")
    return IngestResult("added", "a public reply from an agent", ticket.number, rule)


def _public_reply_refusal(ticket: Ticket, agent: User) -> str | None:
    """Asked before posting (a refusal inside the unit would undo the whole message)."""
    if not permissions.can_work_ticket(agent, ticket):
        return "only the assigned agent or an admin can reply publicly"
    if ticket.status == Status.CLOSED:
        return "the ticket is closed"
    return None


def _auto_reply(to: User | str, template: str, *, subject: str, **context) -> None:
    """An automatic answer (Auto-Submitted: auto-replied), a few per hour per address at
    most, so no autoresponder that ignores the header can loop with us."""
    address = to.email if isinstance(to, User) else to
    since = utcnow() - timedelta(hours=1)
    recent = db.session.scalar(select(func.count(OutboxMail.id)).where(
        OutboxMail.to_address == address, OutboxMail.created_at >= since,
        OutboxMail.kind.in_(["acknowledgement", "reply_refused_closed", "files_refused",
                             "message_too_large"])))
    if recent >= AUTO_REPLIES_PER_HOUR:
        return
    queue_mail(kind=template, to=to, template=template, subject=subject, auto=AUTO_REPLIED,
               **context)
