"""All models, importable from one place (Alembic needs them all loaded)."""
from .activity import AuditEvent, Feedback, Notification
from .base import (
                   AGENT_STATUS_LABELS,
                   DONE_STATUSES,
                   OPEN_STATUSES,
                   PRIORITY_LABELS,
                   STATUS_LABELS,
                   AgentStatus,
                   Priority,
                   Role,
                   Status,
                   utcnow,
)
from .messages import Attachment, Message
from .reference import CannedReply, FaqEntry, Setting, SlaTarget
from .tickets import Category, Ticket, TicketCounter, TicketTag
from .tokens import ApiToken, TokenKind
from .users import Team, User, team_members

__all__ = [
    "AGENT_STATUS_LABELS", "PRIORITY_LABELS",
    "AgentStatus", "ApiToken", "Attachment", "AuditEvent", "CannedReply", "Category",
    "DONE_STATUSES", "FaqEntry", "Feedback", "Message", "Notification", "OPEN_STATUSES",
    "Priority", "Role", "STATUS_LABELS", "Setting", "SlaTarget", "Status", "Team", "Ticket",
    "TicketCounter", "TicketTag", "TokenKind", "User", "team_members", "utcnow",
]
