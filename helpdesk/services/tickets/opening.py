"""Opening a ticket: by a customer, or by an agent on a customer's behalf."""
from collections.abc import Sequence

from sqlalchemy import func, select

from ...extensions import db
from ...models import Category, Priority, Status, Ticket, User, utcnow
from .. import audit, events, notifications
from ..errors import Forbidden, InvalidInput
from ..files.attachments import Upload, check_uploads, real_uploads, store_uploads
from ..ids import parse_id
from ..people.directory import active_admins
from ..unit_of_work import unit_of_work
from .numbering import next_ticket_number
from .sla import apply_sla


def create_ticket(*, requester: User, created_by: User, subject: str, description: str,
                  category_id: int | None = None, priority: str = Priority.MEDIUM,
                  order_reference: str | None = None, files: Sequence[Upload] = (),
                  parent: Ticket | None = None, channel: str = "web") -> Ticket:
    """Ticket, files, audit event and notifications in one transaction."""
    if not requester.is_customer:
        raise InvalidInput("Tickets are opened for customers.", field="requester")
    if created_by.id != requester.id and not created_by.is_staff:
        raise Forbidden("Only agents may open a ticket on a customer's behalf.")
    category = active_category(category_id)
    files = real_uploads(files)
    check_uploads(files)
    with unit_of_work():
        now = utcnow()
        ticket = Ticket(
            subject=" ".join(subject.split()),
            description=description.strip(), category=category,
            team_id=category.default_team_id if category else None,
            priority=Priority(priority), status=Status.NEW, requester=requester,
            organization_id=requester.organization_id,  # see Ticket.organization_id
            created_by=created_by, order_reference=(order_reference or "").strip() or None,
            parent=parent, channel=channel, created_at=now, updated_at=now, last_activity_at=now,
            public_activity_at=now)
        apply_sla(ticket, now)
        # Files first, the number last: taking the number locks the counter row until
        # commit, and every other new ticket waits on that lock, so no upload (possibly
        # to object storage) happens while it is held. No flush before the number exists.
        with db.session.no_autoflush:
            store_uploads(files, ticket=ticket, uploader=created_by)
            ticket.number = next_ticket_number()
        db.session.add(ticket)
        db.session.flush()
        audit.record(ticket, created_by, "created", note=f"for {requester.email}"
                     if created_by.id != requester.id else None)
        if files:
            audit.record(ticket, created_by, "attachment_added", new=len(files))
        team = ticket.team.members if ticket.team else []
        notifications.notify(team or active_admins(), ticket, "ticket_created",
                             f"New ticket {ticket.number}: {ticket.subject}", actor=created_by)
        events.publish("ticket.created", ticket, actor=created_by)
    return ticket


def open_for_customer(agent: User, *, customer_email: str, **fields) -> Ticket:
    """An agent opens a ticket on a customer's behalf; created_by records who did."""
    customer = db.session.scalar(select(User).where(
        User.email == (customer_email or "").strip().lower(), User.is_customer))
    if customer is None or not customer.is_active:
        raise InvalidInput("No active customer has this e-mail address.",
                           field="customer_email")
    return create_ticket(requester=customer, created_by=agent, **fields)


def active_category(category_id) -> Category | None:
    """The category a new ticket may be filed under: an active one, or none."""
    if category_id in (None, "", 0):
        return None
    row_id = parse_id(category_id)
    category = db.session.get(Category, row_id) if row_id else None
    if category is None or not category.active:
        raise InvalidInput("Choose one of the listed categories.", field="category")
    return category


def category_id_from(value) -> int | None:
    """A category named by id (a number) or by name (any letter case), as the API takes
    it; an unknown name is refused next to the field. None and "" mean no category."""
    if value in (None, ""):
        return None
    if isinstance(value, int) or str(value).strip().isdigit():
        return parse_id(value) or -1  # out of range: refused by the id check
    found = db.session.scalar(select(Category.id).where(
        func.lower(Category.name) == str(value).strip().lower()))
    if found is None:
        raise InvalidInput("Choose one of the listed categories.", field="category")
    return found
