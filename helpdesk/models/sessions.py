"""Signed-in web sessions, kept on the server (services/people/sessions.py).

The session cookie (and the "keep me signed in" cookie) carries a random secret; only
its SHA-256 is stored here. A session ends — on every process at once, since every
request looks its row up — when its person signs out, ends it on the account page,
signs out everywhere, changes the password, or is suspended or deactivated.
"""
from sqlalchemy import DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import utcnow


class UserSession(db.Model):
    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at = mapped_column(DateTime, default=utcnow, nullable=False)
    last_seen_at = mapped_column(DateTime, default=utcnow, nullable=False)
    ip_address: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    ended_at = mapped_column(DateTime)

    user = relationship("User")

    # The account page lists a person's open sessions; ending them all is one UPDATE.
    __table_args__ = (Index("ix_user_sessions_user_ended", "user_id", "ended_at"),)

    def __repr__(self) -> str:
        return f"<UserSession {self.id} user={self.user_id}>"
