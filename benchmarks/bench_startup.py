"""Start-up costs: ``import kv``, the first checked call, and the ``kv`` command line.

Run: ``uv run python benchmarks/bench_startup.py`` (``--runs N``, default 9;
``--quick`` for 3). Every figure is the median of N fresh interpreters, with
the runtime type checks on and off (``KV_TYPECHECK=0``), the two interleaved:

* ``import kv``: the import alone, timed inside the interpreter;
* first-call overhead: the first ``get`` on ``memory://`` minus the median of
  the 50 ``get`` calls after it, in the same interpreter (what a process pays
  once, the type checks' set-up included);
* ``kv get`` / ``kv put``: wall time of the command on an embedded store that
  keeps its data between processes (``disk://`` from kv-disk, else the example
  ``sqlite://``), in a scratch directory.

Each is measured twice: with bytecode compiled once and reused, as in an
installed wheel (the compiled files go to a scratch ``PYTHONPYCACHEPREFIX``,
never into the tree), and with no bytecode (every module compiled from source
at each start, as with ``PYTHONDONTWRITEBYTECODE=1`` and no ``__pycache__``).
Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FIRST_CALL = """
import time
start = time.perf_counter()
import kv
imported = time.perf_counter()
import anyio

async def main():
    store = kv.connect("memory://")
    begin = time.perf_counter()
    await store.get("k")
    first = time.perf_counter() - begin
    later = []
    for _ in range(50):
        begin = time.perf_counter()
        await store.get("k")
        later.append(time.perf_counter() - begin)
    later.sort()
    print((imported - start) * 1000, (first - later[len(later) // 2]) * 1000)

anyio.run(main)
"""

MODES = {"on": "1", "off": "0"}


def _store_url(directory: Path) -> str | None:
    """A URL of an embedded store that keeps its data between processes, if installed."""
    if importlib.util.find_spec("kv_disk") is not None:
        return f"disk://{directory / 'disk'}"
    if importlib.util.find_spec("kv_sqlite") is not None:
        return f"sqlite://{directory / 'kv.db'}"
    return None


def _kv_command() -> list[str]:
    """The installed ``kv`` script beside this interpreter, else ``python -m kv.cli``."""
    script = Path(sys.executable).with_name("kv")
    return [str(script)] if script.exists() else [sys.executable, "-m", "kv.cli"]


def _environment(cache: Path, cached: bool, checks: str) -> dict[str, str]:
    """This environment with bytecode kept under ``cache``, or never written nor read there."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["KV_TYPECHECK"] = checks
    env["PYTHONPYCACHEPREFIX"] = str(cache)
    if not cached:  # an empty prefix, never written: every module compiled from source
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _run(command: list[str], env: dict[str, str]) -> str:
    """Run ``command``; its output, or an error quoting what it printed."""
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{command} exited {result.returncode}: {result.stderr[-2000:]}")
    return result.stdout


def _wall_ms(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    _run(command, env)
    return (time.perf_counter() - start) * 1000


def _first_call(env: dict[str, str]) -> tuple[float, float]:
    out = _run([sys.executable, "-c", FIRST_CALL], env).split()
    return float(out[0]), float(out[1])


def measure(runs: int, cache: Path, cached: bool, url: str | None) -> dict[str, dict[str, float]]:
    """Median figures in ms: ``{measure: {"on": ms, "off": ms}}``."""
    kv_command = _kv_command()
    samples: dict[str, dict[str, list[float]]] = {}

    def add(name: str, mode: str, value: float) -> None:
        samples.setdefault(name, {}).setdefault(mode, []).append(value)

    for checks in MODES.values():  # warm-up: compiles the bytecode (when cached)
        env = _environment(cache, cached, checks)
        _first_call(env)
        if url is not None:  # and writes the key that `kv get` reads
            _run([*kv_command, "put", url, "k", '{"a": 1}'], env)
    for _ in range(runs):
        for mode, checks in MODES.items():
            env = _environment(cache, cached, checks)
            imported, first = _first_call(env)
            add("`import kv`", mode, imported)
            add("first `get` minus later ones, `memory://`", mode, first)
            if url is not None:
                add("`kv get`, wall", mode, _wall_ms([*kv_command, "get", url, "k"], env))
                put = [*kv_command, "put", url, "k", '{"a": 1}']
                add("`kv put`, wall", mode, _wall_ms(put, env))
    return {
        name: {mode: statistics.median(values) for mode, values in by_mode.items()}
        for name, by_mode in samples.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=9, help="fresh interpreters per figure")
    parser.add_argument("--quick", action="store_true", help="3 runs, for a smoke run")
    args = parser.parse_args()
    runs = 3 if args.quick else args.runs

    with tempfile.TemporaryDirectory(prefix="kv-bench-startup-") as scratch:
        directory = Path(scratch)
        url = _store_url(directory)
        cached = measure(runs, directory / "bytecode", True, url)
        cold = measure(runs, directory / "no-bytecode", False, url)

    load = ", ".join(f"{figure:.1f}" for figure in os.getloadavg())
    store = f"{url.split(':')[0]}://" if url else "none (install kv-disk or kv-sqlite)"
    print(f"`python {' '.join(['benchmarks/bench_startup.py', *sys.argv[1:]])}`\n")
    print(
        f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {load};"
        f" median of {runs} fresh interpreters; CLI store {store}\n"
    )
    print("| measure (ms) | bytecode | checks on | checks off |")
    print("|---|---|---:|---:|")
    for label, figures in (("cached", cached), ("none", cold)):
        for name, by_mode in figures.items():
            print(f"| {name} | {label} | {by_mode['on']:.1f} | {by_mode['off']:.1f} |")


if __name__ == "__main__":
    main()
