"""Tags as first-class: added and removed on one ticket or many (bulk, macros), listed
with counts, renamed and merged by admins (audited), offered for autocomplete."""
from sqlalchemy import delete, func, select, update

from ... import permissions
from ...extensions import db
from ...models import Ticket, TicketTag, User, utcnow
from .. import audit, events
from ..errors import Forbidden, InvalidInput
from ..unit_of_work import unit_of_work
from .details import MAX_TAGS, parse_tags

SUGGESTIONS = 200


def clean_tag(name: str | None) -> str:
    names = parse_tags(name)
    if len(names) != 1:
        raise InvalidInput("Name one tag.", field="tag")
    return names[0]


def change_tags(ticket: Ticket, actor: User, *, add=(), remove=()) -> bool:
    """Add and remove tags on one ticket (the assignee or an admin), audited as one
    change. Returns whether the tags changed."""
    if not permissions.can_work_ticket(actor, ticket):
        raise Forbidden("Only the assigned agent or an admin can change the tags.")
    add = [clean_tag(n) for n in add]
    remove = {clean_tag(n) for n in remove}
    old = list(ticket.tag_names)
    new = sorted((set(old) | set(add)) - remove)
    if new == sorted(old):
        return False
    if len(new) > MAX_TAGS:
        raise InvalidInput(f"Use at most {MAX_TAGS} tags.", field="tags")
    with unit_of_work():
        ticket.tags = [t for t in ticket.tags if t.name in new]
        ticket.tags.extend(TicketTag(name=n) for n in new if n not in old)
        db.session.flush()
        ticket.last_activity_at = utcnow()
        audit.record(ticket, actor, "tags_changed", field="tags", old=", ".join(old) or None,
                     new=", ".join(new) or None)
        events.publish("ticket.updated", ticket, actor=actor, changes=["tags"])
    return True


def tag_counts(search: str = "", limit: int = 500) -> list[tuple[str, int]]:
    """Every tag with its number of tickets, most used first (ix_ticket_tags_name_ticket)."""
    query = (select(TicketTag.name, func.count().label("n")).group_by(TicketTag.name)
             .order_by(func.count().desc(), TicketTag.name).limit(limit))
    if search:
        query = query.where(TicketTag.name.startswith(search.strip().lower(), autoescape=True))
    return [(name, n) for name, n in db.session.execute(query)]


def suggestions(prefix: str = "") -> list[str]:
    """Tag names for autocomplete, most used first."""
    return [name for name, _ in tag_counts(prefix, SUGGESTIONS)]


def rename_tag(admin: User, old: str, new: str) -> int:
    """Rename a tag on every ticket; renaming into an existing tag merges the two (a
    ticket that had both keeps one). One audit event. Returns the tickets touched."""
    if not permissions.can_manage_reference(admin):
        raise Forbidden("Only admins rename and merge tags.")
    old = clean_tag(old)
    try:
        new = clean_tag(new)
    except InvalidInput as error:
        raise InvalidInput(error.message, field="new_name") from None
    if old == new:
        raise InvalidInput("Give it a different name.", field="new_name")
    existed = db.session.scalar(select(TicketTag.ticket_id).where(TicketTag.name == new)
                                .limit(1)) is not None
    with unit_of_work():
        both = select(TicketTag.ticket_id).where(TicketTag.name == new).scalar_subquery()
        merged = db.session.execute(delete(TicketTag).where(
            TicketTag.name == old, TicketTag.ticket_id.in_(both))).rowcount
        moved = db.session.execute(
            update(TicketTag).where(TicketTag.name == old).values(name=new)
            .execution_options(synchronize_session=False)).rowcount
        if not merged and not moved:
            raise InvalidInput(f"No ticket has the tag “{old}”.", field="tag")
        audit.record(None, admin, "tag_merged" if existed else "tag_renamed", field="tags",
                     old=old, new=new, note=f"{merged + moved} tickets")
    db.session.expire_all()
    return merged + moved
