"""The GitHub workflows that check and release the distributions.

ci.yml runs lint, types, every distribution's tests on each supported Python,
the docs build and the wheel-install test, reading only the repository;
release.yml publishes on ``v*`` tags with PyPI's trusted publishing; dependabot
keeps the Python dependencies and the actions up to date. actionlint checks
the files themselves (``scripts/test`` runs it, and so does the last test).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml  # PyYAML, which the workspace's docs tools (dev group) bring

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"


def _load(path: Path) -> dict[Any, Any]:
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    # YAML 1.1 reads the key `on` as True
    if True in loaded:
        loaded["on"] = loaded.pop(True)
    return loaded


def _steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return list(job.get("steps", []))


def _runs(job: dict[str, Any]) -> str:
    return "\n".join(str(step.get("run", "")) for step in _steps(job))


def _uses(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [step for step in _steps(job) if str(step.get("uses", "")).startswith(action + "@")]


def test_ci_runs_every_check() -> None:
    ci = _load(WORKFLOWS / "ci.yml")
    assert ci["permissions"] == {"contents": "read"}
    jobs = ci["jobs"]
    assert "ruff check" in _runs(jobs["lint"])
    assert "ruff format --check" in _runs(jobs["lint"])
    assert "actionlint" in _runs(jobs["lint"])
    assert "scripts/typecheck" in _runs(jobs["types"])
    assert "mkdocs build --strict" in _runs(jobs["docs"])
    assert "core/tests/test_packaging_wheels.py" in _runs(jobs["wheels"])
    tests = jobs["tests"]
    assert tests["strategy"]["matrix"]["python"] == ["3.10", "3.11", "3.12", "3.13"]
    assert "fromJSON(needs.plan.outputs.distributions)" in str(
        tests["strategy"]["matrix"]["distribution"]
    )
    assert "scripts/install-system-deps" in _runs(tests)
    assert "scripts/install-emulators" in _runs(tests)
    assert "${{ matrix.distribution }}/tests" in _runs(tests)
    for name, job in jobs.items():
        setups = _uses(job, "astral-sh/setup-uv")
        if "uv " in _runs(job) or "scripts/" in _runs(job):
            assert setups, f"job {name} runs uv without setup-uv"
        for setup in setups:
            assert setup["with"]["enable-cache"] is True, name
            assert setup["with"]["cache-dependency-glob"] == "uv.lock", name


def test_ci_tests_every_distribution_in_the_plan() -> None:
    """The plan job's loop names the folders the workspace's members live in."""
    plan = _runs(_load(WORKFLOWS / "ci.yml")["jobs"]["plan"])
    for pattern in ("core/tests", "conformance/tests", "wrappers/tests"):
        assert pattern in plan
    assert "plugins/*/tests" in plan
    assert "examples/*/tests" in plan


def test_release_publishes_on_tags_with_trusted_publishing() -> None:
    release = _load(WORKFLOWS / "release.yml")
    assert release["on"] == {"push": {"tags": ["v*"]}}
    assert release["permissions"] == {"contents": "read"}
    build, publish = release["jobs"]["build"], release["jobs"]["publish"]
    assert "uv build --all-packages" in _runs(build)
    assert "test_packaging_wheels.py" in _runs(build)
    assert publish["needs"] == "build"
    assert publish["permissions"] == {"id-token": "write"}
    assert publish["environment"]["name"] == "pypi"
    (step,) = _uses(publish, "pypa/gh-action-pypi-publish")
    assert "password" not in step.get("with", {})  # no token: trusted publishing
    assert "secrets." not in (WORKFLOWS / "release.yml").read_text(encoding="utf-8")


def test_dependabot_updates_python_dependencies_and_actions() -> None:
    config = _load(ROOT / ".github" / "dependabot.yml")
    assert config["version"] == 2
    ecosystems = {
        (update["package-ecosystem"], update["directory"]) for update in config["updates"]
    }
    assert ("uv", "/") in ecosystems
    assert ("github-actions", "/") in ecosystems


def test_every_workflow_pins_its_actions_to_a_version() -> None:
    for path in sorted(WORKFLOWS.glob("*.yml")):
        for match in re.finditer(r"uses:\s*(\S+)", path.read_text(encoding="utf-8")):
            assert "@" in match.group(1), (path.name, match.group(1))


def test_actionlint_accepts_every_workflow() -> None:
    actionlint = shutil.which("actionlint") or str(Path(sys.executable).parent / "actionlint")
    if not Path(actionlint).is_file():
        pytest.fail("actionlint is not installed: uv sync --all-packages installs it (dev group)")
    files = [str(path) for path in sorted(WORKFLOWS.glob("*.yml"))]
    result = subprocess.run(
        [actionlint, *files], capture_output=True, text=True, cwd=ROOT, timeout=300, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
