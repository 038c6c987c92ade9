"""What a webhook receives: the event as JSON, built inside the change's transaction.

Field names follow the JSON API's ticket and message shapes (docs/contract.md), so a
receiver can use one parser for both. Times are RFC 3339 in UTC.
"""
import json
from datetime import UTC, datetime

from ...models import Attachment, Feedback, Message, Ticket, User
from ..events import Event


def timestamp(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z")


def person(user: User | None, *, email: bool = False) -> dict | None:
    if user is None:
        return None
    data = {"id": user.id, "name": user.name, "role": str(user.role)}
    if email:
        data["email"] = user.email
    return data


def ticket_data(ticket: Ticket) -> dict:
    return {
        "number": ticket.number,
        "subject": ticket.subject,
        "description": ticket.description,
        "status": str(ticket.status),
        "priority": str(ticket.priority),
        "category": ticket.category.name if ticket.category else None,
        "team": ticket.team.name if ticket.team else None,
        "requester": person(ticket.requester, email=True),
        "assignee": person(ticket.assignee),
        "organization": ({"id": ticket.organization.id, "name": ticket.organization.name}
                         if ticket.organization else None),
        "tags": ticket.tag_names,
        "order_reference": ticket.order_reference,
        "due_at": timestamp(ticket.due_at),
        "first_response_at": timestamp(ticket.first_response_at),
        "resolved_at": timestamp(ticket.resolved_at),
        "closed_at": timestamp(ticket.closed_at),
        "created_at": timestamp(ticket.created_at),
        "updated_at": timestamp(ticket.updated_at),
    }


def attachment_data(attachment: Attachment) -> dict:
    return {"id": attachment.id, "filename": attachment.original_name,
            "size": attachment.size, "content_type": attachment.content_type}


def message_data(message: Message) -> dict:
    return {"id": message.id, "body": message.body, "internal": message.is_internal,
            "author": person(message.author), "created_at": timestamp(message.created_at),
            "attachments": [attachment_data(a) for a in message.attachments]}


def feedback_data(feedback: Feedback) -> dict:
    return {"rating": feedback.rating, "comment": feedback.comment}


def event_payload(event: Event) -> dict:
    """{"event", "occurred_at", "actor", "ticket", ...}; the event's own data after."""
    payload = {"event": event.name, "occurred_at": timestamp(event.occurred_at),
               "actor": person(event.actor), "ticket": ticket_data(event.ticket)}
    data = event.data
    if "changes" in data:
        payload["changes"] = list(data["changes"])
    if "old" in data or "new" in data:
        payload["old_status"] = str(data["old"]) if data.get("old") else None
        payload["new_status"] = str(data["new"]) if data.get("new") else None
    if data.get("escalated"):
        payload["escalated"] = True
    if "message" in data:
        payload["message"] = message_data(data["message"])
    if "feedback" in data:
        payload["feedback"] = feedback_data(data["feedback"])
    return payload


def to_json(payload: dict) -> str:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
