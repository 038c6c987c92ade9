"""Fixtures: an app with a fresh database per test (SQLite file by default,
PostgreSQL when HELPDESK_TEST_DATABASE_URL is set), real files under tmp_path, and a real
S3 API (moto in server mode, on a loopback port) for tests run on both storage backends."""
import functools
import io
import itertools
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import boto3
import psycopg
import pytest
from flask import g
from mailservers import (  # noqa: F401  (fixtures and the skip warning, see mailservers.py)
    dovecot_server,
    imap_server,
    pytest_terminal_summary,
    smtp_server,
)
from mailtools import smtp  # noqa: F401  (fixture: the app sends to smtp_server)
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
        # Admins' second factor is tested where it is the subject (test_two_factor.py).
        "REQUIRE_ADMIN_2FA": False,
    }
    config.update(overrides)
    return config


@pytest.fixture
def app_config(tmp_path, pg_database):
    """Tests may change this mapping before `app` is first used."""
    return make_config(tmp_path, pg_database)


@pytest.fixture
def app(request, tmp_path, pg_database, app_config, monkeypatch):
    global _pg_schema_ready
    if "storage_backend" in request.fixturenames:
        request.getfixturevalue("storage_backend")  # it edits app_config: first
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


# --- storage backends: local disk and S3 (moto server) -------------------------------------

S3_PREFIX = "attachments"
S3_TEST_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing",
                   "region_name": "us-east-1"}


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory):
    """moto's S3 server in its own process for the whole run; yields its URL."""
    with socket.socket() as sock:  # a free loopback port
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log = tmp_path_factory.mktemp("moto") / "server.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_for_port(server, port, log)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=30)


def _wait_for_port(server, port: int, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"moto server exited: {log.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"moto server did not listen on port {port}: {log.read_text()}")


@functools.cache
def s3_client(endpoint: str):
    """The tests' own view of the bucket, independent of the app's storage code."""
    return boto3.session.Session(**S3_TEST_CREDENTIALS).client("s3", endpoint_url=endpoint)


@pytest.fixture
def s3_bucket(s3_endpoint):
    """A fresh, empty bucket for one test; emptied and removed afterwards."""
    client = s3_client(s3_endpoint)
    name = f"helpdesk-test-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=name)
    yield name
    for key in bucket_keys(client, name):
        client.delete_object(Bucket=name, Key=key)
    client.delete_bucket(Bucket=name)


def bucket_keys(client, bucket: str) -> list[str]:
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return [obj["Key"] for page in pages for obj in page.get("Contents", [])]


def s3_config(endpoint: str, bucket: str) -> dict:
    return {"STORAGE_BACKEND": "s3", "S3_ENDPOINT_URL": endpoint, "S3_BUCKET": bucket,
            "S3_PREFIX": S3_PREFIX, "S3_REGION": S3_TEST_CREDENTIALS["region_name"],
            "S3_ACCESS_KEY_ID": S3_TEST_CREDENTIALS["aws_access_key_id"],
            "S3_SECRET_ACCESS_KEY": S3_TEST_CREDENTIALS["aws_secret_access_key"]}


@pytest.fixture(params=["local", "s3"])
def storage_backend(request, app_config):
    """Runs a test once on local disk and once on S3 (moto): configures the app."""
    if request.param == "s3":
        app_config.update(s3_config(request.getfixturevalue("s3_endpoint"),
                                    request.getfixturevalue("s3_bucket")))
    return request.param


def stored_keys(app) -> set[str]:
    """Everything in the app's storage, read directly (not through the app's storage
    code): keys under the root or prefix; temporary files and stray objects included."""
    config = app.config
    if config["STORAGE_BACKEND"] == "s3":
        keys = bucket_keys(s3_client(config["S3_ENDPOINT_URL"]), config["S3_BUCKET"])
        return {key.removeprefix(S3_PREFIX + "/") for key in keys}
    root = Path(config["UPLOAD_FOLDER"])
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def storage_log(caplog, monkeypatch):
    """caplog, with the attachment service's logger switched back on: the migration
    tests run Alembic's fileConfig, which disables every logger that existed before."""
    from helpdesk.services.files import attachments
    monkeypatch.setattr(attachments.log, "disabled", False)
    return caplog


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
