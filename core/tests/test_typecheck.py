"""Runtime type checks: on by default, kv errors either way, fully off by env."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

import kv
from kv.errors import ArgumentTypeError

pytestmark = pytest.mark.anyio


async def test_wrong_argument_type_is_a_type_error() -> None:
    store = kv.connect("memory://")
    with pytest.raises(ArgumentTypeError):
        await store.put(1, {"a": 1})  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        await store.get_many("not-a-list-of-keys", collection=3)  # type: ignore[arg-type]


def _run(code: str, **env: str) -> str:
    environment = {**os.environ, **env}
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=environment,
        check=True,
    )
    return result.stdout.strip()


CHECK = """
    import anyio, kv, sys
    from kv.store import BaseStore
    async def main():
        store = kv.connect("memory://")
        try:
            await store.put(1, {"a": 1})
        except Exception as error:
            print(type(error).__name__, "beartype" in sys.modules, BaseStore.__dict__["get"].__module__)
    anyio.run(main)
"""


def test_checks_are_on_by_default_and_beartype_loads_on_first_use() -> None:
    out = _run(
        """
        import sys, kv
        kv.connect("memory://")
        print("beartype" in sys.modules)
        """
    )
    assert out == "False"
    assert _run(CHECK).startswith("ArgumentTypeError True")


@pytest.mark.parametrize("word", ["0", "false", "off", "no"])
def test_env_var_turns_checks_fully_off(word: str) -> None:
    out = _run(CHECK, KV_TYPECHECK=word)
    # The kv rule still refuses the key, with a kv error; beartype is never imported
    # and the method is the plain function.
    assert out == "InvalidKeyError False kv.store"
