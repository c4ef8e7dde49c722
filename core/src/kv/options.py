"""Store options, declared once in a dataclass and read from URLs and keywords.

A plugin declares each option once, as a field of a :class:`StoreOptions`
subclass (every subclass is a frozen, keyword-only dataclass: no decorator
needed). The field's annotation is its type, its default the default, its
``check`` the validation, and the class docstring's ``Attributes:`` section
its documentation. Everything else is derived from that class: URL query
parsing, the store's keyword arguments, ``from_url`` and the ``kv plugins``
listing::

    class DuckDBOptions(CommonOptions):
        '''Options of ``duckdb://``.

        Attributes:
            path: The database file, or ``:memory:``.
            table: The table that holds the entries.
        '''

        positional = "path"  # DuckDBStore("kv.duckdb") means path="kv.duckdb"
        path: str = option(check=checks.local_path)
        table: str = option(default="kv_entries", check=checks.sql_identifier)

        @classmethod
        def from_location(cls, url: StoreURL) -> dict[str, object]:
            return {"path": url.local_path(kind="database path")}

:func:`parse_options` does the conversion: it fills a dataclass from the URL
query (text) and keyword arguments (which win), converts text to each field's
type, and rejects unknown names and bad values with
:class:`~kv.errors.InvalidOptionError`.

Errors name the option but never show the value of a secret one (see
:func:`kv.url.is_secret_option`: ``password``, ``ssl_password``, ``token``,
``api_key``, ...), nor the reason, which may quote it.

Text is converted for ``str``, ``int``, ``float``, ``bool`` (``1/true/yes/on``
and ``0/false/no/off``), ``pathlib.Path``, ``Literal[...]`` choices,
``tuple[X, ...]`` (a name repeated in the query, or comma-separated) and
``X | None`` (the text ``none`` or an empty value). Keyword values of any
other declared type (a client object, say) are passed through as given.
"""

from __future__ import annotations

import dataclasses
import inspect
import types
import typing
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ClassVar, TypeVar, overload

from typing_extensions import Self, dataclass_transform

from kv.capabilities import Capabilities
from kv.checks import local_path, optional, port_numbers, positive_int, positive_seconds
from kv.errors import InvalidOptionError, InvalidURLError, KeyValueError
from kv.url import StoreURL, is_secret_option

__all__ = [
    "CommonOptions",
    "LocalOptions",
    "LocalPathOptions",
    "OptionInfo",
    "ServerOptions",
    "StoreOptions",
    "option",
    "parse_options",
]

T = TypeVar("T")

_CHECK = "kv.check"


@overload
def option(*, check: Callable[[Any], object] | None = None) -> Any: ...
@overload
def option(*, default: T, check: Callable[[Any], object] | None = None) -> T: ...
def option(
    *, default: Any = dataclasses.MISSING, check: Callable[[Any], object] | None = None
) -> Any:
    """A store option with a validation ``check`` (and a ``default``, if not required).

    ``default`` is a keyword, as the dataclass machinery of type checkers
    expects of a field specifier (``option(default=5.0, check=checks.seconds)``).

    ``check(value)`` returns the value to keep (it may normalise it: a path
    to ``str``) or raises :class:`ValueError`, :class:`TypeError` or
    :class:`~kv.errors.InvalidOptionError`; a message that starts with "must"
    gets the option's name in front (:mod:`kv.checks` has the common checks).
    It runs whenever the options are built: from a URL, from keywords, or by
    calling the options class directly.
    """
    metadata = {_CHECK: check} if check is not None else {}
    return dataclasses.field(default=default, metadata=metadata)


@dataclasses.dataclass(frozen=True)
class OptionInfo:
    """One option as ``kv plugins`` shows it."""

    name: str
    type: str
    default: str | None
    """The default's repr; ``None`` when the option is required."""
    doc: str


