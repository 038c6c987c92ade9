"""Organizations (product.md): the companies customers belong to.

Admins manage them: a name, the e-mail domains whose new customers join automatically,
and whether members see each other's tickets (off by default; the rule itself lives in
`permissions.visible_tickets`). Each change is one transaction with an audit event.

A ticket records the organization its requester belonged to when it was opened
(`Ticket.organization_id`, copied in services/tickets/opening.py). Membership changes
apply to new tickets only: a customer who leaves an organization leaves their tickets
in its history, and one who joins does not bring earlier tickets into colleagues' view.
"""
import re
from collections.abc import Iterable

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from ... import permissions
from ...extensions import db
from ...models import Organization, OrganizationDomain, Ticket, User
from .. import audit
from ..catalog import cache
from ..errors import Forbidden, InvalidInput, NotFound
from ..matching import contains_pattern
from ..unit_of_work import unit_of_work

MAX_DOMAINS = 50
MAX_MEMBERS_AT_ONCE = 100
# One label: letters, digits and inner hyphens; a domain has at least two labels.
_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
DOMAIN_PATTERN = re.compile(rf"{_LABEL}(\.{_LABEL})+")
# Addresses anyone can get: matching one would put strangers in one organization.
FREE_MAIL_DOMAINS = frozenset({
    "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com",
    "yahoo.com", "ymail.com", "icloud.com", "me.com", "mac.com", "aol.com", "gmx.com",
    "gmx.de", "gmx.net", "web.de", "mail.com", "proton.me", "protonmail.com", "yandex.com",
    "yandex.ru", "mail.ru", "qq.com", "163.com", "zoho.com", "fastmail.com", "hey.com",
})
_SEPARATORS = re.compile(r"[\s,;]+")


# --- reading -----------------------------------------------------------------------------

def get(organization_id) -> Organization:
    """The organization with this id, or NotFound (for the console, the agent pages
    and the API alike)."""
    organization = db.session.get(Organization, organization_id) if organization_id else None
    if organization is None:
        raise NotFound("No such organization.")
    return organization


def organizations_query(search: str | None = None):
    """Organizations by name, with their domains loaded; optionally matching a name."""
    query = (select(Organization).options(selectinload(Organization.domains))
             .order_by(Organization.name, Organization.id))
    term = (search or "").strip().lower()
    if term:
        query = query.where(func.lower(Organization.name).like(contains_pattern(term),
                                                                escape="\\"))
    return query


def choices() -> list[tuple[int, str]]:
    """(id, name) of every organization, for pickers such as the queue filter (from
    the process cache, services/catalog/cache.py)."""
    return [(item.id, item.name) for item in cache.catalog().organizations]


def member_counts(organizations: Iterable[Organization]) -> dict[int, int]:
    """How many people each organization has, in one grouped query (indexed)."""
    ids = [o.id for o in organizations]
    if not ids:
        return {}
    rows = db.session.execute(select(User.organization_id, func.count(User.id))
                              .where(User.organization_id.in_(ids))
                              .group_by(User.organization_id))
    return {organization_id: count for organization_id, count in rows}


def members_query(organization: Organization):
    """The organization's people by name; the caller paginates."""
    return (select(User).where(User.organization_id == organization.id)
            .order_by(User.name, User.id))


def tickets_query(organization: Organization):
    """The organization's tickets, latest activity first, for staff (the organization
    page). Served by ix_tickets_organization_activity; the caller paginates."""
    return (select(Ticket).where(Ticket.organization_id == organization.id)
            .options(joinedload(Ticket.requester), joinedload(Ticket.assignee))
            .order_by(Ticket.last_activity_at.desc(), Ticket.id.desc()))


# --- domains -----------------------------------------------------------------------------

def domain_of(email: str) -> str:
    """The lower-cased domain of an address ("" when it has none)."""
    _, at, domain = (email or "").strip().rpartition("@")
    return domain.strip().rstrip(".").lower() if at else ""


