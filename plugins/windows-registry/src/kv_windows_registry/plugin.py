"""The declaration of ``winreg://``: capabilities, options and store class in one place.

Named by this distribution's ``kv.stores`` entry point. It imports only kv,
so it imports on every platform: ``kv plugins`` lists the scheme everywhere,
URLs and options are checked everywhere, and opening a ``winreg://`` URL off
Windows gives a clear :class:`~kv.errors.StoreSetupError`.
"""

from __future__ import annotations

from collections.abc import Mapping

from kv.errors import InvalidURLError
from kv.plugin import Capabilities, CommonOptions, StorePlugin, option
from kv.url import StoreURL

__all__ = [
    "DEFAULT_HIVE",
    "DEFAULT_PATH",
    "HIVES",
    "PLUGIN",
    "WINREG_CAPABILITIES",
    "WindowsRegistryOptions",
    "parse_location",
]

WINREG_CAPABILITIES = Capabilities.every_operation(persistent=True)
"""What :class:`kv_windows_registry.store.WindowsRegistryStore` can do."""

HIVES = {
    "HKCU": "HKEY_CURRENT_USER",
    "HKEY_CURRENT_USER": "HKEY_CURRENT_USER",
    "HKLM": "HKEY_LOCAL_MACHINE",
    "HKEY_LOCAL_MACHINE": "HKEY_LOCAL_MACHINE",
}
"""Hive names accepted in URLs and options (any case), and the hive each stands for."""

DEFAULT_HIVE = "HKEY_CURRENT_USER"
DEFAULT_PATH = "Software\\kv"
"""The root key of ``winreg://`` without a path (py-key-value's is ``Software\\py-key-value``)."""

_MAX_SEGMENT = 255


def parse_location(location: str) -> tuple[str, str]:
    """``(hive, path)`` from a URL location ``HIVE/SEG/SEG`` (``/`` or ``\\`` separated).

    An empty location is ``HKEY_CURRENT_USER\\Software\\kv``; a hive alone
    gets the path ``Software\\kv``.

    Raises:
        InvalidURLError: an unknown hive, or an empty or unusable path segment.
    """
    parts = location.replace("\\", "/").strip("/").split("/") if location.strip("/\\") else []
    if not parts:
        return DEFAULT_HIVE, DEFAULT_PATH
    hive = HIVES.get(parts[0].upper())
    if hive is None:
        raise InvalidURLError(
            f"winreg:// needs a hive first: HKCU or HKLM (or their long names), not {parts[0]!r}"
        )
    segments = parts[1:]
    if not segments:
        return hive, DEFAULT_PATH
    for segment in segments:
        if not segment:
            raise InvalidURLError("winreg:// paths cannot have empty segments ('//')")
        if len(segment) > _MAX_SEGMENT or not segment.isprintable():
            raise InvalidURLError(
                f"registry key names are at most {_MAX_SEGMENT} printable characters"
                f" (got {segment[:40]!r})"
            )
    return hive, "\\".join(segments)


def _hive(value: object) -> str:
    """A hive name (any case, short or long), as its long name."""
    hive = HIVES.get(value.upper()) if isinstance(value, str) else None
    if hive is None:
        raise ValueError(f"must be HKEY_CURRENT_USER or HKEY_LOCAL_MACHINE, not {value!r}")
    return hive


def _key_path(value: object) -> str:
    """A key path under the hive, ``\\``-separated (``/`` is read as ``\\``)."""
    if not isinstance(value, str):
        raise TypeError("must be a str")
    try:
        return parse_location(f"HKCU/{value}")[1]
    except InvalidURLError as error:
        raise ValueError(error.message) from None


class WindowsRegistryOptions(CommonOptions):
    """Options of ``winreg://``, from the URL or keywords of ``WindowsRegistryStore``.

    Attributes:
        path: The root key under the hive (the URL's path after the hive;
            segments separated by ``\\`` or ``/``).
        hive: ``HKEY_CURRENT_USER`` or ``HKEY_LOCAL_MACHINE`` (or ``HKCU`` /
            ``HKLM``, any case; the URL's first segment).
        legacy_names: Also find entries py-key-value wrote under unmapped
            names when kv's mapped names differ (names with upper-case
            letters or other characters kv escapes).
    """

    positional = "path"
    path: str = option(default=DEFAULT_PATH, check=_key_path)
    hive: str = option(default=DEFAULT_HIVE, check=_hive)
    legacy_names: bool = True

    @classmethod
    def from_location(cls, url: StoreURL) -> Mapping[str, object]:
        """``winreg://HIVE/PATH``: a hive, then the key path (both optional).

        Raises:
            InvalidURLError: a user or password, an unknown hive, or a bad path.
        """
        if url.username is not None or url.password is not None:
            raise InvalidURLError(
                f"winreg:// takes a hive and a key path, not a user or password (got {url})"
            )
        hive, path = parse_location(url.location)
        return {"hive": hive, "path": path}


PLUGIN = StorePlugin(
    store="kv_windows_registry.store:WindowsRegistryStore",
    options=WindowsRegistryOptions,
    capabilities=WINREG_CAPABILITIES,
    description="The Windows registry (standard library winreg); Windows only",
    name="winreg",
)
"""The declaration the ``kv.stores`` entry point ``winreg`` names."""
