"""The agent queue: filters in the query string, sort orders, pages of 50, side links
with live counts, overdue rows."""
import re
from datetime import datetime, timedelta

import pytest
from conftest import login, make_ticket
from sqlalchemy import select

from helpdesk.extensions import db
from helpdesk.models import Category, Priority, Status, Team, Ticket, utcnow

NUMBER = re.compile(r'<td data-label="Subject"[^>]*><a [^>]*href="/agent/tickets/([A-Z]+-\d+)"')


def numbers(response) -> list[str]:
    assert response.status_code == 200, response.status_code
    return NUMBER.findall(response.get_data(as_text=True))


def numbers_in(html: str) -> list[str]:
    return NUMBER.findall(html)


def tweak(ticket, **fields):
    for name, value in fields.items():
        setattr(ticket, name, value)
    db.session.commit()
    return ticket


@pytest.fixture
def mix(app, customer, other_customer, agent, other_agent):
    """A small queue with one ticket per interesting shape."""
    billing = db.session.scalar(select(Category).filter_by(name="Billing"))
    logistics = db.session.scalar(select(Team).filter_by(name="Logistics"))
    now = utcnow()
    return {
        "new": make_ticket(customer, subject="Charged twice", category_id=billing.id),
        "mine": tweak(make_ticket(customer, subject="Lost parcel"), assignee_id=agent.id,
                      status=Status.IN_PROGRESS, team_id=logistics.id),
        "theirs": tweak(make_ticket(other_customer, subject="Zip broke",
                                    priority=Priority.URGENT),
                        assignee_id=other_agent.id, status=Status.ON_HOLD),
        "overdue": tweak(make_ticket(other_customer, subject="Late delivery"),
                         due_at=now - timedelta(hours=2), status=Status.OPEN,
                         assignee_id=other_agent.id),
        "resolved": tweak(make_ticket(customer, subject="Refund sorted"),
                          status=Status.RESOLVED, due_at=now - timedelta(days=3),
                          assignee_id=agent.id),
        "closed": tweak(make_ticket(customer, subject="Spam"), status=Status.CLOSED),
    }


def test_default_view_is_open_tickets_with_the_row_columns(app, client, agent, mix):
    login(client, agent)
    response = client.get("/agent/queue")
    shown = numbers(response)
    assert set(shown) == {mix[k].number for k in ("new", "mine", "theirs", "overdue")}
    html = response.get_data(as_text=True)
    for text in ("Charged twice", "Carla Customer", "Pending / on hold", "Urgent",
                 "Oscar Agent", "Unassigned", "Last activity"):
        assert text in html, text
    for label in ("Status", "Priority", "Category", "Search"):
        match = re.search(rf'<label for="([^"]+)">{label}</label>', html)
        assert match and f'id="{match.group(1)}"' in html, label


@pytest.mark.parametrize("args, expected", [
    ({"status": "on_hold"}, {"theirs"}),
    ({"status": "resolved"}, {"resolved"}),
    ({"priority": "urgent"}, {"theirs"}),
    ({"mine": "1"}, {"mine"}),
    ({"unassigned": "1"}, {"new"}),
    ({"overdue": "1"}, {"overdue"}),
    ({"q": "parcel"}, {"mine"}),
    ({"q": "Otto"}, {"theirs", "overdue"}),
    ({"filtered": "1"}, {"new", "mine", "theirs", "overdue", "resolved", "closed"}),
    ({"filtered": "1", "open_only": "y", "q": "refund"}, set()),
    ({"filtered": "1", "q": "refund"}, {"resolved"}),
])
def test_each_filter_selects_its_tickets(app, client, agent, mix, args, expected):
    login(client, agent)
    assert set(numbers(client.get("/agent/queue", query_string=args))) == {
        mix[k].number for k in expected}


def test_category_team_and_assignee_filters(app, client, agent, other_agent, mix):
    login(client, agent)
    billing = db.session.scalar(select(Category).filter_by(name="Billing"))
    logistics = db.session.scalar(select(Team).filter_by(name="Logistics"))
    assert numbers(client.get(f"/agent/queue?category={billing.id}")) == [mix["new"].number]
    # the Billing category routes to the Billing team; Logistics was set by hand
    assert numbers(client.get(f"/agent/queue?team={logistics.id}")) == [mix["mine"].number]
    assert set(numbers(client.get(f"/agent/queue?assignee={other_agent.id}"))) == {
        mix["theirs"].number, mix["overdue"].number}


