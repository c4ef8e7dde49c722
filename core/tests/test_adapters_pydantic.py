"""PydanticAdapter and BaseModelAdapter: typed access through pydantic."""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import BaseModel, Field

import kv
import kv.adapters
from kv.adapters.pydantic import BaseModelAdapter, PydanticAdapter
from kv.errors import DeserializationError, SerializationError

pytestmark = pytest.mark.anyio

SECRET = "s3cr3t-value-never-logged"


class User(BaseModel):
    name: str
    age: int


class Aliased(BaseModel):
    user_name: str = Field(alias="userName")


class WithCallable(BaseModel):
    name: str
    hook: Callable[[], int] | None = Field(default=None, exclude=True)


class Node(BaseModel):
    name: str
    children: list[Node] = []


@pytest.fixture
def store() -> kv.AsyncKeyValue:
    return kv.connect("memory://")


# --- round trips and the stored format -------------------------------------------


async def test_model_round_trip_is_stored_unwrapped(store: kv.AsyncKeyValue) -> None:
    users = PydanticAdapter(store, User)
    await users.put("alice", User(name="Alice", age=30))
    assert await users.get("alice") == User(name="Alice", age=30)
    assert await store.get("alice") == {"name": "Alice", "age": 30}


async def test_list_of_models_is_wrapped_in_items(store: kv.AsyncKeyValue) -> None:
    team = PydanticAdapter(store, list[User])
    await team.put("t", [User(name="A", age=1), User(name="B", age=2)])
    assert await store.get("t") == {"items": [{"name": "A", "age": 1}, {"name": "B", "age": 2}]}
    assert await team.get("t") == [User(name="A", age=1), User(name="B", age=2)]


async def test_dict_is_stored_unwrapped(store: kv.AsyncKeyValue) -> None:
    scores = PydanticAdapter(store, dict[str, int])
    await scores.put("s", {"a": 1, "b": 2})
    assert await store.get("s") == {"a": 1, "b": 2}
    assert await scores.get("s") == {"a": 1, "b": 2}


async def test_int_is_wrapped_in_items(store: kv.AsyncKeyValue) -> None:
    counter = PydanticAdapter(store, int)
    await counter.put("n", 42)
    assert await store.get("n") == {"items": 42}
    assert await counter.get("n") == 42


async def test_a_valid_none_is_returned_not_replaced_by_the_default(
    store: kv.AsyncKeyValue,
) -> None:
    maybe = PydanticAdapter(store, int | None)
    await maybe.put("k", None)
    assert await store.get("k") == {"items": None}
    assert await maybe.get("k", default=7) is None
    assert await maybe.get("absent", default=7) == 7


async def test_aliased_model_reads_back(store: kv.AsyncKeyValue) -> None:
    adapter = PydanticAdapter(store, Aliased)
    await adapter.put("k", Aliased(userName="x"))
    assert await adapter.get("k") == Aliased(userName="x")


async def test_fields_without_json_schema_do_not_break_the_adapter(
    store: kv.AsyncKeyValue,
) -> None:
    adapter = PydanticAdapter(store, WithCallable)
    await adapter.put("k", WithCallable(name="n", hook=lambda: 1))
    assert await store.get("k") == {"name": "n"}
    assert await adapter.get("k") == WithCallable(name="n")


async def test_recursive_model_round_trip(store: kv.AsyncKeyValue) -> None:
    tree = Node(name="root", children=[Node(name="leaf")])
    adapter = PydanticAdapter(store, Node)
    await adapter.put("tree", tree)
    assert await adapter.get("tree") == tree


async def test_format_matches_py_key_value(store: kv.AsyncKeyValue) -> None:
    reference = pytest.importorskip("key_value.aio.adapters.pydantic")
    for model, value in [
        (User, User(name="A", age=1)),
        (list[User], [User(name="A", age=1)]),
        (int, 5),
        (dict[str, int], {"a": 1}),
        (Node, Node(name="n")),
    ]:
        theirs = reference.PydanticAdapter(key_value=store, pydantic_model=model)
        ours: PydanticAdapter[Any] = PydanticAdapter(store, model)
        await theirs.put("theirs", value)
        await ours.put("ours", value)
        assert await store.get("ours") == await store.get("theirs")
        assert await ours.get("theirs") == value
        assert await theirs.get("ours") == value


# --- defaults, TTL and batches ---------------------------------------------------


