"""The ``atomic`` capability: conditional writes that are one step of the backend.

A store declaring ``atomic`` must pass these tests, and they fail a store
that emulates the operations with a read followed by a write: many tasks
claim one key with ``put_if_absent`` at once and exactly one may win, many
tasks increment one counter with :func:`kv.atomic.update` and no increment
may be lost, and (for a store that several processes share) two OS
processes claim the same keys and each key has exactly one winner.

Class attributes tune the load for slow backends: ``atomic_claimers``,
``atomic_updaters``, ``atomic_increments``, ``atomic_process_keys``, and
``shared_between_processes`` (default: the store is ``persistent``; set it
to ``False`` for an engine that one process opens at a time, whose lock
already keeps a second process out, and to ``True`` for a server store that
is not persistent, such as memcached).
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, cast

import anyio
import anyio.to_thread
import pytest

import kv
from kv.atomic import AtomicKeyValue, Versioned, update
from kv_conformance.concurrency import gather_all
from kv_conformance.support import Miss, capabilities_of, eventually, need

__all__ = ["AtomicTests", "claim_command"]

_SPEC_VARIABLE = "KV_CONFORMANCE_CLAIM"


def _atomic(store: kv.AsyncKeyValue) -> AtomicKeyValue:
    need(store, "atomic")
    return cast(AtomicKeyValue, store)


class AtomicTests:
    """put_if_absent, get_versioned, put_if_version, delete_if_version and update."""

    atomic_claimers: int = 50
    """Tasks that claim one key with ``put_if_absent`` at once."""
    atomic_updaters: int = 20
    """Tasks that increment one counter at once."""
    atomic_increments: int = 10
    """Increments each of those tasks makes."""
    atomic_process_keys: int = 200
    """Keys two processes both try to claim."""
    shared_between_processes: bool | None = None
    """Whether two processes can use the store's location at once (default:
    the store is ``persistent``)."""

    # --- put_if_absent -------------------------------------------------------------

    async def test_put_if_absent_writes_only_once(self, store: kv.AsyncKeyValue) -> None:
        atomic = _atomic(store)
        assert await atomic.put_if_absent("k", {"v": 1}, collection="c") is True
        assert await atomic.put_if_absent("k", {"v": 2}, collection="c") is False
        assert await store.get("k", collection="c") == {"v": 1}
        assert await atomic.put_if_absent("k", {"v": 3}, collection="other") is True
        assert await store.get("k", collection="c") == {"v": 1}

    async def test_put_if_absent_over_a_plain_put_is_refused(self, store: kv.AsyncKeyValue) -> None:
        atomic = _atomic(store)
        await store.put("k", {"v": 1}, collection="c")
        assert await atomic.put_if_absent("k", {"v": 2}, collection="c") is False
        assert await store.get("k", collection="c") == {"v": 1}

    async def test_put_if_absent_applies_its_ttl(self, store: kv.AsyncKeyValue) -> None:
        atomic = _atomic(store)
        assert await atomic.put_if_absent("k", {"v": 1}, collection="c", ttl=100)
        value, remaining = await store.ttl("k", collection="c")
        assert value == {"v": 1}
        assert remaining is not None
        assert 90 <= remaining <= 100
        assert await atomic.put_if_absent("plain", {"v": 1}, collection="c")
        assert await store.ttl("plain", collection="c") == ({"v": 1}, None)

    async def test_an_expired_entry_counts_as_absent(
        self, store: kv.AsyncKeyValue, miss: Miss
    ) -> None:
        atomic = _atomic(store)
        await store.put("k", {"v": "old"}, collection="c", ttl=0.5)
        old = await atomic.get_versioned("k", collection="c")

        async def expired() -> bool:
            return await store.get("k", collection="c") == miss.value

        assert await eventually(expired, within=30)
        assert await atomic.get_versioned("k", collection="c") is None
        if old is not None:
            assert (
                await atomic.put_if_version("k", {"v": "x"}, old.version, collection="c") is False
            )
            assert await atomic.delete_if_version("k", old.version, collection="c") is False
        assert await atomic.put_if_absent("k", {"v": "new"}, collection="c") is True
        assert await store.ttl("k", collection="c") == ({"v": "new"}, None)

    async def test_many_tasks_claim_one_key_and_exactly_one_wins(
        self, store: kv.AsyncKeyValue
    ) -> None:
        atomic = _atomic(store)
        claims = [
            (lambda i=i: atomic.put_if_absent("claimed", {"by": i}, collection="c"))
            for i in range(self.atomic_claimers)
        ]
        results = await gather_all(claims)
        winners = [i for i, won in enumerate(results) if won]
        assert len(winners) == 1, f"{len(winners)} of {len(results)} claims won: {winners[:10]}"
        assert await store.get("claimed", collection="c") == {"by": winners[0]}

    # --- versions ------------------------------------------------------------------

    async def test_get_versioned_returns_value_ttl_and_version(
        self, store: kv.AsyncKeyValue
    ) -> None:
        atomic = _atomic(store)
        assert await atomic.get_versioned("k", collection="c") is None
        await store.put("k", {"v": 1}, collection="c")
        found = await atomic.get_versioned("k", collection="c")
        assert isinstance(found, Versioned)
        assert (found.value, found.ttl) == ({"v": 1}, None)
        assert isinstance(found.version, str)
        assert found.version
        await store.put("t", {"v": 2}, collection="c", ttl=100)
        timed = await atomic.get_versioned("t", collection="c")
        assert timed is not None
        assert timed.value == {"v": 2}
        assert timed.ttl is not None
        assert 90 <= timed.ttl <= 100
        again = await atomic.get_versioned("k", collection="c")
        assert again is not None
        assert again.version == found.version, "a read must not change the version"

    async def test_put_if_version_writes_with_the_current_version_only(
        self, store: kv.AsyncKeyValue
    ) -> None:
        atomic = _atomic(store)
        await store.put("k", {"v": 1}, collection="c")
        first = await atomic.get_versioned("k", collection="c")
        assert first is not None
        assert await atomic.put_if_version("k", {"v": 2}, first.version, collection="c", ttl=100)
        second = await atomic.get_versioned("k", collection="c")
        assert second is not None
        assert second.value == {"v": 2}
        assert second.ttl is not None
        assert 90 <= second.ttl <= 100
        assert second.version != first.version
        assert not await atomic.put_if_version("k", {"v": 3}, first.version, collection="c")
        assert await store.get("k", collection="c") == {"v": 2}
        assert await atomic.put_if_version("k", {"v": 3}, second.version, collection="c")
        assert await store.ttl("k", collection="c") == ({"v": 3}, None)

    async def test_a_version_from_before_any_write_is_refused(
        self, store: kv.AsyncKeyValue
    ) -> None:
        atomic = _atomic(store)
        writes: dict[str, Callable[[], Awaitable[None]]] = {
            "put of the same value": lambda: store.put("k", {"v": 1}, collection="c"),
            "put_many": lambda: store.put_many(["k"], [{"v": 1}], collection="c"),
            "put with a TTL": lambda: store.put("k", {"v": 1}, collection="c", ttl=100),
            "delete and put": lambda: _delete_and_put(store),
        }
        for name, write in writes.items():
            await store.put("k", {"v": 1}, collection="c")
            before = await atomic.get_versioned("k", collection="c")
            assert before is not None
            await write()
            after = await atomic.get_versioned("k", collection="c")
            assert after is not None
            assert after.version != before.version, f"the version survived a {name}"
            assert not await atomic.put_if_version("k", {"v": 9}, before.version, collection="c")
            assert not await atomic.delete_if_version("k", before.version, collection="c")
            assert await store.get("k", collection="c") == {"v": 1}, name

    async def test_delete_if_version(self, store: kv.AsyncKeyValue, miss: Miss) -> None:
        atomic = _atomic(store)
        await store.put("k", {"v": 1}, collection="c")
        found = await atomic.get_versioned("k", collection="c")
        assert found is not None
        assert await atomic.delete_if_version("k", found.version, collection="c") is True
        assert await store.get("k", collection="c") == miss.value
        assert await atomic.delete_if_version("k", found.version, collection="c") is False
        assert await atomic.get_versioned("k", collection="c") is None

    async def test_a_made_up_version_changes_nothing(
        self, store: kv.AsyncKeyValue, miss: Miss
    ) -> None:
        atomic = _atomic(store)
        for version in ("0", "1", "x", "0" * 40, "-1"):
            assert not await atomic.put_if_version("absent", {"v": 1}, version, collection="c")
        assert await store.get("absent", collection="c") == miss.value
        await store.put("k", {"v": 1}, collection="c")
        for version in ("0", "1", "x", "0" * 40, "-1"):
            assert not await atomic.put_if_version("k", {"v": 2}, version, collection="c")
            assert not await atomic.delete_if_version("k", version, collection="c")
        assert await store.get("k", collection="c") == {"v": 1}

    async def test_bad_input_is_refused_and_nothing_written(
        self, store: kv.AsyncKeyValue, miss: Miss
    ) -> None:
        atomic = _atomic(store)
        await store.put("k", {"v": 1}, collection="c")
        found = await atomic.get_versioned("k", collection="c")
        assert found is not None
        with pytest.raises(kv.InvalidTTLError):
            await atomic.put_if_absent("new", {"v": 1}, collection="c", ttl=-1)
        with pytest.raises(kv.InvalidTTLError):
            await atomic.put_if_version("k", {"v": 2}, found.version, collection="c", ttl=0)
        with pytest.raises(kv.SerializationError):
            await atomic.put_if_absent("new", {"v": float("nan")}, collection="c")
        with pytest.raises(kv.SerializationError):
            await atomic.put_if_version("k", {"v": {1, 2}}, found.version, collection="c")
        with pytest.raises(kv.InvalidKeyError):
            await atomic.put_if_absent("", {"v": 1}, collection="c")
        with pytest.raises(TypeError):
            await atomic.put_if_version("k", {"v": 2}, 7, collection="c")  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            await atomic.delete_if_version("k", None, collection="c")  # type: ignore[arg-type]
        assert await store.get("new", collection="c") == miss.value
        assert await store.get("k", collection="c") == {"v": 1}
        still = await atomic.get_versioned("k", collection="c")
        assert still is not None
        assert still.version == found.version

    # --- update --------------------------------------------------------------------

    async def test_concurrent_updates_lose_no_increment(self, store: kv.AsyncKeyValue) -> None:
        atomic = _atomic(store)

        def increment(old: dict[str, Any] | None) -> dict[str, Any]:
            return {"n": (old or {"n": 0})["n"] + 1}

        async def updater() -> None:
            for _ in range(self.atomic_increments):
                await update(atomic, "counter", increment, collection="c", attempts=10_000)

        await gather_all([updater for _ in range(self.atomic_updaters)])
        expected = self.atomic_updaters * self.atomic_increments
        assert await store.get("counter", collection="c") == {"n": expected}

    async def test_update_writes_with_its_ttl_and_deletes_on_none(
        self, store: kv.AsyncKeyValue, miss: Miss
    ) -> None:
        atomic = _atomic(store)
        assert await update(atomic, "k", lambda old: None, collection="c") is None
        assert await store.get("k", collection="c") == miss.value
        written = await update(atomic, "k", lambda old: {"seen": old}, collection="c", ttl=100)
        assert written == {"seen": None}
        value, remaining = await store.ttl("k", collection="c")
        assert value == {"seen": None}
        assert remaining is not None
        assert 90 <= remaining <= 100
        assert await update(atomic, "k", lambda old: None, collection="c") is None
        assert await store.get("k", collection="c") == miss.value

    # --- two processes -------------------------------------------------------------

    async def test_two_processes_claim_each_key_exactly_once(self, store: kv.AsyncKeyValue) -> None:
        atomic = _atomic(store)
        shared = self.shared_between_processes
        if shared is None:
            shared = capabilities_of(store).persistent
        if not shared:
            pytest.skip("two processes cannot use this store's location at once")
        command, environment = _child(store, self.atomic_process_keys)
        keys = [f"claim-{i:04d}" for i in range(self.atomic_process_keys)]
        child = await anyio.to_thread.run_sync(
            lambda: subprocess.Popen(  # noqa: S603 - this Python, this package's module
                command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=environment,
                text=True,
            )
        )
        try:
            assert child.stdin is not None
            assert child.stdout is not None
            ready = await anyio.to_thread.run_sync(child.stdout.readline)
            if ready.strip() != "ready":
                _, errors = child.communicate(timeout=60)
                pytest.fail(f"the claiming process did not start: {ready!r} {errors[-2000:]}")
            child.stdin.write("go\n")
            child.stdin.flush()
            mine = [
                key
                for key in keys
                if await atomic.put_if_absent(key, {"by": "parent"}, collection="claims")
            ]
            output, errors = await anyio.to_thread.run_sync(lambda: child.communicate(timeout=300))
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
        assert child.returncode == 0, errors[-2000:]
        theirs = json.loads(output.strip().splitlines()[-1])
        assert sorted(mine + theirs) == keys, "some key was claimed twice or not at all"
        stored = await store.get_many(keys, collection="claims")
        owners = {key: "parent" if key in mine else "child" for key in keys}
        assert stored == [{"by": owners[key]} for key in keys]


async def _delete_and_put(store: kv.AsyncKeyValue) -> None:
    await store.delete("k", collection="c")
    await store.put("k", {"v": 1}, collection="c")


def _child(store: kv.AsyncKeyValue, count: int) -> tuple[list[str], dict[str, str]]:
    """The command and environment of a process that builds ``store``'s twin."""
    options = getattr(store, "options", None)
    if options is None or not dataclasses.is_dataclass(options):
        pytest.skip("the store has no options to build it again in another process")
    # Only what differs from the defaults: the twin is built from keywords.
    fields = {
        field.name: getattr(options, field.name)
        for field in dataclasses.fields(options)
        if field.default is dataclasses.MISSING or getattr(options, field.name) != field.default
    }
    try:
        encoded = json.dumps(fields, default=_json_default)
    except TypeError as error:
        pytest.skip(f"the store's options cannot cross to another process: {error}")
    store_type = type(store)
    spec = {
        "store": f"{store_type.__module__}:{store_type.__qualname__}",
        "options": json.loads(encoded),
        "count": count,
    }
    # The spec travels in the environment, not the command line (it may hold a password).
    environment = {**os.environ, _SPEC_VARIABLE: json.dumps(spec)}
    return claim_command(), environment


def _json_default(value: object) -> object:
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def claim_command() -> list[str]:
    """The command of a claiming process (its spec comes from the environment)."""
    return [sys.executable, "-m", "kv_conformance.atomic"]


async def _claim() -> None:
    import importlib

    spec = json.loads(os.environ[_SPEC_VARIABLE])
    module_name, _, class_name = spec["store"].partition(":")
    store_type = getattr(importlib.import_module(module_name), class_name)
    store = store_type(**spec["options"])
    try:
        await store.setup()
        print("ready", flush=True)
        await anyio.to_thread.run_sync(sys.stdin.readline)
        won = [
            key
            for key in (f"claim-{i:04d}" for i in range(spec["count"]))
            if await store.put_if_absent(key, {"by": "child"}, collection="claims")
        ]
        print(json.dumps(won), flush=True)
    finally:
        await store.close()


if __name__ == "__main__":
    anyio.run(_claim)
