"""``StoreURL``: a store URL, parsed once into an immutable value.

Form::

    scheme://[user[:password]@][host[:port][,host[:port]...]][/path][?name=value&...]

* ``scheme`` may carry a variant after ``+`` (``redis+cluster``).
* Several hosts are separated by commas (clusters); IPv6 hosts go in brackets.
* The same query name may appear more than once; :attr:`StoreURL.query` keeps
  every value in order.
* User, password, hosts and path are percent-decoded.
* Secrets are never shown: ``str()``, ``repr()`` and :meth:`StoreURL.render`
  print ``***`` for the password and for the value of every *secret query
  option* (see :func:`is_secret_option`: ``?password=``, ``?ssl_password=``,
  ``?token=``, ``?api_key=``, ...). ``render(hide_password=False)`` gives the
  real text, for handing to a client library.

Stores that take a file path read :attr:`StoreURL.location` (everything
between ``://`` and ``?``), so ``disk:///var/kv``, ``disk://./data`` and
``duckdb://:memory:`` all work; only plugins that need host names ask for
:attr:`StoreURL.hosts`, which is where a malformed authority is reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from urllib.parse import parse_qsl, quote, quote_plus, unquote, unquote_plus

from kv.errors import InvalidURLError

__all__ = ["SECRET_OPTION_WORDS", "Host", "StoreURL", "is_secret_option"]

_WINDOWS_DRIVE = re.compile(r"/[A-Za-z]:[/\\]")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*)://")
_MASK = "***"

SECRET_OPTION_WORDS = (
    "pass",
    "pwd",
    "secret",
    "token",
    "key",
    "credential",
    "auth",
    "sas",
    "sig",
    "connection_string",
    "conn_str",
)
"""A query option whose name contains one of these (in any case) holds a secret.

So ``password``, ``ssl_password``, ``passwd``, ``passphrase``, ``secret``,
``client_secret``, ``token``, ``auth_token``, ``api_key``, ``access_key``,
``secret_key``, ``ssl_keyfile``, ``credentials``, ``sas_token`` and ``sig``
are all masked. The rule errs on the side of masking: a harmless option
whose name happens to match (``max_keys``) is only shown as ``***``.
"""


def is_secret_option(name: str) -> bool:
    """Whether a URL query option (or store option) named ``name`` holds a secret.

    The rule: the name, ignoring case, contains one of
    :data:`SECRET_OPTION_WORDS`. Such values are masked in every message,
    ``str()`` and ``repr()``.
    """
    lowered = name.lower()
    return any(word in lowered for word in SECRET_OPTION_WORDS)


@dataclass(frozen=True)
class Host:
    """One ``host[:port]`` of a URL's authority."""

    name: str
    port: int | None = None

    def __str__(self) -> str:
        name = f"[{self.name}]" if ":" in self.name else self.name
        return name if self.port is None else f"{name}:{self.port}"


def _parse_host(text: str, url_for_errors: str) -> Host:
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise InvalidURLError(f"Unclosed '[' in host {text!r} of URL {url_for_errors}")
        name, rest = text[1:end], text[end + 1 :]
        if rest and not rest.startswith(":"):
            raise InvalidURLError(f"Unexpected text after ']' in URL {url_for_errors}")
        port_text = rest[1:] if rest else ""
    else:
        name, _, port_text = text.partition(":")
    port: int | None = None
    if port_text:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise InvalidURLError(
                f"Port {port_text!r} is not a number from 1 to 65535 in URL {url_for_errors}"
            )
        port = int(port_text)
    return Host(unquote(name), port)


