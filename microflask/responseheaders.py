"""Werkzeug's typed response headers, as a mixin of :class:`microflask.Response`.

Every attribute here is a property over ``self.headers``: it parses the header when read and
writes it when set (None removes it), so creating a response costs nothing more. Typed values
(``cache_control``, ``content_range``, ``www_authenticate``, ``content_security_policy``,
``mimetype_params``, the header sets) write themselves back when changed. ETags and
``make_conditional`` (304, 412, 206 and 416 answers to a conditional or range request) are here
too. Built from RFC 9110 (conditional requests, ranges), RFC 9111 (caching) and the Fetch
standard (CORS).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from .datastructures import header_set_property
from .exceptions import RangeNotSatisfiable
from .headervalues import (
    CallbackDict,
    ContentRange,
    ContentSecurityPolicy,
    ResponseCacheControl,
    WWWAuthenticate,
    http_date,
    parse_http_date,
    quote_header_value,
)
from .httputil import not_modified, parse_options_header
from .requestheaders import parse_etags, parse_range, unquote_etag

__all__ = ["ResponseHeaders"]

# What a 304 leaves out: the representation's metadata (RFC 9110 §15.4.5); it keeps ETag,
# Cache-Control, Expires, Vary, Date, Content-Location, Last-Modified and the rest.
_NOT_MODIFIED_DROPS = (
    "content-length",
    "content-type",
    "content-encoding",
    "content-language",
    "content-md5",
    "content-range",
    "transfer-encoding",
)


def _remove(response: Any, name: str) -> None:
    del response.headers[name]  # no such header is fine


def _text(name: str, doc: str) -> Any:
    def get(self: Any) -> str | None:
        return self.headers.get(name)  # type: ignore[no-any-return]

    def set(self: Any, value: Any) -> None:
        if value is None:
            _remove(self, name)
        else:
            self.headers[name] = str(getattr(value, "value", value))  # an Enum gives its value

    return property(get, set, doc=doc)


def _date(name: str, doc: str) -> Any:
    def get(self: Any) -> datetime | None:
        return parse_http_date(self.headers.get(name))

    def set(self: Any, value: datetime | int | float | str | None) -> None:
        if value is None:
            _remove(self, name)
        else:
            self.headers[name] = http_date(value)

    return property(get, set, doc=doc)


def _typed(name: str, parse: Callable[[str | None, Callable[[Any], None]], Any], doc: str) -> Any:
    """A header read as a typed value (``parse(header, on_update)``) that writes itself back."""

    def get(self: Any) -> Any:
        def write_back(value: Any) -> None:
            text = value.to_header()
            if text:
                self.headers[name] = text
            else:
                _remove(self, name)

        return parse(self.headers.get(name), write_back)

    def set(self: Any, value: Any) -> None:
        if value is None:
            _remove(self, name)
            return
        if not isinstance(value, str) and not hasattr(value, "to_header"):
            value = _from_python(name, value)
        text = value if isinstance(value, str) else value.to_header()
        if text:
            self.headers[name] = text
        else:
            _remove(self, name)

    return property(get, set, doc=doc)


def _from_python(name: str, value: Any) -> Any:
    """A typed value from plain Python: a dict for a policy, ``(start, stop, length)`` for a range."""
    if name == "content-range":
        return ContentRange("bytes", *value)
    return ContentSecurityPolicy(dict(value))


def _csp(value: str | None, on_update: Callable[[Any], None]) -> ContentSecurityPolicy:
    return ContentSecurityPolicy.from_header(value, on_update)


def _content_range(value: str | None, on_update: Callable[[Any], None]) -> ContentRange:
    return ContentRange.from_header(value, on_update)


def _cache_control(value: str | None, on_update: Callable[[Any], None]) -> ResponseCacheControl:
    return ResponseCacheControl(value, on_update)


def _www_authenticate(value: str | None, on_update: Callable[[Any], None]) -> WWWAuthenticate:
    # As Werkzeug: without a (readable) header, a Basic challenge to fill in, sent once changed.
    return WWWAuthenticate.from_header(value, on_update) or WWWAuthenticate("basic", on_update=on_update)


class ResponseHeaders:
    """Werkzeug's response header attributes, over ``self.headers``."""

    headers: Any  # the response's (SafeHeaders)

    # -- caching -----------------------------------------------------------------------
    cache_control = _typed(
        "cache-control",
        _cache_control,
        "The ``Cache-Control`` header (a :class:`ResponseCacheControl`); setting its attributes"
        " rewrites the header: ``response.cache_control.max_age = 60``.",
    )
    expires = _date("expires", "``Expires`` as an aware UTC datetime (set a datetime or a timestamp).")
    last_modified = _date("last-modified", "``Last-Modified`` as an aware UTC datetime.")
    date = _date("date", "``Date`` as an aware UTC datetime.")

    @property
    def age(self) -> timedelta | None:
        """``Age`` as a timedelta (set seconds or a timedelta); None when absent or malformed."""
        value = self.headers.get("age")
        if value is None or not value.strip().isdigit():
            return None
        try:
            return timedelta(seconds=int(value))
        except OverflowError:
            return None

    @age.setter
    def age(self, value: timedelta | int | None) -> None:
        if value is None:
            _remove(self, "age")
        else:
            seconds = int(value.total_seconds()) if isinstance(value, timedelta) else int(value)
            self.headers["age"] = str(seconds)

    @property
    def retry_after(self) -> datetime | None:
        """``Retry-After`` as an aware UTC datetime (a header in seconds counts from now); set a
        datetime or a number of seconds."""
        value = (self.headers.get("retry-after") or "").strip()
        if value.isdigit():
            try:
                return datetime.now(UTC) + timedelta(seconds=int(value))
            except OverflowError:
                return None
        return parse_http_date(value)

    @retry_after.setter
    def retry_after(self, value: datetime | int | None) -> None:
        if value is None:
            _remove(self, "retry-after")
        elif isinstance(value, datetime):
            self.headers["retry-after"] = http_date(value)
        else:
            self.headers["retry-after"] = str(int(value))

    # -- the representation ------------------------------------------------------------
    content_language = header_set_property("Content-Language", "``Content-Language``, a set of language tags.")
    content_location = _text("content-location", "``Content-Location`` (None when absent).")
    content_encoding = _text("content-encoding", "``Content-Encoding`` (``gzip``...).")
    content_md5 = _text("content-md5", "``Content-MD5`` (obsolete, kept for old clients).")
    accept_ranges = _text("accept-ranges", "``Accept-Ranges`` (``bytes``, or ``none``).")
    content_range = _typed(
        "content-range",
        _content_range,
        "``Content-Range`` (a :class:`ContentRange`, empty when absent); set one, a header, or"
        " ``(start, stop, length)``.",
    )

    @property
    def mimetype_params(self) -> CallbackDict:
        """The ``Content-Type`` parameters (``{"charset": "utf-8"}``); changes rewrite the header."""
        mimetype, params = parse_options_header(self.headers.get("content-type"))

        def write_back(values: Mapping[str, Any]) -> None:
            self.headers["content-type"] = _content_type(mimetype, values)

        return CallbackDict(params, write_back)

    @mimetype_params.setter
    def mimetype_params(self, value: Mapping[str, Any]) -> None:
        self.headers["content-type"] = _content_type(parse_options_header(self.headers.get("content-type"))[0], value)

    # -- security ----------------------------------------------------------------------
    www_authenticate = _typed(
        "www-authenticate",
        _www_authenticate,
        "``WWW-Authenticate`` (a :class:`WWWAuthenticate`): ``response.www_authenticate.realm =``"
        " ``'Login'``, or set one.",
    )
    content_security_policy = _typed(
        "content-security-policy",
        _csp,
        "``Content-Security-Policy`` (a :class:`ContentSecurityPolicy`): set a header, a dict or a"
        " policy, or change it: ``response.content_security_policy.default_src = \"'self'\"``.",
    )
    content_security_policy_report_only = _typed(
        "content-security-policy-report-only", _csp, "``Content-Security-Policy-Report-Only``, as the policy."
    )
    cross_origin_opener_policy = _text("cross-origin-opener-policy", "``Cross-Origin-Opener-Policy`` (a string).")
    cross_origin_embedder_policy = _text("cross-origin-embedder-policy", "``Cross-Origin-Embedder-Policy`` (a string).")

    # -- CORS --------------------------------------------------------------------------
    access_control_allow_origin = _text("access-control-allow-origin", "``Access-Control-Allow-Origin``.")
    access_control_allow_headers = header_set_property(
        "Access-Control-Allow-Headers", "``Access-Control-Allow-Headers``, a set."
    )
    access_control_allow_methods = header_set_property(
        "Access-Control-Allow-Methods", "``Access-Control-Allow-Methods``, a set."
    )
    access_control_expose_headers = header_set_property(
        "Access-Control-Expose-Headers", "``Access-Control-Expose-Headers``, a set."
    )

    @property
    def access_control_allow_credentials(self) -> bool:
        """``Access-Control-Allow-Credentials: true``; setting False removes it."""
        return (self.headers.get("access-control-allow-credentials") or "").strip().lower() == "true"

    @access_control_allow_credentials.setter
    def access_control_allow_credentials(self, value: bool | None) -> None:
        if value:
            self.headers["access-control-allow-credentials"] = "true"
        else:
            _remove(self, "access-control-allow-credentials")

    @property
    def access_control_max_age(self) -> int | None:
        """``Access-Control-Max-Age`` in seconds (None when absent or malformed)."""
        value = (self.headers.get("access-control-max-age") or "").strip()
        return int(value) if value.isdigit() else None

    @access_control_max_age.setter
    def access_control_max_age(self, value: int | timedelta | None) -> None:
        if value is None:
            _remove(self, "access-control-max-age")
        else:
            seconds = int(value.total_seconds()) if isinstance(value, timedelta) else int(value)
            self.headers["access-control-max-age"] = str(seconds)

    # -- ETags and conditional requests --------------------------------------------------
    def set_etag(self, etag: str, weak: bool = False) -> None:
        """Set the ``ETag`` to ``etag`` (quoted here; ``W/`` prefixed when ``weak``)."""
        if '"' in etag or any(ord(c) < 0x21 or ord(c) == 0x7F for c in etag):
            raise ValueError(f"Invalid ETag {etag!r}: it may not contain quotes, spaces or control characters.")
        self.headers["etag"] = f'{"W/" if weak else ""}"{etag}"'

    def get_etag(self) -> tuple[str, bool] | tuple[None, None]:
        """``(etag, is_weak)`` from the ``ETag`` header, or ``(None, None)``."""
        return _unquote_etag(self.headers.get("etag"))

    def add_etag(self, overwrite: bool = False, weak: bool = False) -> None:
        """Set an ``ETag`` from a hash of the body (unless there is one, or ``overwrite``). The
        body is read into memory for that."""
        if overwrite or "etag" not in self.headers:
            body = self.get_data()  # type: ignore[attr-defined]
            self.set_etag(hashlib.sha1(body, usedforsecurity=False).hexdigest(), weak)

    def make_conditional(
        self, request_or_environ: Any, accept_ranges: bool | str = False, complete_length: int | None = None
    ) -> Any:
        """Answer a conditional GET or HEAD request (``request``, a WSGI environ or an ASGI scope)
        with this response, as RFC 9110 §13.2.2 orders it: a failed ``If-Match`` or
        ``If-Unmodified-Since`` makes it a 412; a matching ``If-None-Match`` (else
        ``If-Modified-Since``) a 304 without a body; then with ``accept_ranges`` (True for
        ``bytes``) a single byte ``Range`` (subject to ``If-Range``) a 206 with that part, or
        raises :class:`RangeNotSatisfiable` (416) when it lies beyond the body. ``complete_length``
        defaults to the length of an in-memory body. Returns the response."""
        method, headers = _request_headers(request_or_environ)
        if method not in ("GET", "HEAD"):
            return self
        if "date" not in self.headers:
            self.headers["date"] = http_date(datetime.now(UTC))
        if accept_ranges:
            self.headers["accept-ranges"] = "bytes" if accept_ranges is True else str(accept_ranges)
        if _precondition_failed(headers, self.headers):
            self.status_code = 412
            return self
        if not_modified(headers, self.headers):
            self.status_code = 304
            self.set_data(b"")  # type: ignore[attr-defined]
            for name in _NOT_MODIFIED_DROPS:
                _remove(self, name)
            return self
        if (
            accept_ranges
            and self.status_code == 200
            and headers.get("range")
            and _if_range_holds(headers, self.headers)
        ):
            self._answer_range(headers.get("range"), complete_length)
        return self

    def _answer_range(self, header: str, complete_length: int | None) -> None:
        if complete_length is None:
            if getattr(self, "is_streamed", False):
                return  # a body produced while it is sent cannot be cut here
            complete_length = len(self.get_data())  # type: ignore[attr-defined]
        span = _byte_range(header, complete_length)
        if span is None:
            return  # not one byte range we understand: the whole body, as RFC 9110 allows
        if span == (0, 0):
            raise RangeNotSatisfiable(length=complete_length)
        start, stop = span
        body = self.get_data()  # type: ignore[attr-defined]
        if len(body) == complete_length:  # the whole body is here: cut it (else it is the part already)
            body = body[start:stop]
        self.set_data(body)  # type: ignore[attr-defined]
        self.headers["content-range"] = f"bytes {start}-{stop - 1}/{complete_length}"
        self.status_code = 206


