"""Files on tickets and messages: check, store, serve — and never leave orphans.

A write that stores files runs inside `transaction()`: if anything fails before the
commit, the rows roll back and every file written for them is deleted again.
"""
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import BinaryIO, Protocol

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..models import Attachment, Message, Ticket, User
from .errors import InvalidInput
from .storage import LocalStorage, StorageLimitExceeded
from .uploads import UploadRejected, inspect_upload

STAGED = "helpdesk_staged_files"
HEAD_BYTES = 8192


class Upload(Protocol):
    """What a view hands in: werkzeug's FileStorage fits."""
    filename: str | None
    stream: BinaryIO


def storage() -> LocalStorage:
    return LocalStorage(current_app.config["UPLOAD_FOLDER"])


@contextmanager
def transaction() -> Iterator[None]:
    """Commit at the end; on any failure roll back and delete the files written."""
    try:
        yield
        db.session.commit()
    except BaseException:
        db.session.rollback()
        discard_staged_files()
        raise
    db.session.info.pop(STAGED, None)


def discard_staged_files() -> None:
    store = storage()
    for key in db.session.info.pop(STAGED, []):
        store.delete(key)


def real_uploads(files: Sequence[Upload] | None) -> list[Upload]:
    """Browsers send one empty part for an untouched file input; ignore it."""
    return [f for f in files or () if f is not None and (f.filename or "") != ""]


def check_uploads(files: Sequence[Upload]) -> None:
    """Refuse the whole batch before anything is written (field: attachments)."""
    limit = current_app.config["MAX_FILES"]
    if len(files) > limit:
        raise InvalidInput(f"Attach at most {limit} files at a time.", field="attachments")
    for upload in files:
        _inspect(upload)


def _inspect(upload: Upload):
    stream = upload.stream
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(0)
    head = stream.read(HEAD_BYTES)
    stream.seek(0)
    try:
        return inspect_upload(upload.filename or "", head, size,
                              max_bytes=current_app.config["MAX_FILE_BYTES"])
    except UploadRejected as error:
        raise InvalidInput(str(error), field="attachments") from error


def store_uploads(files: Sequence[Upload], *, ticket: Ticket, uploader: User,
                  message: Message | None = None) -> list[Attachment]:
    """Write the files and their rows; call inside `transaction()` after check_uploads."""
    store = storage()
    staged = db.session.info.setdefault(STAGED, [])
    created = []
    for upload in files:
        checked = _inspect(upload)
        try:
            stored = store.save(upload.stream, max_bytes=current_app.config["MAX_FILE_BYTES"])
        except StorageLimitExceeded as error:
            raise InvalidInput(str(error), field="attachments") from error
        staged.append(stored.key)
        attachment = Attachment(
            ticket=ticket, message=message, uploader_id=uploader.id,
            original_name=checked.display_name, stored_name=stored.key,
            content_type=checked.content_type, size=stored.size, sha256=stored.sha256)
        db.session.add(attachment)
        created.append(attachment)
    return created


def visible_attachment(viewer: User, attachment_id: int) -> Attachment | None:
    """The attachment if this person may see the ticket and the message it belongs to
    (customers: their own tickets, never internal notes)."""
    query = (select(Attachment).join(Ticket, Attachment.ticket_id == Ticket.id)
             .outerjoin(Message, Attachment.message_id == Message.id)
             .where(Attachment.id == attachment_id))
    if viewer.is_customer:
        query = query.where(Ticket.requester_id == viewer.id,
                            (Message.id.is_(None)) | (Message.is_internal.is_(False)))
    elif not viewer.is_staff:
        return None
    return db.session.scalar(query)


def delete_files(keys: Sequence[str]) -> None:
    """After a ticket's rows are deleted and committed, remove its files."""
    store = storage()
    for key in keys:
        store.delete(key)
