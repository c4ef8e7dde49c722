"""PostgreSQL on a fresh machine: scripts/install-system-deps installs it when it
is missing, and the tests find its programs wherever Debian puts them
(``kv_conformance.servers.postgres_bindir``, used by the kv-postgresql tests).

The lookup is checked on temporary trees laid out as Debian lays out each major
version (``<root>/<major>/bin``), and a real server is started from such a tree
of another major than the installed one. The script runs with stand-ins for
dpkg, apt-get and sudo on PATH (it must not install anything here): what it
would install is what it hands apt-get.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kv_conformance.servers import ServerProcess, ServerUnavailableError, postgres_bindir

ROOT = Path(__file__).resolve().parents[2]
INSTALL_SYSTEM_DEPS = ROOT / "scripts" / "install-system-deps"


def _executable(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(0o755)
    return path


def _server_tree(
    root: Path, major: str, programs: tuple[str, ...] = ("initdb", "postgres")
) -> Path:
    """``root/<major>/bin`` holding empty stand-ins of ``programs``."""
    bindir = root / major / "bin"
    for program in programs:
        _executable(bindir / program, "#!/bin/sh\nexit 1\n")
    return bindir


def _pg_config(directory: Path, bindir: Path | str) -> Path:
    return _executable(directory / "pg_config", f"#!/bin/sh\necho '{bindir}'\n")


# The lookup ------------------------------------------------------------------


def test_the_highest_major_with_both_programs_is_chosen(tmp_path: Path) -> None:
    _server_tree(tmp_path, "9.6")
    _server_tree(tmp_path, "15")
    expected = _server_tree(tmp_path, "17")
    _server_tree(tmp_path, "18", programs=("initdb",))  # a client-only or broken install
    _server_tree(tmp_path, "common")  # not a version
    assert postgres_bindir(environ={}, debian_root=tmp_path, pg_config="no-pg-config") == expected


def test_an_older_major_alone_is_found(tmp_path: Path) -> None:
    expected = _server_tree(tmp_path, "13")
    assert postgres_bindir(environ={}, debian_root=tmp_path, pg_config="no-pg-config") == expected


@pytest.mark.parametrize("variable", ["KV_POSTGRES_BIN", "KV_PG_BIN"])
def test_the_variable_comes_first(tmp_path: Path, variable: str) -> None:
    _server_tree(tmp_path / "debian", "17")
    given = _server_tree(tmp_path / "elsewhere", "12")
    found = postgres_bindir(
        environ={variable: str(given)}, debian_root=tmp_path / "debian", pg_config="no-pg-config"
    )
    assert found == given


def test_a_variable_naming_no_server_is_an_error_naming_it(tmp_path: Path) -> None:
    _server_tree(tmp_path / "debian", "17")
    with pytest.raises(ServerUnavailableError, match=r"KV_POSTGRES_BIN=.*holds no PostgreSQL"):
        postgres_bindir(
            environ={"KV_POSTGRES_BIN": str(tmp_path / "nothing")}, debian_root=tmp_path / "debian"
        )


def test_pg_config_is_asked_when_debian_has_none(tmp_path: Path) -> None:
    bindir = _server_tree(tmp_path / "opt", "pgsql")
    pg_config = _pg_config(tmp_path / "tools", bindir)
    found = postgres_bindir(environ={}, debian_root=tmp_path / "none", pg_config=str(pg_config))
    assert found == bindir


def test_nothing_installed_says_where_it_looked_and_what_to_do(tmp_path: Path) -> None:
    pg_config = _pg_config(tmp_path / "tools", tmp_path / "client-only")
    with pytest.raises(ServerUnavailableError) as raised:
        postgres_bindir(environ={}, debian_root=tmp_path / "none", pg_config=str(pg_config))
    message = str(raised.value)
    assert f"{tmp_path / 'none'}/<major>/bin" in message
    assert "--bindir" in message
    assert "KV_POSTGRES_BIN" in message
    assert "scripts/install-system-deps" in message


# A real server from another major's directory ---------------------------------


@pytest.fixture
def other_major() -> Iterator[Path]:
    """A Debian-like tree whose only major (99) links to the installed server's programs.

    Made with tempfile (not tmp_path) and opened to everyone: as root the server
    runs as the ``postgres`` user, who must reach the programs.
    """
    installed = postgres_bindir()
    root = Path(tempfile.mkdtemp(prefix="kv-pg-root-"))
    try:
        root.chmod(0o755)
        bindir = root / "99" / "bin"
        bindir.mkdir(parents=True)
        for parent in (root / "99", bindir):
            parent.chmod(0o755)
        for program in installed.iterdir():
            (bindir / program.name).symlink_to(program)
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _as_postgres() -> dict[str, Any]:
    if os.geteuid() != 0:
        return {}
    import pwd

    account = pwd.getpwnam("postgres")
    return {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}


def test_a_server_starts_from_the_major_found(other_major: Path) -> None:
    bindir = postgres_bindir(environ={}, debian_root=other_major)
    assert bindir == other_major / "99" / "bin"

    def command(port: int, directory: Path) -> list[str]:
        return [
            str(bindir / "postgres"),
            *("-D", str(directory / "data"), "-p", str(port), "-h", "127.0.0.1"),
            *("-k", str(directory), "-c", "fsync=off"),
        ]

    def ready(server: ServerProcess) -> bool:
        probe = [str(bindir / "pg_isready"), "-q", "-h", server.host, "-p", str(server.port)]
        return subprocess.run(probe, check=False, capture_output=True).returncode == 0

    server = ServerProcess("pg-found", command, ready=ready, user="postgres", timeout=120)
    try:
        initdb = [str(bindir / "initdb"), "-D", str(server.directory / "data"), "-U", "postgres"]
        done = subprocess.run(
            [*initdb, "-A", "trust", "--no-sync"],
            check=False,
            capture_output=True,
            timeout=300,
            **_as_postgres(),
        )
        assert done.returncode == 0, done.stderr.decode(errors="replace")
        with server:
            assert server.running
            assert ready(server)
    finally:
        server.cleanup()


# scripts/install-system-deps ----------------------------------------------------


def _install_system_deps(tmp_path: Path, debian_root: Path, **environ: str) -> list[str]:
    """Run the script with stand-ins on PATH; the apt-get command lines it ran."""
    stubs = tmp_path / "stubs"
    log = tmp_path / "apt-get.log"
    _executable(stubs / "dpkg", "#!/bin/sh\nexit 0\n")  # every other package is installed
    _executable(stubs / "java", "#!/bin/sh\nexit 0\n")
    _executable(stubs / "npm", "#!/bin/sh\nexit 0\n")
    _executable(stubs / "sudo", '#!/bin/sh\nexec "$@"\n')
    _executable(stubs / "apt-get", f"#!/bin/sh\necho \"$*\" >> '{log}'\n")
    if not (stubs / "pg_config").exists():
        _pg_config(stubs, tmp_path / "no-server-here")
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("KV_POSTGRES_BIN", "KV_PG_BIN", "KV_POSTGRES_ROOT")
    }
    env.update(PATH=f"{stubs}{os.pathsep}{env['PATH']}", KV_POSTGRES_ROOT=str(debian_root))
    env.update(environ)
    subprocess.run([str(INSTALL_SYSTEM_DEPS)], check=True, env=env, timeout=120)
    return log.read_text(encoding="utf-8").splitlines() if log.exists() else []


def test_missing_postgresql_is_installed(tmp_path: Path) -> None:
    debian_root = tmp_path / "debian"
    _server_tree(debian_root, "18", programs=("initdb",))  # no server: not enough
    _server_tree(debian_root, "common")  # not a version
    ran = _install_system_deps(tmp_path, debian_root)
    assert ran[0] == "update -qq"
    assert ran[1].startswith("install -y -qq ")
    assert ran[1].split()[3:] == ["postgresql"]


@pytest.mark.parametrize("major", ["15", "17"])
def test_an_installed_major_is_kept(tmp_path: Path, major: str) -> None:
    debian_root = tmp_path / "debian"
    _server_tree(debian_root, major)
    assert _install_system_deps(tmp_path, debian_root) == []


def test_a_server_pg_config_knows_is_kept(tmp_path: Path) -> None:
    bindir = _server_tree(tmp_path / "opt", "pgsql")
    _pg_config(tmp_path / "stubs", bindir)
    assert _install_system_deps(tmp_path, tmp_path / "none") == []


def test_a_server_the_variable_names_is_kept(tmp_path: Path) -> None:
    bindir = _server_tree(tmp_path / "opt", "pgsql")
    ran = _install_system_deps(tmp_path, tmp_path / "none", KV_POSTGRES_BIN=str(bindir))
    assert ran == []
