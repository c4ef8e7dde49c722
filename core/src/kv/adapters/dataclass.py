"""Typed access for standard-library dataclasses: :class:`DataclassAdapter`.

Works without pydantic. Values are written with :func:`dataclasses.asdict`
and rebuilt on read from the dataclass's field types (see
:mod:`kv.adapters._rebuild` for the types supported).
"""

from __future__ import annotations

import collections.abc
import dataclasses
import typing
from typing import TYPE_CHECKING, Any, TypeVar

from kv.adapters._context import type_name
from kv.adapters._rebuild import compile_loader
from kv.adapters._typed import ConversionError, TypedAdapter

if TYPE_CHECKING:
    from kv.protocols import AsyncKeyValue

__all__ = ["DataclassAdapter"]

T = TypeVar("T")

_SEQUENCE_ORIGINS = (list, tuple, collections.abc.Sequence)


def _dataclass_of(tp: object) -> type[Any] | None:
    """The dataclass ``tp`` is (``Box[int]`` counts as ``Box``), or ``None``."""
    cls = typing.get_origin(tp) or tp
    return cls if isinstance(cls, type) and dataclasses.is_dataclass(cls) else None


def _item_class(dataclass_type: object) -> tuple[type[Any], bool]:
    """Return ``(the dataclass, whether values are sequences of it)``.

    Raises:
        TypeError: ``dataclass_type`` is neither a dataclass nor a list, tuple
            or ``Sequence`` of one dataclass.
    """
    cls = _dataclass_of(dataclass_type)
    if cls is not None:
        return cls, False
    origin = typing.get_origin(dataclass_type)
    args = [arg for arg in typing.get_args(dataclass_type) if arg is not Ellipsis]
    if origin in _SEQUENCE_ORIGINS and args and all(arg == args[0] for arg in args):
        cls = _dataclass_of(args[0])
        if cls is not None:
            return cls, True
    raise TypeError(
        "DataclassAdapter takes a dataclass or a list, tuple or Sequence of one dataclass,"
        f" not {dataclass_type!r}"
    )


class DataclassAdapter(TypedAdapter[T]):
    """Typed access to a store for dataclasses, or lists or tuples of them.

    A dataclass is stored as the object :func:`dataclasses.asdict` makes; a
    sequence of dataclasses as ``{"items": [...]}``. On read, the data is
    checked against the field types (nested dataclasses, ``list``,
    ``tuple``, ``dict[str, ...]``, ``Optional``, unions, ``Literal`` and JSON
    primitives) and the dataclass rebuilt; data that does not fit is a
    validation failure.

    Args:
        key_value: The store to wrap.
        dataclass_type: A dataclass, or ``list[D]``, ``tuple[D, ...]`` or
            ``Sequence[D]`` of a dataclass ``D``.
        default_collection: Collection used when a call passes
            ``collection=None``; ``None`` leaves the choice to the store.
        raise_on_validation_error: Raise :class:`~kv.errors.DeserializationError`
            for a stored value that is not valid, instead of logging a warning
            to the ``kv.adapters`` logger and returning the default.

    Raises:
        TypeError: ``dataclass_type`` is not one of the forms above, or a field
            has a type that cannot be stored as JSON (use ``PydanticAdapter``).
    """

    def __init__(
        self,
        key_value: AsyncKeyValue,
        dataclass_type: type[T],
        *,
        default_collection: str | None = None,
        raise_on_validation_error: bool = False,
    ) -> None:
        self._item_class, is_sequence = _item_class(dataclass_type)
        self._loader = compile_loader(dataclass_type)
        super().__init__(
            key_value,
            wrap=is_sequence,
            type_name=type_name(dataclass_type),
            default_collection=default_collection,
            raise_on_validation_error=raise_on_validation_error,
        )

    def _to_data(self, value: T) -> Any:
        if not self._wrap:
            return self._dump_one(value, "the value")
        if isinstance(value, (str, bytes)) or not isinstance(value, collections.abc.Sequence):
            raise ConversionError(f"expected a sequence, got {type(value).__name__}")
        return [self._dump_one(item, f"item {index}") for index, item in enumerate(value)]

    def _dump_one(self, value: object, what: str) -> dict[str, Any]:
        if not isinstance(value, self._item_class):
            raise ConversionError(
                f"{what} is a {type(value).__name__}, not a {self._item_class.__name__}"
            )
        return dataclasses.asdict(value)

    def _from_data(self, data: Any) -> T:
        value: T = self._loader(data, "$")
        return value
