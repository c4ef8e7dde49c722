"""``CompressionWrapper``: gzip large values, in py-key-value's stored format.

A value whose compact JSON is at least ``min_size_to_compress`` bytes is
stored as py-key-value's envelope, so either library reads what the other
wrote::

    {"__compressed_data__": "<base64 of gzip of the value's compact JSON>",
     "__compression_version__": 1, "__compression_algorithm__": "gzip"}

Smaller values are stored as they are. Reads accept both, so values written
before the wrapper was added stay readable. Unlike py-key-value, an envelope
that cannot be decompressed raises :class:`kv.DeserializationError` naming
the key and collection; the raw envelope is never returned as if it were the
value.

Decompression is bounded: an envelope that would decompress to more than
``max_decompressed_size`` bytes (32 MiB by default) is refused with
:class:`kv.DeserializationError` after at most that many bytes were produced,
so a small stored "compression bomb" cannot make a read allocate hundreds of
megabytes. Values larger than the limit are refused when written
(:class:`kv.EntryTooLargeError`), so the wrapper never stores what it would
refuse to read back.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import zlib
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import kv
from kv.capabilities import Capabilities
from kv.errors import DeserializationError, EntryTooLargeError, InvalidOptionError
from kv.values import dump_value, load_value
from kv_wrappers._size import surely_shorter
from kv_wrappers.transform import ValueTransformWrapper

__all__ = [
    "COMPRESSED_DATA_KEY",
    "COMPRESSION_ALGORITHM_KEY",
    "COMPRESSION_VERSION",
    "COMPRESSION_VERSION_KEY",
    "DEFAULT_MAX_DECOMPRESSED_SIZE",
    "CompressionWrapper",
]

COMPRESSED_DATA_KEY = "__compressed_data__"
COMPRESSION_VERSION_KEY = "__compression_version__"
COMPRESSION_ALGORITHM_KEY = "__compression_algorithm__"
COMPRESSION_VERSION = 1
"""The envelope version this wrapper writes and the newest it reads."""
_ALGORITHM = "gzip"
DEFAULT_MAX_DECOMPRESSED_SIZE = 32 * 1024 * 1024
"""Most bytes of JSON one stored value may decompress to, by default (32 MiB)."""
_CHUNK = 256 * 1024
"""Bytes of output decompressed per step."""


class CompressionWrapper(ValueTransformWrapper):
    """Compress large values with gzip before they reach the wrapped store.

    Args:
        key_value: The store to wrap.
        min_size_to_compress: Values whose compact JSON has at least this many
            bytes are compressed (default 1024); ``0`` compresses every value.
        compression_level: gzip level from 1 (fastest, py-key-value's choice,
            the default) to 9 (smallest).
        max_decompressed_size: Most bytes of JSON a stored value may
            decompress to (default 32 MiB); a read of a larger one raises
            ``DeserializationError`` without decompressing further, and a
            write of a larger value raises ``EntryTooLargeError``. ``None``:
            no limit (only for data you trust).

    Values that have a top-level ``"__compressed_data__"`` field are always
    compressed, so they can never be mistaken for an envelope. The wrapped
    store's ``max_value_size`` is not declared through this wrapper: how large
    a value may be depends on how well it compresses (the wrapped store still
    refuses an envelope that is too large, with ``EntryTooLargeError``).
    """

    def __init__(
        self,
        key_value: kv.AsyncKeyValue,
        min_size_to_compress: int = 1024,
        *,
        compression_level: int = 1,
        max_decompressed_size: int | None = DEFAULT_MAX_DECOMPRESSED_SIZE,
    ) -> None:
        if type(min_size_to_compress) is not int or min_size_to_compress < 0:
            raise InvalidOptionError(
                f"min_size_to_compress must be an int >= 0, not {min_size_to_compress!r}"
            )
        if type(compression_level) is not int or not 1 <= compression_level <= 9:
            raise InvalidOptionError(
                f"compression_level must be an int from 1 to 9, not {compression_level!r}"
            )
        if max_decompressed_size is not None and (
            type(max_decompressed_size) is not int or max_decompressed_size < 1
        ):
            raise InvalidOptionError(
                f"max_decompressed_size must be an int >= 1 or None, not {max_decompressed_size!r}"
            )
        self.min_size_to_compress = min_size_to_compress
        self.compression_level = compression_level
        self.max_decompressed_size = max_decompressed_size
        super().__init__(key_value)

    _envelope_field = COMPRESSED_DATA_KEY  # other stored values are read as they are

    def _adjust_capabilities(self, capabilities: Capabilities) -> Capabilities:
        return replace(capabilities, max_value_size=None)

    # --- the format ------------------------------------------------------------------

    def _encode_value(
        self, value: Mapping[str, Any], *, key: str, collection: str | None
    ) -> Mapping[str, Any]:
        small = self.min_size_to_compress
        if surely_shorter(value, small) and COMPRESSED_DATA_KEY not in value:
            return value  # the usual small value, passed on without encoding it here
        text = dump_value(value)
        if len(text) < small and COMPRESSED_DATA_KEY not in value:
            return value
        limit = self.max_decompressed_size
        if limit is not None and len(text) > limit:
            raise EntryTooLargeError(
                f"Value is {len(text)} bytes of JSON, more than max_decompressed_size"
                f" ({limit}) lets this wrapper read back; nothing was written",
                size=len(text),
                limit=limit,
            )
        packed = gzip.compress(text.encode("ascii"), compresslevel=self.compression_level, mtime=0)
        return {
            COMPRESSED_DATA_KEY: base64.b64encode(packed).decode("ascii"),
            COMPRESSION_VERSION_KEY: COMPRESSION_VERSION,
            COMPRESSION_ALGORITHM_KEY: _ALGORITHM,
        }

    def _decode_value(
        self, stored: dict[str, Any], *, key: str, collection: str | None
    ) -> dict[str, Any]:
        if COMPRESSED_DATA_KEY not in stored:
            return stored
        return _decompress(stored, self.max_decompressed_size)


class _TooLargeError(Exception):
    """The data decompresses to more bytes than allowed."""


def _gunzip(packed: bytes, limit: int | None) -> bytes:
    """``gzip.decompress(packed)``, producing at most ``limit`` bytes.

    Decompresses step by step, so a small input that would expand to
    gigabytes stops at the limit. Like :func:`gzip.decompress`, reads
    concatenated members and ignores zero padding after the last one.

    Raises:
        _TooLargeError: the output would exceed ``limit`` bytes.
        zlib.error: the data is not gzip, or a checksum does not match.
        EOFError: the data ends before the end of a member.
    """
    pieces: list[bytes] = []
    produced = 0
    rest = packed
    while True:
        unpacker = zlib.decompressobj(16 + zlib.MAX_WBITS)  # gzip header and trailer
        pending = rest
        while not unpacker.eof:
            room = _CHUNK if limit is None else min(_CHUNK, limit - produced + 1)
            piece = unpacker.decompress(pending, room)
            pending = unpacker.unconsumed_tail
            produced += len(piece)
            if limit is not None and produced > limit:
                raise _TooLargeError
            pieces.append(piece)
            if not piece and not pending and not unpacker.eof:
                raise EOFError("compressed data ends before the end-of-stream marker")
        rest = unpacker.unused_data.lstrip(b"\x00")
        if not rest:
            return b"".join(pieces)


def _decompress(envelope: dict[str, Any], limit: int | None) -> dict[str, Any]:
    """The value inside a compression envelope, of at most ``limit`` bytes of JSON.

    Raises:
        DeserializationError: the envelope is malformed, of a newer version or
            another algorithm, its data is not gzip of a JSON object, or it
            decompresses to more than ``limit`` bytes.
    """
    data = envelope.get(COMPRESSED_DATA_KEY)
    version = envelope.get(COMPRESSION_VERSION_KEY, COMPRESSION_VERSION)
    algorithm = envelope.get(COMPRESSION_ALGORITHM_KEY, _ALGORITHM)
    if not isinstance(data, str):
        raise DeserializationError(
            f"Stored compressed value is malformed: {COMPRESSED_DATA_KEY!r} is a"
            f" {type(data).__name__}, not base64 text"
        )
    if type(version) is not int or not 1 <= version <= COMPRESSION_VERSION:
        raise DeserializationError(
            f"Stored compressed value has version {version!r}; this release reads"
            f" version {COMPRESSION_VERSION}"
        )
    if algorithm != _ALGORITHM:
        raise DeserializationError(
            f"Stored compressed value uses algorithm {str(algorithm)[:40]!r}, not gzip"
        )
    try:
        packed = base64.b64decode(data, validate=True)
        text = _gunzip(packed, limit)
    except _TooLargeError:
        raise DeserializationError(
            f"Stored compressed value ({len(data)} bytes of base64) decompresses to more"
            f" than max_decompressed_size ({limit} bytes); it was not read"
        ) from None
    except (binascii.Error, ValueError, OSError, EOFError, zlib.error) as error:
        raise DeserializationError(
            f"Stored compressed value cannot be decompressed: {type(error).__name__}"
        ) from None
    return load_value(text)
