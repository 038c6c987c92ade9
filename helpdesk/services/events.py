"""Domain events: services say what happened; subscribers decide what follows.

A service calls `publish("ticket.created", ticket, actor=...)` inside its unit of work,
after the change. Subscribers run at once, in that same transaction, so what they write
(webhook deliveries, see services/webhooks.py) commits with the change or rolls back
with it: a rolled-back change never announces itself. The services know nothing about
who listens.

Events: ticket.created, ticket.updated (changes=[field names]), ticket.status_changed
(old, new), message.created (message; internal=True for internal notes),
feedback.created (feedback).
"""
from collections.abc import Callable
from dataclasses import dataclass, field

from ..models import Ticket, User, utcnow
from .unit_of_work import in_unit_of_work


@dataclass(frozen=True)
class Event:
    name: str
    ticket: Ticket
    actor: User | None
    data: dict = field(default_factory=dict)
    internal: bool = False          # only for listeners allowed to see internal notes
    occurred_at: object = field(default_factory=utcnow)


Subscriber = Callable[[Event], None]
_SUBSCRIBERS: dict[str, Subscriber] = {}


def subscribe(name: str, subscriber: Subscriber) -> None:
    """Register (or replace) the subscriber called `name`: safe to call per app."""
    _SUBSCRIBERS[name] = subscriber


def publish(name: str, ticket: Ticket, *, actor: User | None = None, internal: bool = False,
            **data) -> Event:
    """Announce an event to every subscriber, inside the caller's unit of work."""
    if not in_unit_of_work():
        raise RuntimeError(f"{name} published outside a unit of work: it would not share "
                           "the change's transaction")
    event = Event(name=name, ticket=ticket, actor=actor, data=data, internal=internal)
    for subscriber in list(_SUBSCRIBERS.values()):
        subscriber(event)
    return event
