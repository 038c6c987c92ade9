"""Human ticket numbers: TKT-000001, TKT-000002, ... without gaps or repeats.

Why a counter row rather than a database sequence: a sequence never rolls back, so a
failed ticket creation would leave a gap. `UPDATE ... SET value = value + 1 RETURNING
value` is one statement: on PostgreSQL it takes the row lock until the ticket's
transaction commits (concurrent creators queue behind it; a rollback gives the number
back), on SQLite the write lock serialises writers anyway. No read-then-write race.
"""
from flask import current_app
from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ...extensions import db
from ...models import TicketCounter
from ..catalog.settings import ticket_prefix

COUNTER = "ticket"


def _bump(by: int) -> int | None:
    stmt = (update(TicketCounter).where(TicketCounter.name == COUNTER)
            .values(value=TicketCounter.value + by).returning(TicketCounter.value))
    return db.session.execute(stmt).scalar_one_or_none()


def _create_counter_row() -> None:
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    db.session.execute(insert(TicketCounter).values(name=COUNTER, value=0)
                       .on_conflict_do_nothing(index_elements=["name"]))


def format_number(prefix: str, value: int) -> str:
    return f"{prefix}{value:0{current_app.config['TICKET_NUMBER_DIGITS']}d}"


def _reserve(count: int) -> int:
    """Advance the counter by `count`; returns the last number reserved."""
    value = _bump(count)
    if value is None:  # the first ticket of this installation
        _create_counter_row()
        value = _bump(count)
    return value


def next_ticket_number() -> str:
    """Reserve the next number inside the caller's transaction."""
    return format_number(ticket_prefix(), _reserve(1))


def reserve_block(count: int) -> int:
    """Reserve `count` consecutive numbers at once (bulk seeding); returns the first."""
    return _reserve(count) - count + 1
