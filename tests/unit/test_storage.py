"""Local storage: real files under tmp_path, no mocks."""

import hashlib
import io
import re

import pytest

from helpdesk.services.files.storage import (
    CHUNK_SIZE,
    LocalStorage,
    StorageLimitExceeded,
    StoredFile,
)
from helpdesk.services.files.uploads import UploadRejected

# Bigger than one chunk and not a multiple of it, so chunk boundaries are exercised.
DATA = bytes(range(256)) * 1000 + b"tail"
KEY = "ab/" + "ab" + "0" * 30


def files_under(root):
    return sorted(p for p in root.rglob("*") if p.is_file())


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


def test_round_trip(tmp_path):
    storage = LocalStorage(tmp_path)
    stored = storage.save(io.BytesIO(DATA), max_bytes=len(DATA))

    assert stored == StoredFile(stored.key, len(DATA), hashlib.sha256(DATA).hexdigest())
    assert storage.exists(stored.key)
    with storage.open(stored.key) as fh:
        assert fh.read() == DATA
    assert storage.path(stored.key).read_bytes() == DATA


def test_key_is_random_and_sharded(tmp_path):
    storage = LocalStorage(tmp_path)
    first = storage.save(io.BytesIO(b"one"), max_bytes=10).key
    second = storage.save(io.BytesIO(b"one"), max_bytes=10).key

    assert first != second
    assert re.fullmatch(r"([0-9a-f]{2})/\1[0-9a-f]{30}", first)
    assert storage.path(first) == tmp_path / first
    assert files_under(tmp_path) == sorted([tmp_path / first, tmp_path / second])


def test_stored_file_is_frozen(tmp_path):
    stored = LocalStorage(tmp_path).save(io.BytesIO(b"x"), max_bytes=1)
    with pytest.raises(AttributeError):
        stored.size = 2


def test_reads_from_a_real_file_stream(tmp_path):
    source = tmp_path / "source.bin"
    source.write_bytes(DATA)
    storage = LocalStorage(tmp_path / "store")
    with source.open("rb") as fh:
        stored = storage.save(fh, max_bytes=len(DATA))
    assert storage.path(stored.key).read_bytes() == DATA


def test_limit_exceeded_leaves_no_file(tmp_path):
    storage = LocalStorage(tmp_path)
    with pytest.raises(StorageLimitExceeded) as info:
        storage.save(io.BytesIO(DATA), max_bytes=len(DATA) - 1)

    assert isinstance(info.value, UploadRejected)
    assert isinstance(info.value, ValueError)
    assert "limit" in str(info.value)
    assert files_under(tmp_path) == []


def test_limit_stops_reading_early(tmp_path):
    stream = io.BytesIO(b"\x00" * (10 * CHUNK_SIZE))
    with pytest.raises(StorageLimitExceeded):
        LocalStorage(tmp_path).save(stream, max_bytes=CHUNK_SIZE)
    assert stream.tell() <= 2 * CHUNK_SIZE


def test_failed_stream_leaves_no_file(tmp_path):
    storage = LocalStorage(tmp_path)
    with pytest.raises(OSError, match="connection reset"):
        storage.save(FailingStream(DATA), max_bytes=len(DATA))
    assert files_under(tmp_path) == []


def test_delete_and_missing_delete(tmp_path):
    storage = LocalStorage(tmp_path)
    key = storage.save(io.BytesIO(b"bye"), max_bytes=3).key

    storage.delete(key)
    assert not storage.exists(key)
    assert files_under(tmp_path) == []
    storage.delete(key)  # already gone is fine


def test_open_missing_key_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        LocalStorage(tmp_path).open(KEY)


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
@pytest.mark.parametrize("method", ["open", "path", "delete", "exists"])
def test_bad_keys_are_refused(tmp_path, key, method):
    storage = LocalStorage(tmp_path)
    with pytest.raises(ValueError, match="Invalid storage key"):
        getattr(storage, method)(key)


def test_good_key_is_accepted(tmp_path):
    storage = LocalStorage(tmp_path)
    assert storage.path(KEY) == tmp_path / KEY
    assert storage.exists(KEY) is False
