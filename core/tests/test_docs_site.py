"""The documentation site builds with ``mkdocs build --strict``: no warning
(broken link or anchor, page missing from the navigation, API page whose
docstrings mkdocstrings cannot render) is allowed."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "mkdocs.yml"

# A build takes 10-30 s, minutes on a loaded machine: longer than the suite's default.
pytestmark = pytest.mark.timeout(600)
DOCS = ROOT / "docs"


def mkdocs_command() -> list[str]:
    """The mkdocs of this environment (beside its Python), else skip."""
    exe = Path(sys.executable).with_name("mkdocs")
    if not exe.exists():
        pytest.skip("mkdocs is not installed (the workspace's dev group has it)")
    return [str(exe)]


def build(tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Build the site strictly into ``tmp_path/site``."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run(
        [*mkdocs_command(), "build", "--strict", "-f", str(CONFIG), "-d", str(tmp_path / "site")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built once for this module; the build must pass without warnings."""
    out = tmp_path_factory.mktemp("docs")
    result = build(out)
    output = result.stdout + result.stderr
    warnings = [line for line in output.splitlines() if re.match(r"\s*(WARNING|ERROR)\b", line)]
    assert not warnings, output
    assert result.returncode == 0, output
    return out / "site"


def test_strict_build_passes(site: Path) -> None:
    assert (site / "index.html").is_file()


def test_every_page_is_built(site: Path) -> None:
    """Every markdown page of docs/ is in the site (none dropped or left out)."""
    for page in DOCS.rglob("*.md"):
        rel = page.relative_to(DOCS).with_suffix("")
        target = site / "index.html" if rel.name == "index" else site / rel / "index.html"
        assert target.is_file(), f"{page} was not built"


@pytest.mark.parametrize(
    ("page", "objects"),
    [
        ("api/kv", ["kv.connect.connect", "kv.AsyncKeyValue", "kv.StoreURL", "kv.Capabilities"]),
        ("api/store", ["kv.store.BaseStore"]),
        ("api/plugin", ["kv.plugin.StorePlugin"]),
        ("api/options", ["kv.options"]),
        ("api/errors", ["kv.errors.KeyValueError", "kv.errors.StoreConnectionError"]),
        ("api/wrappers", ["kv_wrappers.base.BaseWrapper", "kv_wrappers.retry.RetryWrapper"]),
        ("api/conformance", ["kv_conformance.suite.StoreConformance"]),
    ],
)
def test_api_pages_render_docstrings(site: Path, page: str, objects: list[str]) -> None:
    """The API pages hold the objects' rendered documentation, not just a title."""
    html = (site / page / "index.html").read_text(encoding="utf-8")
    for name in objects:
        assert f'id="{name}"' in html, f"{name} is not documented on {page}"
    # The docstrings' Sphinx roles (:class:`X`) are dropped by docs/_hooks/sphinx_roles.py.
    assert not re.search(r":(?:class|func|meth|mod|attr|data):<code>", html)


def test_a_broken_link_fails_the_build(tmp_path: Path) -> None:
    """The check is real: a page with a dead link makes the strict build fail."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text("# x\n\nSee [nowhere](nowhere.md).\n", encoding="utf-8")
    config = tmp_path / "mkdocs.yml"
    config.write_text("site_name: t\ndocs_dir: docs\n", encoding="utf-8")
    result = subprocess.run(
        [*mkdocs_command(), "build", "--strict", "-f", str(config), "-d", str(tmp_path / "site")],
        cwd=tmp_path,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "nowhere.md" in result.stdout + result.stderr
