"""The values of request headers, parsed as Werkzeug's request exposes them: ``Accept-Language``
and ``Accept-Charset`` (:class:`LanguageAccept`, :class:`CharsetAccept`), ``Authorization``,
``Cache-Control`` (:class:`RequestCacheControl`), ``If-Match``/``If-None-Match`` (:class:`ETags`),
``If-Range``, ``Range`` (and the :class:`ContentRange` it answers with) and HTTP dates.

Every parser takes any header value, however broken or hostile, and answers None or an empty
value for what it cannot read: it never raises, so a bad header never becomes a 500. Nothing here
runs until a view reads the attribute (see :mod:`microflask.connection`).
"""

from __future__ import annotations

import base64
import codecs
import hashlib
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any, NoReturn

from .datastructures import Accept
from .headervalues import ContentRange, http_date, parse_http_date, quote_header_value

__all__ = [
    "Authorization",
    "CharsetAccept",
    "ContentRange",
    "ETags",
    "IfRange",
    "LanguageAccept",
    "Range",
    "RequestCacheControl",
    "parse_etags",
    "parse_if_range",
    "parse_range",
    "split_list",
]

_TOKEN_CHARS = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


# -- lists, quoted strings, numbers, dates ----------------------------------------------------------


def split_list(value: str, escapes: bool = True) -> list[str]:
    """The items of a comma-separated header, split on the commas outside quoted strings
    (RFC 9110 5.6.1), stripped, empty ones dropped. With ``escapes`` a backslash escapes the next
    character inside quotes (quoted-string); entity tags have no escapes."""
    items: list[str] = []
    start = 0
    quoted = escaped = False
    for position, char in enumerate(value):
        if escaped:
            escaped = False
        elif quoted and escapes and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            items.append(value[start:position])
            start = position + 1
    items.append(value[start:])
    return [item for item in (part.strip(" \t") for part in items) if item]


def unquote(value: str) -> str:
    """A quoted-string's content (``"a \\"b\\""`` -> ``a "b"``); anything else unchanged."""
    if len(value) < 2 or value[0] != '"' or value[-1] != '"':
        return value
    inner = value[1:-1]
    if "\\" not in inner:
        return inner
    out: list[str] = []
    escaped = False
    for char in inner:
        if escaped or char != "\\":
            out.append(char)
            escaped = False
        else:
            escaped = True
    return "".join(out)


def _params(value: str, lower: bool) -> Iterator[tuple[str, str | None]]:
    """``name=value`` items of a comma-separated header (values unquoted; None without ``=``)."""
    for item in split_list(value):
        name, sep, raw = item.partition("=")
        name = name.strip(" \t")
        if name:
            yield (name.lower() if lower else name), (unquote(raw.strip(" \t")) if sep else None)


def _dump_params(params: Mapping[str, str | None]) -> str:
    """``name=value`` items joined by commas, values quoted where needed (bare names for None)."""
    return ", ".join(name if value is None else f"{name}={quote_header_value(value)}" for name, value in params.items())


def _digits(value: str | None) -> int | None:
    """A non-negative decimal number (no sign, no spaces inside, at most 18 digits), or None."""
    if value is None:
        return None
    value = value.strip(" \t")
    if not value or len(value) > 18 or not (value.isascii() and value.isdigit()):
        return None
    return int(value)


# -- Accept-Language, Accept-Charset ----------------------------------------------------------------


def _language(tag: str) -> str:
    return tag.lower().replace("_", "-")


def _primary(tag: str) -> str:
    return _language(tag).split("-", 1)[0]


class LanguageAccept(Accept):
    """A parsed ``Accept-Language``: tags match ignoring case and ``-``/``_`` (``en_US`` is
    ``en-US``), and :meth:`best_match` falls back to primary language tags."""

    __slots__ = ()

    def _matches(self, value: str, item: str) -> bool:
        return item == "*" or _language(value) == _language(item)

    def best_match(self, matches: Iterable[str], default: str | None = None) -> str | None:
        """The supported language the client wants most, returned as given. Without an exact
        match, a client's ``en-US`` accepts a supported ``en``; then a client's ``en`` accepts
        a supported ``en-GB`` (the first such). ``default`` when none fits."""
        options = list(matches)
        result = Accept.best_match(self, options)
        if result is not None:
            return result
        primaries = LanguageAccept([(_primary(item), quality) for item, quality in self])
        result = Accept.best_match(primaries, options)
        if result is not None:
            return result
        result = Accept.best_match(self, [_primary(option) for option in options])
        if result is not None:
            return next(option for option in options if _primary(option) == _primary(result))
        return default


