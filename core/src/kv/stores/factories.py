"""URL factories of the built-in stores."""

from __future__ import annotations

from dataclasses import dataclass

from kv.errors import InvalidURLError
from kv.options import CommonOptions, parse_options
from kv.stores.memory import MemoryStore
from kv.stores.null import NullStore
from kv.url import StoreURL

__all__ = ["MemoryOptions", "NullOptions", "memory_from_url", "null_from_url"]


@dataclass(frozen=True)
class MemoryOptions(CommonOptions):
    """Options of ``memory://``."""

    max_entries: int | None = None


@dataclass(frozen=True)
class NullOptions:
    """Options of ``null://``."""

    default_collection: str | None = None


def _no_location(url: StoreURL) -> None:
    if url.location not in ("", "/"):
        raise InvalidURLError(
            f"{url.scheme}:// takes no host or path, only query options (got {url})"
        )


def memory_from_url(url: StoreURL, **options: object) -> MemoryStore:
    """``memory://[?max_entries=N&default_collection=NAME&sweep_interval=SECONDS]``."""
    _no_location(url)
    parsed = parse_options(url, options, MemoryOptions, store="memory")
    store = MemoryStore(
        max_entries=parsed.max_entries, default_collection=parsed.default_collection
    )
    store.configure_sweep(interval=parsed.sweep_interval, limit=parsed.sweep_limit)
    return store


def null_from_url(url: StoreURL, **options: object) -> NullStore:
    """``null://[?default_collection=NAME]``."""
    _no_location(url)
    parsed = parse_options(url, options, NullOptions, store="null")
    return NullStore(default_collection=parsed.default_collection)
