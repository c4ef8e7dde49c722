"""``LoggingWrapper``: log every call, never a value unless asked to.

Each call logs a ``Start`` line and a ``Finish`` line (or an ``Error`` line)
on the logger ``kv.wrappers.logging``::

    Start GET collection='users' keys='alice'
    Finish GET collection='users' keys='alice' ({'hit': True, 'ms': 0.02})

Values are logged only with ``log_values=True`` (py-key-value logged them
whatever the flag said). Errors are logged with their type, and with their
message only for kv errors, whose messages never contain values or passwords.
With ``structured_logs=True`` each message is one JSON object instead. Every
record also carries the same fields as ``record.kv`` for handlers.

The ``atomic`` operations pass through and are logged the same way
(``PUT_IF_ABSENT``, ``GET_VERSIONED``, ``PUT_IF_VERSION``,
``DELETE_IF_VERSION``), each with whether it wrote (``written``/``deleted``)
or found an entry (``hit``). Versions are logged (they are opaque tokens, not
data): the one asked for and the one found, so a log shows which write a
refused compare-and-swap lost to. Values only with ``log_values=True``.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Any, SupportsFloat, TypeVar

import kv
from kv._typecheck import typechecked
from kv.atomic import Versioned
from kv.errors import InvalidOptionError, KeyValueError
from kv_wrappers._support import collection_name, count_found
from kv_wrappers.base import BaseWrapper, close_walk

__all__ = ["LOGGER_NAME", "LoggingWrapper"]

LOGGER_NAME = "kv.wrappers.logging"
"""The logger used when none is given."""

T = TypeVar("T")

_MAX_KEYS_LOGGED = 5
_STORE_WIDE = frozenset({"COLLECTIONS", "DESTROY", "CULL"})
_MAX_NAME_LENGTH = 120


def _shorten(name: str) -> str:
    if len(name) <= _MAX_NAME_LENGTH:
        return name
    half = _MAX_NAME_LENGTH // 2
    return f"{name[:half]}...{name[-half:]}"


def _describe_error(error: BaseException) -> str:
    """The error's type, and its message when kv guarantees it holds no value."""
    if isinstance(error, KeyValueError):
        return f"{type(error).__name__}: {error}"
    return type(error).__name__


