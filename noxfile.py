"""Developer sessions: ``uv run nox -l`` lists them, ``uv run nox -s NAME`` runs one.

Sessions run in the workspace environment that ``uv sync --all-packages``
builds (the same one CI uses), so no session installs anything of its own.
"""

from __future__ import annotations

from pathlib import Path

import nox

nox.options.default_venv_backend = "none"
nox.options.sessions = ["lint", "typecheck", "tests", "docs", "wheels"]

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
    """ruff lint and format check over the whole tree; actionlint over the workflows."""
    session.run("uv", "run", "ruff", "check", ".", external=True)
    session.run("uv", "run", "ruff", "format", "--check", ".", external=True)
    workflows = sorted(str(path) for path in ROOT.glob(".github/workflows/*.yml"))
    session.run("uv", "run", "actionlint", *workflows, external=True)


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict over every distribution's package (scripts/typecheck)."""
    session.run("scripts/typecheck", external=True)


@nox.session
@nox.parametrize("distribution", list(DISTRIBUTIONS))
def tests(session: nox.Session, distribution: str) -> None:
    """The tests of one distribution, conformance suite included.

    The wheel-install test runs in its own session, ``wheels``.
    """
    session.run(
        "uv",
        "run",
        "pytest",
        "-n",
        "2",
        "--ignore=core/tests/test_packaging_wheels.py",
        DISTRIBUTIONS[distribution],
        *session.posargs,
        external=True,
    )


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation site strictly (warnings fail); ``-- serve`` serves it."""
    if session.posargs[:1] == ["serve"]:
        session.run("uv", "run", "mkdocs", "serve", *session.posargs[1:], external=True)
        return
    session.run(
        "uv",
        "run",
        "mkdocs",
        "build",
        "--strict",
        "--site-dir",
        str(ROOT / ".nox" / "site"),
        external=True,
    )


@nox.session
def wheels(session: nox.Session) -> None:
    """Install kv-core and kv-disk from freshly built files into a fresh venv.

    core/tests/test_packaging_wheels.py: every sdist and wheel is built first.
    """
    session.run(
        "uv",
        "run",
        "pytest",
        "core/tests/test_packaging_wheels.py",
        *session.posargs,
        external=True,
    )


@nox.session
def build(session: nox.Session) -> None:
    """Build every distribution's sdist and wheel into ``dist/`` (what release.yml publishes)."""
    session.run("uv", "build", "--all-packages", "--out-dir", str(ROOT / "dist"), external=True)


@nox.session
def benchmarks(session: nox.Session) -> None:
    """Run the benchmarks (not part of the test run)."""
    session.run(
        "uv", "run", "python", "benchmarks/bench_memory.py", *session.posargs, external=True
    )
