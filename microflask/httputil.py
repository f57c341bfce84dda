"""Small HTTP helpers: header parsing, status codes, Set-Cookie values, ASGI paths."""

from __future__ import annotations

import functools
import http.cookies
import re
import sys
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http import HTTPStatus
from typing import Any

from starlette.datastructures import Headers, MutableHeaders

_NO_DEFAULT: Any = object()

__all__ = [
    "RequestHeaders",
    "SafeHeaders",
    "content_disposition",
    "content_type_header",
    "converted_value",
    "converted_values",
    "cookie_pairs",
    "dump_cookie",
    "header_pairs",
    "host_is_trusted",
    "is_json_mimetype",
    "not_modified",
    "parse_options_header",
    "route_path",
    "safe_header_value",
    "short_error",
    "status_code",
]


def parse_options_header(value: str | None) -> tuple[str, dict[str, str]]:
    """``"text/html; charset=utf-8"`` -> ``("text/html", {"charset": "utf-8"})``."""
    if not value:
        return "", {}
    main, *params = value.split(";")
    options: dict[str, str] = {}
    for param in params:
        name, _, val = param.partition("=")
        if name.strip():
            options[name.strip().lower()] = val.strip().strip('"')
    return main.strip().lower(), options


def is_json_mimetype(mimetype: str) -> bool:
    """``application/json`` or any ``application/...+json``."""
    return mimetype == "application/json" or (mimetype.startswith("application/") and mimetype.endswith("+json"))


def route_path(scope: Any) -> str:
    """The scope's path below its ``root_path`` (ASGI puts the root path inside ``path``)."""
    path: str = scope["path"]
    root = scope.get("root_path")
    if root and path.startswith(root):
        rest = path[len(root) :]
        if not rest or rest[0] == "/":
            return rest or "/"
    return path


@functools.lru_cache(maxsize=64)
def content_type_header(media_type: str | None) -> bytes | None:
    """The ``Content-Type`` value for a media type, with ``charset=utf-8`` added for text."""
    if media_type is None:
        return None
    if media_type.startswith("text/") and "charset=" not in media_type.lower():
        media_type += "; charset=utf-8"
    return media_type.encode("latin-1")


def status_code(status: int | str | HTTPStatus) -> int:
    if isinstance(status, int):
        return int(status)
    head = str(status).strip().split(" ", 1)[0]
    if not head.isdigit():
        raise ValueError(f"Invalid status {status!r}: give an int such as 404 or a line such as '404 Not Found'.")
    return int(head)


_cookie_quoter = http.cookies.SimpleCookie()
_cookie_escape = re.compile(r"\\([0-3][0-7]{2}|.)")


def _cookie_unescape(match: re.Match[str]) -> str:
    escaped = match.group(1)
    return chr(int(escaped, 8)) if len(escaped) == 3 else escaped


def cookie_pairs(header: str) -> list[tuple[str, str]]:
    """The ``(name, value)`` pairs of a ``Cookie`` request header, in order, repeated names
    kept: ``a=1; b="x\\073y"`` gives ``[("a", "1"), ("b", "x;y")]``. A quoted value is
    unquoted (its backslash and octal escapes, as ``dump_cookie`` writes them); a chunk
    without ``=`` is a name with an empty value; a chunk without a name is skipped."""
    pairs: list[tuple[str, str]] = []
    for chunk in header.split(";"):
        name, _, value = chunk.partition("=")
        name = name.strip()
        if not name:
            continue
        value = value.strip()
        if len(value) > 1 and value[0] == value[-1] == '"':
            value = _cookie_escape.sub(_cookie_unescape, value[1:-1])
        pairs.append((name, value))
    return pairs


def dump_cookie(
    key: str,
    value: str = "",
    max_age: int | timedelta | None = None,
    expires: datetime | str | int | float | None = None,
    path: str | None = "/",
    domain: str | None = None,
    secure: bool = False,
    httponly: bool = False,
    samesite: str | None = None,
    partitioned: bool = False,
) -> str:
    """The value of a ``Set-Cookie`` header."""
    if not key or any(c in key for c in '()<>@,;:\\"/[]?={} \t\r\n'):
        raise ValueError(f"Invalid cookie name {key!r}.")
    coded = _cookie_quoter.value_encode(value)[1] if value else ""  # an empty value is "key=;", as Werkzeug's
    parts = [f"{key}={coded}"]
    if isinstance(max_age, timedelta):
        max_age = int(max_age.total_seconds())
    if max_age is not None:
        parts.append(f"Max-Age={int(max_age)}")
    if expires is not None:
        if isinstance(expires, int | float):
            expires = datetime.fromtimestamp(expires, UTC)
        if isinstance(expires, datetime):
            aware = expires if expires.tzinfo else expires.replace(tzinfo=UTC)
            expires = format_datetime(aware.astimezone(UTC), usegmt=True)
        parts.append(f"Expires={expires}")
    if domain:
        parts.append(f"Domain={domain}")
    if path is not None:
        parts.append(f"Path={path}")
    if secure or partitioned:
        parts.append("Secure")
    if httponly:
        parts.append("HttpOnly")
    if samesite is not None:
        samesite = samesite.title()
        if samesite not in ("Strict", "Lax", "None"):
            raise ValueError("samesite must be 'Strict', 'Lax' or 'None'.")
        parts.append(f"SameSite={samesite}")
    if partitioned:
        parts.append("Partitioned")
    header = "; ".join(parts)
    if any(c in header for c in "\r\n\x00"):
        raise ValueError("Cookie values may not contain CR, LF or NUL.")
    return header


