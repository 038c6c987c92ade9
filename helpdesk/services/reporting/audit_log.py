"""The console's audit log: every recorded change, filtered in SQL."""
from datetime import date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from ...models import AuditEvent, User
from ..catalog.settings import ticket_prefix
from ..matching import contains_pattern
from ..queue.search import number_candidates

# Offered as suggestions in the audit log's action filter; any action can be typed.
AUDIT_ACTIONS = (
    "created", "replied", "internal_note", "attachment_added", "status_changed", "reopened",
    "withdraw", "confirm", "autoclosed", "taken", "assigned", "priority_changed",
    "escalated", "feedback", "deleted", "agent_applied", "agent_approved", "agent_rejected",
    "agent_suspended", "agent_reactivated", "promoted_to_admin", "customer_deactivated",
    "customer_reactivated", "teams_changed", "team_members_changed", "setting_changed",
    "sla_updated", "organization_created", "organization_updated", "organization_deleted",
    "organization_member_added", "organization_member_removed", "webhook_created",
    "webhook_updated", "webhook_deleted", "webhook_secret_rotated", "webhook_delivery_retried",
    "mail_received", "mail_retried", "password_reset", "email_changed",
)
SYSTEM_ACTOR = "system"


def audit_log_query(*, actor: str | None = None, action: str | None = None,
                    ticket: str | None = None, date_from: date | None = None,
                    date_to: date | None = None):
    """Audit events, newest first, filtered in SQL; the caller paginates. `actor` is a
    name or e-mail fragment, or "system" for changes nobody made by hand."""
    query = (select(AuditEvent)
             .options(selectinload(AuditEvent.actor), selectinload(AuditEvent.subject_user))
             .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc()))
    actor = (actor or "").strip().lower()
    if actor == SYSTEM_ACTOR:
        query = query.where(AuditEvent.actor_id.is_(None))
    elif actor:
        like = contains_pattern(actor)
        people = select(User.id).where(or_(func.lower(User.name).like(like, escape="\\"),
                                           User.email.like(like, escape="\\")))
        query = query.where(AuditEvent.actor_id.in_(people))
    if (action or "").strip():
        query = query.where(AuditEvent.action == action.strip().lower())
    if (ticket or "").strip():
        query = query.where(AuditEvent.ticket_number.in_(ticket_numbers(ticket)))
    if date_from:
        query = query.where(AuditEvent.created_at >= datetime.combine(date_from, time.min))
    if date_to:
        query = query.where(AuditEvent.created_at < datetime.combine(
            date_to + timedelta(days=1), time.min))
    return query


def ticket_numbers(typed: str) -> list[str]:
    """The ticket numbers someone may mean: as typed in any case ("hd-000042" when an
    admin chose a lower-case prefix), and "42" or "#42" with today's prefix."""
    typed = typed.strip()
    numbers = {typed, typed.upper(), typed.lower()}
    numbers.update(number_candidates(typed, ticket_prefix(),
                                     current_app.config["TICKET_NUMBER_DIGITS"]))
    return sorted(numbers)
