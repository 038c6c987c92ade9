"""Mail in: the ingest service's outcomes, each threading rule and tie-break, loops and
noise, files, and what the requester, agents and strangers may do by mail."""
import pytest
from conftest import PDF_BYTES, PNG_BYTES, login, make_ticket, make_user
from mailtools import SUPPORT, mail, send_mail
from sqlalchemy import select

from helpdesk.extensions import db
from helpdesk.models import (
    Attachment,
    AuditEvent,
    Category,
    InboundMail,
    Message,
    OutboxMail,
    Role,
    Status,
    Ticket,
    User,
)
from helpdesk.services.mail import tokens
from helpdesk.services.mail.ingest import ingest_message
from helpdesk.services.mail.parsing import UnreadableMail
from helpdesk.services.people import mail_links
from helpdesk.services.tickets import assignment, conversation, status


def tickets() -> list[Ticket]:
    return list(db.session.scalars(select(Ticket).order_by(Ticket.id)))


def messages(ticket) -> list[Message]:
    return list(db.session.scalars(select(Message).where(Message.ticket_id == ticket.id)
                                   .order_by(Message.id)))


def outbox_to(address) -> list[OutboxMail]:
    return list(db.session.scalars(select(OutboxMail).where(OutboxMail.to_address == address)
                                   .order_by(OutboxMail.id)))


# --- a new thread ------------------------------------------------------------------------

def test_mail_from_an_unknown_address_opens_a_ticket_for_a_new_customer(smtp, app):
    result = ingest_message(mail(sender="Nora New <Nora@Example.org>", subject="Lost parcel",
                                 text="My parcel never came.\n\nNora"))
    [ticket] = tickets()
    assert (result.outcome, result.ticket_number) == ("created", ticket.number)
    customer = ticket.requester
    assert (customer.email, customer.name, customer.role) == ("nora@example.org", "Nora New",
                                                              Role.CUSTOMER)
    assert customer.email_verified_at is None  # an account made from an address
    assert not mail_links.needs_verification(customer)  # the mailed ticket counts
    assert (ticket.subject, ticket.channel) == ("Lost parcel", "mail")
    assert "My parcel never came." in ticket.description
    send_mail()
    [ack] = smtp.messages_to("nora@example.org")
    assert f"[{ticket.number}]" in ack["Subject"]
    assert ack["Auto-Submitted"] == "auto-replied"
    assert ack["Reply-To"].addresses[0].addr_spec == tokens.reply_address(ticket)
    assert ack["In-Reply-To"].strip() == db.session.scalar(select(InboundMail.message_id))


def test_an_existing_customer_gets_the_ticket_and_a_mapped_address_sets_the_category(
        smtp, app, customer):
    billing = db.session.scalar(select(Category).where(Category.name == "Billing"))
    billing.mail_address = "billing@help.example.com"
    db.session.commit()
    ingest_message(mail(sender=customer.email.upper(), to="Billing <billing@help.example.com>",
                        subject="Charged twice"))
    [ticket] = tickets()
    assert ticket.requester_id == customer.id and ticket.category_id == billing.id


def test_html_only_mail_becomes_safe_text(smtp, app):
    ingest_message(mail(sender="h@example.org", text=None,
                        html="<p>Hello <b>team</b></p><script>alert('x')</script>"
                             "<style>p{}</style><img src='https://tracker.example/x.png'>"))
    [ticket] = tickets()
    assert "Hello team" in ticket.description
    assert "alert" not in ticket.description and "<" not in ticket.description
    assert "tracker.example" not in ticket.description


def test_charsets_and_encoded_headers_are_decoded(smtp, app):
    raw = (b"From: =?utf-8?q?J=C3=BCrgen_M=C3=BCller?= <jm@example.de>\r\n"
           b"To: support@help.example.com\r\n"
           b"Subject: =?iso-8859-1?q?K=FChlschrank_defekt?=\r\n"
           b"Message-ID: <charset-1@example.de>\r\n"
           b"Content-Type: text/plain; charset=iso-8859-1\r\n"
           b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
           b"Der K=FChlschrank ist kaputt.\r\n")
    ingest_message(raw)
    [ticket] = tickets()
    assert ticket.subject == "Kühlschrank defekt"
    assert ticket.description == "Der Kühlschrank ist kaputt."
    assert ticket.requester.name == "Jürgen Müller"


