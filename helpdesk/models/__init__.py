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
from .messages import Attachment, Message, PendingUpload
from .organizations import Organization, OrganizationDomain
from .reference import FaqEntry, Setting, SlaTarget
from .sessions import UserSession
from .stats import CatalogVersion, TicketStat
from .tickets import Category, Ticket, TicketCounter, TicketTag
from .tokens import ApiToken, TokenKind
from .users import RecoveryCode, Team, User, team_members
from .webhooks import WEBHOOK_EVENTS, Webhook, WebhookDelivery
from .working import (
                   FIELD_KINDS,
                   CustomField,
                   CustomFieldCategory,
                   DefaultView,
                   Macro,
                   SavedView,
                   TicketFieldValue,
)

# The canned replies became macros without actions (migration 0110).
CannedReply = Macro

__all__ = [
    "FIELD_KINDS", "CustomField", "CustomFieldCategory", "DefaultView", "Macro", "SavedView",
    "TicketFieldValue",
    "AGENT_STATUS_LABELS", "PRIORITY_LABELS",
    "AgentStatus", "ApiToken", "Attachment", "AuditEvent", "CannedReply", "CatalogVersion",
    "Category",
    "DONE_STATUSES", "FaqEntry", "Feedback", "InboundMail", "Message", "Notification",
    "OPEN_STATUSES", "Organization", "OrganizationDomain", "OutboxMail", "PendingUpload",
    "Priority", "RecoveryCode", "Role",
    "STATUS_LABELS", "Setting", "SlaTarget", "Status", "Team", "Ticket", "TicketCounter",
    "TicketLink", "TicketMailId", "TicketPresence", "TicketStat", "TicketTag", "TokenKind",
    "User", "UserSession", "WEBHOOK_EVENTS", "Webhook",
    "WebhookDelivery", "WorkerHeartbeat", "team_members", "utcnow",
]
