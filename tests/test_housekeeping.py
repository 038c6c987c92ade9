"""Deleting tickets (rows, files, audit record) and auto-closing resolved tickets."""
import io
from datetime import timedelta

import pytest
from conftest import PNG_BYTES, login, make_ticket, stored_keys
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from helpdesk.extensions import db
from helpdesk.models import (
    Attachment,
    AuditEvent,
    Feedback,
    Message,
    Notification,
    Setting,
    Status,
    Ticket,
    TicketTag,
    utcnow,
)
from helpdesk.services.errors import Forbidden
from helpdesk.services.files import attachments
from helpdesk.services.tickets import conversation, housekeeping


def png(name="photo.png"):
    return FileStorage(stream=io.BytesIO(PNG_BYTES), filename=name, content_type="image/png")


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def full_ticket(app, customer, agent):
    """A ticket with an opening file, a reply with a file, an internal note, a tag,
    feedback and notifications."""
    ticket = make_ticket(customer, files=[png("opening.png")])
    conversation.post_reply(ticket, customer, "More photos", files=[png("more.png")])
    conversation.post_reply(ticket, agent, "Checked the warehouse", internal=True)
    db.session.add(TicketTag(ticket_id=ticket.id, name="fragile"))
    db.session.add(Feedback(ticket_id=ticket.id, author_id=customer.id, rating=4))
    db.session.add(Notification(user_id=agent.id, ticket_id=ticket.id, kind="x", text="x"))
    db.session.commit()
    return ticket


def stored_names(ticket_id) -> set[str]:
    return set(db.session.scalars(select(Attachment.stored_name)
                                  .where(Attachment.ticket_id == ticket_id)))


def test_deleting_a_ticket_removes_its_rows_and_files_and_keeps_an_audit_record(
        storage_backend, app, full_ticket, admin, customer):
    other = make_ticket(customer, subject="Unrelated", files=[png()])
    ticket_id, number = full_ticket.id, full_ticket.number
    keys = stored_names(ticket_id)
    other_keys = stored_names(other.id)
    assert len(keys) == 2 and stored_keys(app) == keys | other_keys

    assert housekeeping.delete_ticket(full_ticket, admin, reason="Test data") == number

    db.session.expire_all()
    assert db.session.get(Ticket, ticket_id) is None
    for model in (Message, Attachment, TicketTag, Feedback, Notification):
        assert count(model, model.ticket_id == ticket_id) == 0, model
    assert stored_keys(app) == other_keys  # other tickets' files untouched
    assert count(Message, Message.ticket_id == other.id) == 0  # (it has none) and is intact
    assert db.session.get(Ticket, other.id) is not None

    events = db.session.scalars(select(AuditEvent).where(AuditEvent.ticket_number == number)
                                .order_by(AuditEvent.id)).all()
    assert events[0].action == "created"  # the history stays, without the ticket row
    assert all(e.ticket_id is None for e in events)
    deleted = events[-1]
    assert (deleted.action, deleted.actor_id, deleted.note) == ("deleted", admin.id,
                                                                "Test data")
    assert deleted.old_value == "Parcel arrived damaged"


def test_a_file_that_cannot_be_removed_does_not_undo_or_fail_the_deletion(
        storage_backend, app, full_ticket, admin, monkeypatch, storage_log):
    """After the commit the rows are gone: a storage outage for one file is logged,
    the other files are still removed, and the deletion is reported as done."""
    keys = sorted(stored_names(full_ticket.id))
    store = attachments.storage()
    real_delete = store.delete

    def delete(key):
        if key == keys[0]:
            raise ConnectionError("storage unreachable")
        real_delete(key)
    monkeypatch.setattr(store, "delete", delete)

    assert housekeeping.delete_ticket(full_ticket, admin) == full_ticket.number
    assert count(Ticket) == 0
    assert stored_keys(app) == {keys[0]}
    assert f"Could not remove stored file {keys[0]}" in storage_log.text


def test_a_follow_up_survives_when_its_parent_is_deleted(app, ticket, customer, admin):
    follow_up = make_ticket(customer, subject="Follow-up", parent=ticket)
    housekeeping.delete_ticket(ticket, admin)
    db.session.expire_all()
    assert db.session.get(Ticket, follow_up.id).parent_id is None


def test_only_admins_delete_tickets(app, ticket, agent):
    with pytest.raises(Forbidden):
        housekeeping.delete_ticket(ticket, agent)
    assert db.session.get(Ticket, ticket.id) is not None


