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
from .flow import TicketLink, TicketPresence
from .heartbeats import WorkerHeartbeat
from .mail import InboundMail, OutboxMail, TicketMailId
from .messages import Attachment, Message
from .organizations import Organization, OrganizationDomain
from .reference import CannedReply, FaqEntry, Setting, SlaTarget
from .tickets import Category, Ticket, TicketCounter, TicketTag
from .tokens import ApiToken, TokenKind
from .users import Team, User, team_members
from .webhooks import WEBHOOK_EVENTS, Webhook, WebhookDelivery

__all__ = [
    "AGENT_STATUS_LABELS", "PRIORITY_LABELS",
    "AgentStatus", "ApiToken", "Attachment", "AuditEvent", "CannedReply", "Category",
    "DONE_STATUSES", "FaqEntry", "Feedback", "InboundMail", "Message", "Notification",
    "OPEN_STATUSES", "Organization", "OrganizationDomain", "OutboxMail", "Priority", "Role",
    "STATUS_LABELS", "Setting", "SlaTarget", "Status", "Team", "Ticket", "TicketCounter",
    "TicketLink", "TicketMailId", "TicketPresence", "TicketTag", "TokenKind", "User",
    "WEBHOOK_EVENTS", "Webhook", "WebhookDelivery", "WorkerHeartbeat", "team_members", "utcnow",
]
