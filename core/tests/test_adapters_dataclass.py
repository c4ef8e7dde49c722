"""DataclassAdapter: typed access for dataclasses, without pydantic."""

from __future__ import annotations

import dataclasses
import datetime
import logging
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Generic, Literal, NewType, Optional, TypeVar

import pytest

import kv
from kv.adapters import DataclassAdapter
from kv.errors import DeserializationError, SerializationError

pytestmark = pytest.mark.anyio

SECRET = "s3cr3t-value-never-logged"
T = TypeVar("T")
UserId = NewType("UserId", int)


@dataclass
class Address:
    street: str
    zip_code: str | None = None


@dataclass
class Person:
    name: str
    age: int
    address: Address | None = None
    tags: list[str] = field(default_factory=list)
    scores: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Everything:
    user: UserId
    ratio: float
    flag: bool
    kind: Literal["a", "b"]
    pair: tuple[int, str]
    many: tuple[int, ...]
    either: int | str
    maybe: Optional[Address]  # noqa: UP045 - the typing spelling must work too
    anything: Any
    noted: Annotated[int, "metadata"]
    nested: list[dict[str, list[Address]]]
    sequence: Sequence[int]


@dataclass
class Tree:
    name: str
    children: list[Tree] = field(default_factory=list)


@dataclass
class Box(Generic[T]):
    content: T


@dataclass
class Positive:
    value: int

    def __post_init__(self) -> None:
        if self.value <= 0:
            raise ValueError(f"value must be positive, got {self.value}")


@dataclass
class WithDerived:
    base: int
    derived: int = field(init=False)

    def __post_init__(self) -> None:
        self.derived = self.base * 2


@dataclass
class HasDatetime:
    when: datetime.datetime


@dataclass
class HasIntKeys:
    table: dict[int, str]


@dataclass
class HasSet:
    items: set[int]


@pytest.fixture
def store() -> kv.AsyncKeyValue:
    return kv.connect("memory://")


ALICE = Person("Alice", 30, Address("Main St", "12345"), ["admin"], {"math": 1.5})


# --- round trips and the stored format -------------------------------------------


async def test_round_trip_is_stored_as_asdict(store: kv.AsyncKeyValue) -> None:
    people = DataclassAdapter(store, Person)
    await people.put("alice", ALICE)
    assert await store.get("alice") == dataclasses.asdict(ALICE)
    assert await people.get("alice") == ALICE


async def test_list_is_wrapped_in_items(store: kv.AsyncKeyValue) -> None:
    team = DataclassAdapter(store, list[Person])
    bob = Person("Bob", 5)
    await team.put("team", [ALICE, bob])
    assert await store.get("team") == {
        "items": [dataclasses.asdict(ALICE), dataclasses.asdict(bob)]
    }
    assert await team.get("team") == [ALICE, bob]


async def test_tuple_reads_back_as_tuple(store: kv.AsyncKeyValue) -> None:
    team = DataclassAdapter(store, tuple[Address, ...])
    await team.put("t", (Address("a"), Address("b")))
    assert await store.get("t") == {
        "items": [{"street": "a", "zip_code": None}, {"street": "b", "zip_code": None}]
    }
    assert await team.get("t") == (Address("a"), Address("b"))


async def test_every_supported_field_type(store: kv.AsyncKeyValue) -> None:
    value = Everything(
        user=UserId(7),
        ratio=0.5,
        flag=True,
        kind="b",
        pair=(1, "x"),
        many=(1, 2, 3),
        either="text",
        maybe=Address("s"),
        anything={"free": [1, None]},
        noted=3,
        nested=[{"k": [Address("n")]}],
        sequence=[4, 5],
    )
    adapter = DataclassAdapter(store, Everything)
    await adapter.put("e", value)
    assert await adapter.get("e") == value


async def test_float_field_accepts_a_whole_number(store: kv.AsyncKeyValue) -> None:
    await store.put("k", {"name": "n", "age": 1, "scores": {"x": 2}})
    person = await DataclassAdapter(store, Person).get("k")
    assert person == Person("n", 1, scores={"x": 2.0})
    assert person is not None
    assert type(person.scores["x"]) is float


async def test_missing_optional_fields_take_their_defaults(store: kv.AsyncKeyValue) -> None:
    await store.put("k", {"name": "n", "age": 1, "unknown": "ignored"})
    assert await DataclassAdapter(store, Person).get("k") == Person("n", 1)


async def test_recursive_and_generic_dataclasses(store: kv.AsyncKeyValue) -> None:
    tree = Tree("root", [Tree("a", [Tree("a1")]), Tree("b")])
    trees = DataclassAdapter(store, Tree)
    await trees.put("t", tree)
    assert await trees.get("t") == tree
    boxes = DataclassAdapter(store, Box[int])
    await boxes.put("b", Box(3))
    assert await boxes.get("b") == Box(3)


