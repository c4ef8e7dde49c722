"""Adapters: typed access on top of any :class:`kv.AsyncKeyValue`.

An adapter wraps a store and gives it a friendlier API; it is *not* a store
itself (it does not implement the protocol, so it cannot be passed where an
``AsyncKeyValue`` is expected, nor wrapped again).

* :class:`DataclassAdapter`: dataclasses in and out, no extra dependency.
* :class:`PydanticAdapter`, :class:`BaseModelAdapter`: any type pydantic
  handles; needs ``pip install "kv-core[pydantic]"``. They are imported on
  first use, so ``import kv.adapters`` never imports pydantic.
* :class:`RaiseOnMissingAdapter`: reads that raise
  :class:`~kv.errors.MissingKeyError` for absent keys.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kv.adapters.dataclass import DataclassAdapter
from kv.adapters.raise_on_missing import RaiseOnMissingAdapter

if TYPE_CHECKING:
    from kv.adapters.pydantic import BaseModelAdapter, PydanticAdapter

__all__ = ["BaseModelAdapter", "DataclassAdapter", "PydanticAdapter", "RaiseOnMissingAdapter"]

_LAZY = frozenset({"BaseModelAdapter", "PydanticAdapter"})


def __getattr__(name: str) -> Any:
    """Import the pydantic adapters on first use (they need pydantic)."""
    if name in _LAZY:
        from kv.adapters import pydantic

        value = getattr(pydantic, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'kv.adapters' has no attribute {name!r}")


def __dir__() -> list[str]:
    """List the public names, including the lazily imported ones."""
    return sorted({*globals(), *__all__})
