"""What needs no server: discovery, URL forms, options, credentials and the name mapping."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

import kv
from kv import registry
from kv_azure_tables.clients import resolve_target
from kv_azure_tables.names import (
    MAX_LENGTH,
    decode_name,
    encode_name,
    hash_name,
    is_hashed,
)
from kv_azure_tables.plugin import PLUGIN, AzureTablesOptions
from kv_azure_tables.store import AzureTablesStore
from kv_conformance.emulators import AZURITE_KEY

CONNECTION = (
    "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
    f"AccountKey={AZURITE_KEY};TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;"
)
NO_ENVIRONMENT: dict[str, str] = {}


def test_the_scheme_resolves_to_this_plugin() -> None:
    assert registry.resolve("azure-tables") is PLUGIN
    assert registry.origin("azure-tables") == "kv-azure-tables"
    store = kv.connect("azure-tables://acct/kvtable", account_key="k")
    assert isinstance(store, AzureTablesStore)
    assert store.store_name == "azure-tables"


def test_plugin_module_is_light() -> None:
    """Resolving the scheme imports neither the store nor azure-data-tables nor aiohttp."""
    code = textwrap.dedent(
        """
        import sys
        import kv_azure_tables
        from kv import registry
        registry.resolve("azure-tables")
        registry.plugins()
        print(",".join(sorted(
            name for name in ("kv_azure_tables.store", "azure.data.tables", "aiohttp")
            if name in sys.modules
        )))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == ""


@pytest.mark.parametrize(
    ("url", "account", "table"),
    [
        ("azure-tables://acct/kvtable", "acct", "kvtable"),
        ("azure-tables://acct/kvtable/", "acct", "kvtable"),
        ("azure-tables://acct", "acct", "kvstore"),
        ("azure-tables:///kvtable", None, "kvtable"),
        ("azure-tables://", None, "kvstore"),
    ],
)
def test_url_forms(url: str, account: str | None, table: str) -> None:
    store = kv.connect(url)
    assert isinstance(store, AzureTablesStore)
    assert (store.options.account, store.options.table) == (account, table)


@pytest.mark.parametrize(
    "url",
    [
        "azure-tables://acct:10002/kvtable",
        "azure-tables://user:secret@acct/kvtable",
        "azure-tables://a,b/kvtable",
        "azure-tables://acct/a/b",
    ],
)
def test_bad_urls_are_refused(url: str) -> None:
    with pytest.raises(kv.InvalidURLError) as caught:
        kv.connect(url)
    assert "secret" not in str(caught.value)


@pytest.mark.parametrize(
    "options",
    [
        {"table": "ab"},
        {"table": "1table"},
        {"table": "has-dash"},
        {"table": "x" * 64},
        {"account": "bad account"},
        {"endpoint": "ftp://host"},
        {"retries": -1},
        {"connect_timeout": 0},
        {"account_key": "key-text", "sas_token": "sas-text"},
        {"connection_string": "not a connection string"},
    ],
)
def test_bad_options_are_refused(options: dict[str, object]) -> None:
    with pytest.raises(kv.InvalidOptionError) as caught:
        AzureTablesStore(**options)
    for name in ("account_key", "sas_token", "connection_string"):
        if name in options:
            assert str(options[name]) not in str(caught.value)


def test_cosmos_endpoints_take_cosmos_table_names() -> None:
    store = AzureTablesStore(
        table="my table-1", endpoint="https://acct.table.cosmos.azure.com", account_key="k"
    )
    assert store.options.table == "my table-1"


def test_a_connection_string_in_the_url_is_refused_unshown() -> None:
    with pytest.raises(kv.InvalidOptionError) as caught:
        kv.connect("azure-tables://acct/kvtable?connection_string=AccountKey%3Dsecretvalue")
    assert "secretvalue" not in str(caught.value)
    assert "AZURE_STORAGE_CONNECTION_STRING" in str(caught.value)


def test_secrets_are_never_shown() -> None:
    store = kv.connect("azure-tables://acct/kvtable?account_key=the-key-text", read_timeout=5)
    assert isinstance(store, AzureTablesStore)
    with_string = AzureTablesStore(connection_string=CONNECTION)
    with_sas = AzureTablesStore(account="acct", sas_token="sv=1&sig=the-signature")
    for shown in (repr(store), repr(store.options), repr(with_string.options), repr(with_sas)):
        assert "the-key-text" not in shown
        assert AZURITE_KEY not in shown
        assert "the-signature" not in shown
    assert "connection_string='***'" in repr(with_string.options)


