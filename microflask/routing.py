"""Flask rules compiled into Starlette routes, matched through an index instead of a scan.

A rule such as ``/users/<int:id>`` is parsed once into segments. Rules without variables
go into a dict keyed by path; the others into a trie of path segments (literal children in a
dict, variable segments tried by converter weight). A lookup therefore costs the depth of
the path, not the number of routes: Starlette's own router tries every route in turn.

Every rule is also a :class:`starlette.routing.Route` (``app.routes``), so Starlette tools
that walk routes keep working; microflask itself dispatches through :class:`Map`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

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
    parse_converter_args,
)
from .exceptions import BuildError, MethodNotAllowed, NotFound, RequestRedirect
from .httputil import route_path

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Scope

__all__ = [
    "AnyConverter",
    "BaseConverter",
    "FloatConverter",
    "IntegerConverter",
    "Map",
    "PathConverter",
    "Rule",
    "RuleRoute",
    "UUIDConverter",
    "UnicodeConverter",
    "ValidationError",
]


_VARIABLE_RE = re.compile(
    r"<(?:(?P<converter>[a-zA-Z_][a-zA-Z0-9_]*)(?:\((?P<args>.*?)\))?:)?(?P<name>[a-zA-Z_][a-zA-Z0-9_]*)>"
)


def _convert(m: re.Match[str], converters: dict[str, BaseConverter], values: dict[str, Any]) -> bool:
    """Convert a match's groups; ``values`` is only changed if every conversion succeeds."""
    converted = {}
    try:
        for name, raw in m.groupdict().items():
            converted[name] = converters[name].to_python(raw)
    except ValueError:  # ValidationError, and a bad value in a custom converter
        return False
    values.update(converted)
    return True


class _Segment:
    """One ``/``-separated piece of a rule with variables, matched by a full regex."""

    __slots__ = ("converters", "key", "regex", "weight", "whole")

    def __init__(self, pattern: str, converters: dict[str, BaseConverter], whole: str | None = None) -> None:
        self.key = pattern
        self.regex = re.compile(pattern)
        self.converters = converters
        self.weight = sum(c.weight for c in converters.values())
        #: The variable's name when it is the whole segment (``/<int:id>/``): no groups to read.
        self.whole = whole

    def match(self, text: str, values: dict[str, Any]) -> bool:
        """Match one path segment; on success add the converted values to ``values``."""
        m = self.regex.fullmatch(text)
        if m is None:
            return False
        name = self.whole
        if name is None:
            return _convert(m, self.converters, values)
        try:
            values[name] = self.converters[name].to_python(text)
        except ValueError:  # ValidationError, and a bad value in a custom converter
            return False
        return True


def _pattern(pieces: list[tuple[str, BaseConverter | None]]) -> str:
    return "".join(re.escape(t) if c is None else f"(?P<{t}>{c.regex})" for t, c in pieces)


def _make_segment(pieces: list[tuple[str, BaseConverter | None]]) -> str | _Segment:
    """A literal segment stays a string (a dict key in the trie); one with variables becomes a regex."""
    if all(c is None for _, c in pieces):
        return "".join(t for t, _ in pieces)
    converters = {t: c for t, c in pieces if c is not None}
    whole = pieces[0][0] if len(pieces) == 1 else None
    return _Segment(_pattern(pieces), converters, whole)


