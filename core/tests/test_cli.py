"""The kv command line, driven through click's runner and a real subprocess."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from kv.commands.app import cli as main


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_plugins_lists_builtin_schemes() -> None:
    code, out, _ = run("plugins")
    assert code == 0
    assert "memory" in out
    assert "kv-core" in out
    assert "enumerate_keys" in out
    code, out, _ = run("plugins", "--json")
    rows = {row["scheme"]: row for row in json.loads(out)}
    assert rows["memory"]["capabilities"]["destroy"] is True
    assert rows["null"]["distribution"] == "kv-core"


def test_plugins_shows_one_plugins_options_from_its_declaration() -> None:
    code, out, _ = run("plugins", "memory")
    assert code == 0
    lines = out.splitlines()
    option_rows = lines[lines.index(next(line for line in lines if line.startswith("OPTION"))) :]
    assert option_rows[1].startswith("max_entries")  # the store's own options first
    assert "evicted" in out  # the meaning, from the options class's docstring
    assert any(row.startswith("default_collection") for row in option_rows)
    code, out, _ = run("plugins", "memory", "--json")
    (row,) = json.loads(out)
    options = {option["name"]: option for option in row["options"]}
    assert options["max_entries"]["default"] == "None"
    assert options["sweep_limit"]["type"] == "int"
    code, _, err = run("plugins", "nosuchscheme")
    assert code == 2
    assert "nosuchscheme" in err


def test_get_of_missing_key_exits_3() -> None:
    code, _, err = run("get", "memory://", "nope")
    assert code == 3
    assert err == 'missing: "nope"\n'


def test_bad_json_value_is_a_usage_error() -> None:
    code, _, err = run("put", "memory://", "k", "[1, 2]")
    assert code == 2
    assert "JSON object" in err


def test_input_errors_exit_2_without_traceback() -> None:
    code, _, err = run("put", "memory://", "k", '{"a": 1}', "--ttl", "0")
    assert code == 2
    assert "Invalid value for '--ttl': must be a number of seconds greater than 0" in err
    assert "omit --ttl for an entry that never expires" in err
    code, _, err = run("get", "nosuch://", "k")
    assert code == 2
    assert "Installed schemes" in err


def test_password_never_printed() -> None:
    code, _, err = run("get", "redis://user:hunter2@127.0.0.1:1/0", "k")
    assert code == 1  # the store failed: nothing listens on port 1
    assert "hunter2" not in err


def test_keys_and_collections_on_memory() -> None:
    code, out, _ = run("keys", "memory://")
    assert code == 0
    assert out == ""
    code, out, _ = run("collections", "memory://")
    assert code == 0
    code, _, err = run("keys", "null://")
    assert code == 1
    assert "cannot list keys" in err


def test_check_runs_the_suite_against_memory(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "kv.cli",
            "check",
            "memory://",
            "-k",
            "round_trip",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout


# --- subprocess helpers and fake plugins -------------------------------------------

SECRET = "s3cret-" + "cli5"


def kv_command(*args: str, cwd: Path, path: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m kv.cli ARGS`` (``path`` is put first on ``PYTHONPATH``)."""
    env = dict(os.environ)
    if path is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(path), env.get("PYTHONPATH", "")])
    return subprocess.run(
        [sys.executable, "-m", "kv.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        check=False,
        timeout=600,
    )


PLUGIN = """
from dataclasses import replace

from kv.plugin import StorePlugin
from kv.stores.memory import MEMORY_CAPABILITIES, MemoryOptions

ASYNCIO_ONLY = StorePlugin(
    store="fakekv.factory:AsyncioOnlyStore",
    options=MemoryOptions,
    capabilities=replace(MEMORY_CAPABILITIES, asyncio_only=True),
    description="fake",
)
LEAKY = StorePlugin(
    store="fakekv.factory:LeakyStore",
    options=MemoryOptions,
    capabilities=MEMORY_CAPABILITIES,
    description="raises with the URL",
)
"""

FACTORY = """
from dataclasses import replace

from kv.stores.memory import MEMORY_CAPABILITIES, MemoryStore


class AsyncioOnlyStore(MemoryStore):
    capabilities = replace(MEMORY_CAPABILITIES, asyncio_only=True)
    store_name = "asynconly"


class LeakyStore(MemoryStore):
    @classmethod
    def from_url(cls, url, /, **options):
        raise RuntimeError("client cannot use " + url.render(hide_password=False))
"""


@pytest.fixture
def fake_plugins(tmp_path: Path) -> Path:
    """A folder holding a fake distribution with two schemes, for PYTHONPATH."""
    root = tmp_path / "site"
    info = root / "kv_fake-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: kv-fake\nVersion: 1.0\n")
    lines = "asynconly = fakekv.plugin:ASYNCIO_ONLY\nleaky = fakekv.plugin:LEAKY"
    (info / "entry_points.txt").write_text(f"[kv.stores]\n{lines}\n")
    package = root / "fakekv"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "plugin.py").write_text(textwrap.dedent(PLUGIN))
    (package / "factory.py").write_text(textwrap.dedent(FACTORY))
    return root


