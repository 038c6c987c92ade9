"""Daily use of the queue and the console (issue 17, daily-queue): sort orders and their
column headers, a bulk bar that offers only what the person may do, searches for one
ticket or one person that include closed tickets, the customer page for agents, readable
audit events, category order, SLA targets in minutes, namesakes told apart, and the
pending agent's page."""
import csv
import io
import re
from datetime import timedelta

import pytest
from conftest import login, make_ticket, make_user
from sqlalchemy import select

from helpdesk.extensions import db
from helpdesk.models import AuditEvent, Category, Priority, Role, SlaTarget, Status, Ticket, utcnow
from helpdesk.services.tickets import assignment


def _numbers(response) -> list[str]:
    return re.findall(r'href="/agent/tickets/([A-Z]+-\d+)" title=', response.get_data(as_text=True))


def _tweak(ticket, **values):
    for name, value in values.items():
        setattr(ticket, name, value)
    db.session.commit()


@pytest.fixture
def three(customer):
    now = utcnow()
    made = []
    for days, subject in ((3, "Oldest parcel"), (2, "Middle parcel"), (1, "Newest parcel")):
        ticket = make_ticket(customer, subject=subject)
        _tweak(ticket, created_at=now - timedelta(days=days),
               last_activity_at=now - timedelta(hours=days * 10 % 7))
        made.append(ticket)
    return made


# --- sort values and headers -------------------------------------------------------------

def test_sort_values_newest_is_the_default_and_oldest_reverses_it(client, agent, three):
    oldest, middle, newest = (t.number for t in three)
    login(client, agent)
    assert _numbers(client.get("/agent/queue")) == [newest, middle, oldest]
    assert _numbers(client.get("/agent/queue?sort=newest")) == [newest, middle, oldest]
    assert _numbers(client.get("/agent/queue?sort=oldest")) == [oldest, middle, newest]
    _tweak(three[1], last_activity_at=utcnow() + timedelta(minutes=1))
    assert _numbers(client.get("/agent/queue?sort=updated"))[0] == middle
    _tweak(three[0], priority=Priority.CRITICAL)
    assert _numbers(client.get("/agent/queue?sort=priority"))[0] == oldest
    _tweak(three[2], due_at=utcnow() + timedelta(minutes=5))
    assert _numbers(client.get("/agent/queue?sort=due"))[0] == newest
    # the older names still work; an unknown one is the default, with the error shown
    assert _numbers(client.get("/agent/queue?sort=created")) == [newest, middle, oldest]
    response = client.get("/agent/queue?sort=sideways")
    assert response.status_code == 400 and _numbers(response) == [newest, middle, oldest]


def test_column_headers_are_sort_links_with_aria_sort(client, agent, three):
    login(client, agent)
    html = client.get("/agent/queue?q=parcel").get_data(as_text=True)
    created = re.search(r'<th scope="col" class=""( aria-sort="(\w+)")?><a class="sort-link" '
                        r'href="([^"]+)">Created', html)
    assert created.group(2) == "descending"            # newest first, by default
    assert "sort=oldest" in created.group(3) and "q=parcel" in created.group(3)
    html = client.get("/agent/queue?q=parcel&sort=oldest").get_data(as_text=True)
    assert re.search(r'aria-sort="ascending"><a class="sort-link" href="[^"]*sort=newest[^"]*">'
                     r'Created', html)
    assert html.count("aria-sort=") == 1
    assert "Tickets, sorted by oldest first" in html


def test_one_mark_for_overdue_and_a_skip_link_to_the_results(client, agent, three):
    _tweak(three[0], due_at=utcnow() - timedelta(hours=2))
    login(client, agent)
    html = client.get("/agent/queue").get_data(as_text=True)
    assert html.count('class="overdue-mark"') == 1 and 'badge overdue' not in html
    assert 'href="#first-result">Skip to the results</a>' in html and 'id="first-result"' in html
    assert "<summary>More filters</summary>" in html


def test_the_side_link_stays_highlighted_after_applying_filters(client, agent, three):
    login(client, agent)
    html = client.get("/agent/queue?filtered=1&mine=y&open_only=y&priority=high"
                      "&sort=newest").get_data(as_text=True)
    assert re.search(r'aria-current="true">Mine <span class="count">', html)
    html = client.get("/agent/queue?filtered=1&mine=y&open_only=y&sort=newest").get_data(
        as_text=True)
    assert re.search(r'aria-current="page">Mine <span class="count">', html)