def parse_domains(text: str | Iterable[str] | None) -> list[str]:
    """"Acme.com, @acme.co.uk\\nacme.com" → ["acme.co.uk", "acme.com"]: one per line or
    separated by commas, an optional leading @, lower-cased, each checked."""
    items = _SEPARATORS.split(text) if isinstance(text, str) else list(text or ())
    domains = set()
    for item in items:
        domain = item.strip().lstrip("@").rstrip(".").lower()
        if not domain:
            continue
        try:
            domain = domain.encode("idna").decode("ascii")  # bücher.de → xn--bcher-kva.de
        except UnicodeError:
            raise InvalidInput(f"“{item}” is not a domain name.", field="domains") from None
        if len(domain) > 253 or not DOMAIN_PATTERN.fullmatch(domain):
            raise InvalidInput(f"“{item}” is not a domain name, e.g. example.com.",
                               field="domains")
        if domain in FREE_MAIL_DOMAINS:
            raise InvalidInput(f"{domain} is a public e-mail service: anyone can have an "
                               "address there, so it cannot identify an organization.",
                               field="domains")
        domains.add(domain)
    if len(domains) > MAX_DOMAINS:
        raise InvalidInput(f"Use at most {MAX_DOMAINS} domains.", field="domains")
    return sorted(domains)


def match_by_domain(email: str) -> Organization | None:
    """The organization whose domain is this address's domain (exact match,
    case-insensitive; sub-domains are domains of their own), else None."""
    domain = domain_of(email)
    if not domain:
        return None
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    return db.session.scalar(select(Organization).join(OrganizationDomain)
                             .where(OrganizationDomain.domain == domain))


def join_by_domain(customer: User) -> Organization | None:
    """A new customer joins the organization their address's domain belongs to (inside
    the caller's unit of work): sign-up, and customers created from mail."""
    if not customer.is_customer or customer.organization_id is not None:
        return None
    organization = match_by_domain(customer.email)
    if organization is not None:
        customer.organization = organization
        db.session.flush()
        audit.record(None, None, "organization_member_added", subject_user=customer,
                     new=organization.name, note="by e-mail domain")
    return organization


# --- changes -----------------------------------------------------------------------------

def _require_admin(admin: User) -> None:
    if not permissions.can_manage_organizations(admin):
        raise Forbidden("Only admins manage organizations.")


def _check_unique(organization: Organization | None, name: str, domains: list[str]) -> None:
    clash = db.session.scalar(select(Organization).where(
        func.lower(Organization.name) == name.lower()))
    if clash is not None and clash is not organization:
        raise InvalidInput(f"“{name}” is already taken.", field="name")
    if domains:
        query = (select(OrganizationDomain.domain, Organization.name).join(Organization)
                 .where(OrganizationDomain.domain.in_(domains))
                 .order_by(OrganizationDomain.domain))
        if organization is not None:
            query = query.where(OrganizationDomain.organization_id != organization.id)
        taken = db.session.execute(query).all()
        if taken:
            listed = ", ".join(f"{domain} ({owner})" for domain, owner in taken)
            raise InvalidInput("One domain belongs to one organization; already taken: "
                               f"{listed}.", field="domains")


def save_organization(admin: User, organization: Organization | None, *, name: str,
                      domains: str | Iterable[str] | None = None,
                      shares_tickets: bool = False) -> Organization:
    """Create (`organization` None) or change an organization: name (unique regardless
    of case), its domains (each unique across organizations) and ticket sharing."""
    _require_admin(admin)
    name = " ".join((name or "").split())
    if not name:
        raise InvalidInput("Give the organization a name.", field="name")
    if len(name) > 120:
        raise InvalidInput("Keep the name under 120 characters.", field="name")
    wanted = parse_domains(domains)
    _check_unique(organization, name, wanted)
    created = organization is None
    try:
        with unit_of_work():
            if created:
                organization = Organization(name=name, shares_tickets=bool(shares_tickets))
                db.session.add(organization)
                audit.record(None, admin, "organization_created", note=name)
            else:
                _record_changes(admin, organization, name, bool(shares_tickets))
                organization.name = name
                organization.shares_tickets = bool(shares_tickets)
            _set_domains(admin, organization, wanted)
    except IntegrityError:  # a concurrent save took the name or a domain first
        raise InvalidInput("Another change took this name or one of these domains just now."
                           " Try again.", field="domains") from None
    return organization


