"""Every ```python block of the documentation runs.

Each block of ``docs/**/*.md`` is compiled with top-level ``await`` allowed
and run in a fresh namespace holding ``kv``, ``store`` (a ``memory://``
store, for the blocks that continue an earlier one) and ``tmp_path`` (a
temporary directory, also the working directory and ``HOME``), inside an
event loop when it awaits. Keyring examples get a file keyring in that
directory, never the user's.
A block that cannot run here (it needs a server, another platform, or is a
fragment of a larger program) is marked in the markdown by a comment on the
lines just before it::

    <!-- not-run: needs a Redis server -->

and must still compile (an excerpt of a class body compiles once nested in
a block). A marker needs a reason, and marks one block only. An unmarked
block that imports a module, or opens a URL scheme, that is not installed is
skipped with that reason (in the workspace everything is installed, so every
unmarked block runs).
"""

from __future__ import annotations

import ast
import asyncio
import importlib.util
import inspect
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from types import CodeType

import pytest

import kv

DOCS = Path(__file__).resolve().parents[2] / "docs"
FENCE = re.compile(r"^(?P<indent> *)```(?P<lang>[\w+-]*)\s*$")
MARKER = re.compile(r"^\s*<!--\s*not-run:(?P<reason>.*?)-->\s*$")
FLAGS = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT


@dataclass(frozen=True)
class Example:
    """One ```python block: where it is, its code, and why it does not run."""

    path: Path
    line: int
    code: str
    not_run: str | None

    @property
    def id(self) -> str:
        page = self.path.relative_to(DOCS) if self.path.is_relative_to(DOCS) else self.path
        return f"{page.as_posix()}:{self.line}"


def collect(path: Path) -> list[Example]:
    """The python blocks of one markdown file, with their not-run markers."""
    examples: list[Example] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if not opening or not opening["lang"]:
            if opening:  # an unlabelled fence: skip to its end
                i += 1
                while i < len(lines) and not FENCE.match(lines[i]):
                    i += 1
            i += 1
            continue
        start, indent = i, len(opening["indent"])
        i += 1
        body: list[str] = []
        while i < len(lines) and not FENCE.match(lines[i]):
            body.append(lines[i][indent:])
            i += 1
        i += 1
        if opening["lang"] not in ("python", "py"):
            continue
        j = start - 1
        while j >= 0 and not lines[j].strip():
            j -= 1
        marker = MARKER.match(lines[j]) if j >= 0 else None
        reason = marker["reason"].strip() if marker else None
        if marker and not reason:
            raise AssertionError(f"{path}:{j + 1}: a not-run marker needs a reason")
        examples.append(Example(path, start + 1, "\n".join(body) + "\n", reason))
    return examples


EXAMPLES = [example for page in sorted(DOCS.rglob("*.md")) for example in collect(page)]
RUNNABLE = [e for e in EXAMPLES if e.not_run is None]


def compiled(example: Example) -> CodeType:
    """The example's code object (top-level ``await`` allowed)."""
    code: CodeType = compile(example.code, example.id, "exec", flags=FLAGS, dont_inherit=True)
    return code


def check_compiles(example: Example) -> None:
    """Compile the example; a marked excerpt of a body may be nested in a block."""
    try:
        compiled(example)
    except IndentationError:
        if example.not_run is None:
            raise
        # An excerpt of a class or function body: it compiles nested in a block.
        nested = Example(example.path, example.line, "if True:\n" + example.code, None)
        compiled(nested)


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.id for e in EXAMPLES])
def test_example_compiles(example: Example) -> None:
    check_compiles(example)


