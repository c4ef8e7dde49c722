"""Real Redis servers for the kv-redis tests, each started once per test session.

With pytest-xdist every worker is its own session with its own servers on
its own random ports.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from kv_conformance.servers import ServerProcess


def _load(module: str) -> ModuleType:
    """Load a helper module shared with kv-valkey's tests, from kv-resp's tests (by path)."""
    name = f"kv_resp_tests_{module}"
    if name in sys.modules:
        return sys.modules[name]
    path = Path(__file__).parents[2] / "resp" / "tests" / f"{module}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    loaded = importlib.util.module_from_spec(spec)
    sys.modules[name] = loaded
    spec.loader.exec_module(loaded)
    return loaded


servers = _load("resp_servers")
checks = _load("resp_checks")


@pytest.fixture(scope="session")
def resp_checks() -> ModuleType:
    """The checks shared with kv-valkey's tests (``plugins/resp/tests/resp_checks.py``)."""
    return checks


@pytest.fixture(scope="session")
def resp_servers() -> ModuleType:
    """The server helpers shared with kv-valkey's tests (``plugins/resp/tests/resp_servers.py``)."""
    return servers


@pytest.fixture(scope="session")
def redis_server() -> Iterator[ServerProcess]:
    """redis-server on a loopback port, also listening on a Unix socket."""
    binary = servers.redis_binary()

    def command(port: int, directory: Path) -> list[str]:
        return [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(directory),
            "--unixsocket",
            str(directory / "redis.sock"),
            *servers.QUIET,
        ]

    with ServerProcess("redis", command) as server:
        yield server


@pytest.fixture(scope="session")
def redis_url(redis_server: ServerProcess) -> str:
    """URL of database 0 of the standalone server."""
    return f"redis://127.0.0.1:{redis_server.port}/0"


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> object:
    """A CA, a server and a client certificate made for this session."""
    return servers.make_tls_files(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="session")
def redis_tls_server(tls_files: object) -> Iterator[ServerProcess]:
    """redis-server speaking only TLS, requiring client certificates."""
    with servers.tls_server("redis-tls", servers.redis_binary(), tls_files) as server:
        yield server


@pytest.fixture(scope="session")
def redis_tls_url(redis_tls_server: ServerProcess, tls_files: object) -> str:
    """A ``rediss://`` URL with the TLS files in its query."""
    files = tls_files
    return (
        f"rediss://127.0.0.1:{redis_tls_server.port}/0?ssl_ca_certs={files.ca}"  # type: ignore[attr-defined]
        f"&ssl_certfile={files.client_cert}&ssl_keyfile={files.client_key}"  # type: ignore[attr-defined]
    )


@pytest.fixture(scope="session")
def redis_cluster() -> Iterator[object]:
    """Three redis-server masters joined into one cluster."""
    import redis

    cluster = servers.Cluster(
        "redis-cluster", servers.redis_binary(), lambda port: redis.Redis(port=port)
    )
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.cleanup()


@pytest.fixture(scope="session")
def redis_cluster_url(redis_cluster: object) -> str:
    """A ``redis+cluster://`` URL naming every node."""
    return redis_cluster.url("redis+cluster")  # type: ignore[attr-defined]
