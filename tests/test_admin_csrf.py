"""With CSRF protection on (as in production): every admin action needs the form's token."""
import re

import pytest
from conftest import PASSWORD

from helpdesk.extensions import db
from helpdesk.models import AgentStatus, Ticket


@pytest.fixture
def app_config(app_config):
    app_config["WTF_CSRF_ENABLED"] = True
    return app_config


def sign_in(client, user):
    page = client.get("/auth/login").get_data(as_text=True)
    response = client.post("/auth/login", data={
        "email": user.email, "password": PASSWORD,
        "csrf_token": re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)})
    assert response.status_code == 302


def csrf_from(client, url):
    html = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def test_approve_without_the_token_is_refused_and_with_it_works(client, admin, pending_agent):
    sign_in(client, admin)
    url = f"/admin/agents/{pending_agent.id}/approve"
    assert client.post(url).status_code == 400
    db.session.refresh(pending_agent)
    assert pending_agent.agent_status == AgentStatus.PENDING

    response = client.post(url, data={"csrf_token": csrf_from(client, "/admin/agents")})
    assert response.status_code == 302
    db.session.refresh(pending_agent)
    assert pending_agent.agent_status == AgentStatus.APPROVED


def test_every_form_on_the_agents_page_carries_a_token(client, admin, pending_agent, agent):
    sign_in(client, admin)
    html = client.get("/admin/agents").get_data(as_text=True)
    forms = re.findall(r'<form method="post".*?</form>', html, re.S)
    assert len(forms) >= 4  # approve, reject, suspend, make admin
    assert all('name="csrf_token"' in form for form in forms)


def test_deleting_a_ticket_needs_the_token(client, admin, ticket):
    sign_in(client, admin)
    url = f"/admin/tickets/{ticket.number}/delete"
    refused = client.post(url)
    assert refused.status_code == 400
    assert db.session.get(Ticket, ticket.id) is not None
    response = client.post(url, data={"csrf_token": csrf_from(client, url)})
    assert response.status_code == 302
    assert db.session.scalar(db.select(Ticket).filter_by(number=ticket.number)) is None
