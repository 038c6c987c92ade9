"""Merging a duplicate into another ticket.

The source's messages, files and history move to the target in a fixed number of
statements (bulk UPDATEs, however long the thread), marked with the source's number;
the source's description becomes the first of those messages. The source is closed
through the workflow (Way.MERGE) and keeps a pointer to the target (`merged_into_id`),
so its number and URLs lead there. Both histories record the merge and both
requesters are told.

Who sees what afterwards (decided here, see notes/agents-flow.md): staff follow the
source to the target. A customer follows it only if they may see the target anyway
(the same requester, or a colleague's ticket their organization shares); any other
customer of the source keeps the closed source page with *their own part* of the
conversation — the public messages that came from their ticket — and never sees the
target, its other messages or its internal notes.
"""
from dataclasses import dataclass, field

from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from ... import permissions
from ...extensions import db
from ...models import Attachment, AuditEvent, Message, Status, Ticket, User, utcnow
from .. import audit, events, notifications
from ..catalog.settings import ticket_prefix
from ..errors import DomainError, Forbidden, InvalidInput, InvalidTransition
from ..ids import parse_id
from ..unit_of_work import unit_of_work
from .numbering import format_number
from .status import apply_transition
from .workflow import Way, is_allowed

MAX_CHAIN = 50      # merges followed when looking for a cycle (chains are flattened)
MAX_BULK = 50
CANDIDATES = 8


def needs_requester_confirmation(user, source: Ticket, target: Ticket) -> bool:
    """Different requesters: the target's customer will read the source's messages.
    Admins decide that alone; agents tick "the requesters differ" to confirm."""
    return source.requester_id != target.requester_id and not permissions.is_admin(user)


def normalize_number(text: str | None) -> str | None:
    """"TKT-000042", "tkt-000042", "#42" or "42" → the number as stored (None: empty)."""
    text = (text or "").strip().lstrip("#").strip()
    if not text:
        return None
    if text.isascii() and text.isdigit() and len(text) <= 12:
        return format_number(ticket_prefix(), int(text))
    return text.upper()[:32]


def find_target(actor: User, text: str | None, *, field: str = "target") -> Ticket:
    """The ticket a number names, if this person may see it (staff: any); a refusal
    names `field`, the form's or the body's field the number came from."""
    number = normalize_number(text)
    if number is None:
        raise InvalidInput("Type a ticket number.", field=field)
    ticket = db.session.scalar(permissions.visible_tickets(actor)
                               .where(Ticket.number == number))
    if ticket is None:
        raise InvalidInput(f"There is no ticket {number}.", field=field)
    return ticket


def candidates(actor: User, source: Ticket, q: str) -> list[Ticket]:
    """Tickets to merge into, for the picker: open ones matching the number or subject,
    the same requester's first. Not closed, not the source."""
    q = (q or "").strip()[:100]
    query = (permissions.visible_tickets(actor)
             .where(Ticket.id != source.id, Ticket.status != Status.CLOSED)
             .options(selectinload(Ticket.requester)))
    if q:
        number = normalize_number(q)
        pattern = f"%{q.replace('%', '').replace('_', '')}%"
        query = query.where((Ticket.number == number) | Ticket.subject.ilike(pattern))
    else:
        query = query.where(Ticket.requester_id == source.requester_id)
    same = (Ticket.requester_id == source.requester_id)
    return list(db.session.scalars(
        query.order_by(same.desc(), Ticket.last_activity_at.desc(), Ticket.id.desc())
        .limit(CANDIDATES)))


def check_merge(actor: User, source: Ticket, target: Ticket, *,
                confirm_requesters: bool = False) -> None:
    """Every refusal, before anything is written."""
    if not permissions.can_work_ticket(actor, source):
        raise Forbidden("Only the assigned agent or an admin can merge this ticket.")
    if source.id == target.id:
        raise InvalidInput("A ticket cannot be merged into itself.", field="target")
    if source.merged_into_id is not None:
        raise InvalidTransition(f"{source.number} was already merged.", field="target")
    if target.status == Status.CLOSED:
        raise InvalidTransition(f"{target.number} is closed: merge into an open ticket.",
                                field="target")
    if _leads_to(target, source):
        raise InvalidTransition(f"{target.number} was merged into {source.number}: merging "
                                "back would make a cycle.", field="target")
    if not is_allowed(source.status, Status.CLOSED, {Way.MERGE}):
        raise InvalidTransition(f"{source.number} is closed: reopen it before merging.",
                                field="target")
    if needs_requester_confirmation(actor, source, target) and not confirm_requesters:
        raise InvalidInput(
            f"{source.number} and {target.number} were opened by different people: "
            f"{target.requester.name} will read {source.requester.name}'s messages. "
            "Tick the box to confirm, or ask an admin.", field="confirm_requesters")


def _leads_to(ticket: Ticket, source: Ticket) -> bool:
    """Whether following `ticket`'s merges reaches `source` (a cycle if we merged)."""
    seen = set()
    current = ticket.merged_into_id
    while current is not None and current not in seen and len(seen) < MAX_CHAIN:
        if current == source.id:
            return True
        seen.add(current)
        current = db.session.scalar(select(Ticket.merged_into_id).where(Ticket.id == current))
    return False


