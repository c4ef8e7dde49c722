"""What is special about kv-mongodb: URLs and options, names, layout and indexes,
values BSON cannot hold, auto_create, secrets, and a light declaration."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
import time
from typing import Any

import pytest
from pymongo import AsyncMongoClient, monitoring

import kv
from kv import registry
from kv_mongodb.client import connection_string
from kv_mongodb.names import collection_name, decode_collection
from kv_mongodb.plugin import PLUGIN
from kv_mongodb.store import MongoDBStore

SECRET = "s3cr3t-not-shown"


class Commands(monitoring.CommandListener):
    """The commands clients send while ``recording`` (pymongo's command monitoring)."""

    def __init__(self) -> None:
        self.recording = False
        self.names: list[str] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if self.recording:
            self.names.append(event.command_name)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


COMMANDS = Commands()
monitoring.register(COMMANDS)  # every client made from now on reports to it


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


# --- without a server ---------------------------------------------------------------


def test_discovery() -> None:
    assert registry.resolve("mongodb") is PLUGIN
    assert registry.resolve("mongodb+srv") is PLUGIN
    assert registry.origin("mongodb") == "kv-mongodb"


def test_connection_string_options_pass_to_pymongo() -> None:
    store = kv.connect(
        f"mongodb://app:{SECRET}@db1,db2:27018/appdata?replicaSet=rs0&authSource=admin"
        "&auto_create=false&default_collection=users&tls=true"
    )
    assert isinstance(store, MongoDBStore)
    options = store.options
    assert options.database == "appdata"
    assert options.auto_create is False
    assert store.default_collection == "users"
    assert options.client_options == (
        ("replicaSet", "rs0"),
        ("authSource", "admin"),
        ("tls", "true"),
    )
    text = connection_string(options)
    assert text == "mongodb://db1:27017,db2:27018/appdata?replicaSet=rs0&authSource=admin&tls=true"
    assert SECRET not in text
    for shown in (repr(store), str(store), repr(options)):
        assert SECRET not in shown


def test_default_database_and_srv() -> None:
    store = kv.connect("mongodb+srv://cluster0.example.net/?retryWrites=true")
    assert isinstance(store, MongoDBStore)
    assert store.database == "kv-store-adapter"
    assert store.options.srv is True
    assert connection_string(store.options) == (
        "mongodb+srv://cluster0.example.net/?retryWrites=true"
    )
    with pytest.raises(kv.InvalidURLError):
        kv.connect("mongodb+srv://cluster0.example.net:27017/")
    with pytest.raises(kv.InvalidURLError):
        kv.connect("mongodb:///db")


def test_secret_client_options_are_masked() -> None:
    store = kv.connect(
        f"mongodb://h/db?tlsCertificateKeyFilePassword={SECRET}&appName=kv",
    )
    assert isinstance(store, MongoDBStore)
    assert SECRET not in repr(store.options)
    assert "appName" in repr(store.options)


@pytest.mark.parametrize("database", ["a.b", "a b", "a/b", "x" * 64, "$db"])
def test_bad_database_names_are_refused(database: str) -> None:
    with pytest.raises(kv.InvalidOptionError) as caught:
        MongoDBStore("mongodb://localhost", database=database)
    assert "database" in str(caught.value)


def test_client_options_as_keywords() -> None:
    store = MongoDBStore("mongodb://h", client_options={"w": 1, "retryWrites": False})
    assert store.options.client_options == (("w", "1"), ("retryWrites", "false"))
    with pytest.raises(kv.InvalidOptionError):
        MongoDBStore("mongodb://h", client_options="w=1")


def test_collection_names() -> None:
    assert collection_name("users") == "users"
    assert collection_name("default_collection") == "default_collection"
    for name in ("a.b", ".", "..", "A", "a", "a b", "%x", "~x", "鍵", "\x00", "system.x"):
        stored = collection_name(name)
        assert not stored.startswith(("system.", "."))
        assert "$" not in stored
        assert "\x00" not in stored
        assert decode_collection(stored) == name
    assert collection_name("A") != collection_name("a")
    long = "n" * 500
    assert len(collection_name(long)) <= 120
    assert decode_collection(collection_name(long)) is None


def test_plugin_module_is_light() -> None:
    code = textwrap.dedent(
        """
        import sys
        import kv_mongodb, kv_mongodb.plugin
        from kv import registry
        registry.resolve("mongodb")
        registry.plugins()
        print(",".join(sorted(
            name for name in ("kv_mongodb.store", "pymongo", "bson") if name in sys.modules
        )))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == ""


# --- on the server ------------------------------------------------------------------


@pytest.fixture
async def store(mongodb_urls: Any) -> Any:
    store = kv.connect(mongodb_urls())
    assert isinstance(store, MongoDBStore)
    yield store
    await store.destroy()
    await store.close()


async def _raw(store: MongoDBStore) -> Any:
    """A client of the test's own, on the store's database."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(connection_string(store.options))
    return client, client[store.database]


@pytest.mark.kv_server
@pytest.mark.anyio
async def test_layout_and_indexes(store: MongoDBStore) -> None:
    await store.put("alice", {"name": "Alice"}, collection="users", ttl=600)
    await store.put("bob", {"name": "Bob"}, collection="users")
    client, database = await _raw(store)
    try:
        document = await database["users"].find_one({"key": "alice"}, {"_id": False})
        assert document is not None
        assert document["collection"] == "users"
        assert document["version"] == 1
        assert document["value"] == {"object": {"name": "Alice"}}
        expires = document["expires_at"].timestamp() - document["created_at"].timestamp()
        assert 599 <= expires <= 601
        plain = await database["users"].find_one({"key": "bob"})
        assert plain is not None
        assert "expires_at" not in plain
        indexes = await database["users"].index_information()
        by_field = {tuple(field for field, _ in spec["key"]): spec for spec in indexes.values()}
        assert by_field[("key",)].get("unique") is True
        assert by_field[("expires_at",)]["expireAfterSeconds"] == 0
    finally:
        await client.close()


@pytest.mark.kv_server
@pytest.mark.anyio
async def test_names_mongodb_cannot_hold(store: MongoDBStore) -> None:
    names = ["A", "a", "a.b", ".", "sp ace", "鍵", "$x", "system.users", "n" * 300, "a\x00b"]
    for number, name in enumerate(names):
        await store.put(f"k{number}\x00", {"n": number}, collection=name)
    for number, name in enumerate(names):
        assert await store.get(f"k{number}\x00", collection=name) == {"n": number}
        assert await store.keys(name) == [f"k{number}\x00"]
    assert sorted(await store.collections()) == sorted(names)


@pytest.mark.kv_server
@pytest.mark.anyio
async def test_values_bson_cannot_hold_round_trip(store: MongoDBStore) -> None:
    values: list[dict[str, Any]] = [
        {"a\x00b": 1},
        {"big": 2**70},
        {"neg": -(2**64)},
        {"list": [2**63]},
        {"a.b": {"$where": 1}},
        {"": [{"": None}]},
        {"fine": [1.5, -(2**63), 2**63 - 1, "a.b", "$x"]},
    ]
    await store.put_many([f"v{i}" for i in range(len(values))], values, collection="odd")
    assert await store.get_many([f"v{i}" for i in range(len(values))], collection="odd") == values
    client, database = await _raw(store)
    try:
        for number in range(len(values) - 1):
            document = await database["odd"].find_one({"key": f"v{number}"})
            assert document is not None
            assert isinstance(document["value"]["json"], str)
        document = await database["odd"].find_one({"key": f"v{len(values) - 1}"})
        assert document is not None
        assert document["value"]["object"] == values[-1]
    finally:
        await client.close()


@pytest.mark.kv_server
@pytest.mark.anyio
async def test_auto_create_off(mongodb_urls: Any) -> None:
    url = mongodb_urls()
    store = kv.connect(url, auto_create=False)
    try:
        with pytest.raises(kv.StoreSetupError) as caught:
            await store.put("k", {}, collection="missing")
        assert "missing" in str(caught.value)
        creator = kv.connect(url)
        await creator.put("k", {"v": 1}, collection="made")
        await creator.close()
        assert await store.get("k", collection="made") == {"v": 1}
    finally:
        await store.destroy()  # type: ignore[attr-defined]
        await store.close()


@pytest.mark.kv_server
@pytest.mark.anyio
async def test_expired_entries_are_hidden_and_culled(store: MongoDBStore) -> None:
    await store.put("gone", {"v": 1}, collection="c", ttl=0.2)
    await store.put("kept", {"v": 2}, collection="c")
    deadline = time.monotonic() + 30
    while await store.get("gone", collection="c") is not None:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.05)
    assert await store.keys("c") == ["kept"]
    assert await store.delete("gone", collection="c") is False
    assert await store.put_if_absent("gone", {"v": 3}, collection="c") is True
    assert await store.get("gone", collection="c") == {"v": 3}
    assert await store.cull() == 0


@pytest.mark.kv_server
@pytest.mark.anyio
async def test_wrong_password_is_a_setup_error_without_the_password(mongodb_urls: Any) -> None:
    url = mongodb_urls().replace("mongodb://", f"mongodb://nobody:{SECRET}@", 1)
    store = kv.connect(url, connect_timeout=3)
    try:
        with pytest.raises(kv.KeyValueError) as caught:
            await store.put("k", {}, collection="c")
        assert SECRET not in str(caught.value)
        assert SECRET not in repr(caught.value)
    finally:
        await store.close()


@pytest.mark.kv_server
@pytest.mark.anyio
async def test_bulk_calls_are_one_command_each(store: MongoDBStore) -> None:
    keys = [f"k{number}" for number in range(50)]
    await store.put("warm", {}, collection="bulk")  # connected, collection set up

    async def commands(call: Any) -> list[str]:
        COMMANDS.names.clear()
        COMMANDS.recording = True
        try:
            await call
        finally:
            COMMANDS.recording = False
        return list(COMMANDS.names)

    assert await commands(store.put_many(keys, [{"n": 1}] * 50, collection="bulk")) == ["update"]
    assert await commands(store.get_many(keys, collection="bulk")) == ["find"]
    assert await commands(store.delete_many(keys, collection="bulk")) == ["delete"]
