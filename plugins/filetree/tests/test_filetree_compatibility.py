"""``file://`` reads what py-key-value's FileTreeStore wrote, and the reverse.

py-key-value-aio (a test dependency) writes real trees, with its default
(unsanitized) names and with its V1 sanitization strategies; kv reads them
back: values, remaining TTLs, keys and collections, and deletes them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from key_value.aio.stores.filetree import (
    FileTreeStore as PyKVFileTreeStore,
)
from key_value.aio.stores.filetree import (
    FileTreeV1CollectionSanitizationStrategy,
    FileTreeV1KeySanitizationStrategy,
)

import kv
from kv_conformance.cases import ODD_NAMES
from kv_filetree.names import v1_name
from kv_filetree.store import FileTreeStore

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def v1_store(directory: Path) -> PyKVFileTreeStore:
    directory.mkdir(parents=True, exist_ok=True)
    return PyKVFileTreeStore(
        data_directory=directory,
        key_sanitization_strategy=FileTreeV1KeySanitizationStrategy(directory),
        collection_sanitization_strategy=FileTreeV1CollectionSanitizationStrategy(directory),
    )


async def write_sample(theirs: PyKVFileTreeStore) -> None:
    await theirs.put("alice", {"name": "Alice"}, collection="users", ttl=600)
    await theirs.put("bob", {"name": "Bob", "n": [1, None]}, collection="users")
    await theirs.put("carol@example.com", {"name": "Carol"}, collection="users")
    await theirs.put("user:42", {"v": 42}, collection="users", ttl=600)
    await theirs.put("token", {"t": "x"}, collection="oauth-clients")
    await theirs.put("plain", {"d": True})


async def check_sample(store: kv.AsyncKeyValue, *, listed_keys: list[str]) -> None:
    value, remaining = await store.ttl("alice", collection="users")
    assert value == {"name": "Alice"}
    assert remaining is not None
    assert 590 < remaining <= 600
    assert await store.ttl("bob", collection="users") == ({"name": "Bob", "n": [1, None]}, None)
    assert await store.get("carol@example.com", collection="users") == {"name": "Carol"}
    value, remaining = await store.ttl("user:42", collection="users")
    assert value == {"v": 42}
    assert remaining is not None
    assert remaining > 590
    assert await store.get("token", collection="oauth-clients") == {"t": "x"}
    assert await store.get("plain") == {"d": True}
    assert await store.get("nobody", collection="users") is None
    assert sorted(await store.keys("users")) == sorted(listed_keys)  # type: ignore[attr-defined]
    assert await store.collections() == [  # type: ignore[attr-defined]
        "default_collection",
        "oauth-clients",
        "users",
    ]


async def test_kv_reads_py_key_value_file_tree_with_plain_names(tmp_path: Path) -> None:
    theirs = PyKVFileTreeStore(data_directory=tmp_path)
    await write_sample(theirs)
    assert (tmp_path / "users" / "carol@example.com.json").is_file()
    assert (tmp_path / "users-info.json").is_file()
    store = kv.connect(f"file://{tmp_path}")
    try:
        await check_sample(store, listed_keys=["alice", "bob", "carol@example.com", "user:42"])
        # kv's own writes of these names go to kv's file names; reads see them first.
        await store.put("carol@example.com", {"name": "Carol 2"}, collection="users")
        assert await store.get("carol@example.com", collection="users") == {"name": "Carol 2"}
        assert await store.delete("carol@example.com", collection="users") is True
        assert await store.get("carol@example.com", collection="users") is None
        assert not (tmp_path / "users" / "carol@example.com.json").exists()
        assert await store.destroy_collection("oauth-clients") is True  # type: ignore[attr-defined]
        assert not (tmp_path / "oauth-clients").exists()
        assert not (tmp_path / "oauth-clients-info.json").exists()
    finally:
        await store.close()


async def test_kv_reads_py_key_value_file_tree_with_v1_sanitized_names(tmp_path: Path) -> None:
    theirs = v1_store(tmp_path)
    await write_sample(theirs)
    store = kv.connect(f"file://{tmp_path}")
    carol = v1_name("carol@example.com", 250)
    assert (tmp_path / "users" / f"{carol}.json").is_file()
    try:
        # Keys sanitized by py-key-value are listed by their file names.
        await check_sample(store, listed_keys=["alice", "bob", carol, v1_name("user:42", 250)])
        assert await store.get(carol, collection="users") == {"name": "Carol"}
        assert await store.delete("user:42", collection="users") is True
        assert await store.get("user:42", collection="users") is None
        assert await store.destroy_collection("oauth-clients") is True  # type: ignore[attr-defined]
        assert await store.collections() == ["default_collection", "users"]  # type: ignore[attr-defined]
    finally:
        await store.close()


async def test_kv_culls_py_key_value_files(tmp_path: Path) -> None:
    theirs = PyKVFileTreeStore(data_directory=tmp_path)
    await theirs.put("a", {"v": 1}, collection="c", ttl=0.1)
    await theirs.put("b", {"v": 2}, collection="c")
    store = kv.connect(f"file://{tmp_path}")
    import anyio

    await anyio.sleep(0.3)
    assert await store.cull() == 1  # type: ignore[attr-defined]
    assert sorted(p.name for p in (tmp_path / "c").iterdir()) == ["b.json"]
    await store.close()


async def test_py_key_value_reads_what_kv_wrote(tmp_path: Path) -> None:
    store = kv.connect(f"file://{tmp_path}")
    await store.put("alice", {"name": "Alice"}, collection="users", ttl=600)
    await store.put("bob", {"name": "Bob"}, collection="users")
    await store.put("k", {"v": 1}, collection="session_data")
    await store.close()
    for theirs in (PyKVFileTreeStore(data_directory=tmp_path), v1_store(tmp_path)):
        value, remaining = await theirs.ttl("alice", collection="users")
        assert value == {"name": "Alice"}
        assert remaining is not None
        assert 590 < remaining <= 600
        assert await theirs.get("bob", collection="users") == {"name": "Bob"}
        assert await theirs.get("k", collection="session_data") == {"v": 1}
    # and kv still reads the tree after py-key-value added its metadata files
    again = kv.connect(f"file://{tmp_path}")
    assert await again.collections() == ["session_data", "users"]  # type: ignore[attr-defined]
    await again.close()


NAMES = [
    *ODD_NAMES.values(),
    "plain",
    "with-dash",
    "under_score",
    "S_looks_sanitized-12345678",
    "!!!",
    "a!",
    "x" * 400,
    "y" * 240 + "!",
    "é",
]


@pytest.mark.parametrize("name", NAMES, ids=range(len(NAMES)))
def test_v1_names_match_py_key_value(tmp_path: Path, name: str) -> None:
    keys: Any = FileTreeV1KeySanitizationStrategy(tmp_path)
    collections: Any = FileTreeV1CollectionSanitizationStrategy(tmp_path)
    assert v1_name(name, keys.max_length) == keys.sanitize(name)
    assert v1_name(name, collections.max_length) == collections.sanitize(name)


async def test_store_uses_the_same_v1_limits_as_py_key_value(tmp_path: Path) -> None:
    store = kv.connect(f"file://{tmp_path}")
    assert isinstance(store, FileTreeStore)
    await store.setup()
    keys: Any = FileTreeV1KeySanitizationStrategy(tmp_path)
    collections: Any = FileTreeV1CollectionSanitizationStrategy(tmp_path)
    assert store._tree is not None
    assert store._tree.limits == (collections.max_length, keys.max_length)
    await store.close()
