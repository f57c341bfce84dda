"""Werkzeug's multi-value dicts: :class:`MultiDict`, immutable (``request.args``, ``form``,
``files``), and :class:`MutableMultiDict`, what ``copy()`` gives (Werkzeug's mutable ``MultiDict``)."""

from __future__ import annotations

import copy as _copy
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, MutableMapping
from typing import Any, TypeVar, overload

from .exceptions import BadRequestKeyError
from .httputil import converted_values

__all__ = ["MultiDict", "MutableMultiDict"]

T = TypeVar("T")
U = TypeVar("U")
V = TypeVar("V")


class MultiDict(Mapping[str, V]):
    """An immutable mapping that keeps every value of a repeated key, as Werkzeug's.

    ``d[key]`` and ``d.get(key)`` give the *first* value; ``getlist`` gives all.
    A missing key in ``d[key]`` raises :class:`~microflask.exceptions.BadRequestKeyError`,
    so a view that indexes ``request.args`` or ``request.form`` answers 400, not 500.
    """

    __slots__ = ("_first", "_items")

    _items: list[tuple[str, V]]
    _first: dict[str, V]

    def __init__(self, items: Iterable[tuple[str, V]] | Mapping[str, V] | None = None) -> None:
        if items is None:
            pairs: list[tuple[str, V]] = []
        elif isinstance(items, MultiDict):
            pairs = list(items._items)
        elif isinstance(items, Mapping):
            pairs = list(items.items())
        else:
            pairs = list(items)
        first: dict[str, V] = {}
        for key, value in pairs:
            first.setdefault(key, value)
        self._items = pairs
        self._first = first

    def __getitem__(self, key: str) -> V:
        try:
            return self._first[key]
        except KeyError:
            raise BadRequestKeyError(key) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._first)

    def __len__(self) -> int:
        return len(self._first)

    def __contains__(self, key: object) -> bool:
        return key in self._first

    @overload
    def get(self, key: str) -> V | None: ...
    @overload
    def get(self, key: str, default: V | T) -> V | T: ...
    @overload
    def get(self, key: str, *, type: Callable[[V], U]) -> U | None: ...
    @overload
    def get(self, key: str, default: T, type: Callable[[V], U]) -> U | T: ...

    def get(self, key: str, default: Any = None, type: Callable[[Any], Any] | None = None) -> Any:
        """The first value for ``key``, converted by ``type``; ``default`` if absent or not convertible."""
        try:
            value = self._first[key]
        except KeyError:
            return default
        if type is None:
            return value
        try:
            return type(value)
        except (ValueError, TypeError):
            return default

    @overload
    def getlist(self, key: str) -> list[V]: ...
    @overload
    def getlist(self, key: str, type: Callable[[V], T]) -> list[T]: ...

    def getlist(self, key: str, type: Callable[[Any], Any] | None = None) -> list[Any]:
        """Every value for ``key``; with ``type``, those that convert."""
        return converted_values([v for k, v in self._items if k == key], type)

    def items(self, multi: bool = False) -> Any:  # type: ignore[override]
        """``(key, first value)`` pairs, or every pair with ``multi=True``."""
        return list(self._items) if multi else self._first.items()

    def multi_items(self) -> list[tuple[str, V]]:
        """Every ``(key, value)`` pair in order (Starlette's name for ``items(multi=True)``)."""
        return list(self._items)

    def lists(self) -> list[tuple[str, list[V]]]:
        """``(key, all values)`` pairs."""
        grouped: dict[str, list[V]] = {}
        for key, value in self._items:
            grouped.setdefault(key, []).append(value)
        return list(grouped.items())

    def to_dict(self, flat: bool = True) -> dict[str, Any]:
        """A plain dict: first values, or lists of all values with ``flat=False``."""
        return dict(self._first) if flat else dict(self.lists())

    def copy(self) -> MutableMultiDict[V]:
        """A mutable copy (Werkzeug's ``ImmutableMultiDict.copy()`` gives a ``MultiDict``): what a
        view or a template filter changes, then turns into a URL (``url_for(**args.to_dict())``)."""
        return MutableMultiDict(self._items)

    def deepcopy(self, memo: dict[int, Any] | None = None) -> MutableMultiDict[V]:
        """A mutable copy whose values are deep copies too."""
        return MutableMultiDict([(key, _copy.deepcopy(value, memo)) for key, value in self._items])

    def __await__(self) -> Generator[Any, None, MultiDict[V]]:
        """``await`` gives the dict itself, so ``await request.form`` works once the form is parsed
        too (and a template can read ``request.form[...]`` after the view awaited it)."""
        return self
        yield  # makes this a generator: awaiting it finishes at once

    def __eq__(self, other: object) -> bool:
        if isinstance(other, MultiDict):
            return self._items == other._items
        if isinstance(other, Mapping):
            return dict(self._first) == dict(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._items!r})"