def _charset(name: str) -> str:
    try:
        return codecs.lookup(name).name
    except (LookupError, ValueError):
        return name.lower()


class CharsetAccept(Accept):
    """A parsed ``Accept-Charset``: charsets match by codec (``UTF8`` is ``utf-8``)."""

    __slots__ = ()

    def _matches(self, value: str, item: str) -> bool:
        return item == "*" or _charset(value) == _charset(item)


# -- Authorization ----------------------------------------------------------------------------------


class Authorization:
    """A parsed ``Authorization`` header, as Werkzeug 3's.

    ``type`` is the scheme, lowercased (``"basic"``, ``"bearer"``, ``"digest"``). Basic
    credentials are decoded into the ``username`` and ``password`` parameters; a token scheme
    (``Bearer abc``) sets ``token``; an auth-param scheme (``Digest username="a", realm="b"``)
    fills ``parameters``. ``auth["realm"]``, ``auth.get("realm")``, ``auth.realm`` and
    ``"realm" in auth`` read the parameters (None when absent).
    """

    def __init__(self, auth_type: str, data: Mapping[str, str | None] | None = None, token: str | None = None) -> None:
        self.type = auth_type
        self.parameters: dict[str, str | None] = dict(data or {})
        self.token = token

    @classmethod
    def from_header(cls, value: str | None) -> Authorization | None:
        """The header value parsed, or None when it is empty or its Basic credentials are not
        base64 (a Basic value is UTF-8, else Latin-1; without ``:`` the password is ``""``)."""
        if not value:
            return None
        scheme, _, rest = value.strip(" \t").partition(" ")
        scheme = scheme.lower()
        rest = rest.strip(" \t")
        if not scheme:
            return None
        if scheme == "basic":
            try:
                raw = base64.b64decode(rest, validate=True)
            except ValueError:  # binascii.Error, or a non-ASCII str
                return None
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                text = raw.decode("latin-1")
            username, _, password = text.partition(":")
            return cls(scheme, {"username": username, "password": password})
        if "=" in rest.rstrip("="):  # an "=" before the end: auth-params, not a token68
            return cls(scheme, dict(_params(rest, lower=False)))
        return cls(scheme, None, rest)

    @property
    def username(self) -> str | None:
        return self.parameters.get("username")

    @property
    def password(self) -> str | None:
        return self.parameters.get("password")

    def __getattr__(self, name: str) -> str | None:
        if name.startswith("__") or "parameters" not in self.__dict__:
            raise AttributeError(name)
        return self.parameters.get(name)

    def __getitem__(self, name: str) -> str | None:
        return self.parameters.get(name)

    def get(self, key: str, default: str | None = None) -> str | None:
        return self.parameters.get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self.parameters

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Authorization):
            return NotImplemented
        return (self.type, self.token, self.parameters) == (other.type, other.token, other.parameters)

    __hash__ = None  # type: ignore[assignment]

    def to_header(self) -> str:
        """The header value: ``Basic dXNlcjpwdw==``, ``Bearer abc``, ``Digest username="a", ...``."""
        if self.type == "basic":
            credentials = f"{self.username or ''}:{self.password or ''}".encode()
            return "Basic " + base64.b64encode(credentials).decode("ascii")
        if self.token is not None:
            return f"{self.type.title()} {self.token}"
        params = ", ".join(
            name if value is None else f"{name}={quote_header_value(value)}" for name, value in self.parameters.items()
        )
        return f"{self.type.title()} {params}"

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()}>"


# -- Cache-Control ----------------------------------------------------------------------------------


def _flag(name: str) -> property:
    return property(lambda self: name in self, doc=f"Whether ``{name}`` is present.")


def _seconds(name: str, empty: Any = None) -> property:
    def get(self: RequestCacheControl) -> Any:
        if name not in self:
            return None
        value = self[name]
        return empty if value is None else _digits(value)

    return property(get, doc=f"``{name}`` in seconds; None when absent or not a number.")


