"""Tickets, their categories and tags."""
from sqlalchemy import Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import OPEN_STATUSES, Priority, Status, utcnow


class Category(db.Model):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    description: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    # New tickets in this category are routed to this team (auto-assignment).
    default_team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id", ondelete="SET NULL"))

    # Mail to this address (e.g. billing@example.com) opens tickets in this category.
    mail_address: Mapped[str | None] = mapped_column(String(254), unique=True)

    default_team = relationship("Team")

    def __repr__(self) -> str:
        return f"<Category {self.name}>"


class Ticket(db.Model):
    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    subject: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    # "markdown" or "text" (tickets from before Markdown, and from mail): see Message.format.
    description_format: Mapped[str] = mapped_column(String(8), default="markdown",
                                                    server_default="text")
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("categories.id", ondelete="SET NULL"), index=True)
    priority: Mapped[str] = mapped_column(String(16), default=Priority.MEDIUM, index=True)
    status: Mapped[str] = mapped_column(String(16), default=Status.NEW, index=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id", ondelete="SET NULL"), index=True)
    order_reference: Mapped[str | None] = mapped_column(String(100))
    # Denormalised from the requester when the ticket is opened, so "this organization's
    # tickets" (queue and API filter, organization page, shared visibility) is one index
    # lookup at a million tickets instead of a join through users. It records the
    # organization the ticket was opened for and is never rewritten: a customer who
    # moves takes only new tickets along (the old ones stay in the old company's
    # history, and never become visible to the new colleagues).
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL"))
    # Where the ticket came from: "web" (portal or queue) or "mail".
    channel: Mapped[str] = mapped_column(String(8), default="web")
    # A follow-up ticket opened from a closed one points back at it.
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("tickets.id", ondelete="SET NULL"), index=True)  # SET NULL on delete
    # A duplicate merged into another ticket points at it (services/tickets/merging.py):
    # its number and URLs lead there. Chains are flattened when the target is merged.
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("tickets.id", ondelete="SET NULL"), index=True)

    # SLA: due dates come from the targets per priority unless set by hand.
    due_at = mapped_column(DateTime, index=True)
    first_response_due_at = mapped_column(DateTime)
    due_set_manually: Mapped[bool] = mapped_column(Boolean, default=False)
    estimated_hours: Mapped[float | None] = mapped_column(Float)
    actual_hours: Mapped[float | None] = mapped_column(Float)

    created_at = mapped_column(DateTime, default=utcnow, nullable=False, index=True)
    updated_at = mapped_column(DateTime, default=utcnow, onupdate=utcnow, nullable=False)
    # Any public or internal activity; the queue's default sort.
    last_activity_at = mapped_column(DateTime, default=utcnow, nullable=False, index=True)
    # What the customer can see happen (public replies, status): "My tickets" sorts on it,
    # so internal notes do not betray themselves by moving a ticket up the list.
    public_activity_at = mapped_column(DateTime, default=utcnow)
    first_response_at = mapped_column(DateTime)
    resolved_at = mapped_column(DateTime, index=True)  # resolved-per-day on the dashboard
    closed_at = mapped_column(DateTime)
    escalated_at = mapped_column(DateTime)
    # For the customer's "new reply" marker: last public agent reply vs last visit.
    last_agent_reply_at = mapped_column(DateTime)
    requester_seen_at = mapped_column(DateTime)

    category = relationship("Category")
    team = relationship("Team")
    requester = relationship("User", foreign_keys=[requester_id])
    created_by = relationship("User", foreign_keys=[created_by_id])
    assignee = relationship("User", foreign_keys=[assignee_id])
    organization = relationship("Organization")
    parent = relationship("Ticket", remote_side=[id], foreign_keys=[parent_id])
    tags = relationship("TicketTag", cascade="all, delete-orphan", passive_deletes=True,
                        order_by="TicketTag.name")
    messages = relationship("Message", back_populates="ticket", cascade="all, delete-orphan",
                            passive_deletes=True, order_by="Message.created_at")
    attachments = relationship("Attachment", back_populates="ticket",
                               cascade="all, delete-orphan", passive_deletes=True)
    feedback = relationship("Feedback", back_populates="ticket", uselist=False,
                            cascade="all, delete-orphan", passive_deletes=True)

    __table_args__ = (
        # The queue's common shapes: open tickets by activity, mine, and my tickets.
        Index("ix_tickets_status_activity", "status", "last_activity_at"),
        Index("ix_tickets_assignee_status_activity", "assignee_id", "status",
              "last_activity_at"),
        Index("ix_tickets_requester_activity", "requester_id", "last_activity_at"),
        Index("ix_tickets_requester_public_activity", "requester_id", "public_activity_at"),
        Index("ix_tickets_status_due", "status", "due_at"),
        # An organization's tickets by activity: the queue filter, its page, shared view.
        Index("ix_tickets_organization_activity", "organization_id", "last_activity_at"),
    )

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def tag_names(self) -> list[str]:
        return [t.name for t in self.tags]

    def __repr__(self) -> str:
        return f"<Ticket {self.number} {self.status}>"


class TicketTag(db.Model):
    __tablename__ = "ticket_tags"

    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(50), primary_key=True, index=True)

    # tag:NAME and the Tags filter: ticket ids for a name from the index alone.
    __table_args__ = (Index("ix_ticket_tags_name_ticket", "name", "ticket_id"),)


class TicketCounter(db.Model):
    """One row per sequence; see services.tickets.numbering for why a row and not a sequence."""
    __tablename__ = "ticket_counters"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)