@dataclass(frozen=True)
class StoreURL:
    """An immutable, parsed store URL.

    Build one with :meth:`parse`; derive changed copies with :meth:`with_query`
    or :func:`dataclasses.replace`.
    """

    scheme: str
    """The full scheme, lower-cased, variant included (``"redis+cluster"``)."""
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    authority: str = ""
    """The raw authority after any ``user:password@`` (hosts and ports)."""
    path: str = ""
    """The percent-decoded path, with its leading ``/`` (``"/0"``, ``"/var/kv"``)."""
    query_items: tuple[tuple[str, str], ...] = ()
    """Every ``(name, value)`` pair of the query string, in order."""

    @classmethod
    def parse(cls, url: str | StoreURL) -> StoreURL:
        """Parse ``url``; a :class:`StoreURL` is returned as is.

        Raises:
            InvalidURLError: ``url`` has no ``scheme://`` or a malformed part.
        """
        if isinstance(url, StoreURL):
            return url
        if not isinstance(url, str):
            raise InvalidURLError(f"A store URL must be a str, not {type(url).__name__}")
        match = _SCHEME.match(url.strip())
        if match is None:
            raise InvalidURLError(
                f"{_scrub(url)!r} is not a store URL: it must start with 'scheme://'"
                " (for example 'memory://' or 'redis://localhost:6379/0')"
            )
        rest = url.strip()[match.end() :]
        rest, _, _fragment = rest.partition("#")
        rest, _, query_text = rest.partition("?")
        # The authority ends at the first '/', except inside brackets.
        slash = rest.find("/")
        authority, path = (rest, "") if slash < 0 else (rest[:slash], rest[slash:])
        username = password = None
        if "@" in authority:
            userinfo, _, authority = authority.rpartition("@")
            user_text, has_password, password_text = userinfo.partition(":")
            username = unquote(user_text) or None
            password = unquote(password_text) if has_password else None
        try:
            query = tuple(parse_qsl(query_text, keep_blank_values=True, strict_parsing=False))
        except ValueError as error:
            raise InvalidURLError(f"Malformed query in URL {_scrub(url)}: {error}") from None
        return cls(
            scheme=match.group(1).lower(),
            username=username,
            password=password,
            authority=authority,
            path=unquote(path),
            query_items=query,
        )

    # --- derived views ---------------------------------------------------------

    @property
    def base_scheme(self) -> str:
        """The scheme without its variant (``"redis"`` for ``"redis+cluster"``)."""
        return self.scheme.partition("+")[0]

    @property
    def variant(self) -> str | None:
        """The scheme's variant (``"cluster"`` for ``"redis+cluster"``), if any."""
        _, plus, variant = self.scheme.partition("+")
        return variant if plus else None

    @property
    def hosts(self) -> tuple[Host, ...]:
        """The hosts of the authority, in order (empty when there is none).

        Raises:
            InvalidURLError: the authority is not a list of ``host[:port]``.
        """
        if not self.authority:
            return ()
        return tuple(_parse_host(part, self.render()) for part in self.authority.split(",") if part)

    @property
    def host(self) -> str | None:
        """The first host's name, or ``None``."""
        hosts = self.hosts
        return hosts[0].name if hosts else None

    @property
    def port(self) -> int | None:
        """The first host's port, or ``None``."""
        hosts = self.hosts
        return hosts[0].port if hosts else None

    @property
    def location(self) -> str:
        """Authority and path as written (for file paths and similar targets)."""
        return unquote(self.authority) + self.path

    @property
    def query(self) -> Mapping[str, tuple[str, ...]]:
        """Query values by name; every name maps to all its values, in order."""
        grouped: dict[str, list[str]] = {}
        for name, value in self.query_items:
            grouped.setdefault(name, []).append(value)
        return MappingProxyType({name: tuple(values) for name, values in grouped.items()})

    def local_path(
        self,
        *,
        kind: str = "directory",
        forms: Sequence[str] = (),
        windows_drive: bool = False,
    ) -> str:
        """The local file or directory a store URL names (``disk:///var/kv`` -> ``/var/kv``).

        Args:
            kind: What the path is, for messages (``"directory"``, ``"file path"``).
            forms: Example URLs for the message when the path is missing
                (default: the absolute and relative forms of this scheme).
            windows_drive: Read ``scheme:///C:/dir`` as ``C:/dir``.

        Raises:
            InvalidURLError: the URL has a user or password, or no path.
        """
        if self.username is not None or self.password is not None:
            raise InvalidURLError(
                f"{self.scheme}:// takes a {kind}, not a user or password (got {self})"
            )
        path = self.location
        if not path:
            shown = forms or (f"{self.scheme}:///absolute/dir", f"{self.scheme}://relative/dir")
            raise InvalidURLError(f"{self.scheme}:// needs a {kind}: {' or '.join(shown)}")
        if windows_drive and _WINDOWS_DRIVE.match(path):
            path = path[1:]
        return path

    def with_query(self, items: Mapping[str, str] | Iterable[tuple[str, str]]) -> StoreURL:
        """A copy with ``items`` added to the query (replacing names given)."""
        pairs = list(items.items()) if isinstance(items, Mapping) else list(items)
        names = {name for name, _ in pairs}
        kept = tuple(item for item in self.query_items if item[0] not in names)
        return replace(self, query_items=kept + tuple(pairs))

    def without_query(self) -> StoreURL:
        """A copy without any query."""
        return replace(self, query_items=())

    def render(self, *, hide_password: bool = True) -> str:
        """The URL as text, secrets masked unless ``hide_password=False``.

        Masked are the password and the value of every secret query option
        (:func:`is_secret_option`); ``hide_password=False`` gives the real
        text, for handing to a client library, never for a message.
        """
        text = f"{self.scheme}://"
        if self.username is not None or self.password is not None:
            text += quote(self.username or "", safe="")
            if self.password is not None:
                text += ":" + (_MASK if hide_password else quote(self.password, safe=""))
            text += "@"
        text += self.authority + quote(self.path, safe="/:@~!$&'()*+,;=")
        if self.query_items:
            text += "?" + "&".join(
                f"{quote(n, safe='')}="
                + (_MASK if hide_password and is_secret_option(n) else quote(v, safe=""))
                for n, v in self.query_items
            )
        return text

    def secrets(self) -> tuple[str, ...]:
        """The secret texts of this URL: the password and secret query option values."""
        found = [] if not self.password else [self.password]
        found += [value for name, value in self.query_items if value and is_secret_option(name)]
        return tuple(found)

    def redact(self, text: str) -> str:
        """``text`` with every secret of this URL (as written or percent-encoded) masked.

        For messages built from other text that may quote the URL, such as a
        client library's exception.
        """
        for secret in sorted(self.secrets(), key=len, reverse=True):
            for form in {secret, quote(secret, safe=""), quote_plus(secret, safe="")}:
                text = text.replace(form, _MASK)
        return text

    def __str__(self) -> str:
        return self.render()

    def __repr__(self) -> str:
        return f"StoreURL({self.render()!r})"


_QUERY_PAIR = re.compile(r"(^|[?&;])([^=&;#?]*)=([^&;#]*)")


def _scrub(url: str) -> str:
    """Mask anything that looks like a secret in a URL that did not parse.

    That is a ``:password@`` and the value of every secret query option.
    """
    url = re.sub(r":[^@/]*@", f":{_MASK}@", url)

    def _mask_pair(match: re.Match[str]) -> str:
        if is_secret_option(unquote_plus(match.group(2))):
            return f"{match.group(1)}{match.group(2)}={_MASK}"
        return match.group(0)

    return _QUERY_PAIR.sub(_mask_pair, url)