@dataclass_transform(
    kw_only_default=True, frozen_default=True, field_specifiers=(option, dataclasses.field)
)
class StoreOptions:
    """Base of every store's options: each subclass is a frozen, keyword-only dataclass.

    Its ``repr()`` shows the value of a secret option (see
    :func:`kv.url.is_secret_option`) as ``***``.

    Class attributes a subclass may set:

    * ``positional``: the option a store's first positional argument fills
      (``DuckDBStore("kv.duckdb")``), or ``None``.
    * ``url_positional``: when ``True`` (and ``positional`` is ``None``), the
      first positional argument is a URL without query whose location gives
      options (``PostgreSQLStore("postgresql://h/db", table="t")``); keywords
      win over it. A query is refused there: it is ``kv.connect``'s job.

    Methods a subclass may override:

    * :meth:`from_location`: the options a URL gives between ``://`` and
      ``?`` (a path, hosts, a database number); by default a URL may have none.
    * :meth:`adjust_capabilities`: what a store with these options can do,
      when that depends on an option (a size limit makes a store ``bounded``).
    """

    positional: ClassVar[str | None] = None
    url_positional: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        dataclasses.dataclass(frozen=True, kw_only=True, repr=False)(cls)

    def __repr__(self) -> str:
        """Every option, the value of a secret one (``password``, ...) as ``***``."""
        shown = []
        for field in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, field.name)
            text = "***" if is_secret_option(field.name) and value is not None else repr(value)
            shown.append(f"{field.name}={text}")
        return f"{type(self).__name__}({', '.join(shown)})"

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):  # type: ignore[arg-type]
            check = field.metadata.get(_CHECK)
            if check is None:
                continue
            value = getattr(self, field.name)
            try:
                checked = check(value)
            except InvalidOptionError:
                raise
            except (ValueError, TypeError) as error:
                raise _check_failed(field.name, error) from None
            if checked is not value:
                object.__setattr__(self, field.name, checked)

    @classmethod
    def from_location(cls, url: StoreURL) -> Mapping[str, object]:
        """The options given by ``url``'s location (host, port, path, user).

        Raises:
            InvalidURLError: the URL names a location this store does not take.
        """
        if url.location not in ("", "/") or url.username is not None or url.password is not None:
            raise InvalidURLError(
                f"{url.scheme}:// takes no host or path, only query options (got {url})"
            )
        return {}

    def adjust_capabilities(self, declared: Capabilities) -> Capabilities:
        """What a store with these options can do, given what its class declares
        (by default the declared capabilities, unchanged)."""
        return declared

    @classmethod
    def from_url(cls, url: StoreURL, keywords: Mapping[str, object], *, store: str) -> Self:
        """The options ``url`` names: its location, then its query (which wins), then
        ``keywords`` (which win over both).

        Raises:
            InvalidURLError: the URL's location does not fit the store.
            InvalidOptionError: an unknown option or a bad value.
        """
        # The location gives way to the query, and both to the keywords.
        location = {k: v for k, v in cls.from_location(url).items() if k not in url.query}
        return parse_options(url, {**location, **keywords}, cls, store=store)

    @classmethod
    def build(cls, given: object, keywords: Mapping[str, object], *, store: str) -> Self:
        """The options of a store constructor call: ``Store(given, **keywords)``.

        ``given`` is an instance of this class (then ``keywords`` must be
        empty), ``None``, or the value of the :attr:`positional` option.

        Raises:
            InvalidOptionError: an unknown option, a bad value, or a positional
                argument for a store that takes none.
        """
        if isinstance(given, cls):
            if keywords:
                raise InvalidOptionError(
                    f"Pass either an options object or keywords, not both (got"
                    f" {', '.join(sorted(keywords))})",
                    store=store,
                )
            return given
        if cls.url_positional and isinstance(given, str | StoreURL):
            url = StoreURL.parse(given)
            _check_scheme(url, cls, store)
            if url.query_items:
                raise InvalidOptionError(
                    f"Give options as keywords of {store} (or use kv.connect or from_url,"
                    " which read the URL query)",
                    store=store,
                )
            return parse_options(None, {**cls.from_location(url), **keywords}, cls, store=store)
        if given is not None:
            if cls.positional is None:
                raise InvalidOptionError(
                    f"{store} takes options as keywords only, not a positional"
                    f" {type(given).__name__}",
                    store=store,
                )
            if cls.positional in keywords:
                raise InvalidOptionError(
                    f"Option {cls.positional!r} is given twice (positionally and as a keyword)",
                    store=store,
                )
            keywords = {cls.positional: given, **keywords}
        return parse_options(None, keywords, cls, store=store)

    @classmethod
    def describe(cls) -> list[OptionInfo]:
        """Every option: name, type, default and the docstring's description (the
        store's own options first, then those every store has)."""
        docs = _attribute_docs(cls)
        infos: list[OptionInfo] = []
        common = {field.name for field in dataclasses.fields(CommonOptions)}
        fields = dataclasses.fields(cls)  # type: ignore[arg-type]
        for field in sorted(fields, key=lambda field: field.name in common):
            if field.default is not dataclasses.MISSING:
                default: str | None = repr(field.default)
            elif field.default_factory is not dataclasses.MISSING:
                default = repr(field.default_factory())
            else:
                default = None
            annotation = field.type if isinstance(field.type, str) else _type_name(field.type)
            infos.append(OptionInfo(field.name, annotation, default, docs.get(field.name, "")))
        return infos


