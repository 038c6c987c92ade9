"""Which events mail a person: everything by default; each person turns groups off on
their account page. Mail about the account itself (password reset, address checks,
decisions about an agent application) always goes out."""
from dataclasses import dataclass

from ...models import User
from ..unit_of_work import unit_of_work


@dataclass(frozen=True)
class MailEvent:
    key: str
    label: str
    kinds: frozenset[str]
    for_staff: bool
    for_customers: bool


MAIL_EVENTS = (
    MailEvent("replies", "New replies on my tickets",
              frozenset({"agent_replied", "customer_replied", "attachment_added", "mail_note"}),
              True, True),
    MailEvent("status", "Status changes (resolved, closed, reopened …)",
              frozenset({"status_changed", "closed"}), True, True),
    MailEvent("new_tickets", "New tickets for my team",
              frozenset({"ticket_created"}), True, False),
    MailEvent("assignments", "Tickets assigned to me and escalations",
              frozenset({"assigned", "escalated"}), True, False),
    MailEvent("feedback", "Ratings from customers", frozenset({"feedback"}), True, False),
)
_GROUP_OF = {kind: event.key for event in MAIL_EVENTS for kind in event.kinds}


def events_for(user: User) -> list[MailEvent]:
    """The choices this person's account page offers."""
    return [e for e in MAIL_EVENTS
            if (e.for_staff if not user.is_customer else e.for_customers)]


def wants_mail(user: User, kind: str) -> bool:
    group = _GROUP_OF.get(kind)
    return group is None or group not in (user.mail_muted or [])


def enabled_keys(user: User) -> list[str]:
    return [e.key for e in events_for(user) if e.key not in (user.mail_muted or [])]


def set_mail_preferences(user: User, enabled: list[str]) -> None:
    """Save the account page's choices: every offered group not ticked is muted."""
    offered = [e.key for e in events_for(user)]
    with unit_of_work():
        user.mail_muted = sorted(key for key in offered if key not in set(enabled))
