"""What every distribution publishes: license, metadata, README and version.

These read the source tree only (no build): each distribution carries the
Apache-2.0 text and declares it (``license-files``), names the Python versions
it supports, links to the repository, bounds its dependencies on the
workspace's other distributions to the compatible range, writes its version
once, and has a README whose links still work on a package index. The built
files are checked in ``test_packaging_wheels.py``.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.metadata
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

import kv

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
REPOSITORY = "https://github.com/kv-dev/kv"
"""The one repository URL every distribution's links start with."""

APACHE_2_SHA256 = "cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30"
"""sha256 of the Apache License 2.0 text as apache.org publishes it (LICENSE-2.0.txt)."""

PYTHONS = ("3.10", "3.11", "3.12", "3.13")
URL_NAMES = ("Homepage", "Documentation", "Repository", "Issues", "Changelog")


def _folders() -> list[Path]:
    """Every distribution's folder (the workspace members)."""
    folders = [ROOT / "core", ROOT / "conformance", ROOT / "wrappers"]
    folders += sorted(ROOT.glob("plugins/*/pyproject.toml"))
    folders += sorted(ROOT.glob("examples/*/pyproject.toml"))
    return [folder if folder.is_dir() else folder.parent for folder in folders]


FOLDERS = _folders()
IDS = [folder.relative_to(ROOT).as_posix() for folder in FOLDERS]


def _pyproject(folder: Path) -> dict[str, Any]:
    with (folder / "pyproject.toml").open("rb") as file:
        return tomllib.load(file)


PROJECTS = {folder: _pyproject(folder)["project"] for folder in FOLDERS}
VERSIONS = {project["name"]: Version(project["version"]) for project in PROJECTS.values()}
"""Each distribution's version, by name."""


def test_every_workspace_member_is_checked() -> None:
    with (ROOT / "pyproject.toml").open("rb") as file:
        members = tomllib.load(file)["tool"]["uv"]["workspace"]["members"]
    declared = {
        path.parent for pattern in members for path in ROOT.glob(f"{pattern}/pyproject.toml")
    }
    assert declared == set(FOLDERS)
    assert len(FOLDERS) >= 29


def test_the_root_license_is_the_apache_2_text() -> None:
    text = (ROOT / "LICENSE").read_bytes()
    assert hashlib.sha256(text).hexdigest() == APACHE_2_SHA256
    assert b"Apache License" in text[:200]
    assert b"Version 2.0, January 2004" in text[:200]


@pytest.mark.parametrize("folder", FOLDERS, ids=IDS)
def test_each_distribution_carries_and_declares_the_license(folder: Path) -> None:
    assert (folder / "LICENSE").read_bytes() == (ROOT / "LICENSE").read_bytes(), folder
    project = PROJECTS[folder]
    assert project["license"] == "Apache-2.0"
    assert project["license-files"] == ["LICENSE"]
    # PEP 639: the SPDX expression replaces the License :: classifiers, which
    # build tools and PyPI refuse beside it.
    assert not [c for c in project["classifiers"] if c.startswith("License ::")]


@pytest.mark.parametrize("folder", FOLDERS, ids=IDS)
def test_each_distribution_has_the_classifiers(folder: Path) -> None:
    project = PROJECTS[folder]
    classifiers = set(project["classifiers"])
    assert project["requires-python"] == f">={PYTHONS[0]}"
    for python in PYTHONS:
        assert f"Programming Language :: Python :: {python}" in classifiers
    assert "Programming Language :: Python :: 3 :: Only" in classifiers
    assert "Typing :: Typed" in classifiers
    assert [c for c in classifiers if c.startswith("Operating System ::")]
    assert [c for c in classifiers if c.startswith("Development Status ::")]
    # every package is typed: Typing :: Typed is true
    assert list((folder / "src").glob("*/py.typed"))


@pytest.mark.parametrize("folder", FOLDERS, ids=IDS)
def test_each_distribution_links_to_the_repository(folder: Path) -> None:
    urls = PROJECTS[folder]["urls"]
    assert sorted(urls) == sorted(URL_NAMES)
    assert urls["Homepage"] == urls["Repository"] == REPOSITORY
    assert urls["Issues"] == f"{REPOSITORY}/issues"
    assert urls["Changelog"] == f"{REPOSITORY}/blob/main/CHANGELOG.md"
    _check_repository_link(urls["Documentation"])
    assert urls["Documentation"].startswith(f"{REPOSITORY}/blob/main/docs/")


def _requirements(pyproject: dict[str, Any]) -> list[str]:
    """Every requirement a pyproject declares: dependencies, extras and groups."""
    project = pyproject["project"]
    found = list(project.get("dependencies", []))
    for extra in project.get("optional-dependencies", {}).values():
        found += extra
    for group in pyproject.get("dependency-groups", {}).values():
        found += [item for item in group if isinstance(item, str)]
    return found


def _compatible(version: Version) -> str:
    """The compatible range of ``version``: same minor below 1.0, same major after."""
    if version.major == 0:
        return f"<0.{version.minor + 1},>=0.{version.minor}"
    return f"<{version.major + 1},>={version.major}.{version.minor}"


