"""StoreURL parsing, rendering and password masking."""

from __future__ import annotations

import pytest

from kv import InvalidURLError, StoreURL
from kv.url import Host


def test_full_url() -> None:
    url = StoreURL.parse("redis+cluster://user:p%40ss@h1:7000,[::1]:7001/0?a=1&a=2&b=")
    assert url.scheme == "redis+cluster"
    assert url.base_scheme == "redis"
    assert url.variant == "cluster"
    assert url.username == "user"
    assert url.password == "p@ss"
    assert url.hosts == (Host("h1", 7000), Host("::1", 7001))
    assert url.host == "h1"
    assert url.port == 7000
    assert url.path == "/0"
    assert url.query["a"] == ("1", "2")
    assert url.query["b"] == ("",)


def test_password_is_masked() -> None:
    url = StoreURL.parse("postgresql://admin:hunter2@db/kv")
    assert "hunter2" not in repr(url)
    assert "hunter2" not in str(url)
    assert "***" in str(url)
    assert "hunter2" in url.render(hide_password=False)


def test_unparseable_url_does_not_echo_the_password() -> None:
    with pytest.raises(InvalidURLError) as caught:
        StoreURL.parse("no-scheme-user:hunter2@host")
    assert "hunter2" not in str(caught.value)
    with pytest.raises(InvalidURLError) as caught:
        StoreURL.parse("//user:hunter2@host")
    assert "hunter2" not in str(caught.value)


@pytest.mark.parametrize(
    ("text", "location"),
    [
        ("disk:///var/kv", "/var/kv"),
        ("disk://./data", "./data"),
        ("duckdb://:memory:", ":memory:"),
        ("file://relative/dir", "relative/dir"),
        ("memory://", ""),
        ("disk:///tmp/with%20space", "/tmp/with space"),
    ],
)
def test_location_for_file_stores(text: str, location: str) -> None:
    assert StoreURL.parse(text).location == location


def test_scheme_is_lower_cased() -> None:
    assert StoreURL.parse("Memory://").scheme == "memory"


@pytest.mark.parametrize(
    "bad", ["redis://h:notaport", "redis://h:0", "redis://h:70000", "redis://[::1"]
)
def test_bad_authority_is_reported_when_hosts_are_read(bad: str) -> None:
    url = StoreURL.parse(bad)
    with pytest.raises(InvalidURLError):
        _ = url.hosts


def test_not_a_string() -> None:
    with pytest.raises(InvalidURLError):
        StoreURL.parse(42)  # type: ignore[arg-type]


def test_immutable_and_derived_copies() -> None:
    url = StoreURL.parse("memory://?a=1")
    changed = url.with_query({"a": "2", "b": "3"})
    assert url.query["a"] == ("1",)
    assert changed.query["a"] == ("2",)
    assert changed.query["b"] == ("3",)
    assert changed.without_query().query_items == ()
    with pytest.raises(AttributeError):
        url.scheme = "x"  # type: ignore[misc]
    assert StoreURL.parse(url) is url


def test_render_round_trip() -> None:
    text = "redis://user:pw@localhost:6379/0?ssl_ca_certs=%2Fetc%2Fca.pem"
    url = StoreURL.parse(text)
    assert StoreURL.parse(url.render(hide_password=False)) == url


def test_local_path_of_file_stores() -> None:
    assert StoreURL.parse("disk:///var/kv").local_path() == "/var/kv"
    assert StoreURL.parse("disk://data/kv").local_path() == "data/kv"
    assert StoreURL.parse("disk:///C:/kv").local_path() == "/C:/kv"
    assert StoreURL.parse("disk:///C:/kv").local_path(windows_drive=True) == "C:/kv"
    with pytest.raises(InvalidURLError, match="needs a directory: disk:///absolute/dir"):
        StoreURL.parse("disk://").local_path()
    with pytest.raises(InvalidURLError, match="needs a file path: x://:memory:"):
        StoreURL.parse("x://").local_path(kind="file path", forms=("x://:memory:",))
    with pytest.raises(InvalidURLError, match="not a user or password") as caught:
        StoreURL.parse("disk://u:secret@/kv").local_path()
    assert "secret" not in str(caught.value)
