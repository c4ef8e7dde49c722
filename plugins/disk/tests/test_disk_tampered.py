"""No pickle on any read path, whatever the cache file holds (CVE-2025-69872).

Each test plants a row kv must refuse: a pickled value whose loading would
create a marker file, a pickled key, a binary value file, value file names
that leave the directory or pass through a symlink. Reads raise
``DeserializationError`` naming the key; the marker is never created;
neighbouring entries stay readable; a put repairs the entry.
"""

from __future__ import annotations

import os
import pickle
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import diskcache  # type: ignore[import-untyped]
import pytest

import kv
from kv_disk.store import DiskStore

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class MarkerPayload:
    """Unpickling this creates ``path`` (a stand-in for running any code)."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)

    def __reduce__(self) -> tuple[Any, ...]:
        return (open, (self.path, "w"))


def tamper(database: Path, sql: str, params: tuple[object, ...]) -> None:
    raw = sqlite3.connect(database)
    try:
        with raw:
            assert raw.execute(sql, params).rowcount == 1
    finally:
        raw.close()


@pytest.fixture
async def store(tmp_path: Path) -> Any:
    store = kv.connect(f"disk://{tmp_path}/cache")
    assert isinstance(store, DiskStore)
    await store.put("victim", {"v": 1}, collection="users")
    await store.put("neighbour", {"v": 2}, collection="users")
    yield store
    await store.close()


async def assert_refused(store: DiskStore, message: str) -> None:
    with pytest.raises(kv.DeserializationError, match=message) as caught:
        await store.get("victim", collection="users")
    assert caught.value.key == "victim"
    assert caught.value.collection == "users"
    with pytest.raises(kv.DeserializationError):
        await store.ttl("victim", collection="users")
    with pytest.raises(kv.DeserializationError) as in_bulk:
        await store.get_many(["neighbour", "victim"], collection="users")
    assert in_bulk.value.key == "victim"
    assert await store.get("neighbour", collection="users") == {"v": 2}
    await store.put("victim", {"v": 3}, collection="users")
    assert await store.get("victim", collection="users") == {"v": 3}


def test_the_payload_is_live(tmp_path: Path) -> None:
    """Sanity check: loading the payload really creates its marker."""
    marker = tmp_path / "proof"
    pickle.loads(pickle.dumps(MarkerPayload(marker)))  # proving the payload works
    assert marker.exists()


async def test_pickled_value_in_the_row_is_never_loaded(store: DiskStore, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    payload = pickle.dumps(MarkerPayload(marker))
    tamper(
        Path(store.options.directory) / "cache.db",
        "UPDATE Cache SET mode = 4, value = ? WHERE key = 'users::victim'",
        (sqlite3.Binary(payload),),
    )
    await assert_refused(store, "pickle")
    assert not marker.exists()


async def test_pickled_value_in_a_file_is_never_loaded(store: DiskStore, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    directory = Path(store.options.directory)
    (directory / "ab" / "cd").mkdir(parents=True)
    name = "ab/cd/" + "0" * 28 + ".val"
    (directory / name).write_bytes(pickle.dumps(MarkerPayload(marker)))
    tamper(
        directory / "cache.db",
        "UPDATE Cache SET mode = 4, value = NULL, filename = ? WHERE key = 'users::victim'",
        (name,),
    )
    await assert_refused(store, "pickle")
    assert not marker.exists()


async def test_value_diskcache_pickled_itself_is_refused(tmp_path: Path) -> None:
    """diskcache pickles any value that is not str, bytes or a number (a dict here)."""
    marker = tmp_path / "pwned"
    with diskcache.Cache(str(tmp_path / "cache")) as cache:
        cache.set("users::victim", MarkerPayload(marker))
        cache.set("users::plain", {"a": 1})
    assert marker.exists() is False
    store = kv.connect(f"disk://{tmp_path}/cache")
    with pytest.raises(kv.DeserializationError, match="pickle"):
        await store.get("victim", collection="users")
    with pytest.raises(kv.DeserializationError, match="pickle"):
        await store.get("plain", collection="users")
    assert sorted(await store.keys("users")) == ["plain", "victim"]  # type: ignore[attr-defined]
    assert await store.delete("victim", collection="users") is True
    assert not marker.exists()
    await store.close()


async def test_pickled_key_is_refused(store: DiskStore, tmp_path: Path) -> None:
    tamper(
        Path(store.options.directory) / "cache.db",
        "UPDATE Cache SET raw = 0 WHERE key = 'users::victim'",
        (),
    )
    with pytest.raises(kv.DeserializationError, match="not raw text"):
        await store.get("victim", collection="users")
    assert await store.get("neighbour", collection="users") == {"v": 2}
    assert await store.keys("users") == ["neighbour"]


async def test_binary_value_file_is_refused(store: DiskStore) -> None:
    tamper(
        Path(store.options.directory) / "cache.db",
        "UPDATE Cache SET mode = 2, value = NULL, filename = 'ab/cd/x.val'"
        " WHERE key = 'users::victim'",
        (),
    )
    await assert_refused(store, "binary file")


@pytest.mark.parametrize("mode", [0, 5, -1, None])
async def test_unknown_modes_are_refused(store: DiskStore, mode: object) -> None:
    tamper(
        Path(store.options.directory) / "cache.db",
        "UPDATE Cache SET mode = ? WHERE key = 'users::victim'",
        (mode,),
    )
    await assert_refused(store, "mode")


@pytest.mark.parametrize(
    "filename",
    [
        "../../../../etc/passwd",
        "/etc/passwd",
        "ab/cd/../../../outside.val",
        "AB/CD/" + "0" * 28 + ".val",
        "ab/cd/short.val",
        None,
    ],
)
async def test_text_file_names_diskcache_never_makes_are_refused(
    store: DiskStore, tmp_path: Path, filename: object
) -> None:
    (tmp_path / "outside.val").write_text('{"value": {"stolen": true}}')
    tamper(
        Path(store.options.directory) / "cache.db",
        "UPDATE Cache SET mode = 3, value = NULL, filename = ? WHERE key = 'users::victim'",
        (filename,),
    )
    await assert_refused(store, "value file")
    assert (tmp_path / "outside.val").exists()  # nothing outside was deleted either


@pytest.mark.parametrize("linked", ["file", "folder"])
async def test_symlinked_value_files_are_not_followed(
    store: DiskStore, tmp_path: Path, linked: str
) -> None:
    secret = tmp_path / "secret"
    secret.mkdir()
    name = "0" * 28 + ".val"
    (secret / name).write_text('{"value": {"stolen": true}}')
    directory = Path(store.options.directory)
    if linked == "file":
        (directory / "ab" / "cd").mkdir(parents=True)
        (directory / "ab" / "cd" / name).symlink_to(secret / name)
    else:
        (directory / "ab").mkdir()
        (directory / "ab" / "cd").symlink_to(secret)
    tamper(
        directory / "cache.db",
        "UPDATE Cache SET mode = 3, value = NULL, filename = ? WHERE key = 'users::victim'",
        (f"ab/cd/{name}",),
    )
    await assert_refused(store, "value file")
    assert (secret / name).exists()  # replacing the row did not delete the link's target


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (b"\xff\xfe", "not UTF-8"),
        (42, "INTEGER"),
        (1.5, "REAL"),
        (None, "NULL"),
        ("[1, 2]", "not an object"),
        ("not json", "not valid JSON"),
    ],
)
async def test_damaged_raw_values_are_refused(
    store: DiskStore, value: object, message: str
) -> None:
    tamper(
        Path(store.options.directory) / "cache.db",
        "UPDATE Cache SET value = ? WHERE key = 'users::victim'",
        (value,),
    )
    await assert_refused(store, message)


async def test_non_numeric_expire_time_is_refused(store: DiskStore) -> None:
    tamper(
        Path(store.options.directory) / "cache.db",
        "UPDATE Cache SET expire_time = 'tomorrow' WHERE key = 'users::victim'",
        (),
    )
    await assert_refused(store, "expire_time")


def test_the_store_never_imports_pickle_or_diskcache() -> None:
    """A whole session of the store leaves pickle and diskcache unimported."""
    code = (
        "import sys, anyio, kv\n"
        "import tempfile\n"
        "d = tempfile.mkdtemp()\n"
        "async def main():\n"
        "    s = kv.connect('disk://' + d)\n"
        "    await s.put('k', {'v': 1}); await s.get('k'); await s.keys(); await s.cull()\n"
        "    await s.close()\n"
        "anyio.run(main)\n"
        "print('pickle' in sys.modules, 'diskcache' in sys.modules)\n"
    )
    env = dict(os.environ, KV_TYPECHECK="0")
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert result.stdout.strip() == "False False"
