"""``FallbackWrapper``: use a second store when the first one is unavailable.

Every read goes to the primary store; if it fails with one of the
``fallback_on`` exceptions, the same read goes to the fallback store. Writes
go to the primary only, unless ``write_to_fallback=True``, in which case a
write the primary could not take goes to the fallback instead (the two stores
then disagree until you reconcile them: there is no dual write and no health
tracking).

By default only unavailability falls back: :class:`kv.StoreConnectionError`,
:class:`kv.StoreTimeoutError` and the built-in ``ConnectionError`` and
``TimeoutError`` that every kv store error of those kinds also is. Unlike
py-key-value (``fallback_on=(Exception,)``), a bad key, a value that is not
JSON, a corrupt entry or a bug is never hidden behind the fallback's answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, ClassVar, TypeVar, cast

import kv
from kv.capabilities import OPTIONAL_OPERATIONS
from kv.errors import (
    InvalidOptionError,
    StoreConnectionError,
    StoreTimeoutError,
)
from kv_wrappers.base import (
    PROTOCOL_CALLS,
    READ_CALLS,
    WRITE_CALLS,
    BaseWrapper,
    _iter_collections_of,
    _iter_keys_of,
    protocol_calls,
)

__all__ = ["DEFAULT_FALLBACK_ON", "FallbackWrapper"]

T = TypeVar("T")

DEFAULT_FALLBACK_ON: tuple[type[Exception], ...] = tuple(
    dict.fromkeys(
        (
            StoreConnectionError,
            StoreTimeoutError,
            ConnectionError,
            TimeoutError,
            asyncio.TimeoutError,
        )
    )
)
"""The exceptions that make a call fall back by default: the store is unavailable."""

_log = logging.getLogger("kv.wrappers.fallback")


def _check_fallback_on(fallback_on: object) -> tuple[type[Exception], ...]:
    if isinstance(fallback_on, type):
        fallback_on = (fallback_on,)
    if not isinstance(fallback_on, tuple) or not fallback_on:
        raise InvalidOptionError("fallback_on must be a non-empty tuple of exception classes")
    for item in fallback_on:
        if not (isinstance(item, type) and issubclass(item, Exception)):
            raise InvalidOptionError(f"fallback_on must hold subclasses of Exception, not {item!r}")
    return cast(tuple[type[Exception], ...], fallback_on)


_FALLS_BACK = [
    "try:",
    "    return await self.primary_key_value.{name}({rest})",
    "except self.fallback_on as _kv_error_:",
    "    _kv_log_.debug('%s falls back after %s', '{name}', type(_kv_error_).__name__)",
    "    return await self.fallback_key_value.{name}({rest})",
]
"""A call on the primary, else on the fallback."""

_WRITES_PRIMARY = [
    "if not self.write_to_fallback:",
    "    return await self.primary_key_value.{name}({rest})",
]
"""A write on the primary only, unless ``write_to_fallback``."""


@protocol_calls(
    _FALLS_BACK, calls=READ_CALLS, names={"_kv_log_": _log}, doc="(Primary, else fallback.)"
)
@protocol_calls(
    _WRITES_PRIMARY + _FALLS_BACK,
    calls=WRITE_CALLS,
    names={"_kv_log_": _log},
    doc="(Primary; the fallback too if ``write_to_fallback``.)",
)
class FallbackWrapper(BaseWrapper):
    """Read from ``fallback_key_value`` when ``primary_key_value`` is unavailable.

    Args:
        primary_key_value: The store used normally.
        fallback_key_value: The store used when the primary fails.
        fallback_on: The exception classes that make a call fall back (default
            :data:`DEFAULT_FALLBACK_ON`: connection errors and timeouts).
            Passing ``(Exception,)`` restores py-key-value's behaviour, which
            also hides bugs and bad input behind the fallback.
        write_to_fallback: ``False`` (default): writes and deletes go to the
            primary only, and its errors are raised. ``True``: a write or
            delete the primary fails with ``fallback_on`` goes to the fallback.

    Optional capabilities (``keys``, ``destroy``...) are offered when both
    stores offer them, except ``atomic``, which is never offered: a claim or
    a version taken in one store means nothing in the other (a lock taken in
    the fallback while the primary is down is not seen once it is back), so
    no answer of the pair could keep the capability's meaning. Enumeration
    falls back like a read (only before the first name is returned),
    ``destroy``/``destroy_collection``/``cull`` like a write. If the fallback
    fails too, its error is raised, chained to the primary's. Falling back is
    logged at DEBUG on ``kv.wrappers.fallback``.
    """

    passes_through: ClassVar[frozenset[str]] = frozenset(OPTIONAL_OPERATIONS) - {"atomic"}
    """Every optional capability but ``atomic`` (see above)."""

    def __init__(
        self,
        primary_key_value: kv.AsyncKeyValue,
        fallback_key_value: kv.AsyncKeyValue,
        fallback_on: tuple[type[Exception], ...] = DEFAULT_FALLBACK_ON,
        write_to_fallback: bool = False,
    ) -> None:
        self.fallback_on = _check_fallback_on(fallback_on)
        self.write_to_fallback = bool(write_to_fallback)
        self.primary_key_value = primary_key_value
        self.fallback_key_value = fallback_key_value
        super().__init__(primary_key_value)

    _hands_arguments_on = frozenset(PROTOCOL_CALLS)

    def __repr__(self) -> str:
        return f"<FallbackWrapper {self.primary_key_value!r} else {self.fallback_key_value!r}>"

    def _wrapped_stores(self) -> Sequence[object]:
        return [self.primary_key_value, self.fallback_key_value]

    # --- falling back --------------------------------------------------------------

    async def _read(self, operation: str, call: Callable[[Any], Awaitable[T]]) -> T:
        try:
            return await call(self.primary_key_value)
        except self.fallback_on as error:
            _log.debug("%s falls back after %s", operation, type(error).__name__)
            return await call(self.fallback_key_value)

    async def _write(self, operation: str, call: Callable[[Any], Awaitable[T]]) -> T:
        if not self.write_to_fallback:
            return await call(self.primary_key_value)
        return await self._read(operation, call)

    # --- optional capabilities ---------------------------------------------------------

    def _pass_iter_keys(self, collection: str | None, page_size: int | None) -> AsyncIterator[str]:
        return self._walk(lambda store: _iter_keys_of(store, collection, page_size))

    def _pass_iter_collections(self, page_size: int | None) -> AsyncIterator[str]:
        return self._walk(lambda store: _iter_collections_of(store, page_size))

    async def _walk(
        self, walk: Callable[[object], AsyncGenerator[str, None]]
    ) -> AsyncGenerator[str, None]:
        """Walk the primary; switch to the fallback only if it fails before any name."""
        started = False
        try:
            async with contextlib.aclosing(walk(self.primary_key_value)) as names:
                async for name in names:
                    started = True
                    yield name
            return
        except self.fallback_on as error:
            if started:
                raise
            _log.debug("enumeration falls back after %s", type(error).__name__)
        async with contextlib.aclosing(walk(self.fallback_key_value)) as names:
            async for name in names:
                yield name

    async def _pass_destroy(self) -> bool:
        return bool(await self._write("destroy", lambda store: store.destroy()))

    async def _pass_destroy_collection(self, collection: str) -> bool:
        return bool(
            await self._write(
                "destroy_collection", lambda store: store.destroy_collection(collection)
            )
        )

    async def _pass_cull(self) -> int:
        return int(await self._write("cull", lambda store: store.cull()) or 0)
