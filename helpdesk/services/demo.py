"""Demo data: the contract's demo logins and a realistic spread of tickets.

Tickets are written with bulk INSERTs in batches (not one ORM object at a time), so
100,000 tickets with their messages and audit events take seconds, not minutes.
"""
import random
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import func, insert, select, text

from ..extensions import db
from ..models import (
    AgentStatus,
    AuditEvent,
    Category,
    Feedback,
    Message,
    Organization,
    OrganizationDomain,
    Priority,
    Role,
    SlaTarget,
    Status,
    Team,
    Ticket,
    User,
    utcnow,
)
from .catalog.defaults import install_defaults
from .catalog.settings import ticket_prefix
from .people import accounts
from .tickets import numbering
from .unit_of_work import unit_of_work

DEMO_PASSWORD = "demo-password"  # noqa: S105 (documented demo login)
DEMO_USERS = [
    ("admin@example.com", "Ada Admin", Role.ADMIN),
    ("agent@example.com", "Alex Agent", Role.AGENT),
    ("customer@example.com", "Casey Customer", Role.CUSTOMER),
]
EXTRA_AGENTS = ["Sam Rivera", "Priya Natarajan", "Jonas Berg", "Mei Tanaka"]
EXTRA_CUSTOMERS = 40
# (name, domain, shares tickets, customer numbers): customer@example.com stays on its own.
DEMO_ORGANIZATIONS = [("Northwind Traders", "northwind.example", True, range(1, 13)),
                      ("Contoso", "contoso.example", False, range(13, 25))]
BATCH = 5000

# status: weight in the mix
STATUS_MIX = {Status.NEW: 12, Status.OPEN: 10, Status.IN_PROGRESS: 15, Status.ON_HOLD: 8,
              Status.RESOLVED: 25, Status.CLOSED: 30}
PRIORITY_MIX = {Priority.LOW: 20, Priority.MEDIUM: 45, Priority.HIGH: 20, Priority.URGENT: 10,
                Priority.CRITICAL: 5}

SUBJECTS = {
    "Order": ["Wrong size in my order", "Item missing from order", "Please cancel my order",
              "Change delivery address for my order"],
    "Delivery — damaged": ["Parcel arrived crushed", "Glass broken on arrival",
                           "Box was wet and contents damaged"],
    "Delivery — lost": ["Tracking says delivered but nothing arrived", "Parcel lost in transit",
                        "No tracking updates for a week"],
    "Delivery — late": ["Delivery is three days late", "When will my parcel arrive?",
                        "Express delivery did not arrive on time"],
    "Quality": ["Zip broke after two days", "Colour differs from the photos",
                "Stopped working after a week"],
    "Billing": ["Charged twice for one order", "Refund not received", "Need a VAT invoice",
                "Discount code was not applied"],
    "Technical": ["Cannot sign in to my account", "Password reset e-mail never arrives",
                  "App crashes at checkout"],
    "General": ["Question about opening hours", "Do you ship abroad?",
                "Feedback about your service"],
}
CUSTOMER_LINES = ["Hello, I need help with this please.", "Any news on this?",
                  "Thanks, I have attached what I have.", "It still is not sorted, sorry."]
AGENT_LINES = ["Thanks for getting in touch, I am looking into it.",
               "I have contacted the carrier and will update you tomorrow.",
               "Could you confirm the order reference?",
               "This is sorted now; let us know if anything else comes up."]
NOTE_LINES = ["Checked with the warehouse: stock is fine.", "Customer is a repeat buyer.",
              "Carrier claim opened."]


