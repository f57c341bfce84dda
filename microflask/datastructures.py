"""Small data structures the request exposes: MultiDict (Flask's ``args``/``form``), Accept,
HeaderSet (``Vary``, ``Allow``), UserAgent and CacheControl (a parsed ``Cache-Control`` header)."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Iterable, Iterator, MutableSet
from typing import IO, Any, TypeVar, overload

from starlette.datastructures import UploadFile

from .concurrency import Pending, awaiting_caller, on_event_loop
from .multidict import MultiDict, MutableMultiDict

__all__ = [
    "Accept",
    "CacheControl",
    "FileStorage",
    "HeaderSet",
    "MultiDict",
    "MutableMultiDict",
    "UserAgent",
    "header_set_property",
]

T = TypeVar("T")
U = TypeVar("U")
V = TypeVar("V")


class HeaderSet(MutableSet[str]):
    """A comma-separated header as a set of tokens (``Vary``, ``Allow``), as Werkzeug's: membership
    ignores case, order is kept, and ``on_update(header_set)`` runs after each change."""

    def __init__(self, header: str | Iterable[str] | None = None, on_update: Callable[[HeaderSet], Any] | None = None):
        values = header.split(",") if isinstance(header, str) else (header or ())
        self._items: list[str] = []
        for value in values:
            if value.strip() and value.strip().lower() not in self._lowered():
                self._items.append(value.strip())
        self.on_update = on_update

    def _lowered(self) -> list[str]:
        return [item.lower() for item in self._items]

    def __contains__(self, value: object) -> bool:
        return isinstance(value, str) and value.lower() in self._lowered()

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def add(self, value: str) -> None:
        self.update((value,))

    def discard(self, value: str) -> None:
        lowered = self._lowered()
        if value.lower() in lowered:
            del self._items[lowered.index(value.lower())]
            if self.on_update is not None:
                self.on_update(self)

    def update(self, values: Iterable[str]) -> None:
        """Add several tokens (one ``on_update`` call)."""
        added = False
        for value in values:
            if value not in self:
                self._items.append(value)
                added = True
        if added and self.on_update is not None:
            self.on_update(self)

    def to_header(self) -> str:
        """The header value: ``"Accept-Encoding, Cookie"``."""
        return ", ".join(self._items)

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._items!r})"


def header_set_property(name: str, doc: str) -> Any:
    """A property for a ``headers``-carrying object (a response): the header ``name`` as a
    :class:`HeaderSet` whose changes are written back (``response.vary.add("Cookie")``)."""

    def get(self: Any) -> HeaderSet:
        def write_back(values: HeaderSet) -> None:
            if values:
                self.headers[name] = values.to_header()
            elif name in self.headers:
                del self.headers[name]

        return HeaderSet(self.headers.get(name), on_update=write_back)

    def set(self: Any, value: str | Iterable[str]) -> None:
        self.headers[name] = value if isinstance(value, str) else HeaderSet(value).to_header()

    return property(get, set, doc=doc)


class UserAgent(str):
    """The ``User-Agent`` header: a ``str`` with Werkzeug's ``.string`` and ``to_header()``. As
    Werkzeug's (since 2.1) it does not guess the browser: ``platform``, ``browser``, ``version``
    and ``language`` are None."""

    __slots__ = ()

    platform: str | None = None
    browser: str | None = None
    version: str | None = None
    language: str | None = None

    @property
    def string(self) -> str:
        return str(self)

    def to_header(self) -> str:
        """The header value."""
        return str(self)


def _accept_items(header: str) -> Iterator[tuple[str, float]]:
    """The ``(value, quality)`` items of an ``Accept*`` header (RFC 9110 12.5.1); an item whose
    ``q`` is not a number from 0 to 1 is skipped. Parameters other than ``q`` are dropped; values
    keep their case (matching ignores it)."""
    for part in header.split(","):
        value, _, params = part.partition(";")
        value = value.strip(" \t")
        if not value:
            continue
        quality = 1.0
        for param in params.split(";"):
            name, _, number = param.partition("=")
            if name.strip(" \t").lower() == "q":
                number = number.strip(" \t")
                if len(number) > 5 or not number.replace(".", "", 1).isdigit():
                    quality = -1.0
                else:
                    quality = float(number)
                break
        if 0.0 <= quality <= 1.0:
            yield value, quality


class Accept:
    """A parsed ``Accept`` header (or ``Accept-Encoding``...), as Werkzeug's: a read-only list of
    ``(value, quality)`` pairs, most specific and then best first.

    ``value in accept`` (wanted at all: quality above 0), ``accept.quality(value)`` or
    ``accept[value]``, ``accept.best_match(options, default)``, ``accept.best``,
    ``accept.values()``, ``accept[0]``, ``len``, iteration and ``to_header()``. Media ranges
    match as media types (``text/*`` and ``*/*``); ``*`` matches any value. ``provided`` is False
    when the header was absent. Built from a header string or from ``(value, quality)`` pairs.
    """

    __slots__ = ("_values", "provided")

    def __init__(self, header: str | Iterable[tuple[str, float]] | None = None) -> None:
        if header is None or isinstance(header, str):
            self.provided = bool(header)
            pairs = list(_accept_items(header)) if header else []
        else:
            self.provided = True
            pairs = [(str(value), float(quality)) for value, quality in header]
        pairs.sort(key=lambda pair: (self._specificity(pair[0]), pair[1]), reverse=True)
        self._values = pairs

    @staticmethod
    def _specificity(item: str) -> tuple[bool, ...]:
        """How specific a client's item is: ``text/html`` > ``text/*`` > ``*/*``; a value > ``*``."""
        if "/" in item:
            kind, _, sub = item.partition("/")
            return (kind != "*", sub != "*")
        return (item != "*",)

    def _matches(self, value: str, item: str) -> bool:
        """Whether the client's ``item`` covers the server's ``value`` (media ranges included)."""
        value, item = value.lower(), item.lower()
        if item in ("*", "*/*") or item == value or value == "*/*":
            return True
        kind, slash, sub = value.partition("/")
        item_kind, item_slash, item_sub = item.partition("/")
        return bool(slash and item_slash and kind == item_kind and "*" in (sub, item_sub))

    def _best_item(self, value: str) -> tuple[str, float] | None:
        for item in self._values:
            if self._matches(value, item[0]):
                return item  # the list is sorted: the most specific match comes first
        return None

    def quality(self, key: str) -> float:
        """How much the client wants ``key`` (0 when not at all): the quality of the most
        specific item matching it."""
        item = self._best_item(key)
        return item[1] if item is not None else 0

    def best_match(self, matches: Iterable[str], default: str | None = None) -> str | None:
        """The option the client wants most; of equal quality, the one matched by the more
        specific item, then the first. ``default`` when none is wanted."""
        result, best_quality = default, 0.0
        best_specificity: tuple[bool, ...] = (False,)
        for option in matches:
            item = self._best_item(option)
            if item is None or item[1] <= 0 or item[1] < best_quality:
                continue
            specificity = self._specificity(item[0])
            if item[1] > best_quality or specificity > best_specificity:
                result, best_quality, best_specificity = option, item[1], specificity
        return result

    @property
    def best(self) -> str | None:
        """The client's first item (most specific, then best quality), or None."""
        return self._values[0][0] if self._values else None

    def values(self) -> Iterator[str]:
        """The values, without their qualities, in order."""
        return (value for value, _ in self._values)

    def index(self, key: str | tuple[str, float]) -> int:
        """The position of the item matching ``key`` (a value or a pair); ``ValueError`` if none."""
        if isinstance(key, str):
            for position, (item, _) in enumerate(self._values):
                if self._matches(key, item):
                    return position
            raise ValueError(key)
        return self._values.index(key)

    def find(self, key: str | tuple[str, float]) -> int:
        """As :meth:`index`, but -1 when nothing matches."""
        try:
            return self.index(key)
        except ValueError:
            return -1

    @overload
    def __getitem__(self, key: str) -> float: ...
    @overload
    def __getitem__(self, key: int) -> tuple[str, float]: ...
    @overload
    def __getitem__(self, key: slice) -> list[tuple[str, float]]: ...

    def __getitem__(self, key: str | int | slice) -> Any:
        """``accept["text/html"]`` is its quality; ``accept[0]`` the first pair."""
        if isinstance(key, str):
            return self.quality(key)
        return self._values[key]

    def __iter__(self) -> Iterator[tuple[str, float]]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __contains__(self, value: object) -> bool:
        return isinstance(value, str) and self.quality(value) > 0

    def __bool__(self) -> bool:
        return bool(self._values)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Accept):
            return self._values == other._values
        if isinstance(other, list):
            return self._values == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def to_header(self) -> str:
        """The header value: ``text/html,application/json;q=0.5``."""
        return ",".join(value if quality == 1 else f"{value};q={quality:g}" for value, quality in self._values)

    def __str__(self) -> str:
        return self.to_header()

    @property
    def accept_json(self) -> bool:
        return "application/json" in self

    @property
    def accept_xhtml(self) -> bool:
        return "application/xhtml+xml" in self or "application/xml" in self

    @property
    def accept_html(self) -> bool:
        return "text/html" in self or self.accept_xhtml

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._values!r})"


