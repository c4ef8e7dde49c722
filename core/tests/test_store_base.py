"""What BaseStore does for every plugin: errors, lifecycle, capability checks."""

from __future__ import annotations

from collections.abc import Sequence

import anyio
import pytest

import kv
from kv.capabilities import Capabilities
from kv.entry import StoredEntry
from kv.errors import StoreConnectionError, StoreError, StoreSetupError, StoreTimeoutError
from kv.store import BaseStore, EnumerateKeysMixin

pytestmark = pytest.mark.anyio


class ScriptedStore(BaseStore):
    """A store whose hooks raise what the test tells them to."""

    store_name = "scripted"

    def __init__(self, *, fail_with: Exception | None = None, fail_open: Exception | None = None):
        super().__init__()
        self.fail_with = fail_with
        self.fail_open = fail_open
        self.opened = 0
        self.closed = 0
        self.data: dict[tuple[str, str], StoredEntry] = {}

    async def _open(self) -> None:
        await anyio.sleep(0.01)
        self.opened += 1
        if self.fail_open is not None:
            raise self.fail_open

    async def _close(self) -> None:
        self.closed += 1

    async def _get_entry(self, collection: str, key: str) -> StoredEntry | None:
        if self.fail_with is not None:
            raise self.fail_with
        return self.data.get((collection, key))

    async def _put_entry(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None
    ) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.data[(collection, key)] = entry

    async def _delete_entry(self, collection: str, key: str) -> bool:
        return self.data.pop((collection, key), None) is not None


async def test_setup_is_lazy_and_happens_once_under_concurrency() -> None:
    store = ScriptedStore()
    assert store.opened == 0
    async with anyio.create_task_group() as group:
        for i in range(20):
            group.start_soon(store.put, f"k{i}", {"i": i})
    assert store.opened == 1


async def test_close_is_idempotent_and_store_reopens() -> None:
    store = ScriptedStore()
    await store.close()
    assert store.closed == 0, "closing a store never opened does nothing"
    async with store:
        await store.put("k", {})
    assert store.closed == 1
    await store.close()
    assert store.closed == 1
    assert await store.get("k") == {}
    assert store.opened == 2


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (ConnectionRefusedError("refused"), StoreConnectionError),
        (ConnectionResetError("reset"), StoreConnectionError),
        (TimeoutError("slow"), StoreTimeoutError),
        (OSError("disk on fire"), StoreError),
        (RuntimeError("client bug"), StoreError),
    ],
)
async def test_backend_exceptions_become_kv_errors_with_context(
    raised: Exception, expected: type[Exception]
) -> None:
    store = ScriptedStore(fail_with=raised)
    with pytest.raises(expected) as caught:
        await store.get("the-key", collection="the-collection")
    error = caught.value
    assert isinstance(error, kv.KeyValueError)
    assert error.key == "the-key"
    assert error.collection == "the-collection"
    assert error.store == "scripted"
    assert "the-key" in str(error)
    assert error.__cause__ is raised
    with pytest.raises(expected):
        await store.put("k", {})


async def test_connection_error_is_also_a_builtin_connection_error() -> None:
    store = ScriptedStore(fail_with=ConnectionRefusedError("refused"))
    with pytest.raises(ConnectionError):
        await store.get("k")


async def test_setup_failure_is_a_setup_error() -> None:
    store = ScriptedStore(fail_open=ValueError("bad config"))
    with pytest.raises(StoreSetupError, match="bad config"):
        await store.get("k")
    store.fail_open = None
    assert await store.get("k") is None, "a later call retries the setup"


async def test_setup_connection_failure_stays_a_connection_error() -> None:
    store = ScriptedStore(fail_open=ConnectionRefusedError("no server"))
    with pytest.raises(StoreConnectionError):
        await store.get("k")


async def test_translate_error_hook() -> None:
    class ClientDown(Exception):
        pass

    class Translating(ScriptedStore):
        def _translate_error(self, error: Exception) -> kv.KeyValueError | None:
            if isinstance(error, ClientDown):
                return StoreConnectionError("the client says the server is down")
            return None

    with pytest.raises(StoreConnectionError, match="server is down"):
        await Translating(fail_with=ClientDown()).get("k")


