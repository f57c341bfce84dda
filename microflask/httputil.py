"""Small HTTP helpers: header parsing, status codes, Set-Cookie values, ASGI paths."""

from __future__ import annotations

import functools
import http.cookies
import unicodedata
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http import HTTPStatus
from typing import Any

from starlette.datastructures import MutableHeaders

__all__ = [
    "SafeHeaders",
    "content_disposition",
    "content_type_header",
    "dump_cookie",
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


class SafeHeaders(MutableHeaders):
    """Response headers that refuse to carry a header injection: values set from user input
    with CR/LF are flattened instead of splitting the header (or failing at send time)."""

    def __setitem__(self, key: str, value: str) -> None:
        super().__setitem__(_safe_header_name(key), safe_header_value(value))

    def setdefault(self, key: str, value: str) -> str:
        return super().setdefault(_safe_header_name(key), safe_header_value(value))

    def append(self, key: str, value: str) -> None:
        super().append(_safe_header_name(key), safe_header_value(value))

    # Werkzeug's names, for code written for Flask.
    def add(self, key: str, value: Any) -> None:
        """Add a header, keeping the ones already there (``Set-Cookie``, ``Link``...)."""
        self.append(key, str(value))

    add_header = add

    def set(self, key: str, value: Any) -> None:
        """Replace every ``key`` header with this one."""
        self[key] = str(value)

    def extend(self, headers: Any) -> None:
        """Add several headers (a mapping or ``(key, value)`` pairs), keeping existing ones."""
        for key, value in headers.items() if hasattr(headers, "items") else headers:
            self.add(key, value)

    def get_all(self, key: str) -> list[str]:
        return self.getlist(key)


def short_error(error: BaseException) -> str:
    """An error's text for a 400 message: its str (or class name), cut at 200 characters."""
    text = str(error) or type(error).__name__
    return text if len(text) <= 200 else text[:197] + "..."
