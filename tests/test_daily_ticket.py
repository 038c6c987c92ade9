"""Issue 17, the ticket page as people live in it all day: one composer with a note
mode, send-and-set-status, one side-panel form, kept (pending) uploads, previews,
a changeable one-tap rating with a confirmed "This is solved", one notification per
event, and relative times."""
import io
import re
from datetime import UTC, datetime, timedelta

from conftest import PDF_BYTES, PNG_BYTES, login, make_ticket, stored_keys, upload
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from helpdesk.extensions import db
from helpdesk.models import (
    Attachment,
    Message,
    Notification,
    PendingUpload,
    Priority,
    Status,
    Ticket,
)
from helpdesk.services.background import tasks
from helpdesk.services.files import pending
from helpdesk.services.tickets import conversation, feedback
from helpdesk.services.tickets.status import customer_cares
from helpdesk.web import relative_time


def a_file(name: str, content: bytes) -> FileStorage:
    return FileStorage(io.BytesIO(content), filename=name)


def html_of(response) -> str:
    return response.get_data(as_text=True)


def assign(ticket, agent, status=Status.IN_PROGRESS):
    ticket.assignee, ticket.status = agent, status
    db.session.commit()
    return ticket


def notes_for(user, ticket=None) -> list[Notification]:
    query = select(Notification).where(Notification.user_id == user.id)
    if ticket is not None:
        query = query.where(Notification.ticket_id == ticket.id)
    return list(db.session.scalars(query.order_by(Notification.id)))


# --- one composer ------------------------------------------------------------------------

def test_the_composer_has_reply_and_internal_note_modes_and_a_set_status_choice(
        client, agent, ticket):
    assign(ticket, agent)
    login(client, agent)
    html = html_of(client.get(f"/agent/tickets/{ticket.number}"))
    assert re.search(r'<input[^>]*name="mode"[^>]*type="radio"[^>]*value="reply"|'
                     r'<input[^>]*type="radio"[^>]*name="mode"[^>]*value="reply"', html) \
        or 'value="reply"' in html
    assert re.search(r'<label for="mode-1">Internal note</label>', html)
    assert re.search(r'<label for="set_status">Set status</label>', html)
    assert ">Add note</button>" in html and ">Send</button>" in html
    # only the transitions the workflow allows this person are offered
    block = re.search(r'<select[^>]*id="set_status"[^>]*>(.*?)</select>', html, re.S).group(1)
    assert re.findall(r'value="([^"]*)"', block) == ["", "open", "on_hold", "resolved",
                                                     "closed"]


def test_a_note_sent_in_note_mode_is_internal_and_never_shown_to_the_customer(
        client, agent, customer, ticket):
    assign(ticket, agent)
    login(client, agent)
    response = client.post(f"/agent/tickets/{ticket.number}/reply",
                           data={"mode": "note", "body": "Courier claim CX-77 filed"})
    assert response.status_code == 302 and "#message-" in response.location
    message = db.session.scalar(select(Message).where(Message.ticket_id == ticket.id))
    assert message.is_internal
    client.post("/auth/logout")
    login(client, customer)
    assert "CX-77" not in html_of(client.get(f"/portal/tickets/{ticket.number}"))
    assert not notes_for(customer, ticket)


def test_an_agent_who_may_not_reply_publicly_gets_note_mode_and_a_forced_reply_is_refused(
        client, agent, other_agent, ticket):
    assign(ticket, other_agent)
    login(client, agent)
    html = html_of(client.get(f"/agent/tickets/{ticket.number}"))
    reply_radio = re.search(r'<input[^>]*id="mode-0"[^>]*>', html).group(0)
    note_radio = re.search(r'<input[^>]*id="mode-1"[^>]*>', html).group(0)
    assert "disabled" in reply_radio and "checked" not in reply_radio
    assert "checked" in note_radio
    response = client.post(f"/agent/tickets/{ticket.number}/reply",
                           data={"mode": "reply", "body": "Public?"})
    assert response.status_code == 403
    assert db.session.scalar(select(func.count(Message.id))) == 0


