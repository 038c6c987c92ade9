"""Agent applications, suspensions, promotions, team membership and customer accounts."""
import pytest
from conftest import PASSWORD, login, make_user
from flask import Flask

from helpdesk.extensions import db
from helpdesk.models import AgentStatus, AuditEvent, Notification, Role, Team, User
from helpdesk.services.errors import Conflict, Forbidden
from helpdesk.services.people import decisions as people


def events(action):
    return db.session.scalars(db.select(AuditEvent).filter_by(action=action)).all()


def notices(user):
    return db.session.scalars(db.select(Notification).filter_by(user_id=user.id)).all()


def refreshed(user) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def second_client(app: Flask):
    return app.test_client()


def test_the_agents_page_lists_applications_with_approve_and_reject(client, admin,
                                                                    pending_agent):
    login(client, admin)
    html = client.get("/admin/agents").get_data(as_text=True)
    assert pending_agent.name in html and pending_agent.email in html
    assert ">Approve</button>" in html and ">Reject</button>" in html
    assert f'action="/admin/agents/{pending_agent.id}/approve"' in html


def test_approving_lets_the_agent_open_the_queue(app, client, admin, pending_agent):
    agent_client = second_client(app)
    login(agent_client, pending_agent)
    assert agent_client.get("/agent/queue").status_code == 403

    login(client, admin)
    response = client.post(f"/admin/agents/{pending_agent.id}/approve")
    assert response.status_code == 302
    assert "is approved" in client.get("/admin/agents").get_data(as_text=True)

    assert refreshed(pending_agent).agent_status == AgentStatus.APPROVED
    assert agent_client.get("/agent/queue").status_code == 200  # same session, no re-login
    [event] = events("agent_approved")
    assert (event.actor_id, event.subject_user_id) == (admin.id, pending_agent.id)
    assert (event.old_value, event.new_value) == ("pending", "approved")
    assert [n.kind for n in notices(pending_agent)] == ["agent_approved"]


def test_rejecting_keeps_the_applicant_out(app, client, admin, pending_agent):
    agent_client = second_client(app)
    login(agent_client, pending_agent)
    login(client, admin)
    client.post(f"/admin/agents/{pending_agent.id}/reject")

    assert refreshed(pending_agent).agent_status == AgentStatus.REJECTED
    assert agent_client.get("/agent/queue").status_code == 302  # signed out
    response = agent_client.post("/auth/login", data={"email": pending_agent.email,
                                                      "password": PASSWORD})
    assert response.status_code == 400  # cannot sign in again
    assert events("agent_rejected")[0].subject_user_id == pending_agent.id
    assert [n.kind for n in notices(pending_agent)] == ["agent_rejected"]


def test_a_suspended_agent_is_signed_out_at_the_next_request(app, client, admin, agent):
    agent_client = second_client(app)
    login(agent_client, agent)
    assert agent_client.get("/agent/queue").status_code == 200

    login(client, admin)
    client.post(f"/admin/agents/{agent.id}/suspend")

    assert refreshed(agent).agent_status == AgentStatus.SUSPENDED
    response = agent_client.get("/agent/queue")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert agent_client.post("/auth/login", data={"email": agent.email,
                                                  "password": PASSWORD}).status_code == 400

    client.post(f"/admin/agents/{agent.id}/reactivate")
    assert refreshed(agent).agent_status == AgentStatus.APPROVED
    assert agent_client.get("/agent/queue").status_code == 302  # the old session stays ended
    login(agent_client, agent)
    assert agent_client.get("/agent/queue").status_code == 200
    assert [e.action for e in db.session.scalars(
        db.select(AuditEvent).filter_by(subject_user_id=agent.id).order_by(AuditEvent.id))
    ] == ["agent_suspended", "agent_reactivated"]


def test_promoting_an_agent_makes_an_admin(app, client, admin, agent):
    login(client, admin)
    client.post(f"/admin/agents/{agent.id}/promote")
    user = refreshed(agent)
    assert (user.role, user.agent_status) == (Role.ADMIN, None)
    agent_client = second_client(app)
    login(agent_client, user)
    assert agent_client.get("/admin/").status_code == 200
    assert events("promoted_to_admin")[0].subject_user_id == agent.id


@pytest.mark.parametrize("decision, status", [
    ("approve", AgentStatus.APPROVED), ("reject", AgentStatus.APPROVED),
    ("suspend", AgentStatus.PENDING), ("suspend", AgentStatus.REJECTED),
    ("reactivate", AgentStatus.APPROVED), ("promote", AgentStatus.PENDING),
])
def test_decisions_that_do_not_fit_the_account_are_refused(client, admin, decision, status):
    user = make_user(Role.AGENT, agent_status=status)
    login(client, admin)
    client.post(f"/admin/agents/{user.id}/{decision}")
    html = client.get("/admin/agents").get_data(as_text=True)
    assert "cannot be" in html
    assert (refreshed(user).role, refreshed(user).agent_status) == (Role.AGENT, status)
    assert db.session.scalar(db.select(db.func.count(AuditEvent.id))) == 0


