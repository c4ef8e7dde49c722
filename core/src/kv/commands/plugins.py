"""``kv plugins``: the installed store plugins and their options."""

from __future__ import annotations

import json
from typing import Any

import click

__all__ = ["plugins"]


@click.command()
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
