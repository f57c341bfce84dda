"""The URL map (``app.url_map``): the rules, matching a request to one, building URLs.

Rules are parsed in :mod:`microflask.rules` and matched through the indexes of
:mod:`microflask.matching` (a dict, then a segment trie; per domain when the app matches
subdomains or hosts). A :class:`MapAdapter` is the map bound to one server name, subdomain,
scheme and root path: what ``url_for`` builds with, as Werkzeug's.

Every rule added by the app is also a :class:`starlette.routing.Route` (``app.routes``), so
Starlette tools that walk routes keep working; microflask itself dispatches through :class:`Map`.
"""

from __future__ import annotations

import functools
import re
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from starlette.routing import Match, NoMatchFound
from starlette.routing import Route as StarletteRoute

from .converters import (
    DEFAULT_CONVERTERS,
    URL_SAFE,
    AnyConverter,
    BaseConverter,
    FloatConverter,
    IntegerConverter,
    PathConverter,
    UnicodeConverter,
    UUIDConverter,
    ValidationError,
)
from .exceptions import BuildError, MethodNotAllowed, NotFound, RequestRedirect
from .httputil import route_path
from .matching import DomainIndex, Found, PathIndex
from .rules import ALL_METHODS, VARIABLE_RE, Rule, encode_query

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Scope

__all__ = [
    "AnyConverter",
    "BaseConverter",
    "FloatConverter",
    "IntegerConverter",
    "Map",
    "MapAdapter",
    "PathConverter",
    "Rule",
    "RuleRoute",
    "UUIDConverter",
    "UnicodeConverter",
    "ValidationError",
    "request_host",
]

_SLASHES = re.compile("/{2,}")
#: The subdomain of a request whose host does not end with the server name (Werkzeug's
#: marker): only a rule whose subdomain is a variable matches it.
INVALID_SUBDOMAIN = "<invalid>"


def strip_default_port(host: str, scheme: str) -> str:
    if host.endswith(":80") and scheme in ("http", "ws"):
        return host[:-3]
    if host.endswith(":443") and scheme in ("https", "wss"):
        return host[:-4]
    return host


def request_host(scope: Scope) -> str:
    """The request's host as routing sees it: the ``Host`` header (else the server address),
    lower-cased, without the scheme's default port."""
    host = ""
    for key, value in scope.get("headers", ()):
        if key == b"host":
            host = value.decode("latin-1")
            break
    else:
        server = scope.get("server")
        if server:
            host = f"{server[0]}:{server[1]}" if server[1] is not None else str(server[0])
    return strip_default_port(host.lower(), scope.get("scheme", "http"))


def _from_factory(rule: Any) -> Rule:
    """Our rule for a rule object of another router with Werkzeug's attributes (a
    ``werkzeug.routing.Rule``, as ``Submount`` and friends produce): read, not imported."""
    if getattr(rule, "redirect_to", None) is not None or getattr(rule, "alias", False):
        raise ValueError(f"{rule!r}: redirect_to and alias rules are not supported; use a view that redirects.")
    methods = rule.methods
    return Rule(
        rule.rule,
        rule.endpoint,
        ALL_METHODS if methods is None else methods,
        defaults=rule.defaults,
        subdomain=rule.subdomain,
        host=rule.host,
        strict_slashes=rule.strict_slashes,
        merge_slashes=getattr(rule, "merge_slashes", None),
        build_only=getattr(rule, "build_only", False),
        websocket=getattr(rule, "websocket", False),
        provide_automatic_options=False,  # as Werkzeug: the view answers OPTIONS itself
    )


