"""Fixtures: an app with a fresh database per test (SQLite file by default,
PostgreSQL when HELPDESK_TEST_DATABASE_URL is set), real files under tmp_path."""
import io
import itertools
import os
import uuid

import psycopg
import pytest
from flask import g
from mailservers import (  # noqa: F401  (fixtures and the skip warning, see mailservers.py)
    dovecot_server,
    imap_server,
    pytest_terminal_summary,
    smtp_server,
)
from sqlalchemy import text
from sqlalchemy.engine import make_url

from helpdesk import create_app
from helpdesk.extensions import db
from helpdesk.models import AgentStatus, Role, User
from helpdesk.services.catalog.defaults import install_defaults
from helpdesk.services.people import accounts
from helpdesk.services.tickets import opening

PASSWORD = "password123"
PG_SERVER_URL = os.environ.get("HELPDESK_TEST_DATABASE_URL")


def _pg_admin(url: str):
    """A psycopg connection to the server's maintenance database (autocommit)."""
    server = make_url(url).set(drivername="postgresql", database="postgres")
    return psycopg.connect(server.render_as_string(hide_password=False), autocommit=True)


@pytest.fixture(scope="session")
def pg_database():
    """One throwaway PostgreSQL database for the whole run, dropped at the end."""
    if not PG_SERVER_URL:
        yield None
        return
    name = f"helpdesk_test_{uuid.uuid4().hex[:10]}"
    with _pg_admin(PG_SERVER_URL) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(PG_SERVER_URL).set(drivername="postgresql+psycopg", database=name)
    yield url.render_as_string(hide_password=False)
    with _pg_admin(PG_SERVER_URL) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


_pg_schema_ready = False


def make_config(tmp_path, pg_database, **overrides) -> dict:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "WTF_CSRF_ENABLED": False,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "RATELIMIT_ENABLED": False,
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        "DATABASE_URL": pg_database or f"sqlite:///{tmp_path / 'test.db'}",
        "MAIL_HOST": None,
    }
    config.update(overrides)
    return config


@pytest.fixture
def app_config(tmp_path, pg_database):
    """Tests may change this mapping before `app` is first used."""
    return make_config(tmp_path, pg_database)


@pytest.fixture
def app(tmp_path, pg_database, app_config, monkeypatch):
    global _pg_schema_ready
    monkeypatch.setenv("HELPDESK_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app(app_config)

    @app.before_request
    def forget_cached_user():
        # Requests reuse this fixture's app context (and its `g`); without this,
        # Flask-Login's cached user would leak from one test client to another.
        g.pop("_login_user", None)

    with app.app_context():
        if pg_database is None:
            db.create_all()
        elif not _pg_schema_ready:
            db.drop_all()
            db.create_all()
            _pg_schema_ready = True
        install_defaults()
        yield app
        db.session.remove()
        if pg_database is None:
            db.engine.dispose()
        else:
            tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            with db.engine.begin() as conn:
                conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


_counter = itertools.count(1)


def make_user(role=Role.CUSTOMER, *, email=None, name=None, agent_status=None,
              active=True) -> User:
    n = next(_counter)
    if role == Role.AGENT and agent_status is None:
        agent_status = AgentStatus.APPROVED
    user = User(email=email or f"{role}{n}@test.example", name=name or f"{role.title()} {n}",
                role=role, agent_status=agent_status, active=active,
                password_hash=accounts.hash_password(PASSWORD))
    db.session.add(user)
    db.session.commit()
    return user


@pytest.fixture
def customer(app):
    return make_user(Role.CUSTOMER, name="Carla Customer")


@pytest.fixture
def other_customer(app):
    return make_user(Role.CUSTOMER, name="Otto Other")


@pytest.fixture
def agent(app):
    return make_user(Role.AGENT, name="Agnes Agent")


@pytest.fixture
def other_agent(app):
    return make_user(Role.AGENT, name="Oscar Agent")


@pytest.fixture
def pending_agent(app):
    return make_user(Role.AGENT, agent_status=AgentStatus.PENDING, name="Pat Pending")


@pytest.fixture
def admin(app):
    return make_user(Role.ADMIN, name="Ada Admin")


def make_ticket(requester, *, subject="Parcel arrived damaged", files=(), **fields):
    return opening.create_ticket(requester=requester, created_by=requester, subject=subject,
                                 description=fields.pop("description", "The box was crushed."),
                                 files=files, **fields)


@pytest.fixture
def ticket(customer):
    return make_ticket(customer)


def login(client, user, password=PASSWORD):
    response = client.post("/auth/login", data={"email": user.email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


def upload(name: str, content: bytes):
    """A file part for the test client: (stream, filename)."""
    return (io.BytesIO(content), name)


PNG_BYTES = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06"
             b"\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01"
             b"\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
