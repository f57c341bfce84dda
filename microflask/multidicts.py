"""Werkzeug's multi-value dicts: :class:`MultiDict` (a mapping that keeps every value of a repeated
key, and can be changed) and :class:`ImmutableMultiDict`, what ``request.args``, ``form``, ``files``
and ``values`` are: reading is the same, changing raises ``TypeError``, ``copy()`` gives a
:class:`MultiDict` to change (``args = request.args.copy(); args.update(...)``)."""

from __future__ import annotations

import copy as _copy
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, MutableMapping
from typing import Any, TypeVar, overload

from .exceptions import BadRequestKeyError
from .httputil import converted_value, converted_values

__all__ = ["ImmutableMultiDict", "MultiDict"]

T = TypeVar("T")
U = TypeVar("U")
V = TypeVar("V")

_MISSING: Any = object()


def _pairs(items: Any) -> list[tuple[str, Any]]:
    """The ``(key, value)`` pairs of a multi-dict (ours, Werkzeug's, Starlette's: every value),
    a mapping (a list or tuple value gives one pair per element, as in Werkzeug's
    ``MultiDict({"a": [1, 2]})``) or an iterable of pairs."""
    if type(items) is list:  # the request's own (parsed query strings and forms): first, fast
        return items.copy()
    if isinstance(items, MultiDict):
        return list(items._items)
    if callable(getattr(items, "multi_items", None)):  # Starlette's
        return list(items.multi_items())
    if callable(getattr(items, "getlist", None)) and callable(getattr(items, "lists", None)):  # Werkzeug's
        return [(key, value) for key, values in items.lists() for value in values]
    if isinstance(items, Mapping):
        pairs: list[tuple[str, Any]] = []
        for key, value in items.items():
            if isinstance(value, list | tuple):
                pairs.extend((key, v) for v in value)
            else:
                pairs.append((key, value))
        return pairs
    return list(items)


class MultiDict(MutableMapping[str, V]):
    """A mapping that keeps every value of a repeated key, as Werkzeug's.

    ``d[key]`` and ``d.get(key)`` give the *first* value; ``getlist`` gives all.
    A missing key in ``d[key]`` raises :class:`~microflask.exceptions.BadRequestKeyError`,
    so a view that indexes ``request.args`` or ``request.form`` answers 400, not 500.
    Changing it follows Werkzeug: ``d[key] = v`` replaces every value, ``add`` appends one,
    ``update`` appends the other mapping's values, ``pop`` removes them all.
    """

    __slots__ = ("_first", "_items")

    _items: list[tuple[str, V]]
    _first: dict[str, V]

    def __init__(self, items: Iterable[tuple[str, V]] | Mapping[str, Any] | None = None) -> None:
        pairs: list[tuple[str, V]] = [] if items is None else _pairs(items)
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
        return converted_value(value, type, default)

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

    def listvalues(self) -> list[list[V]]:
        """Every key's list of values."""
        return [values for _, values in self.lists()]

    def to_dict(self, flat: bool = True) -> dict[str, Any]:
        """A plain dict: first values, or lists of all values with ``flat=False``."""
        return dict(self._first) if flat else dict(self.lists())

    def copy(self) -> MultiDict[V]:
        """A shallow copy that can be changed (a :class:`MultiDict`, also of an immutable one)."""
        return MultiDict(self._items)

    def deepcopy(self, memo: dict[int, Any] | None = None) -> MultiDict[V]:
        """A copy whose values are deep copies too."""
        return MultiDict(_copy.deepcopy(self._items, memo))

    def __copy__(self) -> MultiDict[V]:
        return self.copy()

    def __deepcopy__(self, memo: dict[int, Any]) -> MultiDict[V]:
        return self.deepcopy(memo)

    # Changing it: every change goes through _replace (ImmutableMultiDict refuses there).

    def _replace(self, pairs: list[tuple[str, V]]) -> None:
        first: dict[str, V] = {}
        for key, value in pairs:
            first.setdefault(key, value)
        self._items = pairs
        self._first = first

    def __setitem__(self, key: str, value: V) -> None:
        self.setlist(key, [value])

    def __delitem__(self, key: str) -> None:
        if key not in self._first:
            raise BadRequestKeyError(key)
        self._replace([pair for pair in self._items if pair[0] != key])

    def add(self, key: str, value: V) -> None:
        """Append ``value`` to the values of ``key``."""
        self._replace([*self._items, (key, value)])

    def setlist(self, key: str, values: Iterable[V]) -> None:
        """Make ``values`` the values of ``key`` (where the key was, or at the end)."""
        new = [(key, value) for value in values]
        if key not in self._first:
            self._replace([*self._items, *new])
            return
        pairs: list[tuple[str, V]] = []
        for pair in self._items:
            if pair[0] != key:
                pairs.append(pair)
            elif new:
                pairs.extend(new)
                new = []
        self._replace(pairs)

    def setdefault(self, key: str, default: Any = None) -> Any:
        """The first value of ``key``, after adding ``default`` if it had none."""
        if key not in self._first:
            self.add(key, default)
        return self._first[key]

    def update(self, other: Any = (), /, **kwargs: Any) -> None:
        """Append the values of ``other`` (a mapping, a multi-dict or pairs) and ``kwargs``:
        unlike ``dict.update``, the values already there stay (Werkzeug's behaviour)."""
        self._replace([*self._items, *_pairs(other), *_pairs(kwargs)])

    def pop(self, key: str, default: Any = _MISSING) -> Any:
        """Remove ``key`` and return its first value (``default`` if absent, else a KeyError)."""
        if key not in self._first:
            if default is _MISSING:
                raise BadRequestKeyError(key)
            return default
        value = self._first[key]
        del self[key]
        return value

    def poplist(self, key: str) -> list[V]:
        """Remove ``key`` and return all its values (``[]`` if absent)."""
        values = self.getlist(key)
        if values:
            del self[key]
        return values

    def popitem(self) -> tuple[str, V]:
        """Remove the last key and return it with its first value."""
        key, values = self.popitemlist()
        return key, values[0]

    def popitemlist(self) -> tuple[str, list[V]]:
        """Remove the last key and return it with all its values."""
        if not self._first:
            raise BadRequestKeyError("popitem(): dictionary is empty")
        key = next(reversed(self._first))
        return key, self.poplist(key)

    def clear(self) -> None:
        self._replace([])

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


class ImmutableMultiDict(MultiDict[V]):
    """A :class:`MultiDict` that cannot be changed (``request.args``, ``form``, ``files``,
    ``values``): changing it raises ``TypeError``; ``copy()`` gives a :class:`MultiDict`."""

    __slots__ = ()

    def _replace(self, pairs: list[tuple[str, V]]) -> None:
        raise TypeError(f"{type(self).__name__!r} objects are immutable")

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(self._items))