class RequestCacheControl(dict[str, str | None]):
    """A request's ``Cache-Control``, read-only, as Werkzeug's: directive -> value (None for a
    bare one), with ``max_age``, ``max_stale`` (True when given without seconds), ``min_fresh``,
    ``stale_if_error``, ``no_cache``, ``no_store``, ``no_transform`` and ``only_if_cached``."""

    def __init__(self, values: str | Mapping[str, str | None] | Iterable[tuple[str, str | None]] | None = None) -> None:
        self.provided = bool(values) if isinstance(values, str) else values is not None
        if isinstance(values, str):
            values = _params(values, lower=True)
        super().__init__(values or ())

    def _immutable(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError(f"{type(self).__name__} objects are immutable")

    __setitem__ = __delitem__ = setdefault = update = pop = popitem = clear = _immutable  # type: ignore[assignment]

    max_age = _seconds("max-age")
    max_stale = _seconds("max-stale", empty=True)
    min_fresh = _seconds("min-fresh")
    stale_if_error = _seconds("stale-if-error")
    no_cache = _flag("no-cache")
    no_store = _flag("no-store")
    no_transform = _flag("no-transform")
    only_if_cached = _flag("only-if-cached")

    def to_header(self) -> str:
        """The header value: ``no-cache, max-age=0``."""
        return _dump_params(self)

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()!r}>"


# -- entity tags --------------------------------------------------------------------------------


def unquote_etag(value: str) -> tuple[str, bool]:
    """An entity tag's opaque value and whether it is weak: ``W/"abc"`` -> ``("abc", True)``."""
    value = value.strip(" \t")
    weak = value[:2] in ("W/", "w/")
    if weak:
        value = value[2:]
    if len(value) >= 2 and value[0] == value[-1] == '"':  # no escapes in an entity tag
        value = value[1:-1]
    return value, weak


class ETags:
    """A set of entity tags (``If-Match``, ``If-None-Match``), as Werkzeug's: strong and weak
    tags (unquoted) and the ``*`` tag. ``etag in etags`` and ``contains(etag)`` check a strong
    match (``*`` matches all), ``contains_weak`` a weak one, ``contains_raw`` a quoted header
    value. Iterating and ``len`` see the strong tags; ``bool`` is False when the header had none."""

    def __init__(
        self, strong_etags: Iterable[str] | None = None, weak_etags: Iterable[str] | None = None, star_tag: bool = False
    ) -> None:
        self.star_tag = star_tag
        self._strong = frozenset(strong_etags or ()) if not star_tag else frozenset()
        self._weak = frozenset(weak_etags or ())
        self._order = [*dict.fromkeys(strong_etags or ())] if not star_tag else []
        self._weak_order = [*dict.fromkeys(weak_etags or ())]

    def as_set(self, include_weak: bool = False) -> set[str]:
        """The strong tags (and the weak ones with ``include_weak``)."""
        return set(self._strong | self._weak) if include_weak else set(self._strong)

    def is_weak(self, etag: str) -> bool:
        return etag in self._weak

    def is_strong(self, etag: str) -> bool:
        return etag in self._strong

    def contains_weak(self, etag: str) -> bool:
        """Whether ``etag`` matches weakly (as a weak or a strong tag, or ``*``)."""
        return self.is_weak(etag) or self.contains(etag)

    def contains(self, etag: str) -> bool:
        """Whether ``etag`` matches strongly (``*`` matches every tag)."""
        return self.star_tag or self.is_strong(etag)

    def contains_raw(self, etag: str) -> bool:
        """As :meth:`contains` for a header value (``"abc"``), weakly for ``W/"abc"``."""
        value, weak = unquote_etag(etag)
        return self.contains_weak(value) if weak else self.contains(value)

    def __call__(self, etag: str | None = None, data: bytes | None = None, include_weak: bool = False) -> bool:
        """Whether ``etag`` (or the SHA-1 tag of ``data``) is in the set."""
        if etag is None:
            if data is None:
                raise TypeError("either tag or data required.")
            etag = hashlib.sha1(data).hexdigest()
        return (include_weak and etag in self._weak) or etag in self._strong

    def to_header(self) -> str:
        """The header value: ``"a", W/"b"`` or ``*``."""
        if self.star_tag:
            return "*"
        return ", ".join([f'"{tag}"' for tag in self._order] + [f'W/"{tag}"' for tag in self._weak_order])

    def __contains__(self, etag: object) -> bool:
        return isinstance(etag, str) and self.contains(etag)

    def __iter__(self) -> Iterator[str]:
        return iter(self._order)

    def __len__(self) -> int:
        return len(self._order)

    def __bool__(self) -> bool:
        return bool(self.star_tag or self._strong or self._weak)

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()!r}>"


