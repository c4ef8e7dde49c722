"""Option parsing: query text converted, keywords win, clear errors."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pytest

from kv import InvalidOptionError, InvalidURLError, StoreURL, checks
from kv.options import ServerOptions, option, parse_options


@dataclass
class Example:
    size: int = 1
    ratio: float = 0.5
    enabled: bool = False
    name: str | None = None
    mode: Literal["fast", "safe"] = "safe"
    hosts: tuple[str, ...] = ()
    root: Path | None = None
    password: str | None = None
    client: object | None = None


def parse(url: str, **keywords: object) -> Example:
    return parse_options(StoreURL.parse(url), keywords, Example, store="example")


def test_query_text_is_converted() -> None:
    got = parse("x://?size=3&ratio=1.5&enabled=yes&name=n&mode=fast&hosts=a,b&root=/tmp")
    assert got == Example(3, 1.5, True, "n", "fast", ("a", "b"), Path("/tmp"))


def test_repeated_query_name_for_a_tuple() -> None:
    assert parse("x://?hosts=a&hosts=b").hosts == ("a", "b")


def test_keywords_override_query() -> None:
    assert parse("x://?size=3", size=7).size == 7
    assert parse("x://?enabled=true", enabled=False).enabled is False


def test_keyword_text_is_converted_and_objects_pass() -> None:
    marker = object()
    got = parse("x://", size="9", client=marker)
    assert got.size == 9
    assert got.client is marker


@pytest.mark.parametrize(
    ("url", "keywords", "fragment"),
    [
        ("x://?nope=1", {}, "Unknown URL query option 'nope'"),
        ("x://", {"nope": 1}, "Unknown keyword option 'nope'"),
        ("x://?size=big", {}, "'size'"),
        ("x://?enabled=maybe", {}, "true or false"),
        ("x://?mode=slow", {}, "must be one of"),
        ("x://?size=1&size=2", {}, "more than once"),
        ("x://", {"size": True}, "must be an int"),
        ("x://", {"ratio": "x"}, "'ratio'"),
    ],
)
def test_errors_name_the_option(url: str, keywords: dict[str, object], fragment: str) -> None:
    with pytest.raises(InvalidOptionError) as caught:
        parse(url, **keywords)
    assert fragment in str(caught.value)
    assert "example" in str(caught.value)


def test_bad_secret_value_is_not_echoed() -> None:
    @dataclass
    class Secretive:
        api_key: int = 0

    with pytest.raises(InvalidOptionError) as caught:
        parse_options(StoreURL.parse("x://?api_key=s3cr3t"), {}, Secretive, store="s")
    assert "s3cr3t" not in str(caught.value)


def test_unknown_option_lists_accepted_ones() -> None:
    with pytest.raises(InvalidOptionError) as caught:
        parse("x://?siz=1")
    assert "size" in str(caught.value)


def test_memory_store_options_through_connect() -> None:
    import kv

    store = kv.connect("memory://?max_entries=5")
    assert store.max_entries == 5  # type: ignore[attr-defined]
    assert kv.connect("memory://?max_entries=5", max_entries=9).max_entries == 9  # type: ignore[attr-defined]
    with pytest.raises(InvalidOptionError):
        kv.connect("memory://?max_entries=0")
    with pytest.raises(InvalidOptionError):
        kv.connect("memory://?max_entry=5")
    with pytest.raises(kv.InvalidURLError):
        kv.connect("memory://somewhere/else")


SECRET = "s3cret-" + "opt7"


@dataclass
class WithSecrets:
    ssl_password: int = 0
    token: float = 0.0
    api_key: bool = False
    client: int = 0


class _Leaky:
    def __repr__(self) -> str:
        return f"<Leaky {SECRET}>"


@pytest.mark.parametrize(
    ("url", "keywords"),
    [
        (f"x://?ssl_password={SECRET}", {}),
        (f"x://?token={SECRET}", {}),
        (f"x://?api_key={SECRET}", {}),
        ("x://", {"ssl_password": SECRET}),
        ("x://", {"token": _Leaky()}),
        ("x://", {"client": _Leaky()}),
        ("x://", {"client": [SECRET]}),
    ],
)
def test_option_errors_never_show_a_secret(url: str, keywords: dict[str, object]) -> None:
    with pytest.raises(InvalidOptionError) as caught:
        parse_options(StoreURL.parse(url), keywords, WithSecrets, store="s")
    assert SECRET not in str(caught.value)
    assert SECRET not in repr(caught.value)
    assert "store=s" in str(caught.value)


def test_ordinary_option_error_still_shows_the_text() -> None:
    with pytest.raises(InvalidOptionError, match="'client' = 'abc'"):
        parse_options(StoreURL.parse("x://?client=abc"), {}, WithSecrets, store="s")


def test_declared_options_hide_secrets_in_repr_and_check_values() -> None:
    from kv import checks
    from kv.options import CommonOptions, option

    class Declared(CommonOptions):
        """Options of a test store.

        Attributes:
            path: Where the data lives.
            password: The server's password.
            table: The table.
        """

        positional = "path"
        path: str = option(check=checks.local_path)
        password: str | None = None
        table: str = option(default="kv", check=checks.sql_identifier)

    built = Declared.build("data", {"password": "s3cret"}, store="test")
    assert built.path == "data"
    assert "s3cret" not in repr(built)
    assert "password=***" in repr(built)
    with pytest.raises(InvalidOptionError, match="table must be a letter"):
        Declared(path="data", table="no spaces")
    with pytest.raises(InvalidOptionError, match="path must not be empty"):
        Declared.build("", {}, store="test")
    with pytest.raises(InvalidOptionError, match="given twice"):
        Declared.build("data", {"path": "other"}, store="test")
    with pytest.raises(InvalidOptionError, match="Missing required option"):
        Declared.build(None, {}, store="test")
    url = StoreURL.parse("test://?path=here&table=t2")
    assert Declared.from_url(url, {"table": "t3"}, store="test").table == "t3"
    assert {info.name: info.doc for info in Declared.describe()}["password"] == (
        "The server's password."
    )


def test_the_query_wins_over_the_location_and_keywords_over_both() -> None:
    from kv.options import CommonOptions

    class Located(CommonOptions):
        host: str = "default"

        @classmethod
        def from_location(cls, url: StoreURL) -> Mapping[str, object]:
            return {"host": url.location}

    url = StoreURL.parse("x://from-location?host=from-query")
    assert Located.from_url(url, {}, store="x").host == "from-query"
    assert Located.from_url(url, {"host": "from-keyword"}, store="x").host == "from-keyword"
    assert Located.from_url(StoreURL.parse("x://here"), {}, store="x").host == "here"


class _Served(ServerOptions):
    """Options of a made-up server store whose URL path names a database.

    Attributes:
        database: The database.
    """

    default_port = 7000
    database: str | None = None

    @classmethod
    def from_path(cls, url: StoreURL) -> Mapping[str, object]:
        return {"database": url.path.lstrip("/") or None}


def test_server_options_read_the_authority() -> None:
    url = StoreURL.parse("x://me:s3cret@h1,h2:7001/db?connect_timeout=2")
    got = _Served.from_url(url, {}, store="x")
    assert (got.user, got.password, got.hosts, got.port) == (
        "me",
        "s3cret",
        ("h1", "h2"),
        (7000, 7001),
    )
    assert (got.database, got.connect_timeout, got.command_timeout) == ("db", 2.0, 30.0)
    assert "s3cret" not in repr(got)
    assert _Served.from_url(StoreURL.parse("x://"), {}, store="x").port == ()


def test_server_options_without_a_default_port_take_all_ports_or_none() -> None:
    plain = ServerOptions.from_url(StoreURL.parse("x://a,b"), {}, store="x")
    assert (plain.hosts, plain.port) == (("a", "b"), ())
    with pytest.raises(InvalidURLError, match="every host a port or none"):
        ServerOptions.from_url(StoreURL.parse("x://a:1,b"), {}, store="x")
    with pytest.raises(InvalidURLError, match="takes no path"):
        ServerOptions.from_url(StoreURL.parse("x://a/b"), {}, store="x")


@pytest.mark.parametrize(
    ("keywords", "fragment"),
    [
        ({"hosts": ("a", "b", "c"), "port": (1, 2)}, "one port or one per host"),
        ({"port": 0}, "port must be port numbers from 1 to 65535"),
        ({"port": (1, True)}, "port must be port numbers"),
        ({"connect_timeout": 0}, "connect_timeout must be a finite number of seconds > 0"),
    ],
)
def test_server_options_check_ports_and_timeouts(
    keywords: dict[str, object], fragment: str
) -> None:
    with pytest.raises(InvalidOptionError, match=fragment):
        ServerOptions.build(None, keywords, store="x")
    assert ServerOptions.build(None, {"hosts": ("a", "b"), "port": 5}, store="x").port == (5,)


def test_a_keyword_only_option_refuses_text_from_a_url() -> None:
    class WithClient(ServerOptions):
        client: object | None = option(default=None, check=checks.keyword_only)

    client = object()
    assert WithClient.build(None, {"client": client}, store="x").client is client
    with pytest.raises(InvalidOptionError, match="client must be an object passed as a keyword"):
        WithClient.from_url(StoreURL.parse("x://?client=text"), {}, store="x")


def test_a_store_url_as_first_argument_must_be_one_of_its_schemes() -> None:
    from kv.stores.memory import MemoryOptions

    class Positional(MemoryOptions):
        url_positional = True

    assert Positional.build("memory://", {}, store="memory").__class__ is Positional
    with pytest.raises(InvalidURLError, match="memory does not serve null:// URLs"):
        Positional.build("null://", {}, store="memory")
    with pytest.raises(InvalidURLError, match="does not serve nosuch:// URLs"):
        Positional.build("nosuch://", {}, store="memory")