class MutableMultiDict(MultiDict[V], MutableMapping[str, V]):
    """A :class:`MultiDict` that can change, as Werkzeug's (mutable) ``MultiDict``.

    ``d[key] = value`` replaces every value of ``key`` (the key keeps its place), ``add`` appends
    one more, ``setlist`` replaces them all (an empty list removes the key), ``update`` *adds* the
    other mapping's values as Werkzeug's does, and ``pop`` gives the first value and removes all.
    """

    __slots__ = ()

    def _replace(self, key: str, values: list[V]) -> None:
        """Put ``values`` where ``key``'s first value was (at the end for a new key)."""
        place = next((i for i, (k, _) in enumerate(self._items) if k == key), len(self._items))
        kept = [pair for pair in self._items if pair[0] != key]  # none of them before `place`
        self._items = kept[:place] + [(key, value) for value in values] + kept[place:]
        if values:
            self._first[key] = values[0]
        else:
            self._first.pop(key, None)

    def __setitem__(self, key: str, value: V) -> None:
        self._replace(key, [value])

    def __delitem__(self, key: str) -> None:
        if key not in self._first:
            raise BadRequestKeyError(key)
        self._replace(key, [])

    def add(self, key: str, value: V) -> None:
        """Append one more value for ``key`` (the others stay)."""
        self._items.append((key, value))
        self._first.setdefault(key, value)

    def setlist(self, key: str, values: Iterable[V]) -> None:
        """Replace every value of ``key`` by ``values``; an empty list removes the key."""
        self._replace(key, list(values))

    def setdefault(self, key: str, default: Any = None) -> Any:
        """The first value of ``key``; if absent, ``default`` is set and returned."""
        if key not in self._first:
            self.add(key, default)
        return self._first[key]

    def pop(self, key: str, *default: Any) -> Any:
        """Remove ``key`` (all its values) and give its first value; ``default``, or
        :class:`~microflask.exceptions.BadRequestKeyError` when it is absent."""
        if key not in self._first:
            if default:
                return default[0]
            raise BadRequestKeyError(key)
        value = self._first[key]
        self._replace(key, [])
        return value

    def poplist(self, key: str) -> list[V]:
        """Remove ``key`` and give all its values (``[]`` when it is absent)."""
        values = self.getlist(key)
        self._replace(key, [])
        return values

    def update(self, other: Any = (), /, **kwargs: V) -> None:  # type: ignore[override]
        """Add every value of ``other`` (a MultiDict, a mapping whose list values count one by one,
        or pairs) and of ``kwargs``: existing values stay, as in Werkzeug."""
        if isinstance(other, MultiDict):
            pairs: Iterable[tuple[str, Any]] = other.items(multi=True)
        elif isinstance(other, Mapping):
            pairs = [
                (key, item)
                for key, value in other.items()
                for item in (value if isinstance(value, (list, tuple)) else [value])
            ]
        else:
            pairs = other
        for key, value in [*pairs, *kwargs.items()]:
            self.add(key, value)

    def clear(self) -> None:
        self._items = []
        self._first = {}
