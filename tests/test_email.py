"""Notification e-mail through a real SMTP server (aiosmtpd on a loopback port)."""
import socket

import pytest
from aiosmtpd.controller import Controller
from conftest import login

from helpdesk.extensions import db
from helpdesk.models import Notification
from helpdesk.services import notifications
from helpdesk.services.tickets import assignment, conversation, opening


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd API)
        self.messages.append((envelope.rcpt_tos, envelope.content.decode()))
        return "250 OK"

    def to(self, address):
        return [body for rcpts, body in self.messages if address in rcpts]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def inbox(app_config):
    handler = Inbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    app_config.update(MAIL_HOST="127.0.0.1", MAIL_PORT=port)
    yield handler
    controller.stop()


def test_public_reply_e_mails_the_customer_but_an_internal_note_does_not(
        inbox, app, client, customer, admin):
    ticket = opening.create_ticket(requester=customer, created_by=customer,
                                   subject="Broken mug", description="Handle came off")
    assignment.assign_ticket(ticket, admin, admin)
    assert "is now Open" in inbox.to(customer.email)[0]  # status changes are mailed
    inbox.messages.clear()
    conversation.post_reply(ticket, admin, "Checked stock: SECRET-NOTE", internal=True)
    assert inbox.to(customer.email) == []
    login(client, admin)  # a request context gives the mail a link to the ticket
    with app.test_request_context():
        conversation.post_reply(ticket, admin, "A replacement is on its way.")
    [mail] = inbox.to(customer.email)
    assert f"[{ticket.number}] Broken mug" in mail
    assert f"New reply on {ticket.number}" in mail
    assert f"/portal/tickets/{ticket.number}" in mail
    assert "SECRET-NOTE" not in "".join(body for _, body in inbox.messages)


def test_a_rolled_back_change_sends_no_mail(inbox, app, customer, admin):
    ticket = opening.create_ticket(requester=customer, created_by=customer,
                                   subject="Late", description="Where is it?")
    before = len(inbox.messages)
    notifications.notify([customer], ticket, "test", "should not be sent")
    db.session.rollback()
    db.session.commit()
    assert len(inbox.messages) == before
    assert db.session.scalar(db.select(Notification).filter_by(kind="test")) is None


def test_without_smtp_only_in_app_notifications_are_written(app, customer, admin):
    ticket = opening.create_ticket(requester=customer, created_by=customer,
                                   subject="Late", description="Where is it?")
    assignment.assign_ticket(ticket, admin, admin)
    conversation.post_reply(ticket, admin, "On its way")
    kinds = db.session.scalars(db.select(Notification.kind).filter_by(
        user_id=customer.id)).all()
    assert "agent_replied" in kinds
