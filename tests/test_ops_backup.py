"""`flask backup` and `flask restore`: a round trip gives the same tickets, messages and
downloadable files, on SQLite and (with HELPDESK_TEST_DATABASE_URL) PostgreSQL, with files
on local disk and in S3 (moto server), and from one to the other.

Each instance here is built like a real one: its own database (a SQLite file, or a
throw-away PostgreSQL database on the test server) brought up with `flask db upgrade`,
and its own upload folder.
"""
import io
import json
import uuid
from pathlib import Path

import pytest
from conftest import (
    PASSWORD,
    PDF_BYTES,
    PG_SERVER_URL,
    PNG_BYTES,
    _pg_admin,
    make_config,
    s3_client,
    s3_config,
    stored_keys,
)
from sqlalchemy import select
from sqlalchemy.engine import make_url
from werkzeug.datastructures import FileStorage

from helpdesk import create_app
from helpdesk.extensions import db
from helpdesk.models import Attachment, Message, Role, Ticket, User
from helpdesk.ops.backup import MANIFEST
from helpdesk.services.catalog.defaults import install_defaults
from helpdesk.services.people import accounts
from helpdesk.services.tickets import assignment, conversation, opening


class Instances:
    """Makes complete, migrated instances and removes them afterwards."""

    def __init__(self, root: Path, monkeypatch):
        self.root, self.monkeypatch = root, monkeypatch
        self.apps, self.pg_databases = [], []

    def make(self, name: str, **overrides):
        folder = self.root / name
        self.monkeypatch.setenv("HELPDESK_INSTANCE_PATH", str(folder / "instance"))
        app = create_app(make_config(folder, self._database_url(name, folder),
                                     UPLOAD_FOLDER=str(folder / "uploads"), **overrides))
        result = app.test_cli_runner().invoke(args=["db", "upgrade"])
        assert result.exit_code == 0, result.output
        self.apps.append(app)
        return app

    def _database_url(self, name: str, folder: Path) -> str:
        if not PG_SERVER_URL:
            folder.mkdir(parents=True, exist_ok=True)
            return f"sqlite:///{folder / f'{name}.db'}"
        database = f"helpdesk_bk_{uuid.uuid4().hex[:10]}"
        with _pg_admin(PG_SERVER_URL) as conn:
            conn.execute(f'CREATE DATABASE "{database}"')
        self.pg_databases.append(database)
        url = make_url(PG_SERVER_URL).set(drivername="postgresql+psycopg", database=database)
        return url.render_as_string(hide_password=False)

    def close(self):
        for app in self.apps:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
        for database in self.pg_databases:
            with _pg_admin(PG_SERVER_URL) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


@pytest.fixture
def instances(tmp_path, monkeypatch):
    made = Instances(tmp_path, monkeypatch)
    yield made
    made.close()


@pytest.fixture
def storage(request):
    """storage("s3") -> the settings of a new bucket of its own; storage("local") -> {}."""
    buckets = []

    def make(backend: str) -> dict:
        if backend == "local":
            return {}
        endpoint = request.getfixturevalue("s3_endpoint")
        name = f"helpdesk-backup-{uuid.uuid4().hex[:10]}"
        s3_client(endpoint).create_bucket(Bucket=name)
        buckets.append((endpoint, name))
        return s3_config(endpoint, name)

    yield make
    for endpoint, name in buckets:
        client = s3_client(endpoint)
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=name):
            for item in page.get("Contents", []):
                client.delete_object(Bucket=name, Key=item["Key"])
        client.delete_bucket(Bucket=name)


BACKENDS = pytest.mark.parametrize(("source_storage", "target_storage"), [
    ("local", "local"), ("s3", "s3"), ("local", "s3")])


def upload(name: str, content: bytes) -> FileStorage:
    return FileStorage(stream=io.BytesIO(content), filename=name)


