"""All or nothing: a failure while files are written, or after they are written but
before the commit, leaves no ticket, no message, no attachment row and no file."""
import hashlib
import io
import pathlib

import pytest
from conftest import PDF_BYTES, PNG_BYTES, make_ticket
from sqlalchemy import event
from werkzeug.datastructures import FileStorage

from helpdesk.extensions import db
from helpdesk.models import Attachment, AuditEvent, Message, Ticket
from helpdesk.services import notifications
from helpdesk.services.files.storage import LocalStorage
from helpdesk.services.tickets import conversation


class Boom(RuntimeError):
    pass


def files():
    return [FileStorage(io.BytesIO(PNG_BYTES), filename="photo.png"),
            FileStorage(io.BytesIO(PDF_BYTES), filename="receipt.pdf")]


def stored_files(app):
    root = app.config["UPLOAD_FOLDER"]
    return [p for p in pathlib.Path(root).rglob("*") if p.is_file()]


def counts():
    return tuple(db.session.scalar(db.select(db.func.count()).select_from(model))
                 for model in (Ticket, Message, Attachment, AuditEvent))


def fail_on_second_save(monkeypatch):
    real_save = LocalStorage.save
    calls = []

    def save(self, stream, *, max_bytes):
        calls.append(1)
        if len(calls) == 2:
            raise Boom("disk full")
        return real_save(self, stream, max_bytes=max_bytes)
    monkeypatch.setattr(LocalStorage, "save", save)


def fail_before_commit(monkeypatch):
    def notify(*args, **kwargs):
        raise Boom("notification store down")
    monkeypatch.setattr(notifications, "notify", notify)


@pytest.mark.parametrize("inject", [fail_on_second_save, fail_before_commit])
def test_failed_ticket_creation_leaves_nothing_behind(app, customer, monkeypatch, inject):
    before = counts()
    inject(monkeypatch)
    with pytest.raises(Boom):
        make_ticket(customer, files=files())
    assert counts() == before
    assert stored_files(app) == []
    monkeypatch.undo()
    assert make_ticket(customer).number == "TKT-000001"  # the number was given back


@pytest.mark.parametrize("inject", [fail_on_second_save, fail_before_commit])
def test_failed_reply_leaves_nothing_behind(app, customer, monkeypatch, inject):
    ticket = make_ticket(customer)
    before = counts()
    inject(monkeypatch)
    with pytest.raises(Boom):
        conversation.post_reply(ticket, customer, "Here are the photos", files=files())
    assert counts() == before
    assert stored_files(app) == []


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
    assert stored_files(app) == []


def test_successful_creation_keeps_both_files_with_their_hashes(app, customer):
    ticket = make_ticket(customer, files=files())
    attachments = db.session.scalars(db.select(Attachment).filter_by(ticket_id=ticket.id)
                                     .order_by(Attachment.id)).all()
    assert [a.original_name for a in attachments] == ["photo.png", "receipt.pdf"]
    assert attachments[0].sha256 == hashlib.sha256(PNG_BYTES).hexdigest()
    assert len(stored_files(app)) == 2
