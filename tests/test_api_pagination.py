"""Cursor pages: every ticket exactly once, in a stable order (ties broken by id), with
pages that hold when new tickets arrive; cursors that are not ours are refused; `total`
is exact up to a bound and says so beyond it."""
import base64
import json
from datetime import timedelta

import pytest
from api_support import ApiClient, problem
from conftest import make_ticket

from helpdesk.extensions import db
from helpdesk.models import Priority, utcnow

SORTS = ("-created", "created", "-updated", "updated", "priority", "-priority", "due")


def _tickets(customer, n=11):
    """Tickets sharing timestamps in groups of three (ties), mixed priorities, some
    without a due date."""
    base = utcnow() - timedelta(days=1)
    made = []
    for i in range(n):
        ticket = make_ticket(customer, subject=f"Page {i}")
        ticket.created_at = ticket.last_activity_at = base + timedelta(minutes=i // 3)
        ticket.priority = list(Priority)[i % 5]
        ticket.due_at = None if i % 4 == 0 else base + timedelta(hours=i % 3)
        made.append(ticket.number)
    db.session.commit()
    return made


def _walk(api, user, sort, limit=4):
    seen, cursor, pages = [], None, 0
    while True:
        url = f"/tickets?sort={sort}&limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        body = api.get(url, as_=user).get_json()
        seen += [t["number"] for t in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return seen, pages, body["total"]


@pytest.mark.parametrize("sort", SORTS)
def test_pages_hold_every_ticket_once_in_the_sorts_order(app, agent, customer, sort):
    numbers = _tickets(customer)
    api = ApiClient(app)
    seen, pages, total = _walk(api, agent, sort)
    assert sorted(seen) == sorted(numbers) and len(seen) == len(set(seen))
    assert pages == 3 and total == 11
    whole = [t["number"] for t in api.get(f"/tickets?sort={sort}&limit=100",
                                          as_=agent).get_json()["items"]]
    assert seen == whole  # the pages are the one list, cut


def test_the_orders_are_what_they_say(app, agent, customer):
    _tickets(customer)
    api = ApiClient(app)

    def items(sort):
        return api.get(f"/tickets?sort={sort}&limit=100", as_=agent).get_json()["items"]
    newest = items("-created")
    assert [t["created_at"] for t in newest] == sorted(
        (t["created_at"] for t in newest), reverse=True)
    ranks = [list(reversed(Priority)).index(t["priority"]) for t in items("priority")]
    assert ranks == sorted(ranks)  # critical first
    dues = [t["due_at"] for t in items("due")]
    assert dues[-3:] == [None, None, None] and dues[:-3] == sorted(dues[:-3])


def test_a_new_ticket_does_not_shift_the_next_page(app, agent, customer):
    _tickets(customer)
    api = ApiClient(app)
    first = api.get("/tickets?sort=-created&limit=4", as_=agent).get_json()
    make_ticket(customer, subject="Arrived meanwhile")
    second = api.get(f"/tickets?sort=-created&limit=4&cursor={first['next_cursor']}",
                     as_=agent).get_json()
    numbers = [t["number"] for t in first["items"] + second["items"]]
    assert len(set(numbers)) == 8 and "Arrived meanwhile" not in {
        t["subject"] for t in second["items"]}


def test_cursors_that_are_not_ours_are_refused(app, agent, customer):
    _tickets(customer)
    api = ApiClient(app)
    cursor = api.get("/tickets?sort=-created&limit=2", as_=agent).get_json()["next_cursor"]
    other_sort = api.get(f"/tickets?sort=priority&cursor={cursor}", as_=agent)
    assert other_sort.status_code == 422 and "cursor" in problem(other_sort)["errors"]
    forged = base64.urlsafe_b64encode(json.dumps(
        {"s": "-created", "k": ["2026-01-01T00:00:00", "1 OR 1=1"]}).encode()).decode()
    for bad in ("garbage", forged, "e30"):
        response = api.get(f"/tickets?cursor={bad}", as_=agent)
        assert response.status_code == 422 and "cursor" in problem(response)["errors"]


def test_the_total_is_exact_up_to_the_bound_then_a_lower_bound(app, agent, customer,
                                                               monkeypatch):
    """The same bound as the queue's counts (services/queue/filters.COUNT_LIMIT)."""
    from helpdesk.services.queue import filters
    _tickets(customer)
    api = ApiClient(app)
    exact = api.get("/tickets?limit=1", as_=agent).get_json()
    assert (exact["total"], exact["total_exact"]) == (11, True)
    monkeypatch.setattr(filters, "COUNT_LIMIT", 5)
    bounded = api.get("/tickets?limit=1", as_=agent).get_json()
    assert (bounded["total"], bounded["total_exact"]) == (5, False)
    assert bounded["next_cursor"]  # paging goes on past the bound
    monkeypatch.setattr(filters, "COUNT_LIMIT", 11)
    assert api.get("/tickets?limit=1", as_=agent).get_json()["total_exact"] is True


def test_limit_is_at_most_100(app, agent):
    response = ApiClient(app).get("/tickets?limit=101", as_=agent)
    assert response.status_code == 422 and "limit" in problem(response)["errors"]


def test_a_misspelt_filter_is_refused_not_ignored(app, agent):
    response = ApiClient(app).get("/tickets?my_tickets=true", as_=agent)
    assert response.status_code == 422
    assert problem(response)["errors"] == {"my_tickets": ["Unknown field."]}
