"""The declaration of ``disk://``: capabilities, options and store class in one place.

Named by this distribution's ``kv.stores`` entry point. It imports only kv:
listing plugins or resolving the scheme never imports :mod:`sqlite3` or
:mod:`kv_disk.store`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

from kv.plugin import Capabilities, LocalOptions, StorePlugin, checks, option

__all__ = ["DISK_CAPABILITIES", "PLUGIN", "DiskOptions", "LayoutName"]

LayoutName = Literal["single", "per-collection"]

DISK_CAPABILITIES = Capabilities.every_operation(persistent=True, atomic=True)
"""What :class:`kv_disk.store.DiskStore` can do (a store with ``max_size`` is
also ``bounded``)."""


class DiskOptions(LocalOptions):
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
    layout: LayoutName = "single"
    max_size: int | None = option(default=None, check=checks.optional(checks.positive_int))
    timeout: float = option(default=10.0, check=checks.seconds)

    def adjust_capabilities(self, declared: Capabilities) -> Capabilities:
        """A store with ``max_size`` is ``bounded``."""
        return declared if self.max_size is None else replace(declared, bounded=True)


PLUGIN = StorePlugin(
    store="kv_disk.store:DiskStore",
    options=DiskOptions,
    capabilities=DISK_CAPABILITIES,
    description="A directory in diskcache's format (py-key-value DiskStore), no pickle",
)
"""The declaration the ``kv.stores`` entry point ``disk`` names."""
