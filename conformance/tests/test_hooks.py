"""Finding conformance hooks: by scheme, by store class, and loud failures.

Hooks are named by a plugin's declaration (``StorePlugin.conformance``); the
fake plugins here are registered in code, in the shared registry.
"""

from __future__ import annotations

import importlib
import sys
import uuid
from pathlib import Path
from typing import Any, cast

import pytest

import kv
from kv_conformance.hooks import (
    ConformanceHookError,
    ConformanceHooks,
    find_hooks,
    hooks_for_scheme,
    options_reopen_problem,
    reopen_hook,
    reopen_with_options,
    schemes_of_store_type,
)

FIRST_PARTY = {
    "disk": "kv_disk",
    "file": "kv_filetree",
    "rocksdb": "kv_rocksdb",
    "duckdb": "kv_duckdb",
    "chdb": "kv_chdb",
    "keyring": "kv_keyring",
    "winreg": "kv_windows_registry",
    "redis": "kv_redis",
    "rediss": "kv_redis",
    "redis+unix": "kv_redis",
    "redis+cluster": "kv_redis",
    "valkey": "kv_valkey",
    "valkeys": "kv_valkey",
    "valkey+cluster": "kv_valkey",
    "memcached": "kv_memcached",
    "postgresql": "kv_postgresql",
    "postgres": "kv_postgresql",
    "sqlite": "kv_sqlite",
}

MODULE = """
class Hooks:
    async def corrupt_entry(self, store, collection, key):
        return False

    async def reopen_store(self, store):
        return None


class CorruptOnly:
    async def corrupt_entry(self, store, collection, key):
        return False


class SyncHooks:
    def corrupt_entry(self, store, collection, key):
        return False

    def reopen_store(self, store):
        return None


class SyncReopen:
    async def corrupt_entry(self, store, collection, key):
        return False

    def reopen_store(self, store):
        return None


HOOKS = Hooks()
CORRUPT_ONLY = CorruptOnly()
NOT_HOOKS = object()
SYNC_HOOKS = SyncHooks()
SYNC_REOPEN = SyncReopen()
"""


@pytest.mark.parametrize(("scheme", "package"), sorted(FIRST_PARTY.items()))
def test_every_first_party_plugin_registers_hooks(scheme: str, package: str) -> None:
    hooks = hooks_for_scheme(scheme)
    assert isinstance(hooks, ConformanceHooks)
    assert hooks is importlib.import_module(f"{package}.conformance").HOOKS


def test_no_hooks_for_core_stores() -> None:
    assert hooks_for_scheme("memory") is None
    found = find_hooks(kv.MemoryStore())
    assert found.hooks is None
    assert "the plugin of 'memory' declares none" in found.description


def test_store_class_is_matched_through_its_declaration() -> None:
    from kv_disk.store import DiskStore

    class MyDiskStore(DiskStore):
        """A subclass: found through its base class's declaration."""

    assert schemes_of_store_type(DiskStore) == ("disk",)
    assert schemes_of_store_type(MyDiskStore) == ("disk",)
    assert find_hooks(MyDiskStore("unused")).hooks is hooks_for_scheme("disk")


def test_a_class_no_plugin_builds_is_explained() -> None:
    class Unregistered(kv.MemoryStore):
        """A store that no plugin declares."""

    found = find_hooks(Unregistered())
    # MemoryStore's scheme is found through the base class; it has no hooks.
    assert found.hooks is None
    assert "'memory'" in found.description
    assert find_hooks(object()).description == (
        "no conformance hooks for this store: no kv.stores plugin builds object, so no"
        " conformance hooks apply (set kv_scheme on the test class, or override"
        " corrupt_entry() and reopen_store())"
    )


def test_an_explicit_scheme_wins() -> None:
    from kv_disk.store import DiskStore

    store = DiskStore("unused")
    assert find_hooks(store, scheme="FILE").hooks is hooks_for_scheme("file")
    # A scheme without hooks falls back to the store's class.
    assert find_hooks(store, scheme="memory").hooks is hooks_for_scheme("disk")


