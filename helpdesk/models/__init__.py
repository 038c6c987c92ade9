"""All models, importable from one place (Alembic needs them all loaded)."""
from .activity import AuditEvent, Feedback, Notification
from .base import (
                   DONE_STATUSES,
                   OPEN_STATUSES,
                   STATUS_LABELS,
                   AgentStatus,
                   Priority,
                   Role,
                   Status,
                   utcnow,
)
from .mail import InboundMail, OutboxMail, TicketMailId
from .messages import Attachment, Message
from .reference import CannedReply, FaqEntry, Setting, SlaTarget
from .tickets import Category, Ticket, TicketCounter, TicketTag
from .users import Team, User, team_members

__all__ = [
    "AgentStatus", "Attachment", "AuditEvent", "CannedReply", "Category", "DONE_STATUSES",
    "FaqEntry", "Feedback", "InboundMail", "Message", "Notification", "OPEN_STATUSES",
    "OutboxMail", "Priority", "Role", "STATUS_LABELS", "Setting", "SlaTarget", "Status",
    "Team", "Ticket", "TicketCounter", "TicketMailId", "TicketTag", "User", "team_members",
    "utcnow",
]
