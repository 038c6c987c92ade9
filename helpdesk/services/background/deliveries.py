"""Delivering queued rows (outbox mail, webhook calls) at least once, with backoff.

A row is claimed and delivered inside one transaction: `FOR UPDATE SKIP LOCKED` on
PostgreSQL, so several workers share the queue and never take the same row; SQLite has
one writer at a time anyway. If the worker dies mid-delivery, the transaction rolls back
and the row is still queued: it is delivered again later (at-least-once; receivers drop
duplicates by Message-ID or delivery id). Success marks it sent; a failure schedules the
next attempt with exponential backoff, until the configured number of attempts.
"""
import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import current_app, g
from sqlalchemy import select

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


def deliver_due(model, send: Callable[[object], None], *, limit: int = 100,
                now: datetime | None = None) -> int:
    """Deliver up to `limit` due rows of `model`, one transaction each; returns how many
    were attempted. `send(row)` raises DeliveryFailed (or OSError) when it fails."""
    attempted = 0
    while attempted < limit:
        with unit_of_work():
            row = db.session.scalar(due(model, now or utcnow()).limit(1)
                                    .with_for_update(skip_locked=True))
            if row is None:
                return attempted
            attempted += 1
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