class Rule:
    """A URL rule: the pattern, endpoint, methods and defaults of one ``@route``."""

    def __init__(
        self,
        rule: str,
        endpoint: str,
        methods: Iterable[str] | None = None,
        *,
        defaults: Mapping[str, Any] | None = None,
        strict_slashes: bool | None = None,
        websocket: bool = False,
        provide_automatic_options: bool = True,
    ) -> None:
        if not rule.startswith("/"):
            raise ValueError(f"URL rule {rule!r} must start with '/'.")
        self.rule = rule
        self.endpoint = endpoint
        self.websocket = websocket
        methods = {"GET"} if websocket else {m.upper() for m in (methods or ("GET",))}
        if "GET" in methods and not websocket:
            methods.add("HEAD")
        self.provide_automatic_options = provide_automatic_options and not websocket and "OPTIONS" not in methods
        if self.provide_automatic_options:
            methods.add("OPTIONS")
        self.methods = frozenset(methods)
        self.defaults = dict(defaults or {})
        self.strict_slashes = strict_slashes
        self.map: Map | None = None
        #: Rules of the same endpoint whose defaults make them the canonical URL (see Map).
        self.default_redirects: tuple[Rule, ...] = ()
        #: Set by the app when it starts serving: what to run for this rule.
        self.plan: Any = None
        # Filled by bind():
        self.arguments: set[str] = set()
        self._parts: list[tuple[str, BaseConverter | None]] = []
        self._segments: list[str | _Segment] = []
        self._tail: re.Pattern[str] | None = None
        self._tail_converters: dict[str, BaseConverter] = {}

    def bind(self, map: Map) -> None:
        """Parse the rule with ``map``'s converters (raises for an unknown converter)."""
        self.map = map
        if self.strict_slashes is None:
            self.strict_slashes = map.strict_slashes
        parts: list[tuple[str, BaseConverter | None]] = []  # literal text, or (name, converter)
        pos = 0
        for m in _VARIABLE_RE.finditer(self.rule):
            if m.start() > pos:
                parts.append((self.rule[pos : m.start()], None))
            name = m.group("name")
            if name in self.arguments:
                raise ValueError(f"Variable {name!r} appears twice in rule {self.rule!r}.")
            conv_name = m.group("converter") or "default"
            if conv_name not in map.converters:
                raise LookupError(
                    f"Unknown converter {conv_name!r} in rule {self.rule!r}. Register it first with"
                    f" app.url_map.converters[{conv_name!r}] = YourConverter."
                )
            args, kwargs = parse_converter_args(m.group("args") or "")
            parts.append((name, map.converters[conv_name](map, *args, **kwargs)))
            self.arguments.add(name)
            pos = m.end()
        if pos < len(self.rule):
            parts.append((self.rule[pos:], None))
        if "<" in "".join(text for text, conv in parts if conv is None):
            raise ValueError(f"Malformed variable in rule {self.rule!r}: use <name> or <converter:name>.")
        self._parts = parts
        self._compile_segments(parts)

    def _compile_segments(self, parts: list[tuple[str, BaseConverter | None]]) -> None:
        """Split into ``/`` segments for the trie; from the first variable that can span
        slashes (``path``) on, the rest of the rule is one regex (the tail)."""
        segments: list[str | _Segment] = []
        current: list[tuple[str, BaseConverter | None]] = []
        tail_from: int | None = None
        for index, (text, conv) in enumerate(parts):
            if conv is not None:
                if not conv.part_isolating:
                    tail_from = index
                    break
                current.append((text, conv))
                continue
            for i, piece in enumerate(text.split("/")):
                if i > 0:  # a slash closes the segment being built
                    segments.append(_make_segment(current))
                    current = []
                if piece:
                    current.append((piece, None))
        if tail_from is None:
            segments.append(_make_segment(current))
        else:
            converters = {t: c for t, c in current + parts[tail_from:] if c is not None}
            self._tail = re.compile(_pattern(current + parts[tail_from:]))
            self._tail_converters = converters
        self._segments = segments[1:]  # the rule starts with "/", so segment 0 is ""

    @property
    def is_static(self) -> bool:
        return not self.arguments

    def match_tail(self, rest: str, values: dict[str, Any]) -> bool:
        """Match the tail regex against the rest of the path, converting its variables."""
        assert self._tail is not None
        m = self._tail.fullmatch(rest)
        return m is not None and _convert(m, self._tail_converters, values)

    def suitable_for(self, values: Mapping[str, Any], method: str | None) -> bool:
        """Whether ``url_for`` can build this rule from ``values``."""
        if method is not None and method not in self.methods:
            return False
        for key, default in self.defaults.items():
            if key in values and values[key] != default:
                return False
        return all(name in values or name in self.defaults for name in self.arguments)

    def build(self, values: Mapping[str, Any]) -> str:
        """The path for ``values`` (which must include every variable)."""
        out = []
        for text, conv in self._parts:
            if conv is None:
                out.append(text)
            else:
                value = values[text] if text in values else self.defaults[text]
                out.append(conv.to_url(value))
        return "".join(out)

    def __repr__(self) -> str:
        return f"<Rule {self.rule!r} ({', '.join(sorted(self.methods))}) -> {self.endpoint}>"


class _Node:
    """A trie node: literal children, variable children, tail rules and rules ending here."""

    __slots__ = ("dynamic", "rules", "static", "tails")

    def __init__(self) -> None:
        self.static: dict[str, _Node] = {}
        self.dynamic: list[tuple[_Segment, _Node]] = []
        self.tails: list[Rule] = []
        self.rules: list[Rule] = []


