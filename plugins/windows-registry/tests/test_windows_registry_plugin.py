"""What is special about ``winreg://``: URL, names, off-Windows errors, layout.

Tests marked ``needs_winreg`` run only where :mod:`winreg` exists (the
Windows workflow); the others run everywhere, this machine included.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import subprocess
import sys
import textwrap
from collections.abc import Callable
from typing import Any

import anyio
import pytest

import kv
from kv import registry
from kv_conformance.cases import ODD_NAMES
from kv_windows_registry.naming import (
    MAX_COLLECTION_NAME,
    MAX_VALUE_NAME,
    collection_name,
    escape_name,
    unescape_name,
    value_name,
)
from kv_windows_registry.plugin import WINREG_CAPABILITIES
from kv_windows_registry.store import DEFAULT_PATH, WindowsRegistryStore, parse_location

HAS_WINREG = importlib.util.find_spec("winreg") is not None
needs_winreg = pytest.mark.skipif(
    not HAS_WINREG,
    reason="needs the Windows registry (winreg exists only on Windows); the"
    " windows-registry GitHub Actions workflow runs these tests on Windows",
)
off_windows = pytest.mark.skipif(HAS_WINREG, reason="checks the behaviour without winreg")
pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


# --- everywhere: discovery, URL, names ----------------------------------------------


def test_scheme_is_registered_everywhere() -> None:
    plugin = registry.resolve("winreg")
    assert plugin.capabilities == WINREG_CAPABILITIES
    assert registry.origin("winreg") == "kv-windows-registry"


def test_plugin_and_store_modules_import_everywhere() -> None:
    code = textwrap.dedent(
        """
        import sys
        import kv_windows_registry
        import kv_windows_registry.plugin
        from kv import registry
        registry.resolve("winreg")
        registry.plugins()
        loaded = "kv_windows_registry.store" in sys.modules
        import kv_windows_registry.store
        print(loaded)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "False"


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("", ("HKEY_CURRENT_USER", DEFAULT_PATH)),
        ("HKCU", ("HKEY_CURRENT_USER", DEFAULT_PATH)),
        ("hkcu/Software/kv", ("HKEY_CURRENT_USER", "Software\\kv")),
        ("HKEY_LOCAL_MACHINE/Software/My App/kv", ("HKEY_LOCAL_MACHINE", "Software\\My App\\kv")),
        ("HKLM\\Software\\kv\\", ("HKEY_LOCAL_MACHINE", "Software\\kv")),
    ],
)
def test_locations(location: str, expected: tuple[str, str]) -> None:
    assert parse_location(location) == expected


@pytest.mark.parametrize(
    "url",
    [
        "winreg://HKXX/Software/kv",
        "winreg://HKCU/Software//kv",
        "winreg://HKCU/Software/" + "k" * 300,
        "winreg://HKCU/Software/a%00b",
        "winreg://user:secret@HKCU/Software/kv",
    ],
)
def test_bad_urls_are_invalid_url_errors_on_every_platform(url: str) -> None:
    with pytest.raises(kv.InvalidURLError) as caught:
        kv.connect(url)
    assert "secret" not in str(caught.value)


def test_bad_options_are_invalid_option_errors_on_every_platform() -> None:
    with pytest.raises(kv.InvalidOptionError):
        kv.connect("winreg://HKCU/Software/kv?unknown=1")
    with pytest.raises(kv.InvalidOptionError):
        kv.connect("winreg://HKCU/Software/kv?legacy_names=maybe")


@off_windows
def test_building_the_store_off_windows_is_a_clear_setup_error() -> None:
    with pytest.raises(kv.StoreSetupError) as caught:
        kv.connect("winreg://HKCU/Software/kv")
    assert "only available on Windows" in str(caught.value)
    with pytest.raises(kv.StoreSetupError):
        WindowsRegistryStore("Software\\kv")


NAMES = list(dict.fromkeys([*ODD_NAMES.values(), "a", "A", "%41", "~" + "0" * 63, "É", "é"]))


@pytest.mark.parametrize("name", NAMES)
def test_names_round_trip(name: str) -> None:
    escaped = escape_name(name)
    assert unescape_name(escaped) == name
    assert "\\" not in escaped
    assert escaped.isascii()
    assert escaped.isprintable()
    assert escaped.strip(".") != ""


def test_names_are_unique_ignoring_case_and_within_limits() -> None:
    collections = {collection_name(name).casefold() for name in NAMES}
    values = {value_name(name).casefold() for name in NAMES}
    assert len(collections) == len(values) == len(NAMES)
    assert max(map(len, collections)) <= MAX_COLLECTION_NAME
    assert max(map(len, values)) <= MAX_VALUE_NAME
    assert collection_name("x" * 200).startswith("~")
    assert collection_name("settings") == "settings"  # py-key-value's name
    assert value_name("Token") == "%54oken"
    assert escape_name("..") == "%2E%2E"
    assert len(set(itertools.product(collections, values))) == len(NAMES) ** 2


