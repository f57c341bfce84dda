"""Flask's sync attributes of an HTTP connection (a request or a websocket), read from the ASGI
scope: path, args, URLs, host, blueprint, ``accept_*``. No body, no I/O."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote

from starlette.datastructures import URL

from .datastructures import Accept, MultiDict, UserAgent
from .httputil import route_path

if TYPE_CHECKING:
    from .routing import Rule

__all__ = ["ConnectionAttributes"]


class ConnectionAttributes:
    """Flask's sync attributes of an HTTP request or a websocket, read from the ASGI scope."""

    scope: Any
    headers: Any
    #: Set by routing: the matched rule, and the values its converters produced.
    url_rule: Rule | None = None
    view_args: dict[str, Any] | None = None

    @cached_property
    def args(self) -> MultiDict[str]:
        """The query string as a :class:`MultiDict` (first value wins; ``getlist`` for all)."""
        query = self.scope.get("query_string", b"")
        if not query:
            return MultiDict()
        return MultiDict(parse_qsl(query.decode("latin-1"), keep_blank_values=True))

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
