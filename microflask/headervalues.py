"""Typed header values, as Werkzeug names them: HTTP dates, ``Cache-Control`` for responses,
``Content-Range``, ``WWW-Authenticate`` and ``Content-Security-Policy``.

Each value parses leniently (a malformed header reads as empty or None, never as an error) and
calls ``on_update(value)`` after a change, which is how a response writes it back to its header.
Built from RFC 9110 (HTTP semantics), RFC 9111 (caching), RFC 7235 (authentication) and the CSP
specification.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

from .datastructures import DIRECTIVE_ABSENT, CacheControl, directive_flag, directive_seconds

__all__ = [
    "CallbackDict",
    "ContentRange",
    "ContentSecurityPolicy",
    "ResponseCacheControl",
    "WWWAuthenticate",
    "http_date",
    "parse_http_date",
    "quote_header_value",
]

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


def quote_header_value(value: Any) -> str:
    """``value`` as it may stand in a header parameter: as is when it is a token, else a
    quoted-string (``"a b"``)."""
    text = str(value)
    if text and _TOKEN.fullmatch(text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def parse_http_date(value: str | None) -> datetime | None:
    """An HTTP-date (RFC 9110 §5.6.7: IMF-fixdate, and the obsolete RFC 850 and asctime forms)
    as an aware UTC datetime; None when absent or malformed."""
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value.strip(" \t"))
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (TypeError, ValueError, IndexError, OverflowError):  # astimezone too: year 1 with an offset
        return None


def http_date(value: datetime | date | int | float | str) -> str:
    """An HTTP-date: a datetime (naive means UTC), a date, or a POSIX timestamp; a str is kept."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        value = datetime.fromtimestamp(value, UTC)
    elif not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day, tzinfo=UTC)
    elif value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return format_datetime(value.astimezone(UTC), usegmt=True)


class CallbackDict(dict[str, Any]):
    """A dict that calls ``on_update(self)`` after each change."""

    def __init__(self, initial: Mapping[str, Any] | None = None, on_update: Callable[[Any], Any] | None = None):
        super().__init__(initial or {})
        self.on_update = on_update

    def _changed(self) -> None:
        if self.on_update is not None:
            self.on_update(self)

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        self._changed()

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key)
        self._changed()

    def update(self, *args: Any, **kwargs: Any) -> None:
        super().update(*args, **kwargs)
        self._changed()

    def setdefault(self, key: str, default: Any = None) -> Any:
        present = key in self
        value = super().setdefault(key, default)
        if not present:
            self._changed()
        return value

    def pop(self, key: str, *default: Any) -> Any:
        present = key in self
        value = super().pop(key, *default)
        if present:
            self._changed()
        return value

    def popitem(self) -> tuple[str, Any]:
        item = super().popitem()
        self._changed()
        return item

    def clear(self) -> None:
        super().clear()
        self._changed()


# -- Cache-Control (RFC 9111 §5.2.2) ----------------------------------------------------
def _field_names(name: str) -> property:
    """A directive that is bare or names header fields (``no-cache``, ``private``)."""

    def get(self: ResponseCacheControl) -> str | bool | None:
        if name not in self:
            return None
        value = self[name]
        return True if value is None else value

    def set(self: ResponseCacheControl, value: str | bool | None) -> None:
        if value is None or value is False:
            self._set(name, DIRECTIVE_ABSENT)
        else:
            self._set(name, None if value is True else str(value))

    return property(get, set, doc=f"``{name}``: True when bare, the field names when given, else None.")


# One directive: a name, then maybe ``=token`` or ``="quoted, with commas"``.
_DIRECTIVE = re.compile(
    r'([!#$%&\'*+\-.^_`|~0-9A-Za-z]+)\s*(?:=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*)))?\s*(?:,|$|(?=\S))'
)


