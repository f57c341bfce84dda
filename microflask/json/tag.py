"""The tagged JSON serializer of the signed-cookie session (Flask's ``flask.json.tag``).

Plain JSON loses types a session often holds; this format keeps them by wrapping each such
value in a one-key object whose key starts with a space: tuples (``" t"``), bytes (``" b"``),
``Markup`` (``" m"``), UUIDs (``" u"``), datetimes (``" d"``), and a one-key dict whose key
would itself read as a tag (``" di"``). The format is Flask's, so cookies move between both.

More types: subclass :class:`JSONTag` and ``serializer.register(MyTag)``::

    class TagPoint(JSONTag):
        key = " pt"
        def check(self, value): return isinstance(value, Point)
        def to_json(self, value): return [value.x, value.y]
        def to_python(self, value): return Point(*value)
"""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

from markupsafe import Markup

__all__ = ["JSONTag", "TaggedJSONSerializer"]


class JSONTag:
    """One tagged type: ``check`` recognises a value, ``to_json`` turns it into JSON data,
    ``to_python`` turns that data back. ``key`` names the tag in the output; a tag with an empty
    key is a pass-through (it rewrites a container's items but adds no wrapper)."""

    __slots__ = ("serializer",)

    #: The wrapper's key in the JSON output, e.g. ``" t"``; empty for a pass-through.
    key: str = ""

    def __init__(self, serializer: TaggedJSONSerializer) -> None:
        self.serializer = serializer

    def check(self, value: Any) -> bool:
        """Whether this tag handles ``value``."""
        raise NotImplementedError

    def to_json(self, value: Any) -> Any:
        """``value`` as JSON data (tag nested values with ``self.serializer.tag``)."""
        raise NotImplementedError

    def to_python(self, value: Any) -> Any:
        """The Python value back from what :meth:`to_json` produced."""
        raise NotImplementedError

    def tag(self, value: Any) -> Any:
        """``value`` converted and wrapped as ``{key: data}`` (unwrapped for a pass-through)."""
        if not self.key:
            return self.to_json(value)
        return {self.key: self.to_json(value)}


class TagDict(JSONTag):
    """A one-key dict whose key is a tag's key: the key gets a ``__`` suffix, inside ``" di"``."""

    __slots__ = ()
    key = " di"

    def check(self, value: Any) -> bool:
        return isinstance(value, dict) and len(value) == 1 and next(iter(value)) in self.serializer.tags

    def to_json(self, value: Any) -> Any:
        key = next(iter(value))
        return {f"{key}__": self.serializer.tag(value[key])}

    def to_python(self, value: Any) -> Any:
        key = next(iter(value))
        return {key[:-2]: value[key]}


class PassDict(JSONTag):
    __slots__ = ()

    def check(self, value: Any) -> bool:
        return isinstance(value, dict)

    def to_json(self, value: Any) -> Any:
        tag = self.serializer.tag
        return {key: tag(item) for key, item in value.items()}


class TagTuple(JSONTag):
    __slots__ = ()
    key = " t"

    def check(self, value: Any) -> bool:
        return isinstance(value, tuple)

    def to_json(self, value: Any) -> Any:
        tag = self.serializer.tag
        return [tag(item) for item in value]

    def to_python(self, value: Any) -> Any:
        return tuple(value)


class PassList(JSONTag):
    __slots__ = ()

    def check(self, value: Any) -> bool:
        return isinstance(value, list)

    def to_json(self, value: Any) -> Any:
        tag = self.serializer.tag
        return [tag(item) for item in value]


class TagBytes(JSONTag):
    __slots__ = ()
    key = " b"

    def check(self, value: Any) -> bool:
        return isinstance(value, bytes)

    def to_json(self, value: Any) -> Any:
        return base64.b64encode(value).decode("ascii")

    def to_python(self, value: Any) -> Any:
        return base64.b64decode(value)


class TagMarkup(JSONTag):
    """Anything with ``__html__`` (it comes back as :class:`~markupsafe.Markup`)."""

    __slots__ = ()
    key = " m"

    def check(self, value: Any) -> bool:
        return callable(getattr(value, "__html__", None))

    def to_json(self, value: Any) -> Any:
        return str(value.__html__())

    def to_python(self, value: Any) -> Any:
        return Markup(value)


