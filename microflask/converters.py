"""URL converters: the types of rule variables (``<int:id>``, ``<path:p>``, custom ones).

A converter has a ``regex`` for one value, ``to_python`` (raise :class:`ValidationError` to
say "no match") and ``to_url``. Register your own with
``app.url_map.converters["name"] = MyConverter``.
"""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

if TYPE_CHECKING:
    from .routing import Map

__all__ = [
    "DEFAULT_CONVERTERS",
    "AnyConverter",
    "BaseConverter",
    "FloatConverter",
    "IntegerConverter",
    "PathConverter",
    "UUIDConverter",
    "UnicodeConverter",
    "ValidationError",
    "parse_converter_args",
]

URL_SAFE = "!$&'()*+,/:;=@-._~"


class ValidationError(ValueError):
    """Raised by ``Converter.to_python`` to say "this URL does not match"."""


class BaseConverter:
    """A URL variable type: ``regex`` matches one value, ``to_python``/``to_url`` convert it.

    Subclass and register with ``app.url_map.converters["name"] = MyConverter``.
    Arguments in the rule (``<name(a, b=1):var>``) reach ``__init__`` after ``map``.
    """

    regex = "[^/]+"
    #: Lower is tried first when several variable segments could match.
    weight = 100
    #: False when ``regex`` can match a ``/`` (then the rest of the path is matched at once).
    part_isolating = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "regex" in cls.__dict__ and "part_isolating" not in cls.__dict__:
            cls.part_isolating = "/" not in cls.regex

    def __init__(self, map: Map | None = None, *args: Any, **kwargs: Any) -> None:
        self.map = map

    def to_python(self, value: str) -> Any:
        return value

    def to_url(self, value: Any) -> str:
        return quote(str(value), safe=URL_SAFE.replace("/", ""))


class UnicodeConverter(BaseConverter):
    """The default: any text without a slash. ``string(minlength=1, maxlength=None, length=None)``."""

    def __init__(
        self, map: Map | None = None, minlength: int = 1, maxlength: int | None = None, length: int | None = None
    ) -> None:
        super().__init__(map)
        if length is not None:
            self.regex = f"[^/]{{{int(length)}}}"
        else:
            upper = "" if maxlength is None else int(maxlength)
            self.regex = f"[^/]{{{int(minlength)},{upper}}}"


class PathConverter(BaseConverter):
    """Like the default but also accepts slashes."""

    regex = "[^/].*?"
    weight = 200
    part_isolating = False

    def to_url(self, value: Any) -> str:
        return quote(str(value), safe=URL_SAFE)


class _NumberConverter(BaseConverter):
    weight = 50
    num_type: type = int
    digits_regex = r"[0-9]+"

    def __init__(
        self,
        map: Map | None = None,
        fixed_digits: int = 0,
        min: int | float | None = None,
        max: int | float | None = None,
        signed: bool = False,
    ) -> None:
        super().__init__(map)
        self.fixed_digits = fixed_digits
        self.min = min
        self.max = max
        self.signed = signed
        self.regex = ("-?" if signed else "") + self.digits_regex

    def to_python(self, value: str) -> Any:
        if self.fixed_digits and len(value.lstrip("-")) != self.fixed_digits:
            raise ValidationError()
        try:
            number = self.num_type(value)
        except (ValueError, OverflowError):  # e.g. more digits than int() accepts
            raise ValidationError() from None
        if (self.min is not None and number < self.min) or (self.max is not None and number > self.max):
            raise ValidationError()
        return number

    def to_url(self, value: Any) -> str:
        text = str(self.num_type(value))
        if self.fixed_digits:
            text = text.zfill(self.fixed_digits)
        return text


class IntegerConverter(_NumberConverter):
    """``int(fixed_digits=0, min=None, max=None, signed=False)``: ASCII digits only."""


class FloatConverter(_NumberConverter):
    """``float(min=None, max=None, signed=False)``: digits, a dot, digits."""

    num_type = float
    digits_regex = r"[0-9]+\.[0-9]+"

    def __init__(
        self, map: Map | None = None, min: float | None = None, max: float | None = None, signed: bool = False
    ) -> None:
        super().__init__(map, min=min, max=max, signed=signed)


class UUIDConverter(BaseConverter):
    """A UUID in its canonical text form; the view gets a :class:`uuid.UUID`."""

    regex = r"[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}"

    def to_python(self, value: str) -> uuid.UUID:
        return uuid.UUID(value)

    def to_url(self, value: Any) -> str:
        return str(value)


class AnyConverter(BaseConverter):
    """One of fixed values: ``<any(about, help):page>``."""

    def __init__(self, map: Map | None = None, *items: str) -> None:
        super().__init__(map)
        if not items:
            raise ValueError("any() needs at least one value, e.g. <any(a, b):name>.")
        self.items = set(items)
        self.regex = "(?:" + "|".join(re.escape(x) for x in sorted(items, key=len, reverse=True)) + ")"

    def to_url(self, value: Any) -> str:
        if value not in self.items:
            raise ValueError(f"{value!r} is not one of {sorted(self.items)!r}")
        return quote(str(value), safe=URL_SAFE.replace("/", ""))


DEFAULT_CONVERTERS: dict[str, type[BaseConverter]] = {
    "default": UnicodeConverter,
    "string": UnicodeConverter,
    "any": AnyConverter,
    "path": PathConverter,
    "int": IntegerConverter,
    "float": FloatConverter,
    "uuid": UUIDConverter,
}

_ARG_RE = re.compile(r"""\s*(?:(?P<key>\w+)\s*=\s*)?(?P<value>"[^"]*"|'[^']*'|[^,"'\s][^,]*?)\s*(?:,|$)""")


def parse_converter_args(text: str) -> tuple[list[Any], dict[str, Any]]:
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    for m in _ARG_RE.finditer(text):
        if not m.group("value"):
            continue
        raw = m.group("value").strip()
        value: Any
        if raw[:1] in "\"'":
            value = raw[1:-1]
        elif raw in ("True", "False", "None"):
            value = {"True": True, "False": False, "None": None}[raw]
        else:
            try:
                value = int(raw)
            except ValueError:
                try:
                    value = float(raw)
                except ValueError:
                    value = raw
        if m.group("key"):
            kwargs[m.group("key")] = value
        else:
            args.append(value)
    return args, kwargs