def test_attachments_pass_the_upload_checks_and_refused_ones_are_named_in_the_reply(
        smtp, app):
    ingest_message(mail(sender="f@example.org", files=(
        ("photo.png", PNG_BYTES, "image/png"), ("invoice.pdf", PDF_BYTES, "application/pdf"),
        ("page.html", b"<html><script>x</script></html>", "text/html"),
        ("fake.png", b"MZ\x90\x00 not a png", "image/png"))))
    [ticket] = tickets()
    names = sorted(a.original_name for a in db.session.scalars(select(Attachment)))
    assert names == ["invoice.pdf", "photo.png"]
    send_mail()
    [ack] = smtp.messages_to("f@example.org")
    assert "page.html" in ack.text and "fake.png" in ack.text
    assert ticket.number in ack["Subject"]


def test_oversize_mail_is_refused_with_a_reply_saying_why(smtp, app_config, app):
    app.config["MAIL_MAX_MESSAGE_BYTES"] = 2000
    result = ingest_message(mail(sender="big@example.org", subject="Huge",
                                 files=(("big.pdf", PDF_BYTES + b"0" * 4000,
                                         "application/pdf"),)))
    assert result.outcome == "refused" and tickets() == []
    send_mail()
    [reply] = smtp.messages_to("big@example.org")
    assert "was not accepted" in reply.text and "Huge" in reply.text
    assert reply["Auto-Submitted"] == "auto-replied"


def test_mail_that_cannot_be_read_raises(app):
    with pytest.raises(UnreadableMail):
        ingest_message(b"")
    with pytest.raises(UnreadableMail):
        ingest_message(b"Subject: no sender\r\n\r\nbody")


# --- loops and noise ---------------------------------------------------------------------

@pytest.mark.parametrize("headers", [
    {"Auto-Submitted": "auto-replied"},
    {"Precedence": "bulk"}, {"Precedence": "junk"}, {"Precedence": "list"},
    {"X-Autoreply": "yes"},
    {"List-Id": "<news.example.org>"},
    {"Return-Path": "<>"},
])
def test_machines_never_open_tickets_nor_get_answers(smtp, app, headers):
    result = ingest_message(mail(sender="robot@example.org", headers=headers))
    assert result.outcome == "ignored"
    assert tickets() == [] and outbox_to("robot@example.org") == []
    assert db.session.scalar(select(User).where(User.email == "robot@example.org")) is None


def test_our_own_mail_never_opens_a_ticket(smtp, app):
    assert ingest_message(mail(sender=SUPPORT)).outcome == "ignored"
    assert ingest_message(mail(sender="support+abc.def@help.example.com")).outcome == "ignored"
    assert tickets() == []


def bounce_for(address: str) -> bytes:
    return (f"From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\r\n"
            f"To: {SUPPORT}\r\nSubject: Undelivered Mail Returned to Sender\r\n"
            f"Message-ID: <bounce-{address}@mx.example.net>\r\n"
            "MIME-Version: 1.0\r\n"
            'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n'
            "\r\n--B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
            "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
            "Reporting-MTA: dns; mx.example.net\r\n\r\n"
            f"Final-Recipient: rfc822; {address}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
            "Diagnostic-Code: smtp; 550 5.1.1 No such user\r\n"
            "--B--\r\n").encode()


def test_a_bounce_marks_the_address_failing_and_opens_nothing(smtp, app, customer):
    result = ingest_message(bounce_for(customer.email))
    assert result.outcome == "ignored" and "marked failing" in result.reason
    db.session.refresh(customer)
    assert customer.email_failing_since is not None
    assert "550 5.1.1 No such user" in customer.email_failure
    assert tickets() == [] and outbox_to("mailer-daemon@mx.example.net") == []


def test_a_message_delivered_twice_is_stored_once(smtp, app):
    raw = mail(sender="twice@example.org", message_id="<same-1@example.org>")
    assert ingest_message(raw).outcome == "created"
    assert ingest_message(raw).outcome == "duplicate"
    assert len(tickets()) == 1
    no_id = b"From: n@example.org\r\nSubject: x\r\n\r\nno message id\r\n"
    assert ingest_message(no_id).outcome == "created"
    assert ingest_message(no_id).outcome == "duplicate"
    assert len(tickets()) == 2


# --- threading ---------------------------------------------------------------------------