def test_capability_without_method_is_refused_at_class_definition() -> None:
    with pytest.raises(TypeError, match="declares capability 'enumerate_keys'"):

        class Liar(BaseStore):
            capabilities = Capabilities(enumerate_keys=True)


def test_method_without_capability_is_refused_at_class_definition() -> None:
    with pytest.raises(TypeError, match="does not declare capability 'enumerate_keys'"):

        class Shy(EnumerateKeysMixin, BaseStore):
            capabilities = Capabilities()


async def test_default_bulk_loops_keep_order() -> None:
    store = ScriptedStore()
    await store.put_many(["b", "a"], [{"v": "b"}, {"v": "a"}])
    assert await store.get_many(["a", "missing", "b"]) == [{"v": "a"}, None, {"v": "b"}]


async def test_backend_returning_wrong_number_of_results() -> None:
    class Short(ScriptedStore):
        async def _get_entries(
            self, collection: str, keys: Sequence[str]
        ) -> Sequence[StoredEntry | None]:
            return []

    with pytest.raises(StoreError, match="returned 0 results for 2 keys"):
        await Short().get_many(["a", "b"])


def test_invalid_default_collection() -> None:
    with pytest.raises(kv.InvalidOptionError, match="default_collection"):
        kv.MemoryStore(default_collection="")


async def test_one_decoded_entry_for_duplicate_keys_gives_separate_copies() -> None:
    from kv.entry import decode_document, encode_document

    class SharesEntries(ScriptedStore):
        async def _get_entries(
            self, collection: str, keys: Sequence[str]
        ) -> Sequence[StoredEntry | None]:
            document = encode_document(StoredEntry('{"l":[1]}', 1.0, None), collection="c", key="k")
            shared = decode_document(document)
            return [shared for _ in keys]

    store = SharesEntries()
    first, second = await store.get_many(["k", "k"])
    assert first is not None
    assert second is not None
    first["l"].append(2)
    assert second == {"l": [1]}
    (one, _), (two, _) = await store.ttl_many(["k", "k"])
    assert one is not two


async def test_separate_entries_sharing_one_decoded_value_give_separate_copies() -> None:
    class SharesValues(ScriptedStore):
        async def _get_entries(
            self, collection: str, keys: Sequence[str]
        ) -> Sequence[StoredEntry | None]:
            value = {"l": [1]}
            return [StoredEntry('{"l":[1]}', 1.0, None, value) for _ in keys]

    first, second = await SharesValues().get_many(["k", "k"])
    assert first is not None
    assert second is not None
    first["l"].append(2)
    assert second == {"l": [1]}


async def test_a_store_that_writes_only_bulk_hooks_serves_single_calls() -> None:
    """The single-key hooks call the bulk ones when only those are written."""

    from kv.store import BaseStore

    class BulkOnly(BaseStore):
        def __init__(self) -> None:
            super().__init__()
            self.rows: dict[tuple[str, str], StoredEntry] = {}
            self.calls: list[str] = []

        async def _get_entries(
            self, collection: str, keys: Sequence[str]
        ) -> Sequence[StoredEntry | None]:
            self.calls.append("get_entries")
            return [self.rows.get((collection, key)) for key in keys]

        async def _put_entries(
            self,
            collection: str,
            keys: Sequence[str],
            entries: Sequence[StoredEntry],
            ttl: float | None,
        ) -> None:
            self.calls.append("put_entries")
            for key, entry in zip(keys, entries):
                self.rows[(collection, key)] = entry

        async def _delete_entries(self, collection: str, keys: Sequence[str]) -> int:
            self.calls.append("delete_entries")
            return sum(self.rows.pop((collection, key), None) is not None for key in keys)

    store = BulkOnly()
    await store.put("k", {"v": 1})
    assert await store.get("k") == {"v": 1}
    assert await store.delete("k") is True
    assert await store.delete("k") is False
    assert store.calls == ["put_entries", "get_entries", "delete_entries", "delete_entries"]
