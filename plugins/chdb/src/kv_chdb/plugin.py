"""The declaration of ``chdb://``: capabilities, options and store class in one place.

Named by this distribution's ``kv.stores`` entry point. It imports only kv:
listing plugins or resolving the scheme never imports chDB (a large native
library) or :mod:`kv_chdb.store`.
"""

from __future__ import annotations

from kv.plugin import Capabilities, LocalPathOptions, StorePlugin, checks, option

__all__ = ["CHDB_CAPABILITIES", "DEFAULT_TABLE", "PLUGIN", "ChDBOptions"]

DEFAULT_TABLE = "kv_entries"
"""The table entries are kept in, unless the ``table`` option names another."""

CHDB_CAPABILITIES = Capabilities.every_operation(persistent=True, atomic=True)
"""What :class:`kv_chdb.store.ChDBStore` can do."""


def _chdb_directory(value: object) -> str:
    """A database directory chDB reads as a plain path: no ``?``, no ``file:``, not ``:memory:``."""
    path = checks.local_path(value)
    if "?" in path or path.startswith("file:") or path == ":memory:":
        raise ValueError(
            "must be a directory without '?' (chDB reads those as connection options),"
            f" not {path!r}"
        )
    return path


class ChDBOptions(LocalPathOptions):
    """Options of ``chdb://``, from the URL or keywords of ``ChDBStore`` / ``kv.connect``.

    Attributes:
        path: The database directory (the URL's path): one per process. It may
            not contain ``?`` or start with ``file:``, and is not ``:memory:``.
        table: The table that holds the entries: a letter or ``_`` followed by
            up to 62 letters, digits or ``_``. ``destroy()`` empties only it.
        lock_timeout: Seconds to keep retrying when another process has the
            directory open.
    """

    path: str = option(check=_chdb_directory)
    table: str = option(default=DEFAULT_TABLE, check=checks.sql_identifier)
    lock_timeout: float = option(default=5.0, check=checks.seconds)


PLUGIN = StorePlugin(
    store="kv_chdb.store:ChDBStore",
    options=ChDBOptions,
    capabilities=CHDB_CAPABILITIES,
    description="A table of embedded ClickHouse (chDB) in a directory, one per process",
)
"""The declaration the ``kv.stores`` entry point ``chdb`` names."""
