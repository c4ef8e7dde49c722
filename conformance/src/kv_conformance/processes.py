"""Real child processes writing to one kv URL: the harness of multi-process tests.

Each writer is a separate Python process with its own event loop and its own
``kv.connect(url)`` store. It runs this module::

    python -m kv_conformance.processes URL PREFIX COUNT
        [--hold SECONDS] [--options JSON] [--start-file PATH] [--cull-every N]

and writes ``COUNT`` entries ``PREFIX-iiiii -> {"writer": PREFIX, "i": i}``
into the collection ``shared``, one ``put`` at a time, printing ``ok KEY``
after each put returned, then ``done``; it keeps the store open ``--hold``
seconds, closes it and prints ``closed``. A kv error prints
``error TYPE: MESSAGE`` and exits with status 3. With ``--start-file`` the
writer opens the store (``setup()``) and waits for that file to exist before
writing, so several writers start together; with ``--cull-every N`` every
``N``-th put is preceded by a short-lived entry in ``temp`` and a ``cull()``.

A plugin whose engine lets one process open a database at a time subclasses
:class:`ExclusiveProcessTests` and names its URL and store class::

    class TestRocksDBProcesses(ExclusiveProcessTests):
        store_class = RocksDBStore

        def url(self, tmp_path: Path) -> str:
            return f"rocksdb://{tmp_path}/db"
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import anyio
import pytest

import kv

__all__ = [
    "ERROR_EXIT_STATUS",
    "ExclusiveProcessTests",
    "expected_entries",
    "finish",
    "main",
    "read_collection",
    "run_together",
    "start_writer",
    "wait_for_line",
    "writer_command",
]

ERROR_EXIT_STATUS = 3
"""The exit status of a writer that met a kv error."""

SHARED = "shared"
"""The collection the writers write into."""


def entry_key(prefix: str, i: int) -> str:
    """The key of a writer's ``i``-th entry."""
    return f"{prefix}-{i:05d}"


def expected_entries(prefix: str, count: int) -> dict[str, object]:
    """What a writer with ``prefix`` stores after ``count`` puts, by key."""
    return {entry_key(prefix, i): {"writer": prefix, "i": i} for i in range(count)}


def writer_command(
    url: str,
    prefix: str,
    count: int,
    *,
    hold: float = 0.0,
    start_file: Path | None = None,
    cull_every: int = 0,
    options: dict[str, object] | None = None,
) -> list[str]:
    """The command line of one writer process (see the module docstring)."""
    command = [sys.executable, "-m", __name__, url, prefix, str(count), "--hold", str(hold)]
    command += ["--options", json.dumps(options or {})]
    if start_file is not None:
        command += ["--start-file", str(start_file)]
    if cull_every:
        command += ["--cull-every", str(cull_every)]
    return command


