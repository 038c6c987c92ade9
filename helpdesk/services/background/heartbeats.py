"""Workers say they are alive: one row per worker process (WorkerHeartbeat), written at
most every WORKER_HEARTBEAT_SECONDS while it runs and deleted when it stops cleanly.
`/readyz` and `/metrics` read the newest one."""
import os
import socket
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select

from ...extensions import db
from ...models import WorkerHeartbeat, utcnow
from ..unit_of_work import unit_of_work

FORGET_AFTER = timedelta(days=1)


def this_worker() -> str:
    """host:pid — unique among the workers running at one time."""
    return f"{socket.gethostname()}:{os.getpid()}"[:120]


def beat(worker_id: str, *, now: datetime | None = None) -> None:
    """Record that `worker_id` finished a round just now."""
    with unit_of_work():
        row = db.session.get(WorkerHeartbeat, worker_id)
        if row is None:
            row = WorkerHeartbeat(worker_id=worker_id, started_at=now or utcnow(), rounds=0)
            db.session.add(row)
        row.beat_at = now or utcnow()
        row.rounds += 1
        # `worker --once` from cron leaves one row per run (a new pid each time).
        db.session.execute(delete(WorkerHeartbeat).where(
            WorkerHeartbeat.beat_at < row.beat_at - FORGET_AFTER))


def stopped(worker_id: str) -> None:
    """A worker that stops cleanly takes its row with it."""
    with unit_of_work():
        db.session.execute(delete(WorkerHeartbeat).where(
            WorkerHeartbeat.worker_id == worker_id))


def newest_beat() -> datetime | None:
    """When any worker last said it was alive (None: never, or all stopped)."""
    return db.session.scalar(select(func.max(WorkerHeartbeat.beat_at)))


def seconds_since_newest(now: datetime | None = None) -> float | None:
    newest = newest_beat()
    return None if newest is None else ((now or utcnow()) - newest).total_seconds()