class ResponseCacheControl(CacheControl):
    """A response's ``Cache-Control`` (Werkzeug's ``ResponseCacheControl``): ``max_age``,
    ``s_maxage``, ``public``, ``private``, ``no_cache``, ``no_store``, ``immutable``,
    ``stale_while_revalidate``... Setting an attribute (None or False removes it) rewrites the
    response's header."""

    def __init__(self, header: str | None = None, on_update: Callable[[Any], None] | None = None) -> None:
        super().__init__(None, None)
        for match in _DIRECTIVE.finditer(header or ""):
            name, quoted, bare = match.groups()
            value = re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else bare
            self.setdefault(name.lower(), value if value else None)
        self.on_update = on_update  # type: ignore[assignment]

    no_cache = _field_names("no-cache")
    private = _field_names("private")
    max_age = directive_seconds("max-age")
    s_maxage = directive_seconds("s-maxage")
    stale_while_revalidate = directive_seconds("stale-while-revalidate")
    stale_if_error = directive_seconds("stale-if-error")
    no_store = directive_flag("no-store")
    no_transform = directive_flag("no-transform")
    public = directive_flag("public")
    must_revalidate = directive_flag("must-revalidate")
    proxy_revalidate = directive_flag("proxy-revalidate")
    must_understand = directive_flag("must-understand")
    immutable = directive_flag("immutable")

    def to_header(self) -> str:
        """The header value: ``public, max-age=60``; field names are quoted when needed."""
        return ", ".join(
            name if value is None else f"{name}={quote_header_value(value)}" for name, value in self.items()
        )

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()!r}>"


# -- Content-Range (RFC 9110 §14.4) -----------------------------------------------------
_CONTENT_RANGE = re.compile(r"\s*([!#$%&'*+\-.^_`|~0-9A-Za-z]+)\s+(?:(\d+)-(\d+)|\*)\s*/\s*(\d+|\*)\s*")


class ContentRange:
    """A ``Content-Range``: ``units``, ``start``, ``stop`` (exclusive, as a slice) and ``length``
    (None when unknown: ``*``). ``bytes 0-4/10`` is ``ContentRange("bytes", 0, 5, 10)``; without
    ``units`` it is empty and sends no header."""

    units: str | None
    start: int | None
    stop: int | None
    length: int | None

    def __init__(
        self,
        units: str | None = None,
        start: int | None = None,
        stop: int | None = None,
        length: int | None = None,
        on_update: Callable[[ContentRange], Any] | None = None,
    ) -> None:
        self.on_update = None
        self.set(start, stop, length, units)  # type: ignore[arg-type]
        self.on_update = on_update

    @classmethod
    def from_header(cls, value: str | None, on_update: Callable[[ContentRange], Any] | None = None) -> ContentRange:
        """Parse a header; a malformed or inconsistent one gives an empty value."""
        match = _CONTENT_RANGE.fullmatch(value or "")
        if match is None:
            return cls(on_update=on_update)
        units, first, last, total = match.groups()
        length = None if total == "*" else int(total)
        if first is None:  # "bytes */10": the answer to an unsatisfiable range
            return cls(units, None, None, length, on_update) if length is not None else cls(on_update=on_update)
        start, stop = int(first), int(last) + 1
        if stop <= start or (length is not None and stop > length):
            return cls(on_update=on_update)
        return cls(units, start, stop, length, on_update)

    def set(self, start: int | None, stop: int | None, length: int | None = None, units: str | None = "bytes") -> None:
        """Set every part at once."""
        for name, value in (("units", units), ("start", start), ("stop", stop), ("length", length)):
            object.__setattr__(self, name, value)  # one on_update below, not one per part
        if self.on_update is not None:
            self.on_update(self)

    def unset(self) -> None:
        """Make it empty (the response's header is removed)."""
        self.set(None, None, None, None)

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)
        if name in ("units", "start", "stop", "length") and getattr(self, "on_update", None) is not None:
            self.on_update(self)  # type: ignore[misc]

    def to_header(self) -> str:
        """``bytes 0-4/10``, ``bytes */10``, or ``""`` when empty."""
        if not self.units:
            return ""
        length = "*" if self.length is None else str(self.length)
        if self.start is None or self.stop is None:
            return f"{self.units} */{length}"
        return f"{self.units} {self.start}-{self.stop - 1}/{length}"

    def __bool__(self) -> bool:
        return self.units is not None

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()!r}>"


