"""The declaration, URL forms and options, the hvac client they build, and the light
plugin module: everything of kv-vault that needs no Vault server."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from typing import Any

import hvac
import pytest

import kv
from kv import registry
from kv.errors import InvalidOptionError, InvalidURLError, StoreSetupError
from kv_conformance.hooks import hooks_for_scheme, schemes_of_store_type
from kv_vault.client import base_url, check_mount_answer, make_client
from kv_vault.conformance import HOOKS
from kv_vault.plugin import PLUGIN, VAULT_CAPABILITIES, VaultOptions
from kv_vault.store import VaultStore

SECRET_TOKEN = "hvs.not-a-real-token-but-secret"


def options_of(url: str, **keywords: Any) -> VaultOptions:
    store = kv.connect(url, **keywords)
    assert isinstance(store, VaultStore)
    return store.options


def test_both_schemes_name_the_declaration() -> None:
    assert registry.resolve("vault") is PLUGIN
    assert registry.resolve("vault+https") is PLUGIN
    assert registry.origin("vault") == "kv-vault"
    assert schemes_of_store_type(VaultStore) == ("vault", "vault+https")


def test_conformance_hooks_are_registered() -> None:
    assert hooks_for_scheme("vault") is HOOKS
    assert hooks_for_scheme("vault+https") is HOOKS


def test_capabilities() -> None:
    assert VaultStore.capabilities == VAULT_CAPABILITIES
    assert VAULT_CAPABILITIES.atomic
    assert VAULT_CAPABILITIES.persistent
    assert not VAULT_CAPABILITIES.native_ttl
    assert not VAULT_CAPABILITIES.asyncio_only
    assert VAULT_CAPABILITIES.max_value_size == 400_000


def test_plugin_module_is_light() -> None:
    code = textwrap.dedent(
        """
        import sys
        import kv_vault
        import kv_vault.plugin
        from kv import registry
        registry.resolve("vault")
        registry.resolve("vault+https")
        registry.plugins()
        print(",".join(sorted(
            name for name in ("kv_vault.store", "kv_vault.client", "hvac", "requests")
            if name in sys.modules
        )))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == ""


# --- URLs and options ---------------------------------------------------------------


def test_url_forms() -> None:
    plain = options_of("vault://vault.internal/kv")
    assert (plain.hosts, plain.port, plain.mount, plain.tls) == (
        ("vault.internal",),
        (8200,),
        "kv",
        False,
    )
    assert base_url(plain) == "http://vault.internal:8200"
    tls = options_of("vault+https://vault.internal:8443/team/kv?prefix=apps/cache/")
    assert (tls.mount, tls.prefix, tls.tls) == ("team/kv", "apps/cache", True)
    assert base_url(tls) == "https://vault.internal:8443"
    assert options_of("vault://127.0.0.1:8200").mount == "secret"
    assert options_of("vault://127.0.0.1:8200/").mount == "secret"
    assert options_of("vault://h/secret?tls=true").tls
    assert options_of("vault://h/secret?mount=other").mount == "other"
    assert base_url(options_of("vault://[::1]:8201/secret")) == "http://[::1]:8201"
    assert options_of("vault://h/s?namespace=team/a").namespace == "team/a"


def test_keywords_and_the_store_constructor() -> None:
    store = VaultStore("vault://h:1234/kv", prefix="p", token=SECRET_TOKEN, max_threads=4)
    assert store.options.mount == "kv"
    assert store.options.max_threads == 4
    assert store.layout.folder == "p/"
    bare = VaultStore(mount="secret")
    assert base_url(bare.options) is None  # hvac reads VAULT_ADDR
    assert bare.options.sweep_interval is None
    assert "$VAULT_ADDR" in repr(bare)


@pytest.mark.parametrize(
    ("url", "match"),
    [
        ("vault://user:pw@h/secret", "takes a token"),
        ("vault://:pw@h/secret", "takes a token"),
        ("vault+http://h/secret", "Unknown scheme|vault\\+http"),
        ("vault://h1,h2/secret", "one Vault server"),
    ],
)
def test_bad_urls(url: str, match: str) -> None:
    with pytest.raises((InvalidURLError, kv.errors.KeyValueError), match=match):
        kv.connect(url)


