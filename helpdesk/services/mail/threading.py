"""Which ticket a mail answers. The rules, in order (the first that matches wins):

1. token: a recipient address support+<token>@domain whose token is genuine (a forged or
   altered token is skipped, as if absent). Several tokens: the first recipient in the
   order To, Cc, Delivered-To, X-Original-To.
2. references: In-Reply-To or References names a Message-ID we sent or received on a
   ticket. Several: In-Reply-To first, then References from the newest (last) back.
3. subject: a bracketed ticket number, e.g. "[TKT-000042]", on a ticket whose requester
   is the sender. Several: the first from the left that the sender requested.

Who may post (the requester, a known agent, anybody else as a note) is decided by the
ingest service after the match; a match says only which ticket.
"""
import re
from dataclasses import dataclass

from sqlalchemy import select

from ...extensions import db
from ...models import Ticket, TicketMailId
from .parsing import ParsedMail
from .tokens import ticket_id_from_token, token_in_address

SUBJECT_NUMBER_RE = re.compile(r"\[([^\[\]\s]{1,32})\]")

TOKEN, REFERENCES, SUBJECT = "token", "references", "subject"


@dataclass(frozen=True)
class Match:
    ticket: Ticket | None
    rule: str | None


NO_MATCH = Match(None, None)


def find_ticket(mail: ParsedMail) -> Match:
    for rule in (_by_token, _by_references, _by_subject):
        match = rule(mail)
        if match.ticket is not None:
            return Match(_after_merges(match.ticket), match.rule)
    return NO_MATCH


def _after_merges(ticket: Ticket) -> Ticket:
    """A reply to a merged ticket belongs to the ticket it was merged into (merges are
    flattened, so one step; the sender rules then apply to that ticket)."""
    if ticket.merged_into_id is None:
        return ticket
    return db.session.get(Ticket, ticket.merged_into_id) or ticket


def _by_token(mail: ParsedMail) -> Match:
    for address in mail.recipients:
        token = token_in_address(address)
        ticket_id = ticket_id_from_token(token) if token else None
        ticket = db.session.get(Ticket, ticket_id) if ticket_id else None
        if ticket is not None:
            return Match(ticket, TOKEN)
    return NO_MATCH


def _by_references(mail: ParsedMail) -> Match:
    ids = mail.thread_ids[:50]
    if not ids:
        return NO_MATCH
    known = dict(db.session.execute(select(TicketMailId.message_id, TicketMailId.ticket_id)
                                    .where(TicketMailId.message_id.in_(ids))).all())
    for message_id in ids:
        if message_id in known:
            return Match(db.session.get(Ticket, known[message_id]), REFERENCES)
    return NO_MATCH


def _by_subject(mail: ParsedMail) -> Match:
    numbers = [n for n in SUBJECT_NUMBER_RE.findall(mail.subject) if any(c.isdigit() for c in n)]
    if not numbers:
        return NO_MATCH
    tickets = {t.number.lower(): t for t in db.session.scalars(
        select(Ticket).where(Ticket.number.in_(numbers)))}
    for number in numbers:
        ticket = tickets.get(number.lower())
        if ticket is not None and ticket.requester.email == mail.from_address:
            return Match(ticket, SUBJECT)
    return NO_MATCH
