"""docs/plugin-authors.md and the example plugin it walks through never part ways.

Every ``python`` or ``toml`` block of the guide whose first line names a file
of ``examples/kv-sqlite`` (``# kv_sqlite/plugin.py``, ``# tests/...``, or
``# pyproject.toml``) must stand, line for line and in one piece, in that
file: the guide shows the example's real code, and the example follows the
guide.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "plugin-authors.md"
EXAMPLE = ROOT / "examples" / "kv-sqlite"

_BLOCK = re.compile(r"^( *)```(?:python|toml)\n(.*?)^\1```", re.MULTILINE | re.DOTALL)
_HEADER = re.compile(r"#\s*((?:kv_sqlite|tests)/[\w/]+\.py|pyproject\.toml)\s*$")


def _blocks() -> list[tuple[str, list[str]]]:
    found: list[tuple[str, list[str]]] = []
    for match in _BLOCK.finditer(GUIDE.read_text(encoding="utf-8")):
        indent = len(match.group(1))
        lines = [line[indent:] for line in match.group(2).splitlines()]
        header = _HEADER.fullmatch(lines[0].strip()) if lines else None
        if header is not None:
            found.append((header.group(1), lines[1:]))
    return found


def _example_file(name: str) -> Path:
    if name.startswith("kv_sqlite/"):
        return EXAMPLE / "src" / name
    return EXAMPLE / name


def test_the_guide_shows_the_example() -> None:
    blocks = _blocks()
    assert len(blocks) >= 8, "the guide should show the example's files"


@pytest.mark.parametrize(("name", "lines"), _blocks(), ids=lambda value: str(value)[:40])
def test_each_block_stands_in_its_file(name: str, lines: list[str]) -> None:
    path = _example_file(name)
    assert path.is_file(), f"the guide names {name}, which the example does not have"
    text = path.read_text(encoding="utf-8").splitlines()
    wanted = [line.rstrip() for line in lines]
    while wanted and not wanted[-1]:
        wanted.pop()
    have = [line.rstrip() for line in text]
    for start in range(len(have) - len(wanted) + 1):
        if have[start : start + len(wanted)] == wanted:
            return
    pytest.fail(f"this block of the guide is not in {name}:\n" + "\n".join(wanted))
