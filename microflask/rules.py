"""URL rules: a Flask rule string (``/users/<int:id>``, a subdomain or host pattern) parsed once
into what the match index needs (literal and variable segments) and what URL building needs.

A :class:`Rule` belongs to one :class:`~microflask.routing.Map`, whose converters it is parsed
with (:meth:`Rule.bind`). Matching lives in :mod:`microflask.matching`, the map and URL
building for a request in :mod:`microflask.routing`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from .converters import BaseConverter, parse_converter_args

if TYPE_CHECKING:
    from .routing import Map

__all__ = ["ALL_METHODS", "Rule", "Segment", "encode_query", "parse_rule"]

VARIABLE_RE = re.compile(
    r"<(?:(?P<converter>[a-zA-Z_][a-zA-Z0-9_]*)(?:\((?P<args>.*?)\))?:)?(?P<name>[a-zA-Z_][a-zA-Z0-9_]*)>"
)

#: The methods of a rule that accepts any method (a Werkzeug rule with ``methods=None``).
ALL_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"})

#: One piece of a parsed rule: literal text (converter None), or a variable's name and converter.
Part = tuple[str, BaseConverter | None]


def convert(m: re.Match[str], converters: dict[str, BaseConverter], values: dict[str, Any]) -> bool:
    """Convert a match's groups; ``values`` is only changed if every conversion succeeds."""
    converted = {}
    try:
        for name, raw in m.groupdict().items():
            converted[name] = converters[name].to_python(raw)
    except ValueError:  # ValidationError, and a bad value in a custom converter
        return False
    values.update(converted)
    return True


class Segment:
    """A piece of text with variables (a path segment, a subdomain, a host), matched by a full regex."""

    __slots__ = ("converters", "key", "literal", "regex", "weight", "whole")

    def __init__(self, pattern: str, converters: dict[str, BaseConverter], whole: str | None = None, literal: int = 0):
        self.key = pattern
        self.regex = re.compile(pattern, re.DOTALL)  # a decoded value may hold any character, "\n" too
        self.converters = converters
        self.weight = sum(c.weight for c in converters.values())
        #: The variable's name when it is the whole segment (``/<int:id>/``): no groups to read.
        self.whole = whole
        #: How many literal characters the pattern has (more is more specific).
        self.literal = literal

    def match(self, text: str, values: dict[str, Any]) -> bool:
        """Match ``text`` whole; on success add the converted values to ``values``."""
        m = self.regex.fullmatch(text)
        if m is None:
            return False
        name = self.whole
        if name is None:
            return convert(m, self.converters, values)
        try:
            values[name] = self.converters[name].to_python(text)
        except ValueError:  # ValidationError, and a bad value in a custom converter
            return False
        return True


def pattern(pieces: list[Part]) -> str:
    return "".join(re.escape(t) if c is None else f"(?P<{t}>{c.regex})" for t, c in pieces)


def make_segment(pieces: list[Part]) -> str | Segment:
    """A literal segment stays a string (a dict key); one with variables becomes a :class:`Segment`."""
    if all(c is None for _, c in pieces):
        return "".join(t for t, _ in pieces)
    converters = {t: c for t, c in pieces if c is not None}
    whole = pieces[0][0] if len(pieces) == 1 else None
    return Segment(pattern(pieces), converters, whole, sum(len(t) for t, c in pieces if c is None))


def parse_rule(text: str, map: Map, names: set[str]) -> list[Part]:
    """Split ``text`` into literal and variable parts with ``map``'s converters; each variable's
    name is added to ``names`` (a name seen twice is an error)."""
    parts: list[Part] = []
    pos = 0
    for m in VARIABLE_RE.finditer(text):
        if m.start() > pos:
            parts.append((text[pos : m.start()], None))
        name = m.group("name")
        if name in names:
            raise ValueError(f"Variable {name!r} appears twice in rule {text!r}.")
        conv_name = m.group("converter") or "default"
        if conv_name not in map.converters:
            known = ", ".join(sorted(map.converters))
            raise LookupError(
                f"Unknown converter {conv_name!r} in rule {text!r}. The converters are: {known}."
                f" For another one, register it first with app.url_map.converters[{conv_name!r}] = YourConverter."
            )
        args, kwargs = parse_converter_args(m.group("args") or "")
        parts.append((name, map.converters[conv_name](map, *args, **kwargs)))
        names.add(name)
        pos = m.end()
    if pos < len(text):
        parts.append((text[pos:], None))
    if "<" in "".join(t for t, conv in parts if conv is None):
        raise ValueError(f"Malformed variable in rule {text!r}: use <name> or <converter:name>.")
    return parts


def build_parts(parts: list[Part], values: Mapping[str, Any], defaults: Mapping[str, Any]) -> str:
    out = []
    for text, conv in parts:
        if conv is None:
            out.append(text)
        else:
            out.append(conv.to_url(values[text] if text in values else defaults[text]))
    return "".join(out)


