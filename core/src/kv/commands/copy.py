"""``kv copy SRC_URL DST_URL``: move data between any two stores, resumably.

The work is :func:`kv.commands.copier.copy_entries`; this module adds the
command line: opening both stores, the checkpoint file, the progress display
(a rich progress bar on a terminal, one line per batch otherwise) and the
closing summary.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import click

import kv
from kv.commands.checkpoint import Checkpoint, default_path
from kv.commands.common import (
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    count_option,
    describe,
    exit_code_for,
    quote,
    redact,
)
from kv.commands.copier import BatchDone, CopyReport, copy_entries, source_collections
from kv.errors import ArgumentValueError, KeyValueError

__all__ = ["copy"]


def _masked(url: str) -> str:
    """The URL with its secrets masked (as typed when it does not parse)."""
    try:
        return kv.StoreURL.parse(url).render()
    except KeyValueError:
        return url


def _line(done: BatchDone) -> None:
    """One progress line per batch, on stderr."""
    state = done.progress
    click.echo(
        f"progress: collection {quote(done.collection)}: {state.copied} copied,"
        f" {state.expired} expired",
        err=True,
    )


@contextmanager
def _progress(mode: str) -> Iterator[Callable[[BatchDone], None]]:
    """The batch callback of the chosen display: ``bar``, ``lines`` or ``none``."""
    if mode == "none":
        yield lambda done: None
        return
    if mode == "lines":
        yield _line
        return
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

    console = Console(stderr=True, force_terminal=True)
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("{task.completed} copied"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as bar:
        tasks: dict[str, TaskID] = {}

        def finish() -> None:
            """Stop the spinners of the collections done (all but the last one started)."""
            for task in bar.tasks:
                if task.total is None and task.id != next(reversed(tasks.values())):
                    bar.update(task.id, total=task.completed)

        def advance(done: BatchDone) -> None:
            if done.collection not in tasks:
                tasks[done.collection] = bar.add_task(quote(done.collection), total=None)
                finish()
            bar.update(tasks[done.collection], completed=done.progress.copied)

        yield advance
        for task in bar.tasks:
            bar.update(task.id, total=task.completed)


def _summary(report: CopyReport) -> str:
    restarted = (
        f"; copied again from the start (the checkpoint's key was gone): "
        f"{', '.join(quote(name) for name in report.restarted)}"
        if report.restarted
        else ""
    )
    return (
        f"copied {report.copied} entries, skipped {report.expired} expired,"
        f" {len(report.collections)} collections, {report.seconds:.1f} s{restarted}"
    )


@click.command()
@click.argument("src_url")
@click.argument("dst_url")
@click.option(
    "--collection",
    "-c",
    "selected",
    multiple=True,
    help="A collection to copy (repeat for more; default: every collection the source lists).",
)
@count_option("--batch-size", default=1000, meaning="Entries read and written per call.")
@click.option(
    "--checkpoint",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The file recording progress (default: one per copy in the user's cache folder).",
)
@click.option(
    "--ttl-tolerance",
    type=click.FloatRange(min=0),
    metavar="SECONDS",
    default=1.0,
    show_default=True,
    help="Entries whose remaining TTLs differ by at most this many seconds are written"
    " together, with the shortest of them.",
)
@click.option(
    "--progress",
    type=click.Choice(["auto", "bar", "lines", "none"]),
    default="auto",
    show_default=True,
    help="A progress bar, one line per batch on stderr, or nothing (auto: a bar on a terminal).",
)
def copy(
    src_url: str,
    dst_url: str,
    selected: tuple[str, ...],
    batch_size: int,
    checkpoint: Path | None,
    ttl_tolerance: float,
    progress: str,
) -> None:
    """Copy every entry from SRC_URL to DST_URL, keeping remaining TTLs.

    The source must be able to list its keys (and its collections, unless
    they are named with --collection). Progress is checkpointed after each
    batch: after an interruption, run the same command again to continue.
    A finished copy deletes its checkpoint.
    """
    import anyio

    source_masked, destination_masked = _masked(src_url), _masked(dst_url)
    names = list(selected) or None
    path = checkpoint or default_path(source_masked, destination_masked, names)
    try:
        state = Checkpoint.open(path, source_masked, destination_masked, names)
    except ArgumentValueError as error:
        _fail(src_url, dst_url, error.message, EXIT_USAGE)
    if progress == "auto":
        progress = "bar" if sys.stderr.isatty() else "lines"

    async def main() -> CopyReport:
        source = kv.connect(src_url)
        try:
            destination = kv.connect(dst_url)
            try:
                collections = names or await source_collections(source, source_masked)
                with _progress(progress) as on_batch:
                    return await copy_entries(
                        source,
                        destination,
                        state,
                        collections=collections,
                        batch_size=batch_size,
                        ttl_tolerance=ttl_tolerance,
                        on_batch=on_batch,
                        source_url=source_masked,
                    )
            finally:
                await _close(destination)
        finally:
            await _close(source)

    try:
        report = anyio.run(main)
    except KeyboardInterrupt:
        click.echo(
            f"interrupted: run the same command again to continue (checkpoint {path})", err=True
        )
        sys.exit(EXIT_INTERRUPTED)
    except Exception as error:
        message = describe(error)
        if path.exists():
            message += (
                f"\nthe checkpoint {path} keeps the progress:"
                " run the same command again to continue"
            )
        _fail(src_url, dst_url, message, exit_code_for(error))
    state.remove()
    click.echo(_summary(report))


async def _close(store: object) -> None:
    close = getattr(store, "close", None)
    if close is not None:
        await close()


def _fail(src_url: str, dst_url: str, message: str, code: int) -> NoReturn:
    """Print ``error: message`` with both URLs' secrets masked, and exit with ``code``."""
    click.echo(f"error: {redact(dst_url, redact(src_url, message))}", err=True)
    sys.exit(code)
