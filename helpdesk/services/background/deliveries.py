"""Delivering queued rows (outbox mail, webhook calls) at least once, with backoff.

A worker first *claims* a due row in one short statement (`UPDATE … WHERE id = (SELECT …
FOR UPDATE SKIP LOCKED LIMIT 1) RETURNING id`): the row's next attempt moves a lease
away, so no other worker takes it — on PostgreSQL several workers share the queue, and on
SQLite the UPDATE takes the write lock, so even two workers there never pick one row.
Then it delivers the row and records the outcome in a second transaction; no lock is
held while the receiver is slow. If the worker dies mid-delivery, the lease runs out and
the row is delivered again (at-least-once; receivers drop duplicates by Message-ID or
delivery id). Success marks it sent; a failure schedules the next attempt with
exponential backoff, until the configured number of attempts; a permanent failure
(e.g. SMTP 5xx) gives up at once.
"""
import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import current_app, g
from sqlalchemy import select, update

from ...extensions import db
from ...models import utcnow
from ...models.deliveries import DeliveryState
from ..unit_of_work import unit_of_work

ERROR_TEXT_MAX = 1000

log = logging.getLogger(__name__)


class DeliveryFailed(Exception):
    """A delivery that did not go through; the message is kept for the delivery log.
    `permanent` failures are not retried (e.g. SMTP 5xx)."""

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


def backoff(attempts: int) -> timedelta:
    """Wait before attempt number `attempts + 1`: base × 2^(attempts-1), capped."""
    base = current_app.config["DELIVERY_BACKOFF_SECONDS"]
    cap = current_app.config["DELIVERY_BACKOFF_MAX_SECONDS"]
    return timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))


def due(model, now: datetime):
    """A SELECT of rows whose next attempt is due, oldest first."""
    return (select(model).where(model.state == DeliveryState.QUEUED,
                                model.next_attempt_at <= now)
            .order_by(model.next_attempt_at, model.id))


def claim_next(model, now: datetime) -> object | None:
    """Take the next due row for this worker (see the module docstring), or None."""
    lease = timedelta(seconds=current_app.config["DELIVERY_LEASE_SECONDS"])
    next_due = (due(model, now).with_only_columns(model.id).limit(1)
                .with_for_update(skip_locked=True).scalar_subquery())
    with unit_of_work():
        row_id = db.session.execute(
            update(model).where(model.id == next_due, model.state == DeliveryState.QUEUED)
            .values(next_attempt_at=now + lease).returning(model.id)
            .execution_options(synchronize_session=False)).scalar()
    return db.session.get(model, row_id, populate_existing=True) if row_id else None


def deliver_due(model, send: Callable[[object], None], *, limit: int = 100,
                now: datetime | None = None) -> int:
    """Deliver up to `limit` due rows of `model`, one claim and one outcome transaction
    each; returns how many were attempted. `send(row)` raises DeliveryFailed (or
    OSError) when it fails; it may set columns of `row` (e.g. the server's answer)."""
    attempted = 0
    while attempted < limit:
        row = claim_next(model, now or utcnow())
        if row is None:
            return attempted
        attempted += 1
        with unit_of_work():
            try:
                send_logged(send, row)
            except (DeliveryFailed, OSError) as error:
                record_failure(row, error)
            else:
                row.state, row.sent_at, row.last_error = DeliveryState.SENT, utcnow(), None
            row.attempts += 1
    return attempted


def send_logged(send: Callable[[object], None], row) -> None:
    """`send(row)` under the id of the request that queued the row: every log line made
    meanwhile carries it (helpdesk/ops/logs.py), and so does anything queued meanwhile."""
    outer = g.get("request_id")
    g.request_id = row.request_id
    started = time.perf_counter()

    def facts(**more) -> dict:
        return {"queue": row.__tablename__, "delivery_id": row.id,
                "attempt": row.attempts + 1,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1), **more}
    try:
        send(row)
    except Exception as error:
        log.warning("delivery failed", extra=facts(
            error=f"{type(error).__name__}: {error}"[:ERROR_TEXT_MAX]))
        raise
    else:
        log.info("delivery sent", extra=facts())
    finally:
        g.request_id = outer


def record_failure(row, error: Exception) -> None:
    attempts = row.attempts + 1
    # DeliveryFailed already says what went wrong in words; other errors need their name.
    text = str(error) if isinstance(error, DeliveryFailed) else f"{type(error).__name__}: {error}"
    row.last_error = text[:ERROR_TEXT_MAX]
    permanent = getattr(error, "permanent", False)
    if permanent or attempts >= current_app.config["DELIVERY_MAX_ATTEMPTS"]:
        row.state = DeliveryState.FAILED
    else:
        row.next_attempt_at = utcnow() + backoff(attempts)


def retry(row) -> None:
    """An admin asks for another try of a failed (or queued) delivery, now."""
    with unit_of_work():
        row.state, row.next_attempt_at = DeliveryState.QUEUED, utcnow()
