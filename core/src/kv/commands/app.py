"""The ``kv`` click group: every command, registered from its own module.

Run through :func:`kv.cli.main` (the console script), which prints how to
install click and rich when they are missing.
"""

from __future__ import annotations

import click

import kv
from kv.commands import basic, bench, check, copy, plugins

__all__ = ["cli"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(kv.__version__, prog_name="kv")
def cli() -> None:
    """Work with any kv store by URL (memory://, redis://host/0, disk:///path, ...).

    Exit status: 0 success, 1 the store failed, 2 a usage error (a bad
    argument, option, URL, key or TTL), 3 the key is missing, 130 interrupted.
    """


for command in (
    plugins.plugins,
    basic.put,
    basic.get,
    basic.ttl,
    basic.delete,
    basic.keys,
    basic.collections,
    copy.copy,
    bench.bench,
    check.check,
):
    cli.add_command(command)
