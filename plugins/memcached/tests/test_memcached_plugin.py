"""The declaration of ``memcached://`` (kv_memcached.plugin) and what is derived from it.

One options class gives the store's keywords and positional argument, the
URL's hosts and query, ``store.options`` and ``kv plugins``; the conformance
hooks reopen a store from ``store.options``.
"""

from __future__ import annotations

from typing import Any

import pytest

import kv
from kv import registry
from kv.plugin import StorePlugin
from kv_conformance.servers import ServerProcess
from kv_memcached import MEMCACHED_CAPABILITIES, MemcachedOptions
from kv_memcached.conformance import HOOKS
from kv_memcached.store import MemcachedStore


def test_scheme_resolves_through_the_entry_point() -> None:
    plugin = registry.resolve("memcached")
    assert isinstance(plugin, StorePlugin)
    assert plugin.store == "kv_memcached.store:MemcachedStore"
    assert plugin.options is MemcachedStore.Options is MemcachedOptions
    assert plugin.capabilities == MEMCACHED_CAPABILITIES == MemcachedStore.capabilities
    assert registry.origin("memcached") == "kv-memcached"


def test_every_option_is_documented() -> None:
    described = {info.name: info for info in MemcachedOptions.describe()}
    for name in ("servers", "max_item_size", "max_connections", "timeout"):
        assert described[name].doc, f"{name} has no Attributes: entry"
    assert described["servers"].default == "('127.0.0.1:11211',)"


def test_servers_from_url_keywords_and_positional_argument() -> None:
    store = kv.connect("memcached://cache1:11300,cache2,[::1]:11400")
    assert isinstance(store, MemcachedStore)
    assert store.options.servers == ("cache1:11300", "cache2:11211", "[::1]:11400")
    keyword = kv.connect("memcached://h", servers=["a:1", ("b", 2)])
    assert isinstance(keyword, MemcachedStore)
    assert keyword.options.addresses == (("a", 1), ("b", 2))  # a keyword wins over the URL's hosts
    query = kv.connect("memcached://h?servers=a:1,b")
    assert isinstance(query, MemcachedStore)
    assert query.options.addresses == (("a", 1), ("b", 11211))
    assert MemcachedStore(servers="x").options.addresses == (("x", 11211),)
    assert MemcachedOptions(servers="a:1, [::1]").servers == ("a:1", "[::1]:11211")


def test_store_from_its_options_is_the_same_store() -> None:
    store = MemcachedStore(["a:1", "b"], max_item_size=2 * 1024 * 1024, timeout=None)
    again = MemcachedStore(store.options)
    assert again.options == store.options
    assert (again.options.addresses, again.options.max_item_size, again.options.timeout) == (
        (("a", 1), ("b", 11211)),
        2 * 1024 * 1024,
        None,
    )
    assert again.capabilities == store.capabilities
    assert repr(again) == repr(store)


@pytest.mark.parametrize(
    ("given", "keywords"),
    [
        (MemcachedOptions(), {"timeout": 1}),  # an options object and keywords
        (["a:1"], {"servers": ["b:2"]}),  # servers twice
        (None, {"timeout": 0}),
        (None, {"max_item_size": True}),
        (None, {"servers": 5}),
    ],
)
def test_bad_constructor_calls(given: Any, keywords: dict[str, Any]) -> None:
    with pytest.raises(kv.InvalidOptionError):
        MemcachedStore(given, **keywords)


@pytest.mark.anyio
@pytest.mark.kv_server
async def test_reopened_store_reads_what_the_first_wrote(
    memcached_server: ServerProcess, mc: Any
) -> None:
    store = kv.connect(f"{mc.url_of(memcached_server)}?max_item_size=2097152&timeout=3")
    try:
        await store.put("kept", {"v": 1}, collection="reopen", ttl=600)
        reopened = await HOOKS.reopen_store(store)
        assert isinstance(reopened, MemcachedStore)
        assert reopened is not store
        assert isinstance(store, MemcachedStore)
        assert reopened.options == store.options
        try:
            assert await reopened.get("kept", collection="reopen") == {"v": 1}
        finally:
            await reopened.close()
    finally:
        await store.close()
        mc.flush(memcached_server)
