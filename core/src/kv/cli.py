"""The ``kv`` command's entry point.

The command line's packages, click and rich, are the optional extra
``kv-core[cli]``. This module imports neither at import time: :func:`main`
imports the commands (:mod:`kv.commands.app`) only when it runs, so that
without them ``kv`` prints how to install them instead of a traceback.

Exit status (see ``docs/cli.md``): ``0`` success, ``1`` the store failed,
``2`` the command line was wrong (click's usage errors and kv's input errors),
``3`` the key is missing (``kv get``, ``kv ttl``, ``kv delete``), ``130``
interrupted.
"""

from __future__ import annotations

import importlib.util
import sys

__all__ = ["INSTALL_HINT", "main"]

INSTALL_HINT = (
    "The kv command needs the packages click and rich, which are not installed.\n"
    'Install them with: pip install "kv-core[cli]"'
)
"""What ``kv`` prints when its packages are missing."""

EXIT_NOT_INSTALLED = 1


def _missing() -> list[str]:
    """The command line's packages that cannot be imported."""
    missing = []
    for name in ("click", "rich"):
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):  # an import hook refused it
            found = False
        if not found:
            missing.append(name)
    return missing


def main() -> None:
    """Run the ``kv`` command (the console script)."""
    if _missing():
        print(INSTALL_HINT, file=sys.stderr)
        sys.exit(EXIT_NOT_INSTALLED)
    try:
        from kv.commands.app import cli
    except ImportError as error:
        if (error.name or "").partition(".")[0] not in ("click", "rich"):
            raise
        print(INSTALL_HINT, file=sys.stderr)
        sys.exit(EXIT_NOT_INSTALLED)
    cli(prog_name="kv")


if __name__ == "__main__":  # pragma: no cover
    main()