def _install(site: Path, distribution: str, hooks: dict[str, str]) -> None:
    """Register, for each scheme, a plugin whose declaration names ``hooks[scheme]``."""
    from kv.plugin import StorePlugin
    from kv.stores.memory import MEMORY_CAPABILITIES, MemoryOptions

    for scheme, target in hooks.items():
        plugin = StorePlugin(
            store="kv.stores.memory:MemoryStore",
            options=MemoryOptions,
            capabilities=MEMORY_CAPABILITIES,
            description=distribution,
            conformance=target,
        )
        kv.registry.register(scheme, plugin)


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder on ``sys.path`` holding a hooks module ``fake_hooks_<id>``."""
    module = f"fake_hooks_{uuid.uuid4().hex}"
    (tmp_path / f"{module}.py").write_text(MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    (tmp_path / "module_name").write_text(module)
    return tmp_path


def _scheme() -> str:
    return f"fake{uuid.uuid4().hex[:12]}"


def test_a_registered_object_or_class_is_found(site: Path) -> None:
    module = (site / "module_name").read_text()
    as_object, as_class = _scheme(), _scheme()
    _install(site, "fake-hooks", {as_object: f"{module}:HOOKS", as_class: f"{module}:Hooks"})
    found = hooks_for_scheme(as_object)
    assert found is importlib.import_module(module).HOOKS
    made = hooks_for_scheme(as_class)
    assert isinstance(made, ConformanceHooks)
    assert type(made).__name__ == "Hooks"


def test_a_registration_that_cannot_load_is_an_error_not_a_skip(site: Path) -> None:
    module = (site / "module_name").read_text()
    missing, wrong, sync, sync_reopen = _scheme(), _scheme(), _scheme(), _scheme()
    _install(
        site,
        "fake-hooks",
        {
            missing: "no_such_module_kv:HOOKS",
            wrong: f"{module}:NOT_HOOKS",
            sync: f"{module}:SYNC_HOOKS",
            sync_reopen: f"{module}:SYNC_REOPEN",
        },
    )
    with pytest.raises(ConformanceHookError, match=f"hooks of the '{missing}' plugin"):
        hooks_for_scheme(missing)
    with pytest.raises(ConformanceHookError, match="has no async corrupt_entry"):
        hooks_for_scheme(wrong)
    with pytest.raises(ConformanceHookError, match="has no async corrupt_entry"):
        hooks_for_scheme(sync)
    with pytest.raises(ConformanceHookError, match="reopen_store\\(\\) that is not async"):
        hooks_for_scheme(sync_reopen)


def test_reopen_store_is_optional(site: Path) -> None:
    module = (site / "module_name").read_text()
    corrupt_only, both = _scheme(), _scheme()
    _install(site, "fake-hooks", {corrupt_only: f"{module}:CORRUPT_ONLY", both: f"{module}:HOOKS"})
    hooks = hooks_for_scheme(corrupt_only)
    assert isinstance(hooks, ConformanceHooks)
    assert reopen_hook(hooks) is None
    assert reopen_hook(None) is None
    assert reopen_hook(hooks_for_scheme(both)) == importlib.import_module(module).HOOKS.reopen_store


def test_first_party_hooks_leave_reopening_to_the_default() -> None:
    # Every first-party store is built from its options; memcached keeps its
    # reopen_store for its own test (the suite never reopens it: not persistent).
    for scheme in sorted(set(FIRST_PARTY) - {"memcached"}):
        assert reopen_hook(hooks_for_scheme(scheme)) is None, scheme


@pytest.mark.anyio
async def test_default_reopen_builds_the_class_from_the_options(tmp_path: Path) -> None:
    from kv_disk.store import DiskStore

    class MyDiskStore(DiskStore):
        """A subclass: reopened as itself."""

    store = MyDiskStore(str(tmp_path / "cache"), layout="per-collection")
    await store.put("kept", {"v": 1}, collection="test")
    await store.close()
    assert options_reopen_problem(store) is None
    reopened = reopen_with_options(store)
    assert type(reopened) is MyDiskStore
    assert isinstance(reopened, MyDiskStore)
    try:
        assert reopened.options is store.options
        assert await reopened.get("kept", collection="test") == {"v": 1}
    finally:
        await reopened.close()


def test_default_reopen_needs_options_the_class_takes() -> None:
    from kv_disk.store import DiskStore

    assert reopen_with_options(object()) is None
    assert options_reopen_problem(object()) == (
        "object keeps no options object to reopen it with (store.options)"
    )

    class Mismatched(DiskStore):
        """A store whose options are not its class's."""

    store = Mismatched("unused")
    store.options = cast(Any, kv.MemoryStore().options)
    assert reopen_with_options(store) is None
    assert options_reopen_problem(store) == (
        "Mismatched.options is a MemoryOptions, not the DiskOptions its class takes"
    )


def test_a_class_that_refuses_its_options_is_an_error() -> None:
    class Located(kv.MemoryStore):
        """Built from a location, not from its options."""

        def __init__(self, location: str, extra: int) -> None:
            super().__init__()
            self.location = location

    with pytest.raises(ConformanceHookError, match="Cannot reopen a Located as Located"):
        reopen_with_options(Located("here", 1))
