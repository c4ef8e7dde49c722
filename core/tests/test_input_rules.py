"""Odd input at the edges of the rules: huge TTLs, one str as keys, deep values.

Each case must raise the documented kv error (never ``StoreError``), name the
store and collection, and write nothing; with runtime type checks on and off.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

import kv
from kv.errors import ArgumentTypeError, ArgumentValueError, InvalidTTLError, SerializationError
from kv.names import validate_keys
from kv.ttl import validate_ttl
from kv.values import MAX_VALUE_DEPTH, dump_value, load_value

pytestmark = pytest.mark.anyio

STORES = ["memory://", "null://"]


class _FloatRaises:
    """A numpy-like number whose ``__float__`` fails with ``error``."""

    def __init__(self, error: type[Exception]) -> None:
        self.error = error

    def __float__(self) -> float:
        raise self.error("float conversion failed")


class _FloatReturnsText:
    def __float__(self) -> float:
        return "12"  # type: ignore[return-value]


def _huge_ttls() -> dict[str, object]:
    cases: dict[str, object] = {
        "int-10**400": 10**400,
        "negative-int-10**400": -(10**400),
        "int-just-over-the-limit": 100 * 366 * 24 * 3600,
        "int-2**1024": 2**1024,
        "decimal-1e400": Decimal("1e400"),
        "decimal--1e400": Decimal("-1e400"),
        "decimal-1e-400": Decimal("1e-400"),
        "decimal-nan": Decimal("NaN"),
        "decimal-snan": Decimal("sNaN"),
        "decimal-infinity": Decimal("Infinity"),
        "fraction-10**400": Fraction(10**400),
        "fraction--10**400": Fraction(-(10**400)),
        "fraction-1/10**400": Fraction(1, 10**400),
        "float-raises-overflow": _FloatRaises(OverflowError),
        "float-raises-value-error": _FloatRaises(ValueError),
        "float-raises-runtime-error": _FloatRaises(RuntimeError),
        "float-raises-zero-division": _FloatRaises(ZeroDivisionError),
        "float-raises-type-error": _FloatRaises(TypeError),
        "float-returns-text": _FloatReturnsText(),
    }
    try:
        import numpy as np
    except ImportError:  # pragma: no cover - numpy is in the dev environment
        return cases
    with np.errstate(all="ignore"):
        cases.update(
            {
                "numpy-float64-inf": np.float64("inf"),
                "numpy-float64-nan": np.float64("nan"),
                "numpy-float64-huge": np.float64(1e300),
                "numpy-int64-max": np.int64(2**63 - 1),
                "numpy-uint64-max": np.uint64(2**64 - 1),
                "numpy-longdouble-1e4000": np.longdouble("1e4000"),
                "numpy-float32-zero": np.float32(0),
            }
        )
    return cases


HUGE_TTLS = _huge_ttls()


@pytest.mark.parametrize("ttl", HUGE_TTLS.values(), ids=HUGE_TTLS.keys())
def test_every_odd_number_is_an_invalid_ttl_error(ttl: object) -> None:
    with pytest.raises(InvalidTTLError) as caught:
        validate_ttl(ttl)  # type: ignore[arg-type]
    assert caught.value.ttl is ttl
    assert "float conversion failed" not in str(caught.value)


def _methods(store: Any, checked: bool) -> Callable[[str], Callable[..., Awaitable[Any]]]:
    """Look up a protocol method, type-checked or the plain function beneath."""

    def method(name: str) -> Callable[..., Awaitable[Any]]:
        if checked:
            return getattr(store, name)  # type: ignore[no-any-return]
        plain = getattr(type(store), name).__wrapped__
        return lambda *args, **kwargs: plain(store, *args, **kwargs)

    return method


@pytest.mark.parametrize("checked", [True, False], ids=["checks-on", "checks-off"])
@pytest.mark.parametrize("url", STORES)
@pytest.mark.parametrize("ttl", HUGE_TTLS.values(), ids=HUGE_TTLS.keys())
async def test_huge_ttl_through_put_and_put_many(url: str, ttl: object, checked: bool) -> None:
    store = kv.connect(url)
    method = _methods(store, checked)
    with pytest.raises(InvalidTTLError) as caught:
        await method("put")("k", {"a": 1}, collection="c", ttl=ttl)
    assert (caught.value.key, caught.value.collection, caught.value.store) == ("k", "c", url[:-3])
    with pytest.raises(InvalidTTLError) as caught:
        await method("put_many")(["k1", "k2"], [{"a": 1}, {"b": 2}], collection="c", ttl=ttl)
    assert caught.value.collection == "c"
    assert await store.get_many(["k", "k1", "k2"], collection="c") == [None, None, None]


@pytest.mark.parametrize("ttl", [1, 1.5, Decimal("2.5"), Fraction(7, 2), 3155760000])
def test_ordinary_ttls_still_pass(ttl: object) -> None:
    assert validate_ttl(ttl) == pytest.approx(float(ttl))  # type: ignore[arg-type]


# --- a single str (or bytes) where a bulk call takes a list of keys --------------------

SINGLE_KEYS: dict[str, object] = {
    "str": "ab",
    "bytes": b"ab",
    "bytearray": bytearray(b"ab"),
    "memoryview": memoryview(b"ab"),
}


def _bulk_calls() -> dict[str, Callable[[Callable[[str], Any], object], Awaitable[Any]]]:
    return {
        "get_many": lambda m, keys: m("get_many")(keys, collection="c"),
        "ttl_many": lambda m, keys: m("ttl_many")(keys, collection="c"),
        "delete_many": lambda m, keys: m("delete_many")(keys, collection="c"),
        "put_many": lambda m, keys: m("put_many")(keys, [{"a": 1}, {"b": 2}], collection="c"),
    }


BULK_CALLS = _bulk_calls()


@pytest.mark.parametrize("checked", [True, False], ids=["checks-on", "checks-off"])
@pytest.mark.parametrize("url", STORES)
@pytest.mark.parametrize("keys", SINGLE_KEYS.values(), ids=SINGLE_KEYS.keys())
@pytest.mark.parametrize("call", BULK_CALLS.values(), ids=BULK_CALLS.keys())
async def test_single_str_or_bytes_as_keys_is_an_argument_type_error(
    call: Callable[[Callable[[str], Any], object], Awaitable[Any]],
    keys: object,
    url: str,
    checked: bool,
) -> None:
    store = kv.connect(url)
    with pytest.raises(ArgumentTypeError) as caught:
        await call(_methods(store, checked), keys)
    error = caught.value
    assert isinstance(error, TypeError)
    assert (error.collection, error.store) == ("c", url[:-3])
    assert "sequence" in error.message
    assert "'ab'" not in str(error)
    assert await store.get_many(["a", "b"], collection="c") == [None, None]


@pytest.mark.parametrize("checked", [True, False], ids=["checks-on", "checks-off"])
@pytest.mark.parametrize("values", ["ab", b"ab", {"a": 1, "b": 2}], ids=["str", "bytes", "mapping"])
async def test_put_many_values_must_be_a_sequence_of_mappings(
    values: object, checked: bool
) -> None:
    store = kv.connect("memory://")
    with pytest.raises(ArgumentTypeError) as caught:
        await _methods(store, checked)("put_many")(["a", "b"], values, collection="c")
    assert (caught.value.collection, caught.value.store) == ("c", "memory")
    assert await store.get_many(["a", "b"], collection="c") == [None, None]


async def test_put_many_length_mismatch_is_a_value_error_with_context() -> None:
    store = kv.connect("memory://")
    with pytest.raises(ArgumentValueError, match="2 keys but 3 values; nothing was written") as e:
        await store.put_many(["a", "b"], [{}, {}, {}], collection="c")
    assert isinstance(e.value, ValueError)
    assert (e.value.collection, e.value.store) == ("c", "memory")


@pytest.mark.parametrize("keys", [["a", "b"], ("a",), []])
def test_lists_and_tuples_of_keys_pass(keys: list[str] | tuple[str, ...]) -> None:
    assert validate_keys(keys) is keys


def test_other_sequences_of_keys_pass_and_non_sequences_do_not() -> None:
    from collections import UserList

    assert list(validate_keys(UserList(["a"]))) == ["a"]
    with pytest.raises(ArgumentTypeError):
        validate_keys({"a", "b"})
    with pytest.raises(ArgumentTypeError):
        validate_keys({"a": 1})
    with pytest.raises(ArgumentTypeError):
        validate_keys(iter(["a"]))


@pytest.mark.parametrize("url", ["memory://", "null://"])
async def test_wrapper_refuses_a_single_str_as_keys(url: str) -> None:
    wrappers = pytest.importorskip("kv_wrappers")
    store = wrappers.PrefixKeysWrapper(kv.connect(url), prefix="p")
    with pytest.raises(ArgumentTypeError) as caught:
        await store.get_many("ab", collection="c")
    assert (caught.value.collection, caught.value.store) == ("c", "PrefixKeysWrapper")


# --- nesting depth -----------------------------------------------------------------


def _nested(depth: int, *, arrays: bool = False) -> dict[str, Any]:
    """A value ``depth`` levels deep (the value itself is level 1).

    With ``arrays``, every even level is an array instead of an object.
    """
    inner: Any = 1
    for level in range(depth, 0, -1):
        inner = [inner] if arrays and level % 2 == 0 else {"n": inner}
    return inner  # type: ignore[no-any-return]


def _depth(value: object) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def test_depth_helper() -> None:
    assert MAX_VALUE_DEPTH == 64
    assert _depth(_nested(1)) == 1
    assert _depth(_nested(64)) == 64
    assert _depth(_nested(64, arrays=True)) == 64
    assert _depth(_nested(65, arrays=True)) == 65


@pytest.mark.parametrize("arrays", [False, True], ids=["objects", "objects-and-arrays"])
def test_depth_rule_in_dump_value(arrays: bool) -> None:
    value = _nested(MAX_VALUE_DEPTH, arrays=arrays)
    assert load_value(dump_value(value)) == value
    with pytest.raises(SerializationError, match="nested more than 64 levels"):
        dump_value(_nested(MAX_VALUE_DEPTH + 1, arrays=arrays))


def test_depth_counts_the_empty_container_at_the_bottom() -> None:
    ok = _nested(MAX_VALUE_DEPTH - 1)
    node = ok
    while isinstance(node["n"], dict):
        node = node["n"]  # down to level 63
    node["empty"] = {}  # level 64
    assert _depth(ok) == 64
    assert load_value(dump_value(ok)) == ok
    node["empty"] = {"deeper": []}  # level 65
    with pytest.raises(SerializationError, match="nested more than 64 levels"):
        dump_value(ok)


def test_a_cycle_is_reported_as_a_cycle() -> None:
    value: dict[str, Any] = {"a": []}
    value["a"].append(value)
    with pytest.raises(SerializationError, match="circular"):
        dump_value(value)


@pytest.mark.parametrize("url", STORES)
async def test_store_takes_64_levels_and_refuses_65(url: str) -> None:
    store = kv.connect(url)
    deep = _nested(MAX_VALUE_DEPTH, arrays=True)
    await store.put("ok", deep, collection="c")
    if url == "memory://":
        assert await store.get("ok", collection="c") == deep
    with pytest.raises(SerializationError) as caught:
        await store.put("deep", _nested(MAX_VALUE_DEPTH + 1), collection="c")
    assert (caught.value.key, caught.value.collection, caught.value.store) == (
        "deep",
        "c",
        url[:-3],
    )
    with pytest.raises(SerializationError) as caught:
        await store.put_many(
            ["a", "deep"], [{"a": 1}, _nested(MAX_VALUE_DEPTH + 1)], collection="c"
        )
    assert caught.value.key == "deep"
    assert await store.get_many(["deep", "a"], collection="c") == [None, None]


async def test_value_984_levels_deep_is_refused_on_write_not_unreadable() -> None:
    store = kv.connect("memory://")
    with pytest.raises(SerializationError, match="nested more than 64 levels"):
        await store.put("k", _nested(984))
    assert await store.get("k") is None


def test_refused_values_do_not_quote_their_content() -> None:
    marker = "kv-secret-" + "c0ntent"
    for value in (
        {marker: {1: "x"}},
        {"a": {(marker,): "x"}},
        {"a": {"b": marker, "c": object()}},
        {marker: math.nan},
        {"a": [marker, {marker: math.inf}]},
    ):
        with pytest.raises(SerializationError) as caught:
            dump_value(value)
        assert marker not in str(caught.value)