def fill(app) -> dict:
    """People, tickets, replies, a note and files; returns what a restore must give back."""
    with app.app_context():
        install_defaults()
        users = {}
        for role, email in ((Role.CUSTOMER, "carla@example.com"),
                            (Role.AGENT, "agnes@example.com")):
            user = User(email=email, name=email.split("@")[0].title(), role=role,
                        agent_status="approved" if role == Role.AGENT else None,
                        password_hash=accounts.hash_password(PASSWORD))
            db.session.add(user)
            db.session.commit()
            users[role] = user
        customer, agent = users[Role.CUSTOMER], users[Role.AGENT]
        first = opening.create_ticket(requester=customer, created_by=customer,
                                      subject="Parcel arrived damaged",
                                      description="The box was crushed.",
                                      files=[upload("photo.png", PNG_BYTES)])
        conversation.post_reply(first, customer, "Here is the invoice too.",
                                files=[upload("invoice.pdf", PDF_BYTES)])
        conversation.post_reply(first, agent, "Courier says: dropped.", internal=True,
                                files=[upload("courier.pdf", PDF_BYTES + b"%note")])
        assignment.take_ticket(first, agent)
        conversation.post_reply(first, agent, "We are sending a new one.")
        opening.create_ticket(requester=customer, created_by=customer, subject="Wrong size",
                              description="I ordered M, got L.")
        return snapshot()


def snapshot() -> dict:
    """The content that must survive a round trip (no storage keys: those change)."""
    return {
        "tickets": [(t.number, t.subject, t.status, t.requester.email) for t in
                    db.session.scalars(select(Ticket).order_by(Ticket.id))],
        "messages": [(m.ticket.number, m.author.email, m.body, m.is_internal) for m in
                     db.session.scalars(select(Message).order_by(Message.id))],
        "files": [(a.id, a.ticket.number, a.original_name, a.size, a.sha256) for a in
                  db.session.scalars(select(Attachment).order_by(Attachment.id))],
    }


def download_all(app, content: dict) -> dict[str, bytes]:
    """Sign in as the customer and the agent and download every file they may see."""
    seen = {}
    for email in ("carla@example.com", "agnes@example.com"):
        client = app.test_client()
        response = client.post("/auth/login", data={"email": email, "password": PASSWORD})
        assert response.status_code == 302
        for attachment_id, _number, name, _size, _sha in content["files"]:
            with client.get(f"/files/{attachment_id}") as response:
                if response.status_code == 200:
                    seen[f"{email}:{name}"] = response.get_data()
    return seen


def invoke(app, *args):
    with app.app_context():
        return app.test_cli_runner().invoke(args=list(args))


@BACKENDS
def test_round_trip_gives_the_same_tickets_messages_and_downloadable_files(
        instances, storage, tmp_path, source_storage, target_storage):
    source = instances.make("source", **storage(source_storage))
    content = fill(source)
    downloads = download_all(source, content)
    assert "carla@example.com:courier.pdf" not in downloads  # an internal note's file
    assert len(downloads) == 5

    result = invoke(source, "backup", str(tmp_path / "backup"))
    assert result.exit_code == 0, result.output
    assert "Backed up 2 tickets, 3 messages and 3 files" in result.output

    target = instances.make("target", **storage(target_storage))
    result = invoke(target, "restore", str(tmp_path / "backup"))
    assert result.exit_code == 0, result.output
    assert "Restored 2 tickets, 3 messages and 3 files" in result.output
    with target.app_context():
        assert snapshot() == content
        keys = set(db.session.scalars(select(Attachment.stored_name)))
    assert download_all(target, content) == downloads
    assert stored_keys(target) == keys  # every file in the target's storage, nothing else
    # the restored instance works on: a new ticket gets the next number
    with target.app_context():
        customer = db.session.scalar(select(User).where(User.email == "carla@example.com"))
        third = opening.create_ticket(requester=customer, created_by=customer,
                                      subject="Third", description="More.",
                                      files=[upload("more.png", PNG_BYTES)])
        assert third.number not in [number for number, *_ in content["tickets"]]


