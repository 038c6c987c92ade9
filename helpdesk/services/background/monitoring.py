"""Read-only figures about the background queues, for `/metrics`.

Every table that uses the Deliverable mixin (outbox mail, webhook deliveries, ...) is a
queue; each figure is one aggregate over the (state, next_attempt_at) index.
"""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from ...extensions import db
from ...models import utcnow
from ...models.deliveries import Deliverable, DeliveryState


@dataclass(frozen=True)
class QueueFigures:
    table: str
    queued: int                    # waiting: due now or retrying later
    failed: int                    # gave up; an admin may retry them
    oldest_queued_seconds: float   # age of the oldest waiting row (0: none waiting)
    lag_seconds: float             # how long the most overdue due row has waited (0: none)


def deliverable_models() -> list[type]:
    """Every mapped class with the Deliverable columns, in table-name order."""
    models = [mapper.class_ for mapper in db.Model.registry.mappers
              if issubclass(mapper.class_, Deliverable)]
    return sorted(models, key=lambda model: model.__tablename__)


def queue_figures(now: datetime | None = None) -> list[QueueFigures]:
    now = now or utcnow()
    figures = []
    for model in deliverable_models():
        counts = dict(db.session.execute(
            select(model.state, func.count()).where(
                model.state.in_((DeliveryState.QUEUED, DeliveryState.FAILED)))
            .group_by(model.state)).all())
        oldest, most_overdue = db.session.execute(
            select(func.min(model.created_at),
                   func.min(model.next_attempt_at).filter(model.next_attempt_at <= now))
            .where(model.state == DeliveryState.QUEUED)).one()
        figures.append(QueueFigures(
            table=model.__tablename__,
            queued=counts.get(DeliveryState.QUEUED, 0),
            failed=counts.get(DeliveryState.FAILED, 0),
            oldest_queued_seconds=_age(oldest, now),
            lag_seconds=_age(most_overdue, now)))
    return figures


def _age(moment: datetime | None, now: datetime) -> float:
    return max(0.0, (now - moment).total_seconds()) if moment else 0.0
