"""The agent's ticket workspace: everything the page shows, loaded in a fixed number of
queries, and the detail edits (team, category, due date, tags, hours) and bulk actions.

Status, priority, assignment and replies go through services.tickets and
services.assignment; this module only adds what the workspace needs on top of them.
"""
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from .. import permissions
from ..extensions import db
from ..models import (
    OPEN_STATUSES,
    STATUS_LABELS,
    Attachment,
    AuditEvent,
    CannedReply,
    Category,
    Message,
    Status,
    Team,
    Ticket,
    TicketTag,
    User,
    utcnow,
)
from . import assignment, audit, notifications, tickets
from .attachments import transaction
from .errors import DomainError, Forbidden, InvalidInput, NotFound
from .workflow import allowed_targets, manual_ways

OTHER_TICKETS = 10
MAX_TAGS = 10


@dataclass
class SlaState:
    first_response_due_at: datetime | None
    first_response_at: datetime | None
    due_at: datetime | None
    first_response_overdue: bool
    overdue: bool


@dataclass
class Workspace:
    ticket: Ticket
    messages: list[Message]
    ticket_files: list[Attachment]      # attached when the ticket was opened
    history: list[AuditEvent]
    other_tickets: list[Ticket]
    can_work: bool
    status_targets: list[Status]
    sla: SlaState


def get_ticket(viewer: User, number: str) -> Ticket:
    """The ticket with what its header and side panel show, or NotFound."""
    ticket = db.session.scalar(
        permissions.visible_tickets(viewer).where(Ticket.number == number)
        .options(joinedload(Ticket.requester), joinedload(Ticket.assignee),
                 joinedload(Ticket.category), joinedload(Ticket.team),
                 selectinload(Ticket.tags)))
    if ticket is None:
        raise NotFound("Ticket not found.")
    return ticket


def sla_state(ticket: Ticket, now: datetime | None = None) -> SlaState:
    now = now or utcnow()
    is_open = ticket.status in OPEN_STATUSES
    return SlaState(
        first_response_due_at=ticket.first_response_due_at,
        first_response_at=ticket.first_response_at,
        due_at=ticket.due_at,
        first_response_overdue=bool(
            ticket.first_response_at is None and ticket.first_response_due_at
            and ticket.first_response_due_at < now and is_open),
        overdue=bool(ticket.due_at and ticket.due_at < now and is_open))


def open_workspace(viewer: User, number: str) -> Workspace:
    """The whole page's data in a fixed number of queries. Opening the ticket marks its
    notifications read first, so the commit does not expire what is loaded after it."""
    if not viewer.is_staff:
        raise NotFound("Ticket not found.")
    ticket = get_ticket(viewer, number)
    notifications.mark_ticket_read(viewer, ticket)
    db.session.commit()
    ticket = get_ticket(viewer, number)
    messages = tickets.thread(viewer, ticket)
    ticket_files = list(db.session.scalars(
        select(Attachment).where(Attachment.ticket_id == ticket.id,
                                 Attachment.message_id.is_(None)).order_by(Attachment.id)))
    history = list(db.session.scalars(
        select(AuditEvent).where(AuditEvent.ticket_id == ticket.id)
        .options(selectinload(AuditEvent.actor))
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())))
    other = list(db.session.scalars(
        select(Ticket).where(Ticket.requester_id == ticket.requester_id,
                             Ticket.id != ticket.id)
        .order_by(Ticket.last_activity_at.desc(), Ticket.id.desc()).limit(OTHER_TICKETS)))
    can_work = permissions.can_work_ticket(viewer, ticket)
    targets = allowed_targets(ticket.status, manual_ways(viewer.role)) if can_work else []
    return Workspace(ticket=ticket, messages=messages, ticket_files=ticket_files,
                     history=history, other_tickets=other, can_work=can_work,
                     status_targets=targets, sla=sla_state(ticket))


@dataclass
class References:
    """Choices for the pickers: categories, teams, staff, canned replies."""
    categories: list[Category]
    teams: list[Team]
    staff: list[User]
    canned_replies: list[CannedReply] = field(default_factory=list)


def references(*, canned: bool = False) -> References:
    return References(
        categories=list(db.session.scalars(
            select(Category).order_by(Category.position, Category.name))),
        teams=list(db.session.scalars(select(Team).order_by(Team.name))),
        staff=assignment.staff_choices(),
        canned_replies=list(db.session.scalars(
            select(CannedReply).order_by(CannedReply.title))) if canned else [])


# --- status (the workspace's wrapper: choosing the current status is a no-op) -----------

def set_status(ticket: Ticket, actor: User, target: str) -> bool:
    """True when the status changed; the ticket service enforces the workflow."""
    if target == ticket.status:
        return False
    tickets.change_status(ticket, actor, target)
    return True


# --- details ---------------------------------------------------------------------------

def parse_tags(text: str | None) -> list[str]:
    """"Refund, carrier ,refund" → ["carrier", "refund"]."""
    names = sorted({t.strip().lower() for t in (text or "").split(",") if t.strip()})
    if len(names) > MAX_TAGS:
        raise InvalidInput(f"Use at most {MAX_TAGS} tags.", field="tags")
    if any(len(n) > 50 for n in names):
        raise InvalidInput("Keep each tag under 50 characters.", field="tags")
    return names


def _hours(value) -> float | None:
    if value in (None, ""):
        return None
    hours = float(Decimal(str(value)))
    if not 0 <= hours <= 10000:
        raise InvalidInput("Use 0 to 10,000 hours.", field="estimated_hours")
    return hours


def _by_id(model, value, field_name: str):
    if value in (None, "", 0, "0"):
        return None
    row_id = assignment.parse_id(value)
    row = db.session.get(model, row_id) if row_id else None
    if row is None or (hasattr(row, "active") and not row.active):
        raise InvalidInput("Choose one of the listed options.", field=field_name)
    return row


