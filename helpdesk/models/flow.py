"""Working together on tickets: related tickets, and who is looking at one right now."""
from sqlalchemy import DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import utcnow


class TicketLink(db.Model):
    """"Related" tickets. Stored both ways (two rows per pair), so either side lists its
    links with one indexed lookup on the primary key's first column."""
    __tablename__ = "ticket_links"

    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True)
    related_id: Mapped[int] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True, index=True)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    created_at = mapped_column(DateTime, default=utcnow, nullable=False)

    related = relationship("Ticket", foreign_keys=[related_id])


class TicketPresence(db.Model):
    """An agent has this ticket open ("viewing") or is typing in it ("replying"). One
    row per (ticket, agent), upserted by the page's poll; rows older than the poll's
    window are simply ignored (and overwritten next time)."""
    __tablename__ = "ticket_presence"

    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    state: Mapped[str] = mapped_column(String(16), default="viewing")
    seen_at = mapped_column(DateTime, default=utcnow, nullable=False)

    # The poll: this ticket's rows seen in the last minute.
    __table_args__ = (Index("ix_ticket_presence_ticket_seen", "ticket_id", "seen_at"),)
