"""With CSRF protection on (as in production): the queue's and the workspace's forms carry
a working token, and a POST without one is refused."""
import re

import pytest
from conftest import PASSWORD
from sqlalchemy import select

from helpdesk.extensions import db
from helpdesk.models import Message, Priority, Ticket


@pytest.fixture
def app_config(app_config):
    app_config["WTF_CSRF_ENABLED"] = True
    return app_config


def token_in(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def sign_in(client, user):
    token = token_in(client.get("/auth/login").get_data(as_text=True))
    response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD,
                                                "csrf_token": token})
    assert response.status_code == 302


def test_workspace_and_bulk_forms_work_with_their_token_and_fail_without(
        app, client, agent, ticket):
    ticket.assignee = agent
    db.session.commit()
    sign_in(client, agent)
    page = client.get(f"/agent/tickets/{ticket.number}").get_data(as_text=True)
    token = token_in(page)
    assert client.post(f"/agent/tickets/{ticket.number}/reply",
                       data={"body": "No token"}).status_code == 400
    assert client.post(f"/agent/tickets/{ticket.number}/reply",
                       data={"body": "With token", "csrf_token": token}).status_code == 302
    assert db.session.scalars(select(Message.body)).all() == ["With token"]

    queue = client.get("/agent/queue").get_data(as_text=True)
    response = client.post("/agent/queue/bulk", data={
        "ticket_ids": [str(ticket.id)], "bulk_action": "priority:high",
        "next": "/agent/queue", "csrf_token": token_in(queue)})
    assert response.status_code == 302
    assert db.session.get(Ticket, ticket.id).priority == Priority.HIGH
