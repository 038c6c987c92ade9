"""CSV export of the filtered queue (admins).

Streamed: the rows come from the database in batches (`yield_per`, a server-side cursor
on PostgreSQL) and leave as CSV text in chunks, so a million tickets never sit in memory.
Only plain columns are selected (no ORM objects, no per-row lazy loads).
"""
import csv
import io
from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import aliased

from ... import permissions
from ...extensions import db
from ...models import (
    PRIORITY_LABELS,
    STATUS_LABELS,
    Category,
    Organization,
    Priority,
    Status,
    Team,
    Ticket,
    User,
    utcnow,
)
from ..errors import Forbidden
from ..fields.definitions import all_fields
from ..fields.values import values_by_ticket
from ..people.directory import name_with_email, shared_staff_names
from ..queue.filters import QueueFilters, conditions, order_by, overdue_condition

BATCH_ROWS = 1000
# New columns go last, so spreadsheets and scripts reading by position keep working.
HEADER = ["Number", "Subject", "Status", "Priority", "Category", "Team", "Requester",
          "Requester e-mail", "Assignee", "Created", "Last activity", "Due", "Overdue",
          "First response", "Resolved", "Closed", "Order reference", "Estimated hours",
          "Actual hours", "Organization"]
STATUS, PRIORITY, OVERDUE = HEADER.index("Status"), HEADER.index("Priority"), \
    HEADER.index("Overdue")
ASSIGNEE = HEADER.index("Assignee")
# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """The text of one cell, with formula injection neutralised by a leading '."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def _query(viewer, filters: QueueFilters, now: datetime):
    requester, assignee = aliased(User), aliased(User)
    return (select(Ticket.number, Ticket.subject, Ticket.status, Ticket.priority,
                   Category.name, Team.name, requester.name, requester.email, assignee.name,
                   Ticket.created_at, Ticket.last_activity_at, Ticket.due_at,
                   overdue_condition(now), Ticket.first_response_at, Ticket.resolved_at,
                   Ticket.closed_at, Ticket.order_reference, Ticket.estimated_hours,
                   Ticket.actual_hours, Organization.name,
                   assignee.email)  # not a column of its own: tells namesakes apart
            .select_from(Ticket)
            .join(requester, requester.id == Ticket.requester_id)
            .outerjoin(assignee, assignee.id == Ticket.assignee_id)
            .outerjoin(Category, Category.id == Ticket.category_id)
            .outerjoin(Team, Team.id == Ticket.team_id)
            .outerjoin(Organization, Organization.id == Ticket.organization_id)
            .where(*conditions(viewer, filters, now,
                               hint_planner=db.session.get_bind().dialect.name == "sqlite"))
            .order_by(*order_by(filters.sort)))


def export_rows(viewer: User, filters: QueueFilters) -> Iterator[list[str]]:
    """Rows of cells (header first) for the tickets these filters select. Checked now,
    read lazily."""
    if not permissions.can_export_tickets(viewer):
        raise Forbidden("Only admins can export the queue.")
    return _rows(viewer, filters)


def _rows(viewer: User, filters: QueueFilters) -> Iterator[list[str]]:
    """Custom fields come last, one column each (multi-choice values joined by ", "),
    read with one query per batch of rows."""
    now = utcnow()
    custom = all_fields(active_only=True)
    shared = shared_staff_names()
    query = (_query(viewer, filters, now).add_columns(Ticket.id)
             .execution_options(yield_per=BATCH_ROWS))
    yield HEADER + [f.label for f in custom]
    for batch in db.session.execute(query).partitions():
        values = values_by_ticket([row[-1] for row in batch], viewer) if custom else {}
        for row in batch:
            *cells, assignee_email, ticket_id = row
            cells[ASSIGNEE] = name_with_email(cells[ASSIGNEE], assignee_email, shared)
            cells[STATUS] = STATUS_LABELS.get(Status(cells[STATUS]), cells[STATUS])
            cells[PRIORITY] = PRIORITY_LABELS.get(Priority(cells[PRIORITY]), cells[PRIORITY])
            cells[OVERDUE] = bool(cells[OVERDUE])
            found = values.get(ticket_id, {})
            cells += [", ".join(str(v) for v in found.get(f.key, [])) or None for f in custom]
            yield [safe_cell(c) for c in cells]


def csv_chunks(rows: Iterator[list[str]], rows_per_chunk: int = 500) -> Iterator[str]:
    """CSV text in chunks of a few hundred rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    pending = 0
    for row in rows:
        writer.writerow(row)
        pending += 1
        if pending >= rows_per_chunk:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    if pending:
        yield buffer.getvalue()


def export_filename(now: datetime | None = None) -> str:
    return f"tickets-{(now or utcnow()).strftime('%Y%m%d-%H%M')}.csv"