def _check_scheme(url: StoreURL, options: type[StoreOptions], store: str) -> None:
    """Refuse a URL whose scheme no plugin of the store named ``store`` serves
    (``PostgreSQLStore("redis://...")``)."""
    from kv.discovery import registry  # here: discovery builds on this module

    try:
        plugin = registry.resolve(url.scheme)
    except KeyValueError:
        plugin = None
    if plugin is None or not (issubclass(options, plugin.options) and plugin.store_name == store):
        raise InvalidURLError(f"{store} does not serve {url.scheme}:// URLs (got {url})")


def _type_name(annotation: object) -> str:
    return getattr(annotation, "__name__", None) or str(annotation).replace("typing.", "")


def _attribute_docs(cls: type) -> dict[str, str]:
    """``name: text`` lines of the ``Attributes:`` sections of ``cls`` and its bases."""
    docs: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        text = inspect.cleandoc(klass.__dict__.get("__doc__") or "")
        section = False
        current: str | None = None
        for line in text.splitlines():
            if not line.strip():
                continue
            if not line.startswith(" "):
                section = line.strip() == "Attributes:"
                current = None
                continue
            if not section:
                continue
            stripped = line.strip()
            name, colon, rest = stripped.partition(":")
            if (
                colon
                and line.startswith("    ")
                and not line.startswith("     ")
                and (name.isidentifier())
            ):
                current = name
                docs[name] = rest.strip()
            elif current is not None:
                docs[current] = f"{docs[current]} {stripped}"
    return docs


class CommonOptions(StoreOptions):
    """Options every store built on :class:`~kv.store.BaseStore` understands.

    Plugin option classes subclass this, so these names mean the same on
    every URL. ``sweep_interval`` and ``sweep_limit`` apply to stores that
    reclaim expired entries (:class:`~kv.store.CullMixin`); others ignore them.

    Attributes:
        default_collection: The collection used when a call passes no collection.
        sweep_interval: Seconds between sweeps of expired entries during
            writes, or ``none`` to sweep only on ``cull()``.
        sweep_limit: Most expired entries one sweep removes.
    """

    default_collection: str | None = None
    sweep_interval: float | None = option(default=60.0, check=positive_seconds)
    sweep_limit: int = option(default=500, check=positive_int)


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def _is_optional(annotation: Any) -> tuple[bool, Any]:
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        args = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        if len(args) < len(typing.get_args(annotation)):
            inner = args[0] if len(args) == 1 else typing.Union[tuple(args)]  # noqa: UP007
            return True, inner
    return False, annotation


