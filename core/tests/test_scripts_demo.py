"""scripts/demo: it installs only what it runs, shows kv on disk://, and every
command it echoes can be pasted into bash.

The demo runs in a subprocess with its own environment (UV_PROJECT_ENVIRONMENT
in a temporary directory, synced from uv.lock), never the workspace's .venv.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "scripts" / "demo"

# The demo syncs an environment and runs the CLI: minutes on a loaded machine.
pytestmark = pytest.mark.timeout(900)
# Dev and test tools the demo must not install (the old demo synced all packages).
NOT_NEEDED = {"pytest", "mypy", "ruff", "nox", "kv-conformance", "kv-sqlite", "diskcache"}


def _distributions(venv: Path) -> set[str]:
    """The normalized names of the distributions installed in ``venv``."""
    names = set()
    for metadata in venv.glob("lib/python*/site-packages/*.dist-info/METADATA"):
        for line in metadata.read_text(encoding="utf-8").splitlines():
            if line.startswith("Name: "):
                names.add(re.sub(r"[-_.]+", "-", line[6:].strip()).lower())
                break
    return names


def _size(directory: Path) -> int:
    return sum(path.stat().st_size for path in directory.rglob("*") if path.is_file())


def _split(transcript: str) -> tuple[list[str], list[str], str]:
    """The comment lines, the echoed commands and the commands' output."""
    comments = [line[2:] for line in transcript.splitlines() if line.startswith("# ")]
    commands = [line[2:] for line in transcript.splitlines() if line.startswith("$ ")]
    output = "".join(
        line for line in transcript.splitlines(keepends=True) if not line.startswith(("# ", "$ "))
    )
    return comments, commands, output


def _without_ttl(output: str) -> str:
    return re.sub(r'"ttl": [0-9.]+', '"ttl": T', output)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """Run scripts/demo once: its environment, its store's directory, its transcript."""
    base = tmp_path_factory.mktemp("demo")
    venv = base / "venv"
    # Quotes, spaces and % in the directory: the URL escapes them, the echo quotes them.
    data = base / 'it\'s a "demo" 100%'
    env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(venv), "KV_DEMO_DIR": str(data)}
    env.pop("VIRTUAL_ENV", None)
    done = subprocess.run(
        [str(DEMO)], env=env, capture_output=True, text=True, check=False, timeout=600
    )
    assert done.returncode == 0, done.stderr
    return venv, data, done.stdout


def test_the_demo_installs_only_core_its_cli_and_kv_disk(demo: tuple[Path, Path, str]) -> None:
    venv, _, _ = demo
    installed = _distributions(venv)
    assert {"kv-core", "kv-disk", "click", "rich", "anyio"} <= installed
    assert {name for name in installed if name.startswith("kv-")} == {"kv-core", "kv-disk"}
    assert not installed & NOT_NEEDED
    assert _size(venv) < 60_000_000  # about 11 MB; every package synced was 1.5 GB


def test_the_demo_shows_disk_and_its_commands_work(demo: tuple[Path, Path, str]) -> None:
    _, data, transcript = demo
    _, commands, output = _split(transcript)
    words = [shlex.split(command) for command in commands]
    assert words[0] == ["kv", "plugins"]
    assert {line.split()[0] for line in output.splitlines()[1:4]} == {"disk", "memory", "null"}
    url = words[1][2]
    assert url.startswith("disk://")
    assert words[1] == [
        "kv",
        "put",
        url,
        "alice",
        '{"name": "Alice", "roles": ["admin"]}',
        "--collection",
        "users",
    ]
    assert '{"name": "Alice", "roles": ["admin"]}\n' in output
    assert "alice\nbob\n" in output
    assert output.endswith("alice\n")
    assert (data / "store").is_dir()  # the URL names the directory with its quotes and %


def test_the_echoed_commands_pasted_into_bash_do_the_same(
    demo: tuple[Path, Path, str], tmp_path: Path
) -> None:
    venv, data, transcript = demo
    comments, commands, output = _split(transcript)
    activate = next(c for c in comments if c.startswith("To paste these commands: "))
    # A fresh store, and the demo's lines pasted as they were printed.
    for path in sorted((data / "store").rglob("*"), reverse=True):
        path.rmdir() if path.is_dir() else path.unlink()
    script = "\n".join(["set -e", activate.split(": ", 1)[1], *commands]) + "\n"
    env = {key: value for key, value in os.environ.items() if key != "VIRTUAL_ENV"}
    pasted = subprocess.run(
        ["bash"],
        input=script,
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert pasted.returncode == 0, pasted.stderr
    assert _without_ttl(pasted.stdout) == _without_ttl(output)
    ttl = json.loads(next(line for line in pasted.stdout.splitlines() if '"ttl"' in line))
    assert ttl["value"] == {"name": "Bob"}
    assert 0 < ttl["ttl"] <= 3600
    assert str(venv) in activate


def _show() -> str:
    """The demo's ``show`` function, as the script defines it."""
    found = re.search(r"^show\(\) \{\n.*?^\}\n", DEMO.read_text(encoding="utf-8"), re.M | re.S)
    assert found is not None
    return found.group(0)


@pytest.mark.parametrize(
    "words",
    [
        ["kv", "put", "disk:///tmp/a%20b", "k", '{"a": "b c"}', "--ttl", "3600"],
        ["it's", '"quoted"', "$HOME", "`date`", "a\nb", "", "*", "~", "x;y", "!", "\\", "é"],
    ],
)
def test_each_word_is_quoted_so_bash_reads_it_back(words: list[str]) -> None:
    script = _show() + 'show "$@"\n'
    echoed = subprocess.run(
        ["bash", "-c", script, "bash", *words],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    assert echoed.startswith("$ ")
    read_back = subprocess.run(
        [
            "bash",
            "-c",
            f'for word in {echoed[2:].rstrip(chr(10))}; do printf "%s\\0" "$word"; done',
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    assert read_back.split("\0")[:-1] == words