def _content_type(mimetype: str, params: Mapping[str, Any]) -> str:
    return "; ".join([mimetype, *(f"{name}={quote_header_value(value)}" for name, value in params.items())])


def _unquote_etag(value: str | None) -> tuple[str, bool] | tuple[None, None]:
    return unquote_etag(value) if value and value.strip() else (None, None)


def _strong_match(header: str, etag: str | None) -> bool:
    """Whether ``etag`` (the response's ``ETag`` header) strongly matches one in ``header``."""
    tag, weak = _unquote_etag(etag)
    return tag is not None and not weak and parse_etags(header).is_strong(tag)


def _precondition_failed(request: Any, response: Any) -> bool:
    """``If-Match`` (strong comparison; ``*`` matches any response), else ``If-Unmodified-Since``
    against ``Last-Modified`` (RFC 9110 §13.1.1, §13.1.4)."""
    if_match = request.get("if-match")
    if if_match:
        return if_match.strip() != "*" and not _strong_match(if_match, response.get("etag"))
    since = parse_http_date(request.get("if-unmodified-since"))
    modified = parse_http_date(response.get("last-modified"))
    return since is not None and modified is not None and modified > since


def _if_range_holds(request: Any, response: Any) -> bool:
    """``If-Range`` (RFC 9110 §13.1.5): an ETag matching strongly, or exactly the Last-Modified."""
    if_range = (request.get("if-range") or "").strip()
    if not if_range:
        return True
    if if_range.startswith(('"', "W/")):
        return _strong_match(if_range, response.get("etag"))
    since = parse_http_date(if_range)
    return since is not None and since == parse_http_date(response.get("last-modified"))


