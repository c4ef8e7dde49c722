"""``VaultStore``: a kv store in HashiCorp Vault's KV version 2 secrets engine.

Each entry is one secret, py-key-value's layout (:mod:`kv_vault.names`,
:mod:`kv_vault.secrets`). hvac is blocking: every request runs in a worker
thread through :mod:`kv.blocking`, up to ``max_threads`` at once; the bulk
calls, which Vault does not have, send their requests side by side. Vault
keeps no expiry per secret, so the expiry is in the document: reads hide
expired entries and ``cull()`` removes them. The atomic operations are
Vault's check-and-set on the secret's version.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Any, TypeVar

import anyio

from kv.blocking import BlockingCalls, Engine
from kv.entry import StoredEntry
from kv.errors import DeserializationError, KeyValueError
from kv.store import FullStore, TokenVersionMixin
from kv_vault.client import VaultCalls, base_url, make_client
from kv_vault.errors import translate_error
from kv_vault.listing import Read, by_collection, cull_choice, entries_listed, live_names
from kv_vault.names import Layout, SecretName
from kv_vault.plugin import PLUGIN, VaultOptions
from kv_vault.secrets import (
    TOMBSTONE,
    Secret,
    delete_live,
    entry_of,
    parse_token,
    put_if_absent,
    secret_data,
)

__all__ = ["VaultStore"]

T = TypeVar("T")

_CULL_PAGE = 200
"""Secrets ``cull()`` reads (and then deletes) at a time."""


def _entry_of(secret: Secret | None, key: str) -> StoredEntry | None:
    """The entry of a secret read in bulk; a damaged one names its key."""
    try:
        return entry_of(secret)
    except DeserializationError as error:
        error.add_context(key=key)
        raise


class VaultStore(TokenVersionMixin, FullStore, plugin=PLUGIN):
    """A kv store in a Vault KV version 2 mount: ``vault://HOST[:PORT]/MOUNT``.

    Args:
        options: ``VaultOptions``, or a URL without query
            (``VaultStore("vault://vault:8200/secret", prefix="apps/cache")``).
        **keywords: Options by name (see :class:`~kv_vault.plugin.VaultOptions`).
    """

    options: VaultOptions

    def _configure(self) -> None:
        options = self.options
        self.layout = Layout(options.mount, options.prefix)
        self._where = f"Vault at {base_url(options) or '$VAULT_ADDR'}"
        calls = BlockingCalls(max_threads=options.max_threads, inline_budget=None)
        self._engine = Engine[VaultCalls](calls, closed="The Vault client is closed")

    def __repr__(self) -> str:
        return (
            f"<VaultStore {self._where} mount={self.layout.mount!r}"
            f" folder={self.layout.folder!r} default_collection={self.default_collection!r}>"
        )

    # --- lifecycle ---------------------------------------------------------------

    async def _open(self) -> None:
        options = self.options

        def connect() -> VaultCalls:
            calls = VaultCalls(make_client(options), options.mount)
            try:
                calls.check_mount(options.auto_create)
            except BaseException:
                calls.close()
                raise
            return calls

        self._engine.handle = await self._engine.finish(connect)

    async def _close(self) -> None:
        calls = self._engine.close()
        if calls is not None:
            await self._engine.finish(calls.close)

    def _translate_error(self, error: Exception) -> KeyValueError | None:
        return translate_error(error, where=self._where)

    # --- requests ----------------------------------------------------------------

    async def _run(self, call: Callable[[VaultCalls], T]) -> T:
        return await self._engine.run(call)

    async def _each(self, calls: Sequence[Callable[[VaultCalls], T]]) -> list[T]:
        """Run the calls side by side (up to ``max_threads`` at once), results in order;
        the first failure is raised once all have ended."""
        if len(calls) == 1:
            return [await self._run(calls[0])]
        results: list[T | None] = [None] * len(calls)
        failures: list[Exception] = []

        async def one(index: int) -> None:
            try:
                results[index] = await self._run(calls[index])
            except Exception as error:
                failures.append(error)

        async with anyio.create_task_group() as group:
            for index in range(len(calls)):
                group.start_soon(one, index)
        if failures:
            raise failures[0]
        return results  # type: ignore[return-value]

    def _reader(self, path: str) -> Callable[[VaultCalls], Secret | None]:
        return lambda vault: vault.read(path)

    # --- entries -----------------------------------------------------------------

    async def _get_entry(self, collection: str, key: str) -> StoredEntry | None:
        return entry_of(await self._run(self._reader(self.layout.path(collection, key))))

    async def _get_entries(
        self, collection: str, keys: Sequence[str]
    ) -> Sequence[StoredEntry | None]:
        unique = list(dict.fromkeys(keys))
        found = await self._each([self._reader(self.layout.path(collection, k)) for k in unique])
        entries = {key: _entry_of(secret, key) for key, secret in zip(unique, found)}
        return [entries[key] for key in keys]

    def _writer(
        self, collection: str, key: str, entry: StoredEntry
    ) -> Callable[[VaultCalls], bool]:
        path = self.layout.path(collection, key)
        data = secret_data(entry, collection=collection, key=key)
        return lambda vault: vault.write(path, data)

    async def _put_entry(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None
    ) -> None:
        await self._run(self._writer(collection, key, entry))

    async def _put_entries(
        self,
        collection: str,
        keys: Sequence[str],
        entries: Sequence[StoredEntry],
        ttl: float | None,
    ) -> None:
        await self._each([self._writer(collection, k, e) for k, e in zip(keys, entries)])

    def _deleter(self, collection: str, key: str) -> Callable[[VaultCalls], bool]:
        path = self.layout.path(collection, key)

        def delete(vault: VaultCalls) -> bool:
            return delete_live(
                lambda: vault.read(path),
                lambda version: vault.write(path, TOMBSTONE, cas=version),
                time.time(),
            )

        return delete

    async def _delete_entry(self, collection: str, key: str) -> bool:
        return await self._run(self._deleter(collection, key))

    async def _delete_entries(self, collection: str, keys: Sequence[str]) -> int:
        unique = list(dict.fromkeys(keys))
        return sum(await self._each([self._deleter(collection, key) for key in unique]))

    # --- atomic operations: check-and-set on the secret's version ------------------

    async def _put_entry_if_absent(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None
    ) -> bool:
        path = self.layout.path(collection, key)
        data = secret_data(entry, collection=collection, key=key)
        now = entry.created_at or time.time()
        return await self._run(
            lambda vault: put_if_absent(
                lambda: vault.read(path), lambda cas: vault.write(path, data, cas=cas), now
            )
        )

    async def _get_entry_and_token(
        self, collection: str, key: str
    ) -> tuple[StoredEntry, str] | None:
        secret = await self._run(self._reader(self.layout.path(collection, key)))
        entry = entry_of(secret)
        if secret is None or entry is None:
            return None
        return entry, str(secret.version)

    async def _put_entry_if_token(
        self, collection: str, key: str, entry: StoredEntry, ttl: float | None, token: str
    ) -> bool:
        data = secret_data(entry, collection=collection, key=key)
        return await self._write_on_token(self.layout.path(collection, key), data, token)

    async def _delete_entry_if_token(self, collection: str, key: str, token: str) -> bool:
        return await self._write_on_token(self.layout.path(collection, key), TOMBSTONE, token)

    async def _write_on_token(self, path: str, data: Mapping[str, Any], token: str) -> bool:
        """Write ``data`` if the secret's latest version is the one ``token`` names."""
        version = parse_token(token)
        return version is not None and await self._run(
            lambda vault: vault.write(path, data, cas=version)
        )

    # --- listing: one LIST of the folder, then a read of each secret ------------------

    async def _listed(self, collection: str | None = None) -> list[SecretName]:
        """The entries' secrets in the store's folder (of one collection, if given)."""
        folder = self.layout.folder
        return entries_listed(await self._run(lambda vault: vault.list(folder)), collection)

    async def _read(self, listed: Sequence[SecretName]) -> Read:
        """Each listed secret with what a read of it finds."""
        secrets = await self._each([self._reader(self.layout.path_of(n.name)) for n in listed])
        return list(zip(listed, secrets))

    async def _key_pages(self, collection: str, page_size: int) -> AsyncIterator[Sequence[str]]:
        listed = await self._listed(collection)
        for start in range(0, len(listed), page_size):
            names = live_names(await self._read(listed[start : start + page_size]), time.time())
            keys = [key for stored, key in names if stored == collection]
            if keys:
                yield keys

    async def _collection_pages(self, page_size: int) -> AsyncIterator[Sequence[str]]:
        groups = by_collection(await self._listed())
        found = [await self._live_collection(group, page_size) for group in groups]
        live = [name for name in found if name is not None]
        for start in range(0, len(live), page_size):
            yield live[start : start + page_size]

    async def _live_collection(self, group: Sequence[SecretName], page_size: int) -> str | None:
        """The collection of a group of listed secrets, once one holds a live entry."""
        for start in range(0, len(group), page_size):
            names = live_names(await self._read(group[start : start + page_size]), time.time())
            if names:
                return names[0][0]
        return None

    # --- destroy and cull: deleting secrets with all their versions --------------------

    async def _remove(self, listed: Sequence[SecretName]) -> bool:
        await self._each([self._remover(name) for name in listed])
        return bool(listed)

    def _remover(self, name: SecretName) -> Callable[[VaultCalls], None]:
        path = self.layout.path_of(name.name)
        return lambda vault: vault.remove(path)

    async def _destroy(self) -> bool:
        return await self._remove(await self._listed())

    async def _destroy_collection(self, collection: str) -> bool:
        return await self._remove(await self._listed(collection))

    async def _cull(self, now: float, limit: int | None) -> int:
        """Delete the secrets of expired entries, and the tombstones of deleted ones.

        Vault cannot delete a secret on condition of its version: a write to an
        expired key in the instant between its read here and its deletion is
        lost with it.
        """
        listed = await self._listed()
        culled = 0
        for start in range(0, len(listed), _CULL_PAGE):
            room = None if limit is None else limit - culled
            doomed, expired = cull_choice(
                await self._read(listed[start : start + _CULL_PAGE]), now, room
            )
            await self._remove(doomed)
            culled += expired
        return culled
