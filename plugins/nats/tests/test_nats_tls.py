"""``nats+tls://`` against a nats-server that speaks only TLS, with a certificate
of a test CA made by the openssl command line: the CA given (``tls_ca_file``)
connects, the system's CAs refuse the certificate (StoreSetupError)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import kv
from kv.errors import StoreSetupError
from kv_conformance.servers import ServerProcess
from kv_nats.store import NatsStore

pytestmark = [pytest.mark.anyio, pytest.mark.kv_server]


def _openssl(*arguments: str | Path) -> None:
    subprocess.run(["openssl", *map(str, arguments)], check=True, capture_output=True)


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CA and a server certificate for 127.0.0.1 (``ca.pem``, ``server.pem``, ``server.key``)."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command line is not installed")
    folder = tmp_path_factory.mktemp("tls")
    curve = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    _openssl(
        "req",
        "-x509",
        *curve,
        "-keyout",
        folder / "ca.key",
        "-out",
        folder / "ca.pem",
        "-days",
        "1",
        "-subj",
        "/CN=kv test CA",
    )
    _openssl(
        "req",
        *curve,
        "-keyout",
        folder / "server.key",
        "-out",
        folder / "server.csr",
        "-subj",
        "/CN=127.0.0.1",
    )
    (folder / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    _openssl(
        "x509",
        "-req",
        "-in",
        folder / "server.csr",
        "-CA",
        folder / "ca.pem",
        "-CAkey",
        folder / "ca.key",
        "-CAcreateserial",
        "-out",
        folder / "server.pem",
        "-days",
        "1",
        "-extfile",
        folder / "san.ext",
    )
    return folder


@pytest.fixture(scope="module")
def tls_server(
    certificates: Path, nats_servers: Callable[..., ServerProcess]
) -> Iterator[ServerProcess]:
    """nats-server speaking only TLS, with a certificate of the test CA."""
    with nats_servers(
        "nats-tls",
        "--tls",
        "--tlscert",
        str(certificates / "server.pem"),
        "--tlskey",
        str(certificates / "server.key"),
    ) as server:
        yield server


async def test_tls_with_the_ca(tls_server: ServerProcess, certificates: Path) -> None:
    store = kv.connect(
        f"nats+tls://127.0.0.1:{tls_server.port}/secure?tls_ca_file={certificates / 'ca.pem'}"
    )
    assert isinstance(store, NatsStore)
    await store.put("k", {"v": 1}, ttl=60)
    assert await store.get("k") == {"v": 1}
    assert await store.keys() == ["k"]
    await store.destroy()
    await store.close()


async def test_tls_without_the_ca_is_refused(tls_server: ServerProcess) -> None:
    store = kv.connect(f"nats+tls://127.0.0.1:{tls_server.port}/secure")
    with pytest.raises(StoreSetupError) as caught:
        await store.get("k")
    assert "TLS" in str(caught.value)
    assert isinstance(store, NatsStore)
    await store.close()