def test_send_and_set_status_is_one_action_and_one_notification_for_the_customer(
        client, agent, customer, ticket):
    assign(ticket, agent)
    login(client, agent)
    response = client.post(f"/agent/tickets/{ticket.number}/reply",
                           data={"mode": "reply", "body": "Please send a photo.",
                                 "set_status": "on_hold"})
    assert response.status_code == 302
    db.session.refresh(ticket)
    assert ticket.status == Status.ON_HOLD
    notes = notes_for(customer, ticket)
    assert len(notes) == 1, [n.text for n in notes]
    assert notes[0].kind == "agent_replied" and "Pending" in notes[0].text
    message = db.session.scalar(select(Message).where(Message.ticket_id == ticket.id))
    assert notes[0].anchor == f"message-{message.id}"


def test_a_set_status_the_workflow_refuses_posts_nothing(client, agent, ticket):
    assign(ticket, agent)
    login(client, agent)
    response = client.post(f"/agent/tickets/{ticket.number}/reply",
                           data={"body": "Done", "set_status": "new"})
    assert response.status_code == 400
    assert "cannot be moved to" in html_of(response)
    assert db.session.scalar(select(func.count(Message.id))) == 0
    assert db.session.get(Ticket, ticket.id).status == Status.IN_PROGRESS


def test_internal_shuffles_are_not_notified_to_the_customer():
    assert customer_cares(Status.NEW, Status.IN_PROGRESS)  # picked up: worth knowing
    assert not customer_cares(Status.IN_PROGRESS, Status.OPEN)
    assert not customer_cares(Status.OPEN, Status.IN_PROGRESS)
    assert not customer_cares(Status.ON_HOLD, Status.IN_PROGRESS)
    assert customer_cares(Status.IN_PROGRESS, Status.ON_HOLD)
    assert customer_cares(Status.IN_PROGRESS, Status.RESOLVED)
    assert customer_cares(Status.RESOLVED, Status.OPEN)


def test_moving_between_open_and_in_progress_does_not_notify_the_customer(
        client, agent, customer, ticket):
    assign(ticket, agent)
    login(client, agent)
    for status in ("open", "in_progress"):
        assert client.post(f"/agent/tickets/{ticket.number}/update", data={
            "status": status, "priority": "medium"}).status_code == 302
    assert db.session.get(Ticket, ticket.id).status == Status.IN_PROGRESS
    assert notes_for(customer, ticket) == []


# --- the side panel as one form ------------------------------------------------------------

def test_one_update_changes_status_priority_and_details_in_one_go(client, agent, ticket):
    assign(ticket, agent)
    login(client, agent)
    response = client.post(f"/agent/tickets/{ticket.number}/update", data={
        "status": "on_hold", "priority": "high", "team": "", "category": "",
        "due_at": "2030-01-02 03:04", "tags": "refund, carrier", "estimated_hours": "1.5",
        "actual_hours": ""})
    assert response.status_code == 302 and response.location.endswith("#ticket-panel")
    ticket = db.session.get(Ticket, ticket.id)
    assert (ticket.status, ticket.priority) == (Status.ON_HOLD, Priority.HIGH)
    assert ticket.tag_names == ["carrier", "refund"] and ticket.estimated_hours == 1.5
    assert ticket.due_at == datetime(2030, 1, 2, 3, 4)
    page = html_of(client.get(response.location))
    assert 'role="status"' in page and "Updated:" in page


def test_refusals_of_one_update_sit_next_to_their_fields_and_nothing_changes(
        client, agent, ticket):
    assign(ticket, agent)
    login(client, agent)
    response = client.post(f"/agent/tickets/{ticket.number}/update", data={
        "status": "new", "priority": "urgent", "assignee": "", "team": "", "category": "",
        "tags": ",".join(f"t{i}" for i in range(12)), "estimated_hours": "",
        "actual_hours": ""})
    assert response.status_code == 400
    html = html_of(response)
    assert re.search(r'id="status-error">[^<]*cannot be moved to', html)
    assert re.search(r'id="tags-error">[^<]*at most', html)
    assert "data-error-summary" in html and 'href="#status"' in html
    ticket = db.session.get(Ticket, ticket.id)
    assert ticket.priority == Priority.MEDIUM and ticket.status == Status.IN_PROGRESS