class Map:
    """All of an app's rules: ``app.url_map``. Holds the converters and the matching options,
    matches and builds.

    ``host_matching`` matches each rule's ``host`` against the request's host (instead of its
    ``subdomain``); ``default_subdomain`` is the subdomain of rules that name none.
    ``strict_slashes`` redirects ``/dir`` to the rule ``/dir/``; ``merge_slashes`` redirects
    ``/a//b`` to ``/a/b``.
    """

    #: The converters every map starts with (``map.converters`` adds to a copy).
    default_converters: Mapping[str, type[BaseConverter]] = DEFAULT_CONVERTERS

    def __init__(
        self,
        rules: Iterable[Any] | None = None,
        default_subdomain: str = "",
        strict_slashes: bool = True,
        merge_slashes: bool = True,
        converters: Mapping[str, type[BaseConverter]] | None = None,
        host_matching: bool = False,
    ) -> None:
        self.converters: dict[str, type[BaseConverter]] = dict(self.default_converters)
        if converters:
            self.converters.update(converters)
        self.default_subdomain = default_subdomain
        self.strict_slashes = strict_slashes
        self.merge_slashes = merge_slashes
        self.host_matching = host_matching
        self._rules: list[Rule] = []
        self._by_endpoint: dict[str, list[Rule]] = {}
        self._http: PathIndex | None = None
        self._websocket: PathIndex | None = None
        self._domains: dict[bool, DomainIndex] = {}
        self._linked = False
        for rule in rules or ():
            self.add(rule)

    # -- rules ----------------------------------------------------------------------------
    def add(self, rulefactory: Any) -> None:
        """Add a :class:`Rule`, or every rule of a rule factory (an object with
        ``get_rules(map)``, as Werkzeug's ``Submount``, ``Subdomain`` and ``Rule``)."""
        for rule in rulefactory.get_rules(self):
            self._add(rule if isinstance(rule, Rule) else _from_factory(rule))

    def _add(self, rule: Rule) -> None:
        rule.bind(self)
        self._rules.append(rule)
        rules = self._by_endpoint.setdefault(rule.endpoint, [])
        rules.append(rule)
        # Building tries the rules that use the most values first, then those with the most
        # defaults (Werkzeug's order), so stacked @route decorators build the canonical URL.
        rules.sort(key=lambda r: (-len(r.arguments | r.defaults.keys()), -len(r.defaults)))
        self._http = self._websocket = None
        self._domains = {}
        self._linked = False

    def is_endpoint_expecting(self, endpoint: str, *arguments: str) -> bool:
        """Whether some rule of ``endpoint`` takes all of ``arguments`` (for ``url_defaults`` hooks)."""
        wanted = set(arguments)
        return any(wanted <= (r.arguments | r.defaults.keys()) for r in self._by_endpoint.get(endpoint, ()))

    def iter_rules(self, endpoint: str | None = None) -> Iterator[Rule]:
        return iter(self._by_endpoint.get(endpoint, []) if endpoint is not None else self._rules)

    def __iter__(self) -> Iterator[Rule]:
        return iter(self._rules)

    def __len__(self) -> int:
        return len(self._rules)

    # -- indexes (built on first use, or when the app freezes) -----------------------------
    def _matchable(self, websocket: bool) -> list[Rule]:
        if not self._linked:
            self._link_default_redirects()
            self._linked = True
        return [r for r in self._rules if r.websocket == websocket and not r.build_only]

    def _index(self, websocket: bool) -> PathIndex:
        """The index used without a domain: the rules of the default domain (the default
        subdomain, or no host with host matching). Apps that match neither subdomains nor
        hosts only use this one."""
        default = "" if self.host_matching else self.default_subdomain
        if websocket:
            if self._websocket is None:
                rules = self._matchable(True)
                self._websocket = PathIndex(r for r in rules if r.domain_segment is None and r.domain == default)
            return self._websocket
        if self._http is None:
            rules = self._matchable(False)
            self._http = PathIndex(r for r in rules if r.domain_segment is None and r.domain == default)
        return self._http

    def _domain_index(self, websocket: bool) -> DomainIndex:
        index = self._domains.get(websocket)
        if index is None:
            index = self._domains[websocket] = DomainIndex(self._matchable(websocket))
        return index

    def _link_default_redirects(self) -> None:
        """Werkzeug's ``redirect_defaults``: ``/page/1`` redirects to ``/page/`` when that rule of the
        same endpoint has ``defaults={"page": 1}``. Each rule learns its candidates once."""
        for rule in self._rules:
            names = rule.arguments | rule.defaults.keys()
            rule.default_redirects = tuple(
                other
                for other in self._by_endpoint[rule.endpoint]
                if other is not rule
                and other.defaults
                and not other.build_only
                and other.websocket == rule.websocket
                and other.domain == rule.domain
                and (other.arguments | other.defaults.keys()) == names
            )

    # -- matching ---------------------------------------------------------------------------
    def match(
        self,
        path: str,
        method: str = "GET",
        query_string: bytes = b"",
        websocket: bool = False,
        domain: str | None = None,
    ) -> tuple[Rule, dict[str, Any]]:
        """The matching rule and its values (defaults included), or raise ``NotFound``,
        ``MethodNotAllowed`` or ``RequestRedirect`` (to the slash-terminated or canonical URL).

        ``domain`` is the request's subdomain (its host, with ``host_matching``); None matches
        the rules of the default domain only, which is all an app without subdomains needs.
        """
        lookup: Callable[[str, str, set[str]], Found | None]
        if domain is None:
            lookup = self._index(websocket).match
        else:
            lookup = functools.partial(self._domain_index(websocket).match, domain)
        allowed: set[str] = set()
        found = lookup(path, method, allowed)
        if found is None:
            return self._no_match(lookup, path, method, query_string, allowed)
        rule, values = found
        if rule.defaults:  # the rule's default wins over a matched value, as Werkzeug's
            values = {**values, **rule.defaults}
        if rule.default_redirects:
            _redirect_to_canonical(rule, values, method, query_string)
        return rule, values

    def match_request(self, path: str, scope: Scope) -> tuple[Rule, dict[str, Any]]:
        """:meth:`match` for an HTTP request of an app that matches neither subdomains nor
        hosts: the request path of such an app, which never looks at the host."""
        method = scope["method"]
        index = self._http or self._index(False)
        allowed: set[str] = set()
        found = index.match(path, method, allowed)
        if found is None:
            return self._no_match(index.match, path, method, scope.get("query_string", b""), allowed)
        rule, values = found
        if rule.defaults:
            values = {**values, **rule.defaults}
        if rule.default_redirects:
            _redirect_to_canonical(rule, values, method, scope.get("query_string", b""))
        return rule, values

    def _no_match(
        self,
        lookup: Callable[[str, str, set[str]], Found | None],
        path: str,
        method: str,
        query_string: bytes,
        allowed: set[str],
    ) -> tuple[Rule, dict[str, Any]]:
        """No rule matched ``path`` and ``method``: 405, a redirect, a rule without strict
        slashes, or 404."""
        if allowed:
            raise MethodNotAllowed(valid_methods=allowed)
        # Flask's strict slashes: "/dir" for a rule "/dir/" redirects; strict_slashes=False matches.
        other = path[:-1] if path.endswith("/") and len(path) > 1 else path + "/"
        found = lookup(other, method, set())
        if found is not None:
            rule, values = found
            if not rule.strict_slashes:
                return rule, ({**values, **rule.defaults} if rule.defaults else values)
            if other.endswith("/"):
                raise RequestRedirect(_with_query(other, query_string))
        if "//" in path:  # merge_slashes: "/a//b" redirects to "/a/b"
            merged = _SLASHES.sub("/", path)
            found = lookup(merged, method, set())
            # Not for a rule with a path variable: "/static//etc/passwd" stays a 404 (as Werkzeug).
            if found is not None and found[0].merge_slashes and found[0]._tail is None:
                raise RequestRedirect(_with_query(merged, query_string))
        raise NotFound()

    def allowed_methods(self, path: str, domain: str | None = None) -> frozenset[str]:
        """Every method some rule accepts for ``path`` (the ``Allow`` of an OPTIONS answer)."""
        allowed: set[str] = set()
        if domain is None:
            self._index(False).match(path, "\x00", allowed)
        else:
            self._domain_index(False).match(domain, path, "\x00", allowed)
        return frozenset(allowed)

    # -- building ---------------------------------------------------------------------------
    def build(self, endpoint: str, values: Mapping[str, Any], method: str | None = None) -> str:
        """The path (with query string for extra values) of ``endpoint``, or raise ``BuildError``."""
        return self.build_rule(endpoint, values, method)[2]

    def build_rule(
        self,
        endpoint: str,
        values: Mapping[str, Any],
        method: str | None = None,
        default_method: str | None = None,
        prefer_domain: str | None = None,
    ) -> tuple[Rule, str, str]:
        """The rule chosen to build ``endpoint``, its domain and its path (with query string).

        Without ``method``, rules that accept ``default_method`` are preferred (the method of
        the current request, as Werkzeug). ``prefer_domain`` prefers the rule whose domain
        builds to it (the current host, with host matching).
        """
        rules = self._by_endpoint.get(endpoint)
        if not rules:
            raise BuildError(endpoint, dict(values), method, "The endpoint does not exist.")
        values = {k: v for k, v in values.items() if v is not None}
        found = None
        if method is None and default_method is not None:
            found = _pick(rules, values, default_method, prefer_domain)
        if found is None:
            found = _pick(rules, values, method, prefer_domain)
        if found is not None:
            rule, domain = found
            path = rule.build(values)
            extra = [(k, v) for k, v in values.items() if k not in rule.arguments and k not in rule.defaults]
            if extra:
                path += "?" + encode_query(extra)
            return rule, domain, path
        missing = sorted(set().union(*(r.arguments for r in rules)) - values.keys())
        reason = f"Did you forget to specify values {missing!r}?" if missing else None
        if method is not None and not any(method in r.methods for r in rules):
            reason = f"No rule of this endpoint accepts the method {method}."
        raise BuildError(endpoint, dict(values), method, reason)

    # -- binding ----------------------------------------------------------------------------
    def bind(
        self,
        server_name: str,
        script_name: str | None = None,
        subdomain: str | None = None,
        url_scheme: str = "http",
        default_method: str = "GET",
        path_info: str | None = None,
        query_args: bytes | str | None = None,
    ) -> MapAdapter:
        """The map bound to a server name (and subdomain, root path, scheme): match and build
        URLs for that host, as Werkzeug's ``Map.bind``."""
        server_name = server_name.lower()
        if self.host_matching and subdomain is not None:
            raise RuntimeError("host matching enabled and a subdomain was provided")
        if subdomain is None:
            subdomain = self.default_subdomain
        if isinstance(query_args, str):
            query_args = query_args.encode("latin-1")
        return MapAdapter(
            self, server_name, script_name or "/", subdomain, url_scheme, path_info or "/", default_method, query_args
        )

    def bind_to_scope(
        self, scope: Scope, server_name: str | None = None, subdomain: str | None = None, warn: bool = True
    ) -> MapAdapter:
        """The map bound to an ASGI request (Werkzeug's ``bind_to_environ``): the server name is
        ``server_name`` if given, else the request's host. Without ``subdomain``, it is what the
        host has in front of the server name; a host that does not end with the server name
        warns and gets a subdomain no literal rule matches."""
        host = request_host(scope)
        scheme = scope.get("scheme", "http")
        server_name = host if server_name is None else strip_default_port(server_name.lower(), scheme)
        if subdomain is None and not self.host_matching:
            subdomain = subdomain_of(host, server_name, warn)
        root = scope.get("root_path", "")
        return MapAdapter(
            self,
            server_name,
            root or "/",
            subdomain,
            scheme,
            route_path(scope),
            scope.get("method", "GET"),
            scope.get("query_string", b""),
        )


