"""``kv bench``: ops/s and latency percentiles of put, get and get_many."""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import pytest
from click.testing import CliRunner

import kv
from kv import registry
from kv.commands.app import cli
from kv.commands.benchmark import percentile


def test_percentiles_by_nearest_rank() -> None:
    timings = [float(n) for n in range(1, 101)]
    assert percentile(timings, 0.5) == 50.0
    assert percentile(timings, 0.9) == 90.0
    assert percentile(timings, 0.99) == 99.0
    assert percentile([7.0], 0.99) == 7.0


def test_bench_on_memory_prints_a_table() -> None:
    result = CliRunner().invoke(cli, ["bench", "memory://", "--ops", "50"])
    assert result.exit_code == 0, result.output
    for heading in ("operation", "ops/s", "p50 ms", "p90 ms", "p99 ms"):
        assert heading in result.stdout
    for operation in ("put", "get", "get_many (10)"):
        assert operation in result.stdout


@pytest.mark.skipif(
    "disk" not in {info.scheme for info in registry.plugins() if info.plugin},
    reason="needs kv-disk",
)
def test_bench_on_disk_as_json_leaves_no_entry(tmp_path: Path) -> None:
    url = f"disk://{tmp_path}/cache"
    result = CliRunner().invoke(cli, ["bench", url, "--ops", "40", "--many", "5", "--json"])
    assert result.exit_code == 0, result.output
    rows = {row["operation"]: row for row in json.loads(result.stdout)}
    assert set(rows) == {"put", "get", "get_many (5)"}
    for row in rows.values():
        assert row["calls"] == 40
        assert row["ops_per_second"] > 0
        assert 0 < row["p50_ms"] <= row["p90_ms"] <= row["p99_ms"]

    async def left() -> list[str]:
        async with kv.connect(url) as store:
            assert isinstance(store, kv.EnumerateKeys)
            return await store.keys("kv-bench")

    assert anyio.run(left) == []


def test_bench_on_null_and_on_a_bad_url() -> None:
    result = CliRunner().invoke(cli, ["bench", "null://", "--ops", "5"])
    # null:// forgets every write, so each get finds nothing: still a benchmark.
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(cli, ["bench", "memory://?max_entries=0"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