# --- the bulk bar ------------------------------------------------------------------------

def _bulk_options(html: str) -> set[str]:
    select_html = re.search(r'<select[^>]*name="bulk_action".*?</select>', html, re.S).group(0)
    return set(re.findall(r'<option[^>]*value="([^"]+)"', select_html))


def test_the_bulk_bar_offers_an_agent_only_what_agents_may_do(client, agent, other_agent,
                                                               three):
    login(client, agent)
    html = client.get("/agent/queue").get_data(as_text=True)
    options = _bulk_options(html)
    assert f"assign:{agent.id}" in options                    # take, for themselves
    assert f"assign:{other_agent.id}" not in options and "assign:none" not in options
    assert not any(o.startswith("delete") for o in options)   # admins only
    assert "status:new" not in options and "status:resolved" in options
    assert "priority:high" in options
    assert "Export this view" not in html and "/agent/queue/export" not in html
    assert 'data-bulk-count' in html and "Tick tickets, then choose an action." in html


def test_the_bulk_bar_offers_admins_assign_delete_and_export(client, admin, agent, three):
    login(client, admin)
    html = client.get("/agent/queue?q=parcel").get_data(as_text=True)
    options = _bulk_options(html)
    assert {f"assign:{agent.id}", "assign:none", "delete:tickets"} <= options
    assert re.search(r'href="/agent/queue/export\?scope=view[^"]*q=parcel[^"]*">'
                     r'Export this view</a>', html)


def test_an_agent_forcing_a_bulk_delete_is_refused(client, agent, three):
    login(client, agent)
    response = client.post("/agent/queue/bulk", data={
        "ticket_ids": [str(t.id) for t in three], "bulk_action": "delete:tickets",
        "confirmed": "1", "next": "/agent/queue"})
    assert response.status_code == 403
    assert db.session.scalar(select(db.func.count(Ticket.id))) == 3


def test_a_bulk_delete_asks_first_then_deletes(client, admin, three):
    login(client, admin)
    data = {"ticket_ids": [str(t.id) for t in three[:2]], "bulk_action": "delete:tickets",
            "next": "/agent/queue"}
    page = client.post("/agent/queue/bulk", data=data)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Delete 2 tickets" in html
    assert three[0].number in html and three[1].number in html
    assert db.session.scalar(select(db.func.count(Ticket.id))) == 3   # nothing yet
    done = client.post("/agent/queue/bulk", data={**data, "confirmed": "1"},
                       follow_redirects=True)
    assert "Changed 2 tickets" in done.get_data(as_text=True)
    assert db.session.scalars(select(Ticket.number)).all() == [three[2].number]


# --- search: one ticket or one person, whatever the status --------------------------------

def test_an_email_or_number_search_includes_closed_tickets(client, agent, customer, three):
    _tweak(three[0], status=Status.CLOSED)
    login(client, agent)
    found = _numbers(client.get(f"/agent/queue?q={customer.email}"))
    assert three[0].number in found and len(found) == 3
    found = _numbers(client.get(f"/agent/queue?q={three[0].number}"))
    assert found == [three[0].number]
    # an ordinary word stays inside "Open only", and says how many more there are
    response = client.get("/agent/queue?q=oldest")
    html = response.get_data(as_text=True)
    assert _numbers(response) == [] and "+1 resolved or closed" in html
    link = re.search(r'<a href="([^"]+)">\+1 resolved or closed', html).group(1)
    assert _numbers(client.get(link.replace("&amp;", "&"))) == [three[0].number]


# --- the customer page -------------------------------------------------------------------

