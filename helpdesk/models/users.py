"""People: customers, agents and admins, and the teams agents belong to."""
import secrets

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
    and_,
    or_,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import AgentStatus, Role, utcnow

team_members = Table(
    "team_members",
    db.metadata,
    Column("team_id", Integer, ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True,
           index=True),
)


def new_session_nonce() -> str:
    return secrets.token_hex(8)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased (see services.people.accounts.normalize_email), so the unique
    # constraint makes addresses unique case-insensitively on every database.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), index=True, default=Role.CUSTOMER)
    agent_status: Mapped[str | None] = mapped_column(String(16), index=True)
    contact_number: Mapped[str | None] = mapped_column(String(40))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Part of the session id: changing it (password change) signs out every session.
    session_nonce: Mapped[str] = mapped_column(String(32), default=new_session_nonce)
    created_at = mapped_column(DateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(DateTime, default=utcnow, onupdate=utcnow, nullable=False)
    last_login_at = mapped_column(DateTime)
    # Customers may belong to one organization (services/people/organizations.py).
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL"), index=True)
    # E-mail: when the address was proven (accounts made by admins, the CLI or seed data
    # count as proven; a customer's own sign-up starts unverified), since when mail to it
    # bounces and the server's reason, and the mail events this person turned off.
    email_verified_at = mapped_column(DateTime, default=utcnow)
    email_failing_since = mapped_column(DateTime)
    email_failure: Mapped[str | None] = mapped_column(String(300))
    mail_muted: Mapped[list] = mapped_column(JSON, default=list)

    # Two-step sign-in (services/people/two_factor.py): the TOTP secret once enrolment
    # is confirmed, when, and the last time step used (a code works once).
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at = mapped_column(DateTime)
    totp_last_step: Mapped[int | None] = mapped_column(Integer)

    teams = relationship("Team", secondary=team_members, back_populates="members")
    organization = relationship("Organization")

    # The signed-in web session this object was loaded for (services/people/sessions.py
    # sets it at sign-in, permissions.load_user on each request): what Flask-Login keeps
    # in the session cookie and the "keep me signed in" cookie.
    web_session_key = None

    def get_id(self) -> str | None:
        return self.web_session_key

    @property
    def is_active(self) -> bool:
        """Inactive users cannot sign in and are dropped by the user loader."""
        return self.active and self.agent_status not in (
            AgentStatus.REJECTED, AgentStatus.SUSPENDED)

    # Role rules as hybrids: the same rule in Python (`user.is_staff`) and in SQL
    # (`select(User).where(User.is_staff)`), written once.
    @hybrid_property
    def is_customer(self) -> bool:
        return self.role == Role.CUSTOMER

    @hybrid_property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @hybrid_property
    def is_agent(self) -> bool:
        return self.role == Role.AGENT

    @hybrid_property
    def is_staff(self) -> bool:
        """May work the queue: an approved agent, or an admin."""
        return self.is_admin or (self.is_agent and self.agent_status == AgentStatus.APPROVED)

    @is_staff.inplace.expression
    @classmethod
    def _is_staff_expression(cls):
        return or_(cls.role == Role.ADMIN,
                   and_(cls.role == Role.AGENT, cls.agent_status == AgentStatus.APPROVED))

    @hybrid_property
    def is_pending_agent(self) -> bool:
        return self.is_agent and self.agent_status == AgentStatus.PENDING

    @is_pending_agent.inplace.expression
    @classmethod
    def _is_pending_agent_expression(cls):
        return and_(cls.role == Role.AGENT, cls.agent_status == AgentStatus.PENDING)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role}>"


class RecoveryCode(db.Model):
    """A single-use code for signing in without the authenticator app: ten are made at
    enrolment and shown once; only a keyed hash is kept."""
    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at = mapped_column(DateTime, default=utcnow, nullable=False)
    used_at = mapped_column(DateTime)


class Team(db.Model):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    description: Mapped[str | None] = mapped_column(String(255))
    created_at = mapped_column(DateTime, default=utcnow, nullable=False)

    members = relationship("User", secondary=team_members, back_populates="teams",
                           order_by="User.name")

    def __repr__(self) -> str:
        return f"<Team {self.name}>"
