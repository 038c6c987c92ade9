"""`flask restore SRC`: put a backup (backup.py) into this instance.

1. Every checksum in the manifest is verified before anything is touched.
2. A target that holds people, tickets or files is refused unless `force`.
3. The files go into this instance's storage through the storage interface (local disk
   or object storage alike). Storage hands out new keys, so the restored attachment rows
   are pointed at them; each file's SHA-256 is checked again as it is stored.
4. The database: SQLite's backup API copies the (re-keyed) backup over the database
   file; on PostgreSQL `pg_restore --clean --single-transaction` replaces the schema's
   objects, then the keys are updated in one transaction.
5. The row counts are compared with the manifest's. With `force`, the files of the
   replaced data are deleted once the restore is complete.

Stop the web processes and workers first: nothing should write while a restore runs.
After it, `flask db upgrade` brings a backup of an older version up to this code's schema.
"""
import shutil
import sqlite3
import tempfile
from pathlib import Path

from sqlalchemy import bindparam, func, inspect, select

from ..extensions import db
from ..models import Attachment, Ticket, User
from ..services.files import attachments
from ..services.unit_of_work import unit_of_work
from .backup import BackupError, describe, libpq_url, run_pg_tool, verify_backup

# What makes an instance "not empty": rows a restore would silently throw away.
CONTENT_MODELS = (User, Ticket, Attachment)


def restore_backup(src: Path, *, force: bool = False) -> dict:
    """Restore `src` into this instance; returns {"manifest", "counts", "replaced_files"}."""
    src = Path(src)
    manifest = verify_backup(src)
    dialect = db.engine.dialect.name
    if manifest["database"]["dialect"] != dialect:
        raise BackupError(f"This backup holds a {manifest['database']['dialect']} database; "
                          f"this instance uses {dialect}. Restore it into a {dialect} "
                          f"database with the same kind of backup, or migrate the data.")
    old_keys = existing_content_keys(force=force)
    new_keys = copy_files_in(src, manifest["files"])
    try:
        if dialect == "sqlite":
            restore_sqlite(src / manifest["database"]["file"], new_keys)
        else:
            restore_postgresql(src / manifest["database"]["file"], new_keys)
    except BaseException:
        _delete_keys(new_keys.values())
        raise
    with db.engine.connect() as conn:
        found = describe(conn)
    if found["counts"] != manifest["counts"]:
        raise BackupError(f"The restored database does not hold what the manifest lists: "
                          f"{found['counts']} instead of {manifest['counts']}.")
    _delete_keys(key for key in old_keys if key not in set(new_keys.values()))
    return {"manifest": manifest, "counts": found["counts"], "replaced_files": len(old_keys)}


def existing_content_keys(*, force: bool) -> list[str]:
    """The storage keys this instance uses now; refuses (without `force`) if it holds
    any people, tickets or files."""
    tables = set(inspect(db.engine).get_table_names())
    if not all(model.__tablename__ in tables for model in CONTENT_MODELS):
        return []  # no schema yet: nothing to lose
    counts = {model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
              for model in CONTENT_MODELS}
    db.session.rollback()
    if any(counts.values()) and not force:
        held = ", ".join(f"{n} {name}" for name, n in counts.items() if n)
        raise BackupError(f"This instance is not empty ({held}). Restoring replaces all "
                          f"of it: use --force if that is what you want.")
    keys = list(db.session.scalars(select(Attachment.stored_name)))
    db.session.rollback()
    return keys


def copy_files_in(src: Path, files: list[dict]) -> dict[str, str]:
    """Store every backed-up file; {key in the backup: key in this storage}."""
    storage = attachments.storage()
    stored: dict[str, str] = {}
    try:
        for item in files:
            with open(src / item["path"], "rb") as stream:
                result = storage.save(stream, max_bytes=item["size"])
            stored[item["key"]] = result.key
            if (result.sha256, result.size) != (item["sha256"], item["size"]):
                raise BackupError(f"{item['path']} changed while it was being restored.")
    except BaseException:
        _delete_keys(stored.values())
        raise
    return stored


def restore_sqlite(backup_file: Path, new_keys: dict[str, str]) -> None:
    """Re-key a copy of the backup, then copy it over the database with the backup API
    (the target changes all at once or not at all)."""
    target = db.engine.url.database
    db.session.remove()
    db.engine.dispose()
    with tempfile.TemporaryDirectory() as work:
        staged = Path(work) / "restore.sqlite3"
        shutil.copyfile(backup_file, staged)
        source = sqlite3.connect(staged)
        try:
            with source:
                source.executemany("UPDATE attachments SET stored_name = ? "
                                   "WHERE stored_name = ?",
                                   [(new, old) for old, new in new_keys.items()])
            destination = sqlite3.connect(target)
            try:
                destination.execute("PRAGMA journal_mode=DELETE")  # page size may differ
                source.backup(destination)
            finally:
                destination.close()
        finally:
            source.close()


def restore_postgresql(dump_file: Path, new_keys: dict[str, str]) -> None:
    db.session.remove()
    db.engine.dispose()
    run_pg_tool("pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges",
                "--single-transaction", "--exit-on-error", "--dbname",
                libpq_url(db.engine.url), str(dump_file))
    if new_keys:
        table = Attachment.__table__
        with unit_of_work():
            db.session.execute(
                table.update().where(table.c.stored_name == bindparam("old"))
                .values(stored_name=bindparam("new")),
                [{"old": old, "new": new} for old, new in new_keys.items()])


def _delete_keys(keys) -> None:
    storage = attachments.storage()
    for key in keys:
        storage.delete(key)