def test_the_delete_page_confirms_first_then_deletes(client, app, full_ticket, admin):
    number = full_ticket.number
    keys = stored_names(full_ticket.id)
    login(client, admin)
    page = client.get(f"/admin/tickets/{number}/delete")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert number in html and "Delete ticket" in html and "2 files" in html
    assert db.session.get(Ticket, full_ticket.id) is not None  # GET changes nothing

    response = client.post(f"/admin/tickets/{number}/delete", data={"reason": "Spam"})
    assert response.status_code == 302
    assert db.session.scalar(select(Ticket).where(Ticket.number == number)) is None
    assert keys and not keys & stored_keys(app)
    assert response.headers["Location"].endswith("/agent/queue")
    assert f"{number} was deleted" in client.get("/admin/").get_data(as_text=True)
    assert client.get(f"/admin/tickets/{number}/delete").status_code == 404
    log = client.get(f"/admin/audit?ticket={number}").get_data(as_text=True)
    assert "deleted" in log and "(deleted)" in log


def test_agents_cannot_reach_the_delete_page(client, ticket, agent):
    login(client, agent)
    assert client.get(f"/admin/tickets/{ticket.number}/delete").status_code == 403
    assert client.post(f"/admin/tickets/{ticket.number}/delete").status_code == 403
    assert db.session.get(Ticket, ticket.id) is not None


# --- auto-close --------------------------------------------------------------------------

def resolved_ticket(customer, days_ago: float, status=Status.RESOLVED) -> Ticket:
    ticket = make_ticket(customer, subject=f"Resolved {days_ago} days ago")
    ticket.status = status
    ticket.resolved_at = utcnow() - timedelta(days=days_ago)
    db.session.commit()
    return ticket


def set_days(days: int):
    db.session.merge(Setting(key="autoclose_days", value=str(days)))
    db.session.commit()


def test_autoclose_closes_tickets_resolved_longer_ago_than_the_setting(app, customer):
    set_days(7)
    old = resolved_ticket(customer, 8)
    fresh = resolved_ticket(customer, 6)
    in_progress = resolved_ticket(customer, 30, status=Status.IN_PROGRESS)
    resolved_at = old.resolved_at

    assert housekeeping.autoclose() == 1

    db.session.expire_all()
    assert old.status == Status.CLOSED and old.closed_at is not None
    assert old.resolved_at == resolved_at  # the resolution time is kept for statistics
    assert (fresh.status, in_progress.status) == (Status.RESOLVED, Status.IN_PROGRESS)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.ticket_id == old.id,
                                                       AuditEvent.action == "autoclosed"))
    assert event.actor_id is None  # the system did it
    assert (event.old_value, event.new_value) == ("resolved", "closed")
    assert count(Notification, Notification.ticket_id == old.id,
                 Notification.user_id == customer.id, Notification.kind == "closed") == 1
    assert housekeeping.autoclose() == 0  # safe to run twice


def test_autoclose_is_off_at_zero_days(app, customer):
    set_days(0)
    ticket = resolved_ticket(customer, 400)
    assert housekeeping.autoclose() == 0
    db.session.expire_all()
    assert ticket.status == Status.RESOLVED


def test_autoclose_works_through_batches(app, customer, monkeypatch):
    monkeypatch.setattr(housekeeping, "AUTOCLOSE_BATCH", 2)
    set_days(3)
    batch = [resolved_ticket(customer, 5) for _ in range(5)]
    assert housekeeping.autoclose() == 5
    db.session.expire_all()
    assert {t.status for t in batch} == {Status.CLOSED}


def test_the_autoclose_command(runner, app, customer):
    set_days(7)
    ticket = resolved_ticket(customer, 10)
    result = runner.invoke(args=["autoclose"])
    assert result.exit_code == 0, result.output
    assert "Closed 1 resolved ticket." in result.output
    db.session.expire_all()
    assert ticket.status == Status.CLOSED
    again = runner.invoke(args=["autoclose"])
    assert "Closed 0 resolved tickets." in again.output


def test_the_autoclose_command_takes_a_days_override(runner, app, customer):
    set_days(30)
    ticket = resolved_ticket(customer, 3)
    assert "Closed 1" in runner.invoke(args=["autoclose", "--days", "2"]).output
    db.session.expire_all()
    assert ticket.status == Status.CLOSED
