"""``RetryWrapper``: retry calls that fail for a passing reason, with backoff and jitter.

::

    from kv_wrappers import RetryWrapper

    store = RetryWrapper(kv.connect("redis://localhost"), max_retries=5, initial_delay=0.05)

Out of the box it retries connection errors and timeouts: kv's
:class:`~kv.errors.StoreConnectionError` (a ``ConnectionError``) and
:class:`~kv.errors.StoreTimeoutError` (a ``TimeoutError``), and the built-in
ones a non-kv store may raise. Every other error (a bad value, a missing
capability, a read-only store...) is raised at once, and cancellation is never
retried. A call is tried at most ``max_retries + 1`` times; the last error is
raised as it is.

Before retry ``i`` (counting from 0) it sleeps
``min(initial_delay * exponential_base ** i, max_delay)``, shortened by a
random part of at most ``jitter`` of it (``jitter=0.5``: between half and
all of it) so that many clients do not retry in step. Retrying uses the
`tenacity <https://tenacity.readthedocs.io>`_ library and sleeps with
``anyio.sleep``, so it works under asyncio and trio. A call that succeeds the
first time never enters tenacity, and builds no closure: it costs a ``try``.

The optional capabilities are retried the same way (``destroy``,
``destroy_collection``, ``cull``), except enumeration, which passes through:
a walk that broke halfway cannot be resumed transparently.

The ``atomic`` capability passes through. ``get_versioned`` is a read and is
retried like ``get``. The conditional writes (``put_if_absent``,
``put_if_version``, ``delete_if_version``) are retried only after a failure
that proves the write was not applied: an error of ``retry_on`` that is, or
was caused by, a :class:`ConnectionRefusedError` (the connection was refused,
so the request was never sent). Any other failure (a broken connection, a
timeout) is ambiguous: the write may have been applied and its answer lost,
and a retry would then report ``False`` for a write that won (a lock taken by
this very call, reported as held by someone else). Those errors are raised at
once; the caller can read the entry with ``get_versioned`` to learn what
happened.
"""

from __future__ import annotations

import math
import random
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, SupportsFloat, TypeVar, cast

import anyio
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_base

import kv
from kv.atomic import Versioned
from kv.errors import ArgumentTypeError, InvalidOptionError
from kv_wrappers.base import PROTOCOL_CALLS, BaseWrapper, protocol_calls

__all__ = ["DEFAULT_RETRY_ON", "RetryWrapper"]

T = TypeVar("T")

DEFAULT_RETRY_ON: tuple[type[Exception], ...] = (ConnectionError, TimeoutError)
"""Connection errors and timeouts, kv's (``StoreConnectionError``,
``StoreTimeoutError``) included."""


class _Backoff(wait_base):
    """Exponential backoff with jitter, for the retry after the first failure."""

    def __init__(self, wrapper: RetryWrapper) -> None:
        self.wrapper = wrapper

    def __call__(self, retry_state: RetryCallState) -> float:
        # Tenacity's attempt n is retry n; the wait after it precedes retry n + 1.
        return self.wrapper.delay(retry_state.attempt_number + 1)


