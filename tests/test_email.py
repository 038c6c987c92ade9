"""Mail out: the outbox is written with the change, the worker sends it to a real SMTP
server (aiosmtpd, tests/mailservers.py) with retries, threading headers and safe headers."""
from datetime import timedelta

import pytest
from conftest import login, make_ticket, make_user
from mailtools import BASE_URL, send_mail
from sqlalchemy import func, select

from helpdesk.extensions import db
from helpdesk.models import Notification, OutboxMail, Role, utcnow
from helpdesk.models.deliveries import DeliveryState
from helpdesk.services import notifications
from helpdesk.services.background.deliveries import deliver_due
from helpdesk.services.mail import tokens
from helpdesk.services.mail.outbox import InternalContentRefused, queue_mail
from helpdesk.services.mail.preferences import set_mail_preferences
from helpdesk.services.mail.sending import SmtpSession
from helpdesk.services.tickets import assignment, conversation
from helpdesk.services.unit_of_work import unit_of_work


def outbox(**filters) -> list[OutboxMail]:
    return list(db.session.scalars(select(OutboxMail).filter_by(**filters)
                                   .order_by(OutboxMail.id)))


def later(seconds: int = 3600):
    return utcnow() + timedelta(seconds=seconds)


@pytest.fixture
def quiet_admin(admin):
    """An admin who turned every mail off: only the customer's mail is in the outbox."""
    set_mail_preferences(admin, enabled=[])
    return admin


def test_a_public_reply_is_mailed_with_its_text_and_an_internal_note_never(
        smtp, app, customer, admin):
    ticket = make_ticket(customer, subject="Broken mug")
    assignment.assign_ticket(ticket, admin, admin)
    conversation.post_reply(ticket, admin, "Checked stock: SECRET-NOTE", internal=True)
    conversation.post_reply(ticket, admin, "A replacement is on its way.")
    send_mail()
    mails = smtp.messages_to(customer.email)
    assert [m["Subject"] for m in mails] == [f"[{ticket.number}] Broken mug"] * 2
    reply = mails[1]
    assert "A replacement is on its way." in reply.text
    assert f"{BASE_URL}/portal/tickets/{ticket.number}" in reply.text
    html = reply.message.get_body(preferencelist=("html",)).get_content()
    assert "A replacement is on its way." in html and "<img" not in html
    assert all("SECRET-NOTE" not in m.raw.decode() for m in smtp.messages)


def test_the_outbox_refuses_an_internal_note_whatever_the_path(smtp, app, customer, admin):
    ticket = make_ticket(customer)
    note = conversation.post_reply(ticket, admin, "SECRET-NOTE", internal=True)
    with pytest.raises(InternalContentRefused), unit_of_work():
        queue_mail(kind="agent_replied", to=customer, template="ticket_event",
                   subject="x", ticket=ticket, message=note, text="x")
    with pytest.raises(InternalContentRefused), unit_of_work():
        notifications.notify([customer], ticket, "agent_replied", "x", message=note)
    assert outbox(kind="agent_replied") == []


def test_internal_note_files_are_never_named_in_a_mail(smtp, app, customer, admin):
    from conftest import PDF_BYTES, upload
    ticket = make_ticket(customer)
    assignment.assign_ticket(ticket, admin, admin)
    conversation.post_reply(ticket, admin, "see file", internal=True,
                            files=[_upload("secret-claim.pdf", PDF_BYTES, upload)])
    conversation.post_reply(ticket, admin, "Here is your label",
                            files=[_upload("label.pdf", PDF_BYTES, upload)])
    send_mail()
    raw = "".join(m.raw.decode() for m in smtp.messages)
    assert "label.pdf" in raw and "secret-claim" not in raw


def _upload(name, data, make):
    from werkzeug.datastructures import FileStorage
    stream, filename = make(name, data)
    return FileStorage(stream=stream, filename=filename)


