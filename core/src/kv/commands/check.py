"""``kv check``: the conformance suite against the store at a URL."""

from __future__ import annotations

import sys

import click

import kv
from kv.commands.common import EXIT_STORE_ERROR, EXIT_USAGE, exit_code_for, fail

__all__ = ["check"]


@click.command(context_settings={"ignore_unknown_options": True})
@click.argument("url")
@click.option(
    "--backend",
    "backends",
    multiple=True,
    type=click.Choice(["asyncio", "trio"]),
    help="Async runtime to run under (repeat for both; default asyncio).",
)
@click.argument("pytest_args", nargs=-1, type=click.UNPROCESSED)
def check(url: str, backends: tuple[str, ...], pytest_args: tuple[str, ...]) -> None:
    """Run the kv conformance suite against the store at URL.

    The suite writes and deletes entries (and destroys the store's data before
    each test where it can): point it at a scratch database. Extra arguments
    go to pytest (e.g. -x or -k ttl). A store that runs under asyncio only is
    refused up front for --backend trio. Nothing is written into the installed
    suite (no .pytest_cache, no rewritten bytecode). Exit status: pytest's
    (0 passed, 1 tests failed, ...), or 2 for a bad URL.
    """
    # Locate the suite without importing it, so pytest imports (and
    # assertion-rewrites) it as the pytest11 plugin it is.
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("kv_conformance")
    if spec is None or spec.origin is None:
        click.echo("error: kv check needs kv-conformance: pip install kv-conformance", err=True)
        sys.exit(EXIT_STORE_ERROR)
    url_suite = Path(spec.origin).with_name("url_suite.py")
    import pytest

    try:
        # Build the store once up front (it does not connect: stores open on
        # first use), so a bad URL or option is one clear error, not one per test.
        parsed = kv.StoreURL.parse(url)
        store = kv.connect(parsed)
    except kv.KeyValueError as error:
        fail(url, str(error), exit_code_for(error))
    if "trio" in backends and _asyncio_only(parsed, store):
        fail(
            url,
            f"{parsed.scheme}:// runs under asyncio only (its store declares"
            " Capabilities.asyncio_only), so kv check cannot run it under trio;"
            " leave out --backend trio",
            EXIT_USAGE,
        )
    args = [
        str(url_suite),
        "--kv-url",
        url,
        "-p",
        "anyio",
        "-p",
        "no:cacheprovider",  # no .pytest_cache in the installed package
        "-o",
        "addopts=",
        "--rootdir",
        str(url_suite.parent),
        "-q",
    ]
    for backend in backends:
        args += ["--kv-backend", backend]
    args += list(pytest_args)
    # Nor assertion-rewritten bytecode in the installed package's __pycache__.
    sys.dont_write_bytecode = True
    sys.exit(int(pytest.main(args)))


def _asyncio_only(url: kv.StoreURL, store: object) -> bool:
    """Whether the store at ``url`` runs under asyncio only.

    Either its plugin's declared capabilities or the store itself say so.
    """
    from kv import registry

    if registry.resolve(url.scheme).capabilities.asyncio_only:
        return True
    capabilities = getattr(store, "capabilities", None)
    return bool(getattr(capabilities, "asyncio_only", False))
