"""Macros: a canned reply with placeholders plus actions, applied in one click.

Placeholders are Jinja expressions rendered in `ImmutableSandboxedEnvironment` over plain
dicts of strings (never ORM objects), and only a small language is accepted: `{{ root.name
}}` for the roots below, a few text filters, `{% if %}`. No loops, calls, globals or
attributes starting with "_": a template using them is refused when saved and, should one
reach the database anyway, when applied — a refusal next to the field, never a 500.

Actions (status, priority, team, assignee, tags) go through the same services as the
workspace's own buttons, so a macro can do nothing its user could not do by hand; the
reply and every action are one transaction (all or nothing).
"""
import json

from jinja2 import TemplateSyntaxError, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment
from sqlalchemy import func, or_, select

from ... import permissions
from ...extensions import db
from ...models import Macro, Message, Priority, Status, Team, Ticket, User, utcnow
from .. import audit, events
from ..errors import Forbidden, InvalidInput, NotFound
from ..ids import parse_id
from ..unit_of_work import unit_of_work
from .assignment import approved_agent, assign_ticket, change_priority, take_ticket
from .conversation import post_reply
from .details import parse_tags
from .status import pick_status
from .tags import change_tags

PLACEHOLDERS = {
    "customer": ("name", "first_name", "email"),
    "ticket": ("number", "subject", "status", "priority", "category"),
    "agent": ("name", "first_name", "email"),
}
FILTERS = ("upper", "lower", "title", "capitalize", "trim", "default")
ALLOWED_NODES = (nodes.Template, nodes.Output, nodes.TemplateData, nodes.Name, nodes.Getattr,
                 nodes.Const, nodes.Filter, nodes.If, nodes.Not, nodes.And, nodes.Or,
                 nodes.Compare, nodes.Operand, nodes.CondExpr)
MAX_OUTPUT = 20000
ACTION_KEYS = ("status", "priority", "team_id", "assignee", "add_tags", "remove_tags")


def _environment() -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(autoescape=False, keep_trailing_newline=True)
    env.globals.clear()
    env.filters = {name: env.filters[name] for name in FILTERS}
    env.tests = {}
    return env


_ENV = _environment()


def check_template(source: str) -> None:
    """Refuse anything beyond the placeholder language (field "body")."""
    try:
        tree = _ENV.parse(source or "")
    except TemplateSyntaxError as error:
        raise InvalidInput(f"The placeholders do not read: {error.message}.",
                           field="body") from None
    for node in tree.find_all(nodes.Node):
        if not isinstance(node, ALLOWED_NODES):
            raise InvalidInput(f"Only placeholders such as {{{{ customer.name }}}} and "
                               f"{{% if %}} can be used (not {type(node).__name__}).",
                               field="body")
        if isinstance(node, nodes.Name) and node.name not in PLACEHOLDERS:
            raise InvalidInput(f"Unknown placeholder “{node.name}”: use "
                               f"{', '.join(PLACEHOLDERS)}.", field="body")
        if isinstance(node, nodes.Getattr):
            root = node.node
            if (not isinstance(root, nodes.Name) or root.name not in PLACEHOLDERS
                    or node.attr not in PLACEHOLDERS[root.name]):
                raise InvalidInput(f"Unknown placeholder “{node.attr}”.", field="body")
        if isinstance(node, nodes.Filter) and node.name not in FILTERS:
            raise InvalidInput(f"The filter “{node.name}” is not available.", field="body")


def placeholder_values(ticket: Ticket, agent: User) -> dict[str, dict[str, str]]:
    """Plain strings only: the sandbox never sees a model."""
    def first(name: str) -> str:
        return (name or "").split(" ")[0]
    requester = ticket.requester
    return {
        "customer": {"name": requester.name or "", "first_name": first(requester.name),
                     "email": requester.email or ""},
        "ticket": {"number": ticket.number, "subject": ticket.subject,
                   "status": str(Status(ticket.status).value).replace("_", " "),
                   "priority": str(ticket.priority),
                   "category": ticket.category.name if ticket.category else ""},
        "agent": {"name": agent.name or "", "first_name": first(agent.name),
                  "email": agent.email or ""},
    }


