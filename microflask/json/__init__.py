"""JSON with the current app's provider (``app.json``), as Flask's ``flask.json``.

Inside an app context ``dumps``/``loads`` use ``current_app.json`` (see :mod:`.provider`);
outside one, the stdlib with Flask's defaults. ``jsonify`` builds a JSON response.
"""

from __future__ import annotations

import json as _json
from typing import IO, TYPE_CHECKING, Any

from ..globals import current_app, current_context
from .provider import DefaultJSONProvider, JSONProvider, default

if TYPE_CHECKING:
    from ..wrappers import Response

__all__ = ["DefaultJSONProvider", "JSONProvider", "dump", "dumps", "jsonify", "load", "loads"]


def dumps(obj: Any, **kwargs: Any) -> str:
    """Serialise with the current app's provider (the stdlib with Flask's defaults outside one)."""
    ctx = current_context()
    if ctx is not None:
        return ctx.app.json.dumps(obj, **kwargs)
    kwargs.setdefault("default", default)
    return _json.dumps(obj, **kwargs)


def dump(obj: Any, fp: IO[str], **kwargs: Any) -> None:
    """Serialise ``obj`` into the text file ``fp``, as :func:`dumps`."""
    ctx = current_context()
    if ctx is not None:
        ctx.app.json.dump(obj, fp, **kwargs)
    else:
        kwargs.setdefault("default", default)
        _json.dump(obj, fp, **kwargs)


def loads(s: str | bytes, **kwargs: Any) -> Any:
    """Parse with the current app's provider (the stdlib outside one)."""
    ctx = current_context()  # not the current_app proxy: request.get_json comes through here
    if ctx is not None:
        return ctx.app.json.loads(s, **kwargs)
    return _json.loads(s, **kwargs)


def load(fp: IO[Any], **kwargs: Any) -> Any:
    """Parse the JSON in the file ``fp``, as :func:`loads`."""
    ctx = current_context()
    if ctx is not None:
        return ctx.app.json.load(fp, **kwargs)
    return _json.load(fp, **kwargs)


def jsonify(*args: Any, **kwargs: Any) -> Response:
    """A JSON response, as Flask's: ``jsonify(data)``, ``jsonify(a=1)``, ``jsonify(1, 2)``."""
    ctx = current_context()
    app = ctx.app if ctx is not None else current_app  # the proxy raises the clear "no app" error
    return app.json.response(*args, **kwargs)