def test_an_agent_cannot_assign_through_the_update_form(client, agent, other_agent, ticket):
    assign(ticket, agent)
    login(client, agent)
    response = client.post(f"/agent/tickets/{ticket.number}/update", data={
        "status": "in_progress", "priority": "medium", "assignee": str(other_agent.id)})
    assert response.status_code == 400
    assert "Only admins can assign" in html_of(response)
    assert db.session.get(Ticket, ticket.id).assignee_id == agent.id


def test_an_admin_assigns_and_sets_the_status_in_one_update(client, admin, agent, ticket):
    login(client, admin)
    response = client.post(f"/agent/tickets/{ticket.number}/update", data={
        "status": "resolved", "priority": "medium", "assignee": str(agent.id), "team": "",
        "category": "", "tags": "", "estimated_hours": "", "actual_hours": ""})
    assert response.status_code == 302
    ticket = db.session.get(Ticket, ticket.id)
    assert ticket.assignee_id == agent.id and ticket.status == Status.RESOLVED


# --- pending uploads ---------------------------------------------------------------------------

def _new_ticket(client, **fields):
    data = {"subject": "", "description": "Broken", "category": "", **fields}
    return client.post("/portal/tickets/new", data=data, content_type="multipart/form-data")


def test_files_of_a_failed_form_are_kept_and_attached_when_it_succeeds(app, client, customer):
    login(client, customer)
    response = _new_ticket(client, attachments=[upload("photo.png", PNG_BYTES),
                                                upload("receipt.pdf", PDF_BYTES)])
    assert response.status_code == 400
    html = html_of(response)
    assert re.search(r"kept: <strong>photo\.png</strong>", html)
    assert "data-error-summary" in html and 'href="#subject"' in html
    kept = list(db.session.scalars(select(PendingUpload).order_by(PendingUpload.id)))
    assert [k.original_name for k in kept] == ["photo.png", "receipt.pdf"]
    assert all(k.owner_id == customer.id for k in kept)
    assert {k.storage_key for k in kept} <= stored_keys(app)

    response = _new_ticket(client, subject="Cracked jug", kept=[str(k.id) for k in kept])
    assert response.status_code == 302
    ticket = db.session.scalar(select(Ticket))
    files = db.session.scalars(select(Attachment).where(Attachment.ticket_id == ticket.id))
    assert sorted(f.original_name for f in files) == ["photo.png", "receipt.pdf"]
    assert db.session.scalar(select(func.count(PendingUpload.id))) == 0


def test_removing_a_kept_file_forgets_it(app, client, customer):
    login(client, customer)
    _new_ticket(client, attachments=[upload("photo.png", PNG_BYTES)])
    kept = db.session.scalar(select(PendingUpload))
    key = kept.storage_key
    response = _new_ticket(client, kept=[str(kept.id)], remove_kept=str(kept.id))
    assert response.status_code == 200 and "kept:" not in html_of(response)
    assert db.session.scalar(select(func.count(PendingUpload.id))) == 0
    assert key not in stored_keys(app)


def test_another_person_cannot_attach_a_kept_file_by_its_id(client, customer,
                                                            other_customer):
    login(client, customer)
    _new_ticket(client, attachments=[upload("photo.png", PNG_BYTES)])
    kept = db.session.scalar(select(PendingUpload))
    client.post("/auth/logout")
    login(client, other_customer)
    response = _new_ticket(client, subject="Mine now?", kept=[str(kept.id)])
    assert response.status_code == 302
    assert db.session.scalar(select(func.count(Attachment.id))) == 0
    assert db.session.get(PendingUpload, kept.id).owner_id == customer.id
    # and the services refuse it too, whatever a caller hands in
    assert pending.kept_for(other_customer, [kept.id]) == []


