"""Two real processes writing to one keyring lose nothing.

keyrings.alt's file backend rewrites its whole file on every write, without
a lock of its own: two processes writing at once would lose each other's
entries. kv's keyring lock (a file lock beside the keyring file) serializes
them, and keeps the index whole.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from keyrings.alt.file import PlaintextKeyring

import kv

pytestmark = pytest.mark.anyio

PER_PROCESS = 150

WRITER = textwrap.dedent(
    """
    import sys
    import anyio
    import kv
    from keyrings.alt.file import PlaintextKeyring

    path, prefix, count = sys.argv[1], sys.argv[2], int(sys.argv[3])

    async def main() -> None:
        backend = PlaintextKeyring()
        backend.file_path = path
        store = kv.connect("keyring://shared", backend=backend)
        for i in range(count):
            await store.put(f"{prefix}-{i}", {"writer": prefix, "i": i}, collection="c")
            if i % 10 == 0:
                await store.put_many(
                    [f"{prefix}-batch-{i}", f"{prefix}-batch-{i}-b"], [{"i": i}, {"i": i}],
                    collection="batches",
                )

    anyio.run(main)
    """
)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.timeout(300)
async def test_two_processes_writing_at_once_lose_nothing(
    backend: PlaintextKeyring, keyring_file: Path
) -> None:
    keyring_file.parent.mkdir(parents=True, exist_ok=True)
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(keyring_file), prefix, str(PER_PROCESS)],
            stderr=subprocess.PIPE,
            text=True,
        )
        for prefix in ("one", "two")
    ]
    for process in writers:
        _, errors = process.communicate(timeout=280)
        assert process.returncode == 0, errors

    store = kv.connect("keyring://shared", backend=backend)
    expected = sorted(f"{prefix}-{i}" for prefix in ("one", "two") for i in range(PER_PROCESS))
    assert sorted(await store.keys("c")) == expected
    values = await store.get_many(expected, collection="c")
    assert values == [
        {"writer": name.split("-")[0], "i": int(name.split("-")[1])} for name in expected
    ]
    batches = await store.keys("batches")
    assert len(batches) == 2 * 2 * len(range(0, PER_PROCESS, 10))
    assert sorted(await store.collections()) == ["batches", "c"]