def render_body(source: str, ticket: Ticket, agent: User) -> str:
    check_template(source)
    try:
        text = _ENV.from_string(source or "").render(placeholder_values(ticket, agent))
    except Exception:  # noqa: BLE001 — a sandbox refusal or any render error: refused
        raise InvalidInput("This macro's text cannot be filled in.", field="body") from None
    return text[:MAX_OUTPUT]


def filled_bodies(macros, ticket: Ticket, agent: User) -> dict[int, str]:
    """Each macro's text with its placeholders filled in for this ticket, for the
    workspace's "Insert a canned reply" picker (a text that cannot be filled: as written)."""
    filled = {}
    for macro in macros:
        try:
            filled[macro.id] = render_body(macro.body, ticket, agent)
        except InvalidInput:
            filled[macro.id] = macro.body
    return filled


# --- actions ----------------------------------------------------------------------------

def parse_actions(raw: dict) -> dict:
    """Checked actions (unknown keys dropped, empty values left out)."""
    actions = {}
    status = (raw.get("status") or "").strip()
    if status:
        if status not in {s.value for s in Status}:
            raise InvalidInput("Choose one of the listed statuses.", field="status")
        actions["status"] = status
    priority = (raw.get("priority") or "").strip()
    if priority:
        if priority not in {p.value for p in Priority}:
            raise InvalidInput("Choose one of the listed priorities.", field="priority")
        actions["priority"] = priority
    team_id = raw.get("team_id")
    if team_id not in (None, ""):
        team = db.session.get(Team, parse_id(team_id) or 0)
        if team is None:
            raise InvalidInput("Choose one of the listed teams.", field="team_id")
        actions["team_id"] = team.id
    assignee = str(raw.get("assignee") or "").strip()
    if assignee:
        if assignee not in ("me", "none"):
            approved_agent(assignee)
        actions["assignee"] = assignee
    for key in ("add_tags", "remove_tags"):
        value = raw.get(key)
        names = parse_tags(", ".join(value) if isinstance(value, list | tuple) else value)
        if names:
            actions[key] = names
    return actions


def actions_of(macro: Macro) -> dict:
    try:
        data = json.loads(macro.actions or "{}")
    except ValueError:
        return {}
    return {k: v for k, v in data.items() if k in ACTION_KEYS} if isinstance(data, dict) else {}


def describe(macro: Macro) -> list[str]:
    """The actions in words, for pickers and the list."""
    a = actions_of(macro)
    words = []
    if "status" in a:
        words.append(f"status → {a['status'].replace('_', ' ')}")
    if "priority" in a:
        words.append(f"priority → {a['priority']}")
    if "team_id" in a:
        team = db.session.get(Team, a["team_id"])
        words.append(f"team → {team.name if team else '?'}")
    if "assignee" in a:
        words.append(f"assignee → {a['assignee']}")
    if a.get("add_tags"):
        words.append("add tags " + ", ".join(a["add_tags"]))
    if a.get("remove_tags"):
        words.append("remove tags " + ", ".join(a["remove_tags"]))
    return words


# --- who sees and manages which macros ---------------------------------------------------

def macros_for(user: User) -> list[Macro]:
    """The shared macros and this person's own, by title."""
    if not user.is_staff:
        return []
    return list(db.session.scalars(select(Macro).where(
        or_(Macro.owner_id.is_(None), Macro.owner_id == user.id))
        .order_by(Macro.owner_id.is_not(None), func.lower(Macro.title))))


def get_macro(user: User, macro_id) -> Macro:
    macro = db.session.get(Macro, parse_id(macro_id) or 0) if user.is_staff else None
    if macro is None or (macro.owner_id is not None and macro.owner_id != user.id):
        raise NotFound("Macro not found.")
    return macro


def _may_manage(user: User, macro: Macro | None, shared: bool) -> None:
    if not user.is_staff:
        raise Forbidden("Only agents keep macros.")
    if (shared or (macro is not None and macro.owner_id is None)) and not user.is_admin:
        raise Forbidden("Only admins manage shared macros.")
    if macro is not None and macro.owner_id not in (None, user.id):
        raise NotFound("Macro not found.")


