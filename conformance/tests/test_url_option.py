"""``pytest --kv-url URL`` runs the whole suite against any store URL."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def run_pytest(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
        timeout=300,
    )


def test_kv_url_runs_the_suite_against_memory(tmp_path: Path) -> None:
    result = run_pytest(tmp_path, "--kv-url", "memory://", "-k", "round_trip or capability")
    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout
    assert "TestStoreAtURL" in run_pytest(tmp_path, "--kv-url", "memory://", "--co").stdout


def test_kv_url_with_a_failing_store_fails(tmp_path: Path) -> None:
    # null:// keeps nothing, so the suite's read-back tests must fail against it.
    result = run_pytest(tmp_path, "--kv-url", "null://", "-k", "test_get_put_get and not delete")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "2 failed" in result.stdout  # once per default_collection pass