def _convert_text(text: str, annotation: Any) -> object:
    optional, inner = _is_optional(annotation)
    if optional and text.strip().lower() in ("", "none", "null"):
        return None
    origin = typing.get_origin(inner)
    if origin is typing.Literal:
        choices = typing.get_args(inner)
        for choice in choices:
            if str(choice) == text:
                return choice
        raise ValueError(f"must be one of {', '.join(map(repr, choices))}")
    if origin is tuple:
        item_type = typing.get_args(inner)[0]
        return tuple(_convert_text(part.strip(), item_type) for part in text.split(",") if part)
    if inner is bool:
        lowered = text.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ValueError("must be true or false")
    if inner is int:
        return int(text)
    if inner is float:
        return float(text)
    if inner is Path:
        return Path(text)
    if inner is str or inner is Any or inner is object:
        return text
    raise ValueError("cannot be given as text; pass it as a keyword argument")


def _check_keyword(value: object, annotation: Any) -> object:
    if isinstance(value, str):
        optional, inner = _is_optional(annotation)
        if inner is not str and inner is not Any and inner is not object:
            return _convert_text(value, annotation)
        return value
    optional, inner = _is_optional(annotation)
    if value is None:
        if not optional:
            raise ValueError("must not be None")
        return None
    origin = typing.get_origin(inner)
    if inner is bool and not isinstance(value, bool):
        raise ValueError(f"must be a bool, not {type(value).__name__}")
    if inner is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise ValueError(f"must be an int, not {type(value).__name__}")
    if inner is float and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise ValueError(f"must be a number, not {type(value).__name__}")
    if inner is float:
        return float(value)  # type: ignore[arg-type]
    if inner is Path and isinstance(value, str | Path):
        return Path(value)
    if origin is tuple and isinstance(value, list | tuple):
        return tuple(value)
    if origin is typing.Literal and value not in typing.get_args(inner):
        choices = ", ".join(map(repr, typing.get_args(inner)))
        raise ValueError(f"must be one of {choices}, not {value!r}")
    return value


def parse_options(
    url: StoreURL | None,
    keywords: Mapping[str, object],
    spec: type[T],
    *,
    store: str,
    ignore: frozenset[str] = frozenset(),
) -> T:
    """Build the options dataclass ``spec`` from ``url``'s query and ``keywords``.

    Args:
        url: The parsed URL (its query is read), or ``None``.
        keywords: Keyword options; they override query values of the same name.
        spec: A dataclass whose fields are the accepted options.
        store: The store's name, for error messages.
        ignore: Query names to skip (handled by the plugin itself).

    Raises:
        InvalidOptionError: an unknown name, a value of the wrong type, or a
            required option missing. Passwords are never echoed.
    """
    if not dataclasses.is_dataclass(spec):
        raise TypeError(f"{spec!r} is not a dataclass")
    hints = typing.get_type_hints(spec)
    known = {f.name: f for f in dataclasses.fields(spec) if f.init}
    values: dict[str, object] = {}
    query = url.query if url is not None else {}
    for name, texts in query.items():
        if name in ignore:
            continue
        if name not in known:
            raise _unknown(name, known, store, "URL query")
        annotation = hints[name]
        is_tuple = typing.get_origin(_is_optional(annotation)[1]) is tuple
        if len(texts) > 1 and not is_tuple:
            raise InvalidOptionError(f"Option {name!r} is given more than once", store=store)
        try:
            if is_tuple and len(texts) > 1:
                item = typing.get_args(_is_optional(annotation)[1])[0]
                values[name] = tuple(_convert_text(text, item) for text in texts)
            else:
                values[name] = _convert_text(texts[0], annotation)
        except ValueError as error:
            raise _invalid(name, texts[-1], error, store) from None
    for name, value in keywords.items():
        if name not in known:
            raise _unknown(name, known, store, "keyword")
        try:
            values[name] = _check_keyword(value, hints[name])
        except ValueError as error:
            raise _invalid(name, value, error, store) from None
    missing = [
        name
        for name, f in known.items()
        if name not in values
        and f.default is dataclasses.MISSING
        and f.default_factory is dataclasses.MISSING
    ]
    if missing:
        raise InvalidOptionError(f"Missing required option(s): {', '.join(missing)}", store=store)
    return spec(**values)


