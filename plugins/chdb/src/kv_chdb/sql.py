"""How values reach chDB: query parameters and insert data, never spliced SQL.

chDB binds ``{name:Type}`` query parameters, but it parses each parameter's
text in ClickHouse's *Escaped* (TSV) format first: a backslash starts an escape
sequence (``\\n``, ``\\t``, ``\\0``, ``\\\\``, ``\\'``, ``\\N`` for NULL), and a raw
tab or newline ends the value with an error. :func:`escape_parameter` is the
one function that turns any text into parameter text that parses back to
exactly that text; every ``String`` parameter goes through it.

Lists of names travel as one ``String`` parameter holding a JSON array
(:func:`json_list`, then escaped like any other), which the query unpacks with
``JSONExtract({keys:String}, 'Array(String)')``. Rows are inserted as
``INSERT ... FORMAT JSONEachRow`` followed by JSON lines from
:func:`json_rows`: after ``FORMAT`` the server reads data, not SQL, and the
JSON encoder escapes everything.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence

__all__ = ["escape_parameter", "json_list", "json_rows"]

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\x00": "\\0"})

_dumps = json.JSONEncoder(ensure_ascii=True, separators=(",", ":")).encode


def escape_parameter(text: str) -> str:
    """The parameter text that chDB parses back to exactly ``text``.

    Escapes backslash (so ``\\N``, ``\\'`` and every other escape sequence stay
    literal), tab and newline (which would end the value), carriage return
    and NUL.
    """
    return text.translate(_ESCAPES)


def json_list(names: Sequence[str]) -> str:
    """A list of names as a JSON array (ASCII only), for a ``String`` parameter.

    Like every ``String`` parameter, it is escaped with :func:`escape_parameter`
    when it is bound.
    """
    return _dumps(list(names))


def json_rows(rows: Iterable[Mapping[str, object]]) -> str:
    """Rows as JSON lines for ``INSERT ... FORMAT JSONEachRow`` (ASCII only)."""
    return "\n".join(_dumps(row) for row in rows)
