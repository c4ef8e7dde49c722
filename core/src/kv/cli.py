"""The ``kv`` command line.

::

    kv plugins                          # installed schemes, with capabilities
    kv put URL KEY '{"json": "object"}' [--collection C] [--ttl SECONDS]
    kv get URL KEY [--collection C]     # prints the value as JSON
    kv ttl URL KEY [--collection C]     # prints value and remaining seconds
    kv delete URL KEY [--collection C]
    kv keys URL [--collection C] [--limit N]
    kv collections URL
    kv check URL [--backend trio]       # run the conformance suite against URL

Exit status: 0 on success, 1 when a key is missing, 2 on a kv error. Errors
are printed as ``error: ...`` with every secret of the URL masked (its
password and secret query options, see :func:`kv.url.is_secret_option`).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn, TypeVar

import click

import kv
from kv.errors import KeyValueError

__all__ = ["main"]

T = TypeVar("T")

EXIT_MISSING = 1
EXIT_ERROR = 2


def _run(url: str, action: Callable[[kv.AsyncKeyValue], Awaitable[T]]) -> T:
    """Open the store at ``url``, run ``action`` on it, close it; report kv errors."""
    import anyio

    async def main() -> T:
        store = kv.connect(url)
        try:
            return await action(store)
        finally:
            close = getattr(store, "close", None)
            if close is not None:
                await close()

    try:
        return anyio.run(main)
    except KeyValueError as error:
        _fail(url, str(error))
    except Exception as error:  # a plugin's own exception: its text may quote the URL
        _fail(url, f"{type(error).__name__}: {error}")


def _redact(url: str, text: str) -> str:
    """``text`` with the URL's secrets masked (a URL that does not parse has none left)."""
    try:
        return kv.StoreURL.parse(url).redact(text)
    except KeyValueError:
        return text


def _fail(url: str, message: str) -> NoReturn:
    """Print ``error: message`` without the URL's secrets and exit with status 2."""
    click.echo(f"error: {_redact(url, message)}", err=True)
    sys.exit(EXIT_ERROR)


