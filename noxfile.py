"""Developer sessions: ``uv run nox -l`` lists them, ``uv run nox -s NAME`` runs one.

Sessions run in the workspace environment that ``uv sync --all-packages``
builds (the same one CI uses), so no session installs anything of its own.
"""

from __future__ import annotations

from pathlib import Path

import nox

nox.options.default_venv_backend = "none"
nox.options.sessions = ["lint", "typecheck", "tests"]

ROOT = Path(__file__).parent
DISTRIBUTIONS = {
    tests.parent.name: str(tests.relative_to(ROOT))
    for pattern in (
        "core/tests",
        "conformance/tests",
        "wrappers/tests",
        "plugins/*/tests",
        "examples/*/tests",
    )
    for tests in sorted(ROOT.glob(pattern))
}
"""Each distribution's test folder, by its folder name (core, redis, kv-sqlite, ...)."""


@nox.session
def lint(session: nox.Session) -> None:
    """ruff lint and format check over the whole tree."""
    session.run("uv", "run", "ruff", "check", ".", external=True)
    session.run("uv", "run", "ruff", "format", "--check", ".", external=True)


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict over every distribution's package (scripts/typecheck)."""
    session.run("scripts/typecheck", external=True)


@nox.session
@nox.parametrize("distribution", list(DISTRIBUTIONS))
def tests(session: nox.Session, distribution: str) -> None:
    """The tests of one distribution (conformance suite included)."""
    session.run(
        "uv",
        "run",
        "pytest",
        "-n",
        "2",
        DISTRIBUTIONS[distribution],
        *session.posargs,
        external=True,
    )


@nox.session
def benchmarks(session: nox.Session) -> None:
    """Run the benchmarks (not part of the test run)."""
    session.run(
        "uv", "run", "python", "benchmarks/bench_memory.py", *session.posargs, external=True
    )
