"""The user's ``pip install kv-core kv-disk`` path, from files this checkout builds.

``uv build --all-packages`` builds every distribution's sdist, then its wheel
from that sdist (so a file missing from an sdist is missing from its wheel
too). A fresh virtual environment (``python -m venv``, nothing of the
workspace in it) then gets kv-core with its ``cli`` extra, kv-disk and
kv-conformance installed from those wheel files alone, and runs
``kv.connect``, ``kv plugins`` and ``kv check`` there.

The kv distributions come only from the built files (given by path); their
third-party dependencies (anyio, click, rich, pytest, ...) come from uv's
cache, with ``--offline``: no network is used, and uv fails with a message
naming the package if its cache lacks one (``uv sync --all-packages`` fills
it). uv itself is required: without it these tests fail, saying so.
"""

from __future__ import annotations

import email.parser
import json
import os
import shutil
import subprocess
import sys
import tarfile
import textwrap
import zipfile
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

# Building, installing and one conformance run (about 25 s here) on a busy machine.
pytestmark = pytest.mark.timeout(900)

ROOT = Path(__file__).resolve().parents[2]
COMMAND_TIMEOUT = 600
"""Seconds any one command may take before the test fails (generous: a busy machine)."""

BIN = "Scripts" if os.name == "nt" else "bin"


def _distributions() -> dict[str, tuple[Path, str]]:
    """Every workspace distribution: name -> (folder, version)."""
    found = {}
    for pyproject in [
        ROOT / "core/pyproject.toml",
        ROOT / "conformance/pyproject.toml",
        ROOT / "wrappers/pyproject.toml",
        *sorted(ROOT.glob("plugins/*/pyproject.toml")),
        *sorted(ROOT.glob("examples/*/pyproject.toml")),
    ]:
        with pyproject.open("rb") as file:
            project = tomllib.load(file)["project"]
        found[project["name"]] = (pyproject.parent, project["version"])
    return found


DISTRIBUTIONS = _distributions()


def _uv() -> str:
    """The uv program: ``$UV`` (scripts/test sets it), on PATH, or ``~/.local/bin/uv``."""
    for candidate in (
        os.environ.get("UV"),
        shutil.which("uv"),
        str(Path.home() / ".local" / "bin" / "uv"),
    ):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    pytest.fail(
        "uv is not installed (not in $UV, on PATH or in ~/.local/bin): the wheel-install "
        "test builds the distributions with it; install it with scripts/ensure-uv"
    )


def _environment() -> dict[str, str]:
    """This process's environment without what would point a command at the
    workspace (its virtual environment, its sources)."""
    drop = {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "UV_PROJECT_ENVIRONMENT", "CONDA_PREFIX"}
    return {name: value for name, value in os.environ.items() if name not in drop}


