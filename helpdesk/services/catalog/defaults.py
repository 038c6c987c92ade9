"""Reference data every installation starts with. Safe to run twice."""
from sqlalchemy import select

from ...extensions import db
from ...models import CannedReply, Category, FaqEntry, Priority, SlaTarget, Team
from ..unit_of_work import unit_of_work

# priority: (hours to first response, hours to resolution)
SLA_DEFAULTS = {
    Priority.LOW: (48, 240),
    Priority.MEDIUM: (24, 120),
    Priority.HIGH: (8, 48),
    Priority.URGENT: (4, 24),
    Priority.CRITICAL: (1, 8),
}

TEAMS = {
    "Customer care": "Orders, general questions and everything else",
    "Logistics": "Deliveries: damaged, lost or late parcels",
    "Billing": "Invoices, refunds and payments",
    "Technical support": "Accounts, the website and the app",
}

# category: (team it routes to, description)
CATEGORIES = {
    "Order": ("Customer care", "Changes to an order, missing items"),
    "Delivery — damaged": ("Logistics", "The parcel or its contents arrived damaged"),
    "Delivery — lost": ("Logistics", "The parcel never arrived"),
    "Delivery — late": ("Logistics", "The parcel is later than promised"),
    "Quality": ("Customer care", "A product is faulty or not as described"),
    "Billing": ("Billing", "Invoices, refunds, payments"),
    "Technical": ("Technical support", "Sign-in, the website, the app"),
    "General": ("Customer care", "Anything else"),
}

FAQ = [
    ("Order", "How do I change or cancel my order?",
     "Open a ticket in the Order category with your order reference within 24 hours of "
     "ordering. Orders that have shipped cannot be changed, but you can return them."),
    ("Delivery — late", "My parcel is late. What should I do?",
     "Deliveries can take up to 5 working days. If it is later than that, open a ticket "
     "with the order reference and we will chase the carrier."),
    ("Delivery — damaged", "My parcel arrived damaged.",
     "Please open a ticket and attach photos of the parcel and the damaged items. We "
     "replace or refund damaged goods."),
    ("Delivery — lost", "The tracking says delivered but I have nothing.",
     "Check with neighbours and your building's reception first. If it is still missing "
     "after 48 hours, open a ticket and we will start a trace with the carrier."),
    ("Billing", "When will I get my refund?",
     "Refunds are paid to the original payment method within 5 to 10 working days after "
     "we approve them."),
    ("Billing", "Where can I find my invoice?",
     "Invoices are e-mailed when your order ships. If you cannot find one, open a Billing "
     "ticket with the order reference."),
    ("Technical", "I forgot my password.",
     "Use 'Forgot password' on the sign-in page, or open a ticket and we will help you."),
    ("General", "How do I rate the help I received?",
     "Once your ticket is resolved, its page shows a rating form: choose 1 to 5 and add "
     "a comment if you like."),
]

CANNED_REPLIES = {
    "Greeting": "Hello,\n\nThank you for contacting us. I am looking into this now.",
    "Need order reference": "Could you send us your order reference so we can look it up?",
    "Photos please": "Could you attach a few photos of the damage? That helps us settle "
                     "the claim quickly.",
    "Refund issued": "We have issued your refund. It reaches your account within 5 to 10 "
                     "working days.",
    "Closing": "I am marking this as resolved. If anything is still wrong, just reply and "
               "the ticket reopens.",
}


def _ensure(model, lookup: dict, **values):
    row = db.session.scalar(select(model).filter_by(**lookup))
    if row is None:
        row = model(**lookup, **values)
        db.session.add(row)
    return row


def install_defaults() -> None:
    with unit_of_work():
        _install_defaults()


def _install_defaults() -> None:
    for priority, (first, resolution) in SLA_DEFAULTS.items():
        _ensure(SlaTarget, {"priority": priority}, first_response_minutes=first * 60,
                resolution_minutes=resolution * 60)
    teams = {name: _ensure(Team, {"name": name}, description=desc)
             for name, desc in TEAMS.items()}
    categories = {}
    for position, (name, (team, desc)) in enumerate(CATEGORIES.items()):
        categories[name] = _ensure(Category, {"name": name}, description=desc,
                                   default_team=teams[team], position=position)
    db.session.flush()
    for position, (category, question, answer) in enumerate(FAQ):
        _ensure(FaqEntry, {"question": question}, answer=answer,
                category_id=categories[category].id, position=position, published=True)
    for title, body in CANNED_REPLIES.items():
        _ensure(CannedReply, {"title": title}, body=body)
    # No Setting rows here: until an admin saves one, HELPDESK_TICKET_PREFIX and
    # HELPDESK_AUTOCLOSE_DAYS from the configuration apply.
