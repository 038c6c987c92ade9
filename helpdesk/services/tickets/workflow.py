"""The ticket workflow: product.md's status table as one pure structure.

No database, no Flask. The ticket service asks `next_status` before every change
and the workspace asks `allowed_targets` which statuses to offer, so the rules live
here once. `Way` says *how* a transition is triggered: by a person choosing a status,
or as the consequence of another action (a customer reply, a take, an assignment).
"""
from collections.abc import Iterable
from enum import StrEnum

from ...models.base import Role, Status


class Way(StrEnum):
    AGENT = "agent"                # the assigned agent (or an admin) chooses the status
    ADMIN = "admin"                # admins only (reopening a closed ticket)
    ASSIGN = "assign"              # an admin assigns the ticket
    TAKE = "take"                  # an agent takes (self-assigns) the ticket
    CUSTOMER_REPLY = "customer_reply"
    WITHDRAW = "withdraw"          # the customer withdraws an unresolved ticket
    CONFIRM = "confirm"            # the customer confirms a resolution ("This is solved")
    AUTOCLOSE = "autoclose"        # resolved for N days
    MERGE = "merge"                # merged into another ticket (services/tickets/merging.py)


S, W = Status, Way

# from status -> {to status: ways that may cause it}
TRANSITIONS: dict[Status, dict[Status, frozenset[Way]]] = {
    S.NEW: {
        S.OPEN: frozenset({W.ASSIGN}),
        S.IN_PROGRESS: frozenset({W.TAKE, W.AGENT}),
        S.RESOLVED: frozenset({W.AGENT}),
        S.CLOSED: frozenset({W.AGENT, W.WITHDRAW, W.MERGE}),
    },
    S.OPEN: {
        S.IN_PROGRESS: frozenset({W.TAKE, W.AGENT}),
        S.ON_HOLD: frozenset({W.AGENT}),
        S.RESOLVED: frozenset({W.AGENT}),
        S.CLOSED: frozenset({W.AGENT, W.WITHDRAW, W.MERGE}),
    },
    S.IN_PROGRESS: {
        S.OPEN: frozenset({W.AGENT}),
        S.ON_HOLD: frozenset({W.AGENT}),
        S.RESOLVED: frozenset({W.AGENT}),
        S.CLOSED: frozenset({W.AGENT, W.WITHDRAW, W.MERGE}),
    },
    S.ON_HOLD: {
        S.OPEN: frozenset({W.CUSTOMER_REPLY, W.AGENT}),
        S.IN_PROGRESS: frozenset({W.AGENT}),
        S.RESOLVED: frozenset({W.AGENT}),
        S.CLOSED: frozenset({W.AGENT, W.WITHDRAW, W.MERGE}),
    },
    S.RESOLVED: {
        S.OPEN: frozenset({W.CUSTOMER_REPLY, W.AGENT}),
        S.IN_PROGRESS: frozenset({W.AGENT}),
        S.CLOSED: frozenset({W.CONFIRM, W.AGENT, W.AUTOCLOSE, W.MERGE}),
    },
    S.CLOSED: {
        S.OPEN: frozenset({W.ADMIN}),
    },
}

# Taking an unassigned ticket from these statuses assigns it without moving it (work
# already started, or it waits); from new and open it starts work (the table above).
# A closed ticket cannot be taken: only an admin's reopen brings it back.
TAKE_KEEPS_STATUS = frozenset({S.IN_PROGRESS, S.ON_HOLD, S.RESOLVED})

# Ways that are consequences of another action: at most one target per status.
EVENT_WAYS = frozenset({W.ASSIGN, W.TAKE, W.CUSTOMER_REPLY, W.WITHDRAW, W.CONFIRM,
                        W.AUTOCLOSE, W.MERGE})


def manual_ways(role: str) -> frozenset[Way]:
    """The ways by which someone of this role may pick a status by hand."""
    if role == Role.ADMIN:
        return frozenset({W.AGENT, W.ADMIN})
    if role == Role.AGENT:
        return frozenset({W.AGENT})
    return frozenset()


def is_allowed(current: str, target: str, ways: Iterable[Way]) -> bool:
    allowed = TRANSITIONS.get(Status(current), {}).get(Status(target), frozenset())
    return not allowed.isdisjoint(ways)


def allowed_targets(current: str, ways: Iterable[Way]) -> list[Status]:
    """Statuses reachable from `current` by any of `ways`, in workflow order."""
    ways = frozenset(ways)
    reachable = TRANSITIONS.get(Status(current), {})
    return [s for s in Status if s in reachable and not reachable[s].isdisjoint(ways)]


def next_status(current: str, way: Way) -> Status | None:
    """Where an event (take, assign, customer reply, ...) moves a ticket, or None if it
    leaves the status as it is."""
    if way not in EVENT_WAYS:
        raise ValueError(f"{way} is chosen by a person; use is_allowed()")
    targets = allowed_targets(current, {way})
    return targets[0] if targets else None


def can_be_taken(current: str) -> bool:
    """Whether the workflow lets an agent take a ticket in this status."""
    return next_status(current, W.TAKE) is not None or Status(current) in TAKE_KEEPS_STATUS