# --- on Windows: the registry itself -------------------------------------------------


def _store(path: str, query: str = "") -> WindowsRegistryStore:
    store = kv.connect("winreg://HKCU/" + path.replace("\\", "/") + query)
    assert isinstance(store, WindowsRegistryStore)
    return store


@needs_winreg
async def test_layout_is_py_key_values(registry_path: str, winreg_api: Any) -> None:
    store = _store(registry_path)
    await store.put("alice", {"name": "Alice"}, collection="users", ttl=60)
    with winreg_api.OpenKey(winreg_api.HKEY_CURRENT_USER, f"{registry_path}\\users") as key:
        data, kind = winreg_api.QueryValueEx(key, "alice")
        marker, _ = winreg_api.QueryValueEx(key, "")
    assert kind == winreg_api.REG_SZ
    assert data.startswith('{"collection":"users","created_at":')
    assert '"key":"alice","value":{"name":"Alice"},"version":1}' in data
    assert json.loads(marker) == {"kv_collection": "users"}
    await store.close()


@needs_winreg
@pytest.mark.filterwarnings("ignore:A configured store is unstable:UserWarning")
async def test_py_key_value_data_is_shared(registry_path: str) -> None:
    from key_value.aio.stores.windows_registry import WindowsRegistryStore as Theirs

    theirs = Theirs(registry_path=registry_path)
    await theirs.put(key="token", value={"who": "py-key-value"}, collection="oauth", ttl=3600)
    await theirs.put(key="accessToken", value={"v": 2}, collection="oauth")
    ours = _store(registry_path)
    assert await ours.get("token", collection="oauth") == {"who": "py-key-value"}
    _, remaining = await ours.ttl("token", collection="oauth")
    assert remaining is not None
    assert 3500 < remaining <= 3600
    assert await ours.get("accessToken", collection="oauth") == {"v": 2}
    assert sorted(await ours.keys("oauth")) == ["accessToken", "token"]
    await ours.put("refresh", {"who": "kv"}, collection="oauth")
    assert await theirs.get(key="refresh", collection="oauth") == {"who": "kv"}
    assert await ours.delete("accessToken", collection="oauth") is True
    assert await theirs.get(key="accessToken", collection="oauth") is None
    # A kv entry that replaced py-key-value's and expired does not uncover it.
    await theirs.put(key="Session", value={"old": True}, collection="oauth")
    await ours.put("Session", {"new": True}, collection="oauth", ttl=0.2)
    await anyio.sleep(0.4)
    assert await ours.cull() >= 1
    assert await ours.get("Session", collection="oauth") is None
    assert await theirs.get(key="Session", collection="oauth") is None
    await ours.close()


@needs_winreg
async def test_destroy_leaves_what_is_not_kvs(registry_path: str, winreg_api: Any) -> None:
    hkcu = winreg_api.HKEY_CURRENT_USER
    with winreg_api.CreateKeyEx(
        hkcu, f"{registry_path}\\other-app", 0, winreg_api.KEY_WRITE
    ) as key:
        winreg_api.SetValueEx(key, "setting", 0, winreg_api.REG_SZ, "keep me")
    store = _store(registry_path)
    await store.put("k", {"v": 1}, collection="mine")
    await store.put("k", {"v": 1}, collection="other-app")
    assert await store.destroy() is True
    with winreg_api.OpenKey(hkcu, f"{registry_path}\\other-app") as key:
        assert winreg_api.QueryValueEx(key, "setting")[0] == "keep me"
    with pytest.raises(FileNotFoundError):
        winreg_api.OpenKey(hkcu, f"{registry_path}\\mine")
    assert await store.collections() == []
    await store.close()


@needs_winreg
async def test_cull_and_sweep_reclaim_expired_values(registry_path: str, winreg_api: Any) -> None:
    store = _store(registry_path, "?sweep_interval=0.2&sweep_limit=5")
    await store.put_many([f"e{i}" for i in range(12)], [{}] * 12, collection="c", ttl=0.2)
    await anyio.sleep(0.5)

    def stored() -> int:
        with winreg_api.OpenKey(winreg_api.HKEY_CURRENT_USER, f"{registry_path}\\c") as key:
            return int(winreg_api.QueryInfoKey(key)[1]) - 1  # less the collection marker

    await store.put("trigger", {}, collection="c")
    assert stored() == 12 + 1 - 5
    assert await store.cull() == 7
    assert stored() == 1
    assert await store.keys("c") == ["trigger"]
    await store.close()


@needs_winreg
async def test_root_deleted_by_another_process_is_recreated(
    registry_path: str, delete_tree: Callable[[str], None]
) -> None:
    store = _store(registry_path)
    await store.put("k", {"v": 1}, collection="c")
    delete_tree(registry_path)
    assert await store.get("k", collection="c") is None
    await store.put("k", {"v": 2}, collection="c")
    assert await store.get("k", collection="c") == {"v": 2}
    await store.close()