def test_created_from_and_to_include_whole_days(app, client, agent, mix):
    tweak(mix["new"], created_at=datetime(2026, 3, 1, 23, 59))
    tweak(mix["mine"], created_at=datetime(2026, 3, 2, 0, 0))
    tweak(mix["theirs"], created_at=datetime(2026, 3, 5, 12, 0))
    login(client, agent)
    got = numbers(client.get("/agent/queue?created_from=2026-03-01&created_to=2026-03-02"))
    assert set(got) == {mix["new"].number, mix["mine"].number}
    assert numbers(client.get("/agent/queue?created_from=2026-03-03&created_to=2026-03-31")) \
        == [mix["theirs"].number]


def test_a_bad_date_is_shown_next_to_its_field_with_the_input_kept(app, client, agent, mix):
    login(client, agent)
    response = client.get("/agent/queue?filtered=1&created_from=01/02/2026&q=parcel")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="created_from-error"' in html and 'value="01/02/2026"' in html
    assert 'value="parcel"' in html
    response = client.get("/agent/queue?created_from=2026-03-05&created_to=2026-03-01")
    assert response.status_code == 400 and 'id="created_to-error"' in response.get_data(
        as_text=True)


def test_sort_orders(app, client, agent, mix):
    now = utcnow()
    for hours, key in enumerate(("overdue", "new", "theirs", "mine")):
        tweak(mix[key], last_activity_at=now - timedelta(hours=hours),
              created_at=now - timedelta(days=10 - hours), due_at=now + timedelta(hours=hours))
    tweak(mix["overdue"], due_at=now - timedelta(hours=5))
    tweak(mix["mine"], priority=Priority.CRITICAL)
    login(client, agent)
    n = {k: t.number for k, t in mix.items()}
    by_activity = [n["overdue"], n["new"], n["theirs"], n["mine"]]
    newest = [n["mine"], n["theirs"], n["new"], n["overdue"]]
    assert numbers(client.get("/agent/queue")) == newest  # the default: newest first
    assert numbers(client.get("/agent/queue?sort=newest")) == newest
    assert numbers(client.get("/agent/queue?sort=oldest")) == newest[::-1]
    assert numbers(client.get("/agent/queue?sort=updated")) == by_activity
    # Links bookmarked with the old words still work.
    assert numbers(client.get("/agent/queue?sort=created")) == newest
    assert numbers(client.get("/agent/queue?sort=activity")) == by_activity
    assert numbers(client.get("/agent/queue?sort=priority")) == [
        n["mine"], n["theirs"], n["overdue"], n["new"]]
    assert numbers(client.get("/agent/queue?sort=due")) == [
        n["overdue"], n["new"], n["theirs"], n["mine"]]


def test_overdue_rows_are_highlighted(app, client, agent, mix):
    login(client, agent)
    html = client.get("/agent/queue").get_data(as_text=True)
    rows = re.findall(r"<tr( class=\"overdue\")?[^>]*>\s*<td class=\"col-check\">.*?"
                      r'href="/agent/tickets/([A-Z]+-\d+)"', html, re.S)
    assert {number for flag, number in rows if flag} == {mix["overdue"].number}


def test_side_links_show_live_counts(app, client, agent, other_agent, mix):
    login(client, agent)
    html = client.get("/agent/queue").get_data(as_text=True)
    counts = dict(re.findall(r'<a [^>]*href="/agent/queue[^"]*"[^>]*>([A-Za-z ]+?) '
                             r'<span class="count">(\d+)</span>', html))
    assert counts == {"Mine": "1", "Unassigned": "1", "Overdue": "1", "All open": "4"}
    tweak(mix["theirs"], assignee_id=agent.id)
    html = client.get("/agent/queue?mine=1").get_data(as_text=True)
    assert re.search(r'aria-current="page">Mine <span class="count">2</span>', html)


def test_pages_of_fifty_keep_the_filters(app, client, agent, customer):
    for i in range(53):
        make_ticket(customer, subject=f"Bulk question {i}")
    make_ticket(customer, subject="Unrelated")
    login(client, agent)
    first = client.get("/agent/queue?q=bulk")
    assert len(numbers(first)) == 50
    html = first.get_data(as_text=True)
    assert "53 tickets" in html
    assert re.search(r'href="/agent/queue\?q=bulk&amp;page=2"', html)
    assert len(numbers(client.get("/agent/queue?q=bulk&page=2"))) == 3
    assert len(numbers(client.get("/agent/queue?q=bulk&page=99"))) == 3  # the last page