def ensure_demo_users() -> dict[str, list[User]]:
    """The three contract logins plus a few colleagues and customers."""
    people: dict[str, list[User]] = {"agents": [], "customers": []}
    wanted = list(DEMO_USERS)
    wanted += [(f"{n.split()[0].lower()}@example.com", n, Role.AGENT) for n in EXTRA_AGENTS]
    wanted += [(f"customer{i}@example.com", f"Customer {i}", Role.CUSTOMER)
               for i in range(1, EXTRA_CUSTOMERS + 1)]
    password_hash = accounts.hash_password(DEMO_PASSWORD)
    existing = {u.email: u for u in db.session.scalars(
        select(User).where(User.email.in_([w[0] for w in wanted])))}
    for email, name, role in wanted:
        user = existing.get(email)
        if user is None:
            user = User(email=email, name=name, role=role, password_hash=password_hash,
                        agent_status=AgentStatus.APPROVED if role == Role.AGENT else None)
            db.session.add(user)
        if role in (Role.AGENT, Role.ADMIN):
            people["agents"].append(user)
        else:
            people["customers"].append(user)
    _staff_teams([u for u in people["agents"] if u.role == Role.AGENT])
    _demo_organizations({u.email: u for u in people["customers"]})
    return people


def _demo_organizations(customers: dict[str, User]) -> None:
    """Two organizations with a dozen demo customers each (once)."""
    for name, domain, shares, numbers in DEMO_ORGANIZATIONS:
        organization = db.session.scalar(select(Organization).where(Organization.name == name))
        if organization is None:
            organization = Organization(name=name, shares_tickets=shares,
                                        domains=[OrganizationDomain(domain=domain)])
            db.session.add(organization)
        for n in numbers:
            customer = customers.get(f"customer{n}@example.com")
            if customer is not None and customer.organization_id is None:
                customer.organization = organization
    db.session.flush()


def _staff_teams(agents: list[User]) -> None:
    """Every team gets demo agents (once), so new tickets notify someone."""
    teams = list(db.session.scalars(select(Team).order_by(Team.name)))
    for index, team in enumerate(teams):
        if not team.members:
            team.members.extend({agents[0], agents[(index % (len(agents) - 1)) + 1]}
                                if len(agents) > 1 else agents)


def seed_demo(tickets: int, progress: Callable[[int], None] = lambda n: None) -> int:
    """Make sure demo users exist and the database holds at least `tickets` tickets.
    Returns how many tickets were added (0 when there were enough already)."""
    install_defaults()
    with unit_of_work():
        people = ensure_demo_users()
    missing = tickets - (db.session.scalar(select(func.count(Ticket.id))) or 0)
    if missing <= 0:
        return 0
    context = _Context(people)
    added = 0
    while added < missing:
        size = min(BATCH, missing - added)
        with unit_of_work():  # one per batch: an interrupted seed keeps what it wrote
            _insert_batch(context, size)
        added += size
        progress(size)
    with unit_of_work():
        _sync_id_sequence()
        # Fresh planner statistics: without them SQLite picks poor indexes for the queue.
        db.session.execute(text("ANALYZE"))
    return added


