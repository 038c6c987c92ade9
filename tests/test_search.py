"""Free-text search behind one function: SQLite FTS5 / PostgreSQL GIN full-text indexes,
kept true by triggers (SQLite) or by the index itself (PostgreSQL), built the same way by
the migration and by create_all."""
import uuid

import pytest
from conftest import PG_SERVER_URL, _pg_admin, login, make_ticket
from sqlalchemy import delete, select, text
from sqlalchemy.engine import make_url

from helpdesk import create_app
from helpdesk.extensions import db
from helpdesk.models import Status, Ticket
from helpdesk.services import demo
from helpdesk.services.queue import search
from helpdesk.services.tickets import conversation


def found(query: str) -> set[str]:
    condition = search.ticket_search_condition(query)
    if condition is None:
        return {"<no filter>"}
    return set(db.session.scalars(select(Ticket.number).where(condition)))


@pytest.fixture
def corpus(app, customer, other_customer, agent):
    """Three tickets; Carla's damaged parcel has a public reply and an internal note."""
    damaged = make_ticket(customer, subject="Parcel arrived damaged",
                          description="The box was crushed on one side.")
    conversation.post_reply(damaged, customer, "Photos of the dented kettle attached")
    conversation.post_reply(damaged, agent, "Carrier claim opened internally", internal=True)
    refund = make_ticket(other_customer, subject="Refund not received",
                         description="Paid by card; nothing came back.")
    late = make_ticket(customer, subject="Delivery is late", description="Still waiting.")
    return {"damaged": damaged.number, "refund": refund.number, "late": late.number}


@pytest.mark.parametrize("query, expected", [
    ("damaged", {"damaged"}),                     # subject
    ("crushed", {"damaged"}),                     # description
    ("kettle", {"damaged"}),                      # a public reply
    ("carrier claim", {"damaged"}),               # an internal note (staff search)
    ("Otto", {"refund"}),                         # requester name
    ("Carla Customer", {"damaged", "late"}),
    ("crush", {"damaged"}),                       # words match as prefixes
    ("CRUSHED", {"damaged"}),                     # any case
    ("damaged carla", {"damaged"}),               # every word, anywhere on the ticket
    ("damaged otto", set()),
    ("parcel arrived", {"damaged"}),              # each chunk is a phrase...
    ("arrived-parcel", set()),                    # ...in the order typed
    ("Paid by card;", {"refund"}),
    ("nothing-like-this", set()),
])
def test_search_finds_tickets_by_their_text_and_requester(app, corpus, query, expected):
    assert found(query) == {corpus[k] for k in expected}


def test_search_by_number_and_by_requester_email(app, corpus, customer, other_customer):
    number = corpus["refund"]
    digits = str(int(number.split("-")[1]))
    assert found(number) == {number}
    assert found(number.lower()) == {number}
    assert found(f"#{digits}") == {number}
    assert number in found(digits)
    assert found(other_customer.email) == {number}
    assert found(customer.email.split("@")[0]) == {corpus["damaged"], corpus["late"]}


@pytest.mark.parametrize("query", ['"unbalanced', "a OR b", "NEAR(x y)", "*", "'; DROP TABLE x",
                                   "%_", "col:value", "-", "^", "title:(x)", "🙂", "x" * 300])
def test_odd_input_is_text_never_syntax(app, corpus, client, agent, query):
    assert isinstance(found(query), set)
    login(client, agent)
    assert client.get("/agent/queue", query_string={"q": query[:200]}).status_code == 200


def test_an_empty_search_is_no_filter(app, corpus):
    assert search.ticket_search_condition("   ") is None


def test_the_index_follows_edits_renames_and_deletions(app, corpus, other_customer):
    refund = db.session.scalar(select(Ticket).filter_by(number=corpus["refund"]))
    refund.subject = "Chargeback question"
    db.session.commit()
    assert found("chargeback") == {corpus["refund"]} and found("refund") == set()

    other_customer.name = "Olga Renamed"
    db.session.commit()
    assert found("olga") == {corpus["refund"]} and found("otto") == set()

    db.session.execute(delete(Ticket).where(Ticket.number == corpus["damaged"]))
    db.session.commit()
    assert found("kettle") == set() and found("crushed") == set()
    _fts_integrity_check()


def _fts_integrity_check():
    """SQLite: FTS5 checks its index against the content tables (raises if not)."""
    if db.engine.dialect.name != "sqlite":
        return
    for name in ("tickets_fts", "messages_fts", "users_fts"):
        db.session.execute(text(f"INSERT INTO {name}({name}) VALUES ('integrity-check')"))  # noqa: S608


def test_bulk_seeded_tickets_are_searchable(app):
    demo.seed_demo(120)
    seeded = db.session.scalar(select(Ticket).order_by(Ticket.id.desc()).limit(1))
    word = seeded.subject.split()[-1]
    assert seeded.number in found(seeded.number)
    assert seeded.number in found(word)
    expected = set(db.session.scalars(select(Ticket.number).where(
        Ticket.subject.ilike(f"%{word}%") | Ticket.description.ilike(f"%{word}%"))))
    assert expected <= found(word)
    _fts_integrity_check()


def test_the_queue_search_respects_the_other_filters(app, corpus, client, agent):
    late = db.session.scalar(select(Ticket).filter_by(number=corpus["late"]))
    late.status = Status.CLOSED
    db.session.commit()
    login(client, agent)
    html = client.get("/agent/queue?q=carla").get_data(as_text=True)
    assert corpus["damaged"] in html and corpus["late"] not in html


# --- the migration builds what create_all builds ---------------------------------------

def _search_objects(connection) -> set:
    if connection.dialect.name == "sqlite":
        rows = connection.execute(text(
            "SELECT type, name, tbl_name, sql FROM sqlite_master "
            "WHERE name LIKE '%\\_fts%' ESCAPE '\\' OR name = 'ix_tickets_priority_rank'"))
    else:
        rows = connection.execute(text(
            "SELECT tablename, indexname, indexdef FROM pg_indexes "
            "WHERE indexname = ANY(:names)"), {"names": sorted(search.SEARCH_INDEXES)})
    return {tuple(row) for row in rows}


def test_the_migration_builds_the_same_search_objects_as_create_all(app, tmp_path):
    with db.engine.connect() as conn:
        from_create_all = _search_objects(conn)
    assert len(from_create_all) >= 4

    url, pg_name = _empty_database(tmp_path)
    migrated = create_app({"DATABASE_URL": url, "SECRET_KEY": "x", "TESTING": True})
    try:
        with migrated.app_context():  # the CLI runs in the current app context
            result = migrated.test_cli_runner().invoke(args=["db", "upgrade"])
            assert result.exit_code == 0, result.output
            with db.engine.connect() as conn:
                assert _search_objects(conn) == from_create_all
            db.engine.dispose()
    finally:
        if pg_name:
            with _pg_admin(PG_SERVER_URL) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')


def _empty_database(tmp_path):
    if not PG_SERVER_URL:
        return f"sqlite:///{tmp_path / 'migrated.db'}", None
    name = f"helpdesk_search_{uuid.uuid4().hex[:10]}"
    with _pg_admin(PG_SERVER_URL) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(PG_SERVER_URL).set(drivername="postgresql+psycopg", database=name)
    return url.render_as_string(hide_password=False), name
