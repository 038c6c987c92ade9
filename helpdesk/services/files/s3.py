"""S3-compatible object storage (AWS S3, MinIO, Ceph…) for installations with several hosts.

The same random keys as on local disk, under an optional prefix. An upload is copied to a
temporary file first (in memory while small), which enforces the size limit and computes
the SHA-256 while reading, exactly as on disk; only a complete file within the limit is
then sent, in one PUT. S3 makes an object visible whole or not at all, so a failed upload
leaves nothing under its key.

Clients never see the bucket: no bucket or presigned URL leaves this module; downloads
stream through the app's own permission-checked view (`open`).

Pure Python: no Flask, no database.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from typing import Any, BinaryIO, cast

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from .storage import StorageConfigError, StoredFile, copy_limited, new_key, validate_key

__all__ = ["SPOOL_BYTES", "S3Storage"]

# Uploads up to this size are checked in memory; larger ones spill to a temporary file, so
# a 10 MB attachment never sits in memory whole.
SPOOL_BYTES = 1024 * 1024

# Error codes meaning "no such object" (HEAD answers a bare 404 without a body).
_MISSING = frozenset({"404", "NoSuchKey", "NotFound"})


class S3Storage:
    """Stores files as objects ``<prefix>/<2 hex>/<32 hex>`` in one bucket."""

    def __init__(self, client: Any, bucket: str, prefix: str = "") -> None:
        self.client = client  # a boto3 S3 client: thread-safe, pools its connections
        self.bucket = bucket
        prefix = prefix.strip("/")
        self.prefix = f"{prefix}/" if prefix else ""

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> S3Storage:
        """Built from ``S3_*`` settings. Without S3_ACCESS_KEY_ID/S3_SECRET_ACCESS_KEY,
        boto3 finds credentials the usual way (AWS_* variables, ~/.aws, instance role)."""
        bucket = config.get("S3_BUCKET")
        if not bucket:
            raise StorageConfigError("STORAGE_BACKEND is s3 but S3_BUCKET is not set.")
        key_id = config.get("S3_ACCESS_KEY_ID") or None
        secret = config.get("S3_SECRET_ACCESS_KEY") or None
        if (key_id is None) != (secret is None):
            raise StorageConfigError(
                "Set both S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY, or neither.")
        session = boto3.session.Session(aws_access_key_id=key_id,
                                        aws_secret_access_key=secret,
                                        region_name=config.get("S3_REGION") or None)
        client = session.client("s3", endpoint_url=config.get("S3_ENDPOINT_URL") or None)
        # str(): HELPDESK_* values are read as JSON, so a bucket named "2024" is a number.
        return cls(client, str(bucket), str(config.get("S3_PREFIX") or ""))

    def save(self, stream: BinaryIO, *, max_bytes: int) -> StoredFile:
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
            size, digest = copy_limited(stream, spool, max_bytes)
            spool.seek(0)
            key = new_key()
            try:
                self.client.put_object(
                    Bucket=self.bucket, Key=self._object_key(key), Body=spool,
                    ContentLength=size, ContentType="application/octet-stream",
                    Metadata={"sha256": digest})
            except BaseException:
                # A PUT that timed out may still have landed: make sure it did not stay.
                self._delete_quietly(key)
                raise
        return StoredFile(key=key, size=size, sha256=digest)

    def open(self, key: str) -> BinaryIO:
        """The object's streaming body: bytes arrive as they are read. Close it."""
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self._object_key(key))
        except ClientError as error:
            _raise_if_missing(error, key)
            raise
        return cast(BinaryIO, response["Body"])

    def delete(self, key: str) -> None:
        # S3 answers a delete of a missing object with success: retryable as it is.
        self.client.delete_object(Bucket=self.bucket, Key=self._object_key(key))

    def size(self, key: str) -> int:
        return int(self._head(key)["ContentLength"])

    def exists(self, key: str) -> bool:
        try:
            self._head(key)
        except FileNotFoundError:
            return False
        return True

    def _head(self, key: str) -> dict[str, Any]:
        try:
            return self.client.head_object(Bucket=self.bucket, Key=self._object_key(key))
        except ClientError as error:
            _raise_if_missing(error, key)
            raise

    def _delete_quietly(self, key: str) -> None:
        try:
            self.delete(key)
        except (BotoCoreError, ClientError):
            pass  # the original error is the one worth raising

    def _object_key(self, key: str) -> str:
        return self.prefix + validate_key(key)


def _raise_if_missing(error: ClientError, key: str) -> None:
    """A missing object is a FileNotFoundError, as on local disk."""
    if error.response.get("Error", {}).get("Code") in _MISSING:
        raise FileNotFoundError(f"No stored file {key}") from error
