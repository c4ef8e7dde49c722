"""The ``atomic`` capability through each wrapper: declared exactly when offered,
and what each wrapper does to the conditional writes (the suite's atomic
section runs in each wrapper's own test module)."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable, Mapping
from typing import Any, SupportsFloat, cast

import anyio
import pytest
from cryptography.fernet import Fernet

import kv
from kv.atomic import AtomicKeyValue, update
from kv.stores.memory import MemoryStore
from kv_wrappers import (
    BaseWrapper,
    CollectionRoutingWrapper,
    CompressionWrapper,
    DefaultValueWrapper,
    FallbackWrapper,
    FernetEncryptionWrapper,
    LimitSizeWrapper,
    LoggingWrapper,
    PassthroughCacheWrapper,
    PrefixCollectionsWrapper,
    PrefixKeysWrapper,
    ReadOnlyWrapper,
    RetryWrapper,
    RoutingWrapper,
    SingleCollectionWrapper,
    StatisticsWrapper,
    TimeoutWrapper,
    TTLClampWrapper,
)

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _memory() -> MemoryStore:
    return cast(MemoryStore, kv.connect("memory://"))


def _null() -> kv.AsyncKeyValue:
    return kv.connect("null://")


def _atomic(store: object) -> AtomicKeyValue:
    assert isinstance(store, AtomicKeyValue)
    return store


Build = Callable[[kv.AsyncKeyValue], kv.AsyncKeyValue]

KEEPERS: dict[str, Build] = {
    "base": BaseWrapper,
    "prefix_keys": lambda inner: PrefixKeysWrapper(inner, prefix="p"),
    "prefix_collections": lambda inner: PrefixCollectionsWrapper(inner, prefix="p"),
    "single_collection": lambda inner: SingleCollectionWrapper(inner, single_collection="one"),
    "routing": lambda inner: RoutingWrapper(lambda c: None, inner, stores=[inner]),
    "collection_routing": lambda inner: CollectionRoutingWrapper({}, default_store=inner),
    "compression": CompressionWrapper,
    "encryption": lambda inner: FernetEncryptionWrapper(
        inner, fernet=Fernet(Fernet.generate_key())
    ),
    "limit_size": lambda inner: LimitSizeWrapper(inner, max_size=1000),
    "statistics": StatisticsWrapper,
    "logging": LoggingWrapper,
    "retry": RetryWrapper,
    "timeout": TimeoutWrapper,
    "ttl_clamp": lambda inner: TTLClampWrapper(inner, min_ttl=0, max_ttl=3600),
    "read_only": ReadOnlyWrapper,
    "passthrough_cache": lambda inner: PassthroughCacheWrapper(inner, _memory()),
}
"""Wrappers that keep the capability when the wrapped store has it."""

REFUSERS: dict[str, Build] = {
    "default_value": lambda inner: DefaultValueWrapper(inner, {"d": 1}),
    "fallback": lambda inner: FallbackWrapper(inner, _memory()),
    "routing without its stores": lambda inner: RoutingWrapper(lambda c: None, inner),
}
"""Wrappers that never offer it."""


# --- declared exactly when offered ------------------------------------------------------


@pytest.mark.parametrize("name", sorted(KEEPERS))
def test_a_wrapper_keeps_atomic_over_an_atomic_store(name: str) -> None:
    wrapper = KEEPERS[name](_memory())
    assert wrapper.capabilities.atomic  # type: ignore[attr-defined]
    assert isinstance(wrapper, AtomicKeyValue)
    for method in ("put_if_absent", "get_versioned", "put_if_version", "delete_if_version"):
        assert callable(getattr(wrapper, method))


@pytest.mark.parametrize("name", sorted(KEEPERS))
def test_a_wrapper_of_a_store_without_atomic_does_not_offer_it(name: str) -> None:
    wrapper = KEEPERS[name](_null())
    assert not wrapper.capabilities.atomic  # type: ignore[attr-defined]
    assert not isinstance(wrapper, AtomicKeyValue)
    assert not hasattr(wrapper, "put_if_absent")


@pytest.mark.parametrize("name", sorted(REFUSERS))
def test_some_wrappers_never_offer_atomic(name: str) -> None:
    wrapper = REFUSERS[name](_memory())
    assert not wrapper.capabilities.atomic  # type: ignore[attr-defined]
    assert not isinstance(wrapper, AtomicKeyValue)


def test_routing_offers_atomic_only_when_every_store_has_it() -> None:
    memory, null = _memory(), _null()
    mixed = CollectionRoutingWrapper({"n": null}, default_store=memory)
    assert not mixed.capabilities.atomic
    assert not isinstance(mixed, AtomicKeyValue)
    both = CollectionRoutingWrapper({"m": _memory()}, default_store=memory)
    assert both.capabilities.atomic
    assert isinstance(both, AtomicKeyValue)


def test_a_deep_stack_keeps_atomic() -> None:
    stack = StatisticsWrapper(
        LoggingWrapper(
            PrefixKeysWrapper(
                CompressionWrapper(FernetEncryptionWrapper(_memory(), fernet=Fernet(KEY))),
                prefix="t",
            )
        )
    )
    assert stack.capabilities.atomic
    assert isinstance(stack, AtomicKeyValue)
    assert not DefaultValueWrapper(stack, {}).capabilities.atomic


KEY = Fernet.generate_key()


# --- value transforms: encode, decode, the version unchanged ----------------------------------


async def test_encryption_stores_ciphertext_and_returns_the_inner_version() -> None:
    inner = _memory()
    store = FernetEncryptionWrapper(inner, fernet=Fernet(KEY))
    assert await _atomic(store).put_if_absent("k", {"secret": "s3cret"}, collection="c")
    stored = await inner.get("k", collection="c")
    assert stored is not None
    assert "s3cret" not in repr(stored)
    assert stored != {"secret": "s3cret"}
    found = await _atomic(store).get_versioned("k", collection="c")
    inner_found = await inner.get_versioned("k", collection="c")
    assert found is not None
    assert inner_found is not None
    assert found.value == {"secret": "s3cret"}
    assert found.version == inner_found.version
    assert await _atomic(store).put_if_version(
        "k", {"secret": "new"}, found.version, collection="c"
    )
    assert not await _atomic(store).put_if_version(
        "k", {"secret": "lost"}, found.version, collection="c"
    )
    assert await store.get("k", collection="c") == {"secret": "new"}
    again = await _atomic(store).get_versioned("k", collection="c")
    assert again is not None
    assert await _atomic(store).delete_if_version("k", again.version, collection="c")
    assert await inner.get("k", collection="c") is None


async def test_encryption_counter_with_update() -> None:
    store = FernetEncryptionWrapper(_memory(), fernet=Fernet(KEY))
    for _ in range(5):
        await update(_atomic(store), "n", lambda old: {"n": (old or {"n": 0})["n"] + 1})
    assert await store.get("n") == {"n": 5}


async def test_compression_compresses_conditional_writes() -> None:
    inner = _memory()
    store = CompressionWrapper(inner, min_size_to_compress=0)
    value = {"text": "x" * 500}
    assert await _atomic(store).put_if_absent("k", value)
    stored = await inner.get("k")
    assert stored is not None
    assert "text" not in stored
    found = await _atomic(store).get_versioned("k")
    inner_found = await inner.get_versioned("k")
    assert found is not None
    assert inner_found is not None
    assert (found.value, found.version) == (value, inner_found.version)


async def test_limit_size_refuses_or_drops_conditional_writes() -> None:
    inner = _memory()
    raising = LimitSizeWrapper(inner, max_size=20)
    with pytest.raises(kv.EntryTooLargeError) as refused:
        await _atomic(raising).put_if_absent("big", {"v": "x" * 100}, collection="c")
    assert refused.value.key == "big"
    assert refused.value.collection == "c"
    dropping = LimitSizeWrapper(inner, max_size=20, raise_on_too_large=False)
    assert not await _atomic(dropping).put_if_absent("big", {"v": "x" * 100}, collection="c")
    assert await inner.get("big", collection="c") is None
    assert await _atomic(dropping).put_if_absent("big", {"v": 1}, collection="c")
    found = await _atomic(dropping).get_versioned("big", collection="c")
    assert found is not None
    assert not await _atomic(dropping).put_if_version(
        "big", {"v": "x" * 100}, found.version, collection="c"
    )
    assert await inner.get("big", collection="c") == {"v": 1}
    with pytest.raises(kv.InvalidTTLError):
        await _atomic(dropping).put_if_absent("other", {"v": "x" * 100}, collection="c", ttl=-1)


# --- names -----------------------------------------------------------------------------------


async def test_prefix_keys_claims_the_prefixed_key() -> None:
    inner = _memory()
    one = PrefixKeysWrapper(inner, prefix="one")
    two = PrefixKeysWrapper(inner, prefix="two")
    assert await _atomic(one).put_if_absent("lock", {"by": 1}, collection="c")
    assert await _atomic(two).put_if_absent("lock", {"by": 2}, collection="c")
    assert not await _atomic(one).put_if_absent("lock", {"by": 3}, collection="c")
    assert sorted(await inner.keys("c")) == ["one__lock", "two__lock"]
    found = await _atomic(one).get_versioned("lock", collection="c")
    inner_found = await inner.get_versioned("one__lock", collection="c")
    assert found is not None
    assert inner_found is not None
    assert found == inner_found
    assert not await _atomic(two).delete_if_version("lock", found.version, collection="c")
    assert await _atomic(one).delete_if_version("lock", found.version, collection="c")


async def test_single_collection_errors_name_the_callers_names() -> None:
    store = SingleCollectionWrapper(_memory(), single_collection="one")
    with pytest.raises(kv.InvalidTTLError) as refused:
        await _atomic(store).put_if_absent("k", {}, collection="mine", ttl=-1)
    assert (refused.value.collection, refused.value.key) == ("mine", "k")


async def test_routing_sends_conditional_writes_to_the_collections_store() -> None:
    sessions, rest = _memory(), _memory()
    store = CollectionRoutingWrapper({"sessions": sessions}, default_store=rest)
    assert await _atomic(store).put_if_absent("s", {"v": 1}, collection="sessions")
    assert await sessions.get("s", collection="sessions") == {"v": 1}
    assert await rest.get("s", collection="sessions") is None
    found = await _atomic(store).get_versioned("s", collection="sessions")
    assert found is not None
    assert found == await sessions.get_versioned("s", collection="sessions")


# --- TTL ---------------------------------------------------------------------------------------


async def test_ttl_clamp_clamps_the_ttl_of_conditional_writes() -> None:
    inner = _memory()
    store = TTLClampWrapper(inner, min_ttl=10, max_ttl=100, missing_ttl=50)
    assert await _atomic(store).put_if_absent("long", {}, ttl=10_000)
    assert await _atomic(store).put_if_absent("none", {})
    long = (await inner.ttl("long"))[1]
    none = (await inner.ttl("none"))[1]
    assert long is not None
    assert 99 < long <= 100
    assert none is not None
    assert 49 < none <= 50
    found = await _atomic(store).get_versioned("long")
    assert found is not None
    assert await _atomic(store).put_if_version("long", {"v": 2}, found.version, ttl=1)
    short = (await inner.ttl("long"))[1]
    assert short is not None
    assert 9 < short <= 10
    with pytest.raises(kv.InvalidTTLError):
        await _atomic(store).put_if_absent("bad", {}, ttl=-1)


# --- read-only -----------------------------------------------------------------------------------


async def test_read_only_reads_versions_and_refuses_conditional_writes() -> None:
    inner = _memory()
    await inner.put("k", {"v": 1}, collection="c")
    store = ReadOnlyWrapper(inner)
    assert store.capabilities.read_only
    found = await _atomic(store).get_versioned("k", collection="c")
    assert found == await inner.get_versioned("k", collection="c")
    assert found is not None
    calls = {
        "put_if_absent": _atomic(store).put_if_absent("new", {"v": 2}, collection="c"),
        "put_if_version": _atomic(store).put_if_version(
            "k", {"v": 2}, found.version, collection="c"
        ),
        "delete_if_version": _atomic(store).delete_if_version("k", found.version, collection="c"),
    }
    for operation, call in calls.items():
        with pytest.raises(kv.ReadOnlyError) as refused:
            await call
        assert refused.value.operation == operation
        assert operation in str(refused.value)
        assert (refused.value.collection, refused.value.key) in (("c", "new"), ("c", "k"))
    silent = ReadOnlyWrapper(inner, raise_on_write=False)
    assert not await _atomic(silent).put_if_absent("new", {"v": 2}, collection="c")
    assert not await _atomic(silent).put_if_version("k", {"v": 2}, found.version, collection="c")
    assert not await _atomic(silent).delete_if_version("k", found.version, collection="c")
    assert await inner.get("new", collection="c") is None
    assert await inner.get_versioned("k", collection="c") == found


# --- retry: conditional writes only when never sent -------------------------------------------


class FailingConditionalWrites(BaseWrapper):
    """A memory store whose conditional writes fail ``failures`` times with ``error``.

    ``applied=True``: each failing try writes first, then raises (the answer
    was lost); ``False``: it raises before touching anything.
    """

    def __init__(self, failures: int, error: Exception, *, applied: bool) -> None:
        super().__init__(kv.connect("memory://"))
        self.failures = failures
        self.error = error
        self.applied = applied
        self.tries = 0

    async def _pass_put_if_absent(
        self,
        key: str,
        value: Mapping[str, Any],
        collection: str | None,
        ttl: SupportsFloat | None,
    ) -> bool:
        self.tries += 1
        if self.tries > self.failures:
            return await super()._pass_put_if_absent(key, value, collection, ttl)
        if self.applied:
            await super()._pass_put_if_absent(key, value, collection, ttl)
        raise self.error

    async def _pass_get_versioned(self, key: str, collection: str | None) -> Any:
        self.tries += 1
        if self.tries <= self.failures:
            raise self.error
        return await super()._pass_get_versioned(key, collection)


def _refused_connection() -> kv.StoreConnectionError:
    try:
        raise ConnectionRefusedError(111, "Connection refused")
    except ConnectionRefusedError as cause:
        error = kv.StoreConnectionError("Cannot reach the server", store="test")
        error.__cause__ = cause
        return error


async def _no_sleep(seconds: float) -> None:
    return None


async def test_retry_retries_a_conditional_write_whose_connection_was_refused() -> None:
    inner = FailingConditionalWrites(2, _refused_connection(), applied=False)
    store = RetryWrapper(inner, max_retries=3, sleep=_no_sleep)
    assert await _atomic(store).put_if_absent("k", {"v": 1})
    assert inner.tries == 3
    assert await inner.get("k") == {"v": 1}


async def test_retry_never_retries_an_ambiguous_conditional_write() -> None:
    lost = kv.StoreConnectionError("the connection broke during the call", store="test")
    inner = FailingConditionalWrites(1, lost, applied=True)
    store = RetryWrapper(inner, max_retries=3, sleep=_no_sleep)
    with pytest.raises(kv.StoreConnectionError):
        await _atomic(store).put_if_absent("k", {"v": 1})
    # One try only: a retry would have answered False for the write that won.
    assert inner.tries == 1
    assert await inner.get("k") == {"v": 1}
    timed_out = FailingConditionalWrites(1, kv.StoreTimeoutError("slow"), applied=False)
    with pytest.raises(kv.StoreTimeoutError):
        await _atomic(RetryWrapper(timed_out, max_retries=3, sleep=_no_sleep)).put_if_absent(
            "k", {}
        )
    assert timed_out.tries == 1


async def test_retry_retries_get_versioned_like_a_read() -> None:
    lost = kv.StoreConnectionError("the connection broke during the call", store="test")
    inner = FailingConditionalWrites(2, lost, applied=False)
    await inner.put("k", {"v": 1})
    retrying = _atomic(RetryWrapper(inner, max_retries=3, sleep=_no_sleep))
    found = await retrying.get_versioned("k")
    assert found is not None
    assert found.value == {"v": 1}
    assert inner.tries == 3


async def test_retry_retries_a_real_refused_connection() -> None:
    """A real store on a port nobody listens on: its error chains ConnectionRefusedError."""
    pytest.importorskip("kv_postgresql")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inner = kv.connect(f"postgresql://kv:kv@127.0.0.1:{port}/kv")
    if not isinstance(inner, AtomicKeyValue):
        pytest.skip("this PostgreSQL store has no atomic operations")
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    store = RetryWrapper(inner, max_retries=2, sleep=sleep)
    try:
        with pytest.raises(kv.StoreConnectionError):
            await _atomic(store).put_if_absent("k", {"v": 1})
    finally:
        await store.close()
    assert len(sleeps) == 2, "a refused connection proves nothing was sent: it is retried"


# --- statistics and logging --------------------------------------------------------------------


async def test_statistics_count_conditional_writes_and_versioned_reads() -> None:
    store = StatisticsWrapper(_memory())
    assert await _atomic(store).put_if_absent("k", {"v": 1}, collection="c")
    assert not await _atomic(store).put_if_absent("k", {"v": 2}, collection="c")
    found = await _atomic(store).get_versioned("k", collection="c")
    assert await _atomic(store).get_versioned("missing", collection="c") is None
    assert found is not None
    assert await _atomic(store).put_if_version("k", {"v": 3}, found.version, collection="c")
    assert not await _atomic(store).delete_if_version("k", found.version, collection="c")
    stats = store.statistics.get_collection("c")
    assert (stats.conditional.count, stats.conditional.hit, stats.conditional.miss) == (4, 2, 2)
    assert (stats.get.count, stats.get.hit, stats.get.miss) == (2, 1, 1)
    assert stats.put.count == 0
    assert stats.count == 6


async def test_logging_logs_conditional_writes_with_versions_never_values(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="kv.wrappers.logging")
    store = LoggingWrapper(_memory())
    assert await _atomic(store).put_if_absent("k", {"secret": "s3cret"}, collection="c", ttl=60)
    found = await _atomic(store).get_versioned("k", collection="c")
    assert found is not None
    assert not await _atomic(store).put_if_version("k", {"secret": "x"}, "stale", collection="c")
    assert await _atomic(store).delete_if_version("k", found.version, collection="c")
    lines = [r.getMessage() for r in caplog.records if r.name == "kv.wrappers.logging"]
    text = "\n".join(lines)
    assert "s3cret" not in text
    finished = [line for line in lines if line.startswith("Finish")]
    assert [line.split()[1] for line in finished] == [
        "PUT_IF_ABSENT",
        "GET_VERSIONED",
        "PUT_IF_VERSION",
        "DELETE_IF_VERSION",
    ]
    assert "'written': True" in finished[0]
    assert found.version in finished[1]
    assert "'written': False" in finished[2]
    assert "'stale'" in finished[2]
    assert "'deleted': True" in finished[3]


async def test_logging_logs_versioned_values_when_asked(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="kv.wrappers.logging")
    store = LoggingWrapper(_memory(), log_values=True)
    assert await _atomic(store).put_if_absent("k", {"shown": "yes"})
    assert await _atomic(store).get_versioned("k")
    text = "\n".join(r.getMessage() for r in caplog.records if r.name == "kv.wrappers.logging")
    assert text.count("'shown': 'yes'") == 2


# --- passthrough cache: the primary decides, the cache is invalidated ----------------------------


async def test_passthrough_cache_conditional_writes_invalidate_the_cache() -> None:
    primary, cache = _memory(), _memory()
    for write_through in (False, True):
        await primary.destroy()
        await cache.destroy()
        store = PassthroughCacheWrapper(primary, cache, write_through=write_through)
        assert await _atomic(store).put_if_absent("k", {"v": 1}, collection="c")
        assert await store.get("k", collection="c") == {"v": 1}  # now cached
        assert await cache.get("k", collection="c") is not None
        found = await _atomic(store).get_versioned("k", collection="c")
        assert found is not None
        assert await _atomic(store).put_if_version("k", {"v": 2}, found.version, collection="c")
        assert await cache.get("k", collection="c") is None
        assert await store.get("k", collection="c") == {"v": 2}
        again = await _atomic(store).get_versioned("k", collection="c")
        assert again is not None
        assert await _atomic(store).delete_if_version("k", again.version, collection="c")
        assert await cache.get("k", collection="c") is None
        assert await store.get("k", collection="c") is None


async def test_passthrough_cache_get_versioned_reads_the_primary_not_the_cache() -> None:
    primary, cache = _memory(), _memory()
    store = PassthroughCacheWrapper(primary, cache)
    await store.put("k", {"v": "old"})
    assert await store.get("k") == {"v": "old"}  # cached
    await primary.put("k", {"v": "new"})  # another process writes the primary
    assert await store.get("k") == {"v": "old"}  # the cache is stale, as documented
    found = await _atomic(store).get_versioned("k")
    assert found is not None
    assert found == await primary.get_versioned("k")
    assert found.value == {"v": "new"}
    assert await _atomic(store).put_if_version("k", {"v": "newer"}, found.version)
    assert await store.get("k") == {"v": "newer"}


async def test_passthrough_cache_needs_only_the_primary_to_be_atomic() -> None:
    assert PassthroughCacheWrapper(_memory(), _null()).capabilities.atomic
    assert not PassthroughCacheWrapper(_null(), _memory()).capabilities.atomic


# --- timeout -----------------------------------------------------------------------------------


async def test_timeout_passes_conditional_writes_through() -> None:
    store = TimeoutWrapper(_memory(), timeout=30)
    assert await _atomic(store).put_if_absent("k", {"v": 1})
    found = await _atomic(store).get_versioned("k")
    assert found is not None
    assert await _atomic(store).put_if_version("k", {"v": 2}, found.version)
    assert not await _atomic(store).delete_if_version("k", found.version)


class NeverAnswers(BaseWrapper):
    """A memory store whose conditional writes never finish."""

    async def _pass_put_if_absent(
        self,
        key: str,
        value: Mapping[str, Any],
        collection: str | None,
        ttl: SupportsFloat | None,
    ) -> bool:
        await anyio.sleep_forever()
        raise AssertionError("unreachable")


async def test_timeout_abandons_a_conditional_write_and_says_it_may_have_happened() -> None:
    store = TimeoutWrapper(NeverAnswers(_memory()), timeout=0.05)
    with pytest.raises(kv.StoreTimeoutError) as expired:
        await _atomic(store).put_if_absent("k", {}, collection="c")
    assert "put_if_absent" in str(expired.value)
    assert "may still take effect" in str(expired.value)
    assert (expired.value.collection, expired.value.key) == ("c", "k")