def _dump(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


collection_option = click.option(
    "--collection", "-c", default=None, help="Collection (default: the store's default)."
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(kv.__version__, prog_name="kv")
def main() -> None:
    """Work with any kv store by URL (memory://, redis://host/0, disk:///path, ...)."""


@main.command()
@click.argument("scheme", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def plugins(scheme: str | None, as_json: bool) -> None:
    """List installed store plugins: scheme, distribution, version, capabilities.

    With SCHEME, show that plugin's options: name, type, default and meaning.
    """
    from kv import registry

    infos = registry.plugins()
    if scheme is not None:
        infos = [info for info in infos if info.scheme == scheme.lower()]
        if not infos:
            raise click.UsageError(f"no installed plugin serves {scheme!r} (see 'kv plugins')")
    if as_json:
        rows: list[dict[str, Any]] = [
            {
                "scheme": info.scheme,
                "distribution": info.distribution,
                "version": info.version,
                "capabilities": info.plugin.capabilities.as_dict() if info.plugin else None,
                "description": info.plugin.description if info.plugin else "",
                "options": [vars(option) for option in info.plugin.options.describe()]
                if info.plugin
                else [],
                "error": info.error,
            }
            for info in infos
        ]
        click.echo(json.dumps(rows, indent=2))
        return
    table = [("SCHEME", "DISTRIBUTION", "VERSION", "CAPABILITIES")]
    for info in infos:
        if info.plugin is None:
            table.append((info.scheme, info.distribution, info.version, f"ERROR: {info.error}"))
        else:
            table.append(
                (info.scheme, info.distribution, info.version, str(info.plugin.capabilities))
            )
    _echo_table(table)
    if scheme is not None and infos[0].plugin is not None:
        plugin = infos[0].plugin
        click.echo(f"\n{plugin.description}\n")
        options = [("OPTION", "TYPE", "DEFAULT", "MEANING")]
        for option in plugin.options.describe():
            default = "(required)" if option.default is None else option.default
            options.append((option.name, option.type, default, option.doc))
        _echo_table(options)


def _echo_table(rows: list[tuple[str, str, str, str]]) -> None:
    """Columns padded to their widest cell; the last column as it is."""
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[3])


@main.command()
@click.argument("url")
@click.argument("key")
@click.argument("value")
@collection_option
@click.option("--ttl", type=float, default=None, help="Seconds until the entry expires.")
def put(url: str, key: str, value: str, collection: str | None, ttl: float | None) -> None:
    """Store VALUE (a JSON object) under KEY."""
    try:
        parsed = json.loads(value)
    except ValueError as error:
        raise click.BadParameter(f"not JSON: {error}", param_hint="VALUE") from None
    if not isinstance(parsed, dict):
        raise click.BadParameter("must be a JSON object", param_hint="VALUE")

    async def action(store: kv.AsyncKeyValue) -> None:
        await store.put(key, parsed, collection=collection, ttl=ttl)

    _run(url, action)


@main.command()
@click.argument("url")
@click.argument("key")
@collection_option
def get(url: str, key: str, collection: str | None) -> None:
    """Print the value stored under KEY as JSON (exit 1 if it is missing)."""

    async def action(store: kv.AsyncKeyValue) -> dict[str, Any] | None:
        return await store.get(key, collection=collection)

    found = _run(url, action)
    if found is None:
        click.echo(f"missing: {key!r}", err=True)
        sys.exit(EXIT_MISSING)
    click.echo(_dump(found))


@main.command()
@click.argument("url")
@click.argument("key")
@collection_option
def ttl(url: str, key: str, collection: str | None) -> None:
    """Print the value of KEY and its remaining seconds (null: never expires)."""

    async def action(store: kv.AsyncKeyValue) -> tuple[dict[str, Any] | None, float | None]:
        return await store.ttl(key, collection=collection)

    found, remaining = _run(url, action)
    if found is None:
        click.echo(f"missing: {key!r}", err=True)
        sys.exit(EXIT_MISSING)
    click.echo(_dump({"value": found, "ttl": remaining}))


@main.command()
@click.argument("url")
@click.argument("key")
@collection_option
def delete(url: str, key: str, collection: str | None) -> None:
    """Delete KEY (exit 1 if it did not exist)."""

    async def action(store: kv.AsyncKeyValue) -> bool:
        return await store.delete(key, collection=collection)

    if not _run(url, action):
        click.echo(f"missing: {key!r}", err=True)
        sys.exit(EXIT_MISSING)


@main.command()
@click.argument("url")
@collection_option
@click.option("--limit", type=click.IntRange(min=0), default=None, help="List at most N keys.")
def keys(url: str, collection: str | None, limit: int | None) -> None:
    """List the keys of a collection, one per line."""

    async def action(store: kv.AsyncKeyValue) -> None:
        if not isinstance(store, kv.EnumerateKeys):
            raise kv.errors.UnsupportedOperationError(
                "This store cannot list keys", store=url.partition(":")[0]
            )
        count = 0
        async for key in store.iter_keys(collection):
            if limit is not None and count >= limit:
                break
            click.echo(key)
            count += 1

    _run(url, action)


@main.command()
@click.argument("url")
def collections(url: str) -> None:
    """List the collections of a store, one per line."""

    async def action(store: kv.AsyncKeyValue) -> None:
        if not isinstance(store, kv.EnumerateCollections):
            raise kv.errors.UnsupportedOperationError(
                "This store cannot list collections", store=url.partition(":")[0]
            )
        async for name in store.iter_collections():
            click.echo(name)

    _run(url, action)


@main.command(context_settings={"ignore_unknown_options": True})
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
    go to pytest (e.g. ``-x`` or ``-k ttl``). A store that runs under asyncio
    only is refused up front for ``--backend trio``. Nothing is written into
    the installed suite (no ``.pytest_cache``, no rewritten bytecode).
    """
    # Locate the suite without importing it, so pytest imports (and
    # assertion-rewrites) it as the pytest11 plugin it is.
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("kv_conformance")
    if spec is None or spec.origin is None:
        click.echo("error: kv check needs kv-conformance: pip install kv-conformance", err=True)
        sys.exit(EXIT_ERROR)
    url_suite = Path(spec.origin).with_name("url_suite.py")
    import pytest

    try:
        # Build the store once up front (it does not connect: stores open on
        # first use), so a bad URL or option is one clear error, not one per test.
        parsed = kv.StoreURL.parse(url)
        store = kv.connect(parsed)
        if "trio" in backends and _asyncio_only(parsed, store):
            _fail(
                url,
                f"{parsed.scheme}:// runs under asyncio only (its store declares"
                " Capabilities.asyncio_only), so kv check cannot run it under trio;"
                " leave out --backend trio",
            )
    except KeyValueError as error:
        _fail(url, str(error))
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


if __name__ == "__main__":  # pragma: no cover
    main()
