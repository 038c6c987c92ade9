"""What admins manage: webhooks (URL, events, internal messages, on/off, secret) and
their delivery log. Each change is one transaction with an audit event."""
import secrets
from collections.abc import Iterable

from sqlalchemy import select

from ... import permissions
from ...extensions import db
from ...models import WEBHOOK_EVENTS, User, Webhook, WebhookDelivery
from ...models.deliveries import DeliveryState
from .. import audit
from ..background import deliveries
from ..errors import Forbidden, InvalidInput, NotFound
from ..unit_of_work import unit_of_work
from .targets import TargetRefused, check_target


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def _require_admin(admin: User) -> None:
    if not permissions.can_manage_webhooks(admin):
        raise Forbidden("Only admins manage webhooks.")


def get(webhook_id) -> Webhook:
    hook = db.session.get(Webhook, webhook_id) if webhook_id else None
    if hook is None:
        raise NotFound("No such webhook.")
    return hook


def webhooks() -> list[Webhook]:
    return list(db.session.scalars(select(Webhook).order_by(Webhook.id)))


def checked_url(url: str) -> str:
    """The URL as saved, if it may receive webhooks (field: url)."""
    try:
        check_target(url)
    except TargetRefused as error:
        raise InvalidInput(str(error), field="url") from None
    return url.strip()


def checked_events(names: Iterable[str]) -> str:
    chosen = [name for name in WEBHOOK_EVENTS if name in set(names or ())]
    unknown = set(names or ()) - set(WEBHOOK_EVENTS)
    if unknown or not chosen:
        raise InvalidInput("Choose at least one of the listed events.", field="events")
    return ",".join(chosen)


def create_webhook(admin: User, *, url: str, events: Iterable[str], description: str = "",
                   include_internal: bool = False, active: bool = True) -> Webhook:
    """A new hook with a new random secret (hook.secret: show it once)."""
    _require_admin(admin)
    hook = Webhook(url=checked_url(url), events=checked_events(events),
                   description=(description or "").strip() or None,
                   include_internal=bool(include_internal), active=bool(active),
                   secret=new_secret())
    with unit_of_work():
        db.session.add(hook)
        audit.record(None, admin, "webhook_created", note=hook.url)
    return hook


def update_webhook(admin: User, hook: Webhook, *, url: str, events: Iterable[str],
                   description: str = "", include_internal: bool = False,
                   active: bool = True) -> None:
    """Change a hook; its secret stays (see rotate_secret)."""
    _require_admin(admin)
    values = {"url": checked_url(url), "events": checked_events(events),
              "description": (description or "").strip() or None,
              "include_internal": bool(include_internal), "active": bool(active)}
    with unit_of_work():
        for name, value in values.items():
            if getattr(hook, name) != value:
                audit.record(None, admin, "webhook_updated", field=name,
                             old=getattr(hook, name), new=value, note=values["url"])
                setattr(hook, name, value)


def rotate_secret(admin: User, hook: Webhook) -> str:
    """A new secret, effective for every delivery from now on (queued ones too)."""
    _require_admin(admin)
    with unit_of_work():
        hook.secret = new_secret()
        audit.record(None, admin, "webhook_secret_rotated", note=hook.url)
    return hook.secret


def delete_webhook(admin: User, hook: Webhook) -> None:
    """The hook and its delivery log go; queued deliveries are never sent."""
    _require_admin(admin)
    url = hook.url
    with unit_of_work():
        db.session.delete(hook)
        audit.record(None, admin, "webhook_deleted", note=url)


def deliveries_query(hook: Webhook):
    """The hook's delivery log, newest first (ix_webhook_deliveries_webhook_id)."""
    return (select(WebhookDelivery).where(WebhookDelivery.webhook_id == hook.id)
            .order_by(WebhookDelivery.id.desc()))


def get_delivery(hook: Webhook, delivery_id) -> WebhookDelivery:
    delivery = db.session.get(WebhookDelivery, delivery_id) if delivery_id else None
    if delivery is None or delivery.webhook_id != hook.id:
        raise NotFound("No such delivery.")
    return delivery


def retry_delivery(admin: User, delivery: WebhookDelivery) -> None:
    """Send again now (a failed delivery, or a queued one waiting for its backoff);
    attempts keep counting, so the log shows the whole story."""
    _require_admin(admin)
    if delivery.state == DeliveryState.SENT:
        raise InvalidInput("This delivery was received already.")
    with unit_of_work():
        deliveries.retry(delivery)
        audit.record(None, admin, "webhook_delivery_retried", note=f"#{delivery.id}")