class _Index:
    """The lookup structure for one kind of rule (HTTP or websocket)."""

    def __init__(self, rules: Iterable[Rule]) -> None:
        self.static: dict[str, list[Rule]] = {}
        self.root = _Node()
        for rule in rules:
            if rule.is_static:
                self.static.setdefault(rule.rule, []).append(rule)
            else:
                self._insert(rule)
        self._sort(self.root)

    def _insert(self, rule: Rule) -> None:
        node = self.root
        for seg in rule._segments:
            if isinstance(seg, str):
                node = node.static.setdefault(seg, _Node())
                continue
            for existing, child in node.dynamic:
                if existing.key == seg.key and existing.converters.keys() == seg.converters.keys():
                    node = child
                    break
            else:
                child = _Node()
                node.dynamic.append((seg, child))
                node = child
        (node.tails if rule._tail is not None else node.rules).append(rule)

    def _sort(self, node: _Node) -> None:
        node.dynamic.sort(key=lambda item: item[0].weight)  # stable: registration order breaks ties
        for child in node.static.values():
            self._sort(child)
        for _, child in node.dynamic:
            self._sort(child)

    def match(self, path: str, method: str, allowed: set[str]) -> tuple[Rule, dict[str, Any]] | None:
        """The rule and converted values for ``path``; methods of rules that matched the path
        but not ``method`` are added to ``allowed`` (for a 405)."""
        rules = self.static.get(path)
        if rules is not None:
            for rule in rules:
                if method in rule.methods:
                    return rule, {}
                allowed.update(rule.methods)
        if path[:1] != "/":
            return None
        segments = path[1:].split("/")
        return self._first_branch(segments, method) or self._walk(self.root, segments, 0, {}, method, allowed)

    def _first_branch(self, segments: list[str], method: str) -> tuple[Rule, dict[str, Any]] | None:
        """The fast path: follow the first choice at each level (what ``_walk`` tries first),
        without backtracking. When it finds a rule, ``_walk`` would have found the same one."""
        node = self.root
        values: dict[str, Any] = {}
        for i, segment in enumerate(segments):
            child = node.static.get(segment)
            if child is None:
                for seg, candidate in node.dynamic:
                    if seg.match(segment, values):
                        child = candidate
                        break
                else:
                    if node.tails:
                        rest = "/".join(segments[i:])
                        for rule in node.tails:
                            if rule.match_tail(rest, values):
                                return (rule, values) if method in rule.methods else None
                    return None
            node = child
        for rule in node.rules:
            if method in rule.methods:
                return rule, values
        return None

    def _walk(
        self, node: _Node, segments: list[str], i: int, values: dict[str, Any], method: str, allowed: set[str]
    ) -> tuple[Rule, dict[str, Any]] | None:
        if i == len(segments):
            for rule in node.rules:
                if method in rule.methods:
                    return rule, values
                allowed.update(rule.methods)
            return None
        segment = segments[i]
        child = node.static.get(segment)
        if child is not None:
            found = self._walk(child, segments, i + 1, values, method, allowed)
            if found is not None:
                return found
        for seg, child in node.dynamic:
            attempt = dict(values)
            if seg.match(segment, attempt):
                found = self._walk(child, segments, i + 1, attempt, method, allowed)
                if found is not None:
                    return found
        if node.tails:
            rest = "/".join(segments[i:])
            for rule in node.tails:
                attempt = dict(values)
                if rule.match_tail(rest, attempt):
                    if method in rule.methods:
                        return rule, attempt
                    allowed.update(rule.methods)
        return None


