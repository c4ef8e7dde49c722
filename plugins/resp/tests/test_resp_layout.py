"""kv-resp without a server: key layout, glob escaping, TTL rounding, URL targets.

The stores built on kv-resp are tested against real servers in
plugins/redis and plugins/valkey.
"""

from __future__ import annotations

import itertools

import pytest

from kv.errors import InvalidOptionError, InvalidURLError
from kv.url import Host, StoreURL
from kv_resp import (
    RespKeyLayout,
    RespOptions,
    RespSchemes,
    RespTarget,
    escape_glob,
    parse_target,
    ttl_milliseconds,
)

NAMES = ["a", "a:b", "a::b", "::", ":", "%", "%3A", "a%25b", "x\x00y", "鍵", "k" * 300, "*?[]\\"]


def test_escape_glob() -> None:
    assert escape_glob("plain:text::") == "plain:text::"
    assert escape_glob("a*b?c[d]e\\f") == "a\\*b\\?c\\[d\\]e\\\\f"


def test_layout_without_namespace_is_py_key_value_s() -> None:
    layout = RespKeyLayout()
    assert layout.prefix == ""
    assert layout.key("users", "alice") == "users::alice"
    assert layout.key("a:b", "c") == "a%3Ab::c"
    assert layout.owned_pattern == "*::*"
    assert layout.collection_pattern("a*") == "a\\*::*"


def test_layout_with_namespace() -> None:
    layout = RespKeyLayout("my:app")
    assert layout.prefix == "my%3Aapp:"
    assert layout.key("users", "alice") == "my%3Aapp:users::alice"
    assert layout.owned_pattern == "my%3Aapp:*::*"


@pytest.mark.parametrize("namespace", [None, "ns", "n:s", "%"])
def test_split_inverts_key(namespace: str | None) -> None:
    layout = RespKeyLayout(namespace)
    for collection, key in itertools.product(NAMES, NAMES):
        name = layout.key(collection, key)
        assert layout.split(name) == (collection, key)
        assert layout.split(name.encode()) == (collection, key)
        prefix = layout.collection_prefix(collection)
        assert name.startswith(prefix)
        assert layout.key_in_collection(name.encode(), len(prefix.encode())) == key


@pytest.mark.parametrize("namespace", [None, "n:s"])
def test_keys_in_collection_reads_a_scan_batch(namespace: str | None) -> None:
    layout = RespKeyLayout(namespace)
    for collection in NAMES:
        prefix = layout.collection_prefix(collection)
        cut = len(prefix.encode())
        names = [layout.key(collection, key) for key in NAMES]
        # The usual batch (bytes, all UTF-8) and a user client's str names.
        assert layout.keys_in_collection([n.encode() for n in names], cut) == NAMES
        assert layout.keys_in_collection(names, cut) == NAMES
        # A name that is not UTF-8, and the bare prefix (an empty key), are skipped.
        odd = [names[0].encode(), prefix.encode() + b"\xff", prefix.encode(), names[1].encode()]
        assert layout.keys_in_collection(odd, cut) == NAMES[:2]
        assert layout.keys_in_collection([], cut) == []


def test_layouts_never_claim_each_other_s_keys() -> None:
    layouts = [RespKeyLayout(None), RespKeyLayout("a"), RespKeyLayout("ab"), RespKeyLayout("a:b")]
    for owner, other in itertools.permutations(layouts, 2):
        for collection, key in itertools.product(NAMES, NAMES[:4]):
            assert other.split(owner.key(collection, key)) is None, (owner, other, collection)


@pytest.mark.parametrize(
    "foreign", ["plain", "a:b", "x::", "::k", "a:b::k", b"\xff::k", "ns:a:b::k"]
)
def test_foreign_keys_are_not_owned(foreign: str | bytes) -> None:
    assert RespKeyLayout().split(foreign) is None
    assert RespKeyLayout("ns").split(foreign) is None


def test_empty_namespace_is_refused() -> None:
    with pytest.raises(InvalidOptionError):
        RespKeyLayout("")


@pytest.mark.parametrize(
    ("ttl", "expected"),
    [(0.0001, 1), (0.001, 1), (0.3, 300), (0.0015, 2), (1.5, 1500), (3600, 3_600_000)],
)
def test_ttl_milliseconds_round_up(ttl: float, expected: int) -> None:
    assert ttl_milliseconds(ttl) == expected


SCHEMES = RespSchemes(plain="r", tls="rs", cluster="r+cluster", unix="r+unix")


def _target(url: str, **options: object) -> RespTarget:
    return parse_target(StoreURL.parse(url), SCHEMES, RespOptions(**options))  # type: ignore[arg-type]


def test_targets() -> None:
    assert _target("r://h:1/2") == RespTarget("tcp", hosts=(Host("h", 1),), db=2)
    assert _target("r://") == RespTarget("tcp", hosts=(Host("localhost", 6379),))
    assert _target("rs://h").tls
    assert _target("r://h", ssl=True).tls
    assert _target("r+unix:///s.sock", db=3) == RespTarget("unix", path="/s.sock", db=3)
    cluster = _target("r+cluster://a,b:2/")
    assert cluster == RespTarget("cluster", hosts=(Host("a", 6379), Host("b", 2)))
    assert cluster.describe() == "cluster a:6379,b:2"


@pytest.mark.parametrize(
    "url", ["x://h", "r://a,b", "r://h/x", "r+unix://h/s", "r+cluster://", "r+cluster://a/1"]
)
def test_bad_targets(url: str) -> None:
    with pytest.raises(InvalidURLError):
        _target(url)
