"""The tagged JSON serializer of the signed-cookie session (Flask's ``flask.json.tag``).

Plain JSON loses types a session often holds; this format keeps them by wrapping each such
value in a one-key object whose key starts with a space: tuples (``" t"``), bytes (``" b"``),
``Markup`` (``" m"``), UUIDs (``" u"``), datetimes (``" d"``), and a dict that would itself read
as a tag (``" di"``).
"""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

from markupsafe import Markup

__all__ = ["TaggedJSONSerializer"]


class TaggedJSONSerializer:
    """JSON that round-trips tuples, bytes, Markup, UUIDs and datetimes (Flask's session format)."""

    def dumps(self, value: Any) -> str:
        return json.dumps(self._tag(value), separators=(",", ":"))

    def loads(self, text: str | bytes) -> Any:
        return json.loads(text, object_hook=self._untag)

    def _tag(self, value: Any) -> Any:
        if isinstance(value, dict):
            tagged = {k: self._tag(v) for k, v in value.items()}
            if len(tagged) == 1 and next(iter(tagged)).startswith(" "):  # would read as a tag: escape
                key = next(iter(tagged))
                return {" di": {f"{key}__": tagged[key]}}
            return tagged
        if isinstance(value, tuple):
            return {" t": [self._tag(v) for v in value]}
        if isinstance(value, list):
            return [self._tag(v) for v in value]
        if isinstance(value, bytes):
            return {" b": base64.b64encode(value).decode("ascii")}
        if callable(getattr(value, "__html__", None)):
            return {" m": str(value.__html__())}
        if isinstance(value, uuid.UUID):
            return {" u": value.hex}
        if isinstance(value, datetime):
            aware = value if value.tzinfo else value.replace(tzinfo=UTC)
            return {" d": format_datetime(aware.astimezone(UTC), usegmt=True)}
        return value

    @staticmethod
    def _untag(obj: dict[str, Any]) -> Any:
        if len(obj) != 1:
            return obj
        key, value = next(iter(obj.items()))
        if key == " t":
            return tuple(value)
        if key == " b":
            return base64.b64decode(value)
        if key == " m":
            return Markup(value)
        if key == " u":
            return uuid.UUID(value)
        if key == " d":
            return parsedate_to_datetime(value)
        if key == " di":
            inner_key, inner = next(iter(value.items()))
            return {inner_key[:-2]: inner}
        return obj
