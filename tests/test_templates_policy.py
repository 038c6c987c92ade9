"""Templates ask the policy (permissions.template_policy) and the label filters; they never
compare a role or a status themselves. And what each page then shows, per person."""
import re
from pathlib import Path

import pytest
from conftest import login, make_ticket, make_user

from helpdesk.extensions import db
from helpdesk.models import AgentStatus, Role, Status
from helpdesk.services.tickets import assignment, conversation
from helpdesk.services.tickets import status as ticket_status

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
VALUES = "|".join(sorted({*map(str, Status), *map(str, Role), *map(str, AgentStatus)}))
FORBIDDEN = [
    r"\brole\s*(==|!=|\bin\b)", r"\.role\b", r"\bis_admin\b", r"\bis_staff\b",
    r"\bis_customer\b", r"\bis_agent\b", r"\bis_pending", r"\bagent_status\b",
    r"\bstatus\s*(==|!=|\bin\b|\bnot in\b)", r"status_labels",
    # a role, status or account-state value compared as a string: == 'closed', in ('admin', …)
    rf"""(==|!=)\s*['"]({VALUES})['"]""", rf"""['"]({VALUES})['"]\s*(==|!=)""",
    rf"""\bin\s*[(\[][^)\]]*['"]({VALUES})['"]""",
]
COMMENT = re.compile(r"{#.*?#}", re.S)


def offending_lines() -> list[str]:
    found = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        # comments blanked out (newlines kept, so line numbers stay right)
        text = COMMENT.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), path.read_text())
        for number, line in enumerate(text.splitlines(), 1):
            if any(re.search(pattern, line) for pattern in FORBIDDEN):
                found.append(f"{path.relative_to(TEMPLATES)}:{number}: {line.strip()}")
    return found


def test_no_template_compares_a_role_or_a_status():
    assert offending_lines() == []


def test_the_check_would_catch_a_comparison(tmp_path, monkeypatch):
    (tmp_path / "x.html").write_text(
        "{% if ticket.status == 'closed' %}\n{% if current_user.is_admin %}\n"
        "{{ u.agent_status }}\n{% if kind in ('new', 'open') %}\n{% if 'agent' != r %}\n"
        "{# is_admin in a comment is fine #}\n{{ tile('open', 'Open', s.open) }}\n")
    monkeypatch.setitem(globals(), "TEMPLATES", tmp_path)
    assert [line.split(":")[1] for line in offending_lines()] == ["1", "2", "3", "4", "5"]


# --- what the pages show, decided by the policy --------------------------------------------

def html(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


@pytest.mark.parametrize("role, shown, hidden", [
    (Role.CUSTOMER, ["My tickets", "New ticket"], ["Queue", "Console"]),
    (Role.AGENT, ["Queue"], ["My tickets", "Console"]),
    (Role.ADMIN, ["Queue", "Console", "Agents"], ["My tickets"]),
])
def test_the_main_navigation_follows_the_role(app, client, role, shown, hidden):
    login(client, make_user(role))
    nav = re.search(r'<nav class="site-nav".*?</nav>', html(client, "/faq"), re.S).group(0)
    links = re.findall(r">([^<>]+)</a>", nav)
    assert all(text in links for text in shown) and not any(t in links for t in hidden)


def test_agents_see_the_faq_pages_of_the_console_without_its_navigation(app, client, agent):
    login(client, agent)
    page = html(client, "/admin/faq")
    assert "New FAQ entry" in page and 'aria-label="Console"' not in page
    assert "Edit the FAQ" in html(client, "/faq")


def test_the_queue_offers_the_export_to_admins_only(app, client, agent, admin):
    login(client, agent)
    assert "Export this view" not in html(client, "/agent/queue")
    admin_client = app.test_client()
    login(admin_client, admin)
    assert "Export this view" in html(admin_client, "/agent/queue")


def test_the_workspace_marks_staff_authors_and_closed_tickets(app, client, customer, agent,
                                                              admin):
    ticket = make_ticket(customer)
    assignment.take_ticket(ticket, agent)
    conversation.post_reply(ticket, agent, "On it.")
    conversation.post_reply(ticket, admin, "Escalating internally.", internal=True)
    login(client, admin)
    page = html(client, f"/agent/tickets/{ticket.number}")
    assert re.search(r'<strong class="author">Agnes Agent</strong> <span>Agent</span>', page)
    assert re.search(r'<strong class="author">Ada Admin</strong> <span>Admin</span>', page)
    assert "This ticket is closed" not in page
    ticket_status.pick_status(ticket, agent, Status.CLOSED)
    assert "This ticket is closed" in html(client, f"/agent/tickets/{ticket.number}")


def test_take_is_offered_only_when_the_policy_allows_it(app, client, customer, agent, admin):
    ticket = make_ticket(customer)
    login(client, agent)
    take = re.compile(r"<button[^>]*>Take</button>")
    assert take.search(html(client, f"/agent/tickets/{ticket.number}"))
    ticket_status.pick_status(ticket, admin, Status.CLOSED)  # closed, still unassigned
    db.session.refresh(ticket)
    assert ticket.assignee_id is None
    assert not take.search(html(client, f"/agent/tickets/{ticket.number}"))


def test_the_portal_says_a_reply_reopens_a_resolved_ticket(app, client, customer, admin):
    ticket = make_ticket(customer)
    login(client, customer)
    hint = "Replying opens the ticket again."
    assert hint not in html(client, f"/portal/tickets/{ticket.number}")
    ticket_status.pick_status(ticket, admin, Status.RESOLVED)
    assert hint in html(client, f"/portal/tickets/{ticket.number}")


def test_notifications_link_to_the_page_of_the_person_reading(app, client, customer, agent):
    ticket = make_ticket(customer)
    assignment.take_ticket(ticket, agent)
    conversation.post_reply(ticket, agent, "We are on it.")
    login(client, customer)
    assert f'href="/portal/tickets/{ticket.number}#message-' in html(client, "/notifications")


# --- the agents page: buttons from permissions.can_decide ---------------------------------

def buttons_of(page: str, name: str) -> list[str]:
    row = re.search(rf"<tr>\s*<th scope=\"row\"[^>]*>{re.escape(name)}.*?</tr>", page, re.S)
    return re.findall(r"<button[^>]*>([^<]+)</button>", row.group(0)) if row else []


def test_the_agents_page_offers_the_decisions_that_fit_each_account(app, client, admin):
    people = {
        "Pia Pending": AgentStatus.PENDING, "Abe Approved": AgentStatus.APPROVED,
        "Sue Suspended": AgentStatus.SUSPENDED, "Rex Rejected": AgentStatus.REJECTED}
    for name, state in people.items():
        make_user(Role.AGENT, name=name, agent_status=state)
    other_admin = make_user(Role.ADMIN, name="Otto Admin")
    login(client, admin)
    page = html(client, "/admin/agents")
    assert buttons_of(page, "Pia Pending") == ["Approve", "Reject"]
    assert buttons_of(page, "Abe Approved") == ["Suspend", "Make admin"]
    assert buttons_of(page, "Sue Suspended") == ["Reactivate"]
    assert buttons_of(page, "Rex Rejected") == ["Approve"]
    assert buttons_of(page, other_admin.name) == []
    assert buttons_of(page, admin.name) == []
    assert re.search(r'badge badge-danger">Suspended<', page)
    assert re.search(r'badge badge-success">Agent<', page)
    assert re.search(r'badge badge-neutral">Admin<', page)