async def test_missing_key_gives_default(store: kv.AsyncKeyValue) -> None:
    users = PydanticAdapter(store, User)
    fallback = User(name="nobody", age=0)
    assert await users.get("absent") is None
    assert await users.get("absent", default=fallback) == fallback
    assert await users.ttl("absent") == (None, None)


async def test_ttl_goes_through_the_adapter(store: kv.AsyncKeyValue) -> None:
    users = PydanticAdapter(store, User)
    await users.put("short", User(name="A", age=1), ttl=100)
    await users.put("forever", User(name="B", age=2))
    value, remaining = await users.ttl("short")
    assert value == User(name="A", age=1)
    assert remaining is not None
    assert 99 < remaining <= 100
    assert await users.ttl("forever") == (User(name="B", age=2), None)
    _, raw_remaining = await store.ttl("short")
    assert raw_remaining is not None


async def test_batch_methods_keep_input_order(store: kv.AsyncKeyValue) -> None:
    users = PydanticAdapter(store, User)
    a, c = User(name="A", age=1), User(name="C", age=3)
    await users.put_many(["a", "c"], [a, c], ttl=50)
    assert await users.get_many(["c", "b", "a"]) == [c, None, a]
    fallback = User(name="?", age=0)
    assert await users.get_many(["c", "b"], default=fallback) == [c, fallback]
    results = await users.ttl_many(["a", "b", "c"])
    assert [value for value, _ in results] == [a, None, c]
    assert results[1] == (None, None)
    assert all(ttl is not None and 0 < ttl <= 50 for value, ttl in results if value is not None)
    assert await users.delete_many(["a", "b", "c"]) == 2
    assert await users.delete("a") is False
    assert await users.get_many(["a", "c"]) == [None, None]


async def test_delete(store: kv.AsyncKeyValue) -> None:
    users = PydanticAdapter(store, User)
    await users.put("a", User(name="A", age=1))
    assert await users.delete("a") is True
    assert await users.get("a") is None


async def test_put_many_length_mismatch_writes_nothing(store: kv.AsyncKeyValue) -> None:
    users = PydanticAdapter(store, User)
    with pytest.raises(ValueError, match="2 keys but 3 values"):
        await users.put_many(["a", "b"], [User(name="A", age=1)] * 3)
    assert await store.get_many(["a", "b"]) == [None, None]


# --- validation failures ---------------------------------------------------------


async def test_validation_failure_logs_and_returns_default(
    store: kv.AsyncKeyValue, caplog: pytest.LogCaptureFixture
) -> None:
    users = PydanticAdapter(store, User, default_collection="people")
    await store.put("bad", {"name": SECRET, "age": "not a number"}, collection="people", ttl=60)
    fallback = User(name="fallback", age=0)
    with caplog.at_level(logging.WARNING, logger="kv.adapters"):
        assert await users.get("bad") is None
        assert await users.get("bad", default=fallback) == fallback
        assert await users.get_many(["bad"], default=fallback) == [fallback]
        # ttl() and ttl_many() agree: no value, and no TTL either.
        assert await users.ttl("bad") == (None, None)
        assert await users.ttl_many(["bad"]) == [(None, None)]
    records = [r for r in caplog.records if r.name == "kv.adapters"]
    assert len(records) == 5
    for record in records:
        assert record.levelno == logging.WARNING
        message = record.getMessage()
        assert "'bad'" in message
        assert "'people'" in message
        assert "age" in message
        assert SECRET not in message
        assert "not a number" not in message
    assert SECRET not in caplog.text
    assert "not a number" not in caplog.text


async def test_validation_failure_raises_when_asked(store: kv.AsyncKeyValue) -> None:
    users = PydanticAdapter(store, User, raise_on_validation_error=True)
    await store.put("bad", {"name": SECRET, "age": "x"}, collection="c")
    for call in (
        users.get("bad", collection="c"),
        users.get_many(["bad"], collection="c"),
        users.ttl("bad", collection="c"),
        users.ttl_many(["bad"], collection="c"),
    ):
        with pytest.raises(DeserializationError) as caught:
            await call
        assert caught.value.key == "bad"
        assert caught.value.collection == "c"
        assert SECRET not in str(caught.value)
        assert "age" in str(caught.value)


async def test_missing_items_wrapper_is_a_validation_failure(
    store: kv.AsyncKeyValue, caplog: pytest.LogCaptureFixture
) -> None:
    await store.put("k", {"value": 1})
    with caplog.at_level(logging.WARNING, logger="kv.adapters"):
        assert await PydanticAdapter(store, int).get("k", default=-1) == -1
    assert "'items'" in caplog.text
    strict = PydanticAdapter(store, int, raise_on_validation_error=True)
    with pytest.raises(DeserializationError, match="items"):
        await strict.get("k")


