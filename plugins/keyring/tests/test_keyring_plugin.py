"""What is special about ``keyring://``: URL, options, splitting, errors, expiry."""

from __future__ import annotations

import configparser
import subprocess
import sys
import textwrap
from pathlib import Path

import anyio
import pytest
from keyring.backends import chainer, fail
from keyrings.alt.file import PlaintextKeyring

import kv
from kv import registry
from kv_keyring.index import CollectionIndex
from kv_keyring.naming import ROOT_USERNAME, entry_username, index_username
from kv_keyring.plugin import KEYRING_CAPABILITIES
from kv_keyring.store import WINDOWS_MAX_VALUE_CHARS, KeyringStore, _platform_limit

pytestmark = pytest.mark.anyio

SERVICE = "kv-test"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def stored_usernames(backend: PlaintextKeyring, service: str = SERVICE) -> list[str]:
    """Every username the file keyring holds for ``service``, read from its INI file."""
    from keyrings.alt.escape import escape, unescape

    config = configparser.RawConfigParser()
    config.read(backend.file_path, encoding="utf-8")
    section = escape(service)
    if not config.has_section(section):
        return []
    return sorted(unescape(option) for option in config.options(section))


def open_store(backend: PlaintextKeyring, query: str = "", **options: object) -> KeyringStore:
    store = kv.connect(f"keyring://{SERVICE}{query}", backend=backend, **options)
    assert isinstance(store, KeyringStore)
    return store


# --- discovery and URL -------------------------------------------------------------


def test_scheme_is_registered() -> None:
    plugin = registry.resolve("keyring")
    assert plugin.capabilities == KEYRING_CAPABILITIES
    assert registry.origin("keyring") == "kv-keyring"
    assert KeyringStore.capabilities is KEYRING_CAPABILITIES