@pytest.fixture
def thread(smtp, app, customer, agent):
    """A ticket assigned to an agent, with our mails (ack-like) already sent."""
    ticket = make_ticket(customer, subject="Broken mug")
    assignment.assign_ticket(ticket, make_user(Role.ADMIN), agent)
    conversation.post_reply(ticket, agent, "Could you send a photo?")
    send_mail()
    return ticket


def our_last_mail_to(smtp, address):
    return smtp.messages_to(address)[-1]


def test_a_reply_by_token_adds_a_public_message_without_the_quoted_history(
        thread, smtp, customer):
    result = ingest_message(mail(
        sender=customer.email, to=tokens.reply_address(thread), subject="Re: whatever",
        text="Here is the photo.\n\nOn Tue, Helpdesk <support@help.example.com> wrote:\n"
             "> Could you send a photo?\n"))
    assert (result.outcome, result.rule, result.ticket_number) == ("added", "token",
                                                                   thread.number)
    last = messages(thread)[-1]
    assert last.body == "Here is the photo." and not last.is_internal
    assert last.author_id == customer.id
    history = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "mail_received"))
    assert history.note == "threaded by token" and history.internal


def test_a_reply_by_references_threads_without_a_token(thread, smtp, customer):
    ours = our_last_mail_to(smtp, customer.email)["Message-ID"].strip()
    result = ingest_message(mail(sender=customer.email, subject="Re: photo",
                                 text="Photo attached.", headers={"In-Reply-To": ours,
                                                                  "References": ours},
                                 files=(("mug.png", PNG_BYTES, "image/png"),)))
    assert (result.outcome, result.rule) == ("added", "references")
    assert [a.original_name for a in messages(thread)[-1].attachments] == ["mug.png"]


def test_a_reply_by_subject_needs_the_requester_as_sender(thread, smtp, customer,
                                                          other_customer):
    result = ingest_message(mail(sender=customer.email, subject=f"Re: [{thread.number}] mug",
                                 text="Any news?"))
    assert (result.outcome, result.rule) == ("added", "subject")
    stranger = ingest_message(mail(sender=other_customer.email,
                                   subject=f"[{thread.number}] mine now?"))
    assert stranger.outcome == "created"  # the subject rule does not match for others
    assert messages(thread)[-1].body == "Any news?"


def test_a_reply_from_another_address_is_only_an_internal_note(thread, smtp, customer):
    result = ingest_message(mail(sender="intruder@example.net", to=tokens.reply_address(thread),
                                 text="Please send the refund to my account instead."))
    assert (result.outcome, result.rule) == ("note", "token")
    note = messages(thread)[-1]
    assert note.is_internal and note.author_id != customer.id
    assert note.body.startswith("[Received by e-mail from intruder@example.net, who is not "
                                "the requester.")
    assert all(m.author_id != customer.id or m.body != note.body for m in messages(thread))
    send_mail()
    assert all("refund to my account" not in m.raw.decode() for m in smtp.messages)


def test_a_forged_token_matches_nothing(thread, smtp, customer):
    token = tokens.ticket_token(thread)
    forged = token[:-4] + ("aaaa" if not token.endswith("aaaa") else "bbbb")
    result = ingest_message(mail(sender=customer.email, to=f"support+{forged}@help.example.com",
                                 subject="Hello again", text="New question"))
    assert result.outcome == "created" and result.ticket_number != thread.number


def test_a_token_for_another_ticket_wins_but_never_posts_as_its_requester(
        thread, smtp, customer, other_customer):
    other = make_ticket(other_customer, subject="Other ticket")
    ours = our_last_mail_to(smtp, customer.email)["Message-ID"].strip()
    result = ingest_message(mail(sender=customer.email, to=tokens.reply_address(other),
                                 headers={"In-Reply-To": ours}, text="Token of another"))
    assert (result.rule, result.ticket_number, result.outcome) == ("token", other.number,
                                                                   "note")
    assert messages(other)[-1].is_internal
    assert messages(thread)[-1].body != "Token of another"