class LoggingWrapper(BaseWrapper):
    """Log each call to the wrapped store.

    Args:
        key_value: The store to wrap.
        logger: The logger to use (default: ``logging.getLogger("kv.wrappers.logging")``).
        log_level: The level of the ``Start``/``Finish`` lines (default INFO).
            ``Error`` lines use this level or WARNING, whichever is higher.
        log_values: Also log the values written and read (default ``False``:
            values may be personal data or secrets).
        structured_logs: Log each line as a JSON object with ``status``,
            ``action``, ``collection``, ``keys`` and, where there are some,
            ``extra`` and ``value``/``values``.

    Keys and collection names are logged (long ones shortened; bulk calls log
    their first five keys and the count). ``collection=None`` is logged as the
    wrapped store's default collection.
    """

    def __init__(
        self,
        key_value: kv.AsyncKeyValue,
        logger: logging.Logger | None = None,
        log_level: int = logging.INFO,
        log_values: bool = False,
        structured_logs: bool = False,
    ) -> None:
        if logger is not None and not isinstance(logger, logging.Logger):
            raise InvalidOptionError(f"logger must be a logging.Logger, not {logger!r}")
        if type(log_level) is not int:
            raise InvalidOptionError(f"log_level must be an int level, not {log_level!r}")
        self.logger = logger if logger is not None else logging.getLogger(LOGGER_NAME)
        self.log_level = log_level
        self.log_values = bool(log_values)
        self.structured_logs = bool(structured_logs)
        super().__init__(key_value)

    # --- formatting --------------------------------------------------------------------

    def _fields(
        self,
        status: str,
        action: str,
        collection: str | None,
        keys: str | Sequence[str] | None,
        extra: dict[str, Any] | None,
        values: object,
    ) -> dict[str, Any]:
        fields: dict[str, Any] = {"status": status, "action": action}
        if action not in _STORE_WIDE:
            fields["collection"] = _shorten(collection_name(self.key_value, collection))
        if isinstance(keys, str):
            fields["keys"] = _shorten(keys)
        elif keys is not None:
            fields["keys"] = [_shorten(key) for key in keys[:_MAX_KEYS_LOGGED]]
            if len(keys) > _MAX_KEYS_LOGGED:
                fields["count"] = len(keys)
        if extra:
            fields["extra"] = extra
        if self.log_values and values is not None:
            fields["values" if isinstance(values, list) else "value"] = values
        return fields

    def _emit(self, level: int, fields: dict[str, Any]) -> None:
        if self.structured_logs:
            message = _to_json(fields)
        else:
            parts = [fields["status"], fields["action"]]
            parts += [
                f"{name}={fields[name]!r}"
                for name in ("collection", "keys", "count")
                if name in fields
            ]
            parts += [
                f"{name}={_safe_repr(fields[name])}"
                for name in ("value", "values")
                if name in fields
            ]
            if "extra" in fields:
                parts.append(f"({fields['extra']!r})")
            message = " ".join(parts)
        if not message.isascii():
            # Lone surrogates (refused names, odd values) would break log handlers.
            message = message.encode("utf-8", "backslashreplace").decode("utf-8")
        self.logger.log(level, "%s", message, extra={"kv": fields})

    async def _logged(
        self,
        action: str,
        collection: str | None,
        keys: str | Sequence[str] | None,
        call: Awaitable[T],
        *,
        written: object = None,
        describe: Callable[[T], tuple[dict[str, Any], object]] | None = None,
    ) -> T:
        """Run ``call`` between a Start line and a Finish (or Error) line."""
        if not self.logger.isEnabledFor(self.log_level):
            return await call
        self._emit(self.log_level, self._fields("Start", action, collection, keys, None, written))
        started = time.perf_counter()
        try:
            result = await call
        except BaseException as error:
            elapsed = round((time.perf_counter() - started) * 1000, 3)
            extra = {"error": _describe_error(error), "ms": elapsed}
            self._emit(
                max(self.log_level, logging.WARNING),
                self._fields("Error", action, collection, keys, extra, None),
            )
            raise
        elapsed = round((time.perf_counter() - started) * 1000, 3)
        extra, shown = describe(result) if describe is not None else ({}, None)
        extra["ms"] = elapsed
        self._emit(self.log_level, self._fields("Finish", action, collection, keys, extra, shown))
        return result

    # --- the protocol --------------------------------------------------------------------

    @typechecked
    async def get(self, key: str, *, collection: str | None = None) -> dict[str, Any] | None:
        """Return the value of ``key``, logging the call."""
        if not self.logger.isEnabledFor(self.log_level):  # nothing to log: just the call
            return await self.key_value.get(key, collection=collection)
        return await self._logged(
            "GET",
            collection,
            key,
            self.key_value.get(key, collection=collection),
            describe=lambda value: ({"hit": value is not None}, value),
        )

    @typechecked
    async def ttl(
        self, key: str, *, collection: str | None = None
    ) -> tuple[dict[str, Any] | None, float | None]:
        """Return ``(value, remaining seconds)``, logging the call."""
        if not self.logger.isEnabledFor(self.log_level):  # nothing to log: just the call
            return await self.key_value.ttl(key, collection=collection)
        return await self._logged(
            "TTL",
            collection,
            key,
            self.key_value.ttl(key, collection=collection),
            describe=lambda result: ({"hit": result[0] is not None, "ttl": result[1]}, result[0]),
        )

    @typechecked
    async def get_many(
        self, keys: Sequence[str], *, collection: str | None = None
    ) -> list[dict[str, Any] | None]:
        """Return the values of ``keys``, logging the call."""
        if not self.logger.isEnabledFor(self.log_level):  # nothing to log: just the call
            return await self.key_value.get_many(keys, collection=collection)
        return await self._logged(
            "GET_MANY",
            collection,
            keys,
            self.key_value.get_many(keys, collection=collection),
            describe=lambda values: (_hits(values), values),
        )

    @typechecked
    async def ttl_many(
        self, keys: Sequence[str], *, collection: str | None = None
    ) -> list[tuple[dict[str, Any] | None, float | None]]:
        """Return ``(value, remaining seconds)`` for each key, logging the call."""
        if not self.logger.isEnabledFor(self.log_level):  # nothing to log: just the call
            return await self.key_value.ttl_many(keys, collection=collection)
        return await self._logged(
            "TTL_MANY",
            collection,
            keys,
            self.key_value.ttl_many(keys, collection=collection),
            describe=lambda results: (
                _hits([value for value, _ in results]),
                [value for value, _ in results],
            ),
        )

    @typechecked
    async def put(
        self,
        key: str,
        value: Mapping[str, Any],
        *,
        collection: str | None = None,
        ttl: SupportsFloat | None = None,
    ) -> None:
        """Store ``value``, logging the call."""
        if not self.logger.isEnabledFor(self.log_level):  # nothing to log: just the call
            await self.key_value.put(key, value, collection=collection, ttl=ttl)
            return
        await self._logged(
            "PUT",
            collection,
            key,
            self.key_value.put(key, value, collection=collection, ttl=ttl),
            written=dict(value) if self.log_values and isinstance(value, Mapping) else None,
            describe=lambda _: ({"ttl": _loggable_ttl(ttl)}, None),
        )

    @typechecked
    async def put_many(
        self,
        keys: Sequence[str],
        values: Sequence[Mapping[str, Any]],
        *,
        collection: str | None = None,
        ttl: SupportsFloat | None = None,
    ) -> None:
        """Store several values, logging the call."""
        if not self.logger.isEnabledFor(self.log_level):  # nothing to log: just the call
            await self.key_value.put_many(keys, values, collection=collection, ttl=ttl)
            return
        written = None
        if self.log_values:
            written = [dict(v) if isinstance(v, Mapping) else v for v in values]
        await self._logged(
            "PUT_MANY",
            collection,
            keys,
            self.key_value.put_many(keys, values, collection=collection, ttl=ttl),
            written=written,
            describe=lambda _: ({"count": len(keys), "ttl": _loggable_ttl(ttl)}, None),
        )

    @typechecked
    async def delete(self, key: str, *, collection: str | None = None) -> bool:
        """Delete ``key``, logging the call."""
        if not self.logger.isEnabledFor(self.log_level):  # nothing to log: just the call
            return await self.key_value.delete(key, collection=collection)
        return await self._logged(
            "DELETE",
            collection,
            key,
            self.key_value.delete(key, collection=collection),
            describe=lambda deleted: ({"deleted": deleted}, None),
        )

    @typechecked
    async def delete_many(self, keys: Sequence[str], *, collection: str | None = None) -> int:
        """Delete ``keys``, logging the call."""
        if not self.logger.isEnabledFor(self.log_level):  # nothing to log: just the call
            return await self.key_value.delete_many(keys, collection=collection)
        return await self._logged(
            "DELETE_MANY",
            collection,
            keys,
            self.key_value.delete_many(keys, collection=collection),
            describe=lambda deleted: ({"deleted": deleted}, None),
        )

    # --- optional capabilities -------------------------------------------------------------

    def _pass_iter_keys(self, collection: str | None, page_size: int | None) -> AsyncIterator[str]:
        return self._logged_walk("KEYS", collection, super()._pass_iter_keys(collection, page_size))

    def _pass_iter_collections(self, page_size: int | None) -> AsyncIterator[str]:
        return self._logged_walk("COLLECTIONS", None, super()._pass_iter_collections(page_size))

    async def _logged_walk(
        self, action: str, collection: str | None, walk: AsyncIterator[str]
    ) -> AsyncGenerator[str, None]:
        enabled = self.logger.isEnabledFor(self.log_level)
        if enabled:
            self._emit(self.log_level, self._fields("Start", action, collection, None, None, None))
        count = 0
        try:
            async for name in walk:
                count += 1
                yield name
        finally:
            await close_walk(walk)
        if enabled:
            extra = {"count": count}
            self._emit(
                self.log_level, self._fields("Finish", action, collection, None, extra, None)
            )

    async def _pass_destroy(self) -> bool:
        return await self._logged("DESTROY", None, None, super()._pass_destroy())

    async def _pass_destroy_collection(self, collection: str) -> bool:
        return await self._logged(
            "DESTROY_COLLECTION", collection, None, super()._pass_destroy_collection(collection)
        )

    async def _pass_cull(self) -> int:
        return await self._logged(
            "CULL",
            None,
            None,
            super()._pass_cull(),
            describe=lambda removed: ({"removed": removed}, None),
        )

    async def _pass_put_if_absent(
        self,
        key: str,
        value: Mapping[str, Any],
        collection: str | None,
        ttl: SupportsFloat | None,
    ) -> bool:
        return await self._logged(
            "PUT_IF_ABSENT",
            collection,
            key,
            super()._pass_put_if_absent(key, value, collection, ttl),
            written=dict(value) if self.log_values and isinstance(value, Mapping) else None,
            describe=lambda done: ({"written": done, "ttl": _loggable_ttl(ttl)}, None),
        )

    async def _pass_get_versioned(self, key: str, collection: str | None) -> Versioned | None:
        return await self._logged(
            "GET_VERSIONED",
            collection,
            key,
            super()._pass_get_versioned(key, collection),
            describe=_describe_versioned,
        )

    async def _pass_put_if_version(
        self,
        key: str,
        value: Mapping[str, Any],
        version: str,
        collection: str | None,
        ttl: SupportsFloat | None,
    ) -> bool:
        return await self._logged(
            "PUT_IF_VERSION",
            collection,
            key,
            super()._pass_put_if_version(key, value, version, collection, ttl),
            written=dict(value) if self.log_values and isinstance(value, Mapping) else None,
            describe=lambda done: (
                {"written": done, "version": _loggable_version(version), "ttl": _loggable_ttl(ttl)},
                None,
            ),
        )

    async def _pass_delete_if_version(self, key: str, version: str, collection: str | None) -> bool:
        return await self._logged(
            "DELETE_IF_VERSION",
            collection,
            key,
            super()._pass_delete_if_version(key, version, collection),
            describe=lambda done: ({"deleted": done, "version": _loggable_version(version)}, None),
        )