# --- secrets in the CLI's error output --------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        f"memory://somewhere?password={SECRET}",
        f"memory://x?ssl_password={SECRET}&token={SECRET}",
        f"memory://?max_entries=0&api_key={SECRET}",
        f"no-scheme?password={SECRET}",
        f"redis://127.0.0.1:1/0?password={SECRET}",
        f"redis://:{SECRET}@127.0.0.1:1/0?db=notanumber",
        f"redis://127.0.0.1:1/0?ssl_password={SECRET}&socket_timeout=bad",
    ],
)
@pytest.mark.parametrize("command", ["get", "check"])
def test_cli_errors_never_print_a_secret(url: str, command: str, tmp_path: Path) -> None:
    if url.startswith("redis") and importlib.util.find_spec("kv_redis") is None:
        pytest.skip("kv-redis is not installed")
    args = [command, url, "k"] if command == "get" else [command, url, "-x", "-k", "get_put_get"]
    result = kv_command(*args, cwd=tmp_path)
    assert SECRET not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr
    if command == "check" and url == f"redis://127.0.0.1:1/0?password={SECRET}":
        assert result.returncode == 1, result.stdout + result.stderr  # the suite ran and failed
        assert "Cannot reach redis" in result.stdout
        return
    unreachable = url.startswith("redis://127.0.0.1:1/0?password=")  # a valid URL: the store fails
    assert result.returncode == (1 if unreachable else 2), result.stdout + result.stderr
    assert result.stderr.startswith("error: ")


def test_cli_redacts_a_plugin_exception_quoting_the_url(fake_plugins: Path, tmp_path: Path) -> None:
    result = kv_command(
        "get", f"leaky://u:{SECRET}@h/0?token={SECRET}", "k", cwd=tmp_path, path=fake_plugins
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.startswith("error: RuntimeError: client cannot use leaky://u:***@h/0")
    assert SECRET not in result.stderr + result.stdout


# --- kv check -------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["asynconly"])
def test_check_refuses_trio_for_an_asyncio_only_store(
    scheme: str, fake_plugins: Path, tmp_path: Path
) -> None:
    result = kv_command(
        "check", f"{scheme}://", "--backend", "trio", cwd=tmp_path, path=fake_plugins
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "runs under asyncio only" in result.stderr
    assert "--backend trio" in result.stderr
    assert "passed" not in result.stdout
    assert "failed" not in result.stdout
    both = kv_command(
        "check",
        f"{scheme}://",
        "--backend",
        "asyncio",
        "--backend",
        "trio",
        cwd=tmp_path,
        path=fake_plugins,
    )
    assert both.returncode == 2
    assert "runs under asyncio only" in both.stderr


def test_check_runs_an_asyncio_only_store_under_asyncio(fake_plugins: Path, tmp_path: Path) -> None:
    result = kv_command(
        "check",
        "asynconly://",
        "--backend",
        "asyncio",
        "-k",
        "round_trip",
        cwd=tmp_path,
        path=fake_plugins,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout


def test_check_writes_no_pytest_cache(tmp_path: Path) -> None:
    spec = importlib.util.find_spec("kv_conformance")
    assert spec is not None
    assert spec.origin is not None
    package = Path(spec.origin).parent
    shutil.rmtree(package / ".pytest_cache", ignore_errors=True)  # left by an older kv check
    result = kv_command("check", "memory://", "-k", "round_trip and not large", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert not (package / ".pytest_cache").exists()
    assert not (tmp_path / ".pytest_cache").exists()


def test_check_reports_a_bad_url_once_without_running_the_suite(tmp_path: Path) -> None:
    result = kv_command("check", "memory://?max_entries=0", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("error: ")
    assert "max_entries" in result.stderr
    assert "passed" not in result.stdout
