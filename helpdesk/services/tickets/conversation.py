"""The thread of a ticket: reading it as a given person, and adding replies and notes."""
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ... import permissions
from ...extensions import db
from ...models import STATUS_LABELS, Attachment, Message, Status, Ticket, User, utcnow
from .. import audit, events, notifications
from ..errors import Forbidden, InvalidInput, InvalidTransition, NotFound
from ..files.attachments import (
    Upload,
    check_uploads,
    delete_files_after_commit,
    real_uploads,
    store_uploads,
)
from ..files.pending import PendingUpload, attach_pending
from ..people.directory import active_admins
from ..unit_of_work import unit_of_work
from .status import apply_transition, check_status_change
from .workflow import Way, next_status

CLOSED_REPLY_REFUSED = ("This ticket is closed, so it cannot take new replies. "
                        "Open a follow-up ticket instead.")


def thread(viewer: User, ticket: Ticket) -> list[Message]:
    """The messages this person may read, with authors and files, in two queries.
    Customers never get internal notes: they are filtered here, in the query."""
    query = (select(Message).where(Message.ticket_id == ticket.id)
             .options(selectinload(Message.author), selectinload(Message.attachments))
             .order_by(Message.created_at, Message.id))
    if not viewer.is_staff:
        query = query.where(Message.is_internal.is_(False))
    return list(db.session.scalars(query))


def post_reply(ticket: Ticket, author: User, body: str, *, internal: bool = False,
               files: Sequence[Upload] = (), set_status: str | None = None,
               kept: Sequence[PendingUpload] = (), text_format: str = "markdown") -> Message:
    """A public reply or an internal note, with its files (new ones, and `kept` ones
    from an earlier attempt that failed), in one transaction. Staff may move the ticket
    in the same step (`set_status`, "send and mark pending"): the customer gets one
    notification for the reply that says the new status, not one for each. Written on
    a page or through the API it is Markdown; mail passes text_format="text"."""
    body = (body or "").strip()
    if not body:
        raise InvalidInput("Write a message.", field="body")
    files = real_uploads(files)
    check_uploads(files, already=len(kept))
    target = None
    if set_status and set_status != ticket.status:
        if author.is_customer:
            raise Forbidden("Customers cannot set the status of a ticket.")
        target = check_status_change(ticket, author, set_status)
    if author.is_customer and internal:
        raise Forbidden("Internal notes are for agents and admins.")
    if author.is_customer:
        new_status = _customer_reply_status(ticket, author)
    else:
        new_status = None
        if not author.is_staff:
            raise Forbidden("You may not reply to this ticket.")
        if not internal and not permissions.can_work_ticket(author, ticket):
            raise Forbidden("Only the assigned agent or an admin can reply publicly. "
                            "You can add an internal note.")
        if not internal and ticket.status == Status.CLOSED:
            raise InvalidTransition("This ticket is closed: reopen it before replying to the "
                                    "customer. You can add an internal note.", field="body")
    with unit_of_work():
        now = utcnow()
        message = Message(ticket=ticket, author=author, body=body,
                          format="text" if text_format == "text" else "markdown",
                          is_internal=internal and not author.is_customer, created_at=now)
        db.session.add(message)
        db.session.flush()
        store_uploads(files, ticket=ticket, uploader=author, message=message)
        attach_pending(kept, owner=author, ticket=ticket, message=message)
        ticket.last_activity_at = now
        if not message.is_internal:
            ticket.public_activity_at = now
        action = "internal_note" if message.is_internal else "replied"
        audit.record(ticket, author, action, internal=message.is_internal)
        if files or kept:
            audit.record(ticket, author, "attachment_added", new=len(files) + len(kept),
                         internal=message.is_internal)
        public_reply = not author.is_customer and not message.is_internal
        if target is not None:
            apply_transition(ticket, author, target, tell_requester=not public_reply)
        events.publish("message.created", ticket, actor=author, message=message,
                       internal=message.is_internal)
        if author.is_customer:
            _after_customer_reply(ticket, author, new_status, message, bool(files))
        elif not message.is_internal:
            ticket.last_agent_reply_at = now
            if ticket.first_response_at is None:
                ticket.first_response_at = now
            text = f"New reply on {ticket.number}: {ticket.subject}"
            if target is not None:
                text = (f"New reply on {ticket.number} (now {STATUS_LABELS[target]}): "
                        f"{ticket.subject}")
            notifications.notify([ticket.requester], ticket, "agent_replied", text,
                                 actor=author, message=message)
        # A colleague's file on the assignee's ticket.
        if (files or kept) and not author.is_customer:
            notifications.notify([ticket.assignee], ticket, "attachment_added",
                                 f"{author.name} attached files to {ticket.number}",
                                 actor=author)
    return message


def _customer_reply_status(ticket: Ticket, customer: User) -> Status | None:
    """The requester, or a colleague where the organization shares tickets."""
    if not permissions.can_view_ticket(customer, ticket):
        raise NotFound("Ticket not found.")
    if ticket.status == Status.CLOSED:
        raise InvalidTransition(CLOSED_REPLY_REFUSED, field="body")
    return next_status(ticket.status, Way.CUSTOMER_REPLY)


def _after_customer_reply(ticket: Ticket, customer: User, new_status, message: Message,
                          has_files: bool) -> None:
    if new_status is not None:
        action = "reopened" if ticket.status == Status.RESOLVED else "status_changed"
        apply_transition(ticket, customer, new_status, action=action)
    text = f"{customer.name} replied on {ticket.number}"
    if has_files:
        text += " and attached files"
    notifications.notify([ticket.assignee] if ticket.assignee else active_admins(), ticket,
                         "customer_replied", text, actor=customer, message=message)
    if ticket.requester_id != customer.id:  # a colleague spoke on the requester's ticket
        notifications.notify([ticket.requester], ticket, "colleague_replied",
                             f"{customer.name} replied on your ticket {ticket.number}",
                             actor=customer, message=message)