# --- serialization errors and collections ----------------------------------------


async def test_serialization_error_names_key_and_collection(store: kv.AsyncKeyValue) -> None:
    adapter = PydanticAdapter(store, dict[str, Any], default_collection="things")
    with pytest.raises(SerializationError) as caught:
        await adapter.put("k", {"x": object()})
    assert caught.value.key == "k"
    assert caught.value.collection == "things"
    assert await store.get("k", collection="things") is None
    with pytest.raises(SerializationError) as caught:
        await adapter.put_many(["ok", "bad"], [{"x": 1}, {"x": object()}])
    assert caught.value.key == "bad"
    assert await store.get("ok", collection="things") is None


async def test_collection_defaults(store: kv.AsyncKeyValue) -> None:
    plain = PydanticAdapter(store, int)
    scoped = PydanticAdapter(store, int, default_collection="scoped")
    await plain.put("k", 1)
    await scoped.put("k", 2)
    await scoped.put("k", 3, collection="other")
    assert await store.get("k") == {"items": 1}  # the store's own default collection
    assert await store.get("k", collection="scoped") == {"items": 2}
    assert await store.get("k", collection="other") == {"items": 3}
    assert await scoped.get("k") == 2
    assert await scoped.get("k", collection="other") == 3
    assert await plain.get("k") == 1
    assert await scoped.delete("k") is True
    assert await plain.get("k") == 1


async def test_errors_name_the_store_default_collection(store: kv.AsyncKeyValue) -> None:
    await store.put("bad", {"items": "x"})
    adapter = PydanticAdapter(store, int, raise_on_validation_error=True)
    with pytest.raises(DeserializationError) as caught:
        await adapter.get("bad")
    assert caught.value.collection == "default_collection"


# --- BaseModelAdapter ------------------------------------------------------------


async def test_base_model_adapter(store: kv.AsyncKeyValue) -> None:
    single = BaseModelAdapter(store, User)
    many = BaseModelAdapter(store, list[User])
    await single.put("u", User(name="A", age=1))
    await many.put("l", [User(name="B", age=2)])
    assert await store.get("u") == {"name": "A", "age": 1}
    assert await store.get("l") == {"items": [{"name": "B", "age": 2}]}
    assert await single.get("u") == User(name="A", age=1)
    assert await many.get("l") == [User(name="B", age=2)]
    assert isinstance(single, PydanticAdapter)


@pytest.mark.parametrize(
    "model", [int, dict, dict[str, User], tuple[User, ...], list[int], set[User], "User"]
)
def test_base_model_adapter_refuses_other_types(store: kv.AsyncKeyValue, model: Any) -> None:
    with pytest.raises(TypeError, match="BaseModel"):
        BaseModelAdapter(store, model)


# --- imports ---------------------------------------------------------------------


def test_lazy_attributes() -> None:
    assert kv.adapters.PydanticAdapter is PydanticAdapter
    assert kv.adapters.BaseModelAdapter is BaseModelAdapter
    assert "PydanticAdapter" in dir(kv.adapters)
    with pytest.raises(AttributeError):
        _ = kv.adapters.NoSuchAdapter


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60
    )


def test_importing_adapters_does_not_import_pydantic() -> None:
    result = _run("import kv.adapters, sys; assert 'pydantic' not in sys.modules")
    assert result.returncode == 0, result.stderr


def test_missing_pydantic_says_how_to_install() -> None:
    result = _run(
        "import sys; sys.modules['pydantic'] = None\n"
        "import kv.adapters\n"
        "try:\n"
        "    kv.adapters.PydanticAdapter\n"
        "except ImportError as error:\n"
        "    print(error)\n"
        "else:\n"
        "    raise SystemExit('no ImportError')\n"
    )
    assert result.returncode == 0, result.stderr
    assert 'pip install "kv-core[pydantic]"' in result.stdout


async def test_raised_error_chains_nothing_that_quotes_the_value(
    store: kv.AsyncKeyValue,
) -> None:
    await store.put("bad", {"name": SECRET, "age": SECRET})
    users = PydanticAdapter(store, User, raise_on_validation_error=True)
    with pytest.raises(DeserializationError) as caught:
        await users.get("bad")
    error: BaseException | None = caught.value
    while error is not None:
        assert SECRET not in str(error)
        error = error.__cause__ or error.__context__
