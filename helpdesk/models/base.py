"""Shared column helpers for the models."""
from datetime import UTC, datetime
from enum import StrEnum


def utcnow() -> datetime:
    """Naive UTC: SQLite keeps no time zone, so every timestamp is stored as UTC."""
    return datetime.now(UTC).replace(tzinfo=None)


class Role(StrEnum):
    CUSTOMER = "customer"
    AGENT = "agent"
    ADMIN = "admin"


class AgentStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    SUSPENDED = "suspended"


class Priority(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    URGENT = "urgent"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return list(Priority).index(self)


class Status(StrEnum):
    NEW = "new"
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    ON_HOLD = "on_hold"
    RESOLVED = "resolved"
    CLOSED = "closed"


# The words people see for each value, everywhere (pages, flashes, CSV, statistics).
STATUS_LABELS = {
    Status.NEW: "New",
    Status.OPEN: "Open",
    Status.IN_PROGRESS: "In progress",
    Status.ON_HOLD: "Pending / on hold",
    Status.RESOLVED: "Resolved",
    Status.CLOSED: "Closed",
}
PRIORITY_LABELS = {
    Priority.LOW: "Low",
    Priority.MEDIUM: "Medium",
    Priority.HIGH: "High",
    Priority.URGENT: "Urgent",
    Priority.CRITICAL: "Critical",
}
AGENT_STATUS_LABELS = {
    AgentStatus.PENDING: "Pending",
    AgentStatus.APPROVED: "Approved",
    AgentStatus.REJECTED: "Rejected",
    AgentStatus.SUSPENDED: "Suspended",
}
OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.IN_PROGRESS, Status.ON_HOLD)
DONE_STATUSES = (Status.RESOLVED, Status.CLOSED)
