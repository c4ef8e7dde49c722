"""The part of the standard library's :mod:`winreg` the store uses, typed for every platform.

:mod:`winreg` exists only on Windows, and its type stubs only declare its
names there, so the store never imports it by name: :func:`load_winreg`
imports it at run time and returns it as :class:`Winreg`, a protocol that
lists exactly the functions and constants used. Off Windows it raises
:class:`~kv.errors.StoreSetupError`.
"""

from __future__ import annotations

import importlib
import sys
from types import TracebackType
from typing import Any, Protocol, cast

from kv.errors import StoreSetupError

__all__ = [
    "ERROR_KEY_DELETED",
    "ERROR_NO_MORE_ITEMS",
    "RegistryKey",
    "Winreg",
    "load_winreg",
]

ERROR_NO_MORE_ITEMS = 259
"""``winerror`` of an enumeration past the last item."""

ERROR_KEY_DELETED = 1018
"""``winerror`` of a call on a key handle whose key was deleted."""


class RegistryKey(Protocol):
    """An open registry key handle (``winreg.HKEYType``)."""

    def Close(self) -> None:  # noqa: N802 - winreg's name
        """Close the handle."""

    def __enter__(self) -> RegistryKey:
        """Use the handle in a ``with`` block."""

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        """Close the handle."""


Key = RegistryKey | int


class Winreg(Protocol):
    """The functions and constants of :mod:`winreg` the store calls."""

    HKEY_CURRENT_USER: int
    HKEY_LOCAL_MACHINE: int
    KEY_READ: int
    KEY_WRITE: int
    REG_SZ: int

    def CreateKeyEx(  # noqa: N802
        self, key: Key, sub_key: str, reserved: int = 0, access: int = ..., /
    ) -> RegistryKey:
        """Open or create a key."""

    def OpenKey(  # noqa: N802
        self, key: Key, sub_key: str, reserved: int = 0, access: int = ..., /
    ) -> RegistryKey:
        """Open an existing key (``FileNotFoundError`` if missing)."""

    def QueryValueEx(self, key: Key, name: str, /) -> tuple[Any, int]:  # noqa: N802
        """Read a value: ``(data, type)``."""

    def SetValueEx(  # noqa: N802
        self, key: Key, value_name: str, reserved: int, value_type: int, value: str, /
    ) -> None:
        """Write a value."""

    def DeleteValue(self, key: Key, value: str, /) -> None:  # noqa: N802
        """Delete a value (``FileNotFoundError`` if missing)."""

    def DeleteKey(self, key: Key, sub_key: str, /) -> None:  # noqa: N802
        """Delete a key that has no subkeys."""

    def EnumValue(self, key: Key, index: int, /) -> tuple[str, Any, int]:  # noqa: N802
        """The ``index``-th value: ``(name, data, type)``; ``OSError`` past the end."""

    def EnumKey(self, key: Key, index: int, /) -> str:  # noqa: N802
        """The ``index``-th subkey name; ``OSError`` past the end."""

    def QueryInfoKey(self, key: Key, /) -> tuple[int, int, int]:  # noqa: N802
        """``(number of subkeys, number of values, last modified)``."""


def load_winreg() -> Winreg:
    """Import :mod:`winreg`.

    Raises:
        StoreSetupError: not on Windows, where :mod:`winreg` does not exist.
    """
    try:
        module = importlib.import_module("winreg")
    except ImportError:
        raise StoreSetupError(
            "winreg:// needs the Windows registry: the winreg module is only available on"
            f" Windows (this is {sys.platform})",
            store="winreg",
        ) from None
    return cast(Winreg, module)
