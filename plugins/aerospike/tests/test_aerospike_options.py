"""The declaration, URL forms, options and the client configuration, without a server.

The configuration is also handed to the real aerospike client with
``validate_keys`` on: a key the client does not know would be a ParamError
before it ever connects.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import aerospike
import pytest
from aerospike import exception

import kv
from kv import registry
from kv.errors import InvalidOptionError, InvalidURLError
from kv_aerospike import AerospikeOptions, AerospikeStore
from kv_aerospike.plugin import AEROSPIKE_CAPABILITIES, DEFAULT_NAMESPACE, DEFAULT_SET, PLUGIN
from kv_aerospike.policies import client_config


def options_of(url: str) -> AerospikeOptions:
    store = kv.connect(url)
    assert isinstance(store, AerospikeStore)
    return store.options


def test_the_scheme_resolves_to_the_declaration() -> None:
    assert registry.resolve("aerospike") is PLUGIN
    assert registry.origin("aerospike") == "kv-aerospike"
    assert AerospikeStore.capabilities == AEROSPIKE_CAPABILITIES
    assert AEROSPIKE_CAPABILITIES.native_ttl
    assert AEROSPIKE_CAPABILITIES.atomic
    assert not AEROSPIKE_CAPABILITIES.asyncio_only  # the client runs in threads


def test_plugin_module_is_light() -> None:
    code = textwrap.dedent(
        """
        import sys
        import kv_aerospike
        from kv import registry
        registry.resolve("aerospike")
        registry.plugins()
        print(",".join(sorted(
            name for name in ("kv_aerospike.store", "aerospike", "aerospike_helpers")
            if name in sys.modules
        )))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == ""


def test_a_url_names_hosts_ports_namespace_and_set() -> None:
    options = options_of("aerospike://db1:3000,db2:3100/cache/sessions")
    assert options.hosts == ("db1", "db2")
    assert options.port == (3000, 3100)
    assert (options.namespace, options.set_name) == ("cache", "sessions")


@pytest.mark.parametrize(
    ("url", "namespace", "set_name"),
    [
        ("aerospike://db", DEFAULT_NAMESPACE, DEFAULT_SET),
        ("aerospike://db/", DEFAULT_NAMESPACE, DEFAULT_SET),
        ("aerospike://db/cache", "cache", DEFAULT_SET),
        ("aerospike://db/cache/", "cache", DEFAULT_SET),
        ("aerospike://db/cache/s.1-a_b", "cache", "s.1-a_b"),
    ],
)
def test_namespace_and_set_default_to_py_key_values(
    url: str, namespace: str, set_name: str
) -> None:
    options = options_of(url)
    assert (options.namespace, options.set_name) == (namespace, set_name)


def test_the_query_wins_over_the_path() -> None:
    options = options_of("aerospike://db/cache/one?set_name=two&namespace=other")
    assert (options.namespace, options.set_name) == ("other", "two")


@pytest.mark.parametrize("url", ["aerospike://db/a/b/c", "aerospike://db//b"])
def test_a_path_of_another_form_is_refused(url: str) -> None:
    with pytest.raises(InvalidURLError, match="NAMESPACE/SET"):
        kv.connect(url)


@pytest.mark.parametrize(
    "keywords",
    [
        {"namespace": "has space"},
        {"namespace": "n" * 32},
        {"set_name": "a:b"},
        {"set_name": "s" * 64},
        {"set_name": ""},
        {"threads": 0},
        {"user": "alice"},
        {"password": "only-a-password"},
        {"port": (3000, 3001)},
    ],
)
def test_bad_options_are_refused(keywords: dict[str, object]) -> None:
    with pytest.raises(InvalidOptionError) as raised:
        AerospikeStore(hosts=("db",), **keywords)
    assert "only-a-password" not in str(raised.value)


def test_a_bad_set_name_in_the_url_is_refused() -> None:
    with pytest.raises(InvalidOptionError, match="set_name"):
        kv.connect("aerospike://db/test/a;b")


def test_the_password_is_never_shown() -> None:
    store = kv.connect("aerospike://alice:s3cret-pw@db:3000/test/kv")
    assert isinstance(store, AerospikeStore)
    assert store.options.user == "alice"
    assert store.options.password == "s3cret-pw"
    for text in (repr(store), str(store), repr(store.options)):
        assert "s3cret-pw" not in text


def test_the_store_is_built_without_connecting() -> None:
    store = AerospikeStore("aerospike://127.0.0.1:1/test/kv")
    assert repr(store) == (
        "<AerospikeStore hosts='127.0.0.1' namespace='test' set='kv'"
        " default_collection='default_collection'>"
    )
    assert store.options.sweep_interval is None  # the server expires records itself


def test_client_config_of_a_url() -> None:
    options = options_of(
        "aerospike://alice:pw@db1:3000,db2:3100/test/kv?connect_timeout=2.5&command_timeout=0.25"
    )
    config = client_config(options)
    assert config["hosts"] == [("db1", 3000), ("db2", 3100)]
    assert (config["user"], config["password"]) == ("alice", "pw")
    assert config["connect_timeout"] == 2500
    assert {policy["total_timeout"] for policy in config["policies"].values()} == {250}
    assert set(config["policies"]) >= {"read", "write", "remove", "batch", "query"}
    assert "tls" not in config


def test_client_config_defaults() -> None:
    config = client_config(AerospikeOptions(command_timeout=None))
    assert config["hosts"] == [("localhost", 3000)]
    assert "user" not in config
    assert "password" not in config
    assert {policy["total_timeout"] for policy in config["policies"].values()} == {0}


def test_one_port_serves_every_host() -> None:
    config = client_config(AerospikeOptions(hosts=("a", "b"), port=(4000,)))
    assert config["hosts"] == [("a", 4000), ("b", 4000)]


def test_tls_options() -> None:
    named = client_config(AerospikeOptions(hosts=("db",), tls_name="cluster.example"))
    assert named["hosts"] == [("db", 3000, "cluster.example")]
    assert named["tls"] == {"enable": True}
    verified = client_config(AerospikeOptions(tls_cafile="/etc/ca.pem"))
    assert verified["tls"] == {"enable": True, "cafile": "/etc/ca.pem"}
    assert verified["hosts"] == [("localhost", 3000)]


def test_the_client_takes_every_key_of_the_config() -> None:
    """The real client validates the keys, then fails to connect (nothing listens)."""
    options = AerospikeOptions(
        hosts=("127.0.0.1",), port=(1,), user="u", password="p", connect_timeout=0.5
    )
    config = {**client_config(options), "validate_keys": True}
    with pytest.raises(exception.ConnectionError):  # type: ignore[attr-defined]
        aerospike.client(config)