def _record_changes(admin: User, organization: Organization, name: str,
                    shares_tickets: bool) -> None:
    if organization.name != name:
        audit.record(None, admin, "organization_updated", field="name",
                     old=organization.name, new=name, note=name)
    if organization.shares_tickets != shares_tickets:
        audit.record(None, admin, "organization_updated", field="shares_tickets",
                     old=organization.shares_tickets, new=shares_tickets, note=name)


def _set_domains(admin: User, organization: Organization, wanted: list[str]) -> None:
    current = {d.domain: d for d in organization.domains}
    if set(current) == set(wanted):
        return
    for domain, row in current.items():
        if domain not in wanted:
            organization.domains.remove(row)
    db.session.flush()  # a domain moved between its rows must leave before it comes back
    for domain in wanted:
        if domain not in current:
            organization.domains.append(OrganizationDomain(domain=domain))
    db.session.flush()
    audit.record(None, admin, "organization_updated", field="domains",
                 old=", ".join(sorted(current)) or None, new=", ".join(wanted) or None,
                 note=organization.name)


def delete_organization(admin: User, organization: Organization) -> None:
    """Its people stay customers, without an organization; its tickets stay, without
    one (the foreign keys set both to NULL)."""
    _require_admin(admin)
    name = organization.name
    with unit_of_work():
        # Said here too, so rows already in the session do not keep the old id.
        db.session.execute(update(User).where(User.organization_id == organization.id)
                           .values(organization_id=None)
                           .execution_options(synchronize_session="fetch"))
        db.session.execute(update(Ticket).where(Ticket.organization_id == organization.id)
                           .values(organization_id=None, updated_at=Ticket.updated_at)
                           .execution_options(synchronize_session=False))
        db.session.delete(organization)
        audit.record(None, admin, "organization_deleted", note=name)


def parse_emails(text: str | Iterable[str] | None) -> list[str]:
    items = _SEPARATORS.split(text) if isinstance(text, str) else list(text or ())
    emails = list(dict.fromkeys(e.strip().lower() for e in items if e.strip()))
    if not emails:
        raise InvalidInput("Enter the e-mail address of a customer.", field="emails")
    if len(emails) > MAX_MEMBERS_AT_ONCE:
        raise InvalidInput(f"Add at most {MAX_MEMBERS_AT_ONCE} people at a time.",
                           field="emails")
    return emails


def add_members(admin: User, organization: Organization,
                emails: str | Iterable[str]) -> list[User]:
    """Customers join by e-mail address, all or none: an unknown address, a staff
    account or someone in another organization is refused with the reason. Someone
    already in this one is left as they are. Returns the people who joined."""
    _require_admin(admin)
    wanted = parse_emails(emails)
    people = {u.email: u for u in db.session.scalars(select(User).where(
        User.email.in_(wanted)))}
    unknown = [e for e in wanted if e not in people or not people[e].is_customer]
    if unknown:
        raise InvalidInput("No customer account has this address: " + ", ".join(unknown)
                           + ".", field="emails")
    elsewhere = [u for u in people.values()
                 if u.organization_id not in (None, organization.id)]
    if elsewhere:
        listed = ", ".join(f"{u.email} ({u.organization.name})" for u in elsewhere)
        raise InvalidInput("A customer belongs to one organization; remove them from the "
                           f"other one first: {listed}.", field="emails")
    joining = [people[e] for e in wanted if people[e].organization_id is None]
    with unit_of_work():
        for user in joining:
            user.organization = organization
            audit.record(None, admin, "organization_member_added", subject_user=user,
                         new=organization.name)
    return joining


def remove_member(admin: User, organization: Organization, user: User) -> None:
    """The customer leaves; their tickets stay in the organization's history."""
    _require_admin(admin)
    if user.organization_id != organization.id:
        raise NotFound(f"{user.name} is not a member of {organization.name}.")
    with unit_of_work():
        user.organization = None
        audit.record(None, admin, "organization_member_removed", subject_user=user,
                     old=organization.name)