def _byte_range(header: str, length: int) -> tuple[int, int] | None:
    """One byte range of ``Range`` as ``(start, stop)`` clipped to ``length``; ``(0, 0)`` when it
    is unsatisfiable; None when it is malformed, in other units, or several ranges (then the
    whole body is the answer)."""
    requested = parse_range(header)
    if requested is None or requested.units != "bytes" or len(requested.ranges) != 1:
        return None
    return requested.range_for_length(length) or (0, 0)


def _request_headers(request: Any) -> tuple[str, Any]:
    """The method and headers (a mapping read with lowercase names) of a request, a WSGI
    environ or an ASGI scope."""
    if hasattr(request, "headers") and hasattr(request, "method"):
        return str(request.method).upper(), request.headers
    if isinstance(request, Mapping) and "REQUEST_METHOD" in request:
        headers = {
            key[5:].replace("_", "-").lower(): value for key, value in request.items() if key.startswith("HTTP_")
        }
        return str(request["REQUEST_METHOD"]).upper(), headers
    if isinstance(request, Mapping) and "headers" in request:
        pairs: Iterable[tuple[bytes, bytes]] = request["headers"]
        decoded: dict[str, str] = {}
        for key, value in pairs:
            decoded.setdefault(key.decode("latin-1").lower(), value.decode("latin-1"))
        return str(request.get("method", "GET")).upper(), decoded
    raise TypeError(f"make_conditional() needs a request, a WSGI environ or an ASGI scope, not {request!r}.")
