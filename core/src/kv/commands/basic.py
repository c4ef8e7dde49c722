"""``kv put``, ``get``, ``ttl``, ``delete``, ``keys`` and ``collections``."""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator
from typing import Any

import click

import kv
from kv.commands.common import (
    EXIT_MISSING,
    collection_option,
    count_option,
    dump,
    quote,
    run,
    ttl_option,
)

__all__ = ["collections", "delete", "get", "keys", "put", "ttl"]


def _parse_value(text: str) -> dict[str, Any]:
    """VALUE as a JSON object, or a usage error naming VALUE."""
    try:
        parsed = json.loads(text)
    except ValueError as error:
        raise click.BadParameter(f"not JSON: {error}", param_hint="VALUE") from None
    if not isinstance(parsed, dict):
        raise click.BadParameter("must be a JSON object", param_hint="VALUE")
    return parsed


@click.command()
@click.argument("url")
@click.argument("key")
@click.argument("value")
@collection_option
@ttl_option
def put(url: str, key: str, value: str, collection: str | None, ttl: float | None) -> None:
    """Store VALUE (a JSON object) under KEY; VALUE - reads it from stdin."""
    text = sys.stdin.read() if value == "-" else value
    parsed = _parse_value(text)

    async def action(store: kv.AsyncKeyValue) -> None:
        await store.put(key, parsed, collection=collection, ttl=ttl)

    run(url, action)


def _missing(key: str) -> None:
    click.echo(f"missing: {quote(key)}", err=True)
    sys.exit(EXIT_MISSING)


@click.command()
@click.argument("url")
@click.argument("key")
@collection_option
def get(url: str, key: str, collection: str | None) -> None:
    """Print the value stored under KEY as JSON (exit 3 if it is missing)."""

    async def action(store: kv.AsyncKeyValue) -> dict[str, Any] | None:
        return await store.get(key, collection=collection)

    found = run(url, action)
    if found is None:
        _missing(key)
    click.echo(dump(found))


@click.command()
@click.argument("url")
@click.argument("key")
@collection_option
def ttl(url: str, key: str, collection: str | None) -> None:
    """Print the value of KEY and its remaining seconds (null: never expires)."""

    async def action(store: kv.AsyncKeyValue) -> tuple[dict[str, Any] | None, float | None]:
        return await store.ttl(key, collection=collection)

    found, remaining = run(url, action)
    if found is None:
        _missing(key)
    click.echo(dump({"value": found, "ttl": remaining}))


@click.command()
@click.argument("url")
@click.argument("key")
@collection_option
def delete(url: str, key: str, collection: str | None) -> None:
    """Delete KEY (exit 3 if it did not exist)."""

    async def action(store: kv.AsyncKeyValue) -> bool:
        return await store.delete(key, collection=collection)

    if not run(url, action):
        _missing(key)


json_option = click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print a JSON array (names holding newlines survive) instead of one name per line.",
)


async def _print_names(names: AsyncIterator[str], limit: int | None, as_json: bool) -> None:
    """Print up to ``limit`` names, one per line or as a JSON array (streamed)."""
    count = 0
    if as_json:
        click.echo("[", nl=False)
    try:
        async for name in names:
            if limit is not None and count >= limit:
                break
            if as_json:
                click.echo(("," if count else "") + "\n  " + quote(name), nl=False)
            else:
                click.echo(name)
            count += 1
    finally:
        close = getattr(names, "aclose", None)
        if close is not None:
            await close()
    if as_json:
        click.echo("\n]" if count else "]")


@click.command()
@click.argument("url")
@collection_option
@count_option("--limit", default=None, minimum=0, meaning="List at most N keys.")
@json_option
def keys(url: str, collection: str | None, limit: int | None, as_json: bool) -> None:
    """List the keys of a collection, one per line (or --json)."""

    async def action(store: kv.AsyncKeyValue) -> None:
        if not isinstance(store, kv.EnumerateKeys):
            raise kv.errors.UnsupportedOperationError(
                "This store cannot list keys", store=url.partition(":")[0]
            )
        await _print_names(store.iter_keys(collection), limit, as_json)

    run(url, action)


@click.command()
@click.argument("url")
@count_option("--limit", default=None, minimum=0, meaning="List at most N collections.")
@json_option
def collections(url: str, limit: int | None, as_json: bool) -> None:
    """List the collections of a store, one per line (or --json)."""

    async def action(store: kv.AsyncKeyValue) -> None:
        if not isinstance(store, kv.EnumerateCollections):
            raise kv.errors.UnsupportedOperationError(
                "This store cannot list collections", store=url.partition(":")[0]
            )
        await _print_names(store.iter_collections(), limit, as_json)

    run(url, action)