def _describe_versioned(found: Versioned | None) -> tuple[dict[str, Any], object]:
    if found is None:
        return {"hit": False}, None
    return {"hit": True, "ttl": found.ttl, "version": _loggable_version(found.version)}, found.value


def _loggable_version(version: object) -> str | None:
    """A version as logged: the store's token, shortened like a name (``None``: not a str)."""
    return _shorten(version) if isinstance(version, str) else None


def _safe_repr(value: object) -> str:
    try:
        return repr(value)
    except RecursionError:
        return "<nested too deeply to show>"


def _to_json(fields: dict[str, Any]) -> str:
    """``fields`` as JSON; a value JSON cannot hold (circular, ...) is logged as its repr."""
    try:
        return json.dumps(fields, default=repr, ensure_ascii=False)
    except (ValueError, TypeError, RecursionError):
        shown = {
            name: _safe_repr(field) if name in ("value", "values") else field
            for name, field in fields.items()
        }
        return json.dumps(shown, default=repr, ensure_ascii=False)


def _hits(values: Sequence[object]) -> dict[str, Any]:
    hits = count_found(values)
    return {"hits": hits, "misses": len(values) - hits}


def _loggable_ttl(ttl: SupportsFloat | None) -> float | None:
    if ttl is None:
        return None
    try:
        return float(ttl)
    except (TypeError, ValueError, OverflowError):
        return None
