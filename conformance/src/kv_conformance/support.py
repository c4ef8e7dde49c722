"""Helpers shared by the conformance tests."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import anyio
import pytest

import kv

__all__ = ["capabilities_of", "eventually", "need"]


def capabilities_of(store: object) -> kv.Capabilities:
    """The store's declared capabilities (none declared: the basic set)."""
    declared = getattr(store, "capabilities", None)
    return declared if isinstance(declared, kv.Capabilities) else kv.Capabilities()


def need(store: object, capability: str) -> None:
    """Skip the calling test unless ``store`` declares ``capability``."""
    if not getattr(capabilities_of(store), capability):
        pytest.skip(f"capability {capability!r} not declared by the store")


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
