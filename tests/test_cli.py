"""The command line: create-admin and seed-demo, both safe to run twice."""
from conftest import make_ticket

from helpdesk.extensions import db
from helpdesk.models import Message, Role, Team, Ticket, User


def test_create_admin_twice_keeps_one_admin_that_can_sign_in(runner, client):
    args = ["create-admin", "--email", "Boss@Example.com", "--password", "sekret-pass",
            "--name", "Boss"]
    first = runner.invoke(args=args)
    second = runner.invoke(args=args)
    assert first.exit_code == second.exit_code == 0, first.output
    assert "Created admin" in first.output and "Updated admin" in second.output
    admins = db.session.scalars(db.select(User).filter_by(role=Role.ADMIN)).all()
    assert [a.email for a in admins] == ["boss@example.com"]
    response = client.post("/auth/login", data={"email": "boss@example.com",
                                                "password": "sekret-pass"})
    assert response.status_code == 302


def test_create_admin_refuses_a_short_password(runner):
    result = runner.invoke(args=["create-admin", "--email", "a@b.co", "--password", "x"])
    assert result.exit_code != 0
    assert db.session.scalar(db.select(User).filter_by(email="a@b.co")) is None


def test_seed_demo_is_idempotent_and_creates_the_contract_logins(runner, client):
    first = runner.invoke(args=["seed-demo", "--tickets", "120"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(args=["seed-demo", "--tickets", "120"])
    assert "already present" in second.output
    assert db.session.scalar(db.select(db.func.count(Ticket.id))) == 120
    numbers = db.session.scalars(db.select(Ticket.number).order_by(Ticket.id)).all()
    assert numbers[0] == "TKT-000001" and numbers[-1] == "TKT-000120"
    statuses = set(db.session.scalars(db.select(Ticket.status).distinct()))
    assert len(statuses) >= 5  # a realistic spread, not 120 new tickets
    assert db.session.scalar(db.select(db.func.count(Message.id))) > 0
    assert all(team.members for team in db.session.scalars(db.select(Team)))
    # Bulk-inserted ids must not collide with the next ticket created normally.
    customer = db.session.scalar(db.select(User).filter_by(email="customer@example.com"))
    follow_up = make_ticket(customer)
    assert follow_up.number == "TKT-000121" and follow_up.id == 121
    for email in ("admin@example.com", "agent@example.com", "customer@example.com"):
        response = client.post("/auth/login", data={"email": email,
                                                    "password": "demo-password"})
        assert response.status_code == 302, email
        client.post("/auth/logout")