def _flag(name: str) -> property:
    def get(self: CacheControl) -> bool:
        return name in self

    def set(self: CacheControl, value: bool) -> None:
        self._set(name, None if value else _ABSENT)

    return property(get, set, doc=f"Whether ``{name}`` is set.")


def _seconds(name: str) -> property:
    def get(self: CacheControl) -> int | None:
        value = self.get(name)
        return int(value) if value is not None and value.isdigit() else None

    def set(self: CacheControl, value: int | None) -> None:
        self._set(name, _ABSENT if value is None else str(int(value)))

    return property(get, set, doc=f"``{name}`` in seconds (None when absent).")


_ABSENT = "\0absent"


class CacheControl(dict[str, str | None]):
    """A parsed ``Cache-Control`` header, as Werkzeug's: directive -> value (None for a bare
    directive), with attributes for the common ones (``max_age``, ``no_cache``, ``public``...).
    Setting an attribute calls ``on_update(self)``; a response uses it to rewrite its header."""

    def __init__(self, header: str | None = None, on_update: Callable[[CacheControl], None] | None = None) -> None:
        super().__init__()
        for part in (header or "").split(","):
            name, sep, value = part.strip().partition("=")
            if name.strip():
                self[name.strip().lower()] = value.strip().strip('"') if sep else None
        self.on_update = on_update

    def _set(self, name: str, value: str | None) -> None:
        if value == _ABSENT:
            self.pop(name, None)
        else:
            self[name] = value
        if self.on_update is not None:
            self.on_update(self)

    def to_header(self) -> str:
        """The header value: ``public, max-age=60``."""
        return ", ".join(name if value is None else f"{name}={value}" for name, value in self.items())

    max_age = _seconds("max-age")
    s_maxage = _seconds("s-maxage")
    no_cache = _flag("no-cache")
    no_store = _flag("no-store")
    no_transform = _flag("no-transform")
    public = _flag("public")
    private = _flag("private")
    must_revalidate = _flag("must-revalidate")
    proxy_revalidate = _flag("proxy-revalidate")
    immutable = _flag("immutable")


