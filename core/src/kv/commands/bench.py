"""``kv bench URL``: ops/s and latency percentiles of put, get and get_many, as a table."""

from __future__ import annotations

import json
from dataclasses import asdict

import click

import kv
from kv.commands.benchmark import Result, run_benchmark
from kv.commands.common import count_option, run

__all__ = ["bench"]


def _table(url: str, results: list[Result]) -> None:
    """Print the results as a rich table on stdout."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"kv bench {url}")
    table.add_column("operation")
    for heading in ("calls", "ops/s", "p50 ms", "p90 ms", "p99 ms"):
        table.add_column(heading, justify="right")
    for result in results:
        table.add_row(
            result.operation,
            str(result.calls),
            f"{result.ops_per_second:,.0f}",
            f"{result.p50_ms:.3f}",
            f"{result.p90_ms:.3f}",
            f"{result.p99_ms:.3f}",
        )
    Console().print(table)


@click.command()
@click.argument("url")
@count_option("--ops", default=1000, meaning="Calls timed per operation.")
@count_option("--many", default=10, meaning="Keys per get_many call.")
@click.option(
    "--collection",
    "-c",
    default="kv-bench",
    show_default=True,
    help="The scratch collection written (its benchmark keys are deleted afterwards).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def bench(url: str, ops: int, many: int, collection: str, as_json: bool) -> None:
    """A short benchmark of the store at URL: ops/s and p50/p90/p99 latency.

    Writes --ops entries (keys bench-0, bench-1, ...) into --collection, times
    put, get and get_many one call at a time, then deletes those entries.
    """

    async def action(store: kv.AsyncKeyValue) -> list[Result]:
        return await run_benchmark(store, ops=ops, many=many, collection=collection)

    results = run(url, action)
    if as_json:
        click.echo(json.dumps([asdict(result) for result in results], indent=2))
    else:
        _table(kv.StoreURL.parse(url).render(), results)
