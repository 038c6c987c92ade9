"""Who else has a ticket open: "Mei is viewing", "Mei is replying".

The workspace's script upserts the agent's own row (POST, on load, on a change of
state and every half minute while the tab is visible) and polls the others (GET) —
one indexed statement each (the ticket_presence primary key, and
ix_ticket_presence_ticket_seen joined to the ticket by its unique number). A row older
than WINDOW no longer counts; nothing needs to clean up. Staff only: customers never
appear and never ask.
"""
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ...extensions import db
from ...models import Ticket, TicketPresence, User, utcnow
from ..errors import Forbidden, InvalidInput, NotFound
from ..unit_of_work import unit_of_work

WINDOW = timedelta(seconds=60)
STATES = {"viewing": "is viewing", "replying": "is replying"}


def others_on(viewer: User, number: str) -> list[tuple[str, str]]:
    """(name, state) of the other staff on this ticket in the last minute: one query."""
    if not viewer.is_staff:
        raise Forbidden("Only agents see who is on a ticket.")
    rows = db.session.execute(
        select(User.name, TicketPresence.state)
        .join(TicketPresence, TicketPresence.user_id == User.id)
        .join(Ticket, Ticket.id == TicketPresence.ticket_id)
        .where(Ticket.number == number, TicketPresence.seen_at > utcnow() - WINDOW,
               TicketPresence.user_id != viewer.id)
        .order_by(User.name).limit(20))
    return [(row.name, row.state) for row in rows]


def summary(others: list[tuple[str, str]]) -> dict:
    """The poll's answer: the people, and one sentence for the live region."""
    text = " ".join(f"{name} {STATES.get(state, 'is viewing')}." for name, state in others)
    return {"others": [{"name": n, "state": s} for n, s in others], "text": text}


def mark_present(viewer: User, number: str, state: str) -> None:
    """Upsert this agent's row for the ticket (viewing or replying), now."""
    if not viewer.is_staff:
        raise Forbidden("Only agents are shown on a ticket.")
    if state not in STATES:
        raise InvalidInput("State is viewing or replying.", field="state")
    ticket_id = db.session.scalar(select(Ticket.id).where(Ticket.number == number))
    if ticket_id is None:
        raise NotFound("Ticket not found.")
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    now = utcnow()
    statement = insert(TicketPresence).values(
        ticket_id=ticket_id, user_id=viewer.id, state=state, seen_at=now)
    statement = statement.on_conflict_do_update(
        index_elements=["ticket_id", "user_id"], set_={"state": state, "seen_at": now})
    with unit_of_work():
        db.session.execute(statement)
