"""Helpers for stores that keep their entries in one table of an SQL engine.

Backend-neutral: statement templates with named parts, and the check that an
existing table has the layout the store needs. Used by kv-duckdb and kv-chdb.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from kv.errors import StoreSetupError

__all__ = ["check_layout", "templates"]


def templates(parts: Mapping[str, str]) -> Callable[[str], str]:
    """A function that fills a statement template: each ``{name}`` of ``parts`` is
    replaced by its text, in the order of ``parts`` (so a part may use the names
    of later parts)."""

    def fill(template: str) -> str:
        for name, text in parts.items():
            template = template.replace(name, text)
        return template

    return fill


def check_layout(
    columns: Mapping[str, str], needed: Mapping[str, str], *, table: str, where: str
) -> None:
    """Refuse an existing table whose columns are not the ones the store needs.

    Args:
        columns: The table's columns and their types, as the engine reports them.
        needed: The columns the store needs, and their types.
        table: The table's name, for the message.
        where: The database (a path), for the message.

    Raises:
        StoreSetupError: a needed column is missing or of another type.
    """
    wrong = [name for name, kind in needed.items() if columns.get(name) != kind]
    if wrong:
        raise StoreSetupError(
            f"The table {table!r} in {where!r} exists with another layout (columns"
            f" {', '.join(wrong)} missing or of another type); choose another 'table'"
        )