def merge_tickets(actor: User, source: Ticket, target: Ticket, *,
                  confirm_requesters: bool = False) -> None:
    """Merge `source` into `target` in one transaction."""
    check_merge(actor, source, target, confirm_requesters=confirm_requesters)
    with unit_of_work():
        now = utcnow()
        # The description first, with the files attached when the source was opened.
        opening = Message(ticket_id=target.id, author_id=source.requester_id,
                          body=source.description, is_internal=False,
                          created_at=source.created_at, merged_from_number=source.number)
        db.session.add(opening)
        db.session.flush()
        _bulk(update(Attachment).where(Attachment.ticket_id == source.id,
                                       Attachment.message_id.is_(None))
              .values(message_id=opening.id))
        # Messages keep where they first came from (a ticket merged twice).
        _bulk(update(Message).where(Message.ticket_id == source.id, Message.id != opening.id)
              .values(ticket_id=target.id, merged_from_number=func.coalesce(
                  Message.merged_from_number, source.number)))
        _bulk(update(Attachment).where(Attachment.ticket_id == source.id)
              .values(ticket_id=target.id))
        # History: the events keep their ticket_number, which marks them "from TKT-…".
        _bulk(update(AuditEvent).where(AuditEvent.ticket_id == source.id)
              .values(ticket_id=target.id))
        # Tickets merged into the source now lead straight to the target (no chains).
        _bulk(update(Ticket).where(Ticket.merged_into_id == source.id)
              .values(merged_into_id=target.id))
        source.merged_into_id = target.id
        note = f"Merged into {target.number}"
        apply_transition(source, actor, Status.CLOSED, action="merged", note=note,
                         notify=False)
        audit.record(source, actor, "merged_into", field="merged_into", new=target.number,
                     note=note)
        audit.record(target, actor, "merged_from", field="merged_from", new=source.number,
                     note=f"{source.number} ({source.subject}) merged into this ticket")
        target.last_activity_at = target.public_activity_at = now
        _tell_people(actor, source, target)
        events.publish("ticket.updated", target, actor=actor, changes=["messages", "merged"])
    db.session.expire_all()  # rows the bulk UPDATEs moved are reloaded when next read


def _bulk(statement) -> None:
    db.session.execute(statement.execution_options(synchronize_session=False))


def _tell_people(actor: User, source: Ticket, target: Ticket) -> None:
    """Both requesters (in the app and by mail, through the outbox) and both assignees."""
    requester = source.requester
    if permissions.can_view_ticket(requester, target):
        text = (f"Your request {source.number} was merged into {target.number}; "
                "we continue there.")
    else:
        text = (f"Your request {source.number} was merged with another request about the "
                "same problem and is closed. Reply by opening a follow-up if you need more.")
    notifications.notify([requester], source, "ticket_merged", text, actor=actor)
    if target.requester_id != source.requester_id:
        notifications.notify([target.requester], target, "ticket_merged",
                             f"{source.number} about the same problem was merged into your "
                             f"ticket {target.number}.", actor=actor)
    notifications.notify([source.assignee, target.assignee], target, "ticket_merged",
                         f"{source.number} was merged into {target.number}", actor=actor)


# --- where a merged ticket leads ------------------------------------------------------------

def redirect_target(viewer: User, ticket: Ticket) -> Ticket | None:
    """The ticket a merged one leads this person to: None when it was not merged, or
    when they may not see the target (a customer of the source only; see above)."""
    if ticket.merged_into_id is None:
        return None
    return db.session.scalar(permissions.visible_tickets(viewer)
                             .where(Ticket.id == ticket.merged_into_id))


def own_part(viewer: User, source: Ticket) -> list[Message]:
    """What a customer who may not see the target still reads on the merged source: the
    public messages that came from it (never internal notes, never the target's own).
    The copy of the description (dated when the source was opened; every message came
    later) is left out: the page shows the description itself."""
    if source.merged_into_id is None or not permissions.can_view_ticket(viewer, source):
        return []
    return list(db.session.scalars(
        select(Message).where(Message.ticket_id == source.merged_into_id,
                              Message.merged_from_number == source.number,
                              Message.is_internal.is_(False),
                              Message.created_at > source.created_at)
        .options(selectinload(Message.author), selectinload(Message.attachments))
        .order_by(Message.created_at, Message.id)))


def merged_into_number(ticket: Ticket) -> str | None:
    if ticket.merged_into_id is None:
        return None
    return db.session.scalar(select(Ticket.number).where(Ticket.id == ticket.merged_into_id))


# --- bulk: "merge into…" from the queue -----------------------------------------------------

@dataclass
class MergeResult:
    merged: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)


def tickets_by_ids(actor: User, ids) -> list[Ticket]:
    ids = [i for i in (parse_id(x) for x in ids or ()) if i][:MAX_BULK]
    if not ids:
        return []
    return list(db.session.scalars(permissions.visible_tickets(actor)
                                   .where(Ticket.id.in_(ids))
                                   .options(selectinload(Ticket.requester))
                                   .order_by(Ticket.id)))


def merge_many(actor: User, ticket_ids, target_text: str, *,
               confirm_requesters: bool = False) -> MergeResult:
    """Merge each ticked ticket into one target, one transaction each: a refusal on one
    leaves the others merged."""
    if not actor.is_staff:
        raise Forbidden("Only agents can merge tickets.")
    target = find_target(actor, target_text)
    sources = [t for t in tickets_by_ids(actor, ticket_ids) if t.id != target.id]
    if not sources:
        raise InvalidInput("Tick at least one ticket besides the target.", field="ticket_ids")
    result = MergeResult()
    target_id = target.id
    for source in sources:
        number = source.number
        try:
            merge_tickets(actor, source, db.session.get(Ticket, target_id),
                          confirm_requesters=confirm_requesters)
        except DomainError as error:
            result.refused.append((number, error.message))
        else:
            result.merged.append(number)
    return result

