"""kv.dirlock: one process at a time holds a database; stores of a process share it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kv import dirlock

HOLD = """
import sys
from kv import dirlock
token = dirlock.acquire(sys.argv[1])
print("held", flush=True)
sys.stdin.readline()
dirlock.release(token)
"""


def test_holds_are_counted_within_a_process(tmp_path: Path) -> None:
    first = dirlock.acquire(str(tmp_path))
    second = dirlock.acquire(str(tmp_path))
    assert first == second
    dirlock.release(first)
    dirlock.release(second)
    # Released for good: taking it again works and a fresh token is given.
    assert dirlock.acquire(str(tmp_path)) == first
    dirlock.release(first)


def test_another_process_holding_it_is_reported_at_once(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"  # handshake, not a sleep
        with pytest.raises(dirlock.DirectoryBusyError):
            dirlock.acquire(str(tmp_path))
    finally:
        assert holder.stdin is not None
        holder.stdin.write("\n")
        holder.stdin.flush()
        holder.wait(timeout=60)
    token = dirlock.acquire(str(tmp_path))
    dirlock.release(token)