def content_disposition(filename: str | None, as_attachment: bool) -> str:
    """``attachment``/``inline`` with the file name, RFC 6266 encoded when it is not plain ASCII."""
    kind = "attachment" if as_attachment else "inline"
    if not filename:
        return kind
    try:
        filename.encode("ascii")
        simple = not any(c in filename for c in '"\\\r\n')
    except UnicodeEncodeError:
        simple = False
    if simple:
        return f'{kind}; filename="{filename}"'
    from urllib.parse import quote

    fallback = (
        unicodedata.normalize("NFKD", filename)
        .encode("ascii", "ignore")
        .decode()
        .replace('"', "")
        .replace("\\", "")
        .replace("\r", "")
    )
    fallback = fallback.replace("\n", "") or "download"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def not_modified(request_headers: Any, response_headers: Any) -> bool:
    """Whether a conditional request (``If-None-Match``, ``If-Modified-Since``) may get a 304."""
    from email.utils import parsedate_to_datetime

    if_none_match = request_headers.get("if-none-match")
    if if_none_match:
        etag = response_headers.get("etag")
        if if_none_match.strip() == "*":
            return etag is not None
        if etag is None:
            return False
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return etag.removeprefix("W/") in tags
    if_modified_since = request_headers.get("if-modified-since")
    last_modified = response_headers.get("last-modified")
    if if_modified_since and last_modified:
        try:
            return parsedate_to_datetime(if_modified_since) >= parsedate_to_datetime(last_modified)
        except (TypeError, ValueError):
            return False
    return False


def host_is_trusted(host: str, trusted: tuple[str, ...] | list[str]) -> bool:
    """Whether ``host`` (a Host header, port ignored) is one of ``trusted``; an entry starting
    with a dot also admits its subdomains (``.example.com``)."""
    if not host:
        return False
    name = _host_name(host)
    for entry in trusted:
        if entry.startswith("."):
            suffix = entry.lower().rstrip(".")
            if name == suffix[1:] or name.endswith(suffix):
                return True
        elif name == _host_name(entry):
            return True
    return False


def _host_name(host: str) -> str:
    """``"Example.com:8000"`` -> ``"example.com"``; ``"[::1]:8000"`` -> ``"::1"``."""
    host = host.strip().lower()
    if host.startswith("["):  # an IPv6 literal, maybe with a port after the bracket
        return host[1 : host.find("]")] if "]" in host else host[1:]
    return host.rsplit(":", 1)[0].rstrip(".") if host.count(":") == 1 else host.rstrip(".")


def safe_header_value(value: Any) -> str:
    """A header value that can always be sent: line breaks and NUL become spaces (they would
    split or end the header), text beyond Latin-1 is sent as its UTF-8 bytes."""
    text = str(value)
    if "\r" in text or "\n" in text or "\x00" in text:
        text = text.replace("\r", " ").replace("\n", " ").replace("\x00", " ")
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        text = text.encode("utf-8").decode("latin-1")
    return text


def _safe_header_name(name: str) -> str:
    if not name or any(c in name for c in ' \t\r\n\x00:()<>@,;\\"/[]?={}') or not name.isascii():
        raise ValueError(f"Invalid header name {name!r}.")
    return name


class TypedHeaderLookups(Headers):
    """Werkzeug's header lookups beside Starlette's, shared by request and response headers:
    ``get(key, default, type)``, ``getlist(key, type)`` and ``get_all(key)``."""

    def get(self, key: str, default: Any = None, type: Callable[[str], Any] | None = None) -> Any:  # type: ignore[override]
        """The first ``key`` header; converted by ``type`` (``default`` if that raises ValueError)."""
        try:
            value = self[key]
        except KeyError:
            return default
        return converted_value(value, type, default, ValueError)

    def getlist(self, key: str, type: Callable[[str], Any] | None = None) -> list[Any]:
        """Every ``key`` header; with ``type``, the values it converts (the others are left out)."""
        return converted_values(super().getlist(key), type)

    def get_all(self, key: str) -> list[str]:
        return self.getlist(key)