def subdomain_of(host: str, server_name: str, warn: bool = True) -> str:
    """The subdomain of ``host`` below ``server_name`` (both lower-case, without default port)."""
    current = host.split(".")
    real = server_name.split(".")
    if current[-len(real) :] != real:
        if warn:
            # Werkzeug's words: requests by IP address, or for another name, end up here.
            warnings.warn(
                f"Current server name {host!r} doesn't match configured server name {server_name!r}", stacklevel=3
            )
        return INVALID_SUBDOMAIN
    return ".".join(filter(None, current[: -len(real)]))


def _pick(
    rules: list[Rule], values: Mapping[str, Any], method: str | None, prefer_domain: str | None
) -> tuple[Rule, str] | None:
    first: tuple[Rule, str] | None = None
    for rule in rules:
        if rule.suitable_for(values, method):
            domain = rule.build_domain(values)
            if prefer_domain is None or domain == prefer_domain:
                return rule, domain
            if first is None:
                first = rule, domain
    return first


def _redirect_to_canonical(rule: Rule, values: dict[str, Any], method: str, query_string: bytes) -> None:
    """Werkzeug's ``redirect_defaults``: redirect when a rule of the same endpoint has these
    values as its defaults (``/page/1`` -> ``/page/``)."""
    for canonical in rule.default_redirects:
        if canonical.suitable_for(values, method):
            raise RequestRedirect(_with_query(canonical.build(values), query_string))


