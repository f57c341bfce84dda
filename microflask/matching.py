"""The match index: from a request's path (and domain, when the app matches subdomains or
hosts) to a rule, without scanning the rules.

:class:`PathIndex` holds the rules without variables in a dict keyed by path, the others in a
trie of path segments (literal children in a dict, variable segments tried by converter
weight). A lookup costs the depth of the path, not the number of routes. :class:`DomainIndex`
puts one :class:`PathIndex` behind each domain pattern: literal domains in a dict, patterns
with variables (``<user>``, ``<tenant>.example.com``) tried after them, most specific first.
An app that matches neither subdomains nor hosts only ever uses one :class:`PathIndex`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .rules import Rule, Segment

__all__ = ["DomainIndex", "PathIndex"]

Found = tuple[Rule, dict[str, Any]]


class _Node:
    """A trie node: literal children, variable children, tail rules and rules ending here."""

    __slots__ = ("dynamic", "rules", "static", "tails")

    def __init__(self) -> None:
        self.static: dict[str, _Node] = {}
        self.dynamic: list[tuple[Segment, _Node]] = []
        self.tails: list[Rule] = []
        self.rules: list[Rule] = []


class PathIndex:
    """The lookup structure for the paths of one set of rules (HTTP or websocket, one domain)."""

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

    def match(self, path: str, method: str, allowed: set[str]) -> Found | None:
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

    def _first_branch(self, segments: list[str], method: str) -> Found | None:
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
    ) -> Found | None:
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


class DomainIndex:
    """Rules grouped by their domain pattern, each group a :class:`PathIndex`.

    A literal domain is tried first, then the patterns with variables (fewest and lightest
    variables, then most literal text, first; registration order breaks ties), as Werkzeug's
    matcher does: when a domain's rules do not match the path, the next domain is tried.
    """

    def __init__(self, rules: Iterable[Rule]) -> None:
        literal: dict[str, list[Rule]] = {}
        patterns: dict[str, tuple[Segment, list[Rule]]] = {}
        for rule in rules:
            seg = rule.domain_segment
            if seg is None:
                literal.setdefault(rule.domain, []).append(rule)
            else:
                patterns.setdefault(seg.key, (seg, []))[1].append(rule)
        self.literal = {domain: PathIndex(group) for domain, group in literal.items()}
        ordered = sorted(patterns.values(), key=lambda item: (item[0].weight, -item[0].literal))
        self.patterns = [(seg, PathIndex(group)) for seg, group in ordered]

    def match(self, domain: str, path: str, method: str, allowed: set[str]) -> Found | None:
        """The rule and values (the domain's included) for ``path`` on ``domain``."""
        index = self.literal.get(domain)
        if index is not None:
            found = index.match(path, method, allowed)
            if found is not None:
                return found
        for seg, index in self.patterns:
            values: dict[str, Any] = {}
            if seg.match(domain, values):
                found = index.match(path, method, allowed)
                if found is not None:
                    rule, path_values = found
                    values.update(path_values)
                    return rule, values
        return None
