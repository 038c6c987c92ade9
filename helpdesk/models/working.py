"""Agents' tools: saved queue views, macros (canned replies with actions), custom fields."""
from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import utcnow


class SavedView(db.Model):
    """A named queue view: the queue's query string (filters and sort). Personal
    (owner_id set) or shared by an admin with every agent (team_id None) or one team."""
    __tablename__ = "saved_views"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    query: Mapped[str] = mapped_column(Text, default="")
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True)
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"),
                                                index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at = mapped_column(DateTime, default=utcnow, nullable=False)

    owner = relationship("User")
    team = relationship("Team")


class DefaultView(db.Model):
    """The view an agent's queue opens with (none: the plain queue)."""
    __tablename__ = "default_views"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    view_id: Mapped[int] = mapped_column(ForeignKey("saved_views.id", ondelete="CASCADE"),
                                         index=True)


class Macro(db.Model):
    """A canned reply with placeholders plus actions. Shared (owner_id None, admins
    manage them) or an agent's own. The former canned replies are macros without actions."""
    __tablename__ = "macros"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text, default="")
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # JSON: {"status", "priority", "team_id", "assignee", "add_tags", "remove_tags"}
    actions: Mapped[str] = mapped_column(Text, default="{}")
    created_at = mapped_column(DateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(DateTime, default=utcnow, onupdate=utcnow, nullable=False)

    owner = relationship("User")


FIELD_KINDS = {"text": "Text", "number": "Number", "choice": "Choice",
               "multi": "Multiple choice", "date": "Date", "yesno": "Yes/no"}


class CustomField(db.Model):
    __tablename__ = "custom_fields"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    label: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(8))
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    customer_visible: Mapped[bool] = mapped_column(Boolean, default=True)
    options: Mapped[str] = mapped_column(Text, default="")   # one choice per line
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    categories = relationship("Category", secondary="custom_field_categories",
                              order_by="Category.name")

    @property
    def choices(self) -> list[str]:
        return [line.strip() for line in (self.options or "").splitlines() if line.strip()]


class CustomFieldCategory(db.Model):
    """A field limited to some categories (no rows: every ticket)."""
    __tablename__ = "custom_field_categories"

    field_id: Mapped[int] = mapped_column(
        ForeignKey("custom_fields.id", ondelete="CASCADE"), primary_key=True)
    category_id: Mapped[int] = mapped_column(
        ForeignKey("categories.id", ondelete="CASCADE"), primary_key=True)


class TicketFieldValue(db.Model):
    """One value of a custom field on a ticket (EAV, typed columns; a multi-choice field
    has one row per picked option). The composite indexes start with the field, then the
    value, then the ticket: `cf_plan=gold` is one index range giving ticket ids."""
    __tablename__ = "ticket_field_values"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    field_id: Mapped[int] = mapped_column(ForeignKey("custom_fields.id", ondelete="CASCADE"))
    value_text: Mapped[str | None] = mapped_column(String(500))
    value_number: Mapped[float | None] = mapped_column(Float)
    value_date = mapped_column(Date)

    field = relationship("CustomField")

    __table_args__ = (
        Index("ix_ticket_field_values_ticket_field", "ticket_id", "field_id"),
        Index("ix_ticket_field_values_text", "field_id", "value_text", "ticket_id"),
        Index("ix_ticket_field_values_number", "field_id", "value_number", "ticket_id"),
        Index("ix_ticket_field_values_date", "field_id", "value_date", "ticket_id"),
    )


__all__ = ["FIELD_KINDS", "CustomField", "CustomFieldCategory", "DefaultView", "Macro",
           "SavedView", "TicketFieldValue"]
