"""Both storage backends, no mocks: local disk (real files under tmp_path) and S3 (a real
S3 API served by moto on a loopback port, one bucket per test)."""

import hashlib
import io
import re
import tracemalloc

import boto3
import pytest
from botocore.exceptions import ClientError, NoCredentialsError
from conftest import S3_PREFIX, S3_TEST_CREDENTIALS, bucket_keys, s3_client

from helpdesk.services.files.s3 import SPOOL_BYTES, S3Storage
from helpdesk.services.files.storage import (
    CHUNK_SIZE,
    LocalStorage,
    Storage,
    StorageConfigError,
    StorageLimitExceeded,
    StoredFile,
    storage_from_config,
)
from helpdesk.services.files.uploads import UploadRejected

# Bigger than one chunk and not a multiple of it, so chunk boundaries are exercised.
DATA = bytes(range(256)) * 1000 + b"tail"
KEY = "ab/" + "ab" + "0" * 30


def files_under(root):
    return sorted(p for p in root.rglob("*") if p.is_file())


@pytest.fixture(params=["local", "s3"])
def storage(request, tmp_path) -> Storage:
    if request.param == "local":
        return LocalStorage(tmp_path / "store")
    endpoint = request.getfixturevalue("s3_endpoint")
    return S3Storage(s3_client(endpoint), request.getfixturevalue("s3_bucket"),
                     prefix=S3_PREFIX)


def everything_in(storage) -> list[str]:
    """All files or objects the backend holds, looked up behind its back."""
    if isinstance(storage, LocalStorage):
        return [p.relative_to(storage.root).as_posix() for p in files_under(storage.root)]
    return sorted(bucket_keys(storage.client, storage.bucket))


def stored_name(storage, key: str) -> str:
    """Where a key ends up: a path under the root, an object name under the prefix."""
    return key if isinstance(storage, LocalStorage) else f"{S3_PREFIX}/{key}"


class FailingStream(io.BytesIO):
    """A client that disconnects after sending some data."""

    def read(self, size=-1):
        if self.tell() >= CHUNK_SIZE:
            raise OSError("connection reset")
        return super().read(size)


def test_creates_missing_root(tmp_path):
    root = tmp_path / "a" / "b"
    LocalStorage(root)
    assert root.is_dir()


def test_round_trip(storage):
    stored = storage.save(io.BytesIO(DATA), max_bytes=len(DATA))

    assert stored == StoredFile(stored.key, len(DATA), hashlib.sha256(DATA).hexdigest())
    assert storage.exists(stored.key)
    assert storage.size(stored.key) == len(DATA)
    with storage.open(stored.key) as fh:
        assert fh.read() == DATA
    assert everything_in(storage) == [stored_name(storage, stored.key)]


def test_open_streams_in_pieces(storage):
    key = storage.save(io.BytesIO(DATA), max_bytes=len(DATA)).key
    with storage.open(key) as fh:
        pieces = list(iter(lambda: fh.read(CHUNK_SIZE), b""))
    assert b"".join(pieces) == DATA
    assert max(map(len, pieces)) == CHUNK_SIZE


def test_an_empty_file_round_trips(storage):
    stored = storage.save(io.BytesIO(b""), max_bytes=10)
    assert (stored.size, storage.size(stored.key)) == (0, 0)
    with storage.open(stored.key) as fh:
        assert fh.read() == b""


def test_key_is_random_and_sharded(storage):
    first = storage.save(io.BytesIO(b"one"), max_bytes=10).key
    second = storage.save(io.BytesIO(b"one"), max_bytes=10).key

    assert first != second
    assert re.fullmatch(r"([0-9a-f]{2})/\1[0-9a-f]{30}", first)
    assert everything_in(storage) == sorted(stored_name(storage, k) for k in (first, second))


def test_stored_file_is_frozen(storage):
    stored = storage.save(io.BytesIO(b"x"), max_bytes=1)
    with pytest.raises(AttributeError):
        stored.size = 2


def test_reads_from_a_real_file_stream(storage, tmp_path):
    source = tmp_path / "source.bin"
    source.write_bytes(DATA)
    with source.open("rb") as fh:
        stored = storage.save(fh, max_bytes=len(DATA))
    with storage.open(stored.key) as fh:
        assert fh.read() == DATA


