"""The console's audit log: every recorded change, filtered in SQL."""
from datetime import date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from ...models import AuditEvent, User
from ..catalog.settings import ticket_prefix
from ..matching import contains_pattern
from ..queue.search import number_candidates

# Every recorded action with the name people read: the audit log's filter and table, the
# ticket history (EVENT_VERBS) and the CSV all take their words from here.
EVENT_NAMES: dict[str, str] = {
    # tickets
    "created": "Ticket opened", "replied": "Public reply", "internal_note": "Internal note",
    "attachment_added": "Files attached", "status_changed": "Status changed",
    "reopened": "Reopened", "withdraw": "Withdrawn by the customer",
    "confirm": "Resolution confirmed", "autoclosed": "Closed automatically",
    "taken": "Taken", "assigned": "Assignee changed", "priority_changed": "Priority changed",
    "escalated": "Escalated", "team_changed": "Team changed",
    "category_changed": "Category changed", "tags_changed": "Tags changed",
    "estimated_hours_changed": "Estimate changed",
    "actual_hours_changed": "Actual hours changed", "due_changed": "Due date changed",
    "feedback": "Rated", "deleted": "Ticket deleted", "message_edited": "Message edited",
    "message_deleted": "Message deleted", "merged": "Merged into another ticket",
    "merged_into": "Merged (this ticket kept)", "merged_from": "A ticket merged in",
    "linked": "Related ticket linked", "unlinked": "Related ticket unlinked",
    # people
    "agent_applied": "Agent applied", "agent_approved": "Agent approved",
    "agent_rejected": "Agent rejected", "agent_suspended": "Agent suspended",
    "agent_reactivated": "Agent reactivated", "promoted_to_admin": "Made an admin",
    "customer_deactivated": "Customer deactivated",
    "customer_reactivated": "Customer reactivated", "teams_changed": "Teams changed",
    "team_members_changed": "Team members changed", "password_reset": "Password reset",
    "email_changed": "E-mail changed", "api_token_created": "API token created",
    "api_token_revoked": "API token revoked",
    # reference data and settings
    "category_created": "Category created", "category_updated": "Category changed",
    "category_moved": "Categories reordered", "team_created": "Team created",
    "team_updated": "Team changed", "team_deleted": "Team deleted",
    "faq_created": "FAQ entry created", "faq_updated": "FAQ entry changed",
    "faq_deleted": "FAQ entry deleted", "canned_reply_created": "Canned reply created",
    "canned_reply_updated": "Canned reply changed",
    "canned_reply_deleted": "Canned reply deleted", "setting_changed": "Setting changed",
    "sla_updated": "SLA targets changed", "organization_created": "Organization created",
    "organization_updated": "Organization changed",
    "organization_deleted": "Organization deleted",
    "organization_member_added": "Organization member added",
    "organization_member_removed": "Organization member removed",
    "webhook_created": "Webhook created", "webhook_updated": "Webhook changed",
    "webhook_deleted": "Webhook deleted", "webhook_secret_rotated": "Webhook secret rotated",
    "webhook_delivery_retried": "Webhook delivery retried",
    "mail_received": "Mail received", "mail_retried": "Mail sent again",
    # agents' tools
    "macro_applied": "Macro applied", "macro_created": "Macro created",
    "macro_updated": "Macro changed", "macro_deleted": "Macro deleted",
    "tag_renamed": "Tag renamed", "tag_merged": "Tags merged",
    "custom_field_created": "Custom field created", "custom_field_updated": "Custom field changed",
    "custom_field_changed": "Custom field value changed",
    "view_saved": "Saved view saved", "view_deleted": "Saved view deleted",
    # sign-in and sessions
    "sign_in_failures": "Failed sign-ins", "session_ended": "Session ended",
    "other_sessions_ended": "Other sessions ended",
    "signed_out_everywhere": "Signed out everywhere",
    "two_factor_enabled": "Two-step sign-in turned on",
    "two_factor_disabled": "Two-step sign-in turned off",
    "two_factor_failed": "Wrong two-step code", "two_factor_reset": "Two-step sign-in reset",
    "recovery_code_used": "Recovery code used",
}
AUDIT_ACTIONS = tuple(EVENT_NAMES)
# How a ticket's history says it: "Alex Agent took the ticket".
EVENT_VERBS: dict[str, str] = {
    "created": "opened the ticket", "replied": "replied",
    "internal_note": "added an internal note", "attachment_added": "attached files",
    "status_changed": "changed the status", "reopened": "reopened the ticket",
    "withdraw": "withdrew the ticket", "confirm": "confirmed the resolution",
    "autoclosed": "closed the ticket automatically", "taken": "took the ticket",
    "assigned": "changed the assignee", "priority_changed": "changed the priority",
    "escalated": "escalated the ticket", "team_changed": "changed the team",
    "category_changed": "changed the category", "tags_changed": "changed the tags",
    "estimated_hours_changed": "changed the estimate",
    "actual_hours_changed": "changed the actual hours", "due_changed": "changed the due date",
    "feedback": "rated the help", "deleted": "deleted the ticket",
    "message_edited": "edited a message", "message_deleted": "deleted a message",
    "merged": "closed the ticket by merging it", "merged_into": "merged this ticket",
    "merged_from": "merged a ticket into this one", "linked": "linked a related ticket",
    "unlinked": "removed a related ticket", "macro_applied": "applied a macro",
    "custom_field_changed": "changed a custom field",
}


def event_name(action: str | None) -> str:
    """"Priority changed" for priority_changed; an action nobody named yet, readably."""
    action = action or ""
    return EVENT_NAMES.get(action) or action.replace("_", " ").capitalize()


def event_verb(action: str | None) -> str:
    action = action or ""
    return EVENT_VERBS.get(action) or action.replace("_", " ")


def action_choices() -> list[tuple[str, str]]:
    """The action filter's options: readable names, alphabetically."""
    return sorted(EVENT_NAMES.items(), key=lambda pair: pair[1].lower())


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
