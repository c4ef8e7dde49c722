"""kv-core's version, written once: in ``core/pyproject.toml``.

:data:`kv.__version__` is read from the installed distribution's metadata
(``importlib.metadata.version("kv-core")``), which the build copies from the
pyproject. In a source checkout where kv-core is not installed (``core/src`` on
``sys.path``), it is read from the ``[project]`` table of the pyproject beside
the sources; ``"0+unknown"`` when neither exists. ``kv`` imports this module on
the first access to ``kv.__version__`` only, so ``import kv`` does not pay for
``importlib.metadata``.
"""

from __future__ import annotations

import re
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

__all__ = ["DISTRIBUTION", "UNKNOWN", "VERSION", "distribution_version"]

DISTRIBUTION = "kv-core"
"""The distribution whose version :data:`VERSION` is."""

UNKNOWN = "0+unknown"
"""The version reported when neither the metadata nor the pyproject is found."""

_PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"
_TABLE = re.compile(r"^\[([^\]]+)\]\s*$", re.MULTILINE)
_FIELD = re.compile(r'^(name|version)\s*=\s*"([^"]*)"\s*$', re.MULTILINE)


def _pyproject_version(distribution: str, pyproject: Path) -> str | None:
    """The ``[project]`` version of ``pyproject`` if it declares ``distribution``."""
    try:
        text = pyproject.read_text(encoding="utf-8")
    except OSError:
        return None
    tables = _TABLE.split(text)
    # split gives [before, name1, body1, name2, body2, ...]
    for name, body in zip(tables[1::2], tables[2::2]):
        if name.strip() == "project":
            fields: dict[str, str] = {m.group(1): m.group(2) for m in _FIELD.finditer(body)}
            if fields.get("name") == distribution and fields.get("version"):
                return fields["version"]
    return None


def distribution_version(distribution: str = DISTRIBUTION, pyproject: Path = _PYPROJECT) -> str:
    """The installed version of ``distribution``, else the one ``pyproject`` declares.

    ``pyproject`` is read only when the distribution is not installed (a source
    checkout), and only if its ``[project]`` table names ``distribution``;
    otherwise the result is :data:`UNKNOWN`.
    """
    try:
        return version(distribution)
    except PackageNotFoundError:
        return _pyproject_version(distribution, pyproject) or UNKNOWN


VERSION = distribution_version()
"""kv-core's version (``kv.__version__``)."""
