"""Lists every page asks for — categories, teams, staff, organizations, settings — read
once per process and reused while they have not changed.

The cache lives on the app (one per process in production, one per test app).
Invalidation is safe across processes: `catalog_version` holds one number that database
triggers raise in the same transaction as any INSERT, UPDATE or DELETE of categories,
teams, organizations and settings, and of users when a staff list could change (INSERT,
DELETE, UPDATE OF name, role, agent_status, active). A request reads that number once
(one indexed row); the cache of this process is used while it matches, rebuilt when it
does not. So a change made by another gunicorn worker, the CLI or raw SQL is seen on the
next request, never later.

The cached values are plain tuples (id, name, active), never ORM objects, so nothing
cached is bound to one request's session.
"""
from dataclasses import dataclass
from threading import Lock
from typing import NamedTuple

from flask import current_app, has_request_context, request
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from ...extensions import db
from ...models import CatalogVersion, Category, Organization, Setting, Team, User


class Item(NamedTuple):
    id: int
    name: str
    active: bool = True


class StaffItem(NamedTuple):
    """A member of staff as pickers show them: with the e-mail, which tells apart two who
    share a name (web.person_name)."""
    id: int
    name: str
    email: str
    active: bool = True
    is_staff: bool = True


@dataclass(frozen=True)
class Catalog:
    categories: list[Item]     # by position, name
    teams: list[Item]          # by name
    staff: list[StaffItem]     # active approved agents and admins, by name
    organizations: list[Item]  # by name
    settings: dict[str, str]


WATCHED = {"categories": None, "teams": None, "organizations": None, "settings": None,
           "users": "name, role, agent_status, active"}
_lock = Lock()
_CACHE = "helpdesk_catalog"  # app.extensions[...] = (version, catalog): one per app


def ddl(dialect: str) -> list[str]:
    # An upsert: a table emptied by TRUNCATE (the PostgreSQL test suite) gets its row back.
    bump = ("INSERT INTO catalog_version (id, n) VALUES (1, 1) ON CONFLICT (id) "
            "DO UPDATE SET n = catalog_version.n + 1")
    out = []
    if dialect == "postgresql":
        out.append("CREATE OR REPLACE FUNCTION catalog_version_bump() RETURNS trigger "
                   f"LANGUAGE plpgsql AS $$ BEGIN {bump}; RETURN NULL; END $$")
    for table, columns in WATCHED.items():
        update = f"UPDATE OF {columns}" if columns else "UPDATE"
        if dialect == "postgresql":
            out.append(f"DROP TRIGGER IF EXISTS {table}_catalog_version ON {table}")
            out.append(f"CREATE TRIGGER {table}_catalog_version AFTER INSERT OR DELETE OR "
                       f"{update} ON {table} FOR EACH STATEMENT "
                       "EXECUTE FUNCTION catalog_version_bump()")
        elif dialect == "sqlite":
            for op, when in (("INSERT", "ai"), ("DELETE", "ad"), (update, "au")):
                out.append(f"CREATE TRIGGER IF NOT EXISTS {table}_catalog_version_{when} "
                           f"AFTER {op} ON {table} BEGIN {bump}; END")
    return out


def drop_ddl(dialect: str) -> list[str]:
    if dialect == "postgresql":
        return [f"DROP TRIGGER IF EXISTS {t}_catalog_version ON {t}" for t in WATCHED] + [
            "DROP FUNCTION IF EXISTS catalog_version_bump()"]
    return [f"DROP TRIGGER IF EXISTS {t}_catalog_version_{w}" for t in WATCHED
            for w in ("ai", "ad", "au")]


def install(connection) -> None:
    connection.exec_driver_sql("DELETE FROM catalog_version")
    connection.exec_driver_sql("INSERT INTO catalog_version (id, n) VALUES (1, 0)")
    for statement in ddl(connection.dialect.name):
        connection.exec_driver_sql(statement)


def uninstall(connection) -> None:
    for statement in drop_ddl(connection.dialect.name):
        connection.exec_driver_sql(statement)


def register_schema_hooks() -> None:
    if not event.contains(db.metadata, "after_create", _after_create):
        event.listen(db.metadata, "after_create", _after_create)


def _after_create(_metadata, connection, **_kw) -> None:
    install(connection)


_KEY = "helpdesk.catalog_version"


def _read_version() -> int | None:
    return db.session.scalar(select(CatalogVersion.n).where(CatalogVersion.id == 1))


def _version() -> int | None:
    """The catalog's version: once per request; every time outside one (the worker and
    the CLI live long: they must see another process's change on their next use)."""
    if not has_request_context():
        return _read_version()
    if _KEY not in request.environ:
        request.environ[_KEY] = _read_version()
    return request.environ[_KEY]


def forget() -> None:
    """This request changed the catalog: read the version again next time."""
    if has_request_context():
        request.environ.pop(_KEY, None)
        request.environ.pop("helpdesk.catalog", None)


def catalog() -> Catalog:
    version = _version()
    if version is None:  # no version row yet: nothing to check a cache against
        return _uncached()
    found = current_app.extensions.get(_CACHE)
    if found and found[0] == version:
        return found[1]
    loaded = _load()
    with _lock:
        current_app.extensions[_CACHE] = (version, loaded)
    return loaded


def _uncached() -> Catalog:
    """Without a version: loaded once per request (every time outside one)."""
    if not has_request_context():
        return _load()
    if "helpdesk.catalog" not in request.environ:
        request.environ["helpdesk.catalog"] = _load()
    return request.environ["helpdesk.catalog"]


def _load() -> Catalog:
    def items(query):
        return [Item(*row) for row in db.session.execute(query)]
    return Catalog(
        categories=items(select(Category.id, Category.name, Category.active)
                         .order_by(Category.position, Category.name)),
        teams=items(select(Team.id, Team.name).order_by(Team.name)),
        staff=[StaffItem(*row) for row in db.session.execute(
            select(User.id, User.name, User.email).where(User.active, User.is_staff)
            .order_by(User.name, User.id))],
        organizations=items(select(Organization.id, Organization.name)
                            .order_by(Organization.name, Organization.id)),
        settings=dict(db.session.execute(select(Setting.key, Setting.value)).all()))


@event.listens_for(Session, "after_flush")
def _after_flush(session, _context) -> None:
    """A flush in this request that touched the catalog: re-read the version (the
    triggers raised it inside this transaction)."""
    watched = (Category, Team, Organization, Setting, User)
    if any(isinstance(o, watched) for o in (*session.new, *session.dirty, *session.deleted)):
        forget()
