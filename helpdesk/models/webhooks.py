"""Webhooks admins register, and the deliveries the worker sends to them."""
from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import utcnow
from .deliveries import Deliverable

# The events a hook may subscribe to (services/events.py publishes them).
WEBHOOK_EVENTS = ("ticket.created", "ticket.updated", "ticket.status_changed",
                  "message.created", "feedback.created")


class Webhook(db.Model):
    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str | None] = mapped_column(String(200))
    # Kept in clear: signing needs it. Shown to the admin once, then masked.
    secret: Mapped[str] = mapped_column(String(128))
    # Comma-separated names from WEBHOOK_EVENTS.
    events: Mapped[str] = mapped_column(String(300), default="")
    # Internal notes (message.created with internal=true) go only to hooks marked so.
    include_internal: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at = mapped_column(DateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(DateTime, default=utcnow, onupdate=utcnow, nullable=False)

    @property
    def event_names(self) -> list[str]:
        return [e for e in (self.events or "").split(",") if e]

    def wants(self, event: str) -> bool:
        return event in self.event_names

    @property
    def masked_secret(self) -> str:
        return "••••" + (self.secret or "")[-4:]

    def __repr__(self) -> str:
        return f"<Webhook {self.id} {self.url}>"


class WebhookDelivery(Deliverable, db.Model):
    """One event for one hook: queued in the transaction of the change, sent by the
    worker (services/webhooks.py), logged in the console."""
    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(40))
    payload: Mapped[str] = mapped_column(Text)  # the event as JSON text
    response_status: Mapped[int | None] = mapped_column(Integer)

    webhook = relationship("Webhook")

    __table_args__ = (
        Index("ix_webhook_deliveries_state_next", "state", "next_attempt_at"),
        # The delivery log: one hook's deliveries, newest first.
        Index("ix_webhook_deliveries_webhook_id", "webhook_id", "id"),
    )
