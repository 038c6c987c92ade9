"""Bugs a code review found, each pinned by the rule it broke."""
import configparser
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import login, make_ticket
from sqlalchemy import select

from helpdesk.extensions import db
from helpdesk.models import AuditEvent, Category, Setting, Status, Ticket, User

ROOT = Path(__file__).resolve().parent.parent


def html_of(response) -> str:
    return response.get_data(as_text=True)


# --- details on a ticket whose category was archived ------------------------------------

def _details(ticket, **changes) -> dict:
    data = {"team": str(ticket.team_id or ""), "category": str(ticket.category_id or ""),
            "due_at": "", "tags": "", "estimated_hours": "", "actual_hours": ""}
    data.update(changes)
    return data


def _archived(name: str) -> Category:
    category = db.session.scalar(select(Category).filter_by(name=name))
    category.active = False
    db.session.commit()
    return category


def test_details_save_on_a_ticket_whose_category_was_archived(app, client, customer, agent):
    billing = db.session.scalar(select(Category).filter_by(name="Billing"))
    ticket = make_ticket(customer, category_id=billing.id)
    ticket.assignee, ticket.status = agent, Status.IN_PROGRESS
    db.session.commit()
    _archived("Billing")
    login(client, agent)
    page = html_of(client.get(f"/agent/tickets/{ticket.number}"))
    # still shown, and selected, in the details form
    assert re.search(rf'<option(?=[^>]*\bselected\b)[^>]*value="{billing.id}"[^>]*>Billing<',
                     page)

    response = client.post(f"/agent/tickets/{ticket.number}/details", data=_details(
        ticket, tags="refund", estimated_hours="2", actual_hours="1.5",
        due_at="2031-05-04T10:30"))
    assert response.status_code == 302, html_of(response)
    db.session.refresh(ticket)
    assert ticket.category_id == billing.id  # the archived category stays
    assert ticket.tag_names == ["refund"]
    assert (ticket.estimated_hours, ticket.actual_hours) == (2.0, 1.5)
    assert ticket.due_at.isoformat() == "2031-05-04T10:30:00" and ticket.due_set_manually
    changed = set(db.session.scalars(select(AuditEvent.field).where(
        AuditEvent.ticket_id == ticket.id, AuditEvent.action.like("%_changed"))))
    assert changed == {"tags", "estimated_hours", "actual_hours", "due_at"}


def test_an_archived_category_cannot_be_chosen_for_another_ticket(
        app, client, customer, agent):
    ticket = make_ticket(customer)
    ticket.assignee, ticket.status = agent, Status.IN_PROGRESS
    db.session.commit()
    before = ticket.category_id
    billing = _archived("Billing")
    assert billing.id != before
    login(client, agent)
    response = client.post(f"/agent/tickets/{ticket.number}/details",
                           data=_details(ticket, category=str(billing.id), tags="refund"))
    assert response.status_code == 400
    assert "Choose one of the listed options." in html_of(response)
    db.session.refresh(ticket)
    assert (ticket.category_id, ticket.tag_names) == (before, [])


# --- the audit log's ticket filter with a lower-case prefix -----------------------------

@pytest.mark.parametrize("typed", ["hd-000001", "HD-000001", "1", "#1", " hd-000001 "])
def test_the_audit_log_finds_tickets_numbered_with_a_lower_case_prefix(
        app, client, admin, customer, typed):
    db.session.add(Setting(key="ticket_prefix", value="hd-"))
    db.session.commit()
    ticket = make_ticket(customer)
    other = make_ticket(customer, subject="Another parcel")
    assert (ticket.number, other.number) == ("hd-000001", "hd-000002")
    login(client, admin)
    html = html_of(client.get("/admin/audit", query_string={"ticket": typed}))
    assert html.count('<td data-label="When"') == 1
    assert "hd-000001" in html and "hd-000002" not in html


# --- take is not offered on a closed ticket ----------------------------------------------

def test_a_closed_unassigned_ticket_cannot_be_taken(app, client, agent, customer):
    ticket = make_ticket(customer)
    ticket.status = Status.CLOSED
    db.session.commit()
    login(client, agent)
    page = html_of(client.get(f"/agent/tickets/{ticket.number}"))
    assert not re.search(r"<button[^>]*>\s*Take\s*</button>", page)

    response = client.post(f"/agent/tickets/{ticket.number}/take")
    assert response.status_code == 400
    assert "cannot be taken" in html_of(response)
    db.session.refresh(ticket)
    assert (ticket.assignee_id, ticket.status) == (None, Status.CLOSED)
    assert not db.session.scalars(select(AuditEvent).filter_by(
        ticket_id=ticket.id, action="taken")).all()


