"""Aggregates the dashboard reads instead of counting a million tickets.

One row per (dimension, key): how many tickets (`n`) and, for the durations, the sum of
their seconds (`total`). Database triggers keep the rows true in the same transaction as
every INSERT, UPDATE and DELETE of `tickets` and `feedback`
(services/reporting/counters.py), so no code path can forget them.
"""
from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class TicketStat(db.Model):
    __tablename__ = "ticket_stats"

    dimension: Mapped[str] = mapped_column(String(24), primary_key=True)
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger, default=0, nullable=False)
    total: Mapped[int] = mapped_column(BigInteger, default=0, nullable=False)

    def __repr__(self) -> str:
        return f"<TicketStat {self.dimension}:{self.key} n={self.n} total={self.total}>"


class CatalogVersion(db.Model):
    """One row whose number goes up, by trigger, whenever categories, teams,
    organizations, settings or the staff list change: the process caches of those lists
    (services/catalog/cache.py) compare it once per request, in every process."""
    __tablename__ = "catalog_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger, default=0, nullable=False)
