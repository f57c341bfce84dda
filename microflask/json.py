"""JSON: the app's provider (``app.json``) and ``jsonify``.

Output follows Flask's default provider: keys sorted, ASCII only, compact unless DEBUG,
a trailing newline; dataclasses, dates (as HTTP dates), UUIDs, Decimals and objects with
``__html__`` are serialised.
"""

from __future__ import annotations

import calendar
import dataclasses
import decimal
import functools
import json as _json
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from email.utils import format_datetime, formatdate
from json.encoder import encode_basestring, encode_basestring_ascii
from typing import TYPE_CHECKING, Any

try:
    from json.encoder import c_make_encoder  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - not CPython
    c_make_encoder = None

from .ctx import current_app

if TYPE_CHECKING:
    from .app import MicroFlask
    from .wrappers import Response

__all__ = ["DefaultJSONProvider", "JSONProvider", "dumps", "jsonify", "loads"]


def _default(o: Any) -> Any:
    if isinstance(o, datetime):  # an HTTP date, as Flask; a naive datetime is taken as UTC
        aware = o.astimezone(UTC) if o.tzinfo else o.replace(tzinfo=UTC)
        return format_datetime(aware, usegmt=True)
    if isinstance(o, date):
        return formatdate(calendar.timegm(o.timetuple()), usegmt=True)
    if isinstance(o, decimal.Decimal | uuid.UUID):
        return str(o)
    if dataclasses.is_dataclass(o) and not isinstance(o, type):
        return dataclasses.asdict(o)
    if hasattr(o, "__html__"):
        return str(o.__html__())
    raise TypeError(f"Object of type {type(o).__name__} is not JSON serializable")


class JSONProvider:
    """Base class for ``app.json``: override ``dumps`` and ``loads``."""

    mimetype = "application/json"

    def __init__(self, app: MicroFlask) -> None:
        self._app = app

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        raise NotImplementedError

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        raise NotImplementedError

    def response(self, *args: Any, **kwargs: Any) -> Response:
        """A JSON response of ``args`` (one value, or several as a list) or of ``kwargs``."""
        from .wrappers import Response

        if args and kwargs:
            raise TypeError("jsonify() takes positional or keyword arguments, not both.")
        obj: Any = kwargs if not args else (args[0] if len(args) == 1 else list(args))
        return Response(self.encode_body(obj), mimetype=self.mimetype)

    def encode_body(self, obj: Any) -> bytes:
        """The response body for ``obj``: dumped, newline-terminated, UTF-8."""
        return (self.dumps(obj) + "\n").encode()


class DefaultJSONProvider(JSONProvider):
    """The stdlib-backed provider with Flask's output format."""

    default = staticmethod(_default)
    ensure_ascii = True
    sort_keys = True
    #: None: compact unless the app is in debug mode (then indented by 2).
    compact: bool | None = None

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        kwargs.setdefault("default", self.default)
        kwargs.setdefault("ensure_ascii", self.ensure_ascii)
        kwargs.setdefault("sort_keys", self.sort_keys)
        return _json.dumps(obj, **kwargs)

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return _json.loads(s, **kwargs)

    #: Use orjson for response bodies when it is installed (``pip install microflask[fast]``).
    use_orjson = True

    def encode_body(self, obj: Any) -> bytes:
        compact = self.compact if self.compact is not None else not self._app.debug
        return _encoder(compact, self.default, self.ensure_ascii, self.sort_keys, self.use_orjson)(obj)


@functools.cache
def _encoder(
    compact: bool, default: Callable[[Any], Any], ensure_ascii: bool, sort_keys: bool, use_orjson: bool
) -> Callable[[Any], bytes]:
    """A body encoder for these settings, built once: views returning dicts are a hot path."""
    if compact and c_make_encoder is not None:
        # The C encoder json.dumps builds on every call, built once here (3-4x faster).
        encode_string = encode_basestring_ascii if ensure_ascii else encode_basestring
        c_encode = c_make_encoder(None, default, encode_string, None, ":", ",", sort_keys, False, True)

        def stdlib(obj: Any) -> bytes:
            return ("".join(c_encode(obj, 0)) + "\n").encode()

    else:
        encoder = _json.JSONEncoder(
            default=default,
            ensure_ascii=ensure_ascii,
            sort_keys=sort_keys,
            indent=None if compact else 2,
            separators=(",", ":") if compact else None,
        )

        def stdlib(obj: Any) -> bytes:
            return (encoder.encode(obj) + "\n").encode()

    orjson = _orjson() if compact and use_orjson else None
    if orjson is None:
        return stdlib
    options = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_APPEND_NEWLINE
    options |= orjson.OPT_SORT_KEYS if sort_keys else 0
    orjson_dumps = orjson.dumps

    def fast(obj: Any) -> bytes:
        # orjson where its bytes equal the stdlib's; the stdlib for non-ASCII text (escaped there),
        # integers beyond 64 bits and non-string keys (orjson refuses those).
        try:
            body: bytes = orjson_dumps(obj, default=default, option=options)
        except TypeError:
            return stdlib(obj)
        return body if body.isascii() or not ensure_ascii else stdlib(obj)

    return fast


def _orjson() -> Any:
    try:
        import orjson
    except ImportError:
        return None
    return orjson


def dumps(obj: Any, **kwargs: Any) -> str:
    """Serialise with the current app's provider (the stdlib with Flask's defaults outside one)."""
    from .ctx import has_app_context

    if has_app_context():
        return current_app.json.dumps(obj, **kwargs)
    kwargs.setdefault("default", _default)
    return _json.dumps(obj, **kwargs)


def loads(s: str | bytes, **kwargs: Any) -> Any:
    """Parse with the current app's provider (the stdlib outside one)."""
    from .ctx import has_app_context

    if has_app_context():
        return current_app.json.loads(s, **kwargs)
    return _json.loads(s, **kwargs)


def jsonify(*args: Any, **kwargs: Any) -> Response:
    """A JSON response, as Flask's: ``jsonify(data)``, ``jsonify(a=1)``, ``jsonify(1, 2)``."""
    return current_app.json.response(*args, **kwargs)