def update_details(ticket: Ticket, actor: User, *, team_id=None, category_id=None,
                   due_at: datetime | None = None, tags: str | None = None,
                   estimated_hours=None, actual_hours=None) -> list[str]:
    """Change the side-panel details in one transaction, an audit event per changed
    field (old → new). A due date set by hand sticks; clearing it brings back the SLA
    target. Returns the names of the fields that changed."""
    if not permissions.can_work_ticket(actor, ticket):
        raise Forbidden("Only the assigned agent or an admin can change these details.")
    team = _by_id(Team, team_id, "team")
    category = _by_id(Category, category_id, "category")
    if category is not None and category.id == ticket.category_id:
        category = ticket.category  # an archived category that is already set may stay
    names = parse_tags(tags)
    estimated = _hours(estimated_hours)
    try:
        actual = _hours(actual_hours)
    except InvalidInput as error:
        raise InvalidInput(error.message, field="actual_hours") from None

    changes = []
    with transaction():
        def change(name, old, new, apply):
            if old != new:
                audit.record(ticket, actor, f"{name}_changed", field=name, old=old, new=new)
                apply()
                changes.append(name)

        change("team", ticket.team.name if ticket.team else None,
               team.name if team else None, lambda: setattr(ticket, "team", team))
        change("category", ticket.category.name if ticket.category else None,
               category.name if category else None,
               lambda: setattr(ticket, "category", category))
        change("tags", ", ".join(ticket.tag_names) or None, ", ".join(names) or None,
               lambda: _set_tags(ticket, names))
        change("estimated_hours", ticket.estimated_hours, estimated,
               lambda: setattr(ticket, "estimated_hours", estimated))
        change("actual_hours", ticket.actual_hours, actual,
               lambda: setattr(ticket, "actual_hours", actual))
        _change_due(ticket, actor, due_at, changes)
        if changes:
            ticket.last_activity_at = utcnow()
    return changes


def _set_tags(ticket: Ticket, names: list[str]) -> None:
    ticket.tags = [TicketTag(name=n) for n in names]
    db.session.flush()


def _change_due(ticket: Ticket, actor: User, due_at: datetime | None, changes) -> None:
    old = ticket.due_at
    if due_at is not None:
        due_at = due_at.replace(second=0, microsecond=0, tzinfo=None)
        if old is not None and old.replace(second=0, microsecond=0) == due_at:
            return  # what the form showed (to the minute): unchanged
        ticket.due_at, ticket.due_set_manually = due_at, True
    elif ticket.due_set_manually:  # cleared: back to the SLA target
        ticket.due_set_manually = False
        tickets.apply_sla(ticket)
    else:
        return
    if ticket.due_at != old:
        audit.record(ticket, actor, "due_changed", field="due_at", old=old, new=ticket.due_at)
        changes.append("due_at")


# --- bulk actions ----------------------------------------------------------------------

@dataclass
class BulkResult:
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (number, reason)

    def refusals_by_reason(self) -> dict[str, list[str]]:
        grouped: dict[str, list[str]] = {}
        for number, reason in self.refused:
            grouped.setdefault(reason, []).append(number)
        return grouped


BULK_KINDS = ("assign", "status", "priority")
MAX_BULK = 200


def parse_bulk_action(value: str) -> tuple[str, str]:
    """"status:resolved" → ("status", "resolved")."""
    kind, _, target = (value or "").partition(":")
    if kind not in BULK_KINDS or not target:
        raise InvalidInput("Choose what to do with the selected tickets.", field="bulk_action")
    return kind, target


def bulk_update(actor: User, ticket_ids: list[int], action: str) -> BulkResult:
    """Apply one action to each ticket through the same service as a single change, one
    transaction per ticket: the allowed ones change, the others are reported."""
    kind, target = parse_bulk_action(action)
    if not actor.is_staff:
        raise Forbidden("Only agents can change tickets.")
    ids = [i for i in dict.fromkeys(ticket_ids) if assignment.parse_id(i)][:MAX_BULK]
    if not ids:
        raise InvalidInput("Tick at least one ticket.", field="ticket_ids")
    assignee = None
    if kind == "assign":
        assignee = None if target == "none" else assignment.approved_agent(target)
    rows = list(db.session.scalars(
        permissions.visible_tickets(actor).where(Ticket.id.in_(ids))
        .options(joinedload(Ticket.assignee), joinedload(Ticket.requester))
        .order_by(Ticket.id)))
    result = BulkResult()
    for ticket in rows:
        number = ticket.number
        try:
            changed = _bulk_one(ticket, actor, kind, target, assignee)
        except DomainError as error:
            db.session.rollback()
            result.refused.append((number, error.message))
        else:
            (result.changed if changed else result.unchanged).append(number)
    return result


def _bulk_one(ticket: Ticket, actor: User, kind: str, target: str,
              assignee: User | None) -> bool:
    if kind == "status":
        return set_status(ticket, actor, target)
    if kind == "priority":
        before = ticket.priority
        assignment.change_priority(ticket, actor, target)
        return ticket.priority != before
    # assign: admins assign anyone; an agent can only take unassigned tickets
    if actor.is_admin:
        before = ticket.assignee_id
        assignment.assign_ticket(ticket, actor, assignee)
        return ticket.assignee_id != before
    if assignee is None or assignee.id != actor.id:
        raise Forbidden("Only admins can assign tickets to others.")
    if ticket.assignee_id == actor.id:
        return False
    assignment.take_ticket(ticket, actor)
    return True


def status_label(status: str) -> str:
    return STATUS_LABELS.get(Status(status), status)
