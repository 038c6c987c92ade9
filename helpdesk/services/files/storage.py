"""Where attachment bytes live: the small `Storage` interface and its backends.

Local disk by default (`LocalStorage`, below); S3-compatible object storage for
installations with several hosts (`S3Storage`, in s3.py). `storage_from_config` picks one
from the configuration (``STORAGE_BACKEND``).

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
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from .uploads import UploadRejected, describe_limit

__all__ = [
    "BACKENDS",
    "CHUNK_SIZE",
    "TEMP_PREFIX",
    "LocalStorage",
    "Storage",
    "StorageConfigError",
    "StorageLimitExceeded",
    "StoredFile",
    "copy_limited",
    "new_key",
    "storage_from_config",
    "validate_key",
]

BACKENDS = ("local", "s3")

CHUNK_SIZE = 64 * 1024

# Two hex chars of shard, a slash, then the 32-hex-char name the shard was taken from.
# Always used with fullmatch(): a pattern ending in "$" would also accept a trailing "\n".
_KEY_RE = re.compile(r"(?P<shard>[0-9a-f]{2})/(?P<name>[0-9a-f]{32})")

# Partial uploads live in the root (same filesystem, so os.replace is atomic) under a name
# that can never match _KEY_RE; leftovers from a crash are safe to sweep by this prefix.
TEMP_PREFIX = ".partial-"


class StorageLimitExceeded(UploadRejected):
    """More bytes arrived than allowed. An UploadRejected, so views can catch just that."""


class StorageConfigError(ValueError):
    """The storage settings are incomplete or name an unknown backend."""


@dataclass(frozen=True)
class StoredFile:
    """A file safely in storage: its key, exact byte count and SHA-256 (hex)."""

    key: str
    size: int
    sha256: str


class Storage(Protocol):
    """What every backend offers. Keys are the ones `save` returned; every method refuses
    a malformed key with ValueError before touching anything."""

    def save(self, stream: BinaryIO, *, max_bytes: int) -> StoredFile:
        """Store ``stream`` under a new random key, reading at most ``max_bytes`` (else
        StorageLimitExceeded). All or nothing: on any error no file is left behind."""
        ...

    def open(self, key: str) -> BinaryIO:
        """A readable stream of the stored bytes (close it); FileNotFoundError if gone."""
        ...

    def delete(self, key: str) -> None:
        """Remove a stored file; already missing is fine (deletes must be retryable)."""
        ...

    def size(self, key: str) -> int:
        """Byte count of a stored file; FileNotFoundError if gone."""
        ...

    def exists(self, key: str) -> bool:
        ...


def storage_from_config(config: Mapping[str, Any]) -> Storage:
    """The backend the configuration names (``STORAGE_BACKEND``: "local" or "s3")."""
    backend = config.get("STORAGE_BACKEND") or "local"
    if backend == "local":
        return LocalStorage(config["UPLOAD_FOLDER"])
    if backend == "s3":
        from .s3 import S3Storage  # boto3 is only imported where it is used

        return S3Storage.from_config(config)
    raise StorageConfigError(
        f"STORAGE_BACKEND must be one of {', '.join(BACKENDS)}, not {backend!r}.")


class LocalStorage:
    """Stores files under ``root/<2 hex>/<32 hex>``.

    There is deliberately no ``path()``: downloads stream through `open`, the same way for
    every backend. (Should a proxy ever serve files with X-Accel-Redirect, the key is
    enough to build its internal location.)"""

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
                size, digest = copy_limited(stream, out, max_bytes)
                out.flush()
                os.fsync(out.fileno())  # the bytes are on disk before the key exists
            key = new_key()
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

    def size(self, key: str) -> int:
        """Byte count of a stored file; FileNotFoundError if it is gone."""
        return self._resolve(key).stat().st_size

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


def new_key() -> str:
    """A fresh random key: 128 bits, sharded by its first two hex digits."""
    name = secrets.token_hex(16)
    return f"{name[:2]}/{name}"


def copy_limited(stream: BinaryIO, out: BinaryIO, max_bytes: int) -> tuple[int, str]:
    """Copy in CHUNK_SIZE pieces, hashing as it goes; stop reading as soon as the limit
    is passed (StorageLimitExceeded). Returns the byte count and the SHA-256 (hex)."""
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
