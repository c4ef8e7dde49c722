"""What every command shares: exit status, opening a store, reporting errors.

Errors are printed as ``error: ...`` on stderr, with every secret of the URL
masked (its password and secret query options, see
:func:`kv.url.is_secret_option`), and never with a traceback.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Awaitable, Callable
from typing import NoReturn, TypeVar

import click

import kv
from kv.errors import (
    InvalidKeyError,
    InvalidOptionError,
    InvalidTTLError,
    InvalidURLError,
    KeyValueError,
    UnknownSchemeError,
)
from kv.ttl import MAX_TTL_SECONDS, validate_ttl

F = TypeVar("F", bound=Callable[..., object])

__all__ = [
    "EXIT_INTERRUPTED",
    "EXIT_MISSING",
    "EXIT_STORE_ERROR",
    "EXIT_USAGE",
    "collection_option",
    "count_option",
    "dump",
    "exit_code_for",
    "fail",
    "quote",
    "redact",
    "run",
    "ttl_option",
]

T = TypeVar("T")

EXIT_STORE_ERROR = 1
"""The store failed, or refused an operation (it cannot list keys, ...)."""
EXIT_USAGE = 2
"""The command line was wrong: click's usage errors and kv's input errors."""
EXIT_MISSING = 3
"""``kv get``/``ttl``/``delete``: the key is not in the store."""
EXIT_INTERRUPTED = 130
"""Ctrl-C (128 + SIGINT, as shells report it)."""

USAGE_ERRORS: tuple[type[KeyValueError], ...] = (
    InvalidURLError,
    InvalidOptionError,
    UnknownSchemeError,
    InvalidKeyError,
    InvalidTTLError,
)
"""kv errors about what was typed (URL, option, key, TTL): exit status 2."""


def exit_code_for(error: BaseException) -> int:
    """``2`` for an error in what was typed, ``1`` for anything else."""
    return EXIT_USAGE if isinstance(error, USAGE_ERRORS) else EXIT_STORE_ERROR


def redact(url: str, text: str) -> str:
    """``text`` with the URL's secrets masked (a URL that does not parse has none left)."""
    try:
        return kv.StoreURL.parse(url).redact(text)
    except KeyValueError:
        return text


def fail(url: str, message: str, code: int = EXIT_STORE_ERROR) -> NoReturn:
    """Print ``error: message`` without the URL's secrets and exit with ``code``."""
    click.echo(f"error: {redact(url, message)}", err=True)
    sys.exit(code)


def describe(error: BaseException) -> str:
    """An error's text; a foreign exception's prefixed by its class name."""
    if isinstance(error, KeyValueError):
        return str(error)
    return f"{type(error).__name__}: {error}"


def run(url: str, action: Callable[[kv.AsyncKeyValue], Awaitable[T]]) -> T:
    """Open the store at ``url``, run ``action`` on it, close it; report errors.

    A kv error about what was typed exits with status 2, any other error
    (the store's, or a plugin's own exception, whose text may quote the URL)
    with status 1.
    """
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
    except Exception as error:
        fail(url, describe(error), exit_code_for(error))


def dump(value: object) -> str:
    """One line of JSON (non-ASCII kept, object keys sorted)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def quote(name: str) -> str:
    """A key or collection name for a message: JSON-quoted, so newlines show as ``\\n``."""
    return json.dumps(name, ensure_ascii=False)


def check_ttl(ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
    """``--ttl SECONDS``: a number greater than 0 and at most 100 years; a usage error otherwise."""
    if value is None:
        return None
    limits = f"greater than 0 and at most {MAX_TTL_SECONDS:.0f} seconds (100 years)"
    try:
        return validate_ttl(float(value))
    except (ValueError, InvalidTTLError):
        raise click.BadParameter(
            f"must be a number of seconds {limits}, got {value!r};"
            " omit --ttl for an entry that never expires",
            ctx,
            param,
        ) from None


ttl_option = click.option(
    "--ttl",
    default=None,
    callback=check_ttl,
    metavar="SECONDS",
    help="Seconds until the entry expires (omit it: never).",
)


collection_option = click.option(
    "--collection", "-c", default=None, help="Collection (default: the store's default)."
)


def count_option(
    name: str, *, meaning: str, default: int | None, minimum: int = 1
) -> Callable[[F], F]:
    """A ``click`` option taking a whole number ``N`` of at least ``minimum``; ``meaning``
    is its help text."""
    return click.option(
        name,
        type=click.IntRange(min=minimum),
        metavar="N",
        default=default,
        show_default=default is not None,
        help=meaning,
    )