class RequestHeaders(TypedHeaderLookups):
    """A request's headers (immutable, looked up case-insensitively), with Werkzeug's request
    headers API besides Starlette's: iterating gives ``(name, value)`` pairs, the names written as
    Werkzeug writes them from a WSGI environ (``X-Token``, ``Content-Type``), so ``dict(iter(h))``
    and ``dict(h)`` give those names; ``keys(lower=True)``/``items(lower=True)`` give them
    lowercase, ``get(key, default, type)`` and ``getlist(key, type)`` convert values."""

    def __iter__(self) -> Iterator[tuple[str, str]]:  # type: ignore[override]
        return iter(self.items())

    def items(self, lower: bool = False) -> list[tuple[str, str]]:  # type: ignore[override]
        """Every ``(name, value)`` pair, repeated names included."""
        if lower:
            return super().items()
        return [(key.decode("latin-1").title(), value.decode("latin-1")) for key, value in self._list]

    def keys(self, lower: bool = False) -> list[str]:  # type: ignore[override]
        """Every name (repeated names too), as :meth:`items` writes them."""
        if lower:
            return super().keys()
        return [key.decode("latin-1").title() for key, _ in self._list]

    def to_wsgi_list(self) -> list[tuple[str, str]]:
        """The ``(name, value)`` pairs, as a list."""
        return self.items()


class SafeHeaders(TypedHeaderLookups, MutableHeaders):
    """Response headers that refuse to carry a header injection: values set from user input
    with CR/LF are flattened instead of splitting the header (or failing at send time).

    Besides Starlette's API they have Werkzeug's (``add``, ``set``, ``setlist``, ``extend``,
    ``getlist(key, type)``, ``pop``, ``remove``, ``to_wsgi_list``...), for code written for Flask.
    Iterating gives the names, as a mapping (Werkzeug's ``Headers`` gives pairs: use ``items()``).
    """

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(_safe_header_name(key), safe_header_value(value))

    def setdefault(self, key: str, value: Any) -> str:
        return super().setdefault(_safe_header_name(key), safe_header_value(value))

    def append(self, key: str, value: Any) -> None:
        super().append(_safe_header_name(key), safe_header_value(value))

    # -- Werkzeug's names, for code written for Flask ---------------------------------
    def items(self, lower: bool = False) -> list[tuple[str, str]]:  # type: ignore[override]
        """Every ``(name, value)`` pair, repeated names included (names are always lowercase)."""
        return super().items()

    def keys(self, lower: bool = False) -> list[str]:  # type: ignore[override]
        return super().keys()

    def add(self, key: str, value: Any, /, **options: Any) -> None:
        """Add a header, keeping the ones already there (``Set-Cookie``, ``Link``...); keyword
        arguments become its options: ``add("Content-Disposition", "attachment", filename="a.txt")``."""
        self.append(key, _with_options(value, options))

    add_header = add

    def set(self, key: str, value: Any, /, **options: Any) -> None:
        """Replace every ``key`` header with this one (options as :meth:`add`)."""
        self[key] = _with_options(value, options)

    def setlist(self, key: str, values: Iterable[Any]) -> None:
        """Replace every ``key`` header with one header per value."""
        values = list(values)
        del self[key]
        for value in values:
            self.append(key, value)

    def setlistdefault(self, key: str, default: Iterable[Any]) -> list[str]:
        """The ``key`` headers; if there are none, first set them to ``default``."""
        if key not in self:
            self.setlist(key, default)
        return self.getlist(key)

    def extend(self, headers: Any = None, /, **kwargs: Any) -> None:
        """Add headers, keeping existing ones: from a mapping (a list value gives one header per
        item), a multi-dict or headers object (every value), or ``(key, value)`` pairs."""
        for key, value in [*header_pairs(headers), *header_pairs(kwargs)]:
            self.append(key, value)

    def update(self, headers: Any = None, /, **kwargs: Any) -> None:  # type: ignore[override]
        """Replace the headers named in ``headers`` (any input :meth:`extend` takes) and ``kwargs``."""
        grouped: dict[str, list[Any]] = {}
        for key, value in [*header_pairs(headers), *header_pairs(kwargs)]:
            grouped.setdefault(key, []).append(value)
        for key, values in grouped.items():
            self.setlist(key, values)

    def remove(self, key: str) -> None:
        """Remove every ``key`` header (none is fine)."""
        del self[key]

    def pop(self, key: str | int | None = None, default: Any = _NO_DEFAULT) -> Any:
        """``pop(name)``: the first value, removing every ``name`` header (KeyError if none and no
        ``default``); ``pop()`` / ``pop(index)``: remove and return that ``(name, value)`` pair."""
        if key is None or isinstance(key, int):
            raw_name, raw_value = self._list.pop(-1 if key is None else key)
            return raw_name.decode("latin-1"), raw_value.decode("latin-1")
        if key not in self:
            if default is _NO_DEFAULT:
                raise KeyError(key)
            return default
        value = self[key]
        del self[key]
        return value

    def popitem(self) -> tuple[str, str]:
        return self.pop()  # type: ignore[no-any-return]

    def clear(self) -> None:
        self._list.clear()

    def to_wsgi_list(self) -> list[tuple[str, str]]:
        """The headers as WSGI's list of ``(name, value)`` pairs."""
        return self.items()

    def copy(self) -> SafeHeaders:
        return type(self)(raw=list(self._list))

    __copy__ = copy

    def __str__(self) -> str:
        return "".join(f"{key}: {value}\r\n" for key, value in self.items()) + "\r\n"