@pytest.mark.parametrize(
    ("query", "option"),
    [
        ("mount=a/../b", "mount"),
        ("mount=a//b", "mount"),
        ("mount=a%20b", "mount"),
        ("prefix=../x", "prefix"),
        ("prefix=a/./b", "prefix"),
        ("prefix=a:b", "prefix"),
        ("namespace=a%20b", "namespace"),
        ("max_threads=0", "max_threads"),
        ("sweep_interval=-1", "sweep_interval"),
        ("bogus=1", "bogus"),
    ],
)
def test_bad_options_name_the_option(query: str, option: str) -> None:
    with pytest.raises(InvalidOptionError, match=option):
        kv.connect(f"vault://h/secret?{query}")


def test_bad_mount_as_keyword() -> None:
    with pytest.raises(InvalidOptionError, match="mount"):
        VaultStore(mount="")
    with pytest.raises(InvalidOptionError, match="mount"):
        VaultStore(mount=7)
    with pytest.raises(InvalidOptionError, match="hosts"):
        VaultStore(hosts=("a", "b"))


def test_the_token_is_never_shown() -> None:
    for store in (
        kv.connect(f"vault://h/secret?token={SECRET_TOKEN}"),
        VaultStore("vault://h/secret", token=SECRET_TOKEN),
    ):
        assert isinstance(store, VaultStore)
        assert store.options.token == SECRET_TOKEN
        for text in (repr(store), str(store), repr(store.options)):
            assert SECRET_TOKEN not in text
    with pytest.raises(InvalidOptionError) as raised:
        kv.connect(f"vault://h/secret?token={SECRET_TOKEN}&max_threads=x")
    assert SECRET_TOKEN not in str(raised.value)


# --- the hvac client ------------------------------------------------------------------


def test_client_of_the_options(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VAULT_CACERT", raising=False)
    monkeypatch.delenv("VAULT_CAPATH", raising=False)
    options = options_of(
        "vault+https://vault.internal:8443/kv?namespace=team&connect_timeout=2&command_timeout=7",
        token=SECRET_TOKEN,
    )
    client = make_client(options)
    try:
        assert isinstance(client, hvac.Client)
        assert client.url == "https://vault.internal:8443"
        assert client.token == SECRET_TOKEN
        assert client.adapter.namespace == "team"
        assert client.session.verify is True
    finally:
        client.adapter.close()
    unverified = make_client(options_of("vault+https://h/kv?tls_verify=false"))
    assert unverified.session.verify is False
    unverified.adapter.close()
    bundle = make_client(options_of("vault+https://h/kv?ca_file=/etc/ca.pem"))
    assert bundle.session.verify == "/etc/ca.pem"
    bundle.adapter.close()


def test_client_takes_the_token_and_address_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("VAULT_TOKEN", SECRET_TOKEN)
    monkeypatch.setenv("VAULT_ADDR", "http://from-env:8200")
    client = make_client(VaultStore(mount="secret").options)
    try:
        assert client.token == SECRET_TOKEN
        assert client.url == "http://from-env:8200"
    finally:
        client.adapter.close()
    # The URL's server wins over VAULT_ADDR.
    named = make_client(options_of("vault://named:8200/secret"))
    assert named.url == "http://named:8200"
    named.adapter.close()


# --- the mount -------------------------------------------------------------------------

KV2 = {"data": {"type": "kv", "path": "secret/", "options": {"version": "2"}}}


def test_a_kv_version_2_mount_passes() -> None:
    check_mount_answer(KV2, "secret")
    check_mount_answer({"data": {"type": "kv", "options": {"version": 2}}}, "team/kv")


@pytest.mark.parametrize(
    ("answer", "mount", "match"),
    [
        ({"data": {"type": "kv", "path": "secret/", "options": {"version": "1"}}}, "secret",
         "not a KV version 2"),
        ({"data": {"type": "kv", "path": "secret/", "options": None}}, "secret",
         "not a KV version 2"),
        ({"data": {"type": "transit", "path": "secret/", "options": {}}}, "secret",
         "not a KV version 2"),
        (KV2, "secret/apps", "inside the mount 'secret'"),
        ({"data": None}, "secret", "did not describe"),
        (None, "secret", "did not describe"),
    ],
)  # fmt: skip
def test_other_mounts_are_setup_errors(answer: object, mount: str, match: str) -> None:
    with pytest.raises(StoreSetupError, match=match):
        check_mount_answer(answer, mount)