def _unknown(name: str, known: Mapping[str, object], store: str, where: str) -> InvalidOptionError:
    accepted = ", ".join(sorted(known)) or "none"
    return InvalidOptionError(f"Unknown {where} option {name!r}; accepted: {accepted}", store=store)


_SHOWN_TYPES = (str, int, float, bool, type(None), Path)


def _check_failed(name: str, error: Exception) -> InvalidOptionError:
    """A check's own message, unless the option holds a secret; a message that starts
    with "must" gets the option's name in front."""
    if is_secret_option(name):
        return InvalidOptionError(
            f"Option {name!r} has an invalid value (not shown: the option holds a secret)"
        )
    message = str(error)
    return InvalidOptionError(f"{name} {message}" if message.startswith("must") else message)


def _invalid(name: str, value: object, error: ValueError, store: str) -> InvalidOptionError:
    if is_secret_option(name):  # neither the value nor the reason (it may quote it)
        return InvalidOptionError(
            f"Option {name!r} has an invalid value (not shown: the option holds a secret)",
            store=store,
        )
    if not isinstance(value, _SHOWN_TYPES):  # an object's repr may hold anything
        return InvalidOptionError(
            f"Option {name!r} got {type(value).__name__}: {error}", store=store
        )
    return InvalidOptionError(f"Option {name!r} = {value!r}: {error}", store=store)


DEFAULT_INLINE_BUDGET = 0.001
"""Seconds a call marked ``inline`` may take on the event loop (see :mod:`kv.blocking`)."""


class LocalOptions(CommonOptions):
    """Options of a store kept in local files: the URL's path fills the option
    named by ``positional`` (``path``, or ``directory`` in a subclass that declares it).

    The URL's path is ``scheme:///absolute`` or ``scheme://relative``; the same
    option is the store's first positional argument. A subclass declares that
    option and may set the class attributes ``path_kind`` (for messages:
    ``"directory"``, ``"database path"``), ``memory_path`` (the path that means
    a private in-memory database, such as ``":memory:"``: such a store is not
    ``persistent``) and ``windows_drive`` (on by default: read ``scheme:///C:/dir``
    as ``C:/dir``, a Windows drive path).

    Attributes:
        inline_budget: Seconds an engine call that cannot wait on a lock (a
            point read, say) may take on the event loop's own thread, which is
            faster than a worker thread; one that takes longer sends the
            store's calls to its worker thread for a second. ``none``: every
            call in the worker thread (see :mod:`kv.blocking`).
    """

    positional: ClassVar[str | None] = "path"
    path_kind: ClassVar[str] = "directory"
    memory_path: ClassVar[str | None] = None
    windows_drive: ClassVar[bool] = True
    inline_budget: float | None = option(
        default=DEFAULT_INLINE_BUDGET, check=optional(positive_seconds)
    )

    @property
    def in_memory(self) -> bool:
        """Whether the path is the :attr:`memory_path` (nothing is kept on disk)."""
        path = getattr(self, self.positional or "path", None)
        return self.memory_path is not None and path == self.memory_path

    def adjust_capabilities(self, declared: Capabilities) -> Capabilities:
        """An in-memory store is not ``persistent``."""
        return dataclasses.replace(declared, persistent=False) if self.in_memory else declared

    @classmethod
    def from_location(cls, url: StoreURL) -> Mapping[str, object]:
        """The URL's path, as the ``positional`` option."""
        forms = [f"{url.scheme}:///absolute/path", f"{url.scheme}://relative/path"]
        if cls.memory_path is not None:
            forms.append(f"{url.scheme}://{cls.memory_path}")
        path = url.local_path(kind=cls.path_kind, forms=forms, windows_drive=cls.windows_drive)
        return {cls.positional or "path": path}


