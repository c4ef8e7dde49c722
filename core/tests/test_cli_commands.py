"""The kv command's input and output: values from stdin, JSON listings, exit
status, messages in the command line's terms, and the hint printed when its
packages are missing."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from kv import registry
from kv.commands.app import cli

needs_disk = pytest.mark.skipif(
    "disk" not in {info.scheme for info in registry.plugins() if info.plugin},
    reason="needs kv-disk",
)


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


@needs_disk
def test_put_reads_the_value_from_stdin_with_a_dash(tmp_path: Path) -> None:
    url = f"disk://{tmp_path}/cache"
    code, _, err = run("put", url, "alice", "-", "-c", "users", stdin='{"name": "Al\\nice"}\n')
    assert code == 0, err
    code, out, _ = run("get", url, "alice", "-c", "users")
    assert json.loads(out) == {"name": "Al\nice"}
    code, _, err = run("put", url, "bob", "-", stdin="[1]")
    assert code == 2
    assert "must be a JSON object" in err


@needs_disk
def test_keys_and_collections_as_json_keep_names_with_newlines(tmp_path: Path) -> None:
    url = f"disk://{tmp_path}/cache"
    names = ["plain", "two\nlines", 'quote"d', "é"]
    for name in names:
        assert run("put", url, name, '{"v": 1}', "-c", "multi\nline")[0] == 0
    code, out, _ = run("keys", url, "-c", "multi\nline", "--json")
    assert code == 0
    assert sorted(json.loads(out)) == sorted(names)
    code, out, _ = run("keys", url, "-c", "multi\nline", "--json", "--limit", "2")
    assert len(json.loads(out)) == 2
    code, out, _ = run("collections", url, "--json")
    assert json.loads(out) == ["multi\nline"]
    code, out, _ = run("keys", url, "-c", "empty", "--json")
    assert json.loads(out) == []
    code, out, _ = run("keys", url, "-c", "multi\nline")
    assert len(out.splitlines()) == len(names) + 1  # plain text: one line per line


def test_exit_status_tells_usage_errors_from_store_errors_and_missing_keys() -> None:
    assert run("get", "memory://")[0] == 2  # click: a missing argument
    assert run("get", "memory://", "k", "--nope")[0] == 2  # click: an unknown option
    assert run("get", "nosuch://", "k")[0] == 2  # kv: an unknown scheme
    assert run("get", "memory://?max_entries=0", "k")[0] == 2  # kv: a bad option
    assert run("get", "memory://", "")[0] == 2  # kv: an empty key
    assert run("keys", "null://")[0] == 1  # the store cannot list keys
    if "redis" in {info.scheme for info in registry.plugins() if info.plugin}:
        assert run("get", "redis://127.0.0.1:1/0", "k")[0] == 1  # the store is unreachable
    for command in ("get", "ttl", "delete"):
        code, _, err = run(command, "memory://", "two\nlines")
        assert code == 3
        assert err == 'missing: "two\\nlines"\n'


PYTHONISMS = ("None", "pass ", "keyword", "Traceback", "str,", "a str", "float", "int(")


@pytest.mark.parametrize(
    "args",
    [
        ["put", "memory://", "k", "{}", "--ttl", "0"],
        ["put", "memory://", "k", "{}", "--ttl", "-5"],
        ["put", "memory://", "k", "{}", "--ttl", "nan"],
        ["put", "memory://", "k", "{}", "--ttl", "inf"],
        ["put", "memory://", "k", "{}", "--ttl", "abc"],
        ["put", "memory://", "k", "{}", "--ttl", "1e12"],
        ["put", "memory://", "k", "[1]"],
        ["put", "memory://", "k", "{"],
        ["put", "memory://", "", "{}"],
        ["get", "no-scheme", "k"],
        ["keys", "memory://", "--limit", "-1"],
        ["keys", "null://"],
        ["collections", "null://"],
        ["copy", "null://", "memory://", "--batch-size", "0"],
        ["bench", "memory://", "--ops", "0"],
    ],
)
def test_messages_speak_command_line_not_python(args: list[str]) -> None:
    code, out, err = run(*args)
    assert code in (1, 2), out + err
    assert err.strip()
    for word in PYTHONISMS:
        assert word not in err, (word, err)


def test_a_bad_ttl_says_to_omit_the_option() -> None:
    code, _, err = run("put", "memory://", "k", "{}", "--ttl", "0")
    assert code == 2
    assert "omit --ttl for an entry that never expires" in err


BLOCKER = """
import sys

class Refuse:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in {blocked!r}:
            raise ImportError(f"No module named {{name!r}}", name=name)
        return None

sys.meta_path.insert(0, Refuse())
sys.argv = ["kv", "get", "memory://", "k"]
from kv.cli import main
main()
"""


@pytest.mark.parametrize("blocked", [["click"], ["rich"], ["click", "rich"]])
def test_without_click_or_rich_kv_says_how_to_install_them(
    blocked: list[str], tmp_path: Path
) -> None:
    program = textwrap.dedent(BLOCKER.format(blocked=set(blocked)))
    result = subprocess.run(
        [sys.executable, "-c", program],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
        timeout=120,
    )
    assert result.returncode == 1, result.stderr
    assert 'pip install "kv-core[cli]"' in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_importing_the_entry_point_imports_neither_click_nor_rich() -> None:
    program = "import sys, kv.cli; print(sorted({'click', 'rich'} & set(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == "[]"


def test_the_simple_commands_do_not_import_rich() -> None:
    program = textwrap.dedent(
        """
        import sys
        sys.argv = ["kv", "get", "memory://", "k"]
        from kv.cli import main
        try:
            main()
        except SystemExit:
            pass
        print("rich" in sys.modules, "click" in sys.modules)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.split() == ["False", "True"]  # rich only for copy's bar and bench's table