def _run(
    command: list[str], *, cwd: Path, expect: int | None = 0
) -> subprocess.CompletedProcess[str]:
    """Run ``command``; fail the test with its output unless it exits ``expect``."""
    try:
        result = subprocess.run(
            command,
            cwd=cwd,
            env=_environment(),
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        pytest.fail(f"{' '.join(command)} took more than {COMMAND_TIMEOUT} s:\n{error.output}")
    if expect is not None and result.returncode != expect:
        pytest.fail(
            f"{' '.join(command)} exited {result.returncode} (expected {expect})\n"
            f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
        )
    return result


def _stem(name: str, version: str) -> str:
    """The file name stem of a distribution's wheel and sdist."""
    return f"{name.replace('-', '_')}-{version}"


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every distribution's sdist and wheel, built from this checkout."""
    out = tmp_path_factory.mktemp("dist")
    _run([_uv(), "build", "--all-packages", "--out-dir", str(out)], cwd=ROOT)
    return out


def _wheel(dist: Path, name: str) -> Path:
    version = DISTRIBUTIONS[name][1]
    return dist / f"{_stem(name, version)}-py3-none-any.whl"


def _venv(path: Path) -> Path:
    """A fresh virtual environment at ``path``; its Python."""
    _run([sys.executable, "-m", "venv", "--without-pip", str(path)], cwd=path.parent)
    return path / BIN / ("python.exe" if os.name == "nt" else "python")


def _install(python: Path, *requirements: str) -> None:
    """Install into ``python``'s environment, offline (kv's files given by path)."""
    _run(
        [_uv(), "pip", "install", "--python", str(python), "--offline", *requirements],
        cwd=python.parent,
    )


def test_every_distribution_builds_an_sdist_and_a_wheel_with_license_and_metadata(
    dist: Path,
) -> None:
    license_text = (ROOT / "LICENSE").read_bytes()
    built = sorted(path.name for path in dist.iterdir() if path.suffix in {".whl", ".gz"})
    expected = sorted(
        name
        for distribution, (_, version) in DISTRIBUTIONS.items()
        for name in (
            f"{_stem(distribution, version)}.tar.gz",
            f"{_stem(distribution, version)}-py3-none-any.whl",
        )
    )
    assert built == expected
    for name, (folder, version) in DISTRIBUTIONS.items():
        stem = _stem(name, version)
        with zipfile.ZipFile(dist / f"{stem}-py3-none-any.whl") as wheel:
            files = set(wheel.namelist())
            assert wheel.read(f"{stem}.dist-info/licenses/LICENSE") == license_text
            metadata = email.parser.Parser().parsestr(
                wheel.read(f"{stem}.dist-info/METADATA").decode()
            )
            packaged = {path for path in files if ".dist-info/" not in path}
        assert metadata["Name"] == name
        assert metadata["Version"] == version
        assert metadata["License-Expression"] == "Apache-2.0"
        assert metadata["License-File"] == "LICENSE"
        assert metadata["Requires-Python"] == ">=3.10"
        assert "Programming Language :: Python :: 3.13" in metadata.get_all("Classifier", [])
        assert len(metadata.get_all("Project-URL", [])) == 5
        assert metadata.get_payload().startswith(f"# {name}")  # the README
        with tarfile.open(dist / f"{stem}.tar.gz") as sdist:
            members = {member.name for member in sdist.getmembers() if member.isfile()}
            sdist_license = sdist.extractfile(f"{stem}/LICENSE")
            assert sdist_license is not None
            assert sdist_license.read() == license_text
        assert {f"{stem}/{file}" for file in ("LICENSE", "README.md", "pyproject.toml")} <= members
        # every module the wheel holds is in the sdist, and nothing of src is left out
        sources = {path for path in (folder / "src").rglob("*") if path.is_file()}
        in_sdist = {
            member.removeprefix(f"{stem}/src/")
            for member in members
            if member.startswith(f"{stem}/src/")
        }
        assert in_sdist == {
            path.relative_to(folder / "src").as_posix()
            for path in sources
            if "__pycache__" not in path.parts
        }, name
        assert {path for path in packaged if not path.endswith("/")} == in_sdist, name


def test_kv_core_and_a_plugin_install_and_run_from_the_built_files_alone(
    dist: Path, tmp_path: Path
) -> None:
    """``pip install "kv-core[cli]" kv-disk kv-conformance`` into a fresh
    environment, then the library, ``kv plugins`` and ``kv check``."""
    python = _venv(tmp_path / "venv")
    _install(
        python,
        f"{_wheel(dist, 'kv-core')}[cli]",
        str(_wheel(dist, "kv-disk")),
        str(_wheel(dist, "kv-conformance")),
    )
    program = textwrap.dedent(
        """
        import asyncio, json, sys
        import kv, kv_disk

        async def main():
            store = kv.connect("disk://" + sys.argv[1])
            await store.put("alice", {"name": "Alice"}, collection="users", ttl=3600)
            value, ttl = await store.ttl("alice", collection="users")
            await store.close()
            return value, ttl

        value, ttl = asyncio.run(main())
        print(json.dumps({"value": value, "ttl": ttl, "version": kv.__version__,
                          "kv": kv.__file__, "kv_disk": kv_disk.__file__}))
        """
    )
    result = _run([str(python), "-c", program, str(tmp_path / "library")], cwd=tmp_path)
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["value"] == {"name": "Alice"}
    assert 3500 < report["ttl"] <= 3600
    assert report["version"] == DISTRIBUTIONS["kv-core"][1]
    venv = (tmp_path / "venv").resolve()
    for module in ("kv", "kv_disk"):  # the installed copies, not the workspace's sources
        assert Path(report[module]).resolve().is_relative_to(venv), report[module]

    kv_command = str(tmp_path / "venv" / BIN / "kv")
    plugins = _run([kv_command, "plugins"], cwd=tmp_path).stdout
    rows = {line.split()[0]: line.split() for line in plugins.splitlines()[1:] if line.strip()}
    assert rows["disk"][1:3] == ["kv-disk", DISTRIBUTIONS["kv-disk"][1]]
    assert rows["memory"][1] == "kv-core"

    check = _run([kv_command, "check", f"disk://{tmp_path / 'checked'}"], cwd=tmp_path)
    summary = check.stdout.strip().splitlines()[-1]
    assert " passed" in summary, check.stdout
    assert "failed" not in summary, check.stdout
    assert "error" not in summary, check.stdout


def test_without_the_cli_extra_kv_says_how_to_install_it(dist: Path, tmp_path: Path) -> None:
    """``pip install kv-core kv-disk`` (no ``[cli]``): the library works and the
    ``kv`` command names the extra instead of failing with a traceback."""
    python = _venv(tmp_path / "venv")
    _install(python, str(_wheel(dist, "kv-core")), str(_wheel(dist, "kv-disk")))
    _run([str(python), "-c", "import kv; kv.connect('disk://' + __import__('sys').argv[1])",
          str(tmp_path / "store")], cwd=tmp_path)  # fmt: skip
    result = _run([str(tmp_path / "venv" / BIN / "kv"), "plugins"], cwd=tmp_path, expect=None)
    assert result.returncode != 0
    assert "kv-core[cli]" in result.stderr
    assert "Traceback" not in result.stderr
