"""docs/index.md's examples run as written: every store URL and every code block.

What is collected from the page (by reading its Markdown text, so a new
example is picked up without touching this file):

* every store URL (``scheme://...``, in code blocks and in inline code; web
  links ``http(s)://`` are not store URLs) is opened with :func:`kv.connect`
  and given a put/get round trip, against a real server where the store needs
  one (started here on a random 127.0.0.1 port through
  :class:`kv_conformance.servers.ServerProcess`, configured the way the URL
  asks: TLS for ``rediss://``, an ACL user for ``user:password@``);
* every fenced code block runs: ``python`` blocks are executed (under
  asyncio when they ``await`` or use ``async for``), ``json`` blocks are
  parsed (a stored-document example must decode with :mod:`kv.entry`). A
  block in any other language fails: this test must learn to run it.

A URL whose scheme this test cannot run fails the test with a message saying
so; a new kind of example must come with a way to run it here.

The only changes made to an example before running it (substitutions):

* the host and port of a URL that needs a server become the server started
  here (``host:6379`` -> ``127.0.0.1:<random port>``);
* absolute file paths become files under the test's temporary directory:
  the TLS file options (``ssl_ca_certs=/ca.pem`` and the like) name the
  certificate files generated for the test server, and the path of a
  file-based store URL (``disk:///var/kv``) is re-rooted under ``tmp_path``
  (``<tmp>/var/kv``);
* python blocks run in a namespace that already holds ``kv`` (imported) and
  ``store`` (a ``memory://`` store with a few entries in the ``users``
  collection), the names the page's prose has introduced by then. The same
  URL substitutions apply to URLs written inside python blocks; a block that
  makes its own ``store`` gets the round trip on that store.
"""

from __future__ import annotations

import ast
import asyncio
import importlib.util
import inspect
import json
import os
import re
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import kv
from kv.entry import decode_document, encode_document
from kv.url import StoreURL
from kv_conformance.servers import ServerProcess

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "index.md"

# --------------------------------------------------------------------- extraction


@dataclass(frozen=True)
class Block:
    """A fenced code block of the page."""

    language: str
    source: str
    line: int  # the line of its opening fence

    @property
    def id(self) -> str:
        return f"line-{self.line}-{self.language or 'plain'}"