async def test_init_false_fields_are_recomputed(store: kv.AsyncKeyValue) -> None:
    adapter = DataclassAdapter(store, WithDerived)
    await adapter.put("k", WithDerived(2))
    assert await store.get("k") == {"base": 2, "derived": 4}
    assert await adapter.get("k") == WithDerived(2)


async def test_format_matches_pydantic(store: kv.AsyncKeyValue) -> None:
    pydantic = pytest.importorskip("pydantic")
    ours = DataclassAdapter(store, list[Person])
    await ours.put("k", [ALICE])
    expected = pydantic.TypeAdapter(list[Person]).dump_python([ALICE], mode="json")
    assert await store.get("k") == {"items": expected}


# --- defaults, TTL, batches and collections --------------------------------------


async def test_defaults_ttl_and_batches(store: kv.AsyncKeyValue) -> None:
    people = DataclassAdapter(store, Person, default_collection="people")
    bob = Person("Bob", 5)
    fallback = Person("?", 0)
    assert await people.get("absent") is None
    assert await people.get("absent", default=fallback) == fallback
    await people.put_many(["alice", "bob"], [ALICE, bob], ttl=100)
    assert await people.get_many(["bob", "nobody", "alice"]) == [bob, None, ALICE]
    assert await people.get_many(["nobody"], default=fallback) == [fallback]
    value, remaining = await people.ttl("alice")
    assert value == ALICE
    assert remaining is not None
    assert 99 < remaining <= 100
    results = await people.ttl_many(["alice", "nobody"])
    assert results[0][0] == ALICE
    assert results[1] == (None, None)
    assert await store.get("alice", collection="people") is not None
    assert await store.get("alice") is None
    assert await people.delete_many(["alice", "nobody"]) == 1
    assert await people.delete("bob", collection="people") is True
    assert await people.get_many(["alice", "bob"]) == [None, None]


async def test_explicit_collection_wins(store: kv.AsyncKeyValue) -> None:
    people = DataclassAdapter(store, Person, default_collection="people")
    await people.put("k", ALICE, collection="other")
    assert await people.get("k") is None
    assert await people.get("k", collection="other") == ALICE
    unscoped = DataclassAdapter(store, Person)
    await unscoped.put("k", ALICE)
    assert await store.get("k") == dataclasses.asdict(ALICE)


# --- validation failures ---------------------------------------------------------


@pytest.mark.parametrize(
    ("stored", "path"),
    [
        ({"name": SECRET, "age": "thirty"}, "$.age: expected an integer, got string"),
        ({"name": SECRET, "age": True}, "$.age: expected an integer, got boolean"),
        ({"name": SECRET}, "$.age: missing required field"),
        ({"name": SECRET, "age": 1, "address": {"zip_code": "1"}}, "$.address.street: missing"),
        ({"name": SECRET, "age": 1, "tags": [SECRET, 3]}, "$.tags[1]: expected a string"),
        ({"name": SECRET, "age": 1, "scores": {SECRET: "x"}}, "$.scores[<key>]: expected a num"),
        ({"name": SECRET, "age": 1, "address": [SECRET]}, "$.address: expected Address or None"),
    ],
)
async def test_validation_failure_logs_and_returns_default(
    store: kv.AsyncKeyValue,
    caplog: pytest.LogCaptureFixture,
    stored: dict[str, Any],
    path: str,
) -> None:
    people = DataclassAdapter(store, Person)
    await store.put("bad", stored, ttl=60)
    fallback = Person("?", 0)
    with caplog.at_level(logging.WARNING, logger="kv.adapters"):
        assert await people.get("bad") is None
        assert await people.get("bad", default=fallback) == fallback
        assert await people.get_many(["bad"]) == [None]
        assert await people.ttl("bad") == (None, None)
        assert await people.ttl_many(["bad"]) == [(None, None)]
    records = [r for r in caplog.records if r.name == "kv.adapters"]
    assert len(records) == 5
    assert all(r.levelno == logging.WARNING for r in records)
    assert path in records[0].getMessage()
    assert "key='bad'" in records[0].getMessage()
    assert "collection='default_collection'" in records[0].getMessage()
    assert SECRET not in caplog.text


async def test_validation_failure_raises_when_asked(store: kv.AsyncKeyValue) -> None:
    people = DataclassAdapter(store, Person, raise_on_validation_error=True)
    await store.put("bad", {"name": SECRET, "age": "x"}, collection="c")
    for call in (
        people.get("bad", collection="c"),
        people.get_many(["bad"], collection="c"),
        people.ttl("bad", collection="c"),
        people.ttl_many(["bad"], collection="c"),
    ):
        with pytest.raises(DeserializationError, match=r"\$\.age") as caught:
            await call
        assert caught.value.key == "bad"
        assert caught.value.collection == "c"
        assert SECRET not in str(caught.value)


