"""Typed access with pydantic: :class:`PydanticAdapter` and :class:`BaseModelAdapter`.

Needs the optional dependency: ``pip install "kv-core[pydantic]"``. The
stored format is py-key-value's, so data written by either library reads
back in the other.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeVar, get_args, get_origin, overload

try:
    from pydantic import BaseModel, TypeAdapter, ValidationError
    from pydantic.json_schema import GenerateJsonSchema
    from pydantic_core import PydanticOmit, PydanticSerializationError
except ImportError as error:  # pragma: no cover - exercised in a subprocess
    raise ImportError(
        'kv.adapters.pydantic needs pydantic; install it with: pip install "kv-core[pydantic]"'
    ) from error

from kv.adapters._context import type_name
from kv.adapters._typed import ConversionError, TypedAdapter

if TYPE_CHECKING:
    from pydantic.json_schema import JsonSchemaValue
    from pydantic_core import CoreSchema
    from typing_extensions import TypeForm

    from kv.protocols import AsyncKeyValue

__all__ = ["BaseModelAdapter", "PydanticAdapter"]

T = TypeVar("T")
M = TypeVar("M", bound="BaseModel | Sequence[BaseModel]")

_MAX_ERRORS_IN_MESSAGE = 5

# dump_python writes field names, not aliases; since pydantic 2.11 validation
# can accept both, so models with aliases read back. Older versions lack this.
_ACCEPTS_NAMES = "by_name" in inspect.signature(TypeAdapter.validate_python).parameters


class _SkipInvalidJsonSchema(GenerateJsonSchema):
    """Schema generator that leaves out fields JSON schema cannot describe (callables...)."""

    def handle_invalid_for_json_schema(
        self, schema: CoreSchema, error_info: str
    ) -> JsonSchemaValue:
        raise PydanticOmit


def _is_json_object(type_adapter: TypeAdapter[Any]) -> bool:
    """Whether the type's JSON schema is an object, i.e. its data needs no wrapping.

    This is py-key-value's rule, kept as is so the stored format matches.
    """
    try:
        schema = type_adapter.json_schema(schema_generator=_SkipInvalidJsonSchema)
    except (PydanticOmit, ValueError, TypeError, KeyError):
        return False  # no schema at all: wrapping is always safe
    return schema.get("type") == "object"


def _describe(error: ValidationError) -> str:
    """Summarise a validation error by location and error type, never by input."""
    details = error.errors(include_url=False, include_context=False, include_input=False)
    parts = [
        f"{'.'.join(str(part) for part in item['loc']) or '<root>'}: {item['type']}"
        for item in details[:_MAX_ERRORS_IN_MESSAGE]
    ]
    if len(details) > _MAX_ERRORS_IN_MESSAGE:
        parts.append(f"and {len(details) - _MAX_ERRORS_IN_MESSAGE} more")
    return f"{len(details)} validation error(s): " + "; ".join(parts)


class PydanticAdapter(TypedAdapter[T]):
    """Typed access to a store for any type pydantic's ``TypeAdapter`` handles.

    Models, dataclasses, ``TypedDict``, ``dict``, lists, primitives, unions...
    Values are converted with ``TypeAdapter.dump_python(value, mode="json")``.
    A type whose JSON schema is not an object is stored as
    ``{"items": <data>}``.

    Args:
        key_value: The store to wrap.
        pydantic_model: The type of the values, e.g. ``User``, ``list[User]``
            or ``int | None``.
        default_collection: Collection used when a call passes
            ``collection=None``; ``None`` leaves the choice to the store.
        raise_on_validation_error: Raise :class:`~kv.errors.DeserializationError`
            for a stored value that is not valid, instead of logging a warning
            to the ``kv.adapters`` logger and returning the default.
    """

    @overload
    def __init__(
        self,
        key_value: AsyncKeyValue,
        pydantic_model: type[T],
        *,
        default_collection: str | None = None,
        raise_on_validation_error: bool = False,
    ) -> None: ...
    @overload
    def __init__(
        self,
        key_value: AsyncKeyValue,
        pydantic_model: TypeForm[T],
        *,
        default_collection: str | None = None,
        raise_on_validation_error: bool = False,
    ) -> None: ...
    def __init__(
        self,
        key_value: AsyncKeyValue,
        pydantic_model: Any,
        *,
        default_collection: str | None = None,
        raise_on_validation_error: bool = False,
    ) -> None:
        self._type_adapter: TypeAdapter[T] = TypeAdapter(pydantic_model)
        super().__init__(
            key_value,
            wrap=self._needs_wrapping(pydantic_model),
            type_name=type_name(pydantic_model),
            default_collection=default_collection,
            raise_on_validation_error=raise_on_validation_error,
        )

    def _needs_wrapping(self, pydantic_model: Any) -> bool:
        """Whether values are stored as ``{"items": ...}``."""
        return not _is_json_object(self._type_adapter)

    def _to_data(self, value: T) -> Any:
        try:
            return self._type_adapter.dump_python(value, mode="json")
        except (PydanticSerializationError, ValueError, TypeError) as error:
            raise ConversionError(str(error)) from error

    def _from_data(self, data: Any) -> T:
        try:
            if _ACCEPTS_NAMES:
                return self._type_adapter.validate_python(data, by_alias=True, by_name=True)
            return self._type_adapter.validate_python(data)
        except ValidationError as error:
            reason = _describe(error)
        # Raised outside the except block: pydantic's error quotes the data.
        raise ConversionError(reason)


class BaseModelAdapter(PydanticAdapter[M]):
    """A :class:`PydanticAdapter` restricted to a ``BaseModel`` or ``list[BaseModel]``.

    Kept for code written against py-key-value. A list is stored as
    ``{"items": [...]}``, a model as its fields.

    Raises:
        TypeError: ``pydantic_model`` is neither a ``BaseModel`` subclass nor
            ``list`` of one.
    """

    def __init__(
        self,
        key_value: AsyncKeyValue,
        pydantic_model: type[M],
        *,
        default_collection: str | None = None,
        raise_on_validation_error: bool = False,
    ) -> None:
        origin = get_origin(pydantic_model)
        if origin is not None:
            args = get_args(pydantic_model)
            if origin is not list or len(args) != 1 or not _is_model_class(args[0]):
                raise TypeError(
                    f"BaseModelAdapter takes a BaseModel subclass or list[BaseModel],"
                    f" not {pydantic_model!r}"
                )
        elif not _is_model_class(pydantic_model):
            raise TypeError(
                f"BaseModelAdapter takes a BaseModel subclass or list[BaseModel],"
                f" not {pydantic_model!r}"
            )
        super().__init__(
            key_value,
            pydantic_model,
            default_collection=default_collection,
            raise_on_validation_error=raise_on_validation_error,
        )

    def _needs_wrapping(self, pydantic_model: Any) -> bool:
        """Lists are wrapped, models never (py-key-value's rule for this adapter)."""
        return get_origin(pydantic_model) is list


def _is_model_class(candidate: object) -> bool:
    return isinstance(candidate, type) and issubclass(candidate, BaseModel)
