"""Real backend servers for plugin tests: child processes on loopback ports.

Needs the ``servers`` extra (``pip install "kv-conformance[servers]"``), which
brings mirakuru for process control. A server runs as a child process of the
test session, in its own process group, listening on a free port of
127.0.0.1, with its files and log in a temporary directory. It is stopped by
its process ID (never by name) and can be killed and restarted on the same
port for fault tests::

    @pytest.fixture(scope="session")
    def redis_server() -> Iterator[ServerProcess]:
        server = ServerProcess(
            "redis",
            lambda port, directory: ["redis-server", "--port", str(port),
                                     "--bind", "127.0.0.1", "--dir", str(directory)],
        )
        with server:
            yield server

A missing server binary raises :class:`ServerUnavailableError`, which is an error,
never a skip: a suite that silently skips its backend proves nothing.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from typing_extensions import Self

__all__ = [
    "ServerProcess",
    "ServerUnavailableError",
    "free_port",
    "port_is_open",
    "postgres_bindir",
    "wait_until",
]

Command = Callable[[int, Path], Sequence[str]]


class ServerUnavailableError(RuntimeError):
    """A test server's program is not installed or would not start."""


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def port_is_open(port: int, host: str = "127.0.0.1") -> bool:
    """Whether something accepts TCP connections on ``host:port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.2)
        return probe.connect_ex((host, port)) == 0


def wait_until(condition: Callable[[], bool], *, timeout: float, what: str) -> None:
    """Poll ``condition`` every 20 ms until it holds.

    Raises:
        ServerUnavailableError: it did not hold within ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise ServerUnavailableError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.02)


#: Where Debian and Ubuntu install each PostgreSQL major version (``<major>/bin``).
DEBIAN_POSTGRES = Path("/usr/lib/postgresql")


def _is_postgres_bindir(directory: Path) -> bool:
    return all((directory / program).is_file() for program in ("initdb", "postgres"))


def _major(name: str) -> tuple[int, ...] | None:
    try:
        return tuple(int(part) for part in name.split("."))
    except ValueError:
        return None


def postgres_bindir(
    *,
    environ: Mapping[str, str] | None = None,
    debian_root: Path = DEBIAN_POSTGRES,
    pg_config: str = "pg_config",
) -> Path:
    """The directory holding the PostgreSQL server programs (``initdb``, ``postgres``).

    Looked up in this order:

    1. ``KV_POSTGRES_BIN`` (or its older name ``KV_PG_BIN``): used as given,
       and an error when it holds no ``initdb`` and ``postgres``;
    2. ``/usr/lib/postgresql/<major>/bin`` (Debian's and Ubuntu's layout), the
       highest major version that has both programs (Debian 12 ships 15,
       other releases other majors; several may be installed side by side);
    3. ``pg_config --bindir`` (other layouts: Homebrew, Fedora, source builds).

    Args:
        environ: The environment to read (default: ``os.environ``).
        debian_root: Debian's directory of major versions.
        pg_config: The ``pg_config`` program to ask.

    Raises:
        ServerUnavailableError: no PostgreSQL server is installed in any of these
            places (``scripts/install-system-deps`` installs Debian's ``postgresql``).
    """
    environ = os.environ if environ is None else environ
    for variable in ("KV_POSTGRES_BIN", "KV_PG_BIN"):
        given = environ.get(variable)
        if given:
            if not _is_postgres_bindir(Path(given)):
                raise ServerUnavailableError(
                    f"{variable}={given!r} holds no PostgreSQL server (initdb and postgres)"
                )
            return Path(given)
    tried = [f"{debian_root}/<major>/bin"]
    majors = []
    if debian_root.is_dir():
        for entry in debian_root.iterdir():
            major = _major(entry.name)
            if major is not None and _is_postgres_bindir(entry / "bin"):
                majors.append((major, entry / "bin"))
    if majors:
        return max(majors)[1]
    found = shutil.which(pg_config)
    if found is not None:
        answer = subprocess.run(  # noqa: S603 - the pg_config found on PATH
            [found, "--bindir"], capture_output=True, text=True, check=False
        )
        bindir = Path(answer.stdout.strip())
        if answer.returncode == 0 and answer.stdout.strip() and _is_postgres_bindir(bindir):
            return bindir
        tried.append(f"{found} --bindir ({answer.stdout.strip() or 'no answer'})")
    else:
        tried.append(f"{pg_config} --bindir (not on PATH)")
    raise ServerUnavailableError(
        "PostgreSQL is not installed: no initdb and postgres in "
        + ", ".join(tried)
        + " (set KV_POSTGRES_BIN, or run scripts/install-system-deps)"
    )


