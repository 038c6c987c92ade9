"""All or nothing: a failure while files are written, or after they are written but
before the commit, leaves no ticket, no message, no attachment row and no file — on local
disk and on S3 (every test here runs on both, via `storage_backend`)."""
import hashlib
import io

import pytest
from conftest import PDF_BYTES, PNG_BYTES, make_ticket, stored_keys
from sqlalchemy import event
from werkzeug.datastructures import FileStorage

from helpdesk.extensions import db
from helpdesk.models import Attachment, AuditEvent, Message, Ticket
from helpdesk.services import notifications
from helpdesk.services.files import attachments
from helpdesk.services.files.storage import CHUNK_SIZE
from helpdesk.services.tickets import conversation

pytestmark = pytest.mark.usefixtures("storage_backend")


class Boom(RuntimeError):
    pass


class DisconnectingStream(io.BytesIO):
    """A client that goes away after sending the first chunk of its file."""

    def read(self, size=-1):
        if self.tell() >= CHUNK_SIZE:
            raise Boom("connection reset")
        return super().read(size)


def files():
    return [FileStorage(io.BytesIO(PNG_BYTES), filename="photo.png"),
            FileStorage(io.BytesIO(PDF_BYTES), filename="receipt.pdf")]


def stored_files(app):
    return stored_keys(app)


def counts():
    return tuple(db.session.scalar(db.select(db.func.count()).select_from(model))
                 for model in (Ticket, Message, Attachment, AuditEvent))


def fail_on_second_save(monkeypatch):
    """The backend fails before it stores the second file (disk full, S3 refusing)."""
    store = attachments.storage()
    real_save = store.save
    calls = []

    def save(stream, *, max_bytes):
        calls.append(1)
        if len(calls) == 2:
            raise Boom("disk full")
        return real_save(stream, max_bytes=max_bytes)
    monkeypatch.setattr(store, "save", save)
    return files()


def fail_while_reading_second_file(monkeypatch):
    """The client disconnects in the middle of the second file, while it is being saved."""
    stream = DisconnectingStream(PDF_BYTES + b"\0" * (2 * CHUNK_SIZE))
    return [files()[0], FileStorage(stream, filename="receipt.pdf")]


def fail_before_commit(monkeypatch):
    def notify(*args, **kwargs):
        raise Boom("notification store down")
    monkeypatch.setattr(notifications, "notify", notify)
    return files()


FAILURES = [fail_on_second_save, fail_while_reading_second_file, fail_before_commit]


@pytest.mark.parametrize("inject", FAILURES)
def test_failed_ticket_creation_leaves_nothing_behind(app, customer, monkeypatch, inject):
    before = counts()
    with pytest.raises(Boom):
        make_ticket(customer, files=inject(monkeypatch))
    assert counts() == before
    assert stored_files(app) == set()
    monkeypatch.undo()
    assert make_ticket(customer).number == "TKT-000001"  # the number was given back


@pytest.mark.parametrize("inject", FAILURES)
def test_failed_reply_leaves_nothing_behind(app, customer, monkeypatch, inject):
    ticket = make_ticket(customer)
    before = counts()
    with pytest.raises(Boom):
        conversation.post_reply(ticket, customer, "Here are the photos",
                                files=inject(monkeypatch))
    assert counts() == before
    assert stored_files(app) == set()


def test_failed_commit_removes_the_files_written(app, customer, monkeypatch):
    def refuse_commit(session):
        raise Boom("commit refused")
    event.listen(db.session, "before_commit", refuse_commit)
    try:
        with pytest.raises(Boom):
            make_ticket(customer, files=files())
    finally:
        event.remove(db.session, "before_commit", refuse_commit)
    assert counts() == (0, 0, 0, 0)
    assert stored_files(app) == set()


def test_a_cleanup_that_fails_keeps_the_original_error_and_cleans_the_rest(
        app, customer, monkeypatch, storage_log):
    """Rolling back, the store cannot remove one file: the caller still sees what went
    wrong in the first place, the other file is removed, the stuck one is logged."""
    store = attachments.storage()
    real_delete = store.delete
    stuck = []

    def delete(key):
        if not stuck:
            stuck.append(key)
            raise ConnectionError("storage unreachable")
        real_delete(key)
    monkeypatch.setattr(store, "delete", delete)
    fail_before_commit(monkeypatch)
    with pytest.raises(Boom):
        make_ticket(customer, files=files())
    assert counts() == (0, 0, 0, 0)
    assert stored_files(app) == set(stuck)
    assert f"Could not remove stored file {stuck[0]}" in storage_log.text


def test_successful_creation_keeps_both_files_with_their_hashes(app, customer):
    ticket = make_ticket(customer, files=files())
    rows = db.session.scalars(db.select(Attachment).filter_by(ticket_id=ticket.id)
                              .order_by(Attachment.id)).all()
    assert [a.original_name for a in rows] == ["photo.png", "receipt.pdf"]
    assert rows[0].sha256 == hashlib.sha256(PNG_BYTES).hexdigest()
    assert stored_files(app) == {a.stored_name for a in rows}
    with attachments.storage().open(rows[1].stored_name) as stored:
        assert stored.read() == PDF_BYTES
