"""kv._hints: the small checks compiled from type hints for the runtime type checks."""

from __future__ import annotations

import typing
from collections.abc import Callable, Iterable, Mapping, MutableMapping, Sequence
from typing import Annotated, Any, Literal, NewType, Optional, SupportsFloat, TypeVar, Union

import pytest

from kv._hints import HintCheck, compile_hint

UserId = NewType("UserId", int)
Bounded = TypeVar("Bounded", bound=str)
Constrained = TypeVar("Constrained", int, bytes)
Free = TypeVar("Free")


class NotRuntime(typing.Protocol):
    def method(self) -> None: ...


def fits(check: HintCheck | None, value: object) -> bool:
    assert check is not None
    return type(value) in check.fast or check.find(value) is None


@pytest.mark.parametrize(
    ("hint", "good", "bad"),
    [
        (str, ["", "k", type("S", (str,), {})("k")], [b"k", None, 1, ["k"]]),
        (int, [0, True], [0.5, "1", None]),
        (float, [0, 0.5, True], ["1.0", None, 1j]),
        (complex, [0, 0.5, 1j], ["1", None]),
        (SupportsFloat, [0, 0.5, True, __import__("decimal").Decimal(1)], ["1", b"1", 1j, None]),
        (type(None), [None], [0, ""]),
        (None, [None], [0, ""]),
        (str | None, ["k", None], [1, b""]),
        (Optional[int], [1, None], ["1"]),  # noqa: UP045 - the old spelling is a case too
        (Union[int, str], [1, "1"], [None, 1.5]),  # noqa: UP007
        (SupportsFloat | None, [1, 1.5, None], ["1", [1]]),
        (Literal["a", 1], ["a", 1], ["b", 2, True, 1.0]),
        (Annotated[str, "doc"], ["k"], [1]),
        (UserId, [1], ["1"]),
        (Bounded, ["k"], [1]),
        (Constrained, [1, b""], ["k"]),
        (Sequence[str], [[], ["a", "b"], ("a",), "ab"], [["a", 1], [b"a"], {"a"}, None, 1]),
        (list[int], [[], [1, 2]], [(1,), [1, "2"]]),
        (tuple[int, ...], [(), (1, 2)], [[1], (1, "2")]),
        (tuple[int, str], [(1, "a")], [(1,), (1, 2), ("a", 1), [1, "a"]]),
        (tuple[()], [()], [(1,)]),
        (set[str], [set(), {"a"}], [{1}, ["a"]]),
        (Mapping[str, Any], [{}, {"a": 1}, {"a": 1, 2: 3}], [{1: "a"}, [("a", 1)], None]),
        (Mapping[str, int], [{"a": 1}], [{"a": "1"}]),
        (MutableMapping[str, Any], [{"a": 1}], [{1: 1}]),
        (Sequence[Mapping[str, Any]], [[{"a": 1}], ()], [[{"a": 1}, [1]], [{1: 1}], {"a": 1}]),
        (Callable[[int], str], [len, str], [1, None]),
        (type[int], [int, bool], [1]),
        (Iterable[int], [[1], iter(["not", "consumed"])], [1]),
    ],
)
def test_hints_take_what_they_say_and_refuse_the_rest(
    hint: object, good: list[object], bad: list[object]
) -> None:
    check = compile_hint(hint)
    for value in good:
        assert fits(check, value), (hint, value)
    for value in bad:
        assert not fits(check, value), (hint, value)


@pytest.mark.parametrize("hint", [Any, object, Free, NotRuntime, "ForwardName", str | Any])
def test_hints_that_check_nothing_give_no_check(hint: object) -> None:
    assert compile_hint(hint) is None


def test_culprits_are_the_value_then_the_innermost_item_at_fault() -> None:
    keys = compile_hint(Sequence[str])
    assert keys is not None
    bad = ["a", 7]
    assert keys.find(bad) == (bad, 7)
    assert keys.find(None) == (None,)
    values = compile_hint(Sequence[Mapping[str, Any]])
    assert values is not None
    nested = [{1: 2}, {"a": 1}]
    assert values.find(nested) == (nested, 1)
    later = [{"a": 1}, [2]]
    assert values.find(later) == (later, [2])
    # Every item must be a mapping, but only the first one's first key is looked at
    # (the store's rules check every key of every value).
    assert values.find([{"a": 1}, {1: 2}]) is None
    optional = compile_hint(Sequence[str] | None)
    assert optional is not None
    assert optional.find(bad) == (bad, 7)


def test_exact_types_are_accepted_without_a_call() -> None:
    optional = compile_hint(str | None)
    assert optional is not None
    assert optional.fast == frozenset({str, type(None)})
    floats = compile_hint(SupportsFloat | None)
    assert floats is not None
    assert {int, float, bool, type(None)} <= floats.fast
    keys = compile_hint(Sequence[str])  # the items must be looked at
    assert keys is not None
    assert keys.fast == frozenset()
    bare = compile_hint(typing.Tuple)  # noqa: UP006 - the bare alias is a case
    assert bare is not None
    assert bare.fast == frozenset({tuple})
