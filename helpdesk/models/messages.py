"""The conversation on a ticket: public replies, internal notes and their files."""
from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import utcnow


class Message(db.Model):
    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    body: Mapped[str] = mapped_column(Text)
    # How the body is written: "markdown" (new messages from pages and the API) or
    # "text" (messages from before Markdown, and mail, shown as they were).
    format: Mapped[str] = mapped_column(String(8), default="markdown", server_default="text")
    # Internal notes are for agents and admins only; loaders filter them in the query.
    is_internal: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at = mapped_column(DateTime, default=utcnow, nullable=False)
    # Set when the author (or an admin) edits the body; the audit trail keeps the old text.
    edited_at = mapped_column(DateTime)
    # Set on messages that came from another ticket by a merge: "from TKT-000042".
    merged_from_number: Mapped[str | None] = mapped_column(String(32))

    ticket = relationship("Ticket", back_populates="messages")
    author = relationship("User")
    attachments = relationship("Attachment", back_populates="message",
                               cascade="all, delete-orphan", passive_deletes=True,
                               order_by="Attachment.id")

    __table_args__ = (Index("ix_messages_ticket_created", "ticket_id", "created_at"),)


class Attachment(db.Model):
    """A file on disk (under a random key) belonging to a ticket or to one message."""
    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    # None: attached when the ticket was opened (public, like the description).
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    uploader_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    original_name: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at = mapped_column(DateTime, default=utcnow, nullable=False)

    ticket = relationship("Ticket", back_populates="attachments")
    message = relationship("Message", back_populates="attachments")
    uploader = relationship("User")


class PendingUpload(db.Model):
    """A file from a form that failed validation, kept for its owner for a short time
    so it need not be chosen again; it becomes an Attachment when the form succeeds, or
    is deleted with its stored bytes when it expires (the worker's housekeeping)."""
    __tablename__ = "pending_uploads"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                          index=True)
    original_name: Mapped[str] = mapped_column(String(255))
    storage_key: Mapped[str] = mapped_column(String(64), unique=True)
    size: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String(100))
    sha256: Mapped[str] = mapped_column(String(64))
    created_at = mapped_column(DateTime, default=utcnow, nullable=False)
    expires_at = mapped_column(DateTime, nullable=False, index=True)