async def test_post_init_refusal_is_a_validation_failure(store: kv.AsyncKeyValue) -> None:
    await store.put("k", {"value": -12345})
    assert await DataclassAdapter(store, Positive).get("k") is None
    strict = DataclassAdapter(store, Positive, raise_on_validation_error=True)
    with pytest.raises(DeserializationError, match="Positive") as caught:
        await strict.get("k")
    assert "-12345" not in str(caught.value)


async def test_wrapper_and_element_problems(store: kv.AsyncKeyValue) -> None:
    team = DataclassAdapter(store, list[Address], raise_on_validation_error=True)
    await store.put("no-wrapper", {"street": "x"})
    with pytest.raises(DeserializationError, match="'items'"):
        await team.get("no-wrapper")
    await store.put("not-a-list", {"items": {"street": "x"}})
    with pytest.raises(DeserializationError, match="expected an array"):
        await team.get("not-a-list")
    await store.put("bad-element", {"items": [{"street": "x"}, {"street": 1}]})
    with pytest.raises(DeserializationError, match=r"\$\[1\]\.street"):
        await team.get("bad-element")
    pair = DataclassAdapter(store, Everything, raise_on_validation_error=True)
    await store.put("short", {"pair": [1]})
    with pytest.raises(DeserializationError):
        await pair.get("short")


# --- writes ----------------------------------------------------------------------


async def test_wrong_type_is_a_serialization_error(store: kv.AsyncKeyValue) -> None:
    people = DataclassAdapter(store, Person, default_collection="p")
    with pytest.raises(SerializationError, match="Address") as caught:
        await people.put("k", Address("x"))  # type: ignore[arg-type]
    assert caught.value.key == "k"
    assert caught.value.collection == "p"
    team = DataclassAdapter(store, list[Person])
    with pytest.raises(SerializationError, match="item 1"):
        await team.put("k", [ALICE, "bob"])  # type: ignore[list-item]
    with pytest.raises(SerializationError):
        await team.put_many(["ok", "bad"], [[ALICE], ALICE])  # type: ignore[list-item]
    assert await store.get("ok") is None


async def test_non_json_content_is_refused_by_the_store(store: kv.AsyncKeyValue) -> None:
    boxes = DataclassAdapter(store, Box[Any])
    with pytest.raises(SerializationError) as caught:
        await boxes.put("k", Box({1, 2}))
    assert caught.value.key == "k"
    assert await store.get("k") is None


# --- construction ----------------------------------------------------------------


@pytest.mark.parametrize(
    "dataclass_type",
    [int, dict, list[int], list, Person(name="x", age=1), dict[str, Person], tuple[Person, int]],
)
def test_refuses_what_is_not_a_dataclass(store: kv.AsyncKeyValue, dataclass_type: Any) -> None:
    with pytest.raises(TypeError, match="dataclass"):
        DataclassAdapter(store, dataclass_type)


@pytest.mark.parametrize(
    ("dataclass_type", "message"),
    [
        (HasDatetime, "HasDatetime.when"),
        (HasIntKeys, "string keys"),
        (HasSet, "HasSet.items"),
    ],
)
def test_refuses_field_types_json_cannot_hold(
    store: kv.AsyncKeyValue, dataclass_type: Any, message: str
) -> None:
    with pytest.raises(TypeError, match=message):
        DataclassAdapter(store, dataclass_type)


def test_unresolvable_annotations_are_reported(store: kv.AsyncKeyValue) -> None:
    @dataclass
    class Local:
        inner: Address
        other: LocalOnly  # type: ignore[name-defined]  # noqa: F821

    with pytest.raises(TypeError, match="Local"):
        DataclassAdapter(store, Local)


def test_works_without_pydantic() -> None:
    code = (
        "import sys; sys.modules['pydantic'] = None\n"
        "import anyio, dataclasses, kv\n"
        "from kv.adapters import DataclassAdapter\n"
        "@dataclasses.dataclass\n"
        "class P:\n"
        "    name: str\n"
        "async def main():\n"
        "    adapter = DataclassAdapter(kv.connect('memory://'), P)\n"
        "    await adapter.put('k', P('x'))\n"
        "    assert await adapter.get('k') == P('x')\n"
        "anyio.run(main)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 0, result.stderr


async def test_raised_error_chains_nothing_that_quotes_the_value(
    store: kv.AsyncKeyValue,
) -> None:
    await store.put("k", {"value": -12345})
    strict = DataclassAdapter(store, Positive, raise_on_validation_error=True)
    with pytest.raises(DeserializationError) as caught:
        await strict.get("k")
    error: BaseException | None = caught.value
    while error is not None:
        assert "-12345" not in str(error)
        error = error.__cause__ or error.__context__