def parse_etags(value: str | None) -> ETags:
    """``If-Match``/``If-None-Match`` as :class:`ETags` (empty when absent). Unquoted tags are
    taken as they are, as Werkzeug does."""
    if not value:
        return ETags()
    if value.strip(" \t") == "*":
        return ETags(star_tag=True)
    strong: list[str] = []
    weak: list[str] = []
    for item in split_list(value, escapes=False):
        tag, is_weak = unquote_etag(item)
        if tag:
            (weak if is_weak else strong).append(tag)
    return ETags(strong, weak)


# -- If-Range, Range, Content-Range ---------------------------------------------------------------


class IfRange:
    """An ``If-Range`` header: an entity tag (``etag``, weakness dropped) or a date (``date``)."""

    def __init__(self, etag: str | None = None, date: datetime | None = None) -> None:
        self.etag = etag
        self.date = date

    def to_header(self) -> str:
        if self.date is not None:
            return http_date(self.date)
        if self.etag is not None:
            return f'"{self.etag}"'
        return ""

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()!r}>"


def parse_if_range(value: str | None) -> IfRange:
    """``If-Range`` as :class:`IfRange` (both None when absent)."""
    if not value:
        return IfRange()
    date = parse_http_date(value)
    if date is not None:
        return IfRange(date=date)
    return IfRange(unquote_etag(value)[0])


class Range:
    """A ``Range`` header: ``units`` (``"bytes"``) and ``ranges``, ``(start, stop)`` pairs with
    ``stop`` exclusive; ``(start, None)`` for ``500-`` and ``(-500, None)`` for the last 500."""

    def __init__(self, units: str, ranges: list[tuple[int, int | None]]) -> None:
        self.units = units
        self.ranges = ranges

    def range_for_length(self, length: int | None) -> tuple[int, int] | None:
        """The ``(start, stop)`` to send of a ``length``-byte body; None unless this is one byte
        range that is satisfiable (a suffix longer than the body means the whole body)."""
        if self.units != "bytes" or length is None or len(self.ranges) != 1:
            return None
        start, stop = self.ranges[0]
        if stop is None:
            stop = length
            if start < 0:
                start = max(0, start + length)
        if not 0 <= start < length:
            return None
        return start, min(stop, length)

    def make_content_range(self, length: int | None) -> ContentRange | None:
        """The :class:`ContentRange` answering this range for a ``length``-byte body, or None."""
        found = self.range_for_length(length)
        return ContentRange(self.units, found[0], found[1], length) if found is not None else None

    def to_content_range_header(self, length: int | None) -> str | None:
        """The ``Content-Range`` value answering this range, or None."""
        content_range = self.make_content_range(length)
        return content_range.to_header() if content_range is not None else None

    def to_header(self) -> str:
        """The header value: ``bytes=0-499,-500``."""
        parts = [
            (f"{start}-" if start >= 0 else str(start)) if stop is None else f"{start}-{stop - 1}"
            for start, stop in self.ranges
        ]
        return f"{self.units}={','.join(parts)}"

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()!r}>"


def parse_range(value: str | None) -> Range | None:
    """A ``Range`` header as :class:`Range`; None when absent or malformed (a bad number, an
    empty or reversed range, ranges out of order or overlapping)."""
    if not value or "=" not in value:
        return None
    units, _, spec = value.partition("=")
    units = units.strip(" \t").lower()
    if not units or not all(char in _TOKEN_CHARS for char in units):
        return None
    ranges: list[tuple[int, int | None]] = []
    last_stop: int | None = 0  # None once a range runs to the end: nothing may follow it
    for part in spec.split(","):
        first, dash, last = part.strip(" \t").partition("-")
        if not dash or last_stop is None:
            return None
        if not first.strip(" \t"):
            suffix = _digits(last)
            if not suffix:
                return None
            ranges.append((-suffix, None))
            last_stop = None
            continue
        start = _digits(first)
        if start is None or start < last_stop:
            return None
        stop = None
        if last.strip(" \t"):
            end = _digits(last)
            if end is None or end < start:
                return None
            stop = end + 1
        ranges.append((start, stop))
        last_stop = stop
    return Range(units, ranges)
