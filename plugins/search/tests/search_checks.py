"""Tests of what is special about the search-engine stores, shared by kv-elasticsearch
and kv-opensearch (loaded by path; each plugin subclasses :class:`SearchPluginChecks`).

A subclass sets the class attributes and supplies the fixture ``pykv``: a
function ``pykv(prefix)`` that returns py-key-value's store of the same
engine on the session's server (an async context manager).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any, ClassVar

import pytest

import kv
from kv.errors import (
    InvalidOptionError,
    StoreConnectionError,
    StoreSetupError,
    StoreTimeoutError,
)
from kv.url import StoreURL
from kv_conformance.hooks import hooks_for_scheme, schemes_of_store_type
from kv_conformance.servers import free_port, wait_until
from kv_search.engine import Reply, Request
from kv_search.layout import document_id, encode_collection
from kv_search.store import SearchStore

unique_prefix = sys.modules["kv_search_tests_search_servers"].unique_prefix

Pykv = Callable[[str], AbstractAsyncContextManager[Any]]

VALUES: dict[str, dict[str, Any]] = {
    "alice": {"name": "Alice", "age": 30, "tags": ["a", "b"], "nested": {"ok": True}},
    "unicode-鍵": {"text": "héllo wörld ✓", "n": None, "f": 1.5},
    "with::colons": {"v": 1, "big": 10**18},
}


def counting_store(store_type: type[SearchStore], url: str) -> tuple[SearchStore, list[Any]]:
    """A store of ``store_type`` whose requests are recorded (method, last path segment)."""
    calls: list[tuple[str, str]] = []
    engine = store_type.engine

    async def send(client: Any, request: Request) -> Reply:
        calls.append((request.method, request.path.rsplit("/", 1)[-1]))
        return await engine.send(client, request)

    counting = dataclasses.replace(engine, send=send)
    subclass: type[SearchStore] = type(
        f"Counting{store_type.__name__}", (store_type,), {"engine": counting}
    )
    return subclass.from_url(StoreURL.parse(url)), calls


def stopped(pid: int) -> bool:
    """Whether every thread of process ``pid`` is stopped (a signal is delivered
    asynchronously: ``kill`` returns before the threads stop)."""
    states = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            states.append((task / "stat").read_text().rsplit(")", 1)[1].split()[0])
    return bool(states) and all(state in ("T", "t") for state in states)


async def raw(store: SearchStore, method: str, path: str) -> tuple[int, Any]:
    """A request to the store's server through its transport, not its API."""
    return await store._send(method, path)