class Rule:
    """A URL rule: the pattern, endpoint, methods and defaults of one ``@route``.

    ``subdomain`` (with ``subdomain_matching``) or ``host`` (with the map's ``host_matching``)
    is a pattern for the request's domain, with variables as in the path:
    ``subdomain="<user>"``, ``host="<tenant>.example.com"``.
    """

    def __init__(
        self,
        rule: str,
        endpoint: str,
        methods: Iterable[str] | None = None,
        *,
        defaults: Mapping[str, Any] | None = None,
        subdomain: str | None = None,
        host: str | None = None,
        strict_slashes: bool | None = None,
        merge_slashes: bool | None = None,
        build_only: bool = False,
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
        self.subdomain = subdomain
        self.host = host
        self.strict_slashes = strict_slashes
        self.merge_slashes = merge_slashes
        #: Only for building URLs: never matched.
        self.build_only = build_only
        self.map: Map | None = None
        #: Rules of the same endpoint whose defaults make them the canonical URL (see Map).
        self.default_redirects: tuple[Rule, ...] = ()
        #: Set by the app when it starts serving: what to run for this rule.
        self.plan: Any = None
        # Filled by bind():
        self.arguments: set[str] = set()
        #: The domain pattern this rule matches (its host with host matching, else its
        #: subdomain), literal (``domain``) or with variables (``domain_segment``).
        self.domain = ""
        self.domain_segment: Segment | None = None
        self._domain_parts: list[Part] = []
        self._parts: list[Part] = []
        self._segments: list[str | Segment] = []
        self._tail: re.Pattern[str] | None = None
        self._tail_converters: dict[str, BaseConverter] = {}

    def get_rules(self, map: Map) -> Iterator[Rule]:
        """A rule is its own rule factory (Werkzeug's protocol, for ``url_map.add``)."""
        yield self

    def bind(self, map: Map) -> None:
        """Parse the rule with ``map``'s converters (raises for an unknown converter)."""
        self.map = map
        if self.strict_slashes is None:
            self.strict_slashes = map.strict_slashes
        if self.merge_slashes is None:
            self.merge_slashes = map.merge_slashes
        if self.subdomain is None:
            self.subdomain = map.default_subdomain
        names: set[str] = set()
        domain = (self.host or "") if map.host_matching else (self.subdomain or "")
        self._domain_parts = parse_rule(domain, map, names) if domain else []
        segment = make_segment(self._domain_parts) if domain else ""
        if isinstance(segment, Segment):
            self.domain_segment = segment
        else:
            self.domain = segment
        self._parts = parse_rule(self.rule, map, names)
        self.arguments = names
        self._compile_segments(self._parts)

    def _compile_segments(self, parts: list[Part]) -> None:
        """Split into ``/`` segments for the trie; from the first variable that can span
        slashes (``path``) on, the rest of the rule is one regex (the tail)."""
        segments: list[str | Segment] = []
        current: list[Part] = []
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
                    segments.append(make_segment(current))
                    current = []
                if piece:
                    current.append((piece, None))
        if tail_from is None:
            segments.append(make_segment(current))
        else:
            converters = {t: c for t, c in current + parts[tail_from:] if c is not None}
            self._tail = re.compile(pattern(current + parts[tail_from:]), re.DOTALL)  # <path:p> holds "\n" too
            self._tail_converters = converters
        self._segments = segments[1:]  # the rule starts with "/", so segment 0 is ""

    @property
    def _trace(self) -> list[tuple[bool, str]]:
        """Werkzeug's private outline of a rule, which extensions read (flask-smorest lists the
        path parameters from it): ``(is_variable, text or name)`` for the domain's parts, then
        ``(False, "|")``, then the path's."""
        return [
            *((conv is not None, text) for text, conv in self._domain_parts),
            (False, "|"),
            *((conv is not None, text) for text, conv in self._parts),
        ]

    @property
    def _converters(self) -> dict[str, BaseConverter]:
        """Werkzeug's private map of the rule's variables to their converters (see ``_trace``)."""
        return {text: conv for text, conv in (*self._domain_parts, *self._parts) if conv is not None}

    @property
    def is_static(self) -> bool:
        """Whether the path has no variables (the domain may have some)."""
        return not self._tail and all(isinstance(s, str) for s in self._segments)

    def match_tail(self, rest: str, values: dict[str, Any]) -> bool:
        """Match the tail regex against the rest of the path, converting its variables."""
        assert self._tail is not None
        m = self._tail.fullmatch(rest)
        return m is not None and convert(m, self._tail_converters, values)

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
        return build_parts(self._parts, values, self.defaults)

    def build_domain(self, values: Mapping[str, Any]) -> str:
        """The subdomain (or host, with host matching) for ``values``."""
        return build_parts(self._domain_parts, values, self.defaults) if self._domain_parts else ""

    def __str__(self) -> str:
        """The rule's text, ``/users/<int:id>``, as Werkzeug's (labels and logs use it)."""
        return self.rule

    def __repr__(self) -> str:
        return f"<Rule {self.rule!r} ({', '.join(sorted(self.methods))}) -> {self.endpoint}>"


def encode_query(pairs: list[tuple[str, Any]]) -> str:
    """The query string for the values a rule does not use (lists become repeated keys)."""
    flat: list[tuple[str, Any]] = []
    for key, value in pairs:
        if isinstance(value, list | tuple):
            flat.extend((key, v) for v in value)
        else:
            flat.append((key, value))
    return urlencode(flat, doseq=False, safe="!$'()*,/:;?@")