class TagUUID(JSONTag):
    __slots__ = ()
    key = " u"

    def check(self, value: Any) -> bool:
        return isinstance(value, uuid.UUID)

    def to_json(self, value: Any) -> Any:
        return value.hex

    def to_python(self, value: Any) -> Any:
        return uuid.UUID(value)


class TagDateTime(JSONTag):
    """A datetime as an HTTP date (UTC, whole seconds; a naive datetime is taken as UTC)."""

    __slots__ = ()
    key = " d"

    def check(self, value: Any) -> bool:
        return isinstance(value, datetime)

    def to_json(self, value: Any) -> Any:
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return format_datetime(aware.astimezone(UTC), usegmt=True)

    def to_python(self, value: Any) -> Any:
        return parsedate_to_datetime(value)


_BUILTIN_TAGS: tuple[type[JSONTag], ...] = (
    TagDict,
    PassDict,
    TagTuple,
    PassList,
    TagBytes,
    TagMarkup,
    TagUUID,
    TagDateTime,
)

# With only built-in tags registered, the tag for a value depends on its type alone, except for
# dicts (TagDict looks at the keys): the choice is then remembered per type.
_PLAIN = (str, int, float, bool, type(None))
_NOT_CACHED = object()


class TaggedJSONSerializer:
    """JSON that round-trips tuples, bytes, Markup, UUIDs and datetimes (Flask's session format).

    ``tags`` maps keys to tags, ``order`` is the order tags are tried in when tagging.
    """

    #: The tag classes every new serializer registers, in order.
    default_tags: list[type[JSONTag]] = list(_BUILTIN_TAGS)

    def __init__(self) -> None:
        self.tags: dict[str, JSONTag] = {}
        self.order: list[JSONTag] = []
        self._only_builtin = True
        #: type -> its tag (None: left as it is), while only built-in tags are registered.
        self._tag_for_type: dict[type, JSONTag | None] = dict.fromkeys(_PLAIN)
        for tag_class in self.default_tags:
            self.register(tag_class)

    def register(self, tag_class: type[JSONTag], force: bool = False, index: int | None = None) -> None:
        """Add a tag. A key already registered raises ``KeyError`` unless ``force`` (then the new
        tag replaces it for loading). ``index`` is where it goes in ``order`` (default: last)."""
        tag = tag_class(self)
        if tag.key:
            if tag.key in self.tags and not force:
                raise KeyError(f"Tag {tag.key!r} is already registered.")
            self.tags[tag.key] = tag
        if index is None:
            self.order.append(tag)
        else:
            self.order.insert(index, tag)
        self._only_builtin = self._only_builtin and tag_class in _BUILTIN_TAGS
        self._tag_for_type.clear()
        if self._only_builtin:
            self._tag_for_type.update(dict.fromkeys(_PLAIN))

    def tag(self, value: Any) -> Any:
        """``value`` as JSON data, typed values wrapped by the first tag that checks them."""
        kind = type(value)
        if kind is not dict:
            cached = self._tag_for_type.get(kind, _NOT_CACHED)
            if cached is None:
                return value
            if isinstance(cached, JSONTag):
                return cached.tag(value)
        found: JSONTag | None = None
        for tag in self.order:
            if tag.check(value):
                found = tag
                break
        if self._only_builtin and not isinstance(value, dict):
            self._tag_for_type[kind] = found
        return value if found is None else found.tag(value)

    def untag(self, value: dict[str, Any]) -> Any:
        """A parsed JSON object back to Python: unwrapped if it is a registered tag, else as is."""
        if len(value) != 1:
            return value
        key = next(iter(value))
        tag = self.tags.get(key)
        if tag is None:
            return value
        return tag.to_python(value[key])

    def dumps(self, value: Any) -> str:
        """``value`` as compact tagged JSON."""
        return json.dumps(self.tag(value), separators=(",", ":"))

    def loads(self, value: str | bytes) -> Any:
        """Parse tagged JSON back to Python values (innermost objects first)."""
        return json.loads(value, object_hook=self.untag)