class FileStorage(UploadFile):
    """An uploaded file: Starlette's ``UploadFile`` with Flask's sync names too.

    In async code: ``await f.read()``, ``await f.save(path)``. In a plain ``def`` view (a
    worker thread) the same calls answer synchronously, as Werkzeug's ``FileStorage``, and so
    they do for sync code on the event loop (a Flask extension's validator in an async view).
    Once Werkzeug is imported this counts as its ``FileStorage`` too (see werkzeug_interop).
    """

    def _sync(self) -> bool:
        # The caller of read()/save() is two frames up.
        return not on_event_loop() or not awaiting_caller(sys._getframe(2))

    @property
    def stream(self) -> IO[bytes]:
        """The underlying file object (Werkzeug's name)."""
        return self.file

    @property
    def mimetype(self) -> str:
        return (self.content_type or "").split(";")[0].strip().lower()

    def read(self, size: int = -1) -> Any:  # type: ignore[override]
        """The content: ``await f.read()``; plain ``f.read()`` in a sync view."""
        if self._sync():
            return self.file.read(size)
        return Pending(super().read(size), "file.read()")

    def save(self, dst: str | os.PathLike[str] | IO[bytes], buffer_size: int = 16384) -> Any:
        """Write the file to a path or a binary file: ``await f.save(path)`` (sync in a ``def`` view)."""
        if self._sync():
            return self._save(dst, buffer_size)

        async def save_in_thread() -> None:
            import anyio.to_thread

            await anyio.to_thread.run_sync(self._save, dst, buffer_size)

        return Pending(save_in_thread(), "file.save(...)")

    def _save(self, dst: str | os.PathLike[str] | IO[bytes], buffer_size: int) -> None:
        self.file.seek(0)
        if isinstance(dst, str | os.PathLike):
            with open(dst, "wb") as out:
                shutil.copyfileobj(self.file, out, buffer_size)
        else:
            shutil.copyfileobj(self.file, dst, buffer_size)