def test_limit_exceeded_leaves_no_file(storage):
    with pytest.raises(StorageLimitExceeded) as info:
        storage.save(io.BytesIO(DATA), max_bytes=len(DATA) - 1)

    assert isinstance(info.value, UploadRejected)
    assert isinstance(info.value, ValueError)
    assert "limit" in str(info.value)
    assert everything_in(storage) == []


def test_limit_stops_reading_early(storage):
    stream = io.BytesIO(b"\x00" * (10 * CHUNK_SIZE))
    with pytest.raises(StorageLimitExceeded):
        storage.save(stream, max_bytes=CHUNK_SIZE)
    assert stream.tell() <= 2 * CHUNK_SIZE


def test_failed_stream_leaves_no_file(storage):
    with pytest.raises(OSError, match="connection reset"):
        storage.save(FailingStream(DATA), max_bytes=len(DATA))
    assert everything_in(storage) == []


def test_delete_and_missing_delete(storage):
    key = storage.save(io.BytesIO(b"bye"), max_bytes=3).key

    storage.delete(key)
    assert not storage.exists(key)
    assert everything_in(storage) == []
    storage.delete(key)  # already gone is fine


def test_delete_removes_only_its_own_file(storage):
    keep = storage.save(io.BytesIO(b"keep"), max_bytes=10).key
    storage.delete(storage.save(io.BytesIO(b"drop"), max_bytes=10).key)
    assert everything_in(storage) == [stored_name(storage, keep)]


@pytest.mark.parametrize("method", ["open", "size"])
def test_a_missing_key_raises_file_not_found(storage, method):
    with pytest.raises(FileNotFoundError):
        getattr(storage, method)(KEY)


@pytest.mark.parametrize(
    "key",
    [
        "../x",
        "ab/../../x",
        "ab/../" + "ab" + "0" * 30,
        "/etc/passwd",
        "",
        "ab/" + "g" * 32,
        "AB/" + "AB" + "0" * 30,  # upper case
        "cd/" + "ab" + "0" * 30,  # shard does not match the name
        KEY + "\n",
        "ab\\" + "ab" + "0" * 30,
        "ab/ab",
        None,
        KEY.encode(),  # keys are str; bytes must not slip past the pattern
    ],
)
@pytest.mark.parametrize("method", ["open", "size", "delete", "exists"])
def test_bad_keys_are_refused(storage, key, method):
    with pytest.raises(ValueError, match="Invalid storage key"):
        getattr(storage, method)(key)


def test_good_key_is_accepted(storage):
    assert storage.exists(KEY) is False


# --- local disk only ------------------------------------------------------------------------

def test_files_live_under_the_root_by_key(tmp_path):
    storage = LocalStorage(tmp_path)
    key = storage.save(io.BytesIO(DATA), max_bytes=len(DATA)).key
    assert files_under(tmp_path) == [tmp_path / key]
    assert (tmp_path / key).read_bytes() == DATA


# --- S3 only ----------------------------------------------------------------------------------

def test_s3_objects_carry_the_prefix_and_their_hash(s3_endpoint, s3_bucket):
    client = s3_client(s3_endpoint)
    storage = S3Storage(client, s3_bucket, prefix="/helpdesk/files/")
    stored = storage.save(io.BytesIO(DATA), max_bytes=len(DATA))
    head = client.head_object(Bucket=s3_bucket, Key=f"helpdesk/files/{stored.key}")
    assert head["ContentLength"] == len(DATA)
    assert head["Metadata"] == {"sha256": stored.sha256}
    assert bucket_keys(client, s3_bucket) == [f"helpdesk/files/{stored.key}"]


def test_s3_without_a_prefix_uses_the_bare_key(s3_endpoint, s3_bucket):
    client = s3_client(s3_endpoint)
    key = S3Storage(client, s3_bucket).save(io.BytesIO(b"x"), max_bytes=1).key
    assert bucket_keys(client, s3_bucket) == [key]