def test_unknown_filter_values_are_a_400_never_a_500(app, client, agent, mix):
    login(client, agent)
    response = client.get("/agent/queue?status=bogus&priority=nope&category=x&sort=sideways"
                          "&page=-3&assignee=99999")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="status-error"' in html and 'id="priority-error"' in html


def test_huge_ids_and_pages_are_not_a_500(app, client, agent, mix):
    login(client, agent)
    huge = "9" * 30
    response = client.get(f"/agent/queue?category={huge}&team={huge}&assignee={huge}"
                          f"&page={'9' * 5000}")
    assert response.status_code == 400
    response = client.post("/agent/queue/bulk", data={
        "ticket_ids": [huge], "bulk_action": f"assign:{huge}", "next": "/agent/queue"})
    assert response.status_code == 400


def _next_link(html):
    found = re.search(r'<a href="([^"]+)" rel="next">', html)
    return found and found.group(1).replace("&amp;", "&")


def test_counts_stop_at_the_bound_and_pages_go_on_by_keyset(app, client, agent, customer,
                                                            monkeypatch):
    """Beyond COUNT_LIMIT the total and the side links read "N+"; Next links carry a
    keyset cursor (after=), and walking them visits every ticket once, in order."""
    from helpdesk.services.queue import filters
    for i in range(7):
        make_ticket(customer, subject=f"Walk {i}")
    monkeypatch.setattr(filters, "COUNT_LIMIT", 3)
    app.config["PAGE_SIZE"] = 2
    login(client, agent)
    html = client.get("/agent/queue?sort=oldest").get_data(as_text=True)
    assert "3+ tickets" in html
    assert re.search(r'All open <span class="count">3\+</span>', html)
    seen, url = numbers_in(html), _next_link(html)
    pages = 1
    while url:
        assert "after=" in url and "sort=oldest" in url
        html = client.get(url).get_data(as_text=True)
        seen += numbers_in(html)
        url = _next_link(html)
        pages += 1
    expected = [t.number for t in db.session.scalars(
        db.select(Ticket).order_by(Ticket.created_at, Ticket.id))]
    assert seen == expected and pages == 4
    # page= still works (OFFSET), and a cursor that is not ours is ignored.
    assert numbers_in(client.get("/agent/queue?sort=oldest&page=2").get_data(as_text=True)) \
        == expected[2:4]
    assert client.get("/agent/queue?after=bogus").status_code == 200


def test_counts_are_exact_up_to_the_bound(app, client, agent, customer, monkeypatch):
    from helpdesk.services.queue import filters
    for i in range(3):
        make_ticket(customer, subject=f"Exact {i}")
    monkeypatch.setattr(filters, "COUNT_LIMIT", 3)
    login(client, agent)
    html = client.get("/agent/queue").get_data(as_text=True)
    assert "3 tickets" in html and "3+" not in html
    assert re.search(r'All open <span class="count">3</span>', html)


def test_a_search_looks_at_the_newest_matches_up_to_the_bound(app, client, agent, customer,
                                                               monkeypatch):
    """A word in most tickets costs the bound, not its matches: the search reads at most
    COUNT_LIMIT + 1 matches per source, the newest (the oldest for sort=oldest)."""
    from helpdesk.services.queue import filters
    made = [make_ticket(customer, subject=f"Hinge broke {i}") for i in range(6)]
    monkeypatch.setattr(filters, "COUNT_LIMIT", 2)
    login(client, agent)
    html = client.get("/agent/queue?q=hinge").get_data(as_text=True)
    assert "2+ tickets" in html
    assert numbers_in(html)[:2] == [made[-1].number, made[-2].number]
    oldest = client.get("/agent/queue?q=hinge&sort=oldest").get_data(as_text=True)
    assert numbers_in(oldest)[:2] == [made[0].number, made[1].number]
    monkeypatch.setattr(filters, "COUNT_LIMIT", 10)
    html = client.get("/agent/queue?q=hinge").get_data(as_text=True)
    assert "6 tickets" in html and len(numbers_in(html)) == 6