class SearchPluginChecks:
    """The checks; subclasses set the attributes below."""

    scheme: ClassVar[str]
    """The plugin's plain scheme (``elasticsearch``)."""
    store_type: ClassVar[type[SearchStore]]
    hooks: ClassVar[object]
    value_field: ClassVar[str]
    client_modules: ClassVar[tuple[str, ...]]
    """Modules the declaration must not import (the client library)."""

    def kv_creates_index(self, search_server: Any) -> bool:
        """Whether kv creates the index py-key-value's compatibility test writes to
        (else py-key-value creates it, with its own mapping)."""
        return False

    @pytest.fixture
    def anyio_backend(self) -> str:
        """The client libraries are asyncio libraries."""
        return "asyncio"

    @pytest.fixture
    async def store(self, search_server: Any) -> AsyncIterator[SearchStore]:
        store = kv.connect(search_server.url())
        assert isinstance(store, self.store_type)
        yield store
        await store.destroy()
        await store.close()

    # --- declaration ------------------------------------------------------------------

    def test_conformance_hooks_are_registered(self) -> None:
        assert hooks_for_scheme(self.scheme) is self.hooks
        assert schemes_of_store_type(self.store_type) == (self.scheme, f"{self.scheme}+https")

    def test_plugin_module_is_light(self) -> None:
        modules = (f"kv_{self.scheme}.store", "kv_search.store", *self.client_modules)
        code = textwrap.dedent(
            f"""
            import sys
            import kv_{self.scheme}.plugin
            from kv import registry
            registry.resolve("{self.scheme}")
            registry.resolve("{self.scheme}+https")
            registry.plugins()
            print(",".join(sorted(name for name in {modules!r} if name in sys.modules)))
            """
        )
        result = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
        )
        assert result.stdout.strip() == ""

    # --- options and URLs -------------------------------------------------------------

    def test_url_forms(self) -> None:
        store = kv.connect(f"{self.scheme}+https://kv:s3cret-pw@h1:9201,h2:9202/app?refresh=true")
        assert isinstance(store, self.store_type)
        assert store._connection.nodes == ("https://h1:9201", "https://h2:9202")
        assert store.index_prefix == "app"
        assert store._write_params == {"refresh": "true"}
        assert store._connection.headers["authorization"].startswith("Basic ")
        for shown in (repr(store), str(store), repr(store.options), repr(store._connection)):
            assert "s3cret-pw" not in shown
        plain = kv.connect(f"{self.scheme}://localhost?api_key=k3y-secret")
        assert isinstance(plain, self.store_type)
        assert plain._connection.nodes == ("http://localhost:9200",)
        assert plain._connection.headers["authorization"] == "ApiKey k3y-secret"
        assert plain.index_prefix == self.store_type.engine.default_prefix
        assert "k3y-secret" not in repr(plain) + repr(plain.options)

    @pytest.mark.parametrize("prefix", ["Upper", "a-b", "_x", "x" * 101])
    def test_bad_index_prefix_is_refused(self, prefix: str) -> None:
        with pytest.raises(InvalidOptionError, match="index_prefix"):
            kv.connect(f"{self.scheme}://localhost", index_prefix=prefix)

    # --- layout and names -------------------------------------------------------------

    @pytest.mark.anyio
    async def test_document_layout_is_py_key_values(self, store: SearchStore) -> None:
        await store.put("alice", {"name": "Alice"}, collection="users", ttl=600)
        await store.put("bob", {"name": "Bob"}, collection="users")
        index = f"{store.index_prefix}-users"
        status, body = await raw(store, "GET", f"/{index}/_doc/alice")
        assert status == 200
        source = body["_source"]
        assert set(source) == {"collection", "key", "value", "created_at", "expires_at", "version"}
        assert source["value"] == {self.value_field: {"name": "Alice"}}
        assert (source["collection"], source["key"], source["version"]) == ("users", "alice", 1)
        status, body = await raw(store, "GET", f"/{index}/_doc/bob")
        assert "expires_at" not in body["_source"]

    @pytest.mark.anyio
    async def test_case_and_odd_collections_get_their_own_indices(self, store: SearchStore) -> None:
        names = ["A", "a", "a.b", "a b", "Ünï", "x" * 300]
        for number, name in enumerate(names):
            await store.put("k", {"n": number}, collection=name)
        indices = {encode_collection(store.index_prefix, name) for name in names}
        assert len(indices) == len(names)
        assert all(index == index.lower() and len(index) <= 255 for index in indices)
        for number, name in enumerate(names):
            assert await store.get("k", collection=name) == {"n": number}
        assert sorted(await store.collections()) == sorted(names)
        assert store.collection_of_index(encode_collection(store.index_prefix, "Ünï")) == "Ünï"
        assert store.collection_of_index(encode_collection(store.index_prefix, "x" * 300)) is None

    @pytest.mark.anyio
    async def test_long_and_tilde_keys_keep_their_names(self, store: SearchStore) -> None:
        keys = ["k" * 600, "~" + "0" * 63, "~x", ".", ".."]
        assert len({document_id(key) for key in keys}) == len(keys)
        await store.put_many(keys, [{"i": i} for i in range(len(keys))], collection="c")
        assert await store.get_many(keys, collection="c") == [{"i": i} for i in range(len(keys))]
        assert sorted(await store.keys("c")) == sorted(keys)

    # --- native batches and expiry ----------------------------------------------------

    @pytest.mark.anyio
    async def test_bulk_calls_are_native(self, search_server: Any) -> None:
        store, calls = counting_store(
            self.store_type, search_server.url(query="sweep_interval=none")
        )
        try:
            keys = [f"key-{i}" for i in range(2500)]
            await store.put_many(keys, [{"i": i} for i in range(2500)], collection="c")
            assert calls == [("PUT", f"{store.index_prefix}-c")] + [("POST", "_bulk")] * 3, calls
            calls.clear()
            values = await store.get_many(keys[:50], collection="c")
            assert values == [{"i": i} for i in range(50)]
            assert calls == [("POST", "_mget")]
            calls.clear()
            assert await store.delete_many([*keys[:100], "missing"], collection="c") == 100
            assert calls == [("POST", "_mget"), ("POST", "_bulk")]
        finally:
            await store.destroy()
            await store.close()

    @pytest.mark.anyio
    async def test_cull_deletes_expired_documents_from_the_engine(self, store: SearchStore) -> None:
        await store.put("short", {"v": 1}, collection="c", ttl=0.2)
        await store.put("long", {"v": 2}, collection="c", ttl=600)
        await store.put("forever", {"v": 3}, collection="other")
        deadline = time.monotonic() + 30
        while await store.get("short", collection="c") is not None:
            assert time.monotonic() < deadline
            await anyio_sleep(0.05)
        assert await store.cull() == 1
        status, _ = await raw(store, "GET", f"/{store.index_prefix}-c/_doc/short")
        assert status == 404
        assert await store.get("long", collection="c") == {"v": 2}
        assert await store.get("forever", collection="other") == {"v": 3}
        assert await store.cull() == 0

    @pytest.mark.anyio
    async def test_refresh_policies(self, search_server: Any) -> None:
        prefix = unique_prefix()
        store, calls = counting_store(
            self.store_type, search_server.url(prefix, "refresh=wait_for&sweep_interval=none")
        )
        try:
            await store.put("k", {"v": 1})
            assert await store.keys() == ["k"]  # the write waited for a refresh: none here
            assert calls == [
                ("PUT", f"{prefix}-default_collection"),
                ("PUT", "k"),
                ("POST", "_search"),
            ]
        finally:
            await store.destroy()
            await store.close()

    @pytest.mark.anyio
    async def test_without_auto_create_an_existing_index_is_used(self, store: SearchStore) -> None:
        await store.put("k", {"v": 1}, collection="made")
        other = self.store_type(dataclasses.replace(store.options, auto_create=False))
        try:
            await other.put("k2", {"v": 2}, collection="made")
            assert await other.get_many(["k", "k2"], collection="made") == [{"v": 1}, {"v": 2}]
        finally:
            await other.close()

    @pytest.mark.anyio
    async def test_without_auto_create_a_missing_index_is_a_setup_error(
        self, search_server: Any
    ) -> None:
        store = kv.connect(search_server.url(), auto_create=False)
        try:
            assert await store.get("k", collection="nope") is None
            with pytest.raises(StoreSetupError, match="auto_create"):
                await store.put("k", {"v": 1}, collection="nope")
        finally:
            await store.close()

    # --- py-key-value ------------------------------------------------------------------

    @pytest.mark.anyio
    @pytest.mark.filterwarnings("ignore:A configured store is unstable:UserWarning")
    async def test_reads_what_py_key_value_wrote_and_back(
        self, store: SearchStore, pykv: Pykv, search_server: Any
    ) -> None:
        seeded = self.kv_creates_index(search_server)
        if seeded:  # kv's index (and mapping), which py-key-value then writes to
            await store.put("seed", {"v": 0}, collection="users")
        async with pykv(store.index_prefix) as theirs:
            for key, value in VALUES.items():
                await theirs.put(key, value, collection="users", ttl=600)
            await theirs.put("forever", {"v": 1}, collection="users")
            for key, value in VALUES.items():
                found, ttl = await store.ttl(key, collection="users")
                assert found == value
                assert ttl is not None
                assert 590 < ttl <= 600
            assert await store.ttl("forever", collection="users") == ({"v": 1}, None)
            seeds = ["seed"] if seeded else []
            assert sorted(await store.keys("users")) == sorted([*VALUES, "forever", *seeds])
            assert await store.collections() == ["users"]
            await store.put("from-kv", {"x": [1, 2]}, collection="users", ttl=600)
            assert await theirs.get("from-kv", collection="users") == {"x": [1, 2]}
            for seed in seeds:
                assert await theirs.get(seed, collection="users") == {"v": 0}
            assert await store.delete("alice", collection="users")
            assert await theirs.get("alice", collection="users") is None

    # --- faults and secrets ------------------------------------------------------------

    @pytest.mark.anyio
    async def test_recovers_when_the_server_is_killed_or_stopped(self, search_server: Any) -> None:
        process = search_server.process
        if process is None:
            pytest.skip("a real server named by the environment: no process to stop")
        store = kv.connect(search_server.url(), command_timeout=5)
        assert isinstance(store, self.store_type)
        try:
            for down in (process.kill, process.stop):
                await store.put("k", {"v": 1})
                down()
                with pytest.raises(StoreConnectionError) as caught:
                    await store.get("k")
                assert "Elastic" in str(caught.value) or "OpenSearch" in str(caught.value)
                process.start()  # an emulator in memory: it comes back empty
                deadline = time.monotonic() + 60
                while True:
                    try:
                        await store.put("k", {"v": 2})
                        break
                    except StoreConnectionError:
                        assert time.monotonic() < deadline
                        await anyio_sleep(0.1)
                assert await store.get("k") == {"v": 2}
                assert await store.keys() == ["k"]
        finally:
            if not process.running:
                process.start()
            await store.close()

    @pytest.mark.anyio
    async def test_a_server_that_hangs_is_a_timeout(self, search_server: Any) -> None:
        process = search_server.process
        if process is None:
            pytest.skip("a real server named by the environment: no process to pause")
        store = kv.connect(search_server.url(), command_timeout=0.5)
        try:
            await store.put("k", {"v": 1})
            os.kill(process.pid, signal.SIGSTOP)  # our own child, by its process ID
            try:
                wait_until(lambda: stopped(process.pid), timeout=30, what="the emulator to stop")
                with pytest.raises(StoreTimeoutError):
                    await store.get("k")
            finally:
                os.kill(process.pid, signal.SIGCONT)
            assert await store.get("k") == {"v": 1}
        finally:
            await store.close()

    @pytest.mark.anyio
    async def test_unreachable_server_is_a_connection_error_without_secrets(self) -> None:
        port = free_port()
        store = kv.connect(f"{self.scheme}://kv:p4ss-w0rd@127.0.0.1:{port}", command_timeout=5)
        try:
            with pytest.raises(StoreConnectionError) as caught:
                await store.get("k")
            assert "p4ss-w0rd" not in str(caught.value)
            assert "p4ss-w0rd" not in repr(caught.value)
        finally:
            await store.close()


async def anyio_sleep(seconds: float) -> None:
    import anyio

    await anyio.sleep(seconds)
