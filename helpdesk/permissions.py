"""Who may do what: one policy module for views, queries, services and templates.

Blueprints guard themselves as a whole with `before_request` (see `guard_blueprint`),
so a forgotten decorator cannot leak a page. Object-level rules (may this person see
or act on this ticket?) live here too; the services call them again before they act,
and templates ask the same functions through `template_policy` — no template compares
a role or a status itself.
"""
from collections.abc import Callable
from datetime import timedelta
from functools import partial

from flask import abort
from flask_login import current_user, login_fresh
from sqlalchemy import false, or_, select

from .extensions import db, login_manager
from .models import (
    DONE_STATUSES,
    AgentStatus,
    Message,
    Organization,
    Status,
    Ticket,
    User,
    utcnow,
)
from .services.tickets.workflow import (
    Way,
    allowed_targets,
    can_be_taken,
    is_allowed,
    manual_ways,
    next_status,
)

login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to continue."
login_manager.login_message_category = "info"
login_manager.refresh_view = "auth.login"
login_manager.needs_refresh_message = "Please confirm your password to continue."
login_manager.needs_refresh_message_category = "info"


# --- roles -------------------------------------------------------------------------------
# "Staff" (an approved agent or an admin) is defined once, on the model, as a Python
# rule and as a SQL expression (`User.is_staff`); these add "is signed in".

def is_customer(user) -> bool:
    return user.is_authenticated and user.is_customer


def is_staff(user) -> bool:
    return user.is_authenticated and user.is_staff


def is_admin(user) -> bool:
    return user.is_authenticated and user.is_admin


def is_pending_agent(user) -> bool:
    return user.is_authenticated and user.is_pending_agent


# What each part of the site needs.
can_use_portal = is_customer
can_see_queue = is_staff
can_see_console = is_admin
can_edit_faq = is_staff                 # product.md: "admins and agents edit" the FAQ
can_manage_reference = is_admin         # categories, teams, canned replies, SLA, settings
can_manage_people = is_admin
can_export_tickets = is_admin           # every ticket, with names and e-mail addresses
can_assign = is_admin                   # to others; agents take tickets for themselves
can_delete_tickets = is_admin
can_manage_organizations = is_admin     # name, domains, ticket sharing, members
can_manage_webhooks = is_admin
can_see_customer = is_staff             # a customer's page: details, organization, tickets


# --- the queue's bulk bar -------------------------------------------------------------------

def bulk_actions(user) -> tuple[str, ...]:
    """The kinds of bulk action the queue offers this person. Agents take unassigned
    tickets (assigning others is the admins'), and change status or priority, which the
    services allow on their own tickets; deleting is the admins' alone."""
    if is_admin(user):
        return ("assign", "status", "priority", "delete")
    if is_staff(user):
        return ("take", "status", "priority")
    return ()


def bulk_statuses(user) -> list[Status]:
    """The statuses this person may choose by hand on some ticket: never "new" (nobody
    moves a ticket back to new), and for agents not what only admins may do."""
    ways = manual_ways(user.role) if is_staff(user) else frozenset()
    return [s for s in Status if any(s in allowed_targets(current, ways) for current in Status)]


# The admin console's pages: who may open each one. Every page not listed is for
# admins; product.md: "admins and agents edit" the FAQ.
CONSOLE_PAGES: dict[str, Callable] = {
    "admin.faq": can_edit_faq,
    "admin.edit_faq": can_edit_faq,
    "admin.delete_faq": can_edit_faq,
}


def console_rule(endpoint: str | None) -> Callable:
    """The rule for one console endpoint (default: `can_see_console`)."""
    return CONSOLE_PAGES.get(endpoint or "", can_see_console)


def may_open_console_page(user, endpoint: str | None) -> bool:
    return console_rule(endpoint)(user)


# Actions that need the password typed in this session: a session restored from a "keep
# me signed in" cookie (which could have been copied) must confirm it first. Per action,
# not per blueprint, so a page elsewhere that shows the same data asks the same.
FRESH_SIGN_IN_ACTIONS = frozenset({
    "console",          # the admin console (people, settings, deletions, audit log)
    "export_tickets",   # the queue as CSV: every ticket with names and e-mail addresses
})


