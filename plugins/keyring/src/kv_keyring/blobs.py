"""Text of any length in a keyring whose entries may be small.

Windows Credential Manager holds at most 2 560 bytes of UTF-16 (1 280
characters) per credential, and some other keyrings have limits of their own.
:class:`BlobIO` stores a text that does not fit one entry as several: the
pieces go to ``kv:chunk:{generation}:{n}`` and the entry itself holds a small
manifest naming them::

    {"kv_chunks":{"count":3,"generation":"6f1c...","chars":3402}}

A new value gets a new random generation and its pieces are written before
the manifest that points at them, so the entry always names complete pieces;
the pieces of the value it replaced are deleted afterwards. A text that fits
is stored as it is, so small entries are byte-for-byte what py-key-value
writes.

All functions here block: the store calls them in a worker thread, holding
the keyring lock.
"""

from __future__ import annotations

import json
import uuid
from typing import NamedTuple

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError

from kv.errors import DeserializationError, EntryTooLargeError
from kv_keyring.naming import chunk_username

__all__ = ["MANIFEST_PREFIX", "BlobIO", "Manifest", "utf16_length"]

MANIFEST_PREFIX = '{"kv_chunks":'
"""How a manifest starts; a stored document never starts like this."""


def utf16_length(text: str) -> int:
    """How many UTF-16 code units ``text`` takes (what Windows counts)."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, units: int) -> list[str]:
    """``text`` cut into pieces of at most ``units`` UTF-16 code units each."""
    if text.isascii():
        return [text[start : start + units] for start in range(0, len(text), units)]
    pieces: list[str] = []
    current: list[str] = []
    used = 0
    for char in text:
        width = 2 if ord(char) > 0xFFFF else 1
        if used + width > units:
            pieces.append("".join(current))
            current, used = [], 0
        current.append(char)
        used += width
    if current:
        pieces.append("".join(current))
    return pieces


class Manifest(NamedTuple):
    """Where the pieces of a split text are."""

    pieces: int
    generation: str
    chars: int

    def encode(self) -> str:
        """The manifest as the JSON text stored in the entry."""
        return (
            f'{MANIFEST_PREFIX}{{"count":{self.pieces},"generation":"{self.generation}",'
            f'"chars":{self.chars}}}}}'
        )

    def usernames(self) -> list[str]:
        """The usernames of the pieces, in order."""
        return [chunk_username(self.generation, number) for number in range(self.pieces)]


def parse_manifest(text: str) -> Manifest | None:
    """The manifest in ``text``, or ``None`` if ``text`` is not one.

    Raises:
        DeserializationError: ``text`` starts like a manifest but is damaged.
    """
    if not text.startswith(MANIFEST_PREFIX):
        return None
    try:
        fields = json.loads(text)["kv_chunks"]
        count, generation, chars = fields["count"], fields["generation"], fields["chars"]
    except (ValueError, KeyError, TypeError):
        raise DeserializationError("Stored chunk manifest is damaged") from None
    if (
        type(count) is not int
        or count < 1
        or type(chars) is not int
        or type(generation) is not str
        or not generation.isalnum()
    ):
        raise DeserializationError("Stored chunk manifest is damaged")
    return Manifest(count, generation, chars)


class BlobIO:
    """Read, write and delete texts of any length under one keyring service.

    Args:
        backend: The keyring backend.
        service: The keyring service name.
        max_value_chars: Most UTF-16 code units one keyring entry holds
            (``None``: no limit, texts are never split).
    """

    def __init__(self, backend: KeyringBackend, service: str, max_value_chars: int | None) -> None:
        self.backend = backend
        self.service = service
        self.max_value_chars = max_value_chars

    def get(self, username: str) -> str | None:
        """The raw text stored under ``username`` (a manifest is not followed)."""
        return self.backend.get_password(self.service, username)

    def read(self, username: str) -> str | None:
        """The whole text stored under ``username``, its pieces joined; ``None`` if absent."""
        head = self.get(username)
        if head is None:
            return None
        return self.follow(head)

    def follow(self, head: str) -> str:
        """``head`` itself, or the joined pieces if ``head`` is a manifest."""
        manifest = parse_manifest(head)
        if manifest is None:
            return head
        pieces: list[str] = []
        for piece_name in manifest.usernames():
            piece = self.get(piece_name)
            if piece is None:
                raise DeserializationError(
                    f"Piece {piece_name!r} of a value split across keyring entries is missing"
                )
            pieces.append(piece)
        text = "".join(pieces)
        if len(text) != manifest.chars:
            raise DeserializationError(
                "The pieces of a value split across keyring entries do not add up"
            )
        return text

    def plan(self, text: str, max_pieces: int | None) -> list[str]:
        """Cut ``text`` into the pieces a write stores (one piece: stored as it is).

        Raises:
            EntryTooLargeError: more than ``max_pieces`` pieces would be needed.
        """
        limit = self.max_value_chars
        if limit is None:
            return [text]
        size = utf16_length(text)
        if size <= limit:
            return [text]
        pieces = split_text(text, limit)
        if max_pieces is not None and len(pieces) > max_pieces:
            raise EntryTooLargeError(
                f"The entry is {size} characters of JSON; this keyring holds {limit} per"
                f" entry and the store splits one over at most {max_pieces} entries"
                " (options max_value_chars and max_chunks)",
                size=size,
                limit=limit * max_pieces,
            )
        return pieces

    def write(self, username: str, pieces: list[str], old_head: str | None) -> bool:
        """Store ``pieces`` (from :meth:`plan`) under ``username``; return whether split.

        ``old_head`` is what ``username`` held before (if known): the pieces
        of a split value it names are deleted once the new value is in place.
        """
        if len(pieces) == 1:
            self.backend.set_password(self.service, username, pieces[0])
            split = False
        else:
            manifest = Manifest(len(pieces), uuid.uuid4().hex, sum(map(len, pieces)))
            for piece_name, piece in zip(manifest.usernames(), pieces):
                self.backend.set_password(self.service, piece_name, piece)
            self.backend.set_password(self.service, username, manifest.encode())
            split = True
        if old_head is not None:
            self.delete_pieces(old_head)
        return split

    def delete(self, username: str, head: str | None) -> None:
        """Delete ``username`` and the pieces its ``head`` names (absent is fine)."""
        self.delete_one(username)
        if head is not None:
            self.delete_pieces(head)

    def delete_pieces(self, head: str) -> None:
        """Delete the pieces ``head`` names, if it is a manifest (a damaged one is left)."""
        try:
            manifest = parse_manifest(head)
        except DeserializationError:
            return
        if manifest is not None:
            for piece_name in manifest.usernames():
                self.delete_one(piece_name)

    def delete_one(self, username: str) -> bool:
        """Delete one keyring entry; return whether it existed."""
        try:
            self.backend.delete_password(self.service, username)
        except PasswordDeleteError:
            return False
        return True
