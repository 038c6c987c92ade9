"""What happened and who was told: audit events, notifications, feedback."""
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import utcnow


class AuditEvent(db.Model):
    """One change by one actor. Survives ticket deletion (ticket_number is kept)."""
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("tickets.id", ondelete="SET NULL"))
    ticket_number: Mapped[str | None] = mapped_column(String(32), index=True)
    # None: the system (auto-close, seed data).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # The person an account decision was about (approve, suspend, ...).
    subject_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(40), index=True)
    field: Mapped[str | None] = mapped_column(String(40))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    # Internal events (internal notes and their files) never reach customers.
    internal: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at = mapped_column(DateTime, default=utcnow, nullable=False, index=True)

    actor = relationship("User", foreign_keys=[actor_id])
    subject_user = relationship("User", foreign_keys=[subject_user_id])

    __table_args__ = (Index("ix_audit_events_ticket_created", "ticket_id", "created_at"),)


class Notification(db.Model):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(String(300))
    # Where on the ticket's page it happened ("message-12", "feedback"): the link's #.
    anchor: Mapped[str | None] = mapped_column(String(40))
    read_at = mapped_column(DateTime)
    created_at = mapped_column(DateTime, default=utcnow, nullable=False)

    user = relationship("User")
    ticket = relationship("Ticket")

    __table_args__ = (Index("ix_notifications_user_read", "user_id", "read_at"),)


class Feedback(db.Model):
    """The customer's rating of a resolved ticket; one per ticket."""
    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), unique=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    rating: Mapped[int] = mapped_column(SmallInteger)
    comment: Mapped[str | None] = mapped_column(Text)
    created_at = mapped_column(DateTime, default=utcnow, nullable=False)

    ticket = relationship("Ticket", back_populates="feedback")
    author = relationship("User")

    __table_args__ = (CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),)
