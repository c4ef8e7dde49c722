"""kv-resp's options without a server: the URL as the first argument, checks, secrets.

A store class on a stand-in driver (nothing connects: a store connects on its
first call) shows what ``RespStore(url, **options)``, ``url=``, ``from_url``
and ``RespStore(store.options)`` build.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kv.capabilities import Capabilities
from kv.errors import InvalidOptionError, InvalidURLError
from kv.url import StoreURL
from kv_resp import RespDriver, RespErrors, RespSchemes, RespStore

_NONE: tuple[type[BaseException], ...] = ()


class _Store(RespStore):
    capabilities = Capabilities(
        enumerate_keys=True,
        enumerate_collections=True,
        destroy=True,
        destroy_collection=True,
        native_ttl=True,
        persistent=True,
        asyncio_only=True,
        atomic=True,  # RespStore has the atomic operations: a subclass declares them
    )
    store_name = "r"
    driver = RespDriver(
        library="none",
        client=object,
        cluster_client=type,
        cluster_node=lambda host, port: (host, port),
        retry=lambda retries: retries,
        errors=RespErrors(*([_NONE] * 9)),
    )
    schemes = RespSchemes(plain="r", tls="rs", cluster="r+cluster", unix="r+unix")


def test_a_positional_url_means_what_from_url_means() -> None:
    text = "r://user:pw-s3cret@h:1/2?socket_timeout=3&namespace=q"
    store = _Store(text, client_name="c")
    assert store.options == _Store.from_url(StoreURL.parse(text), client_name="c").options
    assert store.options.url == "r://h:1/2"
    assert (store.options.username, store.options.password) == ("user", "pw-s3cret")
    assert (store.options.socket_timeout, store.options.client_name) == (3.0, "c")
    assert store.layout.namespace == "q"
    assert store.target is not None
    assert (str(store.target.hosts[0]), store.target.db) == ("h:1", 2)
    assert _Store(url=text, client_name="c").options == store.options
    assert "pw-s3cret" not in repr(store.options)


def test_without_a_url_the_store_uses_the_default_server() -> None:
    store = _Store()
    assert store.options.url is None
    assert store.target is not None
    assert store.target.describe() == "localhost:6379/0"


def test_keywords_and_query_win_over_the_url_user_info() -> None:
    store = _Store("r://u:p@h?username=q")
    assert (store.options.username, store.options.password) == ("q", "p")
    store = _Store("r://u:p@h?password=q", password="k")
    assert (store.options.username, store.options.password) == ("u", "k")


def test_the_options_rebuild_the_same_store() -> None:
    for url in ("r://u:p@h:1/2", "rs://h", "r+unix:///s.sock?db=3", "r+cluster://a,b:2/"):
        store = _Store(url, namespace="n")
        again = _Store(store.options)
        assert again.options is store.options
        assert (again.target, again.layout.namespace) == (store.target, "n")
    client = object()
    on_client = _Store(client=client)
    assert _Store(on_client.options).options.client is client


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"db": -1}, "db must be an int >= 0, not -1"),
        ({"retries": -1}, "retries must be an int >= 0"),
        ({"max_connections": 0}, "max_connections must be an int >= 1"),
        ({"socket_timeout": 0}, "socket_timeout must be"),
        ({"socket_connect_timeout": -1.0}, "socket_connect_timeout must be"),
        ({"ssl_ca_certs": "/no/such/ca.pem"}, "ssl_ca_certs must name an existing file"),
        ({"ssl_ca_path": "/no/such/dir"}, "ssl_ca_path must name an existing directory"),
        ({"namespace": ""}, "namespace is invalid"),
        ({"client": "x"}, "client must be an asyncio client object"),
        ({"client": object(), "socket_timeout": 3}, "socket_timeout cannot be combined"),
    ],
)
def test_bad_options_name_the_option(options: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidOptionError) as caught:
        _Store(**options)
    assert message in str(caught.value)
    assert caught.value.store == "r"


def test_a_key_file_needs_a_certificate(tmp_path: Path) -> None:
    key = tmp_path / "client.key"
    key.write_text("not really a key")
    with pytest.raises(InvalidOptionError, match="ssl_keyfile needs ssl_certfile"):
        _Store("rs://h", ssl_keyfile=str(key))


def test_a_client_excludes_a_url() -> None:
    with pytest.raises(InvalidOptionError, match="either a URL or a client"):
        _Store("r://h", client=object())
    with pytest.raises(InvalidOptionError, match="either a URL or a client"):
        _Store(url="r://h", client=object())


def test_the_url_must_fit_the_schemes() -> None:
    with pytest.raises(InvalidURLError):
        _Store("x://h")
    with pytest.raises(InvalidURLError):
        _Store("r://h?url=r://other")
    with pytest.raises(InvalidURLError):
        _Store("r://h/1", db=2)
