"""The migration guide's tables are true: every kv URL of the constructor
table builds its store, and every error class the errors table names exists
on its side (and kv's do not subclass py-key-value's, as the guide says)."""

from __future__ import annotations

import builtins
import re
import sys
from pathlib import Path

import pytest

import kv

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "migration.md"
CODE = re.compile(r"`([^`]+)`")


def table(heading: str) -> list[list[str]]:
    """The rows (cells) of the first table after ``heading``, header excluded."""
    text = GUIDE.read_text(encoding="utf-8")
    section = text[text.index(heading) :]
    rows: list[list[str]] = []
    for line in section.splitlines()[1:]:
        if line.startswith("|"):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
        elif rows:
            break
    return rows[2:]  # header and separator


URLS = [CODE.findall(row[1])[0] for row in table("## Constructors to URLs")]


def test_the_tables_are_found() -> None:
    assert len(URLS) > 20
    assert len(table("## Errors")) > 10


@pytest.mark.parametrize("url", URLS)
def test_every_url_of_the_constructor_table_builds_its_store(url: str) -> None:
    scheme = kv.StoreURL.parse(url).scheme
    if scheme not in kv.registry.schemes():
        pytest.skip(f"the plugin of {scheme}:// is not installed")
    if scheme == "winreg" and sys.platform != "win32":
        with pytest.raises(kv.StoreSetupError, match="Windows"):
            kv.connect(url)
        return
    store = kv.connect(url)  # nothing connects before the first call
    assert isinstance(store, kv.AsyncKeyValue)


ERROR_ROWS = [row for row in table("## Errors") if row[1].startswith("`")]


@pytest.mark.parametrize("row", ERROR_ROWS, ids=[row[0] for row in ERROR_ROWS])
def test_every_error_class_of_the_table_exists(row: list[str]) -> None:
    pykv_errors = pytest.importorskip("key_value.aio.errors")
    theirs, ours = CODE.findall(row[0]), CODE.findall(row[1])
    for name in theirs:
        if hasattr(builtins, name):  # `(beartype's TypeError)`: Python's own class
            continue
        assert hasattr(pykv_errors, name), f"py-key-value has no {name}"
    if "the same names" in row[1]:
        ours = theirs
    for name in ours:
        cls = getattr(kv.errors, name.split(" ")[0], None)
        if cls is None:  # a Python base class named in the row, such as `ValueError`
            assert isinstance(getattr(builtins, name, None), type), name
            continue
        assert issubclass(cls, kv.KeyValueError)
        assert not issubclass(cls, pykv_errors.BaseKeyValueError), (
            "the guide says kv's errors do not subclass py-key-value's"
        )
