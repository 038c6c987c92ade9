"""Categories, teams, staff, organizations and settings are read once per process and
reused while the catalog version (raised by database triggers) is unchanged: a change
made anywhere — another process, raw SQL — shows on the next request."""
from conftest import login, make_user
from sqlalchemy import create_engine, text

from helpdesk.extensions import db
from helpdesk.models import CatalogVersion, Category, Role
from helpdesk.services.catalog import cache


def _version():
    db.session.expire_all()
    return db.session.get(CatalogVersion, 1).n


def test_changes_to_the_catalog_raise_the_version(app, admin):
    before = _version()
    db.session.add(Category(name="Returns", position=50))
    db.session.commit()
    assert _version() > before
    before = _version()
    make_user(Role.AGENT, name="Newly Approved")
    assert _version() > before
    before = _version()
    admin.last_login_at = admin.created_at  # not a staff-list column
    db.session.commit()
    assert _version() == before


def test_a_change_from_another_process_shows_on_the_next_request(app, client, agent):
    login(client, agent)
    assert "Returns desk" not in client.get("/agent/queue").get_data(as_text=True)
    other = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])  # "another process"
    try:
        with other.begin() as conn:
            conn.execute(text("INSERT INTO categories (name, active, position) "
                              "VALUES ('Returns desk', true, 99)"))
    finally:
        other.dispose()
    assert "Returns desk" in client.get("/agent/queue").get_data(as_text=True)


def test_a_warm_cache_saves_the_lists_statements(app, client, agent):
    from test_queue_queries import counting
    login(client, agent)
    client.get("/agent/queue")
    db.session.expire_all()
    with counting() as statements:
        assert client.get("/agent/queue").status_code == 200
    assert not any("FROM categories" in s or "FROM teams" in s or "FROM organizations" in s
                   for s in statements), statements
    assert sum("FROM catalog_version" in s for s in statements) == 1
    assert cache.catalog().categories  # the defaults are there
