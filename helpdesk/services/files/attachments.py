"""Files on tickets and messages: check, store, serve — and never leave orphans.

A write that stores files runs inside a unit of work: if anything fails before the
commit, the rows roll back and every file written for them is deleted again.
"""
import logging
from collections.abc import Sequence
from typing import BinaryIO, Protocol

from flask import current_app
from sqlalchemy import select

from ... import permissions
from ...extensions import db
from ...models import Attachment, Message, Ticket, User
from ..errors import InvalidInput
from ..unit_of_work import after_commit, on_rollback
from .storage import Storage, StorageLimitExceeded, storage_from_config
from .uploads import UploadRejected, inspect_upload

HEAD_BYTES = 8192

log = logging.getLogger(__name__)


class Upload(Protocol):
    """What a view hands in: werkzeug's FileStorage fits."""
    filename: str | None
    stream: BinaryIO


def storage() -> Storage:
    """The configured backend (STORAGE_BACKEND), made once per app on first use: one S3
    client per process, created after a server's fork, shared by its threads."""
    extensions = current_app.extensions
    if "helpdesk_storage" not in extensions:
        extensions["helpdesk_storage"] = storage_from_config(current_app.config)
    return extensions["helpdesk_storage"]


def real_uploads(files: Sequence[Upload] | None) -> list[Upload]:
    """The files actually chosen: browsers send one empty part for an untouched file
    input, and a hand-made request may send text where a file belongs; neither is a
    file."""
    return [f for f in files or ()
            if isinstance(getattr(f, "filename", None), str) and f.filename
            and hasattr(f, "stream")]


def check_uploads(files: Sequence[Upload], *, already: int = 0) -> None:
    """Refuse the whole batch before anything is written (field: attachments).
    `already`: files kept from an earlier attempt, which count towards the limit."""
    limit = current_app.config["MAX_FILES"]
    if len(files) + already > limit:
        raise InvalidInput(f"Attach at most {limit} files at a time.", field="attachments")
    for upload in files:
        _inspect(upload)


def inspect_file(upload: Upload):
    """The checked upload (display name, content type from sniffed bytes and name), or
    InvalidInput (field: attachments)."""
    return _inspect(upload)


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
    """Write the files and their rows; call inside a unit of work after check_uploads.
    A file written here is deleted again if the unit rolls back."""
    store = storage()
    created = []
    for upload in files:
        checked = _inspect(upload)
        try:
            stored = store.save(upload.stream, max_bytes=current_app.config["MAX_FILE_BYTES"])
        except StorageLimitExceeded as error:
            raise InvalidInput(str(error), field="attachments") from error
        on_rollback(lambda key=stored.key: _remove(store, key))
        attachment = Attachment(
            ticket=ticket, message=message, uploader_id=uploader.id,
            original_name=checked.display_name, stored_name=stored.key,
            content_type=checked.content_type, size=stored.size, sha256=stored.sha256)
        db.session.add(attachment)
        created.append(attachment)
    return created


def visible_attachment(viewer: User, attachment_id: int) -> Attachment | None:
    """The attachment if this person may see the ticket and the message it belongs to
    (customers: the tickets visible to them, never internal notes)."""
    query = (select(Attachment).join(Ticket, Attachment.ticket_id == Ticket.id)
             .outerjoin(Message, Attachment.message_id == Message.id)
             .where(Attachment.id == attachment_id))
    if viewer.is_customer:
        query = query.where(permissions.customer_ticket_condition(viewer),
                            (Message.id.is_(None)) | (Message.is_internal.is_(False)))
    elif not viewer.is_staff:
        return None
    return db.session.scalar(query)


def delete_files_after_commit(keys: Sequence[str]) -> None:
    """Remove these files once the deletion of their rows has committed: a failed
    delete leaves every file in place. The rows are gone by then, so a file that cannot
    be removed (object store unreachable) is logged and skipped, not reported as a
    failure of the deletion that did happen."""
    def delete() -> None:
        store = storage()
        for key in keys:
            _remove(store, key)
    after_commit(delete)


def _remove(store: Storage, key: str) -> None:
    """Best effort: a file that cannot be removed is logged, and the next one is tried.
    (On rollback, the error that caused it is the one worth raising.)"""
    try:
        store.delete(key)
    except Exception:
        log.exception("Could not remove stored file %s; it is orphaned", key)
