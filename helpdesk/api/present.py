"""What each caller sees of tickets, messages and the rest, as plain dicts for the
schemas to dump. Customers see what the portal shows them: not the team, tags, due
dates or internal activity; the policy decides what can be done next."""
import hashlib
import json
from datetime import datetime

from flask import url_for

from .. import permissions
from ..models import Attachment, AuditEvent, Message, Ticket, User
from ..services.fields.definitions import all_fields
from ..services.fields.values import values_by_ticket
from ..services.tickets.sla import sla_state
from .schemas import TicketSchema


def ref(row) -> dict | None:
    return {"id": row.id, "name": row.name} if row is not None else None


def person(user: User) -> dict:
    return {"id": user.id, "name": user.name, "email": user.email}


def author(user: User) -> dict:
    return {"id": user.id, "name": user.name, "role": user.role}


def attachment(row: Attachment) -> dict:
    return {"id": row.id, "filename": row.original_name, "size": row.size,
            "content_type": row.content_type,
            "url": url_for("api.attachment", attachment_id=row.id)}


def ticket(row: Ticket, viewer: User, now: datetime | None = None,
           custom: dict | None = None) -> dict:
    """`custom`: the custom-field values of this ticket as this caller may see them
    (lists pass them in, loaded for the page in one query; otherwise loaded here)."""
    staff = viewer.is_staff
    if custom is None:
        custom = values_by_ticket([row.id], viewer).get(row.id, {})
    return {
        "number": row.number, "subject": row.subject, "description": row.description,
        "status": row.status, "priority": row.priority, "category": ref(row.category),
        "team": ref(row.team) if staff else None, "requester": person(row.requester),
        "assignee": ref(row.assignee), "organization": ref(row.organization),
        "tags": row.tag_names if staff else [], "order_reference": row.order_reference,
        "due_at": row.due_at if staff else None,
        "overdue": sla_state(row, now).overdue if staff else None,
        "first_response_at": row.first_response_at, "resolved_at": row.resolved_at,
        "closed_at": row.closed_at, "created_at": row.created_at,
        "updated_at": (row.last_activity_at if staff
                       else row.public_activity_at or row.created_at),
        "custom_fields": custom_fields(custom),
    }


def custom_fields(found: dict) -> dict:
    """{key: value}: a list for multiple choice, else the one value."""
    kinds = {f.key: f.kind for f in all_fields(active_only=True)} if found else {}
    return {key: (values if kinds.get(key) == "multi" else (values[0] if values else None))
            for key, values in found.items()}


def ticket_detail(row: Ticket, viewer: User, files: list[Attachment]) -> dict:
    parent = row.parent
    shows_parent = parent is not None and permissions.can_view_ticket(viewer, parent)
    feedback = row.feedback
    return {
        **ticket(row, viewer),
        "attachments": [attachment(a) for a in files],
        "feedback": {"rating": feedback.rating, "comment": feedback.comment,
                     "created_at": feedback.created_at} if feedback else None,
        "follow_up": parent.number if shows_parent else None,
        "allowed_statuses": [str(s) for s in permissions.requestable_statuses(viewer, row)],
    }


def etag(row: Ticket, viewer: User) -> str:
    """A strong ETag of the ticket as this caller sees it: any change to a field they
    see (status, priority, category, team, tags, due date, ...) changes it."""
    data = ticket(row, viewer)
    dumped = TicketSchema().dump(data)
    dumped.pop("overdue", None)  # follows the clock, not a change
    dumped["updated_at"] = data["updated_at"].isoformat()  # to the microsecond
    digest = hashlib.sha256(json.dumps(dumped, sort_keys=True).encode()).hexdigest()
    return f'"{digest[:32]}"'


def message(row: Message) -> dict:
    return {"id": row.id, "body": row.body, "internal": row.is_internal,
            "author": author(row.author), "created_at": row.created_at,
            "edited_at": row.edited_at,
            "attachments": [attachment(a) for a in row.attachments]}


def history_event(event: AuditEvent) -> dict:
    return {"id": event.id, "action": event.action, "field": event.field,
            "old_value": event.old_value, "new_value": event.new_value, "note": event.note,
            "internal": event.internal,
            "actor": author(event.actor) if event.actor else None,
            "created_at": event.created_at}


def agent(user: User) -> dict:
    return {**person(user), "role": user.role, "agent_status": user.agent_status,
            "contact_number": user.contact_number, "created_at": user.created_at}