def test_mail_headers_thread_the_ticket_and_carry_a_signed_reply_token(
        smtp, app, customer, admin):
    ticket = make_ticket(customer)
    assignment.assign_ticket(ticket, admin, admin)
    conversation.post_reply(ticket, admin, "First answer")
    conversation.post_reply(ticket, admin, "Second answer")
    send_mail()
    first, second, third = smtp.messages_to(customer.email)
    reply_to = second["Reply-To"].addresses[0].addr_spec
    assert reply_to == tokens.reply_address(ticket)
    token = tokens.token_in_address(reply_to)
    assert tokens.ticket_id_from_token(token) == ticket.id
    assert reply_to.startswith("support+") and reply_to.endswith("@help.example.com")
    assert second["In-Reply-To"].strip() == first["Message-ID"].strip()
    assert third["In-Reply-To"].strip() == second["Message-ID"].strip()
    assert first["Message-ID"].strip() in third["References"]
    assert first["Auto-Submitted"] == "auto-generated"  # a status change nobody wrote
    stored = {row.message_id for row in outbox()}
    assert {m["Message-ID"].strip() for m in smtp.messages} <= stored


def test_a_forged_or_altered_token_names_no_ticket(app, customer):
    ticket = make_ticket(customer)
    token = tokens.ticket_token(ticket)
    value, signature = token.split(".")
    assert tokens.ticket_id_from_token(token) == ticket.id
    assert tokens.ticket_id_from_token(token.upper()) == ticket.id  # servers lower-case
    other = tokens._base36(ticket.id + 1)
    assert tokens.ticket_id_from_token(f"{other}.{signature}") is None
    assert tokens.ticket_id_from_token(f"{value}.{'a' * len(signature)}") is None
    assert tokens.ticket_id_from_token("garbage") is None


def test_links_come_from_base_url_never_from_the_request_host(smtp, app, client, customer,
                                                               admin):
    ticket = make_ticket(customer)
    assignment.assign_ticket(ticket, admin, admin)
    login(client, admin)
    response = client.post(f"/agent/tickets/{ticket.number}/reply",
                           data={"body": "Here you go"},
                           headers={"Host": "attacker.example"})
    assert response.status_code in (302, 303), response.status_code
    send_mail()
    text = smtp.messages_to(customer.email)[-1].raw.decode()
    assert "attacker.example" not in text
    assert f"{BASE_URL}/portal/tickets/{ticket.number}" in text


def test_cr_lf_in_a_name_or_subject_never_splits_a_header(smtp, app, admin):
    evil = make_user(Role.CUSTOMER, name="Eve\r\nBcc: victim@evil.example\r\nX-Evil: 1")
    ticket = make_ticket(evil, subject="Hi\r\nBcc: victim@evil.example")
    assignment.assign_ticket(ticket, admin, admin)
    send_mail()
    [received] = smtp.messages_to(evil.email)
    assert received.rcpt_tos == [evil.email]
    headers = received.raw.split(b"\r\n\r\n", 1)[0].decode()
    assert "\nBcc:" not in headers and "\nX-Evil" not in headers
    assert received["Bcc"] is None and received["X-Evil"] is None
    assert "victim@evil.example" in received["Subject"]  # kept as text on one line
    assert received["To"].addresses[0].addr_spec == evil.email


def test_a_rolled_back_change_leaves_no_mail(smtp, app, customer, admin):
    ticket = make_ticket(customer)
    before = db.session.scalar(select(func.count(OutboxMail.id)))
    with pytest.raises(RuntimeError), unit_of_work():
        assignment.assign_ticket(ticket, admin, admin)
        raise RuntimeError("the change fails after the mail was written")
    assert db.session.scalar(select(func.count(OutboxMail.id))) == before
    assert send_mail() == before
    assert smtp.messages_to(customer.email) == []


def test_without_smtp_only_in_app_notifications_are_written(app, customer, admin):
    ticket = make_ticket(customer)
    assignment.assign_ticket(ticket, admin, admin)
    conversation.post_reply(ticket, admin, "On its way")
    kinds = db.session.scalars(select(Notification.kind).filter_by(user_id=customer.id)).all()
    assert "agent_replied" in kinds
    assert outbox() == []


def test_a_crash_between_commit_and_send_loses_nothing(smtp, app, customer, quiet_admin):
    ticket = make_ticket(customer)
    assignment.assign_ticket(ticket, quiet_admin, quiet_admin)  # committed; no worker ran yet
    [row] = outbox(to_address=customer.email)

    def die_mid_send(_row):
        raise KeyboardInterrupt  # the worker is killed while talking to the server

    with pytest.raises(KeyboardInterrupt):
        deliver_due(OutboxMail, die_mid_send)
    db.session.refresh(row)
    assert row.state == DeliveryState.QUEUED and row.attempts == 0
    assert send_mail() == 0  # leased to the dead worker for a while
    with SmtpSession() as session:
        deliver_due(OutboxMail, session.send, now=later(600))
    assert len(smtp.messages_to(customer.email)) == 1
    db.session.refresh(row)
    assert row.state == DeliveryState.SENT and row.server_reply.startswith("250")


