"""XSS payloads in every user-supplied field come back escaped on every page that
shows them (and the CSV export neutralises formulas)."""
import csv
import io

from conftest import PNG_BYTES, login, make_user
from werkzeug.datastructures import FileStorage

from helpdesk.extensions import db
from helpdesk.models import Category, FaqEntry, Role, Team
from helpdesk.services.tickets import assignment, conversation, feedback, opening
from helpdesk.services.tickets import status as ticket_status

PAYLOAD = '<script>alert("x")</script><img src=x onerror=alert(1)>'
RAW_MARKERS = ("<script>alert", "<img src=x")


def evil_world():
    team = Team(name=f"Team {PAYLOAD}")
    category = Category(name=f"Cat {PAYLOAD}", default_team=team)
    db.session.add_all([team, category,
                        FaqEntry(question=f"Q {PAYLOAD}", answer=f"A {PAYLOAD}",
                                 category=category, published=True)])
    db.session.commit()
    customer = make_user(Role.CUSTOMER, name=f"Eve {PAYLOAD}")
    agent = make_user(Role.AGENT, name=f"Mal {PAYLOAD}")
    admin = make_user(Role.ADMIN, name="Admin")
    team.members.append(agent)
    ticket = opening.create_ticket(
        requester=customer, created_by=customer, subject=f"Subj {PAYLOAD}",
        description=f"Desc {PAYLOAD}", category_id=category.id,
        order_reference=f"=HYPERLINK(\"x\") {PAYLOAD}"[:100],
        files=[FileStorage(io.BytesIO(PNG_BYTES), filename=f"{PAYLOAD}.png")])
    assignment.take_ticket(ticket, agent)
    conversation.post_reply(ticket, agent, f"Reply {PAYLOAD}")
    conversation.post_reply(ticket, agent, f"Note {PAYLOAD}", internal=True)
    conversation.post_reply(ticket, customer, f"Thanks {PAYLOAD}")
    ticket_status.change_status(ticket, agent, "resolved")
    feedback.submit_feedback(ticket, customer, 4, f"Comment {PAYLOAD}")
    return customer, agent, admin, ticket


def assert_escaped(html: str, page: str):
    for marker in RAW_MARKERS:
        assert marker not in html, f"{page} shows {marker!r} unescaped"
    assert "&lt;script&gt;" in html or "&lt;img" in html, f"{page} does not show the payload"


def test_every_page_escapes_user_supplied_text(app):
    customer, agent, admin, ticket = evil_world()
    pages = {
        customer: ["/portal/tickets", f"/portal/tickets/{ticket.number}", "/faq",
                   "/faq?q=Q", "/notifications"],
        agent: ["/agent/queue", f"/agent/tickets/{ticket.number}",
                "/agent/queue?q=Subj", "/notifications"],
        admin: ["/admin/", "/admin/agents", "/admin/customers", "/admin/categories",
                "/admin/teams", "/admin/faq", "/admin/audit", "/agent/queue",
                f"/agent/tickets/{ticket.number}",
                f"/admin/tickets/{ticket.number}/delete"],
    }
    for user, paths in pages.items():
        client = app.test_client()
        login(client, user)
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, path
            assert_escaped(response.get_data(as_text=True), path)
    suggestions = app.test_client().get("/faq/suggest", query_string={"q": "Q script alert"})
    for marker in RAW_MARKERS:
        assert marker not in suggestions.get_data(as_text=True)


def test_csv_export_neutralises_formulas_and_keeps_text_as_text(app):
    _customer, _agent, admin, ticket = evil_world()
    client = app.test_client()
    login(client, admin)
    body = client.get("/agent/queue.csv", query_string={"filtered": "1"}).get_data(
        as_text=True)
    cells = [cell for row in csv.reader(io.StringIO(body)) for cell in row]
    assert any(PAYLOAD in cell for cell in cells)  # CSV is data, not HTML: kept verbatim
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)
