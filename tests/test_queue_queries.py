"""Fast by design: the queue and the workspace load their related rows in a fixed number
of statements, whatever the number of rows (no N+1). Counted with an SQLAlchemy
`before_cursor_execute` listener on the engine."""
from contextlib import contextmanager

from conftest import PNG_BYTES, login, make_ticket, make_user, upload
from sqlalchemy import event
from werkzeug.datastructures import FileStorage

from helpdesk.extensions import db
from helpdesk.models import Role, Status
from helpdesk.services.tickets import conversation


@contextmanager
def counting():
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def _tickets(n):
    """n tickets, each with its own requester and its own assignee."""
    for i in range(n):
        ticket = make_ticket(make_user(Role.CUSTOMER), subject=f"Query count {i}")
        ticket.assignee = make_user(Role.AGENT)
        ticket.status = Status.IN_PROGRESS
    db.session.commit()


def _queue_statements(client, url="/agent/queue") -> int:
    db.session.expire_all()
    with counting() as statements:
        assert client.get(url).status_code == 200
    return len(statements)


def test_the_queue_uses_the_same_number_of_statements_for_5_and_40_rows(app, client, admin):
    login(client, admin)
    _tickets(5)
    few = _queue_statements(client)
    few_search = _queue_statements(client, "/agent/queue?q=query&sort=priority")
    _tickets(35)
    assert _queue_statements(client) == few
    assert _queue_statements(client, "/agent/queue?q=query&sort=priority") == few_search
    # Fixed parts besides the rows: the session record, the catalog version, namesakes
    # among staff, saved views (default view and side bar), custom-field definitions,
    # macros (bulk "Apply macro"), bounded counts, unread notifications.
    assert few <= 16, few


def _file(name):
    stream, filename = upload(name, PNG_BYTES)
    return FileStorage(stream=stream, filename=filename)


def _conversation(ticket, customer, agents, n):
    for i in range(n):
        author = agents[i % len(agents)] if i % 2 else customer
        internal = author is not customer and author is not agents[0]
        conversation.post_reply(ticket, author, f"Message {i}", internal=internal,
                           files=[_file(f"f{i}.png")])
    ticket.tags = []
    db.session.commit()


def _workspace_statements(client, ticket) -> int:
    db.session.expire_all()
    with counting() as statements:
        assert client.get(f"/agent/tickets/{ticket.number}").status_code == 200
    return len(statements)


def test_the_workspace_uses_the_same_number_of_statements_for_2_and_30_messages(
        app, client, admin, customer):
    agents = [make_user(Role.AGENT) for _ in range(6)]
    small, big = make_ticket(customer), make_ticket(customer)
    for ticket in (small, big):
        ticket.assignee = agents[0]
    for i in range(12):
        make_ticket(make_user(Role.CUSTOMER) if i % 2 else customer)
    _conversation(small, customer, agents, 2)
    _conversation(big, customer, agents, 30)
    login(client, admin)
    few = _workspace_statements(client, small)
    assert _workspace_statements(client, big) == few
    assert few <= 25, few
