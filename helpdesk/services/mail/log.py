"""The console's delivery log: outgoing mail with its state and the server's answer,
and the admin's "Retry"."""
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ... import permissions
from ...extensions import db
from ...models import OutboxMail, User
from ...models.deliveries import DeliveryState
from .. import audit
from ..background.deliveries import retry
from ..errors import Forbidden, InvalidTransition, NotFound
from ..unit_of_work import unit_of_work

STATES = [str(s) for s in DeliveryState]


def delivery_log(state: str | None = None):
    """A SELECT of outgoing mail, newest first, with tickets loaded (one query more)."""
    query = (select(OutboxMail).options(selectinload(OutboxMail.ticket))
             .order_by(OutboxMail.created_at.desc(), OutboxMail.id.desc()))
    if state in STATES:
        query = query.where(OutboxMail.state == state)
    return query


def retry_delivery(admin: User, mail_id: int) -> OutboxMail:
    """Send a failed mail again at the worker's next round (one more attempt)."""
    if not permissions.can_see_console(admin):
        raise Forbidden("Only admins retry deliveries.")
    row = db.session.get(OutboxMail, mail_id)
    if row is None:
        raise NotFound("No such mail.")
    if row.state == DeliveryState.SENT:
        raise InvalidTransition("This mail was sent already.")
    with unit_of_work():
        retry(row)
        audit.record(None, admin, "mail_retried", note=f"{row.kind} to {row.to_address}")
    return row