@pytest.mark.parametrize("folder", FOLDERS, ids=IDS)
def test_dependencies_on_the_workspace_are_bounded_to_the_compatible_range(folder: Path) -> None:
    """``kv-core>=0.1,<0.2``: a plugin overrides kv-core's hooks, which may change
    in the next minor release, so no distribution accepts it unbounded."""
    checked = 0
    for text in _requirements(_pyproject(folder)):
        requirement = Requirement(text)
        if requirement.name in VERSIONS:
            expected = _compatible(VERSIONS[requirement.name])
            assert str(requirement.specifier) == expected, (folder.name, text)
            assert VERSIONS[requirement.name] in requirement.specifier
            checked += 1
    if folder.name != "core":
        assert checked, f"{folder.name} depends on no kv distribution?"


def test_one_source_for_each_version() -> None:
    """A version is written in its pyproject only: no module assigns one, and
    no source file repeats a distribution's version string."""
    literal = re.compile(r"""__version__\s*[:=][^\n]*["']\d""")
    for folder in FOLDERS:
        version = PROJECTS[folder]["version"]
        for path in sorted((folder / "src").rglob("*")):
            if path.suffix not in {".py", ".json", ".toml", ".txt", ".cfg"}:
                continue
            text = path.read_text(encoding="utf-8")
            assert not literal.search(text), path
            assert f'"{version}"' not in text, path
            assert f"'{version}'" not in text, path
        pyproject = (folder / "pyproject.toml").read_text(encoding="utf-8")
        assert pyproject.count(f'"{version}"') == 1, folder


def test_kv_version_is_kv_core_metadata() -> None:
    assert kv.__version__ == importlib.metadata.version("kv-core")
    assert Version(kv.__version__) == VERSIONS["kv-core"]


def test_kv_version_in_a_source_checkout_is_read_from_the_pyproject() -> None:
    """Without kv-core installed (``-S``: no site-packages, so no metadata), the
    version comes from core/pyproject.toml, not from a copy in the code."""
    program = (
        "import importlib.util, json, sys\n"
        "spec = importlib.util.spec_from_file_location('v', sys.argv[1])\n"
        "module = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(module)\n"
        "from pathlib import Path\n"
        "print(json.dumps([module.VERSION,"
        " module.distribution_version('kv-core', Path(sys.argv[2]))]))\n"
    )
    result = subprocess.run(
        [
            sys.executable,
            "-S",
            "-c",
            program,
            str(ROOT / "core/src/kv/_version.py"),
            str(ROOT / "plugins/disk/pyproject.toml"),  # another distribution's file
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    version, elsewhere = json.loads(result.stdout)
    assert version == str(VERSIONS["kv-core"])
    assert elsewhere == "0+unknown"


# --- READMEs (the package pages) ---------------------------------------------

_LINK = re.compile(r"\]\(([^)\s]+)\)|<(https?://[^>]+)>|^\[[^\]]+\]:\s*(\S+)", re.MULTILINE)
_CODE = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


def _check_repository_link(url: str) -> None:
    """A link into the repository names a file or folder that exists."""
    assert url.startswith(REPOSITORY), url
    path = url[len(REPOSITORY) :].partition("#")[0]
    for prefix in ("/blob/main/", "/tree/main/"):
        if path.startswith(prefix):
            assert (ROOT / path[len(prefix) :]).exists(), url
            return
    assert path in {"", "/", "/issues"}, url


@pytest.mark.parametrize("folder", FOLDERS, ids=IDS)
def test_each_readme_is_a_package_page(folder: Path) -> None:
    """What it is, how to install it, an example and links, every link absolute
    (relative ones break on a package index) and pointing at what exists."""
    text = (folder / "README.md").read_text(encoding="utf-8")
    name = PROJECTS[folder]["name"]
    assert text.startswith(f"# {name}"), folder
    assert "## Install" in text
    if name not in {"kv-aws", "kv-resp", "kv-search"}:  # installed with their plugins
        assert re.search(rf"pip install [^\n]*\b{re.escape(name)}\b", text)
    assert re.search(r"pip install [^\n]*\./", text)  # from a clone, until a release
    assert "## Links" in text
    assert "../" not in text
    links = [next(group for group in match.groups() if group) for match in _LINK.finditer(text)]
    assert links, folder
    for link in links:
        assert link.startswith(("https://", "#")), (folder.name, link)
        if link.startswith(REPOSITORY):
            _check_repository_link(link)
    assert any(link.startswith(f"{REPOSITORY}/blob/main/docs/") for link in links)
    examples = _CODE.findall(text)
    assert examples, f"{folder.name}: no python example"
    for example in examples:
        compile(example, f"{folder.name}/README.md", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)


@pytest.mark.anyio
@pytest.mark.parametrize(
    "folder",
    [ROOT / "core", ROOT / "wrappers", ROOT / "plugins/disk"],
    ids=["core", "wrappers", "disk"],
)
async def test_the_embedded_readme_examples_run(folder: Path, tmp_path: Path) -> None:
    """The examples that need no server run as written (paths moved to a
    temporary directory)."""
    text = (folder / "README.md").read_text(encoding="utf-8")
    for example in _CODE.findall(text):
        if "connect(" not in example:
            continue  # a test module, not a program
        source = example.replace("/var/cache/app", str(tmp_path / "cache"))
        code = compile(source, "README", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
        namespace: dict[str, Any] = {}
        result = eval(code, namespace)
        if result is not None:
            await result
        store = namespace["store"]
        if folder.name != "core":  # core's example closes its store
            assert await store.get("alice", collection="users") == {"name": "Alice"}
            await store.close()
