"""Real child processes writing to one kv URL: the harness of multi-process tests.

Each writer is a separate Python process with its own event loop and its own
``kv.connect(url)`` store. It runs this module::

    python -m kv_conformance.processes URL PREFIX COUNT [--options JSON]
        [--probe-lock] [--wait-start] [--hold] [--cycles] [--cull-every N]

and writes ``COUNT`` entries ``PREFIX-iiiii -> {"writer": PREFIX, "i": i}``
into the collection ``shared``, one ``put`` at a time, printing ``ok KEY``
after each put returned, then ``done``; it closes the store and prints
``closed``. A kv error prints ``error TYPE: MESSAGE`` and exits with status 3.

Nothing is timed: the test and the writers synchronise by handshakes, lines
on the writer's stdout answered by lines on its stdin, so a slow machine only
makes a test slower, never wrong:

* ``--wait-start``: the writer opens the store (``setup()``), prints
  ``ready`` and waits for a line on stdin before writing, so several writers
  start together (:func:`run_together`).
* ``--hold``: after ``done`` the writer keeps the store open (and, on an
  engine that one process opens at a time, locked) until it reads a line on
  stdin, or stdin closes.
* ``--probe-lock``: before opening, the writer tries a second store with
  ``lock_timeout=0`` and prints ``locked`` (the engine is held by another
  process) or ``unlocked``.
* ``--cycles``: every put opens the store, writes and closes it again, so
  two such writers race their opens against each other's releases.
* ``--cull-every N``: every ``N``-th put is preceded by a short-lived entry
  in ``temp`` and a ``cull()``.

A plugin whose engine lets one process open a database at a time subclasses
:class:`ExclusiveProcessTests` and names its URL and store class, and the
script of a process that holds the database without kv::

    class TestRocksDBProcesses(ExclusiveProcessTests):
        store_class = RocksDBStore
        raw_holder = HOLD_RAW_DATABASE

        def url(self, tmp_path: Path) -> str:
            return f"rocksdb://{tmp_path}/db"
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any, ClassVar

import anyio
import anyio.to_thread
import pytest

import kv
from kv.url import StoreURL

__all__ = [
    "DEADLINE",
    "ERROR_EXIT_STATUS",
    "ExclusiveProcessTests",
    "Writer",
    "expected_entries",
    "main",
    "read_collection",
    "run_together",
    "writer_command",
]

ERROR_EXIT_STATUS = 3
"""The exit status of a writer that met a kv error."""

DEADLINE = 100.0
"""Seconds a test waits for a writer's line or exit before it fails (generous:
handshakes make waiting this long a sign of a hang, never of a busy machine)."""

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
    hold: bool = False,
    wait_start: bool = False,
    probe_lock: bool = False,
    cycles: bool = False,
    cull_every: int = 0,
    options: dict[str, object] | None = None,
) -> list[str]:
    """The command line of one writer process (see the module docstring)."""
    command = [sys.executable, "-m", __name__, url, prefix, str(count)]
    command += ["--options", json.dumps(options or {})]
    flags = {
        "--hold": hold,
        "--wait-start": wait_start,
        "--probe-lock": probe_lock,
        "--cycles": cycles,
    }
    command += [flag for flag, wanted in flags.items() if wanted]
    if cull_every:
        command += ["--cull-every", str(cull_every)]
    return command


class Writer:
    """A running writer process, its output read as it comes (see :func:`writer_command`).

    Its stdout lines are read by a thread, so :meth:`wait_for` keeps its
    deadline even when the process prints nothing; stderr is collected too, so
    a chatty process never blocks on a full pipe.
    """

    def __init__(self, command: list[str]) -> None:
        self.process = subprocess.Popen(  # noqa: S603 (this module, the test's own interpreter)
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        """Every stdout line read so far (stripped), in order."""
        self._stdout: queue.Queue[str | None] = queue.Queue()
        self._stderr: list[str] = []
        assert self.process.stdout is not None
        assert self.process.stderr is not None
        self._readers = [
            threading.Thread(target=_pump, args=(self.process.stdout, self._stdout.put)),
            threading.Thread(target=_pump, args=(self.process.stderr, self._add_stderr)),
        ]
        for reader in self._readers:
            reader.daemon = True
            reader.start()
        self._ended = False

    def _add_stderr(self, line: str | None) -> None:
        if line is not None:
            self._stderr.append(line)

    @property
    def pid(self) -> int:
        """The process id."""
        return self.process.pid

    def wait_for(self, wanted: str, timeout: float = DEADLINE) -> list[str]:
        """Read lines until one starts with ``wanted``; return the lines read by this call.

        Raises:
            AssertionError: the process ended, or no such line came within
                ``timeout`` seconds (then the process is killed).
        """
        deadline = time.monotonic() + timeout
        read: list[str] = []
        while not self._ended:
            try:
                line = self._stdout.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                self.kill()
                raise AssertionError(
                    f"writer {self.pid}: no {wanted!r} within {timeout:g} s; last lines {read[-3:]}"
                ) from None
            if line is None:
                self._ended = True
                break
            read.append(line)
            self.lines.append(line)
            if line.startswith(wanted):
                return read
        self.process.wait(timeout=timeout)
        raise AssertionError(
            f"writer {self.pid} ended (status {self.process.returncode}) before"
            f" {wanted!r}: {self.lines[-3:]} {self.stderr[-500:]}"
        )

    def signal(self) -> None:
        """Answer the writer's handshake: write one line to its stdin."""
        assert self.process.stdin is not None
        self.process.stdin.write("go\n")
        self.process.stdin.flush()

    @property
    def stderr(self) -> str:
        """What the process wrote to stderr so far."""
        return "\n".join(self._stderr)

    def finish(self, timeout: float = DEADLINE) -> tuple[int, str]:
        """Close stdin (releasing a held writer), wait for the exit; return status and output.

        The output is every stdout line, then stderr. A process still running
        after ``timeout`` seconds is killed and the test fails.
        """
        stdin = self.process.stdin
        if stdin is not None and not stdin.closed:
            with contextlib.suppress(BrokenPipeError):  # the writer has exited already
                stdin.close()
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"writer {self.pid} still running after {timeout:g} s") from None
        for reader in self._readers:
            reader.join(timeout=timeout)
        while True:
            try:
                line = self._stdout.get_nowait()
            except queue.Empty:
                break
            if line is None:
                break
            self.lines.append(line)
        self._ended = True
        return self.process.returncode, "\n".join(self.lines) + "\n" + self.stderr

    def kill(self) -> None:
        """SIGKILL the process by its PID (no close, no flush) and reap it."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=DEADLINE)


def _pump(stream: IO[str], put: Callable[[str | None], None]) -> None:
    """Copy a stream's complete lines (stripped) to ``put``, then ``None`` for the end.

    A last line without its newline is left out: the process was killed while
    writing it (``ok K-000`` cut short would name another key).
    """
    with stream:
        for line in stream:
            if line.endswith("\n"):
                put(line[:-1])
    put(None)


def run_together(
    url: str,
    prefixes: Sequence[str],
    count: int,
    *,
    cull_every: int = 0,
    cycles: bool = False,
    timeout: float = DEADLINE,
    **options: object,
) -> None:
    """Run one writer per prefix at the same time; each must exit with status 0.

    Every writer opens the store and says ``ready``; once all have, each is
    told to start, so they write at the same time however slowly they
    started. A writer still running when this returns or fails is killed by
    its PID.
    """
    writers = [
        Writer(
            writer_command(
                url,
                prefix,
                count,
                wait_start=True,
                cull_every=cull_every,
                cycles=cycles,
                options=options,
            )
        )
        for prefix in prefixes
    ]
    try:
        for writer in writers:
            writer.wait_for("ready", timeout)
        for writer in writers:
            writer.signal()
        for writer in writers:
            code, output = writer.finish(timeout)
            assert code == 0, output[-2000:]
    finally:
        for writer in writers:
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


def _ok_count(output: str) -> int:
    return sum(line.startswith("ok ") for line in output.splitlines())


class ExclusiveProcessTests:
    """Two real processes on one path of an engine that one process opens at a time.

    A second process waits (up to ``lock_timeout``) for the first to close
    the database, then writes; or, with a short ``lock_timeout``, fails with
    a clear ``StoreTimeoutError`` having written nothing. Two processes that
    open and close the database again and again, racing each other, both
    finish. A process killed mid-run loses none of the writes that returned.
    A process that holds the database with the engine's own client, outside
    kv, is waited for too (``raw_holder``). And one store object serves one
    ``asyncio.run()`` after another, the way a sync program uses it, its
    database opened in one event loop and closed and reopened in others.
    Subclass it, set ``store_class`` and ``raw_holder`` and define
    :meth:`url`; lower ``locked_count``, ``kill_after`` and ``race_cycles``
    for a slow engine.

    The first process holds the database until the test tells it to let go
    (a line on its stdin), so these tests depend on no timing.
    """

    pytestmark = pytest.mark.anyio

    store_class: ClassVar[type[object]]
    locked_count: ClassVar[int] = 1000
    """Entries the first writer writes in the lock-error test."""
    kill_after: ClassVar[int] = 300
    """The last acknowledged write index before the writer is killed."""
    race_cycles: ClassVar[int] = 40
    """Open-write-close cycles each of two racing writers runs."""
    raw_holder: ClassVar[str | None] = None
    """A Python script that opens the database at ``sys.argv[1]`` (the URL's
    path) with the engine's own client, not kv, prints ``held``, and closes it
    once it reads a line on stdin; ``None`` skips that test."""

    def url(self, tmp_path: Path) -> str:
        """The store URL of a fresh database under ``tmp_path``."""
        raise NotImplementedError

    @pytest.fixture
    def anyio_backend(self) -> str:
        """The tests' async runtime."""
        return "asyncio"

    def connect(self, url: str, **options: Any) -> Any:
        """A store of ``store_class`` on ``url``, built by ``kv.connect``."""
        store = kv.connect(url, **options)
        assert isinstance(store, self.store_class)
        return store

    async def read_all(self, url: str) -> dict[str, object]:
        """Every entry the writers wrote at ``url``."""
        return await read_collection(url, self.store_class)

    async def test_second_process_waits_for_the_first_and_both_write_1000(
        self, tmp_path: Path
    ) -> None:
        url = self.url(tmp_path)
        first = Writer(
            writer_command(url, "A", 1000, hold=True, options={"lock_timeout": DEADLINE})
        )
        second: Writer | None = None
        try:
            first.wait_for("done")  # A wrote everything and holds the database
            second = Writer(
                writer_command(url, "B", 1000, probe_lock=True, options={"lock_timeout": DEADLINE})
            )
            second.wait_for("locked")  # B found it locked; now B opens, waiting
            first.signal()  # A lets go
            code_a, out_a = first.finish()
            code_b, out_b = second.finish()
        finally:
            first.kill()
            if second is not None:
                second.kill()
        assert code_a == 0, out_a[-2000:]
        assert code_b == 0, out_b[-2000:]
        assert _ok_count(out_b) == 1000
        assert await self.read_all(url) == {
            **expected_entries("A", 1000),
            **expected_entries("B", 1000),
        }

    async def test_second_process_gets_a_clear_error_and_the_first_loses_nothing(
        self, tmp_path: Path
    ) -> None:
        url = self.url(tmp_path)
        first = Writer(writer_command(url, "A", self.locked_count, hold=True))
        try:
            first.wait_for("done")  # A holds the database until it is told to let go
            second = Writer(writer_command(url, "B", 10, options={"lock_timeout": 0.3}))
            code_b, out_b = second.finish()
            first.signal()
            code_a, out_a = first.finish()
        finally:
            first.kill()
        assert code_b == ERROR_EXIT_STATUS, out_b[-2000:]
        assert "error StoreTimeoutError" in out_b
        assert "locked by another process" in out_b
        assert _ok_count(out_b) == 0
        assert code_a == 0, out_a[-2000:]
        assert await self.read_all(url) == expected_entries("A", self.locked_count)

    async def test_racing_opens_and_closes_wait_for_each_other(self, tmp_path: Path) -> None:
        """Each put opens and closes the database: every open races the other's release."""
        url = self.url(tmp_path)
        count = self.race_cycles
        run_together(url, ["R", "S"], count, cycles=True, lock_timeout=DEADLINE)
        assert await self.read_all(url) == {
            **expected_entries("R", count),
            **expected_entries("S", count),
        }

    async def test_a_process_outside_kv_holding_the_database_is_waited_for(
        self, tmp_path: Path
    ) -> None:
        """The engine's own lock, held by a program that is not kv: wait, or fail clearly."""
        if self.raw_holder is None:
            pytest.skip("the plugin names no raw_holder script")
        url = self.url(tmp_path)
        path = StoreURL.parse(url).local_path()
        holder = Writer([sys.executable, "-c", self.raw_holder, path])
        try:
            holder.wait_for("held")
            store = self.connect(url, lock_timeout=0.3)
            with pytest.raises(kv.StoreTimeoutError) as caught:
                await store.put("k", {"v": 1})
            assert "locked by another process" in str(caught.value)
            waiting = self.connect(url, lock_timeout=DEADLINE)
            async with anyio.create_task_group() as group:
                group.start_soon(waiting.put, "k", {"v": 2})
                await anyio.to_thread.run_sync(holder.signal)  # the holder lets go
            code, output = holder.finish()
            assert code == 0, output
            assert await waiting.get("k") == {"v": 2}
            await waiting.close()
        finally:
            holder.kill()

    def test_one_store_across_successive_asyncio_runs_with_calls_in_flight(
        self, tmp_path: Path
    ) -> None:
        """A sync program calls ``asyncio.run()`` per request, many calls in flight each."""
        store = self.connect(self.url(tmp_path))
        written: list[str] = []

        async def request(round_number: int, in_flight: int) -> None:
            keys = [f"r{round_number}-{i:04d}" for i in range(in_flight)]
            await asyncio.gather(
                *(store.put(key, {"i": i}, collection="loops") for i, key in enumerate(keys))
            )
            written.extend(keys)
            got = await asyncio.gather(*(store.get(key, collection="loops") for key in keys))
            assert got == [{"i": i} for i in range(in_flight)]
            assert await store.keys("loops") == sorted(written)

        asyncio.run(request(0, 1000))  # the first use: 1000 calls wait for one open
        for round_number in range(1, 10):
            asyncio.run(request(round_number, 100))
        asyncio.run(store.close())
        asyncio.run(request(10, 100))  # reopened in yet another loop
        asyncio.run(store.close())

    async def test_killed_process_loses_no_acknowledged_write(self, tmp_path: Path) -> None:
        url = self.url(tmp_path)
        writer = Writer(writer_command(url, "K", 100_000))
        try:
            writer.wait_for(f"ok {entry_key('K', self.kill_after)}")
        finally:
            writer.kill()  # SIGKILL by PID, mid-run: no close, no flush
        writer.finish()
        acknowledged = [line.split()[1] for line in writer.lines if line.startswith("ok ")]
        assert len(acknowledged) >= self.kill_after + 1
        stored = await self.read_all(url)  # the lock died with the process
        for key in acknowledged:
            assert stored[key] == {"writer": "K", "i": int(key.split("-")[1])}