def _with_query(path: str, query_string: bytes) -> str:
    target = quote(path, safe=URL_SAFE + "%")
    if query_string:
        target += "?" + query_string.decode("latin-1")
    return target


class MapAdapter:
    """A :class:`Map` bound to one server name, subdomain, root path (``script_name``) and
    scheme: matches paths and builds URLs (relative when the rule's domain is the bound one)."""

    def __init__(
        self,
        map: Map,
        server_name: str,
        script_name: str,
        subdomain: str | None,
        url_scheme: str,
        path_info: str,
        default_method: str,
        query_args: bytes | None = None,
    ) -> None:
        self.map = map
        self.server_name = server_name
        self.script_name = script_name if script_name.endswith("/") else script_name + "/"
        self.subdomain = subdomain
        self.url_scheme = url_scheme
        self.path_info = path_info
        self.default_method = default_method
        self.query_args = query_args or b""

    @property
    def _domain(self) -> str:
        return self.server_name if self.map.host_matching else (self.subdomain or "")

    def match(
        self,
        path_info: str | None = None,
        method: str | None = None,
        return_rule: bool = False,
        query_args: bytes | None = None,
        websocket: bool | None = None,
    ) -> tuple[Any, dict[str, Any]]:
        """``(endpoint, values)`` (``(rule, values)`` with ``return_rule``) for the path, or raise
        ``NotFound``, ``MethodNotAllowed`` or ``RequestRedirect`` (to an absolute URL)."""
        path = self.path_info if path_info is None else path_info
        if websocket is None:
            websocket = self.url_scheme in ("ws", "wss")
        query = self.query_args if query_args is None else query_args
        try:
            rule, values = self.map.match(path, method or self.default_method, query, websocket, self._domain)
        except RequestRedirect as e:
            if "://" not in e.new_url:
                e.new_url = f"{self.url_scheme}://{self._host(self.subdomain)}{self.script_name[:-1]}{e.new_url}"
            raise
        return (rule if return_rule else rule.endpoint), values

    def allowed_methods(self, path_info: str | None = None) -> frozenset[str]:
        return self.map.allowed_methods(self.path_info if path_info is None else path_info, self._domain)

    def _host(self, domain: str | None) -> str:
        if self.map.host_matching:
            return domain or self.server_name
        return f"{domain}.{self.server_name}" if domain else self.server_name

    def build(
        self,
        endpoint: str,
        values: Mapping[str, Any] | None = None,
        method: str | None = None,
        force_external: bool = False,
        url_scheme: str | None = None,
    ) -> str:
        """The URL of ``endpoint``: a path (below ``script_name``) when the rule's domain is the
        bound one, else (or with ``force_external``) scheme, host and path."""
        prefer = self.server_name if self.map.host_matching else None
        rule, domain, path = self.map.build_rule(endpoint, values or {}, method, self.default_method, prefer)
        host = self._host(domain)
        same_domain = host == self.server_name if self.map.host_matching else domain == (self.subdomain or "")
        root = quote(self.script_name[:-1], safe="/%")
        if same_domain and not force_external:
            return root + path
        scheme = url_scheme or self.url_scheme
        if not rule.websocket and url_scheme is None:
            scheme = {"ws": "http", "wss": "https"}.get(scheme, scheme)
        return f"{scheme}://{host}{root}{path}"