def test_the_manifest_lists_versions_revision_counts_and_checksums(instances, tmp_path):
    source = instances.make("source")
    fill(source)
    assert invoke(source, "backup", str(tmp_path / "backup")).exit_code == 0
    manifest = json.loads((tmp_path / "backup" / MANIFEST).read_text())
    with source.app_context():
        head = db.session.execute(db.text("select version_num from alembic_version")).scalar()
        dialect = db.engine.dialect.name
        stored = {a.stored_name: a.sha256 for a in db.session.scalars(select(Attachment))}
    assert manifest["format"] == "helpdesk-backup"
    assert manifest["alembic_revision"] == head
    assert manifest["database"]["dialect"] == dialect
    assert manifest["database"]["file"] in ("database.sqlite3", "database.pgdump")
    assert manifest["versions"]["helpdesk"]
    assert manifest["counts"]["tickets"] == 2
    assert manifest["counts"]["messages"] == 3
    assert manifest["counts"]["attachments"] == 3
    assert {f["key"]: f["sha256"] for f in manifest["files"]} == stored
    for item in manifest["files"]:
        assert (tmp_path / "backup" / item["path"]).stat().st_size == item["size"]
    if dialect == "postgresql":
        assert manifest["database"]["dump_tool"].startswith("pg_dump (PostgreSQL)")


@pytest.mark.parametrize("backend", ["local", "s3"])
def test_restore_refuses_a_non_empty_instance_unless_forced(instances, storage, tmp_path,
                                                            backend):
    source = instances.make("source", **storage(backend))
    content = fill(source)
    assert invoke(source, "backup", str(tmp_path / "backup")).exit_code == 0

    target = instances.make("target", **storage(backend))
    fill(target)  # other data under the same e-mail addresses
    with target.app_context():
        customer = db.session.scalar(select(User).where(User.email == "carla@example.com"))
        opening.create_ticket(requester=customer, created_by=customer, subject="Only here",
                              description="Not in the backup.",
                              files=[upload("local.png", PNG_BYTES)])
        before = snapshot()
        old_keys = set(db.session.scalars(select(Attachment.stored_name)))
    result = invoke(target, "restore", str(tmp_path / "backup"))
    assert result.exit_code == 1
    assert "not empty" in result.output and "--force" in result.output
    with target.app_context():
        assert snapshot() == before

    result = invoke(target, "restore", "--force", str(tmp_path / "backup"))
    assert result.exit_code == 0, result.output
    with target.app_context():
        assert snapshot() == content
        keys = set(db.session.scalars(select(Attachment.stored_name)))
    assert stored_keys(target) == keys  # the replaced instance's files are gone, no orphans
    assert not (old_keys & keys)


def test_restore_refuses_a_damaged_backup_before_touching_anything(instances, tmp_path):
    source = instances.make("source")
    fill(source)
    assert invoke(source, "backup", str(tmp_path / "backup")).exit_code == 0
    manifest = json.loads((tmp_path / "backup" / MANIFEST).read_text())
    damaged = tmp_path / "backup" / manifest["files"][1]["path"]
    damaged.write_bytes(damaged.read_bytes()[:-1] + b"X")

    target = instances.make("target")
    result = invoke(target, "restore", str(tmp_path / "backup"))
    assert result.exit_code == 1
    assert "does not match its checksum" in result.output
    with target.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(User)) == 0
    assert not list(Path(target.config["UPLOAD_FOLDER"]).glob("??/*"))


def test_backup_refuses_a_file_that_changed_in_storage(instances, tmp_path):
    source = instances.make("source")
    fill(source)
    with source.app_context():
        key = db.session.scalars(select(Attachment.stored_name)).first()
    (Path(source.config["UPLOAD_FOLDER"]) / key).write_bytes(b"not the uploaded bytes")
    result = invoke(source, "backup", str(tmp_path / "backup"))
    assert result.exit_code == 1
    assert f"{key} does not match its checksum" in result.output
    assert not (tmp_path / "backup" / MANIFEST).exists()


def test_backup_wants_a_new_or_empty_folder_and_restore_a_finished_backup(instances,
                                                                         tmp_path):
    source = instances.make("source")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "something").write_text("x")
    result = invoke(source, "backup", str(tmp_path / "full"))
    assert result.exit_code == 1
    assert "not an empty folder" in result.output

    (tmp_path / "unfinished").mkdir()
    result = invoke(source, "restore", str(tmp_path / "unfinished"))
    assert result.exit_code == 1
    assert "no manifest.json" in result.output


def test_an_empty_instance_backs_up_and_restores(instances, tmp_path):
    source = instances.make("source")
    assert invoke(source, "backup", str(tmp_path / "backup")).exit_code == 0
    target = instances.make("target")
    result = invoke(target, "restore", str(tmp_path / "backup"))
    assert result.exit_code == 0, result.output
    assert "Restored 0 tickets, 0 messages and 0 files" in result.output
