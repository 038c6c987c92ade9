"""`flask backup DEST`: the database and every attachment, with a manifest of checksums.

A backup is a folder:

    manifest.json          what is inside: versions, Alembic revision, row counts, and
                           for the database file and each attachment its size and SHA-256
    database.sqlite3       SQLite: a copy made with SQLite's online backup API
    database.pgdump        PostgreSQL: `pg_dump --format=custom`
    files/ab/ab12…         the attachments, under their storage keys

Database and file list are one consistent moment: on SQLite the list is read from the
copy; on PostgreSQL pg_dump runs on a snapshot exported by the transaction that reads the
list. Files come through the storage interface, so local disk and object storage back up
the same way; each file's bytes are checked against the SHA-256 its row recorded at
upload. manifest.json is written last: a folder without one is not a finished backup.
Restoring: restore.py.
"""
import hashlib
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import tempfile
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from flask import current_app
from sqlalchemy import Connection, create_engine, func, inspect, select
from sqlalchemy.engine import URL

from ..extensions import db
from ..models import Attachment
from ..services.files import attachments

FORMAT = "helpdesk-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
FILES = "files"
SQLITE_FILE = "database.sqlite3"
PGDUMP_FILE = "database.pgdump"
CHUNK = 1024 * 1024


class BackupError(Exception):
    """The backup or restore cannot go on; the message says why, for the operator."""


def create_backup(dest: Path) -> dict:
    """Write a backup of this instance into `dest` (new or empty); returns the manifest."""
    dest = Path(dest)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise BackupError(f"{dest} exists and is not an empty folder.")
    dest.mkdir(parents=True, exist_ok=True)
    dialect = db.engine.dialect.name
    if dialect == "sqlite":
        database, contents = _backup_sqlite(dest)
    elif dialect == "postgresql":
        database, contents = _backup_postgresql(dest)
    else:
        raise BackupError(f"Cannot back up a {dialect} database.")
    files = copy_files_out(contents.pop("files"), dest)
    manifest = {
        "format": FORMAT, "format_version": FORMAT_VERSION,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "versions": versions(),
        "database": database,
        "storage_backend": current_app.config.get("STORAGE_BACKEND") or "local",
        **contents,
        "files": files,
    }
    write_json_atomically(dest / MANIFEST, manifest)
    return manifest


# --- the database ------------------------------------------------------------------------

def _backup_sqlite(dest: Path) -> tuple[dict, dict]:
    source_path = db.engine.url.database
    target = dest / SQLITE_FILE
    source = sqlite3.connect(source_path)
    try:
        copy = sqlite3.connect(target)
        with copy:
            source.backup(copy)  # one consistent copy, while others keep writing
        copy.close()
    finally:
        source.close()
    engine = create_engine(f"sqlite:///{target}")
    try:
        with engine.connect() as conn:
            contents = describe(conn)
            server = conn.exec_driver_sql("select sqlite_version()").scalar()
    finally:
        engine.dispose()
    return {"dialect": "sqlite", "file": SQLITE_FILE, "server_version": server,
            **checksum(target)}, contents


def _backup_postgresql(dest: Path) -> tuple[dict, dict]:
    target = dest / PGDUMP_FILE
    with db.engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            snapshot = conn.exec_driver_sql("select pg_export_snapshot()").scalar()
            server = conn.exec_driver_sql("show server_version").scalar()
            # pg_dump sees exactly what this transaction sees, as long as it stays open.
            run_pg_tool("pg_dump", "--format=custom", "--no-owner", "--no-privileges",
                        f"--snapshot={snapshot}", f"--file={target}", "--dbname",
                        libpq_url(db.engine.url))
            contents = describe(conn)
    return {"dialect": "postgresql", "file": PGDUMP_FILE, "server_version": server,
            "dump_tool": tool_version("pg_dump"), **checksum(target)}, contents


def describe(conn: Connection) -> dict:
    """Alembic revision, rows per table and the files the database refers to."""
    tables = set(inspect(conn).get_table_names())
    revision = (conn.exec_driver_sql("select version_num from alembic_version").scalar()
                if "alembic_version" in tables else None)
    counts = {table.name: conn.execute(select(func.count()).select_from(table)).scalar()
              for table in db.metadata.sorted_tables if table.name in tables}
    files = conn.execute(select(Attachment.stored_name, Attachment.size, Attachment.sha256)
                         .order_by(Attachment.id)).all()
    return {"alembic_revision": revision, "counts": counts,
            "files": [{"key": key, "size": size, "sha256": sha} for key, size, sha in files]}


