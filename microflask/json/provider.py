"""JSON providers: ``app.json`` is an instance of ``app.json_provider_class`` (Flask's
``flask.json.provider``). Subclass :class:`JSONProvider` to use another library.

The default's output follows Flask's: keys sorted, ASCII only, compact unless DEBUG, a
trailing newline; dataclasses, dates (as HTTP dates), UUIDs, Decimals and objects with
``__html__`` are serialised. Response bodies go through orjson when it is installed, wherever
its bytes equal the stdlib's.
"""

from __future__ import annotations

import calendar
import dataclasses
import decimal
import functools
import json as _json
import uuid
import weakref
from collections.abc import Callable
from datetime import UTC, date, datetime
from email.utils import format_datetime, formatdate
from json.encoder import encode_basestring, encode_basestring_ascii
from typing import IO, TYPE_CHECKING, Any

try:
    from json.encoder import c_make_encoder  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - not CPython
    c_make_encoder = None

if TYPE_CHECKING:
    from ..appbase import AppBase
    from ..wrappers import Response

__all__ = ["DefaultJSONProvider", "JSONProvider", "default"]


def default(o: Any) -> Any:
    """Serialise what the stdlib cannot: datetimes and dates (HTTP dates), Decimals, UUIDs,
    dataclasses and objects with ``__html__``."""
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

    def __init__(self, app: AppBase) -> None:
        self._app = weakref.proxy(app)  # the app holds its provider: no reference cycle back to it

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        """Serialise ``obj`` to a JSON string."""
        raise NotImplementedError

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """Parse a JSON string or bytes."""
        raise NotImplementedError

    def dump(self, obj: Any, fp: IO[str], **kwargs: Any) -> None:
        """Serialise ``obj`` into the text file ``fp``."""
        fp.write(self.dumps(obj, **kwargs))

    def load(self, fp: IO[Any], **kwargs: Any) -> Any:
        """Parse the JSON in the (text or binary) file ``fp``."""
        return self.loads(fp.read(), **kwargs)

    def response(self, *args: Any, **kwargs: Any) -> Response:
        """A JSON response (of ``app.response_class``) of ``args`` (one value, or several as a
        list) or of ``kwargs``."""
        if args and kwargs:
            raise TypeError("jsonify() takes positional or keyword arguments, not both.")
        obj: Any = kwargs if not args else (args[0] if len(args) == 1 else list(args))
        return self._app.response_class(self.encode_body(obj), mimetype=self.mimetype)

    def encode_body(self, obj: Any) -> bytes:
        """The response body for ``obj``: dumped, newline-terminated, UTF-8."""
        return (self.dumps(obj) + "\n").encode()


class DefaultJSONProvider(JSONProvider):
    """The stdlib-backed provider with Flask's output format."""

    default = staticmethod(default)
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
