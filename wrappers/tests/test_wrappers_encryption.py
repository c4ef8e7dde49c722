"""FernetEncryptionWrapper: the suite, py-key-value's envelope, rotation, wrong keys."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator

import pytest
from cryptography.fernet import Fernet, MultiFernet

import kv
from kv.errors import CorruptedDataError, DecryptionError, EncryptionVersionError
from kv.stores.memory import MemoryStore
from kv_conformance import StoreConformance
from kv_wrappers import FernetEncryptionWrapper
from kv_wrappers.encryption import _largest_plain_size, _stored_size, derive_fernet_key

pytestmark = pytest.mark.anyio

KEY = Fernet.generate_key()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class TestFernetEncryptionWrapper(StoreConformance):
    @pytest.fixture(params=["asyncio", "trio"])
    def anyio_backend(self, request: pytest.FixtureRequest) -> str:
        return str(request.param)

    @pytest.fixture
    async def store(self, default_collection: str | None) -> AsyncIterator[kv.AsyncKeyValue]:
        wrapper = FernetEncryptionWrapper(
            kv.connect("memory://", default_collection=default_collection), fernet=Fernet(KEY)
        )
        yield wrapper
        await wrapper.close()

    async def corrupt_entry(self, store: kv.AsyncKeyValue, collection: str, key: str) -> bool:
        inner = getattr(store, "key_value", None)
        assert isinstance(inner, MemoryStore)
        inner._collections[collection][key] = '{"__encrypted_data__": "trunc'
        return True


class TestEncryptionOverSizeLimitedStore(StoreConformance):
    """The declared max_value_size is the largest value whose envelope fits."""

    @pytest.fixture
    async def store(self, default_collection: str | None) -> AsyncIterator[kv.AsyncKeyValue]:
        from kv_wrappers import LimitSizeWrapper

        limited = LimitSizeWrapper(
            kv.connect("memory://", default_collection=default_collection), max_size=2_000_000
        )
        wrapper = FernetEncryptionWrapper(limited, fernet=Fernet(KEY))
        yield wrapper
        await wrapper.close()


def test_key_derivation_matches_py_key_value() -> None:
    key = derive_fernet_key("test-source-material", "test-salt")
    assert key == b"znx7rVYt4roVgu3ymt5sIYFmfMNGEPbm8AShXQv6CY4="


async def test_envelope_format() -> None:
    inner = kv.connect("memory://")
    store = FernetEncryptionWrapper(inner, fernet=Fernet(KEY))
    await store.put("k", {"secret": "s3cr3t"}, collection="c")
    stored = await inner.get("k", collection="c")
    assert stored is not None
    assert set(stored) == {"__encrypted_data__", "__encryption_version__"}
    assert stored["__encryption_version__"] == 1
    assert "s3cr3t" not in str(stored)
    token = base64.b64decode(stored["__encrypted_data__"])
    assert Fernet(KEY).decrypt(token) == b'{"secret":"s3cr3t"}'


async def test_py_key_value_reads_ours_and_we_read_theirs() -> None:
    from key_value.aio.stores.memory import MemoryStore as PyMemoryStore
    from key_value.aio.wrappers.encryption import FernetEncryptionWrapper as PyFernet

    py_inner = PyMemoryStore()
    py_store = PyFernet(py_inner, fernet=Fernet(KEY))
    await py_store.put("theirs", {"from": "py-key-value"}, collection="c")
    envelope = await py_inner.get("theirs", collection="c")
    assert envelope is not None

    inner = kv.connect("memory://")
    ours = FernetEncryptionWrapper(inner, fernet=Fernet(KEY))
    await inner.put("theirs", envelope, collection="c")
    assert await ours.get("theirs", collection="c") == {"from": "py-key-value"}

    await ours.put("ours", {"from": "kv"}, collection="c")
    mine = await inner.get("ours", collection="c")
    assert mine is not None
    await py_inner.put("ours", mine, collection="c")
    assert await py_store.get("ours", collection="c") == {"from": "kv"}


async def test_source_material_and_salt_read_py_key_value_data() -> None:
    from key_value.aio.stores.memory import MemoryStore as PyMemoryStore
    from key_value.aio.wrappers.encryption import FernetEncryptionWrapper as PyFernet

    py_inner = PyMemoryStore()
    py_store = PyFernet(py_inner, source_material="test-source-material", salt="test-salt")
    await py_store.put("k", {"v": 1})
    envelope = await py_inner.get("k")
    assert envelope is not None
    inner = kv.connect("memory://")
    await inner.put("k", envelope)
    ours = FernetEncryptionWrapper(inner, source_material="test-source-material", salt="test-salt")
    assert await ours.get("k") == {"v": 1}


async def test_rotation_with_multifernet() -> None:
    inner = kv.connect("memory://")
    old_key, new_key = Fernet.generate_key(), Fernet.generate_key()
    old = FernetEncryptionWrapper(inner, fernet=Fernet(old_key))
    await old.put("before", {"v": "old key"})

    rotated = FernetEncryptionWrapper(inner, fernet=MultiFernet([Fernet(new_key), Fernet(old_key)]))
    assert await rotated.get("before") == {"v": "old key"}
    await rotated.put("after", {"v": "new key"})
    assert await rotated.get_many(["before", "after"]) == [{"v": "old key"}, {"v": "new key"}]

    only_new = FernetEncryptionWrapper(inner, fernet=Fernet(new_key))
    assert await only_new.get("after") == {"v": "new key"}
    with pytest.raises(DecryptionError):
        await only_new.get("before")
    # Re-writing through the rotated wrapper moves a value to the new key.
    value = await rotated.get("before")
    assert value is not None
    await rotated.put("before", value)
    assert await only_new.get("before") == {"v": "old key"}


async def test_wrong_key_raises_decryption_error_naming_the_key() -> None:
    inner = kv.connect("memory://")
    await FernetEncryptionWrapper(inner, fernet=Fernet(KEY)).put("k", {"v": 1}, collection="c")
    wrong = FernetEncryptionWrapper(inner, fernet=Fernet(Fernet.generate_key()))
    with pytest.raises(DecryptionError) as caught:
        await wrong.get("k", collection="c")
    assert "'k'" in str(caught.value)
    assert "'c'" in str(caught.value)
    assert "wrong key" in str(caught.value)
    with pytest.raises(DecryptionError):
        await wrong.ttl_many(["k"], collection="c")

    lenient = FernetEncryptionWrapper(
        inner, fernet=Fernet(Fernet.generate_key()), raise_on_decryption_error=False
    )
    assert await lenient.get("k", collection="c") is None
    assert await lenient.ttl("k", collection="c") == (None, None)


async def test_tampered_and_malformed_envelopes() -> None:
    inner = kv.connect("memory://")
    store = FernetEncryptionWrapper(inner, fernet=Fernet(KEY))
    await store.put("k", {"v": 1})
    stored = await inner.get("k")
    assert stored is not None
    token = bytearray(base64.b64decode(stored["__encrypted_data__"]))
    token[-5] ^= 1
    await inner.put("tampered", {**stored, "__encrypted_data__": base64.b64encode(token).decode()})
    with pytest.raises(DecryptionError):
        await store.get("tampered")
    await inner.put("no-version", {"__encrypted_data__": stored["__encrypted_data__"]})
    with pytest.raises(CorruptedDataError):
        await store.get("no-version")
    await inner.put("not-base64", {"__encrypted_data__": "%%%", "__encryption_version__": 1})
    with pytest.raises(CorruptedDataError):
        await store.get("not-base64")
    await inner.put("newer", {**stored, "__encryption_version__": 2})
    with pytest.raises(EncryptionVersionError):
        await store.get("newer")


async def test_plain_values_are_read_unless_encryption_is_required() -> None:
    inner = kv.connect("memory://")
    await inner.put("plain", {"written": "before encryption"})
    assert await FernetEncryptionWrapper(inner, fernet=Fernet(KEY)).get("plain") == {
        "written": "before encryption"
    }
    strict = FernetEncryptionWrapper(inner, fernet=Fernet(KEY), require_encryption=True)
    with pytest.raises(DecryptionError, match="not encrypted"):
        await strict.get("plain")
    await strict.put("new", {"v": 1})
    assert await strict.get("new") == {"v": 1}


async def test_the_wrapper_lists_keys_and_hides_key_material() -> None:
    store = FernetEncryptionWrapper(kv.connect("memory://"), fernet=Fernet(KEY))
    assert isinstance(store, kv.EnumerateKeys)
    assert isinstance(store, kv.DestroyStore)
    await store.put_many(["a", "b"], [{"v": 1}, {"v": 2}], collection="c")
    assert sorted(await store.keys("c")) == ["a", "b"]
    assert KEY.decode() not in repr(store)


def test_options_are_checked() -> None:
    inner = kv.connect("memory://")
    with pytest.raises(kv.InvalidOptionError):
        FernetEncryptionWrapper(inner)
    with pytest.raises(kv.InvalidOptionError):
        FernetEncryptionWrapper(inner, fernet=Fernet(KEY), salt="s")
    with pytest.raises(kv.InvalidOptionError):
        FernetEncryptionWrapper(inner, source_material="  ", salt="s")
    with pytest.raises(kv.InvalidOptionError):
        FernetEncryptionWrapper(inner, source_material="m", salt="")
    with pytest.raises(ValueError, match="salt"):
        FernetEncryptionWrapper(inner, source_material="m")


async def test_declared_size_limit_is_exact() -> None:
    for limit in (200, 1000, 4096, 10_000):
        plain = _largest_plain_size(limit)
        assert _stored_size(plain) <= limit < _stored_size(plain + 1)
    from kv_wrappers import LimitSizeWrapper

    limited = LimitSizeWrapper(kv.connect("memory://"), max_size=1000)
    store = FernetEncryptionWrapper(limited, fernet=Fernet(KEY))
    largest = store.capabilities.max_value_size
    assert largest is not None
    fits = {"x": "y" * (largest - 8)}
    assert len(kv.values.dump_value(fits)) == largest
    await store.put("fits", fits)
    with pytest.raises(kv.EntryTooLargeError):
        await store.put("too-big", {"x": "y" * (largest - 7)})
