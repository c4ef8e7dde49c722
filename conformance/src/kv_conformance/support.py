"""Helpers shared by the conformance tests."""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio
import pytest

import kv

__all__ = [
    "MISS_PROBE_COLLECTION",
    "SHORT_TTL",
    "Miss",
    "capabilities_of",
    "each_case",
    "eventually",
    "learn_miss",
    "need",
    "outlive",
    "reads_only",
]

SHORT_TTL = 0.1
"""The TTL of entries a test lets expire without reading them back first."""

MISS_PROBE_COLLECTION = "test"
"""The collection in which :func:`learn_miss` reads a never-written key."""

reads_only = pytest.mark.kv_reads_only
"""Marks a suite test that only reads, so it also runs on a ``read_only`` store.

Every other test of the suite writes, and is skipped (with the capability as
the reason) for a store that declares ``read_only``.
"""


def capabilities_of(store: object) -> kv.Capabilities:
    """The store's declared capabilities (none declared: the basic set)."""
    declared = getattr(store, "capabilities", None)
    return declared if isinstance(declared, kv.Capabilities) else kv.Capabilities()


def need(store: object, capability: str) -> None:
    """Skip the calling test unless ``store`` declares ``capability``."""
    if not getattr(capabilities_of(store), capability):
        pytest.skip(f"capability {capability!r} not declared by the store")


@dataclass(frozen=True)
class Miss:
    """What a store's reads return for a key that is not there.

    ``None`` and ``(None, None)`` for every store, except one that declares
    ``returns_defaults``: its miss is learnt by reading a never-written key.

    Attributes:
        value: What ``get`` (and each ``get_many`` slot) returns for a miss.
        ttl: What ``ttl`` (and each ``ttl_many`` slot) returns for a miss.
    """

    value: dict[str, Any] | None = None
    ttl: tuple[dict[str, Any] | None, float | None] = (None, None)

    def values(self, count: int) -> list[dict[str, Any] | None]:
        """What ``get_many`` returns for ``count`` missing keys."""
        return [self.value] * count

    def ttls(self, count: int) -> list[tuple[dict[str, Any] | None, float | None]]:
        """What ``ttl_many`` returns for ``count`` missing keys."""
        return [self.ttl] * count


async def learn_miss(store: kv.AsyncKeyValue) -> Miss:
    """What ``store`` returns for a missing key (see :class:`Miss`)."""
    if not capabilities_of(store).returns_defaults:
        return Miss()
    key = f"kv-conformance-never-written-{uuid.uuid4().hex}"
    value = await store.get(key, collection=MISS_PROBE_COLLECTION)
    ttl = await store.ttl(key, collection=MISS_PROBE_COLLECTION)
    return Miss(value, ttl)


async def eventually(
    condition: Callable[[], Awaitable[bool]], *, within: float, step: float = 0.05
) -> bool:
    """Poll ``condition`` until it holds or ``within`` seconds have passed."""
    deadline = time.monotonic() + within
    while True:
        if await condition():
            return True
        if time.monotonic() >= deadline:
            return False
        await anyio.sleep(step)


async def outlive(ttl: float) -> None:
    """Sleep until an entry written with ``ttl`` (before this call) has expired.

    A sleep lasts at least as long as asked, however busy the machine, and
    the entry's expiry was computed when it was written; the margin covers
    the difference between the monotonic clock of the sleep and the wall
    clock of expiry times.
    """
    await anyio.sleep(ttl + 0.15)


T = TypeVar("T")


async def each_case(cases: Mapping[str, T], check: Callable[[str, T], Awaitable[None]]) -> None:
    """Run ``check(name, case)`` for every case, then fail once naming each failing case.

    One test checks a whole table of cases (values, names, TTLs) on one store
    object, which costs a fraction of a test per case on a server store, yet
    a failure still says which cases failed and how.
    """
    failed: list[str] = []
    for name, case in cases.items():
        try:
            await check(name, case)
        except (Exception, pytest.fail.Exception) as error:  # noqa: PERF203 - one per case
            failed.append(f"{name}: {type(error).__name__}: {error}".strip())
    if failed:
        pytest.fail(f"{len(failed)} of {len(cases)} cases failed:\n" + "\n".join(failed))