def _sync_id_sequence() -> None:
    """PostgreSQL: explicit ids do not advance the serial sequence; catch it up."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT setval(pg_get_serial_sequence('tickets', 'id'), "
                                "(SELECT MAX(id) FROM tickets))"))


class _Context:
    def __init__(self, people):
        self.rng = random.Random(42)  # the same demo every time
        self.agents = [u.id for u in people["agents"]]
        self.names = {u.id: u.name for u in people["agents"]}
        self.customers = [u.id for u in people["customers"]]
        self.organization_of = {u.id: u.organization_id for u in people["customers"]}
        self.categories = {c.name: c for c in db.session.scalars(select(Category))}
        self.sla = {s.priority: s for s in db.session.scalars(select(SlaTarget))}
        self.prefix = ticket_prefix()
        self.now = utcnow()


def _weighted(rng, mix):
    return rng.choices(list(mix), weights=list(mix.values()))[0]


def _ticket_row(ctx: _Context, number: str) -> dict:
    rng = ctx.rng
    category = rng.choice(list(ctx.categories.values()))
    status = _weighted(rng, STATUS_MIX)
    priority = _weighted(rng, PRIORITY_MIX)
    created = ctx.now - timedelta(minutes=rng.randint(5, 180 * 24 * 60))
    sla = ctx.sla[priority]
    row = {
        "number": number, "subject": rng.choice(SUBJECTS.get(category.name, ["Help needed"])),
        "description": f"{rng.choice(CUSTOMER_LINES)} Reference {rng.randint(10000, 99999)}.",
        "category_id": category.id, "team_id": category.default_team_id,
        "priority": priority, "status": status,
        "requester_id": rng.choice(ctx.customers), "assignee_id": None,
        "order_reference": f"ORD-{rng.randint(100000, 999999)}" if rng.random() < 0.6 else None,
        "created_at": created, "updated_at": created, "last_activity_at": created,
        "due_at": created + timedelta(minutes=sla.resolution_minutes),
        "first_response_due_at": created + timedelta(minutes=sla.first_response_minutes),
    }
    row["created_by_id"] = row["requester_id"]
    row["organization_id"] = ctx.organization_of.get(row["requester_id"])
    if status != Status.NEW:
        row["assignee_id"] = rng.choice(ctx.agents)
        responded = created + timedelta(minutes=rng.randint(5, 60 * 30))
        row["first_response_at"] = row["last_agent_reply_at"] = min(responded, ctx.now)
        row["last_activity_at"] = row["updated_at"] = row["first_response_at"]
    if status in (Status.RESOLVED, Status.CLOSED):
        row["resolved_at"] = min(row["first_response_at"] + timedelta(
            hours=rng.randint(1, 96)), ctx.now)
        row["last_activity_at"] = row["updated_at"] = row["resolved_at"]
    if status == Status.CLOSED:
        row["closed_at"] = row["resolved_at"]
    row["public_activity_at"] = row["last_activity_at"]
    return row


RATING_MIX = {5: 45, 4: 30, 3: 12, 2: 7, 1: 6}
COMMENTS = ["Quick and friendly, thank you!", "Sorted in the end.", "Took a while.", None, None]


def _feedback_row(ctx: _Context, ticket_id: int, row: dict) -> dict:
    return {"ticket_id": ticket_id, "author_id": row["requester_id"],
            "rating": _weighted(ctx.rng, RATING_MIX), "comment": ctx.rng.choice(COMMENTS),
            "created_at": row["resolved_at"]}


def _insert_batch(ctx: _Context, size: int) -> None:
    first = numbering.reserve_block(size)
    rows = [_ticket_row(ctx, numbering.format_number(ctx.prefix, first + i))
            for i in range(size)]
    # Explicit ids: a plain executemany, far faster than INSERT ... RETURNING per row.
    first_id = (db.session.scalar(select(func.max(Ticket.id))) or 0) + 1
    ids = range(first_id, first_id + size)
    for ticket_id, row in zip(ids, rows, strict=True):
        row["id"] = ticket_id
    db.session.execute(insert(Ticket), rows)
    messages, events = [], []
    for ticket_id, row in zip(ids, rows, strict=True):
        events.append({"ticket_id": ticket_id, "ticket_number": row["number"],
                       "actor_id": row["requester_id"], "action": "created",
                       "created_at": row["created_at"]})
        if row["assignee_id"] is None:
            continue
        messages.append({"ticket_id": ticket_id, "author_id": row["assignee_id"],
                         "body": ctx.rng.choice(AGENT_LINES), "is_internal": False,
                         "created_at": row["first_response_at"]})
        if ctx.rng.random() < 0.3:
            messages.append({"ticket_id": ticket_id, "author_id": row["assignee_id"],
                             "body": ctx.rng.choice(NOTE_LINES), "is_internal": True,
                             "created_at": row["first_response_at"]})
        events.append({"ticket_id": ticket_id, "ticket_number": row["number"],
                       "actor_id": row["assignee_id"], "action": "assigned",
                       "field": "assignee", "new_value": ctx.names[row["assignee_id"]],
                       "created_at": row["first_response_at"]})
    feedback = [_feedback_row(ctx, ticket_id, row)
                for ticket_id, row in zip(ids, rows, strict=True)
                if row.get("resolved_at") and ctx.rng.random() < 0.6]
    if feedback:
        db.session.execute(insert(Feedback), feedback)
    if messages:
        db.session.execute(insert(Message), messages)
    db.session.execute(insert(AuditEvent), events)
