"""Organizations: the companies customers belong to (the seeds' "company")."""
from sqlalchemy import Boolean, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import utcnow


class Organization(db.Model):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    # Members see (and may reply on) each other's tickets; off by default (product.md).
    shares_tickets: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at = mapped_column(DateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(DateTime, default=utcnow, onupdate=utcnow, nullable=False)

    domains = relationship("OrganizationDomain", back_populates="organization",
                           cascade="all, delete-orphan", passive_deletes=True,
                           order_by="OrganizationDomain.domain")

    @property
    def domain_names(self) -> list[str]:
        return [d.domain for d in self.domains]

    def __repr__(self) -> str:
        return f"<Organization {self.name}>"


class OrganizationDomain(db.Model):
    """An e-mail domain: a new customer whose address ends in it joins the organization.
    Stored lower-cased, and unique, so one domain maps to exactly one organization."""
    __tablename__ = "organization_domains"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    domain: Mapped[str] = mapped_column(String(253), unique=True)

    organization = relationship("Organization", back_populates="domains")