class RuleRoute(StarletteRoute):
    """A Starlette ``Route`` for one microflask rule, so the rule also works in a
    Starlette ``Router`` and in tools that walk ``app.routes``."""

    def __init__(self, rule: Rule, app: ASGIApp, view_func: Callable[..., Any] | None = None) -> None:
        super().__init__(rule.rule, app, methods=sorted(rule.methods), name=rule.endpoint)
        self.rule = rule
        self._index = PathIndex([rule])
        self.endpoint = view_func or app
        self.path_format = VARIABLE_RE.sub(lambda m: "{" + m.group("name") + "}", rule.rule)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != ("websocket" if self.rule.websocket else "http"):
            return Match.NONE, {}
        path = route_path(scope)
        allowed: set[str] = set()
        method = scope.get("method", "GET")
        found = self._index.match(path, method, allowed)
        if found is None and not allowed:
            return Match.NONE, {}
        values = found[1] if found else {}
        params = {**values, **self.rule.defaults}
        child = {"endpoint": self.endpoint, "path_params": params}
        return (Match.FULL if found else Match.PARTIAL), child

    def url_path_for(self, name: str, /, **path_params: Any) -> Any:
        from starlette.datastructures import URLPath

        if name != self.name or not self.rule.suitable_for(path_params, None):
            raise NoMatchFound(name, path_params)
        return URLPath(path=self.rule.build(path_params), protocol="http")