def _never_sent(error: BaseException) -> bool:
    """Whether ``error`` proves the request never left: it is, or was caused by, a refused
    connection."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, ConnectionRefusedError):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def _number(value: object, what: str, *, minimum: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidOptionError(f"{what} must be a number, not {value!r}")
    if not math.isfinite(value) or value < minimum:
        raise InvalidOptionError(f"{what} must be finite and >= {minimum:g}, not {value!r}")
    return float(value)


_RETRIED_CALL = [
    "try:",
    "    return await self.key_value.{name}({rest})",
    "except Exception as _kv_error_:",
    "    if not self._first_failure_retried(_kv_error_):",
    "        raise",
    "return await self._again(lambda: self.key_value.{name}({rest}))",
]
"""Each protocol call: a first try with no closure (a call that succeeds costs a
``try``), then :meth:`RetryWrapper._again` after a failure that is retried."""


@protocol_calls(_RETRIED_CALL, doc="Passing failures are retried.")
class RetryWrapper(BaseWrapper):
    """Retry failed calls with exponential backoff and jitter.

    Args:
        key_value: The store to wrap.
        max_retries: Retries after the first try (``>= 0``); 3 by default.
        initial_delay: Seconds before the first retry; 0.1 by default.
        max_delay: Longest sleep between tries, in seconds; 10 by default.
        exponential_base: Factor by which the delay grows per retry (``>= 1``).
        retry_on: Exception types to retry; connection errors and timeouts by
            default (:data:`DEFAULT_RETRY_ON`).
        jitter: Fraction (0 to 1) of each delay that may be randomly cut off;
            0.5 by default, 0 for exact delays.
        sleep: Awaitable sleep function; ``anyio.sleep`` by default (tests
            pass their own to observe the delays).

    Raises:
        InvalidOptionError: A parameter is out of range.
    """

    def __init__(
        self,
        key_value: kv.AsyncKeyValue,
        max_retries: int = 3,
        initial_delay: float = 0.1,
        max_delay: float = 10.0,
        exponential_base: float = 2.0,
        retry_on: tuple[type[BaseException], ...] = DEFAULT_RETRY_ON,
        *,
        jitter: float = 0.5,
        sleep: Callable[[float], Awaitable[Any]] | None = None,
    ) -> None:
        if type(max_retries) is not int or max_retries < 0:
            raise InvalidOptionError(f"max_retries must be an int >= 0, not {max_retries!r}")
        self.max_retries = max_retries
        self.initial_delay = _number(initial_delay, "initial_delay", minimum=0)
        self.max_delay = _number(max_delay, "max_delay", minimum=0)
        self.exponential_base = _number(exponential_base, "exponential_base", minimum=1)
        self.jitter = _number(jitter, "jitter", minimum=0)
        if self.jitter > 1:
            raise InvalidOptionError(f"jitter must be between 0 and 1, not {jitter!r}")
        if (
            not isinstance(cast(object, retry_on), tuple)
            or not retry_on
            or not all(isinstance(kind, type) and issubclass(kind, Exception) for kind in retry_on)
        ):
            raise InvalidOptionError(
                f"retry_on must be a non-empty tuple of Exception subclasses, not {retry_on!r}"
            )
        self.retry_on = tuple(retry_on)
        self._sleep: Callable[[float], Awaitable[Any]] = anyio.sleep if sleep is None else sleep
        self._random = random.Random()
        super().__init__(key_value)

    _hands_arguments_on = frozenset(PROTOCOL_CALLS)

    _shown = ("max_retries",)

    def delay(self, retry: int) -> float:
        """Seconds to sleep before retry number ``retry`` (1 for the first retry)."""
        exponent = retry - 1
        try:
            delay = self.initial_delay * self.exponential_base**exponent
        except OverflowError:
            delay = self.max_delay
        delay = min(delay, self.max_delay)
        if self.jitter:
            delay *= 1 - self.jitter * self._random.random()
        return delay

    def _retries(self, error: BaseException, *, unsent_only: bool) -> bool:
        """Whether ``error`` may be retried (``unsent_only``: only if it was never sent).

        A refused argument never is, whatever ``retry_on`` says.
        """
        return (
            isinstance(error, self.retry_on)
            and not isinstance(error, ArgumentTypeError)
            and (not unsent_only or _never_sent(error))
        )

    def _first_failure_retried(self, error: Exception, *, unsent_only: bool = False) -> bool:
        """Whether a first try that failed with ``error`` is retried."""
        return bool(self.max_retries) and self._retries(error, unsent_only=unsent_only)

    async def _call(self, call: Callable[[], Awaitable[T]], *, unsent_only: bool = False) -> T:
        """Return ``call()``, retried after the errors :meth:`_retries` accepts."""
        try:
            return await call()
        except Exception as error:
            if not self._first_failure_retried(error, unsent_only=unsent_only):
                raise
        return await self._again(call, unsent_only=unsent_only)

    async def _again(self, call: Callable[[], Awaitable[T]], *, unsent_only: bool = False) -> T:
        """Retry ``call()``, whose first try failed with an error that is retried.

        The protocol's calls make their first try themselves, with no closure
        (a call that succeeds costs a ``try``), and build ``call`` only here.
        """
        await self._sleep(self.delay(1))

        async def attempt() -> T:
            return await call()

        retrying = AsyncRetrying(
            sleep=self._sleep,
            stop=stop_after_attempt(self.max_retries),
            wait=_Backoff(self),
            retry=retry_if_exception(lambda error: self._retries(error, unsent_only=unsent_only)),
            reraise=True,
        )
        return await retrying(attempt)

    # --- optional capabilities ---------------------------------------------------------

    async def _pass_destroy(self) -> bool:
        return await self._call(super()._pass_destroy)

    async def _pass_destroy_collection(self, collection: str) -> bool:
        parent = super()._pass_destroy_collection
        return await self._call(lambda: parent(collection))

    async def _pass_cull(self) -> int:
        return await self._call(super()._pass_cull)

    async def _pass_put_if_absent(
        self,
        key: str,
        value: Mapping[str, Any],
        collection: str | None,
        ttl: SupportsFloat | None,
    ) -> bool:
        parent = super()._pass_put_if_absent
        return await self._call(lambda: parent(key, value, collection, ttl), unsent_only=True)

    async def _pass_get_versioned(self, key: str, collection: str | None) -> Versioned | None:
        parent = super()._pass_get_versioned
        return await self._call(lambda: parent(key, collection))

    async def _pass_put_if_version(
        self,
        key: str,
        value: Mapping[str, Any],
        version: str,
        collection: str | None,
        ttl: SupportsFloat | None,
    ) -> bool:
        parent = super()._pass_put_if_version
        return await self._call(
            lambda: parent(key, value, version, collection, ttl), unsent_only=True
        )

    async def _pass_delete_if_version(self, key: str, version: str, collection: str | None) -> bool:
        parent = super()._pass_delete_if_version
        return await self._call(lambda: parent(key, version, collection), unsent_only=True)