def header_pairs(headers: Any) -> list[tuple[str, Any]]:
    """Every ``(name, value)`` of any headers-like input: a multi-dict (Werkzeug's or ours:
    every value), a mapping (a list value stands for several headers), Starlette or Werkzeug
    headers (repeated names kept), or an iterable of pairs."""
    if headers is None:
        return []
    lists = getattr(headers, "lists", None)
    if callable(lists):  # a multi-dict
        return [(key, value) for key, values in lists() for value in values]
    items = getattr(headers, "items", None)
    if callable(items):  # a mapping, or headers (whose items() repeat names)
        pairs: list[tuple[str, Any]] = []
        for key, value in items():
            if isinstance(value, list | tuple | set):
                pairs.extend((key, v) for v in value)
            else:
                pairs.append((key, value))
        return pairs
    return [(key, value) for key, value in headers]


def _with_options(value: Any, options: dict[str, Any]) -> str:
    """A header value with Werkzeug-style keyword options appended (``; name="value"``);
    ``True`` gives a bare flag, ``None`` leaves the option out; underscores become dashes."""
    text = str(value)
    for name, option in options.items():
        if option is None:
            continue
        name = name.replace("_", "-")
        if option is True:
            text += f"; {name}"
        else:
            option = str(option)
            quoted = option if option and all(c.isalnum() or c in "!#$%&'*+-.^_`|~" for c in option) else _quote(option)
            text += f"; {name}={quoted}"
    return text


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def short_error(error: BaseException) -> str:
    """An error's text for a 400 message: its str (or class name), cut at 200 characters."""
    text = str(error) or type(error).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def converted_value(
    value: Any, type: Callable[[Any], Any] | None, default: Any, errors: Any = (ValueError, TypeError)
) -> Any:
    """``value`` converted by ``type`` when given; ``default`` if the conversion raises one of
    ``errors`` (Werkzeug's ``get(key, default, type=int)``)."""
    if type is None:
        return value
    try:
        return type(value)
    except errors:
        return default


def converted_values(values: list[Any], type: Callable[[Any], Any] | None) -> list[Any]:
    """``values``, each converted by ``type`` when given; values it rejects are skipped (Werkzeug's
    ``getlist(key, type=int)``)."""
    if type is None:
        return values
    converted = []
    for value in values:
        try:
            converted.append(type(value))
        except (ValueError, TypeError):
            pass
    return converted


def wsgi_environ(scope: Any) -> dict[str, Any]:
    """A WSGI environ describing an ASGI HTTP or websocket scope (without ``wsgi.input``)."""
    server = scope.get("server") or ("localhost", None)
    client = scope.get("client") or (None, None)
    environ: dict[str, Any] = {
        "REQUEST_METHOD": scope.get("method", "GET"),
        "SCRIPT_NAME": str(scope.get("root_path", "")).rstrip("/"),
        "PATH_INFO": route_path(scope),
        "QUERY_STRING": bytes(scope.get("query_string", b"")).decode("latin-1"),
        "SERVER_NAME": server[0],
        "SERVER_PORT": str(server[1] if server[1] is not None else ""),
        "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
        "REMOTE_ADDR": client[0],
        "REMOTE_PORT": str(client[1]) if client[1] is not None else None,
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": {"ws": "http", "wss": "https"}.get(scope.get("scheme", "http"), scope.get("scheme", "http")),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "asgi.scope": scope,
    }
    for raw_name, raw_value in scope.get("headers", ()):
        name = raw_name.decode("latin-1").upper().replace("-", "_")
        value = raw_value.decode("latin-1")
        if name in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            environ[name] = value
            continue
        key = f"HTTP_{name}"
        if key in environ:  # repeated header lines: joined as one (cookies with "; ")
            value = f"{environ[key]}{'; ' if key == 'HTTP_COOKIE' else ', '}{value}"
        environ[key] = value
    return environ
