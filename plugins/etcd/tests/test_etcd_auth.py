"""etcd's user authentication, on an etcd of this module's own (auth is enabled on it).

A user and password from the URL or from etcdctl's environment are used and
never shown; wrong ones are StoreSetupError naming the server. Skipped when
``KV_ETCD_URL`` names an external server (auth would stay enabled on it).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator

import aetcd  # type: ignore[import-untyped]
import pytest
from aetcd import rpc

import kv
from kv_conformance.emulators import etcd
from kv_etcd.store import EtcdStore

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.kv_server,
    pytest.mark.skipif(
        bool(os.environ.get("KV_ETCD_URL")),
        reason="auth would stay enabled on KV_ETCD_URL's server",
    ),
]

PASSWORD = "root-pw-never-shown"


async def _enable_auth(port: int) -> None:
    """A root user, and authentication on (aetcd has no user management of its own:
    etcd's Auth service, over the client's channel)."""
    async with aetcd.Client(host="127.0.0.1", port=port) as client:
        auth = rpc.AuthStub(client.channel)
        await auth.UserAdd(rpc.AuthUserAddRequest(name="root", password=PASSWORD))
        await auth.RoleAdd(rpc.AuthRoleAddRequest(name="root"))
        await auth.UserGrantRole(rpc.AuthUserGrantRoleRequest(user="root", role="root"))
        await auth.AuthEnable(rpc.AuthEnableRequest())


@pytest.fixture(scope="module")
def secured() -> Iterator[int]:
    """The port of an etcd of this module's own, with authentication enabled."""
    with etcd() as server:
        asyncio.run(_enable_auth(server.port))
        yield server.port


async def test_user_and_password_from_the_url(secured: int) -> None:
    store = kv.connect(f"etcd://root:{PASSWORD}@127.0.0.1:{secured}/auth-url")
    assert isinstance(store, EtcdStore)
    assert PASSWORD not in repr(store)
    await store.put("k", {"v": 1}, ttl=60)
    assert await store.get("k") == {"v": 1}
    assert await store.keys() == ["k"]
    assert await store.destroy() is True
    await store.close()


async def test_user_and_password_from_etcdctl_environment(
    secured: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ETCDCTL_USER", f"root:{PASSWORD}")
    store = kv.connect(f"etcd://127.0.0.1:{secured}/auth-env")
    await store.put("k", {"v": 2})
    assert await store.get("k") == {"v": 2}
    assert PASSWORD not in repr(store)
    await store.close()


async def test_wrong_or_missing_credentials_are_refused(secured: int) -> None:
    wrong = kv.connect(f"etcd://root:not-the-{PASSWORD}@127.0.0.1:{secured}/auth-wrong")
    with pytest.raises(kv.StoreSetupError) as caught:
        await wrong.get("k")
    assert f"127.0.0.1:{secured}" in str(caught.value)
    assert PASSWORD not in str(caught.value)
    assert PASSWORD not in repr(caught.value)
    await wrong.close()
    anonymous = kv.connect(f"etcd://127.0.0.1:{secured}/auth-none")
    with pytest.raises(kv.StoreError) as refused:
        await anonymous.put("k", {"v": 1})
    assert not isinstance(refused.value, kv.StoreConnectionError)
    await anonymous.close()


async def test_an_expired_token_is_renewed(secured: int) -> None:
    """etcd drops a user's tokens when the password changes (as when they expire
    after --auth-token-ttl): the store authenticates again and carries on."""
    store = kv.connect(f"etcd://root:{PASSWORD}@127.0.0.1:{secured}/auth-renew")
    await store.put("k", {"v": 1})
    async with aetcd.Client(
        host="127.0.0.1", port=secured, username="root", password=PASSWORD
    ) as admin:
        auth = rpc.AuthStub(admin.channel)
        change = rpc.AuthUserChangePasswordRequest(name="root", password=PASSWORD)
        await auth.UserChangePassword(change, metadata=admin.metadata)
    # Many calls in flight meet the expired token at once: one client replaces it.
    found = await asyncio.gather(*(store.get("k") for _ in range(50)))
    assert found == [{"v": 1}] * 50
    await store.put("k", {"v": 2})
    assert await store.get("k") == {"v": 2}
    await store.close()