def test_an_agent_reply_that_fails_keeps_its_files(client, agent, ticket):
    assign(ticket, agent)
    login(client, agent)
    response = client.post(f"/agent/tickets/{ticket.number}/reply", data={
        "mode": "note", "body": "", "attachments": [upload("shot.png", PNG_BYTES)]},
        content_type="multipart/form-data")
    assert response.status_code == 400 and "kept: <strong>shot.png</strong>" in html_of(response)
    kept = db.session.scalar(select(PendingUpload))
    response = client.post(f"/agent/tickets/{ticket.number}/reply", data={
        "mode": "note", "body": "Screenshot attached", "kept": str(kept.id)})
    assert response.status_code == 302
    message = db.session.scalar(select(Message))
    assert [a.original_name for a in message.attachments] == ["shot.png"]


def test_expired_pending_uploads_and_their_files_are_deleted_by_the_worker(
        app, client, customer):
    assert tasks.TASKS.get("pending_uploads") is pending.expire_pending
    login(client, customer)
    _new_ticket(client, attachments=[upload("old.png", PNG_BYTES)])
    _new_ticket(client, attachments=[upload("fresh.png", PNG_BYTES)])
    old, fresh = db.session.scalars(select(PendingUpload).order_by(PendingUpload.id))
    old.expires_at = datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=1)
    db.session.commit()
    old_key, fresh_key = old.storage_key, fresh.storage_key
    assert pending.expire_pending() == 1
    assert [p.original_name for p in db.session.scalars(select(PendingUpload))] == ["fresh.png"]
    keys = stored_keys(app)
    assert old_key not in keys and fresh_key in keys
    # an expired one can no longer be attached either
    assert pending.kept_for(customer, [old.id]) == []


# --- previews ---------------------------------------------------------------------------

def _attachment(ticket, name, content_type) -> Attachment:
    return db.session.scalar(select(Attachment).where(Attachment.ticket_id == ticket.id,
                                                      Attachment.original_name == name))


def test_raster_images_and_pdfs_are_served_inline_sandboxed_everything_else_downloads(
        client, customer):
    ticket = make_ticket(customer, files=[a_file("photo.png", PNG_BYTES),
                                          a_file("receipt.pdf", PDF_BYTES),
                                          a_file("notes.txt", b"just text\n")])
    login(client, customer)
    for name in ("photo.png", "receipt.pdf"):
        response = client.get(f"/files/{_attachment(ticket, name, None).id}?inline=1")
        assert response.status_code == 200
        assert response.headers["Content-Disposition"].startswith("inline")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Content-Security-Policy"] == "sandbox; default-src 'none'"
        response.close()
    text = client.get(f"/files/{_attachment(ticket, 'notes.txt', None).id}?inline=1")
    assert text.headers["Content-Disposition"].startswith("attachment")
    text.close()
    plain = client.get(f"/files/{_attachment(ticket, 'photo.png', None).id}")
    assert plain.headers["Content-Disposition"].startswith("attachment")
    plain.close()
    html = html_of(client.get(f"/portal/tickets/{ticket.number}"))
    assert re.search(r'<img src="/files/\d+\?inline=1"', html)
    assert re.search(r'href="/files/\d+\?inline=1" target="_blank"[^>]*>Open PDF', html)


def test_an_svg_is_never_shown_inline_even_if_one_got_in(client, customer):
    ticket = make_ticket(customer, files=[a_file("photo.png", PNG_BYTES)])
    row = _attachment(ticket, "photo.png", None)
    row.content_type, row.original_name = "image/svg+xml", "drawing.svg"
    db.session.commit()
    login(client, customer)
    response = client.get(f"/files/{row.id}?inline=1")
    assert response.headers["Content-Disposition"].startswith("attachment")
    response.close()
    assert "?inline=1" not in html_of(client.get(f"/portal/tickets/{ticket.number}"))


def test_a_previewed_internal_file_is_still_a_404_for_the_customer(client, admin, customer):
    ticket = make_ticket(customer)
    note = conversation.post_reply(ticket, admin, "Courier photo", internal=True,
                                   files=[a_file("courier.png", PNG_BYTES)])
    login(client, customer)
    assert client.get(f"/files/{note.attachments[0].id}?inline=1").status_code == 404