# -- WWW-Authenticate (RFC 7235 §4.1) ----------------------------------------------------
_AUTH_PARAM = re.compile(r'\s*([!#$%&\'*+\-.^_`|~0-9A-Za-z]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^,\s]*)\s*(?:,|$)')
_TOKEN68 = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
_UNQUOTED_PARAMS = frozenset({"algorithm", "stale", "userhash", "charset"})  # tokens in RFC 7616/7617


def _auth_param(name: str) -> property:
    def get(self: WWWAuthenticate) -> str | None:
        return self.parameters.get(name)

    def set(self: WWWAuthenticate, value: str | None) -> None:
        if value is None:
            self.parameters.pop(name, None)
        else:
            self.parameters[name] = str(value)

    return property(get, set, doc=f"The ``{name}`` parameter (None when absent).")


class WWWAuthenticate:
    """A ``WWW-Authenticate`` challenge: its scheme ``type`` (lowercase), ``parameters`` (a dict:
    ``realm``...) or a ``token`` (token68, as ``Negotiate`` uses). ``to_header()`` gives
    ``Basic realm="Login Required"``. Changes call ``on_update(self)``."""

    def __init__(
        self,
        auth_type: str = "basic",
        values: Mapping[str, str] | None = None,
        token: str | None = None,
        on_update: Callable[[WWWAuthenticate], Any] | None = None,
    ) -> None:
        self._type = auth_type.lower()
        self._token = token
        self._parameters = CallbackDict(values, self._changed)
        self.on_update = on_update

    def _changed(self, _: Any = None) -> None:
        if self.on_update is not None:
            self.on_update(self)

    @classmethod
    def from_header(
        cls, value: str | None, on_update: Callable[[WWWAuthenticate], Any] | None = None
    ) -> WWWAuthenticate | None:
        """Parse the first challenge of a header; None when there is none."""
        scheme, _, rest = (value or "").strip().partition(" ")
        if not scheme:
            return None
        rest = rest.strip()
        if _TOKEN68.fullmatch(rest):  # "Negotiate abc==": a token, not a parameter named abc
            return cls(scheme, None, rest, on_update)
        parameters: dict[str, str] = {}
        position = 0
        while position < len(rest):
            match = _AUTH_PARAM.match(rest, position)
            if match is None:
                break
            name, raw = match.groups()
            if raw.startswith('"'):
                raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
            parameters[name.lower()] = raw
            position = match.end()
        if parameters:
            return cls(scheme, parameters, None, on_update)
        return cls(scheme, None, rest or None, on_update)

    @property
    def type(self) -> str:
        return self._type

    @type.setter
    def type(self, value: str) -> None:
        self._type = value.lower()
        self._changed()

    @property
    def token(self) -> str | None:
        return self._token

    @token.setter
    def token(self, value: str | None) -> None:
        self._token = value
        self._changed()

    @property
    def parameters(self) -> CallbackDict:
        return self._parameters

    @parameters.setter
    def parameters(self, value: Mapping[str, str]) -> None:
        self._parameters = CallbackDict(value, self._changed)
        self._changed()

    realm = _auth_param("realm")
    charset = _auth_param("charset")
    domain = _auth_param("domain")
    nonce = _auth_param("nonce")
    opaque = _auth_param("opaque")
    algorithm = _auth_param("algorithm")
    qop = _auth_param("qop")
    stale = _auth_param("stale")
    error = _auth_param("error")
    error_description = _auth_param("error_description")
    scope = _auth_param("scope")

    def __getitem__(self, name: str) -> str | None:
        return self.parameters.get(name.lower())

    def __setitem__(self, name: str, value: str | None) -> None:
        if value is None:
            self.parameters.pop(name.lower(), None)
        else:
            self.parameters[name.lower()] = str(value)

    def __delitem__(self, name: str) -> None:
        self.parameters.pop(name.lower(), None)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self.parameters

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.parameters.get(name.lower(), default)

    def to_header(self) -> str:
        """The header value. ``realm`` and other parameters are quoted-strings, save the
        token-only ones (``algorithm``, ``stale``...)."""
        scheme = self.type.title()
        if self.token is not None and not self.parameters:
            return f"{scheme} {self.token}"
        params = ", ".join(
            f"{name}={quote_header_value(value) if name in _UNQUOTED_PARAMS else _quoted(value)}"
            for name, value in self.parameters.items()
        )
        return f"{scheme} {params}" if params else scheme

    def __eq__(self, other: object) -> bool:
        return isinstance(other, WWWAuthenticate) and (self.type, self.token, dict(self.parameters)) == (
            other.type,
            other.token,
            dict(other.parameters),
        )

    __hash__ = None  # type: ignore[assignment]

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()!r}>"


