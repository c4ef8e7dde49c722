"""Acceptance of ``kv copy``: 100,000 entries from ``disk://`` to ``sqlite://``,
interrupted (the process killed by its PID after a handshake) and resumed,
with nothing lost, nothing copied twice and remaining TTLs kept.

The copying process prints one ``progress:`` line per batch on its stderr,
written after the batch's checkpoint; the test reads those lines from a pipe
and kills the process after the tenth, then reruns the same command.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest

import kv
from kv import registry

pytestmark = [
    pytest.mark.skipif(
        not {"disk", "sqlite"} <= {info.scheme for info in registry.plugins() if info.plugin},
        reason="needs kv-disk and kv-sqlite",
    ),
    # 100,000 entries copied twice by subprocesses: minutes on a loaded machine.
    pytest.mark.timeout(900),
]

TTLS = (600.0, 1200.0, 1800.0, 3600.0)
"""The TTLs of the timed collection, so batches hold several groups.

The ``short`` collection's entries have expired before the copy: the disk
store lists none of them, and none reaches the destination (skipping an entry
that expires between listing and reading is tested in test_copy.py).
"""
COUNTS = {"timed": 60_000, "forever": 39_000, "short": 1_000}
SHORT_TTL = 0.5
BATCH = 1000
KILL_AFTER = 10


async def _fill(url: str) -> None:
    """100,000 entries: ``timed`` with TTLs, ``forever`` without, ``short`` expired."""
    async with kv.connect(url) as store:
        keys = [f"s{index:05d}" for index in range(COUNTS["short"])]
        await store.put_many(keys, [{"n": 0}] * len(keys), collection="short", ttl=SHORT_TTL)
        for start in range(0, COUNTS["timed"], 5000):
            ttl = TTLS[start // 5000 % len(TTLS)]
            keys = [f"t{index:05d}" for index in range(start, start + 5000)]
            values = [{"n": index, "ttl": ttl} for index in range(start, start + 5000)]
            await store.put_many(keys, values, collection="timed", ttl=ttl)
        for start in range(0, COUNTS["forever"], 5000):
            stop = min(start + 5000, COUNTS["forever"])
            keys = [f"f{index:05d}\n{'é' * (index % 3)}" for index in range(start, stop)]
            await store.put_many(
                keys, [{"n": index} for index in range(start, stop)], collection="forever"
            )
        # Wait (deadline, no fixed sleep) until the short entries have expired.
        with anyio.fail_after(60):
            while any(
                value is not None
                for value in await store.get_many(keys_short(), collection="short")
            ):
                await anyio.sleep(0.05)


def keys_short() -> list[str]:
    return [f"s{index:05d}" for index in range(COUNTS["short"])]


async def _snapshot(url: str, keys: dict[str, list[str]]) -> dict[str, dict[str, tuple[Any, Any]]]:
    """Every listed entry's value and remaining TTL, per collection."""
    found: dict[str, dict[str, tuple[Any, Any]]] = {}
    async with kv.connect(url) as store:
        for collection, names in keys.items():
            entries = found[collection] = {}
            for start in range(0, len(names), 5000):
                chunk = names[start : start + 5000]
                pairs = await store.ttl_many(chunk, collection=collection)
                entries.update(
                    {key: pair for key, pair in zip(chunk, pairs) if pair[0] is not None}
                )
    return found


async def _listed(url: str) -> dict[str, list[str]]:
    async with kv.connect(url) as store:
        assert isinstance(store, kv.EnumerateCollections)
        assert isinstance(store, kv.EnumerateKeys)
        return {name: await store.keys(name) for name in await store.collections()}


def _copy_command(source: str, destination: str, checkpoint: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "kv.cli",
        "copy",
        source,
        destination,
        "--batch-size",
        str(BATCH),
        "--checkpoint",
        str(checkpoint),
        "--progress",
        "lines",
    ]


def test_copy_100k_entries_interrupted_and_resumed(tmp_path: Path) -> None:
    source, destination = f"disk://{tmp_path}/source", f"sqlite://{tmp_path}/destination.db"
    checkpoint = tmp_path / "copy.json"
    anyio.run(_fill, source)

    # First run: killed by its PID after KILL_AFTER batches were checkpointed.
    process = subprocess.Popen(
        _copy_command(source, destination, checkpoint),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stderr is not None
    for seen, line in enumerate(process.stderr, start=1):
        assert line.startswith("progress: collection "), line
        if seen == KILL_AFTER:
            process.kill()
            break
    process.wait(timeout=120)
    assert process.returncode != 0  # killed before the end
    state = json.loads(checkpoint.read_text(encoding="utf-8"))
    first_copied = sum(progress["copied"] for progress in state["collections"].values())
    assert first_copied >= KILL_AFTER * BATCH - COUNTS["short"]  # at least the lines seen
    assert first_copied < COUNTS["timed"] + COUNTS["forever"]  # and not everything

    # Second run: the same command continues after the checkpoint.
    second = subprocess.run(
        _copy_command(source, destination, checkpoint),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert second.returncode == 0, second.stderr[-2000:]
    summary = second.stdout.strip().splitlines()[-1]
    second_copied = int(summary.split()[1])
    # Each live entry was copied exactly once over the two runs: no loss, no duplicates.
    assert first_copied + second_copied == COUNTS["timed"] + COUNTS["forever"], summary
    assert not checkpoint.exists()  # a finished copy removes its checkpoint

    listed = anyio.run(_listed, source)
    copied_keys = anyio.run(_listed, destination)
    assert sorted(copied_keys) == ["forever", "timed"]  # every short entry had expired
    assert len(copied_keys["timed"]) == COUNTS["timed"]
    assert len(copied_keys["forever"]) == COUNTS["forever"]
    wanted = {name: keys for name, keys in listed.items() if name != "short"}
    before = anyio.run(_snapshot, source, wanted)
    after = anyio.run(_snapshot, destination, wanted)
    for collection in wanted:
        assert after[collection].keys() == before[collection].keys()
        for key, (value, remaining) in before[collection].items():
            copied_value, copied_remaining = after[collection][key]
            assert copied_value == value
            if remaining is None:
                assert copied_remaining is None, key
            else:
                # Read after the source: never longer, and within the tolerance
                # (1 s) plus the time between the two reads on a busy machine.
                assert copied_remaining is not None, key
                assert remaining - 60 < copied_remaining <= remaining + 0.5, key


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT is POSIX")
def test_ctrl_c_stops_at_a_checkpoint_and_the_rerun_finishes(tmp_path: Path) -> None:
    source, destination = f"disk://{tmp_path}/source", f"sqlite://{tmp_path}/destination.db"
    checkpoint = tmp_path / "copy.json"

    async def fill() -> None:
        async with kv.connect(source) as store:
            keys = [f"k{index:05d}" for index in range(20_000)]
            await store.put_many(keys, [{"n": index} for index in range(20_000)], collection="c")

    anyio.run(fill)
    command = _copy_command(source, destination, checkpoint)
    command[command.index(str(BATCH))] = "100"
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    for seen, line in enumerate(process.stderr, start=1):
        assert line.startswith("progress: "), line
        if seen == 5:
            process.send_signal(signal.SIGINT)
            break
    rest = process.stderr.read()
    assert process.wait(timeout=120) == 130, rest
    assert "interrupted: run the same command again to continue" in rest
    assert "Traceback" not in rest
    first = json.loads(checkpoint.read_text(encoding="utf-8"))["collections"]["c"]["copied"]
    second = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert second.returncode == 0, second.stderr[-2000:]
    assert first + int(second.stdout.split()[1]) == 20_000
