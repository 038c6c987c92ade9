"""Background workers that are alive: one row per worker process, refreshed each round."""
from sqlalchemy import DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import utcnow


class WorkerHeartbeat(db.Model):
    """`/readyz` looks at the newest `beat_at`; a row whose worker died is simply stale
    (a clean stop deletes its row)."""
    __tablename__ = "worker_heartbeats"

    worker_id: Mapped[str] = mapped_column(String(120), primary_key=True)  # host:pid
    started_at = mapped_column(DateTime, default=utcnow, nullable=False)
    beat_at = mapped_column(DateTime, default=utcnow, nullable=False, index=True)
    rounds: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