def test_requesters_link_to_a_customer_page_for_staff(client, agent, customer, three):
    customer.contact_number = "+44 20 7946 0000"
    db.session.commit()
    login(client, agent)
    queue = client.get("/agent/queue").get_data(as_text=True)
    assert f'href="/agent/customers/{customer.id}"' in queue
    page = client.get(f"/agent/customers/{customer.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert customer.email in html and "+44 20 7946 0000" in html
    assert all(t.number in html for t in three)


def test_the_customer_page_is_404_for_customers_and_for_staff_ids(client, customer,
                                                                    other_customer, agent):
    login(client, other_customer)
    assert client.get(f"/agent/customers/{customer.id}").status_code == 404
    assert client.get(f"/agent/customers/{other_customer.id}").status_code == 404
    client.post("/auth/logout")
    login(client, agent)
    assert client.get(f"/agent/customers/{agent.id}").status_code == 404
    assert client.get("/agent/customers/999999").status_code == 404


def test_the_customer_page_pages_their_tickets(client, agent, customer):
    for i in range(27):
        make_ticket(customer, subject=f"Question {i}")
    login(client, agent)
    first = client.get(f"/agent/customers/{customer.id}").get_data(as_text=True)
    assert "27 tickets" in first and first.count('href="/agent/tickets/') == 25
    second = client.get(f"/agent/customers/{customer.id}?page=2").get_data(as_text=True)
    assert second.count('href="/agent/tickets/') == 2


# --- the audit log: readable names, escalations findable as priority changes -------------

def test_audit_filter_by_readable_name_finds_an_escalations_priority_change(
        client, admin, agent, ticket):
    assignment.escalate(ticket, agent, "Customer is a hospital")
    login(client, admin)
    page = client.get("/admin/audit").get_data(as_text=True)
    assert '<option value="priority_changed">Priority changed</option>' in page
    html = client.get(f"/admin/audit?action=priority_changed&ticket={ticket.number}") \
        .get_data(as_text=True)
    assert "Priority changed" in html and "Agnes Agent" in html
    assert "Medium → Critical" in html and "<code>" not in html
    events = db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.ticket_id == ticket.id)).all()
    assert "escalated" in events and "priority_changed" in events
    # a code nobody offers is an error next to the field, not a 500
    assert client.get("/admin/audit?action=nonsense").status_code == 400


# --- categories: up and down, new ones last ----------------------------------------------

def _order() -> list[str]:
    return list(db.session.scalars(select(Category.name).order_by(Category.position,
                                                                   Category.name)))


def test_a_new_category_goes_last_and_moves_up_and_down(client, admin):
    login(client, admin)
    client.post("/admin/categories/new", data={"name": "Returns", "default_team_id": "None",
                                                "active": "y"})
    order = _order()
    assert order[-1] == "Returns"
    returns = db.session.scalar(select(Category).where(Category.name == "Returns"))
    response = client.post(f"/admin/categories/{returns.id}/move-up")
    assert response.status_code == 302
    assert _order() == [*order[:-2], "Returns", order[-2]]
    client.post(f"/admin/categories/{returns.id}/move-down")
    assert _order() == order
    client.post(f"/admin/categories/{returns.id}/move-down")  # already last: stays
    assert _order() == order
    first = db.session.scalar(select(Category).where(Category.name == order[0]))
    client.post(f"/admin/categories/{first.id}/move-up")
    assert _order() == order


def test_an_agent_cannot_reorder_categories(client, agent):
    category = db.session.scalar(select(Category).order_by(Category.position.desc()))
    login(client, agent)
    assert client.post(f"/admin/categories/{category.id}/move-up").status_code == 403


# --- SLA targets in hours and minutes ----------------------------------------------------

def _sla_form(**overrides) -> dict:
    data = {}
    for p in Priority:
        data[f"{p.value}_first_response"], data[f"{p.value}_first_response_minutes"] = "1", "0"
        data[f"{p.value}_resolution"], data[f"{p.value}_resolution_minutes"] = "8", "0"
    data.update(overrides)
    return data


def test_sla_targets_are_entered_in_hours_and_minutes_and_stored_in_minutes(
        client, admin, customer):
    login(client, admin)
    page = client.get("/admin/sla").get_data(as_text=True)
    assert "First response (hours, minutes)" in page
    response = client.post("/admin/sla", data=_sla_form(
        urgent_first_response="0", urgent_first_response_minutes="30",
        urgent_resolution="2", urgent_resolution_minutes="15"))
    assert response.status_code == 302
    target = db.session.get(SlaTarget, "urgent")
    assert (target.first_response_minutes, target.resolution_minutes) == (30, 135)
    ticket = make_ticket(customer, priority=Priority.URGENT)
    assert ticket.due_at - ticket.created_at == timedelta(minutes=135)
    assert ticket.first_response_due_at - ticket.created_at == timedelta(minutes=30)
    page = client.get("/admin/sla").get_data(as_text=True)
    assert re.search(r'name="urgent_resolution_minutes"[^>]*value="15"', page)