def libpq_url(url: URL) -> str:
    """The database URL for pg_dump/pg_restore; the password goes in PGPASSWORD instead
    (command lines are visible to every user of the machine)."""
    return url.set(drivername="postgresql", password=None).render_as_string(
        hide_password=False)


def run_pg_tool(tool: str, *args: str) -> None:
    executable = shutil.which(tool)
    if executable is None:
        raise BackupError(f"{tool} is not installed (PostgreSQL client tools, the same "
                          f"major version as the server).")
    env = dict(os.environ)
    if db.engine.url.password:
        env["PGPASSWORD"] = db.engine.url.password
    result = subprocess.run([executable, *args], env=env, capture_output=True,  # noqa: S603
                            text=True)  # (our own arguments, no shell)
    if result.returncode != 0:
        raise BackupError(f"{tool} failed: {result.stderr.strip()}")


def tool_version(tool: str) -> str | None:
    executable = shutil.which(tool)
    if executable is None:
        return None
    return subprocess.run([executable, "--version"], capture_output=True,  # noqa: S603
                          text=True).stdout.strip()


# --- the files ---------------------------------------------------------------------------

def copy_files_out(files: list[dict], dest: Path) -> list[dict]:
    """Copy each file from storage into dest/files/<key>, checking it against its row."""
    storage = attachments.storage()
    copied = []
    for item in files:
        path = Path(FILES) / item["key"]
        (dest / path).parent.mkdir(parents=True, exist_ok=True)
        try:
            with storage.open(item["key"]) as source, open(dest / path, "wb") as out:
                digest, size = copy_hashing(source, out)
        except FileNotFoundError as error:
            raise BackupError(f"Attachment file {item['key']} is missing from storage.") \
                from error
        if (digest, size) != (item["sha256"], item["size"]):
            raise BackupError(f"Attachment file {item['key']} does not match its checksum "
                              f"(damaged in storage?).")
        copied.append({**item, "path": path.as_posix()})
    return copied


def copy_hashing(source, out) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    while chunk := source.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
        out.write(chunk)
    return digest.hexdigest(), size


def checksum(path: Path) -> dict:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(CHUNK):
            digest.update(chunk)
    return {"sha256": digest.hexdigest(), "size": path.stat().st_size}


# --- the manifest ------------------------------------------------------------------------

def versions() -> dict:
    def version(package: str) -> str | None:
        try:
            return metadata.version(package)
        except metadata.PackageNotFoundError:
            return None
    return {"helpdesk": version("helpdesk"), "python": platform.python_version(),
            "sqlalchemy": version("SQLAlchemy"), "alembic": version("alembic")}


def write_json_atomically(path: Path, data: dict) -> None:
    with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False,
                                     suffix=".tmp") as out:
        json.dump(data, out, indent=2, sort_keys=True)
        out.write("\n")
        out.flush()
        os.fsync(out.fileno())
    os.replace(out.name, path)


def read_manifest(src: Path) -> dict:
    try:
        manifest = json.loads((Path(src) / MANIFEST).read_text())
    except FileNotFoundError as error:
        raise BackupError(f"{src} has no {MANIFEST}: not a finished Helpdesk backup.") \
            from error
    except ValueError as error:
        raise BackupError(f"{src}/{MANIFEST} is not valid JSON.") from error
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{src} is not a Helpdesk backup.")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(f"{src} is backup format {manifest.get('format_version')}; this "
                          f"version reads format {FORMAT_VERSION}.")
    return manifest


def verify_backup(src: Path) -> dict:
    """The manifest, once every file in the backup matches its size and checksum."""
    src = Path(src)
    manifest = read_manifest(src)
    wanted = [(manifest["database"]["file"], manifest["database"])]
    wanted += [(item["path"], item) for item in manifest["files"]]
    for relative, expected in wanted:
        path = (src / relative).resolve()
        if not path.is_relative_to(src.resolve()):
            raise BackupError(f"The manifest names a file outside the backup: {relative}")
        try:
            found = checksum(path)
        except FileNotFoundError as error:
            raise BackupError(f"{relative} is missing from the backup.") from error
        if (found["sha256"], found["size"]) != (expected["sha256"], expected["size"]):
            raise BackupError(f"{relative} does not match its checksum: the backup is "
                              f"damaged.")
    return manifest