# --- "This is solved", the rating ---------------------------------------------------------

def _resolved(customer, agent):
    ticket = make_ticket(customer)
    ticket.assignee, ticket.status = agent, Status.RESOLVED
    db.session.commit()
    return ticket


def test_this_is_solved_asks_first_then_offers_the_rating(client, customer, agent):
    ticket = _resolved(customer, agent)
    login(client, customer)
    page = html_of(client.get(f"/portal/tickets/{ticket.number}"))
    assert f'action="/portal/tickets/{ticket.number}/solved"' in page
    confirm = client.get(f"/portal/tickets/{ticket.number}/solved")
    assert confirm.status_code == 200 and "Yes, close it" in html_of(confirm)
    assert db.session.get(Ticket, ticket.id).status == Status.RESOLVED  # asking changes nothing
    done = client.post(f"/portal/tickets/{ticket.number}/solved")
    assert done.status_code == 302 and done.location.endswith("#feedback")
    page = html_of(client.get(done.location))
    assert '<legend id="rating-legend">Rating</legend>' in page
    assert re.findall(r'<label for="rating-(\d)">', page) == ["0", "1", "2", "3", "4"] or \
        len(re.findall(r'type="radio"[^>]*name="rating"|name="rating"[^>]*type="radio"', page)) == 5


def test_a_rating_can_be_changed_for_seven_days_then_it_is_final(client, customer, agent):
    ticket = _resolved(customer, agent)
    login(client, customer)
    assert client.post(f"/portal/tickets/{ticket.number}/feedback",
                       data={"rating": "3"}).status_code == 302
    assert client.post(f"/portal/tickets/{ticket.number}/feedback",
                       data={"rating": "5", "comment": "Better now"}).status_code == 302
    fb = db.session.get(Ticket, ticket.id).feedback
    assert (fb.rating, fb.comment) == (5, "Better now")
    fb.created_at = fb.created_at - timedelta(days=8)
    db.session.commit()
    response = client.post(f"/portal/tickets/{ticket.number}/feedback", data={"rating": "1"})
    assert response.status_code == 409
    assert db.session.get(Ticket, ticket.id).feedback.rating == 5
    db.session.expire_all()
    ticket = db.session.get(Ticket, ticket.id)
    try:
        feedback.submit_feedback(ticket, customer, 2)
    except Exception as error:  # noqa: BLE001
        assert "final" in str(error)
    else:
        raise AssertionError("a final rating was changed")


def test_the_one_tap_rating_answers_a_script_without_a_page(client, customer, agent):
    ticket = _resolved(customer, agent)
    login(client, customer)
    response = client.post(f"/portal/tickets/{ticket.number}/feedback", data={"rating": "4"},
                           headers={"X-Requested-With": "fetch"})
    assert response.status_code == 200 and response.json == {"rating": 4}


# --- times ------------------------------------------------------------------------------

def test_relative_times():
    now = datetime(2026, 12, 1, 12, 0)
    assert relative_time(now - timedelta(seconds=20), now) == "just now"
    assert relative_time(now - timedelta(minutes=5), now) == "5 min ago"
    assert relative_time(now - timedelta(hours=2, minutes=5), now) == "2 h ago"
    assert relative_time(now - timedelta(days=3), now) == "3 d ago"
    assert relative_time(now + timedelta(hours=4, minutes=1), now) == "in 4 h"
    assert relative_time(now - timedelta(days=40), now) == "2026-10-22"


def test_times_show_relative_with_the_exact_time_for_hover_and_screen_readers(
        client, agent, ticket):
    login(client, agent)
    html = html_of(client.get(f"/agent/tickets/{ticket.number}"))
    assert re.search(r'<time datetime="[^"]+Z" title="\d{4}-\d\d-\d\d \d\d:\d\d UTC" data-exact>'
                     r'[^<]*ago<span class="sr-only"> \(\d{4}-\d\d-\d\d \d\d:\d\d UTC\)</span>'
                     r'</time>', html.replace("just now", "0 min ago"))