def post_mail_note(ticket: Ticket, author: User, body: str, *,
                   files: Sequence[Upload] = ()) -> Message:
    """Mail that may not speak on the ticket (a stranger's reply, an agent's reply that
    could not go out publicly) is kept as an internal note for an agent to judge. The
    author is whoever sent it, customer or not; `body` starts with the reason."""
    files = real_uploads(files)
    check_uploads(files)
    with unit_of_work():
        now = utcnow()
        message = Message(ticket=ticket, author=author, body=body.strip() or "(no text)",
                          format="text", is_internal=True, created_at=now)
        db.session.add(message)
        db.session.flush()
        store_uploads(files, ticket=ticket, uploader=author, message=message)
        ticket.last_activity_at = now
        audit.record(ticket, author, "internal_note", note="by e-mail", internal=True)
        events.publish("message.created", ticket, actor=author, message=message,
                       internal=True)
        notifications.notify([ticket.assignee] if ticket.assignee else active_admins(),
                             ticket, "mail_note",
                             f"Mail from {author.email} on {ticket.number} kept as a note",
                             actor=author)
    return message


# --- files on the ticket, and changing what was written ----------------------------------

def attach_files(ticket: Ticket, actor: User, files: Sequence[Upload], *,
                 message: Message | None = None) -> list[Attachment]:
    """Files on the ticket itself (public, like its description) or on one of the
    caller's messages (as visible as that message), with the same checks as any upload,
    in one transaction."""
    files = real_uploads(files)
    if not files:
        raise InvalidInput("Choose at least one file.", field="attachments")
    check_uploads(files)
    if not permissions.can_view_ticket(actor, ticket):
        raise NotFound("Ticket not found.")
    if message is not None:
        if message.ticket_id != ticket.id:
            raise NotFound("Message not found.")
        _check_editable(message, actor)
    elif not permissions.can_attach_to_ticket(actor, ticket):
        if ticket.status == Status.CLOSED:
            raise InvalidTransition("This ticket is closed: it takes no new files.",
                                    field="attachments")
        raise Forbidden("Only the assigned agent or an admin can add public files. "
                        "You can attach them to your internal note.")
    internal = message is not None and message.is_internal
    with unit_of_work():
        stored = store_uploads(files, ticket=ticket, uploader=actor, message=message)
        now = utcnow()
        ticket.last_activity_at = now
        if not internal:
            ticket.public_activity_at = now
        audit.record(ticket, actor, "attachment_added", new=len(files), internal=internal)
        text = f"{actor.name} attached files to {ticket.number}"
        if actor.is_customer:
            told = [ticket.assignee] if ticket.assignee else active_admins()
        else:
            told = [ticket.assignee] if internal else [ticket.requester, ticket.assignee]
        notifications.notify(told, ticket, "attachment_added", text, actor=actor)
        events.publish("ticket.updated", ticket, actor=actor, changes=["attachments"],
                       internal=internal)
    return stored


def visible_message(viewer: User, message_id: int) -> Message:
    """A message this person may read (customers: public ones on their own tickets)."""
    on_visible_ticket = (permissions.visible_tickets(viewer)
                         .where(Ticket.id == Message.ticket_id).exists())
    query = select(Message).where(Message.id == message_id, on_visible_ticket)
    if not viewer.is_staff:
        query = query.where(Message.is_internal.is_(False))
    message = db.session.scalar(query.options(selectinload(Message.attachments),
                                              selectinload(Message.author)))
    if message is None:
        raise NotFound("Message not found.")
    return message


def _check_editable(message: Message, actor: User) -> None:
    if not permissions.can_edit_message(actor, message):
        if actor.is_customer and message.ticket.status == Status.CLOSED:
            raise InvalidTransition("This ticket is closed: its messages stay as they are.")
        raise Forbidden("Only the author or an admin can change a message.")


def edit_message(message: Message, actor: User, body: str) -> bool:
    """The author (or an admin) rewrites a message; the audit trail keeps the old text.
    Returns whether it changed."""
    body = (body or "").strip()
    if not body:
        raise InvalidInput("Write a message.", field="body")
    _check_editable(message, actor)
    if body == message.body:
        return False
    with unit_of_work():
        audit.record(message.ticket, actor, "message_edited", field="body",
                     old=message.body, new=body, note=f"message {message.id}",
                     internal=message.is_internal)
        message.body = body
        message.edited_at = message.ticket.last_activity_at = utcnow()
        events.publish("ticket.updated", message.ticket, actor=actor, changes=["messages"],
                       internal=message.is_internal)
    return True


def delete_message(message: Message, actor: User) -> None:
    """The author (or an admin) removes a message and its files; the audit trail keeps
    what it said. Files leave storage only once the deletion has committed."""
    _check_editable(message, actor)
    ticket = message.ticket
    keys = [a.stored_name for a in message.attachments]
    with unit_of_work():
        audit.record(ticket, actor, "message_deleted", old=message.body,
                     note=f"message {message.id}", internal=message.is_internal)
        db.session.delete(message)  # its attachment rows go by ON DELETE CASCADE
        ticket.last_activity_at = utcnow()
        delete_files_after_commit(keys)
        events.publish("ticket.updated", ticket, actor=actor, changes=["messages"],
                       internal=message.is_internal)
