"""The checkpoint file of ``kv copy``: how far each collection was copied.

A small JSON file, rewritten atomically (a temporary file renamed over it)
after each batch's ``put_many`` has returned, records per collection the last
key copied in the source's listing order, whether the collection is done, and
the counts so far. A rerun with the same checkpoint continues after that key.
It names the source and destination by their URLs with every secret masked
(:meth:`kv.StoreURL.render`), so it holds no password, and a checkpoint is
refused for a copy between other stores or of other collections.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from kv.errors import ArgumentValueError

__all__ = ["Checkpoint", "CollectionProgress", "default_path"]

FORMAT = 1
"""Version of the file's layout."""


@dataclass
class CollectionProgress:
    """How far one collection was copied."""

    last_key: str | None = None
    """The last key copied, in the source's listing order (``None``: none yet)."""
    done: bool = False
    """Every key of the collection was copied."""
    copied: int = 0
    """Entries written to the destination so far."""
    expired: int = 0
    """Entries skipped because they had expired (or were deleted) before being read."""


@dataclass
class Checkpoint:
    """The progress of one copy, kept in the file at :attr:`path`."""

    path: Path
    source: str
    """The source URL, secrets masked."""
    destination: str
    """The destination URL, secrets masked."""
    selected: list[str] | None
    """The collections asked for with ``--collection`` (``None``: all the source lists)."""
    collections: dict[str, CollectionProgress] = field(default_factory=dict)

    @classmethod
    def open(
        cls, path: Path, source: str, destination: str, selected: list[str] | None
    ) -> Checkpoint:
        """The checkpoint at ``path``: the one found there, or a fresh one.

        Raises:
            ArgumentValueError: The file is not a kv copy checkpoint, or it
                belongs to a copy between other stores or of other collections.
        """
        fresh = cls(path, source, destination, selected)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return fresh
        except OSError as error:
            raise ArgumentValueError(f"Cannot read the checkpoint {path}: {error}") from None
        try:
            found = _parse(path, json.loads(text))
        except (ValueError, KeyError, TypeError):
            raise ArgumentValueError(
                f"{path} is not a kv copy checkpoint; name another file with --checkpoint"
            ) from None
        if (found.source, found.destination, found.selected) != (source, destination, selected):
            raise ArgumentValueError(
                f"The checkpoint {path} belongs to the copy from {found.source}"
                f" to {found.destination} ({_describe(found.selected)}), not this one;"
                " name another file with --checkpoint, or delete it to start over"
            )
        return found

    def progress(self, collection: str) -> CollectionProgress:
        """The progress of ``collection`` (created empty on first use)."""
        return self.collections.setdefault(collection, CollectionProgress())

    def save(self) -> None:
        """Write the file atomically: a reader (or a rerun) sees the old or the new one."""
        data: dict[str, Any] = {
            "format": FORMAT,
            "source": self.source,
            "destination": self.destination,
            "selected": self.selected,
            "collections": {name: asdict(state) for name, state in self.collections.items()},
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        temporary.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        os.replace(temporary, self.path)

    def remove(self) -> None:
        """Delete the file (the copy finished)."""
        self.path.unlink(missing_ok=True)


def _parse(path: Path, data: Any) -> Checkpoint:
    """A checkpoint from the file's JSON (``ValueError``, ``KeyError``, ``TypeError``: not one)."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError(path)
    selected = data["selected"]
    return Checkpoint(
        path,
        str(data["source"]),
        str(data["destination"]),
        None if selected is None else [str(name) for name in selected],
        {
            str(name): CollectionProgress(**state)
            for name, state in dict(data["collections"]).items()
        },
    )


def _describe(selected: list[str] | None) -> str:
    if selected is None:
        return "every collection"
    return "collections " + ", ".join(json.dumps(name, ensure_ascii=False) for name in selected)


def cache_dir() -> Path:
    """The user's cache folder (``XDG_CACHE_HOME``, ``~/Library/Caches``, ``LOCALAPPDATA``)."""
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA")
        return Path(base) if base else Path.home() / "AppData" / "Local"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches"
    base = os.environ.get("XDG_CACHE_HOME")
    return Path(base) if base else Path.home() / ".cache"


def default_path(source: str, destination: str, selected: list[str] | None) -> Path:
    """Where the checkpoint of a copy goes when ``--checkpoint`` is not given.

    One file per (source, destination, collections), named by a hash of the
    masked URLs, under ``<cache dir>/kv/copy/``.
    """
    identity = json.dumps([source, destination, selected], ensure_ascii=False)
    digest = hashlib.sha256(identity.encode("utf-8")).hexdigest()[:24]
    return cache_dir() / "kv" / "copy" / f"{digest}.json"
