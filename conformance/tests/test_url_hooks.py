"""``pytest --kv-url`` runs the damaged-data and persistence tests through plugin hooks.

The two tests need the backend itself (to damage an entry, to open a second
store on the same location); plugins supply that through the hooks their
declaration names (:mod:`kv_conformance.hooks`). Each URL run below is a separate
pytest process, as ``kv check`` starts one.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from kv_conformance.servers import ServerProcess

HOOK_TESTS = (
    "test_corrupt_entry_raises_deserialization_error",
    "test_persistent_store_keeps_data_across_objects",
)


def run_url_suite(
    tmp_path: Path, url: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The suite's two hook tests against ``url``, with every outcome reported (``-rA``)."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-q",
            "-rA",
            "--kv-url",
            url,
            "-k",
            " or ".join(HOOK_TESTS),
            *args,
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
        timeout=300,
        env=env,
    )


def assert_hook_tests_pass(result: subprocess.CompletedProcess[str]) -> None:
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    for name in HOOK_TESTS:
        assert any(line.startswith("PASSED") and name in line for line in output.splitlines()), (
            f"{name} did not pass:\n{output}"
        )
    assert "SKIPPED" not in output, output
    assert "4 passed" in result.stdout, output  # two tests, two default_collection passes


def test_disk_url_runs_the_corrupt_and_persistence_tests(tmp_path: Path) -> None:
    assert_hook_tests_pass(run_url_suite(tmp_path, f"disk://{tmp_path}/cache"))


def test_disk_url_with_per_collection_layout(tmp_path: Path) -> None:
    # The hooks honour the store's options: the entry is in the collection's own folder.
    result = run_url_suite(tmp_path, f"disk://{tmp_path}/cache?layout=per-collection")
    assert_hook_tests_pass(result)


def test_file_url_runs_the_corrupt_and_persistence_tests(tmp_path: Path) -> None:
    assert_hook_tests_pass(run_url_suite(tmp_path, f"file://{tmp_path}/tree"))


def test_kv_check_runs_them_too(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "kv.cli",
            "check",
            f"disk://{tmp_path}/cache",
            "-k",
            " or ".join(HOOK_TESTS),
            "-rA",
            "-p",
            "no:cacheprovider",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
        timeout=300,
    )
    assert_hook_tests_pass(result)


def test_file_url_under_trio(tmp_path: Path) -> None:
    result = run_url_suite(tmp_path, f"file://{tmp_path}/tree?fsync=false", "--kv-backend", "trio")
    assert_hook_tests_pass(result)


def redis_command(port: int, directory: Path) -> list[str]:
    return [
        "redis-server",
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(directory),
    ]


@pytest.fixture(scope="module")
def redis_server() -> Iterator[ServerProcess]:
    server = ServerProcess("redis", redis_command)
    with server:
        yield server


@pytest.mark.kv_server
def test_redis_url_runs_the_corrupt_and_persistence_tests(
    tmp_path: Path, redis_server: ServerProcess
) -> None:
    url = f"redis://127.0.0.1:{redis_server.port}/3?namespace=url-hooks"
    assert_hook_tests_pass(run_url_suite(tmp_path, url))


def test_url_without_hooks_skips_with_the_reason(tmp_path: Path) -> None:
    # memory:// declares no conformance hooks (and is not persistent).
    result = run_url_suite(tmp_path, "memory://")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "4 skipped" in result.stdout, output  # two tests, two default_collection passes
    assert "no conformance hooks for this store: the plugin of 'memory' declares none" in output
    assert "the store does not declare 'persistent'" in output


PERSISTENT_PLUGIN = '''
"""Persistent stores whose plugins declare no conformance hooks.