async def _next_line() -> str:
    """The next line of stdin ("" at its end), read without blocking the loop."""
    return await anyio.to_thread.run_sync(sys.stdin.readline)


async def _probe_lock(url: str, options: dict[str, Any]) -> None:
    probe: Any = kv.connect(url, **{**options, "lock_timeout": 0})
    try:
        await probe.setup()
    except kv.StoreTimeoutError:
        print("locked", flush=True)
    else:
        print("unlocked", flush=True)
    finally:
        await probe.close()


async def _write(arguments: argparse.Namespace) -> None:
    url: str = arguments.url
    options: dict[str, Any] = json.loads(arguments.options)
    if arguments.probe_lock:
        await _probe_lock(url, options)
    store: Any = kv.connect(url, **options)
    try:
        if arguments.wait_start:
            if not arguments.cycles:
                await store.setup()
            print("ready", flush=True)
            await _next_line()
        prefix: str = arguments.prefix
        cull_every: int = arguments.cull_every
        for i in range(arguments.count):
            if cull_every and i % cull_every == 0:
                await store.put(f"{prefix}-{i}", {"tmp": True}, collection="temp", ttl=0.01)
                await store.cull()
            key = entry_key(prefix, i)
            await store.put(key, {"writer": prefix, "i": i}, collection=SHARED)
            if arguments.cycles:
                await store.close()  # the next put opens it again
            print("ok", key, flush=True)
        print("done", flush=True)
        if arguments.hold:  # keeps the database open (and locked, for exclusive engines)
            await _next_line()
    finally:
        await store.close()
    print("closed", flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one writer (see the module docstring); return its exit status."""
    parser = argparse.ArgumentParser(prog="python -m kv_conformance.processes")
    parser.add_argument("url")
    parser.add_argument("prefix")
    parser.add_argument("count", type=int)
    parser.add_argument("--options", default="{}")
    parser.add_argument("--probe-lock", action="store_true")
    parser.add_argument("--wait-start", action="store_true")
    parser.add_argument("--hold", action="store_true")
    parser.add_argument("--cycles", action="store_true")
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
