"""redis:// beside raw redis-py doing the same work, against a real redis-server.

Run: ``uv run python benchmarks/bench_redis.py`` (``--quick`` for a short run).

Starts redis-server on a free loopback port (it must be installed) and
prints a Markdown table; what is measured is described in ``resp_common.py``.
Targets: get and put at most 1.1x raw redis-py, get_many per key at most 1.3x
raw MGET (issue 11). ``benchmarks/bench_servers.py`` shows py-key-value beside
both, and keys(limit=10) / keys().
"""

from __future__ import annotations

import argparse
import shutil

import redis
from resp_common import run, server_command

from kv_conformance.servers import ServerProcess


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="fewer loops, for a smoke run")
    args = parser.parse_args()
    binary = shutil.which("redis-server") or "redis-server"
    version = redis.__version__
    run(
        f"kv-redis vs redis-py {version}, redis-server",
        "redis-py",
        ServerProcess("redis-bench", server_command(binary)),
        "redis",
        quick=args.quick,
    )


if __name__ == "__main__":
    main()
