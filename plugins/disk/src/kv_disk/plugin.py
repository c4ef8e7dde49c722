"""The declaration of ``disk://``: capabilities, options and store class in one place.

Named by this distribution's ``kv.stores`` entry point. It imports only kv:
listing plugins or resolving the scheme never imports :mod:`sqlite3` or
:mod:`kv_disk.store`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from kv import checks
from kv.capabilities import Capabilities
from kv.options import CommonOptions, option
from kv.plugin import StorePlugin
from kv.url import StoreURL

__all__ = ["DEFAULT_TIMEOUT", "DISK_CAPABILITIES", "PLUGIN", "DiskOptions", "LayoutName"]

LayoutName = Literal["single", "per-collection"]

DEFAULT_TIMEOUT = 10.0
"""Seconds a call waits for another connection's lock before failing."""

DISK_CAPABILITIES = Capabilities.every_operation(persistent=True)
"""What :class:`kv_disk.store.DiskStore` can do (a store with ``max_size`` is
also ``bounded``)."""


def _layout(value: object) -> str:
    if value not in ("single", "per-collection"):
        shown = repr(value) if isinstance(value, str) else f"a {type(value).__name__}"
        raise ValueError(f"must be 'single' or 'per-collection', not {shown}")
    return str(value)


def _max_size(value: int | None) -> int | None:
    if value is not None and value < 1:
        raise ValueError(f"must be None or a number of bytes >= 1, not {value!r}")
    return value


class DiskOptions(CommonOptions):
    """Options of ``disk://``, from the URL or keywords of ``DiskStore`` / ``kv.connect``.

    Attributes:
        directory: The cache directory (the URL's path), made absolute when
            the store is built.
        layout: ``"single"`` (one cache for every collection, py-key-value's
            ``DiskStore``) or ``"per-collection"`` (a cache folder per
            collection, py-key-value's ``MultiDiskStore``).
        max_size: Evict the least recently stored entries once the cache
            (each cache, per collection) uses more than this many bytes on
            disk; ``None``: unbounded. Counted as diskcache counts its
            ``size_limit``: database pages in use plus value files.
        timeout: Seconds to wait for another process's lock.
    """

    positional = "directory"
    directory: str = option(check=checks.absolute_path)
    layout: Literal["single", "per-collection"] = option(default="single", check=_layout)
    max_size: int | None = option(default=None, check=_max_size)
    timeout: float = option(default=DEFAULT_TIMEOUT, check=checks.seconds)

    @classmethod
    def from_location(cls, url: StoreURL) -> Mapping[str, object]:
        """``disk:///absolute/dir``, ``disk://relative/dir`` or ``disk:///C:/dir``."""
        return {"directory": url.local_path(windows_drive=True)}


PLUGIN = StorePlugin(
    store="kv_disk.store:DiskStore",
    options=DiskOptions,
    capabilities=DISK_CAPABILITIES,
    description="A directory in diskcache's format (py-key-value DiskStore), no pickle",
    conformance="kv_disk.conformance:HOOKS",
)
"""The declaration the ``kv.stores`` entry point ``disk`` names."""