KeptStore is built on the kit and keeps its entries across store objects, so
the suite reopens it as KeptStore(store.options). UnkeptStore keeps no
options object (as a store not built on the kit), so it cannot be reopened.
"""

from dataclasses import replace

from kv.discovery import registry
from kv.plugin import StorePlugin
from kv.stores.memory import MemoryOptions, MemoryStore

SHELF = {}  # collection -> entries, kept across KeptStore objects


class KeptStore(MemoryStore):
    capabilities = replace(MemoryStore.capabilities, persistent=True)

    def __init__(self, options=None, /, **keywords):
        super().__init__(options, **keywords)
        self._collections = SHELF


class UnkeptStore(MemoryStore):
    capabilities = KeptStore.capabilities

    def __init__(self, options=None, /, **keywords):
        super().__init__(options, **keywords)
        del self.options


for scheme, store in (("kept", "KeptStore"), ("unkept", "UnkeptStore")):
    registry.register(
        scheme,
        StorePlugin(
            store=f"kv_kept_plugin:{store}",
            options=MemoryOptions,
            capabilities=KeptStore.capabilities,
        ),
    )
'''


def run_without_hooks(tmp_path: Path, url: str) -> subprocess.CompletedProcess[str]:
    """The hook tests against ``url``, a store of :data:`PERSISTENT_PLUGIN`."""
    plugins = tmp_path / "site"
    plugins.mkdir()
    (plugins / "kv_kept_plugin.py").write_text(textwrap.dedent(PERSISTENT_PLUGIN))
    env = {**os.environ, "PYTHONPATH": str(plugins)}
    return run_url_suite(tmp_path, url, "-p", "kv_kept_plugin", env=env)


def test_persistent_store_without_hooks_is_reopened_with_its_options(tmp_path: Path) -> None:
    result = run_without_hooks(tmp_path, "kept://")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "2 passed, 2 skipped" in result.stdout, output  # two default_collection passes
    assert any(
        line.startswith("PASSED") and "test_persistent_store_keeps_data_across_objects" in line
        for line in output.splitlines()
    ), output
    reason = "no conformance hooks for this store: the plugin of 'kept' declares none"
    assert output.count(reason) == 1, output  # the corruption test's, both passes in one line


def test_persistent_store_without_hooks_or_options_skips_both_with_the_reason(
    tmp_path: Path,
) -> None:
    result = run_without_hooks(tmp_path, "unkept://")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "4 skipped" in result.stdout, output  # two tests, two default_collection passes
    reason = "no conformance hooks for this store: the plugin of 'unkept' declares none"
    assert output.count(reason) == 2, output
    assert "; and UnkeptStore keeps no options object to reopen it with" in output, output


THIRD_PARTY = '''
"""A third-party plugin: store, declaration and conformance hooks in one module.

Its store_name differs from its scheme, so the suite finds its hooks by the
--kv-url scheme.
"""

from kv.capabilities import Capabilities
from kv.entry import StoredEntry
from kv.options import CommonOptions
from kv.plugin import StorePlugin
from kv.store import BaseStore

CAPABILITIES = Capabilities(persistent=True)
SHELF = {}  # (location, collection, key) -> (value JSON, expires_at): kept across store objects


class ShelfStore(BaseStore):
    capabilities = CAPABILITIES
    store_name = "shelf-store"

    def __init__(self, location):
        super().__init__()
        self.location = location

    async def _get_entry(self, collection, key):
        found = SHELF.get((self.location, collection, key))
        return None if found is None else StoredEntry(found[0], None, found[1])

    async def _put_entry(self, collection, key, entry, ttl):
        SHELF[(self.location, collection, key)] = (entry.json(), entry.expires_at)

    async def _delete_entry(self, collection, key):
        return SHELF.pop((self.location, collection, key), None) is not None

    @classmethod
    def from_url(cls, url, /, **options):
        return cls(url.location)


PLUGIN = StorePlugin(
    store="kv_shelf:ShelfStore",
    options=CommonOptions,
    capabilities=CAPABILITIES,
    conformance="kv_shelf:HOOKS",
)


class Hooks:
    async def corrupt_entry(self, store, collection, key):
        found = SHELF.get((store.location, collection, key))
        if found is None:
            return False
        SHELF[(store.location, collection, key)] = (\'{"not": "closed\', found[1])
        return True

    async def reopen_store(self, store):
        return ShelfStore(store.location)


HOOKS = Hooks()
'''


def test_third_party_plugin_hooks_are_found_by_the_url_scheme(tmp_path: Path) -> None:
    site = tmp_path / "site"
    info = site / "kv_shelf-1.0.dist-info"
    info.mkdir(parents=True)
    (site / "kv_shelf.py").write_text(THIRD_PARTY)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: kv-shelf\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[kv.stores]\nshelf = kv_shelf:PLUGIN\n")
    env = {**os.environ, "PYTHONPATH": str(site)}
    assert_hook_tests_pass(run_url_suite(tmp_path, "shelf://scratch", env=env))