class Map:
    """All of an app's rules: ``app.url_map``. Holds the converters, matches and builds."""

    def __init__(self, strict_slashes: bool = True) -> None:
        self.converters: dict[str, type[BaseConverter]] = dict(DEFAULT_CONVERTERS)
        self.strict_slashes = strict_slashes
        self._rules: list[Rule] = []
        self._by_endpoint: dict[str, list[Rule]] = {}
        self._http: _Index | None = None
        self._websocket: _Index | None = None

    def add(self, rule: Rule) -> None:
        rule.bind(self)
        self._rules.append(rule)
        rules = self._by_endpoint.setdefault(rule.endpoint, [])
        rules.append(rule)
        # Building tries the rules that use the most values first, then those with the most
        # defaults (Werkzeug's order), so stacked @route decorators build the canonical URL.
        rules.sort(key=lambda r: (-len(r.arguments | r.defaults.keys()), -len(r.defaults)))
        self._http = self._websocket = None

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

    def _index(self, websocket: bool) -> _Index:
        if self._http is None:
            self._link_default_redirects()
        if websocket:
            if self._websocket is None:
                self._websocket = _Index(r for r in self._rules if r.websocket)
            return self._websocket
        if self._http is None:
            self._http = _Index(r for r in self._rules if not r.websocket)
        return self._http

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
                and other.websocket == rule.websocket
                and (other.arguments | other.defaults.keys()) == names
            )

    def match(
        self, path: str, method: str = "GET", query_string: bytes = b"", websocket: bool = False
    ) -> tuple[Rule, dict[str, Any]]:
        """The matching rule and its values (defaults included), or raise ``NotFound``,
        ``MethodNotAllowed`` or ``RequestRedirect`` (to the slash-terminated or canonical URL)."""
        index = self._http if not websocket and self._http is not None else self._index(websocket)
        allowed: set[str] = set()
        found = index.match(path, method, allowed)
        if found is not None:
            rule, values = found
            if rule.defaults:
                values = {**rule.defaults, **values}
            for canonical in rule.default_redirects:
                if canonical.suitable_for(values, method):
                    target = quote(canonical.build(values), safe=URL_SAFE + "%")
                    raise RequestRedirect(target + ("?" + query_string.decode("latin-1") if query_string else ""))
            return rule, values
        if allowed:
            raise MethodNotAllowed(valid_methods=allowed)
        # Flask's strict slashes: "/dir" for a rule "/dir/" redirects; strict_slashes=False matches.
        other = path[:-1] if path.endswith("/") and len(path) > 1 else path + "/"
        found = index.match(other, method, set())
        if found is not None:
            rule, values = found
            if not rule.strict_slashes:
                return rule, ({**rule.defaults, **values} if rule.defaults else values)
            if other.endswith("/"):
                target = quote(other, safe=URL_SAFE + "%")
                if query_string:
                    target += "?" + query_string.decode("latin-1")
                raise RequestRedirect(target)
        raise NotFound()

    def allowed_methods(self, path: str) -> frozenset[str]:
        """Every method some rule accepts for ``path`` (the ``Allow`` of an OPTIONS answer)."""
        allowed: set[str] = set()
        self._index(False).match(path, "\x00", allowed)
        return frozenset(allowed)

    def build(
        self,
        endpoint: str,
        values: Mapping[str, Any],
        method: str | None = None,
    ) -> str:
        """The path (with query string for extra values) of ``endpoint``, or raise ``BuildError``."""
        rules = self._by_endpoint.get(endpoint)
        if not rules:
            raise BuildError(endpoint, dict(values), method, "The endpoint does not exist.")
        values = {k: v for k, v in values.items() if v is not None}
        for rule in rules:
            if rule.suitable_for(values, method):
                path = rule.build(values)
                extra = [(k, v) for k, v in values.items() if k not in rule.arguments and k not in rule.defaults]
                if extra:
                    path += "?" + _encode_query(extra)
                return path
        missing = sorted(set().union(*(r.arguments for r in rules)) - values.keys())
        reason = f"Did you forget to specify values {missing!r}?" if missing else None
        if method is not None and not any(method in r.methods for r in rules):
            reason = f"No rule of this endpoint accepts the method {method}."
        raise BuildError(endpoint, dict(values), method, reason)


def _encode_query(pairs: list[tuple[str, Any]]) -> str:
    flat: list[tuple[str, Any]] = []
    for key, value in pairs:
        if isinstance(value, list | tuple):
            flat.extend((key, v) for v in value)
        else:
            flat.append((key, value))
    return urlencode(flat, doseq=False, safe="!$'()*,/:;?@")


class RuleRoute(StarletteRoute):
    """A Starlette ``Route`` for one microflask rule, so the rule also works in a
    Starlette ``Router`` and in tools that walk ``app.routes``."""

    def __init__(self, rule: Rule, app: ASGIApp, view_func: Callable[..., Any] | None = None) -> None:
        super().__init__(rule.rule, app, methods=sorted(rule.methods), name=rule.endpoint)
        self.rule = rule
        self._index = _Index([rule])
        self.endpoint = view_func or app
        self.path_format = _VARIABLE_RE.sub(lambda m: "{" + m.group("name") + "}", rule.rule)

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
        params = {**self.rule.defaults, **values}
        child = {"endpoint": self.endpoint, "path_params": params}
        return (Match.FULL if found else Match.PARTIAL), child

    def url_path_for(self, name: str, /, **path_params: Any) -> Any:
        from starlette.datastructures import URLPath

        if name != self.name or not self.rule.suitable_for(path_params, None):
            raise NoMatchFound(name, path_params)
        return URLPath(path=self.rule.build(path_params), protocol="http")
