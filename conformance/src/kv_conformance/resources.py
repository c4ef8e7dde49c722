"""What a store opens it closes, and what it is given it never repeats.

* ``close()`` releases the file descriptors (files, sockets) the store opened:
  after a few open-use-close cycles the process holds no more of them than
  before.
* Bad input never echoes a value or a secret: errors about a refused value,
  TTL or argument name the parameter, key, collection and store, never the
  value's content, and neither ``repr()`` nor an error shows a secret the
  store was configured with (see :meth:`ResourceTests.store_secrets`).
"""

from __future__ import annotations

import gc
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

import kv
from kv_conformance.support import each_case, eventually

__all__ = ["MARKER", "ResourceTests", "open_descriptors"]

MARKER = "kv-conformance-marker-7d3f"
"""Text placed in refused input; no error message may contain it."""

_FD_DIRECTORY = Path("/proc/self/fd")


def open_descriptors() -> int:
    """How many file descriptors this process holds (Linux only)."""
    return len(os.listdir(_FD_DIRECTORY))


def _refused_values() -> dict[str, Any]:
    circular: dict[str, Any] = {"note": MARKER}
    circular["self"] = circular
    return {
        "set": {"k": {MARKER, "x"}},
        "bytes": {"k": MARKER.encode()},
        "nan-beside-marker": {"note": MARKER, "k": float("nan")},
        "int-key-beside-marker": {"note": MARKER, 1: "a"},
        "object": {"k": object(), "note": MARKER},
        "list": [MARKER],
        "string": MARKER,
        "circular": circular,
    }


def _error_text(error: BaseException) -> str:
    """Everything a user or a log could see of ``error`` and its causes."""
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        parts.extend([str(current), repr(current), *getattr(current, "__notes__", [])])
        current = current.__cause__ or current.__context__
    return "\n".join(parts)


class ResourceTests:
    """File descriptors are released by ``close()``; refused input is never echoed."""

    async def store_secrets(self, store: kv.AsyncKeyValue) -> Sequence[str]:
        """Secrets ``store`` was configured with (passwords, tokens, keys).

        Plugins whose test store uses one override this; the suite checks that
        none appears in ``repr(store)``, ``str(store)`` or any error it raises
        here.
        """
        return ()

    async def _cycle(self, store: kv.AsyncKeyValue) -> None:
        await store.put("fd", {"v": 1}, collection="fds")
        await store.put_many(["a", "b"], [{}, {}], collection="fds", ttl=600)
        assert await store.get("fd", collection="fds") == {"v": 1}
        await store.get_many(["a", "b", "missing"], collection="fds")
        if isinstance(store, kv.EnumerateKeys):
            await store.keys("fds")
        close = getattr(store, "close", None)
        if close is not None:
            await close()

    async def test_close_releases_file_descriptors(self, store: kv.AsyncKeyValue) -> None:
        if not os.path.isdir(_FD_DIRECTORY):  # noqa: ASYNC240 - a cheap stat
            pytest.skip("counting file descriptors needs /proc (Linux)")
        if getattr(store, "close", None) is None:
            pytest.skip("the store has no close()")
        await self._cycle(store)  # one-time costs: imports, caches, thread pools
        gc.collect()
        before = open_descriptors()
        for _ in range(3):
            await self._cycle(store)

        async def released() -> bool:
            if open_descriptors() <= before:
                return True
            gc.collect()  # a full collection costs a good part of a second in a large process
            return open_descriptors() <= before

        assert await eventually(released, within=10.0, step=0.1), (
            f"{open_descriptors() - before} file descriptors more than before"
            " three open-use-close cycles"
        )

    async def test_refused_value_is_not_echoed(self, store: kv.AsyncKeyValue) -> None:
        async def check(case: str, value: Any) -> None:
            with pytest.raises((kv.KeyValueError, TypeError, ValueError)) as caught:
                await store.put("echo", value, collection="echo")
            assert MARKER not in _error_text(caught.value)
            with pytest.raises((kv.KeyValueError, TypeError, ValueError)) as caught:
                await store.put_many(["fine", "echo"], [{"ok": 1}, value], collection="echo")
            assert MARKER not in _error_text(caught.value)

        await each_case(_refused_values(), check)

    async def test_refused_ttl_is_not_echoed(self, store: kv.AsyncKeyValue) -> None:
        for ttl in (MARKER, {"note": MARKER}, [MARKER]):
            with pytest.raises((kv.KeyValueError, TypeError, ValueError)) as caught:
                await store.put("echo", {"v": 1}, collection="echo", ttl=ttl)  # type: ignore[arg-type]
            assert MARKER not in _error_text(caught.value)

    async def test_secrets_never_shown(self, store: kv.AsyncKeyValue) -> None:
        secrets = [secret for secret in await self.store_secrets(store) if secret]
        if not secrets:
            pytest.skip("the test class names no secrets (store_secrets())")
        shown = [repr(store), str(store)]
        with pytest.raises((kv.KeyValueError, TypeError, ValueError)) as caught:
            await store.put("echo", {"k": {1, 2}}, collection="echo")
        shown.append(_error_text(caught.value))
        for text in shown:
            for secret in secrets:
                assert secret not in text
