"""Fast by design: a page of the API's ticket list costs a fixed number of SQL statements
whatever its size (no N+1): the caller, the bounded count, the rows with their people,
category and team joined in, and their tags. Counted as in test_queue_queries.py."""
from api_support import ApiClient, access_token
from conftest import make_ticket, make_user
from test_queue_queries import counting

from helpdesk.extensions import db
from helpdesk.models import Role, Status, TicketTag
from helpdesk.services.tickets import conversation


def _tickets(n, customer=None):
    """n tickets with their own requester (or `customer`), tags and a message; two in
    three with their own assignee."""
    for i in range(n):
        ticket = make_ticket(customer or make_user(Role.CUSTOMER), subject=f"Count {i}")
        agent = make_user(Role.AGENT)
        if i % 3:
            ticket.assignee, ticket.status = agent, Status.IN_PROGRESS
        ticket.tags = [TicketTag(name=f"tag{i}"), TicketTag(name="common")]
        conversation.post_reply(ticket, agent, "Hello", internal=not i % 3)
    db.session.commit()


def _statements(api, url, token) -> tuple[int, int]:
    api.get(url, as_=token)  # warm: the process's catalog cache (settings) is filled once
    db.session.expire_all()
    with counting() as statements:
        response = api.get(url, as_=token)
        assert response.status_code == 200, response.get_json()
    return len(statements), len(response.get_json()["items"])


def test_a_list_page_costs_the_same_statements_for_3_and_60_rows(app, admin):
    api = ApiClient(app)
    token = access_token(admin)
    _tickets(60)
    for query in ("", "&sort=priority&q=count", "&sort=due&status=in_progress,new",
                  "&open=true&assignee=none", "&sort=oldest", "&sort=newest&q=count"):
        small, rows_small = _statements(api, f"/tickets?limit=3{query}", token)
        large, rows_large = _statements(api, f"/tickets?limit=100{query}", token)
        assert small == large, query
        assert rows_small == min(3, rows_large) and rows_large > 3, query
        # the caller, count, rows, tags, custom-field values (+ the search's setting)
        assert small <= 6, small


def test_the_next_page_costs_what_the_first_one_costs(app, admin):
    api = ApiClient(app)
    token = access_token(admin)
    _tickets(12)
    first_count, _ = _statements(api, "/tickets?limit=5", token)
    cursor = api.get("/tickets?limit=5", as_=token).get_json()["next_cursor"]
    next_count, rows = _statements(api, f"/tickets?limit=5&cursor={cursor}", token)
    assert next_count == first_count and rows == 5


def test_a_customers_list_is_as_cheap(app):
    customer = make_user(Role.CUSTOMER)
    _tickets(30, customer)
    api = ApiClient(app)
    token = access_token(customer)
    small, _ = _statements(api, "/tickets?limit=2&q=count", token)
    large, rows = _statements(api, "/tickets?limit=100&q=count", token)
    assert small == large and rows == 30


def test_a_thread_costs_the_same_for_1_and_20_messages(app, admin, customer):
    api = ApiClient(app)
    token = access_token(admin)
    short, long_ = make_ticket(customer), make_ticket(customer)
    conversation.post_reply(short, admin, "One")
    for i in range(20):
        conversation.post_reply(long_, admin, f"Message {i}", internal=bool(i % 2))
    few, _ = _statements(api, f"/tickets/{short.number}/messages", token)
    many, _ = _statements(api, f"/tickets/{long_.number}/messages", token)
    assert few == many