class ServerProcess:
    """One server run as a child process on a loopback port.

    Args:
        name: Short name for messages and the temporary directory.
        command: ``command(port, directory) -> argv``.
        port: The port to listen on (default: a free one).
        ready: ``ready(server) -> bool``; default: the port accepts TCP.
        stop_signal: Signal for a clean stop (PostgreSQL wants SIGINT).
        user: Run as this system user (PostgreSQL refuses to run as root);
            the directory is handed to that user.
        env: Extra environment variables for the server.
        timeout: Seconds to wait for readiness.
    """

    host = "127.0.0.1"

    def __init__(
        self,
        name: str,
        command: Command,
        *,
        port: int | None = None,
        ready: Callable[[ServerProcess], bool] | None = None,
        stop_signal: int = signal.SIGTERM,
        user: str | None = None,
        env: dict[str, str] | None = None,
        timeout: float = 30.0,
        directory: Path | None = None,
    ) -> None:
        self.name = name
        self.command = command
        self.port = port if port is not None else free_port()
        self._ready = ready
        self.stop_signal = stop_signal
        self.user = user if user is not None and os.geteuid() == 0 else None
        self.env = env or {}
        self.timeout = timeout
        self._owns_directory = directory is None
        self.directory = directory or Path(tempfile.mkdtemp(prefix=f"kv-{name}-"))
        if self.user is not None:
            import pwd

            account = pwd.getpwnam(self.user)
            self.directory.chmod(0o755)
            os.chown(self.directory, account.pw_uid, account.pw_gid)
        self.log_path = self.directory / f"{name}.log"
        self._executor: Any = None
        self._log: Any = None

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<ServerProcess {self.name} {self.host}:{self.port} {state}>"

    @property
    def running(self) -> bool:
        """Whether the server process is alive."""
        return self._executor is not None and bool(self._executor.running())

    @property
    def pid(self) -> int | None:
        """The server's process ID while it runs."""
        if self._executor is None or self._executor.process is None:
            return None
        pid: int = self._executor.process.pid
        return pid

    def log_tail(self, lines: int = 30) -> str:
        """The last lines of the server's log (for failure messages)."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def start(self) -> Self:
        """Start the server and wait until it is ready.

        Raises:
            ServerUnavailableError: the program is missing, exited, or never got ready.
        """
        from mirakuru import SimpleExecutor

        argv = [str(part) for part in self.command(self.port, self.directory)]
        if shutil.which(argv[0]) is None and not Path(argv[0]).exists():
            raise ServerUnavailableError(
                f"{self.name}: {argv[0]!r} is not installed (scripts/install-system-deps"
                " installs the test servers)"
            )
        self._log = self.log_path.open("ab")
        popen_kwargs: dict[str, Any] = {}
        if self.user is not None:
            import pwd

            account = pwd.getpwnam(self.user)
            popen_kwargs.update(user=account.pw_uid, group=account.pw_gid, extra_groups=[])
        self._executor = SimpleExecutor(
            argv,
            cwd=str(self.directory),
            stop_signal=self.stop_signal,
            kill_signal=signal.SIGKILL,
            timeout=self.timeout,
            envvars=self.env,
            stdin=None,
            stdout=self._log,
            stderr=self._log,
            popen_kwargs=popen_kwargs,
        )
        self._executor.start()

        def ready() -> bool:
            if not self._executor.running():
                raise ServerUnavailableError(
                    f"{self.name} exited during start-up; log:\n{self.log_tail()}"
                )
            return self._ready(self) if self._ready is not None else port_is_open(self.port)

        try:
            wait_until(ready, timeout=self.timeout, what=f"{self.name} on port {self.port}")
        except ServerUnavailableError as error:
            self.stop()
            raise ServerUnavailableError(f"{error}\nlog:\n{self.log_tail()}") from None
        return self

    def stop(self) -> None:
        """Stop the server by its process ID (clean signal, then SIGKILL)."""
        if self._executor is not None:
            from mirakuru.exceptions import ProcessFinishedWithError

            # It stopped; a server's own exit code on a signal is not ours to judge.
            with contextlib.suppress(ProcessFinishedWithError):
                self._executor.stop(expected_returncode=0)
            self._executor = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def kill(self) -> None:
        """Kill the server abruptly (SIGKILL), as a crash would."""
        if self._executor is not None:
            self._executor.kill(wait=True)
            self._executor = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def restart(self) -> Self:
        """Stop (if running) and start again on the same port and directory."""
        self.stop()
        return self.start()

    def cleanup(self) -> None:
        """Stop the server and delete its directory (if this object made it)."""
        self.stop()
        if self._owns_directory:
            shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.cleanup()