def test_tie_breaks_in_reply_to_before_references_and_to_before_cc(thread, smtp, customer):
    second = make_ticket(customer, subject="Second")
    first_ours = our_last_mail_to(smtp, customer.email)["Message-ID"].strip()
    assignment.assign_ticket(second, make_user(Role.ADMIN), thread.assignee)
    send_mail()
    second_ours = our_last_mail_to(smtp, customer.email)["Message-ID"].strip()
    result = ingest_message(mail(sender=customer.email, text="which one?", headers={
        "In-Reply-To": second_ours, "References": f"{second_ours} {first_ours}"}))
    assert result.ticket_number == second.number
    result = ingest_message(mail(sender=customer.email, text="newest reference",
                                 headers={"References": f"{second_ours} {first_ours}"}))
    assert result.ticket_number == thread.number  # the last of References is the nearest
    both = ingest_message(mail(sender=customer.email, text="two tokens",
                               to=tokens.reply_address(second),
                               headers={"Cc": tokens.reply_address(thread)}))
    assert (both.rule, both.ticket_number) == ("token", second.number)


def test_a_reply_to_a_closed_ticket_is_refused_with_a_follow_up_link(thread, smtp, customer,
                                                                     agent):
    status.change_status(thread, agent, Status.CLOSED)
    before = len(messages(thread))
    result = ingest_message(mail(sender=customer.email, to=tokens.reply_address(thread),
                                 text="One more thing"))
    assert result.outcome == "refused" and len(messages(thread)) == before
    smtp.clear()
    send_mail()
    [refusal] = [m for m in smtp.messages_to(customer.email) if "reply was not" in m.text]
    assert refusal["Auto-Submitted"] == "auto-replied"
    assert f"/portal/tickets/new?follow_up={thread.number}" in refusal.text


def test_a_reply_to_a_resolved_ticket_reopens_it(thread, smtp, customer, agent):
    status.change_status(thread, agent, Status.RESOLVED)
    ingest_message(mail(sender=customer.email, to=tokens.reply_address(thread),
                        text="Still broken"))
    db.session.refresh(thread)
    assert thread.status == Status.OPEN


# --- agents by mail ----------------------------------------------------------------------

def test_the_assigned_agent_replies_publicly_by_mail_and_the_customer_gets_it(
        thread, smtp, customer, agent):
    smtp.clear()
    result = ingest_message(mail(sender=agent.email, to=tokens.reply_address(thread),
                                 text="A new mug is on its way.\n\n> quoted"))
    assert result.outcome == "added"
    reply = messages(thread)[-1]
    assert (reply.author_id, reply.is_internal, reply.body) == (agent.id, False,
                                                                "A new mug is on its way.")
    send_mail()
    assert "A new mug is on its way." in smtp.messages_to(customer.email)[-1].text


def test_an_agent_note_by_mail_stays_internal_and_never_reaches_the_customer(
        thread, smtp, customer, agent):
    smtp.clear()
    result = ingest_message(mail(sender=agent.email, to=tokens.reply_address(thread),
                                 text="#note courier claim CX-1 filed"))
    assert result.outcome == "note"
    note = messages(thread)[-1]
    assert note.is_internal and note.body == "courier claim CX-1 filed"
    send_mail()
    assert all("CX-1" not in m.raw.decode() for m in smtp.messages)


def test_an_agent_who_may_not_reply_publicly_is_kept_as_a_note(thread, smtp, other_agent):
    result = ingest_message(mail(sender=other_agent.email, to=tokens.reply_address(thread),
                                 text="I can help"))
    assert result.outcome == "note"
    note = messages(thread)[-1]
    assert note.is_internal and "only the assigned agent" in note.body


# --- the original, for agents only --------------------------------------------------------

def test_the_original_is_kept_for_agents_and_never_shown_to_customers(smtp, app, client,
                                                                      agent):
    raw = mail(sender="eml@example.org", subject="Keep me", text="original body")
    ingest_message(raw)
    [ticket] = tickets()
    inbound = db.session.scalar(select(InboundMail))
    url = f"/agent/mail/{inbound.id}/original.eml"
    login(client, agent)
    page = client.get(f"/agent/tickets/{ticket.number}").get_data(as_text=True)
    assert url in page
    response = client.get(url)
    assert response.status_code == 200 and response.data == raw
    assert response.headers["Content-Disposition"].startswith("attachment")
    response.close()
    client.post("/auth/logout")
    customer = ticket.requester
    customer.password_hash = agent.password_hash
    db.session.commit()
    login(client, customer)
    assert client.get(url).status_code in (403, 404)
    portal = client.get(f"/portal/tickets/{ticket.number}").get_data(as_text=True)
    assert "original.eml" not in portal
    assert db.session.scalar(select(Attachment)) is None  # not an attachment row
