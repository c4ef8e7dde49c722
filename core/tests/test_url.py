"""StoreURL parsing, rendering and password masking."""

from __future__ import annotations

import pytest

from kv import InvalidURLError, StoreURL
from kv.url import Host, is_secret_option


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


# --- secrets in query options -------------------------------------------------------

SECRET = "s3cret-" + "q9"
SECRET_NAMES = [
    "password",
    "ssl_password",
    "PASSWORD",
    "passwd",
    "passphrase",
    "secret",
    "client_secret",
    "token",
    "auth_token",
    "api_key",
    "apiKey",
    "access_key",
    "secret_key",
    "ssl_keyfile",
    "credentials",
    "sas",
    "sas_token",
    "sig",
    "authorization",
    "pwd",
]


@pytest.mark.parametrize("name", SECRET_NAMES)
def test_secret_query_options_are_masked(name: str) -> None:
    assert is_secret_option(name)
    url = StoreURL.parse(f"redis://u:pw@host/0?db=1&{name}={SECRET}&timeout=5")
    for shown in (str(url), repr(url), url.render(), f"{url}", f"{url!r}"):
        assert SECRET not in shown
        assert f"{name}=***" in shown
        assert "db=1" in shown
        assert "timeout=5" in shown
        assert ":***@" in shown
    assert url.query[name] == (SECRET,)
    real = url.render(hide_password=False)
    assert f"{name}={SECRET}" in real
    assert StoreURL.parse(real) == url


@pytest.mark.parametrize("name", ["db", "timeout", "ssl_ca_certs", "namespace", "table", "host"])
def test_ordinary_options_are_shown(name: str) -> None:
    assert not is_secret_option(name)
    assert f"{name}=v1" in str(StoreURL.parse(f"x://h?{name}=v1"))


def test_encoded_and_repeated_secrets_are_masked() -> None:
    url = StoreURL.parse("x://h?token=a%26b%3Dc&token=second-tok&Password=P%40ss")
    shown = str(url)
    for secret in ("a%26b", "a&b", "second-tok", "P%40ss", "P@ss"):
        assert secret not in shown
    assert url.secrets() == ("a&b=c", "second-tok", "P@ss")
    assert url.redact("got a&b=c, a%26b%3Dc and P%40ss") == "got ***, *** and ***"


def test_redact_masks_the_password_and_query_secrets() -> None:
    url = StoreURL.parse(f"redis://u:{SECRET}x@h/0?api_key={SECRET}")
    message = f"client said: redis://u:{SECRET}x@h/0?api_key={SECRET} refused"
    assert SECRET not in url.redact(message)
    assert StoreURL.parse("memory://").redact("nothing to hide") == "nothing to hide"


@pytest.mark.parametrize(
    "text",
    [
        f"no-scheme?password={SECRET}",
        f"//host/0?ssl_password={SECRET}&db=0",
        f"redis//u:{SECRET}@h?x=1",
        f"bad?api_key={SECRET}#frag",
    ],
)
def test_unparseable_url_does_not_echo_query_secrets(text: str) -> None:
    with pytest.raises(InvalidURLError) as caught:
        StoreURL.parse(text)
    assert SECRET not in str(caught.value)
    assert SECRET not in repr(caught.value)


def test_url_errors_do_not_echo_query_secrets() -> None:
    url = StoreURL.parse(f"redis://h:notaport/0?password={SECRET}")
    with pytest.raises(InvalidURLError) as caught:
        _ = url.hosts
    assert SECRET not in str(caught.value)
    with pytest.raises(InvalidURLError) as caught:
        StoreURL.parse(f"disk://u:p@/kv?token={SECRET}").local_path()
    assert SECRET not in str(caught.value)


def test_store_errors_quoting_the_url_do_not_echo_query_secrets() -> None:
    import kv

    with pytest.raises(InvalidURLError) as caught:
        kv.connect(f"memory://somewhere?password={SECRET}")
    assert SECRET not in str(caught.value)
    assert "password=***" in str(caught.value)
