"""Reading is not writing: opening a ticket page writes nothing when there is nothing to
mark (no INSERT, UPDATE or DELETE, no COMMIT); when there is, one UPDATE marks the
notifications read. Either way the page loads its ticket once."""
import re
from contextlib import contextmanager

from conftest import login, make_ticket
from sqlalchemy import event, select

from helpdesk.extensions import db
from helpdesk.models import Notification
from helpdesk.services import notifications

WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.I)


@contextmanager
def watching():
    """Statements run and COMMITs made on the app's engine meanwhile."""
    seen = {"statements": [], "commits": 0}

    def statement(conn, cursor, sql, parameters, context, executemany):
        seen["statements"].append(sql)

    def commit(conn):
        seen["commits"] += 1
    event.listen(db.engine, "before_cursor_execute", statement)
    event.listen(db.engine, "commit", commit)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", statement)
        event.remove(db.engine, "commit", commit)


def _ticket_loads(statements) -> int:
    return sum(1 for s in statements
               if re.search(r"FROM tickets\b", s) and "tickets.subject" in s
               and "tickets.number =" in s)


def _get(client, url, login_as):
    login(client, login_as)
    client.get(url)  # a first visit marks whatever was there; warms up
    db.session.expire_all()
    with watching() as seen:
        assert client.get(url).status_code == 200
    return seen


def test_the_workspace_with_nothing_unread_writes_nothing(app, client, agent, customer):
    ticket = make_ticket(customer)
    seen = _get(client, f"/agent/tickets/{ticket.number}", agent)
    writes = [s for s in seen["statements"] if WRITE.match(s)]
    assert writes == [] and seen["commits"] == 0, (writes, seen["commits"])
    assert _ticket_loads(seen["statements"]) == 1


def test_the_customer_page_with_nothing_unread_writes_nothing(app, client, customer):
    ticket = make_ticket(customer)
    seen = _get(client, f"/portal/tickets/{ticket.number}", customer)
    writes = [s for s in seen["statements"] if WRITE.match(s)]
    assert writes == [] and seen["commits"] == 0, (writes, seen["commits"])


def _unread(user, ticket):
    return db.session.scalar(select(db.func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.ticket_id == ticket.id,
        Notification.read_at.is_(None)))


def test_unread_notifications_are_marked_in_one_update_and_the_ticket_loads_once(
        app, client, agent, customer):
    ticket = make_ticket(customer)
    login(client, agent)
    notifications.notify([agent], ticket, "assigned", "Yours now")
    notifications.notify([agent], ticket, "reply", "The customer wrote")
    db.session.commit()
    assert _unread(agent, ticket) == 2
    db.session.expire_all()
    with watching() as seen:
        assert client.get(f"/agent/tickets/{ticket.number}").status_code == 200
    writes = [s for s in seen["statements"] if WRITE.match(s)]
    assert len(writes) == 1 and writes[0].lstrip().upper().startswith("UPDATE NOTIFICATIONS")
    assert "read_at IS NULL" in writes[0]
    assert seen["commits"] == 1
    assert _ticket_loads(seen["statements"]) == 1
    db.session.expire_all()
    assert _unread(agent, ticket) == 0


def test_the_customer_page_marks_unread_ones_read(app, client, agent, customer):
    ticket = make_ticket(customer)
    login(client, customer)
    notifications.notify([customer], ticket, "reply", "An agent answered")
    db.session.commit()
    assert client.get(f"/portal/tickets/{ticket.number}").status_code == 200
    db.session.expire_all()
    assert _unread(customer, ticket) == 0