def test_bulk_take_leaves_a_closed_ticket_alone(app, client, agent, customer):
    closed, open_ = make_ticket(customer), make_ticket(customer, subject="Still open")
    closed.status = Status.CLOSED
    db.session.commit()
    login(client, agent)
    response = client.post("/agent/queue/bulk", follow_redirects=True, data={
        "ticket_ids": [str(closed.id), str(open_.id)], "bulk_action": f"assign:{agent.id}"})
    assert f"{closed.number} is closed: it cannot be taken." in html_of(response)
    db.session.refresh(closed)
    db.session.refresh(open_)
    assert (closed.assignee_id, closed.status) == (None, Status.CLOSED)
    assert open_.assignee_id == agent.id


# --- seed-demo numbers with the configured width ----------------------------------------

@pytest.mark.parametrize("digits", [4, 8])
def test_seed_demo_numbers_tickets_with_the_configured_width(runner, customer, digits):
    runner.app.config["TICKET_NUMBER_DIGITS"] = digits
    result = runner.invoke(args=["seed-demo", "--tickets", "12"])
    assert result.exit_code == 0, result.output
    numbers = db.session.scalars(select(Ticket.number).order_by(Ticket.id)).all()
    assert numbers[0] == "TKT-" + "1".rjust(digits, "0")
    assert numbers[-1] == "TKT-" + "12".rjust(digits, "0")
    assert make_ticket(customer).number == "TKT-" + "13".rjust(digits, "0")


# --- create-admin keeps the password out of shell history --------------------------------

def _admins() -> list[str]:
    return db.session.scalars(select(User.email).filter_by(role="admin")).all()


def test_create_admin_prompts_for_a_hidden_confirmed_password(runner, client):
    result = runner.invoke(args=["create-admin", "--email", "boss@example.com"],
                           input="sekret-pass\nsekret-pass\n")
    assert result.exit_code == 0, result.output
    assert "Password:" in result.output and "Repeat for confirmation:" in result.output
    assert "sekret-pass" not in result.output  # hidden while typed
    assert _admins() == ["boss@example.com"]
    assert client.post("/auth/login", data={"email": "boss@example.com",
                                            "password": "sekret-pass"}).status_code == 302


def test_create_admin_refuses_a_password_typed_differently_twice(runner):
    result = runner.invoke(args=["create-admin", "--email", "boss@example.com"],
                           input="sekret-pass\nsekret-past\n")
    assert result.exit_code != 0
    assert "do not match" in result.output
    assert _admins() == []


def test_create_admin_asks_again_for_a_short_password(runner):
    result = runner.invoke(args=["create-admin", "--email", "boss@example.com"],
                           input="short\nlong-enough\nlong-enough\n")
    assert result.exit_code == 0, result.output
    assert "at least 8 characters" in result.output
    assert _admins() == ["boss@example.com"]


def test_create_admin_reads_the_password_from_the_environment(runner, client):
    result = runner.invoke(args=["create-admin", "--email", "ci@example.com"],
                           env={"HELPDESK_ADMIN_PASSWORD": "from-the-env"})
    assert result.exit_code == 0, result.output
    assert "Password:" not in result.output
    assert client.post("/auth/login", data={"email": "ci@example.com",
                                            "password": "from-the-env"}).status_code == 302


def test_create_admin_refuses_a_short_password_from_the_environment(runner):
    result = runner.invoke(args=["create-admin", "--email", "ci@example.com"],
                           env={"HELPDESK_ADMIN_PASSWORD": "short"})
    assert result.exit_code != 0
    assert "at least 8 characters" in result.output
    assert _admins() == []


# --- the full-text tables do not depend on import order ----------------------------------

FRESH_PROCESS = """
import sys
from sqlalchemy import event, inspect
from helpdesk.extensions import db
from helpdesk.services.queue import search
# importing the module alone changes nothing: the app factory installs the hooks
assert not event.contains(db.metadata, "after_create", search._after_create), "at import"
from helpdesk import create_app
app = create_app({"DATABASE_URL": sys.argv[1], "SECRET_KEY": "x", "TESTING": True})
with app.app_context():
    db.create_all()
    print(sorted(inspect(db.engine).get_table_names()))
"""


def test_create_all_builds_the_search_tables_whatever_was_imported_first(tmp_path):
    env = {**os.environ, "HELPDESK_INSTANCE_PATH": str(tmp_path / "instance")}
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    result = subprocess.run([sys.executable, "-c", FRESH_PROCESS, url], env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    for table in ("tickets_fts", "messages_fts", "users_fts"):
        assert f"'{table}'" in result.stdout


# --- configuration that is no longer true ------------------------------------------------

def test_setup_cfg_configures_no_linter_the_project_does_not_run():
    # ruff is the linter (pyproject.toml [tool.ruff]); a [flake8] section misleads.
    sections = configparser.ConfigParser()
    sections.read(ROOT / "setup.cfg")
    assert "flake8" not in sections.sections()
    assert "[tool.ruff]" in (ROOT / "pyproject.toml").read_text()
