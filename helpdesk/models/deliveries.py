"""What the background worker delivers: the columns every outbound queue shares."""
from enum import StrEnum

from flask import g, has_app_context
from sqlalchemy import DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import utcnow


class DeliveryState(StrEnum):
    QUEUED = "queued"      # waiting for its next attempt (also after a failed one)
    SENT = "sent"
    FAILED = "failed"      # gave up after the configured number of attempts


def current_request_id() -> str | None:
    """The id of the request (or delivery) whose work is at hand, if any: set in `g` by
    the request log (helpdesk/ops/logs.py) and by the worker while it delivers a row."""
    return g.get("request_id") if has_app_context() else None


class Deliverable:
    """Mixin: a row written in the same transaction as the change that caused it, then
    delivered by the worker with retries (see services/background/deliveries.py).
    Tables using it add an index on (state, next_attempt_at)."""
    state: Mapped[str] = mapped_column(String(16), default=DeliveryState.QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at = mapped_column(DateTime, default=utcnow, nullable=False)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at = mapped_column(DateTime, default=utcnow, nullable=False)
    sent_at = mapped_column(DateTime)
    # The request that queued the row, so the worker's log lines can be joined to it.
    request_id: Mapped[str | None] = mapped_column(String(64), default=current_request_id)