def test_credentials_from_the_options() -> None:
    target = resolve_target(AzureTablesOptions(connection_string=CONNECTION), NO_ENVIRONMENT)
    assert target.endpoint == "http://127.0.0.1:10002/devstoreaccount1"
    assert target.account == "devstoreaccount1"
    overridden = resolve_target(
        AzureTablesOptions(connection_string=CONNECTION, endpoint="http://127.0.0.1:1/x"),
        NO_ENVIRONMENT,
    )
    assert overridden.endpoint == "http://127.0.0.1:1/x"
    keyed = resolve_target(AzureTablesOptions(account="acct", account_key="a2V5"), NO_ENVIRONMENT)
    assert keyed.endpoint == "https://acct.table.core.windows.net"
    assert keyed.credential.named_key.name == "acct"
    signed = resolve_target(AzureTablesOptions(account="acct", sas_token="?sv=1&sig=x"), {})
    assert signed.credential.signature == "sv=1&sig=x"
    for target in (keyed, signed):
        assert "a2V5" not in repr(target)
        assert "sig=x" not in repr(target)


def test_credentials_from_the_environment() -> None:
    """A URL plus the environment Azure's tools read is enough."""
    options = AzureTablesOptions(table="kvtable")
    target = resolve_target(options, {"AZURE_STORAGE_CONNECTION_STRING": CONNECTION})
    assert target.account == "devstoreaccount1"
    keyed = resolve_target(
        options, {"AZURE_STORAGE_ACCOUNT": "envacct", "AZURE_STORAGE_KEY": "a2V5"}
    )
    assert keyed.endpoint == "https://envacct.table.core.windows.net"
    signed = resolve_target(
        AzureTablesOptions(account="acct"), {"AZURE_STORAGE_SAS_TOKEN": "sv=1&sig=x"}
    )
    assert signed.credential.signature == "sv=1&sig=x"
    # Options win over the environment.
    explicit = resolve_target(
        AzureTablesOptions(account="acct", account_key="a2V5"),
        {"AZURE_STORAGE_CONNECTION_STRING": CONNECTION},
    )
    assert explicit.account == "acct"


def test_missing_or_conflicting_credentials_are_setup_errors() -> None:
    with pytest.raises(kv.StoreSetupError, match="AZURE_STORAGE_CONNECTION_STRING"):
        resolve_target(AzureTablesOptions(account="acct"), NO_ENVIRONMENT)
    with pytest.raises(kv.StoreSetupError, match="No Azure Tables account"):
        resolve_target(AzureTablesOptions(), NO_ENVIRONMENT)
    with pytest.raises(kv.StoreSetupError, match="'other'") as caught:
        resolve_target(AzureTablesOptions(account="other", connection_string=CONNECTION), {})
    assert AZURITE_KEY not in str(caught.value)
    with pytest.raises(kv.StoreSetupError) as unreadable:
        resolve_target(
            AzureTablesOptions(connection_string="AccountName=x;Nonsense=the-secret"), {}
        )
    assert "the-secret" not in str(unreadable.value)


@pytest.mark.anyio
async def test_no_credentials_is_a_setup_error_on_first_use(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("AZURE_STORAGE_CONNECTION_STRING", "AZURE_STORAGE_KEY", "AZURE_STORAGE_SAS_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    store = kv.connect("azure-tables://acct/kvtable")
    with pytest.raises(kv.StoreSetupError, match="No credentials"):
        await store.get("k")


@pytest.mark.parametrize(
    "name",
    [
        "plain",
        "with space ",
        "ünïcødé 鍵",
        "a/b",
        "back\\slash",
        "hash#",
        "query?",
        "nul\x00byte",
        "\x7f\x85\x9f",
        "~tilde",
        "mid~tilde/",
        "~~",
        "%41'quote'",
        "x" * MAX_LENGTH,
        "/" * 170,
    ],
)
def test_names_map_reversibly(name: str) -> None:
    stored = encode_name(name)
    assert not any(char in stored for char in "/\\#?")
    assert not any(ord(char) < 0x20 or 0x7F <= ord(char) <= 0x9F for char in stored)
    assert len(stored.encode("utf-16-le")) // 2 <= MAX_LENGTH
    assert not is_hashed(stored)
    assert decode_name(stored) == name


def test_plain_names_are_stored_as_they_are() -> None:
    """py-key-value stores names unchanged: so does kv, wherever the service allows."""
    for name in ("users", "alice", "a b", "ünïcødé", "it's", "50%", "x~y"):
        assert encode_name(name) == name


@pytest.mark.parametrize("name", ["x" * (MAX_LENGTH + 1), "😀" * 257, "/" * 171, "k" * 1500])
def test_long_names_are_hashed(name: str) -> None:
    stored = encode_name(name)
    assert stored == hash_name(name)
    assert is_hashed(stored)
    assert encode_name(name + "!") != stored
