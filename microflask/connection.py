"""Flask's sync attributes of an HTTP connection (a request or a websocket), read from the ASGI
scope: path, args, URLs, host, blueprint, and Werkzeug's parsed headers (``accept_*``,
``authorization``, ``cache_control``, ``if_*``, ``range``...). No body, no I/O; a header is
parsed when first read (see :mod:`microflask.requestheaders`)."""

from __future__ import annotations

from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote

from starlette.datastructures import URL

from .datastructures import Accept, HeaderSet, ImmutableMultiDict, MultiDict, UserAgent
from .headervalues import parse_http_date
from .httputil import RequestHeaders, cookie_pairs, route_path, wsgi_environ
from .requestheaders import (
    Authorization,
    CharsetAccept,
    ETags,
    IfRange,
    LanguageAccept,
    Range,
    RequestCacheControl,
    parse_etags,
    parse_if_range,
    parse_range,
    split_list,
)

if TYPE_CHECKING:
    from .routing import Rule

__all__ = ["ConnectionAttributes"]


class ConnectionAttributes:
    """Flask's sync attributes of an HTTP request or a websocket, read from the ASGI scope."""

    scope: Any
    #: Set by routing: the matched rule, and the values its converters produced.
    url_rule: Rule | None = None
    view_args: dict[str, Any] | None = None

    @property
    def headers(self) -> RequestHeaders:
        """The request's headers, as Werkzeug's (see :class:`~microflask.httputil.RequestHeaders`):
        looked up case-insensitively; iterating gives ``(name, value)`` pairs."""
        headers: RequestHeaders | None = self.__dict__.get("_headers")
        if headers is None:
            headers = self._headers = RequestHeaders(scope=self.scope)
        return headers

    @cached_property
    def args(self) -> MultiDict[str]:
        """The query string as a :class:`MultiDict` (first value wins; ``getlist`` for all)."""
        query = self.scope.get("query_string", b"")
        if not query:
            return ImmutableMultiDict()
        return ImmutableMultiDict(parse_qsl(query.decode("latin-1"), keep_blank_values=True))

    @cached_property
    def cookies(self) -> ImmutableMultiDict[str]:
        """The request's cookies, as Werkzeug's: an :class:`ImmutableMultiDict` (the first value
        of a repeated name wins, ``getlist`` gives all; ``get(name, default, type)``), read from
        every ``Cookie`` header when first used."""
        headers = self.headers.getlist("cookie")
        if not headers:
            return ImmutableMultiDict()
        pairs = cookie_pairs(headers[0]) if len(headers) == 1 else [p for h in headers for p in cookie_pairs(h)]
        return ImmutableMultiDict(pairs)

    @cached_property
    def path(self) -> str:
        """The path below the app's root path, e.g. ``/users/1`` (Flask's ``PATH_INFO``)."""
        return route_path(self.scope)

    @property
    def root_path(self) -> str:
        """The prefix the app is mounted under (``SCRIPT_NAME`` in WSGI terms)."""
        return str(self.scope.get("root_path", "")).rstrip("/")

    script_root = root_path

    @property
    def query_string(self) -> bytes:
        return bytes(self.scope.get("query_string", b""))

    @property
    def full_path(self) -> str:
        """Path and query string, always with the ``?`` as Flask."""
        return f"{self.path}?{self.query_string.decode('latin-1')}"

    @property
    def scheme(self) -> str:
        return str(self.scope.get("scheme", "http"))

    @property
    def is_secure(self) -> bool:
        return self.scheme in ("https", "wss")

    @property
    def host(self) -> str:
        """The ``Host`` header (with port if given), or the server address."""
        host = self.headers.get("host")
        if host:
            return host
        server = self.scope.get("server")
        if not server:
            return ""
        name, port = server
        default = 443 if self.is_secure else 80
        return name if port in (None, default) else f"{name}:{port}"

    @property
    def url(self) -> str:  # type: ignore[override]
        """The full URL, a ``str`` as in Flask (Starlette's ``URL`` object: ``request.url_object``)."""
        return str(self.url_object)

    @property
    def url_object(self) -> URL:
        """The full URL as Starlette's ``URL`` (``.path``, ``.query``, ``.replace(...)``)."""
        return URL(scope=self.scope)

    @property
    def host_url(self) -> str:
        return f"{self.scheme}://{self.host}/"

    @property
    def url_root(self) -> str:
        """Scheme, host and root path, ending in ``/``."""
        return f"{self.scheme}://{self.host}{self.root_path}/"

    root_url = url_root

    @property
    def base_url(self) -> str:  # type: ignore[override]
        """The URL without the query string (Flask's meaning, not Starlette's app root)."""
        path = quote(self.root_path + self.path, safe="/%:@!$&'()*+,;=~")
        return f"{self.scheme}://{self.host}{path}"

    @property
    def remote_addr(self) -> str | None:
        client = self.scope.get("client")
        return client[0] if client else None

    @property
    def endpoint(self) -> str | None:
        return self.url_rule.endpoint if self.url_rule is not None else None

    @property
    def blueprint(self) -> str | None:
        """The name of the blueprint of the matched endpoint (dotted when nested)."""
        endpoint = self.endpoint
        if endpoint and "." in endpoint:
            return endpoint.rpartition(".")[0]
        return None

    @property
    def blueprints(self) -> list[str]:
        """The current blueprint and its parents, innermost first."""
        name = self.blueprint
        if name is None:
            return []
        parts = name.split(".")
        return [".".join(parts[:i]) for i in range(len(parts), 0, -1)]

    @cached_property
    def environ(self) -> dict[str, Any]:
        """The request as a WSGI environ, built from the ASGI scope for code written for Flask
        (``REQUEST_METHOD``, ``PATH_INFO``, ``QUERY_STRING``, ``HTTP_*`` headers, ``REMOTE_ADDR``,
        ``wsgi.url_scheme``...; ``asgi.scope`` is the scope itself). No ``wsgi.input``: the body
        is read with ``await request.get_data()``. Changing it changes nothing else."""
        environ = wsgi_environ(self.scope)
        environ["werkzeug.request"] = self  # Werkzeug keeps the request there
        return environ

    @cached_property
    def accept_mimetypes(self) -> Accept:
        return Accept(self.headers.get("accept"))

    @property
    def user_agent(self) -> UserAgent:
        return UserAgent(self.headers.get("user-agent", ""))

    @property
    def referrer(self) -> str | None:
        return self.headers.get("referer")

    @property
    def origin(self) -> str | None:
        return self.headers.get("origin")

    def _list_header(self, name: str) -> str | None:
        """A comma-separated header, its repeated lines joined (None when absent)."""
        values = self.headers.getlist(name)
        return ", ".join(values) if values else None

    @cached_property
    def accept_languages(self) -> LanguageAccept:
        """``Accept-Language``: ``.best_match(["en", "fr"])`` (``en-US`` accepts ``en``), ``.quality(tag)``."""
        return LanguageAccept(self._list_header("accept-language"))

    @cached_property
    def accept_charsets(self) -> CharsetAccept:
        """``Accept-Charset`` (charsets match by codec: ``utf8`` is ``utf-8``)."""
        return CharsetAccept(self._list_header("accept-charset"))

    @cached_property
    def accept_encodings(self) -> Accept:
        """``Accept-Encoding``: ``"gzip" in ...``, ``.best_match(["br", "gzip"])``."""
        return Accept(self._list_header("accept-encoding"))

    @cached_property
    def authorization(self) -> Authorization | None:
        """The ``Authorization`` header (``.type``, ``.username``/``.password``, ``.token``,
        ``.parameters``); None when absent or malformed."""
        return Authorization.from_header(self.headers.get("authorization"))

    @cached_property
    def cache_control(self) -> RequestCacheControl:
        """``Cache-Control`` (``.max_age``, ``.no_cache``...), read-only."""
        return RequestCacheControl(self._list_header("cache-control"))

    @cached_property
    def pragma(self) -> HeaderSet:
        """``Pragma`` as a set of tokens (``"no-cache" in request.pragma``)."""
        return HeaderSet(self._list_header("pragma"))

    @cached_property
    def if_match(self) -> ETags:
        """``If-Match`` as :class:`~microflask.requestheaders.ETags` (empty when absent)."""
        return parse_etags(self._list_header("if-match"))

    @cached_property
    def if_none_match(self) -> ETags:
        """``If-None-Match`` as :class:`~microflask.requestheaders.ETags` (empty when absent)."""
        return parse_etags(self._list_header("if-none-match"))

    @property
    def if_modified_since(self) -> datetime | None:
        """``If-Modified-Since`` as an aware UTC ``datetime``; None when absent or invalid."""
        return parse_http_date(self.headers.get("if-modified-since"))

    @property
    def if_unmodified_since(self) -> datetime | None:
        """``If-Unmodified-Since`` as an aware UTC ``datetime``; None when absent or invalid."""
        return parse_http_date(self.headers.get("if-unmodified-since"))

    @property
    def date(self) -> datetime | None:
        """The ``Date`` header as an aware UTC ``datetime``; None when absent or invalid."""
        return parse_http_date(self.headers.get("date"))

    @cached_property
    def if_range(self) -> IfRange:
        """``If-Range``: ``.etag`` or ``.date`` (both None when absent)."""
        return parse_if_range(self.headers.get("if-range"))

    @cached_property
    def range(self) -> Range | None:
        """The ``Range`` header (``.ranges``, ``.range_for_length(n)``); None when absent or malformed."""
        return parse_range(self.headers.get("range"))

    @property
    def max_forwards(self) -> int | None:
        """``Max-Forwards`` as an ``int``; None when absent or not a number."""
        value = self.headers.get("max-forwards", "").strip(" \t")
        return int(value) if value.isascii() and value.isdigit() and len(value) < 19 else None

    @property
    def content_encoding(self) -> str | None:
        return self.headers.get("content-encoding")

    @property
    def content_md5(self) -> str | None:
        return self.headers.get("content-md5")

    @property
    def remote_user(self) -> str | None:
        """The authenticated user the server reports (``REMOTE_USER``): the scope's
        ``remote_user`` if a server or middleware sets one, else None."""
        return self.scope.get("remote_user")

    @cached_property
    def access_route(self) -> list[str]:
        """The client and the proxies in between, from ``X-Forwarded-For`` (client first); else
        ``[remote_addr]``. Trust it only behind a proxy you control."""
        forwarded = self._list_header("x-forwarded-for")
        if forwarded:
            return split_list(forwarded)
        return [self.remote_addr] if self.remote_addr else []

    @property
    def access_control_request_headers(self) -> HeaderSet | None:
        """A CORS preflight's ``Access-Control-Request-Headers``; None when absent."""
        value = self._list_header("access-control-request-headers")
        return HeaderSet(value) if value is not None else None

    @property
    def access_control_request_method(self) -> str | None:
        """A CORS preflight's ``Access-Control-Request-Method``."""
        return self.headers.get("access-control-request-method")