def test_admins_cannot_act_on_customers_or_themselves_as_agents(app, admin, customer):
    with pytest.raises(Forbidden):
        people.suspend_agent(admin, admin)
    with pytest.raises(Exception) as refused:
        people.suspend_agent(admin, customer)
    assert refused.value.message == "Only agent accounts can be suspended."
    with pytest.raises(Conflict):
        people.reactivate_customer(admin, customer)  # already active


def test_missing_people_are_404(client, admin):
    login(client, admin)
    assert client.post("/admin/agents/9999/approve").status_code == 404
    assert client.post("/admin/customers/9999/deactivate").status_code == 404


def test_team_membership_of_an_agent(client, admin, agent):
    billing, logistics = (db.session.scalar(db.select(Team).filter_by(name=n))
                          for n in ("Billing", "Logistics"))
    login(client, admin)
    page = client.get(f"/admin/agents/{agent.id}/teams").get_data(as_text=True)
    assert "Billing" in page and 'type="checkbox"' in page
    response = client.post(f"/admin/agents/{agent.id}/teams",
                           data={"teams": [billing.id, logistics.id]})
    assert response.status_code == 302
    assert sorted(t.name for t in refreshed(agent).teams) == ["Billing", "Logistics"]
    assert events("teams_changed")[0].new_value == "Billing, Logistics"

    client.post(f"/admin/agents/{agent.id}/teams", data={})  # nothing ticked: no teams
    assert refreshed(agent).teams == []


def test_a_team_that_does_not_exist_is_a_form_error(client, admin, agent):
    login(client, admin)
    response = client.post(f"/admin/agents/{agent.id}/teams", data={"teams": ["9999"]})
    assert response.status_code == 400
    assert 'class="field-error"' in response.get_data(as_text=True)
    assert refreshed(agent).teams == []


def test_pending_agents_cannot_join_teams(app, admin, pending_agent):
    team = db.session.scalar(db.select(Team))
    with pytest.raises(Exception, match="approved agents"):
        people.set_agent_teams(admin, pending_agent, [team.id])


def test_customers_can_be_searched(client, admin):
    make_user(Role.CUSTOMER, name="Zelda Zimmer", email="zelda@shop.example")
    make_user(Role.CUSTOMER, name="Yusuf Young", email="yusuf@shop.example")
    make_user(Role.AGENT, name="Zara Agent")
    login(client, admin)
    html = client.get("/admin/customers?q=ZEL").get_data(as_text=True)
    assert "Zelda Zimmer" in html and "Yusuf Young" not in html
    html = client.get("/admin/customers?q=yusuf@shop").get_data(as_text=True)
    assert "Yusuf Young" in html and "Zelda" not in html
    html = client.get("/admin/customers?q=Z").get_data(as_text=True)
    assert "Zara Agent" not in html  # customers only
    assert "No customer matches" in client.get("/admin/customers?q=%25_").get_data(
        as_text=True)  # LIKE wildcards are matched literally


def test_a_deactivated_customer_is_signed_out_and_can_come_back(app, client, admin,
                                                                 customer):
    customer_client = second_client(app)
    login(customer_client, customer)
    assert customer_client.get("/portal/tickets").status_code == 200

    login(client, admin)
    response = client.post(f"/admin/customers/{customer.id}/deactivate?q=Carla")
    assert response.headers["Location"].endswith("/admin/customers?q=Carla")
    assert refreshed(customer).active is False
    assert customer_client.get("/portal/tickets").status_code == 302
    assert customer_client.post("/auth/login", data={"email": customer.email,
                                                     "password": PASSWORD}).status_code == 400
    assert "Deactivated" in client.get("/admin/customers").get_data(as_text=True)

    client.post(f"/admin/customers/{customer.id}/reactivate")
    assert refreshed(customer).active is True
    login(customer_client, customer)
    assert [e.action for e in events("customer_deactivated") + events("customer_reactivated")
            ] == ["customer_deactivated", "customer_reactivated"]


def test_customer_actions_refuse_staff_accounts(client, admin, agent):
    login(client, admin)
    client.post(f"/admin/customers/{agent.id}/deactivate")
    assert refreshed(agent).active is True
    assert "not a customer account" in client.get("/admin/customers").get_data(as_text=True)