_FENCE = re.compile(r"^```([\w+-]*)[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
# A scheme not preceded by a name character, then everything up to a space,
# quote, backquote or closing bracket.
_URL = re.compile(r"(?<![\w+.-])([a-z][a-z0-9+.-]*)://[^\s`'\"<>()\[\]]*")
_WEB = {"http", "https"}


def page_blocks(text: str) -> list[Block]:
    """Every fenced code block, in page order."""
    return [
        Block(match.group(1).lower(), match.group(2), text.count("\n", 0, match.start()) + 1)
        for match in _FENCE.finditer(text)
    ]


def page_urls(text: str) -> list[str]:
    """Every distinct store URL the page writes, in page order."""
    found: dict[str, None] = {}
    for match in _URL.finditer(text):
        if match.group(1) not in _WEB:
            found[match.group(0).rstrip(".,;:")] = None
    return list(found)


TEXT = PAGE.read_text(encoding="utf-8")
BLOCKS = page_blocks(TEXT)
URLS = page_urls(TEXT)


def test_the_page_has_examples() -> None:
    """Guard against the extraction silently finding nothing."""
    assert any(block.language == "python" for block in BLOCKS)
    assert URLS
    # Every URL given to kv.connect in a python block is among the URLs run.
    for block in BLOCKS:
        for written in re.findall(r"kv\.connect\(\s*[\"']([^\"']+)[\"']", block.source):
            assert written in URLS, f"{written!r} (line {block.line}) was not extracted"


# --------------------------------------------------------------------- servers


def _load_resp_servers() -> ModuleType:
    """kv-resp's test server helpers (TLS files, server binaries), by path."""
    name = "kv_resp_tests_resp_servers"  # the name the plugins' conftests use
    if name in sys.modules:
        return sys.modules[name]
    path = ROOT / "plugins" / "resp" / "tests" / "resp_servers.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


RESP_SCHEMES = {"redis": False, "rediss": True, "valkey": False}  # scheme -> TLS
MEMCACHED_SCHEMES = {"memcached"}
FILE_SCHEMES = {"disk", "file", "rocksdb", "duckdb", "chdb", "sqlite"}
LOCAL_SCHEMES = {"memory", "null"}
KEEPS_NOTHING = {"null"}
# TLS file options and which generated file each names.
TLS_FILE_OPTIONS = {
    "ssl_ca_certs": "ca",
    "ssl_certfile": "client_cert",
    "ssl_keyfile": "client_key",
}


class Servers:
    """Servers started on demand for the URLs, each once per module."""

    def __init__(self, stack: ExitStack, directory: Path) -> None:
        self.stack = stack
        self.directory = directory
        self.running: dict[tuple[Any, ...], ServerProcess] = {}
        self._tls: Any = None

    @property
    def tls(self) -> Any:
        """A CA, a server and a client certificate (for 127.0.0.1)."""
        if self._tls is None:
            self._tls = _load_resp_servers().make_tls_files(self.directory / "tls")
        return self._tls

    def resp(self, scheme: str, username: str | None, password: str | None) -> ServerProcess:
        """redis-server (valkey-server for valkey://) as the URL needs it."""
        tls = RESP_SCHEMES[scheme]
        key = ("resp", scheme, username, password)
        if key in self.running:
            return self.running[key]
        helpers = _load_resp_servers()
        binary = helpers.valkey_binary() if scheme == "valkey" else helpers.redis_binary()
        files = self.tls if tls else None

        def command(port: int, directory: Path) -> list[str]:
            argv = [binary, "--bind", "127.0.0.1", "--dir", str(directory), *helpers.QUIET]
            if files is None:
                argv += ["--port", str(port)]
            else:
                argv += ["--port", "0", "--tls-port", str(port)]
                argv += ["--tls-cert-file", str(files.server_cert)]
                argv += ["--tls-key-file", str(files.server_key)]
                argv += ["--tls-ca-cert-file", str(files.ca), "--tls-auth-clients", "optional"]
            if username is not None:
                argv += ["--user", username, "on", f">{password or ''}", "~*", "&*", "+@all"]
            elif password is not None:
                argv += ["--requirepass", password]
            return argv

        server = ServerProcess(f"docs-{scheme}", command)
        self.stack.enter_context(server)
        self.running[key] = server
        return server

    def memcached(self) -> ServerProcess:
        key = ("memcached",)
        if key in self.running:
            return self.running[key]

        def command(port: int, directory: Path) -> list[str]:
            argv = ["memcached", "-l", "127.0.0.1", "-p", str(port), "-U", "0", "-m", "16"]
            return argv + (["-u", "root"] if os.geteuid() == 0 else [])

        server = ServerProcess("docs-memcached", command, stop_signal=signal.SIGKILL)
        self.stack.enter_context(server)
        self.running[key] = server
        return server


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    with ExitStack() as stack:
        yield Servers(stack, tmp_path_factory.mktemp("docs-servers"))


# --------------------------------------------------------------------- substitution


def _split(url: str) -> tuple[str, str, str, str, str]:
    """``(scheme, userinfo, authority, path, query)`` of ``url`` as written."""
    scheme, _, rest = url.partition("://")
    rest, _, query = rest.partition("?")
    slash = rest.find("/")
    authority, path = (rest, "") if slash < 0 else (rest[:slash], rest[slash:])
    userinfo, at, hosts = authority.rpartition("@")
    return scheme, userinfo + at, hosts, path, query


def _tls_query(query: str, servers: Servers, url: str) -> str:
    """The query with the TLS file options pointed at the generated files."""
    items = []
    for item in query.split("&") if query else []:
        name, equals, value = item.partition("=")
        if name in TLS_FILE_OPTIONS:
            value = str(getattr(servers.tls, TLS_FILE_OPTIONS[name]))
        elif value.startswith("/"):
            pytest.fail(f"{url}: no substitution known for the path in option {name!r}")
        items.append(f"{name}{equals}{value}")
    return "&".join(items)


def runnable(url: str, servers: Servers, tmp_path: Path) -> str:
    """``url`` with the substitutions described in the module docstring.

    Fails the test for a URL this test does not know how to run.
    """
    parsed = StoreURL.parse(url)
    scheme, userinfo, _hosts, path, query = _split(url)
    if parsed.scheme in LOCAL_SCHEMES:
        return url
    if parsed.scheme in FILE_SCHEMES:
        if parsed.authority or not path.startswith("/"):
            return url  # no file path (e.g. duckdb://:memory:): run as written
        local = tmp_path / path.lstrip("/")
        local.parent.mkdir(parents=True, exist_ok=True)
        return f"{scheme}://{local}" + (f"?{query}" if query else "")
    if parsed.scheme in RESP_SCHEMES:
        server = servers.resp(parsed.scheme, parsed.username, parsed.password)
        query = _tls_query(query, servers, url)
        address = f"127.0.0.1:{server.port}"
        return f"{scheme}://{userinfo}{address}{path}" + (f"?{query}" if query else "")
    if parsed.scheme in MEMCACHED_SCHEMES:
        server = servers.memcached()
        return f"{scheme}://127.0.0.1:{server.port}" + (f"?{query}" if query else "")
    pytest.fail(
        f"docs/index.md has the URL example {url!r}, whose scheme {parsed.scheme!r} this"
        " test cannot run yet: teach runnable() in conformance/tests/"
        "test_docs_index_examples.py how (a server or a temporary path)"
    )


async def round_trip(store: Any, scheme: str) -> None:
    """A put then a get of one entry through ``store``, then close it."""
    value = {"example": "docs/index.md", "n": 1}
    try:
        await store.put("docs-example", value, collection="docs-examples")
        got = await store.get("docs-example", collection="docs-examples")
        expected = None if scheme in KEEPS_NOTHING else value
        assert got == expected, f"{scheme}: read back {got!r}, wrote {value!r}"
        await store.delete("docs-example", collection="docs-examples")
    finally:
        await store.close()


# --------------------------------------------------------------------- the tests


@pytest.mark.parametrize("url", URLS)
def test_url_example(url: str, servers: Servers, tmp_path: Path) -> None:
    """Each URL on the page opens with kv.connect and stores and reads an entry."""
    target = runnable(url, servers, tmp_path)
    scheme = StoreURL.parse(url).scheme

    async def main() -> None:
        await round_trip(kv.connect(target), scheme)

    asyncio.run(main())


async def _prelude_store() -> Any:
    store = kv.connect("memory://")
    await store.put_many(["alice", "bob"], [{"name": "Alice"}, {"name": "Bob"}], collection="users")
    return store


def _check_protocol_listing(namespace: dict[str, Any], block: Block) -> None:
    """A class the block defines under a name kv exports lists kv's real methods."""
    for name, documented in namespace.items():
        if not inspect.isclass(documented) or documented.__module__ != "docs_example":
            continue
        real = getattr(kv, name, None)
        if real is None:
            continue

        def methods(cls: type) -> dict[str, Callable[..., Any]]:
            return {
                method: function
                for method, function in vars(cls).items()
                if inspect.iscoroutinefunction(function)
            }

        ours, theirs = methods(documented), methods(real)
        assert sorted(ours) == sorted(theirs), f"line {block.line}: kv.{name} methods differ"
        for method, function in ours.items():

            def shape(function: Callable[..., Any]) -> list[tuple[str, Any, Any]]:
                parameters = inspect.signature(function).parameters.values()
                return [(p.name, p.kind, p.default) for p in parameters]

            assert shape(function) == shape(theirs[method]), (
                f"line {block.line}: kv.{name}.{method} has another signature"
            )


def run_python(block: Block, servers: Servers, tmp_path: Path) -> None:
    """Execute a python block as described in the module docstring."""

    def substitute(match: re.Match[str]) -> str:
        if match.group(1) in _WEB:
            return match.group(0)
        url = match.group(0).rstrip(".,;:")
        return runnable(url, servers, tmp_path) + match.group(0)[len(url) :]

    source = _URL.sub(substitute, block.source)
    filename = f"docs/index.md, block at line {block.line}"
    try:
        code = compile(source, filename, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    except SyntaxError as error:
        pytest.fail(f"{filename} is not valid Python: {error}")

    async def main() -> None:
        prelude = await _prelude_store()
        namespace: dict[str, Any] = {"__name__": "docs_example", "kv": kv, "store": prelude}
        try:
            outcome = eval(code, namespace)  # exec mode: None, or a coroutine with await
            if inspect.iscoroutine(outcome):
                await outcome
        finally:
            await prelude.close()
        made = namespace.get("store")
        if made is not prelude and isinstance(made, kv.Store):
            schemes = [StoreURL.parse(url).scheme for url in page_urls(block.source)]
            await round_trip(made, schemes[0] if schemes else "")
        _check_protocol_listing(namespace, block)

    asyncio.run(main())


def run_json(block: Block) -> None:
    """Parse a json block; a stored-document example must decode and re-encode."""
    try:
        document = json.loads(block.source)
    except ValueError as error:
        pytest.fail(f"docs/index.md, json block at line {block.line} does not parse: {error}")
    if isinstance(document, dict) and {"key", "collection", "value"} <= document.keys():
        entry = decode_document(block.source)
        assert entry.value() == document["value"]
        again = encode_document(entry, collection=document["collection"], key=document["key"])
        assert json.loads(again) == document


@pytest.mark.parametrize("block", BLOCKS, ids=[block.id for block in BLOCKS])
def test_code_block(block: Block, servers: Servers, tmp_path: Path) -> None:
    """Each fenced block of the page runs (python) or parses (json)."""
    if block.language == "python":
        run_python(block, servers, tmp_path)
    elif block.language == "json":
        run_json(block)
    else:
        pytest.fail(
            f"docs/index.md has a ```{block.language or '(no language)'} block at line"
            f" {block.line} that this test does not know how to run"
        )
