"""E-mail in and out: the outbox, the Message-IDs of each ticket's thread, and the log
of mail received."""
from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import utcnow
from .deliveries import Deliverable


class OutboxMail(Deliverable, db.Model):
    """One mail to one address, written in the transaction of the change that caused it
    and sent by the worker. `raw` is the whole message, rendered when it was queued."""
    __tablename__ = "outbox_mail"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    to_address: Mapped[str] = mapped_column(String(254))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("tickets.id", ondelete="SET NULL"), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    raw: Mapped[str] = mapped_column(Text)
    # The SMTP server's last answer (success or refusal), for the delivery log.
    server_reply: Mapped[str | None] = mapped_column(String(500))

    ticket = relationship("Ticket")
    user = relationship("User")

    __table_args__ = (
        Index("ix_outbox_mail_state_next_attempt", "state", "next_attempt_at"),
        Index("ix_outbox_mail_created_at", "created_at"),
        # How many automatic answers an address got lately (the ingest's loop guard).
        Index("ix_outbox_mail_to_created", "to_address", "created_at"),
    )


class TicketMailId(db.Model):
    """A Message-ID we sent or received on a ticket: replies that name it in
    In-Reply-To or References thread onto that ticket."""
    __tablename__ = "ticket_mail_ids"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    direction: Mapped[str] = mapped_column(String(3))  # "out" or "in"
    created_at = mapped_column(DateTime, default=utcnow, nullable=False)


class InboundMail(db.Model):
    """Every message the ingest service read, once per Message-ID (a second delivery
    is recognised here), with what became of it and the original kept for agents."""
    __tablename__ = "inbound_mail"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    from_address: Mapped[str | None] = mapped_column(String(254))
    subject: Mapped[str | None] = mapped_column(String(300))
    outcome: Mapped[str] = mapped_column(String(16), index=True)
    rule: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(500))
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("tickets.id", ondelete="SET NULL"), index=True)
    # The .eml in attachment storage (agents only; never an Attachment row).
    stored_name: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer, default=0)
    received_at = mapped_column(DateTime, default=utcnow, nullable=False, index=True)

    ticket = relationship("Ticket")