def needs_fresh_sign_in(action: str | None) -> bool:
    return action in FRESH_SIGN_IN_ACTIONS


def require(check, *, action: str | None = None):
    """Signed out → the sign-in page; signed in without the right → 403; an action that
    needs a fresh sign-in, in a session restored from a cookie → confirm the password."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not check(current_user):
        abort(403)
    if needs_fresh_sign_in(action) and not login_fresh():
        return login_manager.needs_refresh()
    return None


def guard_blueprint(bp, check) -> None:
    """Every view of `bp` requires `check(current_user)`."""
    bp.before_request(lambda: require(check))


def can_use_api(user) -> bool:
    """API tokens are for customers and working staff whose account is active: never for
    pending, rejected or suspended agents, nor deactivated customers."""
    return user.is_authenticated and user.is_active and (user.is_customer or user.is_staff)


def home_endpoint(user) -> str:
    """Where a signed-in person starts."""
    if user.is_staff:
        return "agent.queue"
    if user.is_agent:
        return "auth.pending"
    return "portal.tickets"


# --- tickets -------------------------------------------------------------------------------
# Customers see their own tickets and, when their organization shares tickets, their
# colleagues' (product.md, "Organizations"). On a colleague's ticket a customer reads
# the public thread and may reply — it is their company's problem too — but rating,
# "this is solved", withdrawing and follow-ups stay with the person who asked.

def is_requester(user, ticket: Ticket) -> bool:
    return is_customer(user) and ticket.requester_id == user.id


def is_colleagues_ticket(user, ticket: Ticket) -> bool:
    """Someone else's ticket of the customer's organization, which shares tickets."""
    return (is_customer(user) and ticket.requester_id != user.id
            and user.organization_id is not None
            and ticket.organization_id == user.organization_id
            and user.organization.shares_tickets)


def can_view_ticket(user, ticket: Ticket) -> bool:
    if not user.is_authenticated:
        return False
    return user.is_staff or is_requester(user, ticket) or is_colleagues_ticket(user, ticket)


def can_work_ticket(user, ticket: Ticket) -> bool:
    """Public replies and status/priority changes: the assignee, or any admin."""
    return is_admin(user) or (is_staff(user) and ticket.assignee_id == user.id)


def can_reply(user, ticket: Ticket) -> bool:
    """Whether the reply box is offered: customers on unclosed tickets they may see
    (their own, or a colleague's where the organization shares); staff always (an
    internal note is possible on any ticket)."""
    if is_customer(user):
        return can_view_ticket(user, ticket) and ticket.status != Status.CLOSED
    return is_staff(user)


def can_reply_publicly(user, ticket: Ticket) -> bool:
    """A public staff reply: the assignee or an admin, on a ticket that is not closed."""
    return can_work_ticket(user, ticket) and ticket.status != Status.CLOSED


def is_closed(ticket: Ticket) -> bool:
    return ticket.status == Status.CLOSED


def reply_reopens(ticket: Ticket) -> bool:
    """A customer's reply brings a done ticket back (the workflow: resolved → open;
    a closed one takes no replies)."""
    return (ticket.status in DONE_STATUSES
            and next_status(ticket.status, Way.CUSTOMER_REPLY) is not None)


def can_reopen(user, ticket: Ticket) -> bool:
    """Admins reopen closed tickets (the workflow's ADMIN way); nobody else can."""
    return is_admin(user) and is_allowed(ticket.status, Status.OPEN, {Way.ADMIN})


def status_targets(user, ticket: Ticket) -> list[Status]:
    """The statuses this person may move the ticket to by hand (none: not theirs)."""
    if not can_work_ticket(user, ticket):
        return []
    return allowed_targets(ticket.status, manual_ways(user.role))


def can_change_status(user, ticket: Ticket) -> bool:
    return bool(status_targets(user, ticket))


def requestable_statuses(user, ticket: Ticket) -> list[Status]:
    """Every status this person may ask for now: staff choose by hand (`status_targets`);
    the requester can only close (confirming a resolution, or withdrawing)."""
    if is_customer(user):
        if can_confirm_resolution(user, ticket) or can_withdraw(user, ticket):
            return [Status.CLOSED]
        return []
    return status_targets(user, ticket)


def can_attach_to_ticket(user, ticket: Ticket) -> bool:
    """Files on the ticket itself are public, like its description: the requester's
    while it is not closed, or the assignee's or an admin's."""
    if is_customer(user):
        return can_reply(user, ticket)
    return can_reply_publicly(user, ticket)


def can_edit_message(user, message: Message) -> bool:
    """Edit or delete a message: its author, or any admin. Customers only their own
    public messages, on tickets they may still reply on (not closed)."""
    if is_admin(user):
        return True
    if not user.is_authenticated or message.author_id != user.id:
        return False
    if is_customer(user):
        return not message.is_internal and can_reply(user, message.ticket)
    return is_staff(user)


def can_take(user, ticket: Ticket) -> bool:
    """Staff take unassigned tickets the workflow lets them take (not closed ones)."""
    return is_staff(user) and ticket.assignee_id is None and can_be_taken(ticket.status)


def can_merge(user, ticket: Ticket) -> bool:
    """Merging closes the ticket: its assignee or an admin, while the workflow lets a
    merge close it (not closed, not merged already)."""
    return (can_work_ticket(user, ticket) and ticket.merged_into_id is None
            and is_allowed(ticket.status, Status.CLOSED, {Way.MERGE}))


def can_link(user, ticket: Ticket) -> bool:
    """Related-ticket links are for staff, on any ticket they can see."""
    return is_staff(user)


def can_be_escalated(ticket: Ticket) -> bool:
    """Only tickets still being worked on can be escalated."""
    return ticket.status not in DONE_STATUSES


def can_escalate(user, ticket: Ticket) -> bool:
    return is_staff(user) and can_be_escalated(ticket)


RATING_CHANGE_DAYS = 7  # a rating may be changed for this long, then it is final


def rating_is_final(feedback, now=None) -> bool:
    return (now or utcnow()) - feedback.created_at > timedelta(days=RATING_CHANGE_DAYS)


def can_rate(user, ticket: Ticket) -> bool:
    """The requester, after the ticket is resolved or closed: once, and then may change
    that rating for RATING_CHANGE_DAYS days."""
    return (is_customer(user) and ticket.requester_id == user.id
            and ticket.status in DONE_STATUSES
            and (ticket.feedback is None or not rating_is_final(ticket.feedback)))


def can_confirm_resolution(user, ticket: Ticket) -> bool:
    return (is_customer(user) and ticket.requester_id == user.id
            and next_status(ticket.status, Way.CONFIRM) is not None)


def can_withdraw(user, ticket: Ticket) -> bool:
    return (is_customer(user) and ticket.requester_id == user.id
            and next_status(ticket.status, Way.WITHDRAW) is not None)


def customer_ticket_condition(user):
    """The WHERE clause of the tickets a customer may see: their own, and their
    organization's while it shares tickets. Sharing is read in the same statement (a
    scalar subquery the database evaluates once, then uses as an index key on
    ix_tickets_organization_activity), so turning it off takes effect at once."""
    own = Ticket.requester_id == user.id
    if user.organization_id is None:
        return own
    sharing = (select(Organization.id)
               .where(Organization.id == user.organization_id,
                      Organization.shares_tickets.is_(True))
               .scalar_subquery())
    return or_(own, Ticket.organization_id == sharing)


def visible_tickets(user):
    """A SELECT of the tickets this person may see; list pages start from it."""
    query = select(Ticket)
    if is_staff(user):
        return query
    if is_customer(user):
        return query.where(customer_ticket_condition(user))
    return query.where(false())


def get_visible_ticket(user, number: str) -> Ticket:
    """The ticket, or 404 — also when it exists but is not this person's."""
    ticket = db.session.scalar(visible_tickets(user).where(Ticket.number == number))
    if ticket is None:
        abort(404)
    return ticket


# --- decisions about agent accounts --------------------------------------------------------

# decision: the agent-account states it applies to.
AGENT_DECISIONS: dict[str, frozenset[AgentStatus]] = {
    "approve": frozenset({AgentStatus.PENDING, AgentStatus.REJECTED}),
    "reject": frozenset({AgentStatus.PENDING}),
    "suspend": frozenset({AgentStatus.APPROVED}),
    "reactivate": frozenset({AgentStatus.SUSPENDED}),
    "promote": frozenset({AgentStatus.APPROVED}),
}


def can_decide(admin, user: User, decision: str) -> bool:
    """An admin deciding on someone else's agent account, in a state the decision fits."""
    return (is_admin(admin) and admin.id != user.id and user.is_agent
            and user.agent_status in AGENT_DECISIONS[decision])


def can_reset_two_factor(admin, user: User) -> bool:
    """An admin resetting someone else's second factor (a lost phone)."""
    return is_admin(admin) and admin.id != user.id and user.totp_enabled_at is not None


def can_change_teams(admin, user: User) -> bool:
    return is_admin(admin) and user.is_staff


# --- agents' tools: saved views and macros ------------------------------------------------

def can_share(user) -> bool:
    """Shared saved views and shared macros are the admins'."""
    return is_admin(user)


def can_manage_view(user, view) -> bool:
    """A personal view is its owner's; a shared one the admins'."""
    if view.owner_id is not None:
        return is_staff(user) and view.owner_id == user.id
    return is_admin(user)


def can_manage_macro(user, macro) -> bool:
    if macro.owner_id is not None:
        return is_staff(user) and macro.owner_id == user.id
    return is_admin(user)


# --- templates -----------------------------------------------------------------------------

_TEMPLATE_POLICY: dict[str, Callable] = {
    "is_customer": is_customer, "is_staff": is_staff, "is_admin": is_admin,
    "is_pending_agent": is_pending_agent,
    "can_use_portal": can_use_portal, "can_see_queue": can_see_queue,
    "can_see_console": can_see_console, "can_edit_faq": can_edit_faq,
    "can_manage_reference": can_manage_reference, "can_manage_people": can_manage_people,
    "can_export_tickets": can_export_tickets, "can_assign": can_assign,
    "can_delete_tickets": can_delete_tickets,
    "can_manage_organizations": can_manage_organizations,
    "can_manage_webhooks": can_manage_webhooks,
    "is_requester": is_requester,
    "can_view_ticket": can_view_ticket, "can_work_ticket": can_work_ticket,
    "can_reply": can_reply, "can_reply_publicly": can_reply_publicly,
    "can_change_status": can_change_status, "can_take": can_take,
    "can_escalate": can_escalate, "can_rate": can_rate,
    "can_confirm_resolution": can_confirm_resolution, "can_withdraw": can_withdraw,
    "can_decide": can_decide, "can_change_teams": can_change_teams,
    "can_reset_two_factor": can_reset_two_factor,
    "can_reopen": can_reopen, "may_open_console_page": may_open_console_page,
    "can_merge": can_merge, "can_link": can_link,
    "can_share": can_share, "can_manage_view": can_manage_view,
    "can_manage_macro": can_manage_macro,
    "bulk_actions": bulk_actions, "can_see_customer": can_see_customer,
    "awaits_approval": is_pending_agent,  # the 403 page tells a pending agent why
}
# Facts about a ticket that decide what a page shows, whoever looks.
_TEMPLATE_FACTS: dict[str, Callable] = {
    "is_closed": is_closed, "reply_reopens": reply_reopens,
    "can_be_escalated": can_be_escalated,
}


def template_policy() -> dict[str, Callable]:
    """The policy for Jinja, asked about the person viewing the page:
    `{% if can_take(ticket) %}`, `{% if can_see_console() %}`, `{% if is_closed(ticket) %}`."""
    return {**{name: partial(rule, current_user) for name, rule in _TEMPLATE_POLICY.items()},
            **_TEMPLATE_FACTS}