class LocalPathOptions(LocalOptions):
    """:class:`LocalOptions` whose location is the option ``path``.

    Attributes:
        path: The file or directory (the URL's path).
    """

    path: str = option(check=local_path)


class ServerOptions(CommonOptions):
    """Options of a store that talks to servers: the URL's authority
    (``scheme://user:password@host1:port1,host2:port2/path``) gives ``user``,
    ``password``, ``hosts`` and ``port``; a query option or keyword of the same
    name wins over it. The URL (without its query) may also be the store's
    first positional argument.

    A subclass sets ``default_port`` (the port of a host the URL gives without
    one) and ``path_option``, the option the URL's path names (a database, a
    bucket: ``/appdb``), or reads the path in its own :meth:`from_path`; by
    default a server URL takes no path. Both may be given in the class
    statement: ``class PostgreSQLOptions(ServerOptions, default_port=5432,
    path_option="database")``.

    Attributes:
        user: The user name to connect as (default: the client library's).
        password: The password. Never shown: not in ``repr``, messages or logs.
        hosts: Host names, tried in order.
        port: The port of each host, or one port for all.
        connect_timeout: Seconds to establish a connection.
        command_timeout: Seconds one command (or the wait for a free
            connection) may take (``none``: no limit).
    """

    url_positional: ClassVar[bool] = True
    default_port: ClassVar[int | None] = None
    path_option: ClassVar[str | None] = None

    def __init_subclass__(
        cls, *, default_port: int | None = None, path_option: str | None = None, **kwargs: Any
    ) -> None:
        if default_port is not None:
            cls.default_port = default_port
        if path_option is not None:
            cls.path_option = path_option
        super().__init_subclass__(**kwargs)

    user: str | None = None
    password: str | None = None  # repr() shows it as *** (a secret option)
    hosts: tuple[str, ...] = ()
    port: tuple[int, ...] = option(default=(), check=port_numbers)
    connect_timeout: float = option(default=10.0, check=positive_seconds)
    command_timeout: float | None = option(default=30.0, check=positive_seconds)

    def __post_init__(self) -> None:
        super().__post_init__()
        if len(self.port) > 1 and len(self.port) != len(self.hosts):
            raise InvalidOptionError(
                f"port must name one port or one per host, not {len(self.port)} ports for"
                f" {len(self.hosts)} host(s)"
            )

    @classmethod
    def from_location(cls, url: StoreURL) -> Mapping[str, object]:
        """The URL's user, password, hosts and ports, and what :meth:`from_path` reads."""
        hosts = url.hosts
        ports = tuple(host.port or cls.default_port for host in hosts)
        if None in ports and any(ports):
            raise InvalidURLError(f"Give every host a port or none (got {url})")
        return {
            "user": url.username,
            "password": url.password,
            "hosts": tuple(host.name for host in hosts),
            "port": () if None in ports else ports,
            **cls.from_path(url),
        }

    @classmethod
    def from_path(cls, url: StoreURL) -> Mapping[str, object]:
        """The options the URL's path gives: one segment naming ``path_option``
        (none by default).

        Raises:
            InvalidURLError: the URL has a path this store does not take.
        """
        segment = url.path[1:] if url.path.startswith("/") else url.path
        if cls.path_option is None:
            if segment:
                raise InvalidURLError(f"{url.scheme}:// takes no path (got {url})")
            return {}
        if "/" in segment:
            raise InvalidURLError(
                f"The path of a {url.scheme}:// URL is one {cls.path_option} name (got {url})"
            )
        return {cls.path_option: segment or None}