def start_writer(
    url: str,
    prefix: str,
    count: int,
    hold: float = 0.0,
    *,
    start_file: Path | None = None,
    cull_every: int = 0,
    **options: object,
) -> subprocess.Popen[str]:
    """Start one writer process; ``options`` are passed to ``kv.connect``."""
    return subprocess.Popen(  # noqa: S603 (runs this module with the test's own interpreter)
        writer_command(
            url,
            prefix,
            count,
            hold=hold,
            start_file=start_file,
            cull_every=cull_every,
            options=options,
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_line(process: subprocess.Popen[str], wanted: str, timeout: float = 60) -> list[str]:
    """Read the process's lines until one starts with ``wanted``; return all read."""
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    lines: list[str] = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            raise AssertionError(f"process ended before {wanted!r}: {lines[-3:]}")
        lines.append(line.strip())
        if line.startswith(wanted):
            return lines
    raise AssertionError(f"no {wanted!r} within {timeout} s")


def finish(process: subprocess.Popen[str], timeout: float = 120) -> tuple[int, str]:
    """Wait for the process; return its exit status and its stdout plus stderr."""
    stdout, stderr = process.communicate(timeout=timeout)
    return process.returncode, stdout + stderr


def run_together(
    url: str,
    prefixes: Sequence[str],
    count: int,
    start_file: Path,
    *,
    cull_every: int = 0,
    timeout: float = 100,
) -> None:
    """Run one writer per prefix at the same time; each must exit with status 0.

    The writers open the store, then all start writing once ``start_file``
    exists (created here after half a second). A writer still running when
    this returns or fails is killed by its PID.
    """
    writers = [
        start_writer(url, prefix, count, start_file=start_file, cull_every=cull_every)
        for prefix in prefixes
    ]
    try:
        time.sleep(0.5)  # all import kv and open the store, then start together
        start_file.touch()
        for writer in writers:
            _, stderr = writer.communicate(timeout=timeout)
            assert writer.returncode == 0, stderr
    finally:
        for writer in writers:
            if writer.poll() is None:
                writer.kill()


async def read_collection(
    url: str, store_class: type[object] | None = None, collection: str = SHARED
) -> dict[str, object]:
    """Every entry of ``collection`` at ``url``, by key, read through a new store."""
    store: Any = kv.connect(url)
    if store_class is not None:
        assert isinstance(store, store_class)
    try:
        keys = await store.keys(collection)
        values = await store.get_many(keys, collection=collection)
        return dict(zip(keys, values))
    finally:
        await store.close()


class ExclusiveProcessTests:
    """Two real processes on one path of an engine that one process opens at a time.

    A second process waits (up to ``lock_timeout``) for the first to close
    the database, then writes; or, with a short ``lock_timeout``, fails with
    a clear ``StoreTimeoutError`` having written nothing. A process killed
    mid-run loses none of the writes that returned. Subclass it, set
    ``store_class`` and define :meth:`url`; lower ``locked_count`` and
    ``kill_after`` for a slow engine.
    """

    pytestmark = pytest.mark.anyio

    store_class: ClassVar[type[object]]
    locked_count: ClassVar[int] = 1000
    """Entries the first writer writes in the lock-error test."""
    kill_after: ClassVar[int] = 300
    """The last acknowledged write index before the writer is killed."""

    def url(self, tmp_path: Path) -> str:
        """The store URL of a fresh database under ``tmp_path``."""
        raise NotImplementedError

    @pytest.fixture
    def anyio_backend(self) -> str:
        """The tests' async runtime."""
        return "asyncio"

    async def read_all(self, url: str) -> dict[str, object]:
        """Every entry the writers wrote at ``url``."""
        return await read_collection(url, self.store_class)

    async def test_second_process_waits_for_the_first_and_both_write_1000(
        self, tmp_path: Path
    ) -> None:
        url = self.url(tmp_path)
        first = start_writer(url, "A", 1000, hold=0.5, lock_timeout=60)
        wait_for_line(first, "ok")  # the first process has the database open
        second = start_writer(url, "B", 1000, lock_timeout=60)
        code_a, out_a = finish(first)
        code_b, out_b = finish(second)
        assert code_a == 0, out_a
        assert code_b == 0, out_b
        assert sum(line.startswith("ok ") for line in out_b.splitlines()) == 1000
        assert await self.read_all(url) == {
            **expected_entries("A", 1000),
            **expected_entries("B", 1000),
        }

    async def test_second_process_gets_a_clear_error_and_the_first_loses_nothing(
        self, tmp_path: Path
    ) -> None:
        url = self.url(tmp_path)
        first = start_writer(url, "A", self.locked_count, hold=3.0)
        wait_for_line(first, "done")
        second = start_writer(url, "B", 10, lock_timeout=0.3)
        code_b, out_b = finish(second)
        assert code_b == ERROR_EXIT_STATUS
        assert "error StoreTimeoutError" in out_b
        assert "locked by another process" in out_b
        assert not any(line.startswith("ok ") for line in out_b.splitlines())
        code_a, out_a = finish(first)
        assert code_a == 0, out_a
        assert await self.read_all(url) == expected_entries("A", self.locked_count)

    async def test_killed_process_loses_no_acknowledged_write(self, tmp_path: Path) -> None:
        url = self.url(tmp_path)
        writer = start_writer(url, "K", 100_000)
        lines = wait_for_line(writer, f"ok {entry_key('K', self.kill_after)}")
        writer.kill()  # SIGKILL by PID, mid-run: no close, no flush
        assert writer.stdout is not None
        lines += [line.strip() for line in writer.stdout.read().splitlines()]
        writer.wait(timeout=30)
        acknowledged = [line.split()[1] for line in lines if line.startswith("ok ")]
        assert len(acknowledged) >= self.kill_after + 1
        stored = await self.read_all(url)  # the lock died with the process
        for key in acknowledged:
            assert stored[key] == {"writer": "K", "i": int(key.split("-")[1])}


async def _write(arguments: argparse.Namespace) -> None:
    store: Any = kv.connect(arguments.url, **json.loads(arguments.options))
    try:
        start_file: str | None = arguments.start_file
        if start_file is not None:
            await store.setup()
            with anyio.move_on_after(30):  # then start anyway
                while True:
                    if await anyio.Path(start_file).exists():
                        break
                    await anyio.sleep(0.005)
        prefix: str = arguments.prefix
        cull_every: int = arguments.cull_every
        for i in range(arguments.count):
            if cull_every and i % cull_every == 0:
                await store.put(f"{prefix}-{i}", {"tmp": True}, collection="temp", ttl=0.01)
                await store.cull()
            key = entry_key(prefix, i)
            await store.put(key, {"writer": prefix, "i": i}, collection=SHARED)
            print("ok", key, flush=True)
        print("done", flush=True)
        await anyio.sleep(
            arguments.hold
        )  # keeps the database open (and locked, for exclusive engines)
    finally:
        await store.close()
    print("closed", flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one writer (see the module docstring); return its exit status."""
    parser = argparse.ArgumentParser(prog="python -m kv_conformance.processes")
    parser.add_argument("url")
    parser.add_argument("prefix")
    parser.add_argument("count", type=int)
    parser.add_argument("--hold", type=float, default=0.0)
    parser.add_argument("--options", default="{}")
    parser.add_argument("--start-file", default=None)
    parser.add_argument("--cull-every", type=int, default=0)
    arguments = parser.parse_args(argv)
    try:
        anyio.run(_write, arguments)
    except kv.KeyValueError as error:
        print(f"error {type(error).__name__}: {error}", flush=True)
        return ERROR_EXIT_STATUS
    return 0


if __name__ == "__main__":
    sys.exit(main())
