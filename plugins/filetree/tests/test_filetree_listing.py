"""file:// lists a folder without a stat per file, and decodes plain names at once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import kv
from kv.names import decode_path_segment, encode_path_segment
from kv_filetree.names import decoded

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _decoded_slowly(segment: str) -> str | None:
    if segment.startswith("~"):
        return None
    try:
        name = decode_path_segment(segment)
    except (UnicodeDecodeError, ValueError):
        return None
    if name is None or encode_path_segment(name) != segment:
        return None
    return name


@pytest.mark.parametrize(
    "segment",
    [
        "a",
        "key-00000001",
        "Under_score",
        "x" * 200,
        "x" * 201,
        "-",
        "~abc",
        "a.2Eb",
        "a.2eb",
        "a.",
        ".",
        "a.E2.82.AC",
        "caf.C3.A9",
        "a b",
        "",
    ],
)
def test_a_plain_name_decodes_as_the_full_rule_says(segment: str) -> None:
    assert decoded(segment) == _decoded_slowly(segment)


async def test_keys_leave_out_symlinks_private_files_and_other_suffixes(tmp_path: Path) -> None:
    store = kv.connect(f"file://{tmp_path}/kv", sweep_interval=None)
    await store.put_many(["a", "b.c", "long" * 60], [{"v": 1}] * 3, collection="c")
    folder = tmp_path / "kv" / encode_path_segment("c")
    os.symlink(folder / "a.json", folder / "linked.json")
    (folder / "notes.txt").write_text("not an entry")
    (folder / "sub.json").mkdir()
    assert await store.keys("c") == sorted(["a", "b.c", "long" * 60])
    assert await store.keys("c", limit=1) == ["a"]
    await store.close()
