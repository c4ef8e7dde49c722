"""A separate process that writes entries to a kv URL (run by the two-process tests).

Usage: ``python chdb_writer.py URL PREFIX COUNT [HOLD_SECONDS] [OPTIONS_JSON]``

Writes ``COUNT`` entries ``PREFIX-i -> {"writer": PREFIX, "i": i}`` one ``put``
at a time, printing ``ok KEY`` after each put returned, then keeps the store
open ``HOLD_SECONDS`` and closes it. Errors print ``error TYPE: MESSAGE`` and
exit with status 3.
"""

from __future__ import annotations

import json
import sys
import time

import anyio

import kv


async def main(url: str, prefix: str, count: int, hold: float, options: dict[str, object]) -> None:
    store = kv.connect(url, **options)
    try:
        for i in range(count):
            key = f"{prefix}-{i:05d}"
            await store.put(key, {"writer": prefix, "i": i}, collection="shared")
            print("ok", key, flush=True)
        print("done", flush=True)
        time.sleep(hold)  # keeps the database open (and locked, for exclusive engines)
    finally:
        await store.close()  # type: ignore[attr-defined]
    print("closed", flush=True)


if __name__ == "__main__":
    url, prefix, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    hold = float(sys.argv[4]) if len(sys.argv) > 4 else 0.0
    options = json.loads(sys.argv[5]) if len(sys.argv) > 5 else {}
    try:
        anyio.run(main, url, prefix, count, hold, options)
    except kv.KeyValueError as error:
        print(f"error {type(error).__name__}: {error}", flush=True)
        sys.exit(3)