def test_plugin_module_is_light() -> None:
    code = textwrap.dedent(
        """
        import sys
        import kv_keyring
        import kv_keyring.plugin
        from kv import registry
        registry.resolve("keyring")
        registry.plugins()
        print(",".join(sorted(
            name for name in ("kv_keyring.store", "keyring", "keyrings") if name in sys.modules
        )))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == ""


def test_url_forms(backend: PlaintextKeyring) -> None:
    assert kv.connect("keyring://", backend=backend).options.service == "kv"  # type: ignore[attr-defined]
    assert kv.connect("keyring://my-app", backend=backend).options.service == "my-app"  # type: ignore[attr-defined]
    assert kv.connect("keyring://my%20app/", backend=backend).options.service == "my app"  # type: ignore[attr-defined]
    with pytest.raises(kv.InvalidURLError):
        kv.connect("keyring://user:secret@service")
    store = kv.connect("keyring://svc?default_collection=tokens&sweep_interval=none")
    assert store.default_collection == "tokens"  # type: ignore[attr-defined]
    assert store.sweep_interval is None  # type: ignore[attr-defined]
    assert "secret" not in repr(store)


@pytest.mark.parametrize(
    ("query", "keywords"),
    [
        ("?unknown=1", {}),
        ("?max_value_chars=10", {}),
        ("?max_value_chars=many", {}),
        ("?max_chunks=0", {}),
        ("?lock_timeout=-1", {}),
        ("?lock_timeout=inf", {}),
        ("?backend=keyrings.alt.file.PlaintextKeyring", {}),
        ("", {"backend": "not a backend object"}),
        ("", {"max_chunks": True}),
    ],
)
def test_bad_options_are_invalid_option_errors(query: str, keywords: dict[str, object]) -> None:
    with pytest.raises(kv.InvalidOptionError):
        kv.connect(f"keyring://svc{query}", **keywords)


def test_bad_service_names() -> None:
    with pytest.raises(kv.InvalidOptionError):
        KeyringStore("")
    with pytest.raises(kv.InvalidOptionError):
        KeyringStore("a\x00b")
    with pytest.raises(kv.InvalidOptionError):
        KeyringStore("s" * 300)


def test_windows_credential_manager_limit_is_the_default_there() -> None:
    from keyring.backends.Windows import WinVaultKeyring

    assert _platform_limit(WinVaultKeyring()) == WINDOWS_MAX_VALUE_CHARS
    # keyring's chainer (its default when several backends are viable) is
    # looked into; here it chains only backends without a limit.
    assert _platform_limit(chainer.ChainerBackend()) is None
    assert _platform_limit(PlaintextKeyring()) is None
    expected = WINDOWS_MAX_VALUE_CHARS if sys.platform == "win32" else None
    assert _platform_limit(None) == expected


async def test_default_backend_is_keyrings_process_wide_one(
    global_keyring: PlaintextKeyring,
) -> None:
    store = kv.connect(f"keyring://{SERVICE}")
    await store.put("k", {"v": 1}, collection="c")
    assert stored_usernames(global_keyring) == sorted(["c::k", index_username("c"), ROOT_USERNAME])


# --- layout and names --------------------------------------------------------------


async def test_layout_is_one_password_per_entry(backend: PlaintextKeyring) -> None:
    store = open_store(backend)
    await store.put("alice", {"name": "Alice"}, collection="users", ttl=60)
    raw = backend.get_password(SERVICE, "users::alice")
    assert raw is not None
    assert raw.startswith('{"collection":"users","created_at":')
    assert '"key":"alice","value":{"name":"Alice"},"version":1}' in raw
    assert '"expires_at":' in raw
    index = CollectionIndex.decode("users", backend.get_password(SERVICE, index_username("users")))
    assert list(index.keys) == ["alice"]
    assert await store.collections() == ["users"]


async def test_names_that_differ_in_case_only_are_distinct_in_a_case_blind_keyring(
    backend: PlaintextKeyring,
) -> None:
    store = open_store(backend)
    names = ["token", "Token", "TOKEN", "tOkEn"]
    await store.put_many(names, [{"n": name} for name in names], collection="c")
    assert await store.get_many(names, collection="c") == [{"n": name} for name in names]
    assert sorted(await store.keys("c")) == sorted(names)


async def test_usernames_stay_short(backend: PlaintextKeyring) -> None:
    store = open_store(backend)
    await store.put("k" * 3000, {"v": 1}, collection="é" * 1000)
    assert await store.get("k" * 3000, collection="é" * 1000) == {"v": 1}
    assert await store.keys("é" * 1000) == ["k" * 3000]
    assert await store.collections() == ["é" * 1000]
    assert max(len(name) for name in stored_usernames(backend)) < 256


async def test_nul_and_control_characters_never_reach_the_keyring(
    backend: PlaintextKeyring,
) -> None:
    store = open_store(backend)
    await store.put("a\x00b\nc", {"v": 1}, collection="x\ty")
    assert await store.get("a\x00b\nc", collection="x\ty") == {"v": 1}
    assert all(name.isprintable() for name in stored_usernames(backend))


# --- values too large for one keyring entry -----------------------------------------


async def test_large_values_are_split_across_entries(backend: PlaintextKeyring) -> None:
    store = open_store(backend, "?max_value_chars=300")
    value = {"blob": "x" * 5000, "text": "Grüße 🌍" * 100}
    await store.put("big", value, collection="c")
    assert await store.get("big", collection="c") == value
    usernames = stored_usernames(backend)
    pieces = [name for name in usernames if name.startswith("kv:chunk:")]
    assert len(pieces) >= 5000 // 300
    for name in usernames:
        stored = backend.get_password(SERVICE, name)
        assert stored is not None
        assert len(stored.encode("utf-16-le")) // 2 <= 300
    # Replacing it with a small value leaves no pieces behind.
    await store.put("big", {"small": True}, collection="c")
    assert await store.get("big", collection="c") == {"small": True}
    assert not [name for name in stored_usernames(backend) if name.startswith("kv:chunk:")]
    await store.put("big", value, collection="c")
    assert await store.delete("big", collection="c") is True
    assert stored_usernames(backend) == []


async def test_a_value_too_large_is_entry_too_large_and_nothing_changes(
    backend: PlaintextKeyring,
) -> None:
    store = open_store(backend, "?max_value_chars=1280&max_chunks=1")
    assert store.capabilities.max_value_size is not None
    await store.put("token", {"v": "before"}, collection="c")
    with pytest.raises(kv.EntryTooLargeError) as caught:
        await store.put("token", {"v": "x" * 1200}, collection="c")
    assert caught.value.limit == store.capabilities.max_value_size
    assert "token" in str(caught.value)
    with pytest.raises(kv.EntryTooLargeError):
        await store.put("token", {"v": "x" * 5000}, collection="c")
    with pytest.raises(kv.EntryTooLargeError):
        await store.put_many(["other", "token"], [{"v": 1}, {"v": "x" * 1200}], collection="c")
    assert await store.get("token", collection="c") == {"v": "before"}
    assert await store.get("other", collection="c") is None
    # The document, not only the value, must fit: long names count too.
    with pytest.raises(kv.EntryTooLargeError) as caught:
        await store.put("k" * 600, {"v": "x" * 700}, collection="c")
    assert caught.value.limit == 1280
    assert caught.value.size > 1280
    assert "kkkk" in str(caught.value)


async def test_max_chunks_bounds_how_far_a_value_is_split(backend: PlaintextKeyring) -> None:
    store = open_store(backend, "?max_value_chars=1280&max_chunks=3")
    await store.put("fits", {"v": "x" * 3000}, collection="c")
    assert await store.get("fits", collection="c") == {"v": "x" * 3000}
    with pytest.raises(kv.EntryTooLargeError):
        await store.put("too-big", {"v": "x" * 4000}, collection="c")
    assert await store.get("too-big", collection="c") is None


async def test_a_missing_piece_is_a_deserialization_error(backend: PlaintextKeyring) -> None:
    store = open_store(backend, "?max_value_chars=300")
    await store.put("big", {"v": "x" * 2000}, collection="c")
    piece = next(name for name in stored_usernames(backend) if name.startswith("kv:chunk:"))
    backend.delete_password(SERVICE, piece)
    with pytest.raises(kv.DeserializationError) as caught:
        await store.get("big", collection="c")
    assert "big" in str(caught.value)
    await store.put("big", {"v": "repaired"}, collection="c")
    assert await store.get("big", collection="c") == {"v": "repaired"}


# --- failures inside keyring are kv errors ------------------------------------------


async def test_no_keyring_backend_is_a_setup_error() -> None:
    store = kv.connect(f"keyring://{SERVICE}", backend=fail.Keyring())
    with pytest.raises(kv.StoreSetupError):
        await store.get("k")


async def test_a_failing_get_raises_instead_of_returning_none(
    backend: PlaintextKeyring, keyring_file: Path
) -> None:
    store = open_store(backend)
    await store.put("k", {"v": "the-secret-value"}, collection="c")
    text = keyring_file.read_text(encoding="utf-8")
    keyring_file.write_text("garbage the-secret-value\n" + text, encoding="utf-8")
    with pytest.raises(kv.StoreError) as caught:
        await store.get("k", collection="c")
    assert "the-secret-value" not in str(caught.value)
    assert "damaged" in str(caught.value)
    with pytest.raises(kv.StoreError):
        await store.put("k", {"v": 2}, collection="c")
    keyring_file.write_text(text, encoding="utf-8")
    assert await store.get("k", collection="c") == {"v": "the-secret-value"}


async def test_a_damaged_index_is_reported_and_destroy_still_works(
    backend: PlaintextKeyring,
) -> None:
    store = open_store(backend)
    await store.put("k", {"v": 1}, collection="c")
    backend.set_password(SERVICE, index_username("c"), "{not json")
    with pytest.raises(kv.DeserializationError):
        await store.keys("c")
    assert await store.get("k", collection="c") == {"v": 1}
    await store.destroy()
    assert await store.collections() == []


# --- expiry: hidden on read, reclaimed by cull and by the sweep ----------------------


async def test_cull_reclaims_expired_entries_and_their_pieces(backend: PlaintextKeyring) -> None:
    store = open_store(backend, "?max_value_chars=300&sweep_interval=none")
    expiring = [f"e{i}" for i in range(40)]
    await store.put_many(expiring, [{"i": i} for i in range(40)], collection="a", ttl=0.3)
    await store.put("big", {"v": "x" * 3000}, collection="b", ttl=0.3)
    await store.put("live", {"v": 1}, collection="a")
    await store.put("later", {"v": 2}, collection="b", ttl=600)
    await anyio.sleep(0.6)
    assert await store.get("e1", collection="a") is None
    assert await store.cull() == 41
    assert await store.cull() == 0
    assert sorted(stored_usernames(backend)) == sorted(
        [
            "a::live",
            "b::later",
            index_username("a"),
            index_username("b"),
            ROOT_USERNAME,
        ]
    )
    assert await store.keys("a") == ["live"]
    assert await store.keys("b") == ["later"]


async def test_cull_removes_emptied_collections(backend: PlaintextKeyring) -> None:
    store = open_store(backend, "?sweep_interval=none")
    await store.put("gone", {"v": 1}, collection="short-lived", ttl=0.2)
    await store.put("kept", {"v": 1}, collection="kept")
    await anyio.sleep(0.4)
    assert await store.cull() == 1
    assert await store.collections() == ["kept"]


async def test_writes_sweep_expired_entries_bounded(backend: PlaintextKeyring) -> None:
    store = open_store(backend, "?sweep_interval=0.2&sweep_limit=10")
    await store.put_many([f"e{i}" for i in range(25)], [{}] * 25, collection="c", ttl=0.2)
    await anyio.sleep(0.5)

    async def remaining() -> int:
        usernames = stored_usernames(backend)
        return len([name for name in usernames if name.startswith("c::e")])

    await store.put("trigger", {}, collection="c")
    assert await remaining() == 15  # one sweep removes at most sweep_limit entries
    for _ in range(2):
        await anyio.sleep(0.25)
        await store.put("trigger", {}, collection="c")
    assert await remaining() == 0
    assert await store.keys("c") == ["trigger"]


async def test_an_entry_rewritten_without_the_index_is_not_culled(
    backend: PlaintextKeyring,
) -> None:
    """cull checks the entry itself: one rewritten by py-key-value stays."""
    store = open_store(backend, "?sweep_interval=none")
    await store.put("k", {"v": 1}, collection="c", ttl=0.2)
    document = backend.get_password(SERVICE, "c::k")
    assert document is not None
    import re

    backend.set_password(SERVICE, "c::k", re.sub(r',"expires_at":"[^"]+"', "", document))
    await anyio.sleep(0.4)
    assert await store.cull() == 0
    assert await store.get("k", collection="c") == {"v": 1}
    assert await store.keys("c") == ["k"]


async def test_deleting_an_expired_entry_reclaims_it(backend: PlaintextKeyring) -> None:
    store = open_store(backend, "?sweep_interval=none")
    await store.put("k", {"v": 1}, collection="c", ttl=0.2)
    await anyio.sleep(0.4)
    assert await store.delete("k", collection="c") is False
    assert stored_usernames(backend) == []


# --- consistency ----------------------------------------------------------------------


async def test_two_store_objects_on_one_keyring_keep_the_index_whole(
    backend: PlaintextKeyring,
) -> None:
    first = open_store(backend)
    second_backend = PlaintextKeyring()
    second_backend.file_path = backend.file_path
    second = open_store(second_backend)

    async def writer(store: KeyringStore, prefix: str) -> None:
        for i in range(30):
            await store.put(f"{prefix}{i}", {"i": i}, collection="shared")

    async with anyio.create_task_group() as group:
        group.start_soon(writer, first, "a")
        group.start_soon(writer, second, "b")
    expected = sorted([f"a{i}" for i in range(30)] + [f"b{i}" for i in range(30)])
    assert sorted(await first.keys("shared")) == expected
    assert await second.get_many(expected, collection="shared") == [
        {"i": int(name[1:])} for name in expected
    ]


async def test_destroy_collection_leaves_other_services_alone(backend: PlaintextKeyring) -> None:
    store = open_store(backend)
    other = kv.connect("keyring://other-service", backend=backend)
    await store.put("k", {"v": 1}, collection="c")
    await other.put("k", {"v": 2}, collection="c")
    assert await store.destroy() is True
    assert await store.get("k", collection="c") is None
    assert await other.get("k", collection="c") == {"v": 2}
    assert stored_usernames(backend) == []


async def test_entry_username_is_the_storage_slot(backend: PlaintextKeyring) -> None:
    store = open_store(backend)
    await store.put("b::c", {"v": 1}, collection="a")
    await store.put("c", {"v": 2}, collection="a::b")
    assert backend.get_password(SERVICE, entry_username("a", "b::c")) is not None
    assert backend.get_password(SERVICE, entry_username("a::b", "c")) is not None
    assert entry_username("a", "b::c") != entry_username("a::b", "c")


async def test_refreshing_a_token_does_not_rewrite_the_index(backend: PlaintextKeyring) -> None:
    store = open_store(backend, "?sweep_interval=none")
    await store.put("token", {"v": 1}, collection="c", ttl=0.3)
    index_before = backend.get_password(SERVICE, index_username("c"))
    await store.put("token", {"v": 2}, collection="c", ttl=600)
    await store.put("plain", {"v": 3}, collection="c")
    await store.put("plain", {"v": 4}, collection="c")
    index_after = backend.get_password(SERVICE, index_username("c"))
    assert index_before != index_after  # "plain" was added
    await store.put("token", {"v": 5}, collection="c", ttl=600)
    await store.put("plain", {"v": 6}, collection="c")
    assert backend.get_password(SERVICE, index_username("c")) == index_after
    # The recorded expiry of "token" (0.3 s) has passed; the entry's own has not.
    await anyio.sleep(0.5)
    assert await store.keys("c") == ["plain", "token"]
    assert await store.cull() == 0
    assert await store.get("token", collection="c") == {"v": 5}
    assert await store.delete("token", collection="c") is True


async def test_an_entry_whose_ttl_was_dropped_is_never_culled(backend: PlaintextKeyring) -> None:
    store = open_store(backend, "?sweep_interval=none")
    await store.put("k", {"v": 1}, collection="c", ttl=0.2)
    await store.put("k", {"v": 2}, collection="c")
    await anyio.sleep(0.4)
    assert await store.keys("c") == ["k"]
    assert await store.cull() == 0
    assert await store.ttl("k", collection="c") == ({"v": 2}, None)
    await store.put("k", {"v": 3}, collection="c", ttl=0.2)
    await anyio.sleep(0.4)
    assert await store.keys("c") == []
    assert await store.cull() == 1