def test_s3_upload_is_not_held_in_memory_whole(s3_endpoint, s3_bucket, tmp_path):
    """Reading, hashing and sending an 8 MB file must not hold it in memory: past
    SPOOL_BYTES the spool goes to disk, and the PUT streams from it."""
    size = 8 * 1024 * 1024
    assert SPOOL_BYTES <= size / 8
    source = tmp_path / "big.bin"
    source.write_bytes(b"\x5a" * size)
    storage = S3Storage(s3_client(s3_endpoint), s3_bucket)
    storage.save(io.BytesIO(b"warm up the client"), max_bytes=100)
    with source.open("rb") as fh:
        tracemalloc.start()
        try:
            stored = storage.save(fh, max_bytes=size)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert storage.size(stored.key) == size
    assert peak < size / 2


def test_s3_errors_reach_the_caller(s3_endpoint):
    storage = S3Storage(s3_client(s3_endpoint), "helpdesk-no-such-bucket")
    with pytest.raises(ClientError, match="NoSuchBucket"):
        storage.save(io.BytesIO(b"data"), max_bytes=10)


def test_s3_a_put_whose_answer_is_lost_leaves_no_object(s3_endpoint, s3_bucket):
    """The PUT lands, then the connection drops before the answer: the caller gets the
    error and never learns the key, so save must remove the object itself."""
    client = boto3.session.Session(**S3_TEST_CREDENTIALS).client(
        "s3", endpoint_url=s3_endpoint)

    def answer_lost(**kwargs):
        raise ConnectionResetError("connection lost after the upload")
    client.meta.events.register("after-call.s3.PutObject", answer_lost)
    with pytest.raises(ConnectionResetError):
        S3Storage(client, s3_bucket).save(io.BytesIO(b"data"), max_bytes=10)
    assert bucket_keys(client, s3_bucket) == []


# --- choosing the backend from configuration ---------------------------------------------

def test_local_is_the_default_backend(tmp_path):
    storage = storage_from_config({"UPLOAD_FOLDER": str(tmp_path / "up")})
    assert isinstance(storage, LocalStorage) and storage.root == tmp_path / "up"


def test_s3_backend_from_config(s3_endpoint, s3_bucket):
    storage = storage_from_config({
        "STORAGE_BACKEND": "s3", "S3_BUCKET": s3_bucket, "S3_ENDPOINT_URL": s3_endpoint,
        "S3_REGION": "us-east-1", "S3_PREFIX": "x", "S3_ACCESS_KEY_ID": "testing",
        "S3_SECRET_ACCESS_KEY": "testing"})
    assert isinstance(storage, S3Storage)
    key = storage.save(io.BytesIO(b"hello"), max_bytes=5).key
    assert bucket_keys(s3_client(s3_endpoint), s3_bucket) == [f"x/{key}"]


def test_s3_credentials_may_come_from_the_aws_environment(s3_endpoint, s3_bucket,
                                                          monkeypatch, tmp_path):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                 "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    config = {"STORAGE_BACKEND": "s3", "S3_BUCKET": s3_bucket,
              "S3_ENDPOINT_URL": s3_endpoint, "S3_REGION": "us-east-1"}
    with pytest.raises(NoCredentialsError):
        storage_from_config(config).exists(KEY)

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "from-env")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "from-env-secret")
    assert storage_from_config(config).save(io.BytesIO(b"hi"), max_bytes=2).size == 2


def test_a_numeric_bucket_name_from_the_environment_is_text(s3_endpoint):
    storage = storage_from_config({"STORAGE_BACKEND": "s3", "S3_BUCKET": 2024,
                                   "S3_PREFIX": 7, "S3_ENDPOINT_URL": s3_endpoint,
                                   "S3_REGION": "us-east-1", "S3_ACCESS_KEY_ID": "a",
                                   "S3_SECRET_ACCESS_KEY": "b"})
    assert (storage.bucket, storage.prefix) == ("2024", "7/")


@pytest.mark.parametrize("config, message", [
    ({"STORAGE_BACKEND": "ftp"}, "STORAGE_BACKEND must be one of local, s3"),
    ({"STORAGE_BACKEND": "s3"}, "S3_BUCKET is not set"),
    ({"STORAGE_BACKEND": "s3", "S3_BUCKET": "b", "S3_ACCESS_KEY_ID": "only-the-id"},
     "Set both S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY"),
])
def test_incomplete_storage_settings_are_refused(tmp_path, config, message):
    with pytest.raises(StorageConfigError, match=message):
        storage_from_config({"UPLOAD_FOLDER": str(tmp_path), **config})
