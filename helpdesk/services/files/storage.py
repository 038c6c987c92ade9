"""Where attachment bytes live. Local disk by default; the interface is small on purpose.

Files are stored under random keys (``ab/ab12…``), never under the uploader's name, so a
name cannot collide, overwrite, or point outside the storage root. Keys are checked
against a strict pattern on every access for the same reason: a key that came back from
a URL or the database is still only trusted once it matches.

Pure Python: no Flask, no database.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from .uploads import UploadRejected, describe_limit

__all__ = [
    "CHUNK_SIZE",
    "TEMP_PREFIX",
    "LocalStorage",
    "StorageLimitExceeded",
    "StoredFile",
    "validate_key",
]

CHUNK_SIZE = 64 * 1024

# Two hex chars of shard, a slash, then the 32-hex-char name the shard was taken from.
# Always used with fullmatch(): a pattern ending in "$" would also accept a trailing "\n".
_KEY_RE = re.compile(r"(?P<shard>[0-9a-f]{2})/(?P<name>[0-9a-f]{32})")

# Partial uploads live in the root (same filesystem, so os.replace is atomic) under a name
# that can never match _KEY_RE; leftovers from a crash are safe to sweep by this prefix.
TEMP_PREFIX = ".partial-"


class StorageLimitExceeded(UploadRejected):
    """More bytes arrived than allowed. An UploadRejected, so views can catch just that."""


@dataclass(frozen=True)
class StoredFile:
    """A file safely in storage: its key, exact byte count and SHA-256 (hex)."""

    key: str
    size: int
    sha256: str


class LocalStorage:
    """Stores files under ``root/<2 hex>/<32 hex>``."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def save(self, stream: BinaryIO, *, max_bytes: int) -> StoredFile:
        """Copy ``stream`` into storage in chunks, enforcing ``max_bytes`` as it goes.

        The size is counted here rather than trusted from Content-Length, which the client
        sets. Nothing appears under a real key until the copy is complete.
        """
        fd, temp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=self.root)
        temp_path = Path(temp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                size, digest = _copy_limited(stream, out, max_bytes)
                out.flush()
                os.fsync(out.fileno())  # the bytes are on disk before the key exists
            key = _new_key()
            final = self._resolve(key)
            final.parent.mkdir(exist_ok=True)
            os.replace(temp_path, final)
        except BaseException:
            # Client disconnects, limit hits, full disks: never leave a partial file.
            temp_path.unlink(missing_ok=True)
            raise
        return StoredFile(key=key, size=size, sha256=digest)

    def open(self, key: str) -> BinaryIO:
        """Open a stored file for reading; FileNotFoundError if it is gone."""
        return self._resolve(key).open("rb")

    def path(self, key: str) -> Path:
        """Filesystem path of a stored file, e.g. for ``send_file``. It may not exist."""
        return self._resolve(key)

    def delete(self, key: str) -> None:
        """Remove a stored file; already missing is fine (deletes must be retryable)."""
        # Empty shard folders are left alone: removing one could race a concurrent save.
        self._resolve(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._resolve(key).is_file()

    def _resolve(self, key: str) -> Path:
        return self.root / validate_key(key)


def validate_key(key: object) -> str:
    """Return ``key`` if it is a well-formed storage key, else raise ValueError.

    Only keys this module could have generated pass, so none can hold "..", a slash too
    many, an absolute path or a drive letter.
    """
    match = _KEY_RE.fullmatch(key) if isinstance(key, str) else None
    if match is None or not match["name"].startswith(match["shard"]):
        raise ValueError(f"Invalid storage key: {key!r}")
    return key


def _new_key() -> str:
    name = secrets.token_hex(16)
    return f"{name[:2]}/{name}"


def _copy_limited(stream: BinaryIO, out: BinaryIO, max_bytes: int) -> tuple[int, str]:
    """Copy in CHUNK_SIZE pieces; stop reading as soon as the limit is passed."""
    digest = hashlib.sha256()
    size = 0
    while chunk := stream.read(CHUNK_SIZE):
        size += len(chunk)
        if size > max_bytes:
            raise StorageLimitExceeded(
                f"This file is larger than the {describe_limit(max_bytes)} limit."
            )
        digest.update(chunk)
        out.write(chunk)
    return size, digest.hexdigest()
