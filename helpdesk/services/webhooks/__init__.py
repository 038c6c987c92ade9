"""Webhooks: admins register URLs for the events they want; every matching event is
queued as a delivery in the transaction of the change (a subscriber of services/events)
and sent by the worker (`tasks.register("webhooks", ...)`), signed, with retries.

hooks.py: what admins manage; payloads.py: what is sent; targets.py: where it may go;
sending.py: how one delivery is sent.
"""
from flask import Flask
from sqlalchemy import select

from ...extensions import db
from ...models import Webhook, WebhookDelivery
from .. import events
from ..background import tasks
from ..background.deliveries import deliver_due
from ..unit_of_work import after_commit, on_rollback
from .payloads import event_payload, to_json
from .sending import send_delivery

_ACTIVE_HOOKS = "helpdesk_active_webhooks"


def active_hooks() -> list[Webhook]:
    """The active hooks, read once per transaction (auto-close publishes an event per
    ticket, hundreds in one unit of work) and forgotten when it ends."""
    info = db.session.info
    if _ACTIVE_HOOKS not in info:
        info[_ACTIVE_HOOKS] = list(db.session.scalars(
            select(Webhook).where(Webhook.active.is_(True)).order_by(Webhook.id)))
        forget = lambda: info.pop(_ACTIVE_HOOKS, None)  # noqa: E731
        after_commit(forget)
        on_rollback(forget)
    return info[_ACTIVE_HOOKS]


def queue_deliveries(event: events.Event) -> list[WebhookDelivery]:
    """One delivery per active hook that wants this event; an internal event (an
    internal note) only for hooks marked to include internal messages."""
    hooks = [hook for hook in active_hooks()
             if hook.wants(event.name) and (hook.include_internal or not event.internal)]
    if not hooks:
        return []
    db.session.flush()  # ids of what the event is about (the message's files)
    payload = to_json(event_payload(event))
    deliveries = [WebhookDelivery(webhook_id=hook.id, event=event.name, payload=payload)
                  for hook in hooks]
    db.session.add_all(deliveries)
    return deliveries


def send_due_deliveries() -> int:
    """The worker's task: send what is due; returns how many were attempted."""
    return deliver_due(WebhookDelivery, send_delivery)


def init_app(app: Flask) -> None:
    events.subscribe("webhooks", queue_deliveries)
    tasks.register("webhooks", send_due_deliveries)