@pytest.mark.parametrize("field, value, message", [
    ("low_first_response_minutes", "75", "Use 0 to 59 minutes."),
    ("low_first_response", "-1", "Use 0 to"),
])
def test_bad_sla_input_is_shown_next_to_the_field(client, admin, field, value, message):
    login(client, admin)
    response = client.post("/admin/sla", data=_sla_form(**{field: value}))
    assert response.status_code == 400 and message in response.get_data(as_text=True)


def test_zero_time_is_refused(client, admin):
    login(client, admin)
    response = client.post("/admin/sla", data=_sla_form(low_first_response="0"))
    assert response.status_code == 400
    assert "Use 1 minute to" in response.get_data(as_text=True)


# --- namesakes, history wording, the pending agent ----------------------------------------

def test_staff_who_share_a_name_are_shown_with_their_email(client, admin, customer, three):
    alex1 = make_user(Role.AGENT, name="Alex Agent", email="alex1@test.example")
    alex2 = make_user(Role.AGENT, name="Alex Agent", email="alex2@test.example")
    _tweak(three[0], assignee_id=alex1.id, status=Status.IN_PROGRESS)
    assignment.take_ticket(three[1], alex2)
    login(client, admin)
    queue = client.get("/agent/queue").get_data(as_text=True)
    assert "Alex Agent (alex1@test.example)" in queue and "Alex Agent (alex2@test.example)" in queue
    audit = client.get("/admin/audit").get_data(as_text=True)
    assert "Alex Agent (alex2@test.example)" in audit
    rows = list(csv.reader(io.StringIO(client.get("/agent/queue.csv?filtered=1")
                                       .get_data(as_text=True))))
    assignees = {row[rows[0].index("Assignee")] for row in rows[1:]}
    assert {"Alex Agent (alex1@test.example)", "Alex Agent (alex2@test.example)"} <= assignees
    # a name nobody else has stays as it is
    assert "Ada Admin (" not in audit


def test_history_says_who_took_the_ticket_once(client, agent, ticket):
    assignment.take_ticket(ticket, agent)
    login(client, agent)
    html = client.get(f"/agent/tickets/{ticket.number}").get_data(as_text=True)
    assert re.search(r"<strong>Agnes Agent</strong> took the ticket\s*(<br>|<time)", html)
    assert "took the ticket:" not in html


def test_a_pending_agent_is_told_the_application_awaits_approval(client, pending_agent):
    login(client, pending_agent)
    response = client.get("/agent/queue")
    assert response.status_code == 403
    assert "Your application is waiting for approval" in response.get_data(as_text=True)


def test_required_fields_are_marked(client):
    html = client.get("/auth/register/agent").get_data(as_text=True)
    assert re.search(r'<label for="name">Name</label> <span class="required-mark" '
                     r'aria-hidden="true">required</span>', html)
    assert re.search(r'<input[^>]*aria-required="true"[^>]*id="name"|<input[^>]*id="name"'
                     r'[^>]*aria-required="true"', html)


# --- console export and dashboard --------------------------------------------------------

def test_the_console_export_states_its_scope(client, admin, three):
    _tweak(three[0], status=Status.CLOSED)
    login(client, admin)
    everything = client.get("/agent/queue/export").get_data(as_text=True)
    assert "Scope: all tickets" in everything and "3 tickets" in everything
    view = client.get("/agent/queue/export?scope=view&q=parcel&filtered=1&open_only=y")
    html = view.get_data(as_text=True)
    assert "Scope: this view" in html and "2 tickets" in html and "parcel" in html
    csv_link = re.search(r'href="(/agent/queue\.csv[^"]*)"', html).group(1).replace("&amp;", "&")
    rows = list(csv.reader(io.StringIO(client.get(csv_link).get_data(as_text=True))))
    assert len(rows) == 3  # the header and the two open tickets


def test_an_agent_cannot_open_the_export_page(client, agent):
    login(client, agent)
    assert client.get("/agent/queue/export").status_code == 403


def test_dashboard_tiles_link_to_the_queue(client, admin, three):
    login(client, admin)
    html = client.get("/admin/").get_data(as_text=True)
    assert 'href="/agent/queue?overdue=1"' in html
    assert 'href="/agent/queue?unassigned=1"' in html