def save_macro(user: User, macro: Macro | None, *, title: str, body: str, shared: bool,
               actions: dict) -> Macro:
    _may_manage(user, macro, shared)
    title = " ".join((title or "").split())
    if not title:
        raise InvalidInput("Give the macro a title.", field="title")
    if len(title) > 120:
        raise InvalidInput("Keep the title under 120 characters.", field="title")
    body = (body or "").strip()
    check_template(body)
    checked = parse_actions(actions)
    if not body and not checked:
        raise InvalidInput("Write a reply or choose at least one action.", field="body")
    owner_id = None if shared else user.id
    clash = db.session.scalar(select(Macro).where(
        Macro.owner_id.is_(None) if owner_id is None else Macro.owner_id == owner_id,
        func.lower(Macro.title) == title.lower()))
    if clash is not None and clash is not macro:
        raise InvalidInput(f"“{title}” is already taken.", field="title")
    created = macro is None
    with unit_of_work():
        if created:
            macro = Macro()
            db.session.add(macro)
        macro.title, macro.body, macro.owner_id = title, body, owner_id
        macro.actions = json.dumps(checked, sort_keys=True)
        audit.record(None, user, "macro_created" if created else "macro_updated",
                     note=f"{title} ({'shared' if owner_id is None else 'personal'})")
    return macro


def delete_macro(user: User, macro: Macro) -> None:
    _may_manage(user, macro, macro.owner_id is None)
    with unit_of_work():
        audit.record(None, user, "macro_deleted", note=macro.title)
        db.session.delete(macro)


# --- applying ----------------------------------------------------------------------------

def apply_macro(ticket: Ticket, actor: User, macro: Macro, *, body: str | None = None,
                internal: bool = False) -> Message | None:
    """The reply (the macro's text filled in, or `body` as the agent edited it) and the
    actions, through the usual services, in one transaction. A refusal of any part
    refuses it all (nothing is saved)."""
    if macro.owner_id not in (None, actor.id) or not actor.is_staff:
        raise NotFound("Macro not found.")
    if not permissions.can_view_ticket(actor, ticket):
        raise NotFound("Ticket not found.")
    try:
        text = render_body(macro.body, ticket, actor) if body is None else body
    except InvalidInput as error:
        raise InvalidInput(f"This macro's text cannot be filled in: {error.message}",
                           field="macro") from None
    actions = actions_of(macro)
    message = None
    with unit_of_work():
        if text.strip():
            message = post_reply(ticket, actor, text, internal=internal)
        if actions.get("add_tags") or actions.get("remove_tags"):
            change_tags(ticket, actor, add=actions.get("add_tags", ()),
                        remove=actions.get("remove_tags", ()))
        if "priority" in actions:
            change_priority(ticket, actor, actions["priority"])
        if "team_id" in actions and actions["team_id"] != ticket.team_id:
            _change_team(ticket, actor, actions["team_id"])
        if "assignee" in actions:
            _assign(ticket, actor, actions["assignee"])
        if "status" in actions:
            pick_status(ticket, actor, actions["status"])
        audit.record(ticket, actor, "macro_applied", note=macro.title)
    return message


def _change_team(ticket: Ticket, actor: User, team_id: int) -> None:
    """As the side panel's Team picker does (same rule: the assignee or an admin)."""
    if not permissions.can_work_ticket(actor, ticket):
        raise Forbidden("Only the assigned agent or an admin can change the team.")
    team = db.session.get(Team, team_id)
    if team is None:
        raise InvalidInput("This macro's team no longer exists.", field="macro")
    audit.record(ticket, actor, "team_changed", field="team",
                 old=ticket.team.name if ticket.team else None, new=team.name)
    ticket.team = team
    ticket.last_activity_at = utcnow()
    events.publish("ticket.updated", ticket, actor=actor, changes=["team"])


def _assign(ticket: Ticket, actor: User, assignee: str) -> None:
    if assignee == "me" and not actor.is_admin:
        if ticket.assignee_id != actor.id:
            take_ticket(ticket, actor)
        return
    target = actor if assignee == "me" else (
        None if assignee == "none" else approved_agent(assignee))
    assign_ticket(ticket, actor, target)  # admins only: refuses agents
