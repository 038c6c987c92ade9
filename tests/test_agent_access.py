"""Who may open the agent pages: approved agents and admins only. Customers get 403
(404 on a ticket or customer URL: numbers and ids cannot be probed), pending agents 403; rejected
or suspended agents lose their session and are sent to sign in."""
import re

import pytest
from conftest import login, make_user

from helpdesk.extensions import db
from helpdesk.models import AgentStatus, Role


def agent_urls(app, number):
    """Every rule of the agent blueprint, with a real ticket number filled in."""
    urls = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("agent."):
            continue
        path = re.sub(r"<(?:int|id):\w+>", "1", rule.rule.replace("<number>", number))
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            # a ticket's or a person's page: 404 for customers (nothing can be probed)
            urls.append((method, path, "<number>" in rule.rule or ":user_id>" in rule.rule))
    assert len(urls) >= 9
    return urls


def _request(client, method, path):
    return client.open(path, method=method, data={} if method == "POST" else None)


def test_customers_get_404_on_ticket_urls_and_403_on_the_rest(app, client, customer, ticket):
    login(client, customer)  # their own ticket, even: the agent workspace is not for them
    for method, path, is_ticket_url in agent_urls(app, ticket.number):
        expected = 404 if is_ticket_url else 403
        assert _request(client, method, path).status_code == expected, (method, path)


def test_pending_agents_get_403_everywhere(app, client, pending_agent, ticket):
    login(client, pending_agent)
    for method, path, _ in agent_urls(app, ticket.number):
        assert _request(client, method, path).status_code == 403, (method, path)


@pytest.mark.parametrize("status", [AgentStatus.REJECTED, AgentStatus.SUSPENDED])
def test_rejected_and_suspended_agents_are_signed_out_and_sent_to_sign_in(
        app, client, ticket, status):
    agent = make_user(Role.AGENT)
    login(client, agent)
    assert client.get("/agent/queue").status_code == 200
    agent.agent_status = status
    db.session.commit()
    for method, path, _ in agent_urls(app, ticket.number):
        response = _request(client, method, path)
        assert response.status_code == 302, (method, path)
        assert "/auth/login" in response.headers["Location"]


def test_anonymous_visitors_are_sent_to_sign_in(app, client, ticket):
    for method, path, _ in agent_urls(app, ticket.number):
        response = _request(client, method, path)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize("role", [Role.AGENT, Role.ADMIN])
def test_approved_agents_and_admins_open_the_queue_and_any_ticket(app, client, ticket, role):
    login(client, make_user(role))
    assert client.get("/agent/queue").status_code == 200
    page = client.get(f"/agent/tickets/{ticket.number}")
    assert page.status_code == 200 and ticket.number in page.get_data(as_text=True)


def test_an_unknown_ticket_number_is_404_for_staff(app, client, agent):
    login(client, agent)
    assert client.get("/agent/tickets/TKT-999999").status_code == 404
    assert client.post("/agent/tickets/TKT-999999/take").status_code == 404


def test_only_admins_may_export_the_queue(app, client, agent, admin, ticket):
    login(client, agent)
    assert client.get("/agent/queue.csv").status_code == 403
    assert "Export this view" not in client.get("/agent/queue").get_data(as_text=True)
    client.post("/auth/logout")
    login(client, admin)
    assert client.get("/agent/queue.csv").status_code == 200
    assert "Export this view" in client.get("/agent/queue").get_data(as_text=True)