def isolate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> bool:
    """Keep an example's files, home and keyring inside ``tmp_path``; ``False``
    when no file keyring is available to stand in for the user's."""
    monkeypatch.chdir(tmp_path)
    for name in ("HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(name, str(tmp_path / "home"))
    try:
        import keyring.core
        from keyrings.alt.file import PlaintextKeyring  # type: ignore[import-untyped]
    except ImportError:
        return False
    backend = PlaintextKeyring()
    backend.file_path = str(tmp_path / "keyring.cfg")
    keyring.core.get_keyring()  # the user's backend, chosen now so that it is restored
    monkeypatch.setattr(keyring.core, "_keyring_backend", backend)
    return True


def run(example: Example, tmp_path: Path) -> None:
    """Run the example in a fresh namespace, in an event loop if it awaits."""
    code = compiled(example)
    namespace: dict[str, object] = {
        "__name__": "__docs__",
        "kv": kv,
        "store": kv.connect("memory://"),
        "tmp_path": tmp_path,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # py-key-value's instability warning
        result = eval(code, namespace)
        if inspect.iscoroutine(result):
            asyncio.run(asyncio.wait_for(result, timeout=60))


SCHEME = re.compile(r"""kv\.connect\(\s*f?["']([a-z][a-z0-9+.-]*)://""")


def missing(example: Example) -> str | None:
    """What the example needs that this environment lacks: a module it imports
    or the plugin of a URL it opens (a distribution tested on its own has only
    its own dependencies). ``None`` when everything is installed."""
    tree = ast.parse(example.code)
    modules = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    modules |= {
        node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
    }
    for module in sorted(modules):
        if importlib.util.find_spec(module.split(".")[0]) is None:
            return f"module {module.split('.')[0]}"
    schemes = set(kv.registry.schemes())
    for scheme in SCHEME.findall(example.code):
        if scheme not in schemes:
            return f"the plugin of {scheme}://"
    return None


@pytest.mark.parametrize("example", RUNNABLE, ids=[e.id for e in RUNNABLE])
def test_example_runs(example: Example, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lacking = missing(example)
    if lacking is not None:
        pytest.skip(f"needs {lacking}, not installed here")
    if not isolate(tmp_path, monkeypatch) and "keyring://" in example.code:
        pytest.skip("needs keyrings.alt, so as never to touch the user's keyring")
    run(example, tmp_path)


def test_examples_are_found() -> None:
    """The collection is real: the pages' blocks are found, and most run."""
    pages = {e.path.relative_to(DOCS).as_posix() for e in EXAMPLES}
    assert {"index.md", "getting-started.md", "migration.md", "plugins/disk.md"} <= pages
    assert len(RUNNABLE) > len(EXAMPLES) / 2


def test_markers_are_parsed(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "```python\nx = 1\n```\n\n<!-- not-run: needs a Redis server -->\n\n"
        "```python\nawait store.get('k')\n```\n\n```bash\necho\n```\n",
        encoding="utf-8",
    )
    first, second = collect(page)
    assert (first.line, first.code, first.not_run) == (1, "x = 1\n", None)
    assert (second.line, second.not_run) == (7, "needs a Redis server")


def test_a_broken_example_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The checks are real: a failing block, async or not, fails its test."""
    page = tmp_path / "page.md"
    page.write_text(
        "```python\nawait kv.connect('memory://').put('', {})\n```\n\n"
        "```python\nassert (tmp_path / 'x.txt').read_text() == 'x'\n```\n\n"
        "```python\n(tmp_path / 'x.txt').write_text('x')\n```\n",
        encoding="utf-8",
    )
    refused, missing, writes = collect(page)
    isolate(tmp_path, monkeypatch)
    with pytest.raises(kv.InvalidKeyError):
        run(refused, tmp_path)
    with pytest.raises(FileNotFoundError):
        run(missing, tmp_path)
    run(writes, tmp_path)
    assert (tmp_path / "x.txt").read_text() == "x"


def test_a_marked_block_must_compile(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "<!-- not-run: a body excerpt -->\n```python\n    def f(self):\n        return 1\n```\n\n"
        "<!-- not-run: broken -->\n```python\nstore.put(key, *, ttl=None)\n```\n",
        encoding="utf-8",
    )
    excerpt, broken = collect(page)
    check_compiles(excerpt)
    with pytest.raises(SyntaxError):
        check_compiles(broken)


def test_missing_requirements_are_named() -> None:
    example = Example(DOCS / "x.md", 1, "import no_such_module_kv\n", None)
    assert missing(example) == "module no_such_module_kv"
    example = Example(DOCS / "x.md", 1, 'store = kv.connect("nosuchscheme://x")\n', None)
    assert missing(example) == "the plugin of nosuchscheme://"
    example = Example(
        DOCS / "x.md", 1, 'import kv_wrappers\nkv.connect(f"disk://{tmp_path}")\n', None
    )
    assert missing(example) is None