def test_a_temporary_refusal_is_retried_with_backoff_and_arrives_once(smtp, app, customer,
                                                                      quiet_admin):
    ticket = make_ticket(customer)
    assignment.assign_ticket(ticket, quiet_admin, quiet_admin)
    smtp.refuse(1, 451)
    assert send_mail() == 1
    [row] = outbox(to_address=customer.email)
    assert (row.state, row.attempts) == (DeliveryState.QUEUED, 1)
    assert row.server_reply.startswith("451") and "451" in row.last_error
    assert row.next_attempt_at > utcnow()
    assert send_mail() == 0  # not due yet
    with SmtpSession() as session:
        deliver_due(OutboxMail, session.send, now=later())
    db.session.refresh(row)
    assert row.state == DeliveryState.SENT and row.attempts == 2
    assert len(smtp.messages_to(customer.email)) == 1


def test_a_permanent_refusal_gives_up_at_once(smtp, app, customer, quiet_admin):
    ticket = make_ticket(customer)
    assignment.assign_ticket(ticket, quiet_admin, quiet_admin)
    smtp.refuse(1, 550, at="rcpt")
    send_mail()
    [row] = outbox(to_address=customer.email)
    assert row.state == DeliveryState.FAILED and row.server_reply.startswith("550")


def test_a_stalled_server_times_out_and_the_mail_arrives_once_later(smtp, app, customer,
                                                                    quiet_admin):
    ticket = make_ticket(customer)
    assignment.assign_ticket(ticket, quiet_admin, quiet_admin)
    smtp.stall(1, seconds=3)  # longer than MAIL_TIMEOUT=1
    send_mail()
    [row] = outbox(to_address=customer.email)
    assert row.state == DeliveryState.QUEUED and "timed out" in row.last_error.lower()
    with SmtpSession() as session:
        deliver_due(OutboxMail, session.send, now=later())
    assert len(smtp.messages_to(customer.email)) == 1


def test_the_worker_gives_up_after_the_configured_attempts(smtp, app_config, app, customer,
                                                           quiet_admin):
    app.config["DELIVERY_MAX_ATTEMPTS"] = 2
    ticket = make_ticket(customer)
    assignment.assign_ticket(ticket, quiet_admin, quiet_admin)
    smtp.refuse(5, 451)
    send_mail()
    with SmtpSession() as session:
        deliver_due(OutboxMail, session.send, now=later(7200))
    [row] = outbox(to_address=customer.email)
    assert (row.state, row.attempts) == (DeliveryState.FAILED, 2)
    assert smtp.messages_to(customer.email) == []


def test_people_choose_which_events_mail_them(smtp, app, customer, admin):
    set_mail_preferences(customer, enabled=["status"])  # replies off
    ticket = make_ticket(customer)
    assignment.assign_ticket(ticket, admin, admin)
    conversation.post_reply(ticket, admin, "On its way")
    assert [r.kind for r in outbox(to_address=customer.email)] == ["status_changed"]
    kinds = db.session.scalars(select(Notification.kind).filter_by(user_id=customer.id)).all()
    assert "agent_replied" in kinds  # the bell still rings


def test_an_address_that_bounces_gets_no_more_notification_mail(smtp, app, customer, admin):
    customer.email_failing_since = utcnow()
    db.session.commit()
    ticket = make_ticket(customer)
    assignment.assign_ticket(ticket, admin, admin)
    assert outbox(to_address=customer.email) == []


def test_the_html_part_escapes_what_people_wrote(smtp, app, customer, admin):
    ticket = make_ticket(customer, subject="<b>bold</b> subject")
    assignment.assign_ticket(ticket, admin, admin)
    conversation.post_reply(ticket, admin, "<script>alert(1)</script> & <img src=x>")
    send_mail()
    reply = smtp.messages_to(customer.email)[-1]
    html = reply.message.get_body(preferencelist=("html",)).get_content()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;img src=x&gt;" in html
    assert "<script" not in html and "<img" not in html
    assert "&lt;b&gt;bold&lt;/b&gt; subject" in html
    assert "<script>alert(1)</script>" in reply.text  # the text part is plain text
