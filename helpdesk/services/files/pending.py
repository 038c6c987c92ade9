"""Pending uploads: the files of a form that failed validation, kept for the person who
chose them, so that a typo in the subject does not cost them their photos.

- `keep_uploads` stores the acceptable files of a failed form (same checks as any
  upload) under random keys, bound to their owner, for PENDING_UPLOAD_HOURS.
- `kept_for` turns the ids a form sent back into that person's own, unexpired pending
  uploads: another person's id is simply not there (nobody attaches someone else's file
  by guessing its id).
- `attach_pending` makes them attachments of a ticket or message, in the caller's unit
  of work (the stored bytes move over; nothing is copied).
- `discard_pending` is the "(remove)" of one kept file; `expire_pending` is the worker's
  housekeeping: expired rows and their stored files go.
"""
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select

from ...extensions import db
from ...models import Attachment, Message, PendingUpload, Ticket, User, utcnow
from ..errors import InvalidInput
from ..ids import parse_id
from ..unit_of_work import on_rollback, unit_of_work
from .attachments import (
    Upload,
    delete_files_after_commit,
    inspect_file,
    real_uploads,
    storage,
)
from .storage import StorageLimitExceeded

EXPIRE_BATCH = 500


def _lifetime() -> timedelta:
    return timedelta(hours=float(current_app.config.get("PENDING_UPLOAD_HOURS", 6)))


def kept_for(owner: User, ids: Iterable) -> list[PendingUpload]:
    """The owner's unexpired pending uploads among `ids` (anything else is ignored)."""
    wanted = {i for i in (parse_id(v) for v in ids or ()) if i}
    if not wanted or not getattr(owner, "id", None):
        return []
    return list(db.session.scalars(
        select(PendingUpload).where(PendingUpload.id.in_(wanted),
                                    PendingUpload.owner_id == owner.id,
                                    PendingUpload.expires_at > utcnow())
        .order_by(PendingUpload.id)))


def keep_uploads(owner: User, files: Sequence[Upload], *,
                 already: Sequence[PendingUpload] = ()) -> list[PendingUpload]:
    """Store the acceptable files of a failed form for their owner; returns `already`
    plus the new ones. A file that fails the upload checks is not kept (its error is
    shown with the form); at most MAX_FILES are kept for one form."""
    limit = current_app.config["MAX_FILES"]
    kept = list(already)
    checked = []
    for upload in real_uploads(files):
        if len(kept) + len(checked) >= limit:
            break
        try:
            checked.append((upload, inspect_file(upload)))
        except InvalidInput:
            continue
    if not checked:
        return kept
    store = storage()
    now = utcnow()
    with unit_of_work():
        for upload, info in checked:
            try:
                stored = store.save(upload.stream,
                                    max_bytes=current_app.config["MAX_FILE_BYTES"])
            except StorageLimitExceeded:
                continue
            on_rollback(lambda key=stored.key: store.delete(key))
            row = PendingUpload(owner_id=owner.id, original_name=info.display_name,
                                storage_key=stored.key, size=stored.size,
                                content_type=info.content_type, sha256=stored.sha256,
                                created_at=now, expires_at=now + _lifetime())
            db.session.add(row)
            kept.append(row)
    return kept


def attach_pending(kept: Sequence[PendingUpload], *, owner: User, ticket: Ticket,
                   message: Message | None = None) -> list[Attachment]:
    """Make the owner's pending uploads attachments (inside the caller's unit of work).
    A row of someone else, or one already used, is refused."""
    created = []
    for row in kept:
        fresh = db.session.get(PendingUpload, row.id)
        if fresh is None or fresh.owner_id != owner.id:
            raise InvalidInput("A kept file is no longer available; choose it again.",
                               field="attachments")
        values = dict(original_name=fresh.original_name, stored_name=fresh.storage_key,
                      content_type=fresh.content_type, size=fresh.size, sha256=fresh.sha256)
        db.session.delete(fresh)
        db.session.flush()  # the key leaves pending_uploads before attachments takes it
        attachment = Attachment(ticket=ticket, message=message, uploader_id=owner.id,
                                **values)
        db.session.add(attachment)
        created.append(attachment)
    return created


def discard_pending(owner: User, pending_id) -> bool:
    """The owner removes one kept file (its bytes go after the commit)."""
    rows = kept_for(owner, [pending_id])
    if not rows:
        return False
    with unit_of_work():
        delete_files_after_commit([rows[0].storage_key])
        db.session.delete(rows[0])
    return True


def expire_pending(now: datetime | None = None) -> int:
    """Delete expired pending uploads and their stored files, in batches; returns how
    many went. Registered as a worker task (services/files/__init__.py)."""
    now = now or utcnow()
    removed = 0
    while True:
        with unit_of_work():
            batch = list(db.session.execute(
                select(PendingUpload.id, PendingUpload.storage_key)
                .where(PendingUpload.expires_at <= now)
                .order_by(PendingUpload.id).limit(EXPIRE_BATCH)))
            if batch:
                db.session.execute(delete(PendingUpload).where(
                    PendingUpload.id.in_([row.id for row in batch])))
                delete_files_after_commit([row.storage_key for row in batch])
        removed += len(batch)
        if len(batch) < EXPIRE_BATCH:
            return removed
