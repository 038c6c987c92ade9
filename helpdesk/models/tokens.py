"""API credentials kept on the server: personal API tokens and refresh tokens.

Only a SHA-256 of each secret is stored; the secret itself is shown once. A token
remembers the owner's session nonce from when it was made: a new password, a
suspension or a deactivation changes the nonce, and every token made before dies with
the sessions (see services/people/tokens.py). Short-lived access tokens are signed, not
stored.
"""
from enum import StrEnum

from sqlalchemy import DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import utcnow


class TokenKind(StrEnum):
    PERSONAL = "personal"   # made on the account page, named, with scopes
    REFRESH = "refresh"     # handed out by POST /api/v1/auth/token, used once


class ApiToken(db.Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str | None] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[str] = mapped_column(String(40))  # space-separated: "read write"
    user_nonce: Mapped[str] = mapped_column(String(32))
    created_at = mapped_column(DateTime, default=utcnow, nullable=False)
    last_used_at = mapped_column(DateTime)
    expires_at = mapped_column(DateTime)
    revoked_at = mapped_column(DateTime)

    user = relationship("User")

    __table_args__ = (Index("ix_api_tokens_user_kind", "user_id", "kind"),)

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()

    def __repr__(self) -> str:
        return f"<ApiToken {self.id} {self.kind} user={self.user_id}>"