def _quoted(value: Any) -> str:
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


# -- Content-Security-Policy (CSP Level 3) ------------------------------------------------
def _directive(name: str) -> property:
    def get(self: ContentSecurityPolicy) -> str | None:
        return self.get(name)

    def set(self: ContentSecurityPolicy, value: str | None) -> None:
        if value is None:
            self.pop(name, None)
        else:
            self[name] = value

    return property(get, set, doc=f"The ``{name}`` directive (None when absent).")


class ContentSecurityPolicy(CallbackDict):
    """A ``Content-Security-Policy`` (or ``...-Report-Only``): directive -> its value (``""``
    for a bare one), with attributes for the directives (``default_src`` is ``default-src``).
    Changes call ``on_update(self)``, which rewrites the response's header."""

    @classmethod
    def from_header(
        cls, value: str | None, on_update: Callable[[ContentSecurityPolicy], Any] | None = None
    ) -> ContentSecurityPolicy:
        directives: dict[str, str] = {}
        for part in (value or "").split(";"):
            name, _, rest = part.strip().partition(" ")
            if name and name.lower() not in directives:  # the first of a repeated directive wins (CSP 3)
                directives[name.lower()] = rest.strip()
        return cls(directives, on_update)

    def to_header(self) -> str:
        """``default-src 'self'; img-src *``."""
        return "; ".join(f"{name} {value}".strip() for name, value in self.items())

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()!r}>"

    base_uri = _directive("base-uri")
    child_src = _directive("child-src")
    connect_src = _directive("connect-src")
    default_src = _directive("default-src")
    font_src = _directive("font-src")
    form_action = _directive("form-action")
    frame_ancestors = _directive("frame-ancestors")
    frame_src = _directive("frame-src")
    img_src = _directive("img-src")
    manifest_src = _directive("manifest-src")
    media_src = _directive("media-src")
    navigate_to = _directive("navigate-to")
    object_src = _directive("object-src")
    prefetch_src = _directive("prefetch-src")
    plugin_types = _directive("plugin-types")
    report_to = _directive("report-to")
    report_uri = _directive("report-uri")
    require_trusted_types_for = _directive("require-trusted-types-for")
    sandbox = _directive("sandbox")
    script_src = _directive("script-src")
    script_src_attr = _directive("script-src-attr")
    script_src_elem = _directive("script-src-elem")
    style_src = _directive("style-src")
    style_src_attr = _directive("style-src-attr")
    style_src_elem = _directive("style-src-elem")
    trusted_types = _directive("trusted-types")
    upgrade_insecure_requests = _directive("upgrade-insecure-requests")
    worker_src = _directive("worker-src")
