"""The kv command line, driven through click's runner and a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from kv.cli import main


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


def test_get_of_missing_key_exits_1() -> None:
    code, _, err = run("get", "memory://", "nope")
    assert code == 1
    assert "missing" in err


def test_bad_json_value_is_a_usage_error() -> None:
    code, _, err = run("put", "memory://", "k", "[1, 2]")
    assert code == 2
    assert "JSON object" in err


def test_kv_error_exits_2_without_traceback() -> None:
    code, _, err = run("put", "memory://", "k", '{"a": 1}', "--ttl", "0")
    assert code == 2
    assert err.startswith("error: A TTL must be greater than 0")
    code, _, err = run("get", "nosuch://", "k")
    assert code == 2
    assert "Installed schemes" in err


def test_password_never_printed() -> None:
    code, _, err = run("get", "redis://user:hunter2@localhost/0", "k")
    assert code == 2
    assert "hunter2" not in err


def test_keys_and_collections_on_memory() -> None:
    code, out, _ = run("keys", "memory://")
    assert code == 0
    assert out == ""
    code, out, _ = run("collections", "memory://")
    assert code == 0
    code, _, err = run("keys", "null://")
    assert code == 2
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
            "-p",
            "no:cacheprovider",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout
