"""``app.test_request_context()``: a request context for a request made up from arguments.

Kept apart from :mod:`microflask.testing` so that it needs nothing beyond the core install.
"""

from __future__ import annotations

import json as _json
from collections.abc import Mapping
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from .ctx import RequestContext
from .logging import ERRORS_STREAM_KEY

if TYPE_CHECKING:
    from starlette.types import Message

    from .app import MicroFlask

__all__ = ["BASE_URL", "make_test_request_context"]

BASE_URL = "http://localhost"


def make_test_request_context(
    app: MicroFlask,
    path: str = "/",
    base_url: str | None = None,
    method: str = "GET",
    headers: Mapping[str, str] | list[tuple[str, str]] | None = None,
    query_string: str | bytes | Mapping[str, Any] | None = None,
    data: str | bytes | Mapping[str, Any] | None = None,
    json: Any = None,
    content_type: str | None = None,
    root_path: str = "",
    errors_stream: IO[str] | None = None,
) -> RequestContext:
    """A request context for a request built from these values (no server involved).

    ``errors_stream`` receives what the default log handler writes during the request.
    """
    base = urlsplit(base_url or (f"http://{app.config['SERVER_NAME']}" if app.config["SERVER_NAME"] else BASE_URL))
    split = urlsplit(path)
    if query_string is None:
        query = split.query.encode("latin-1")
    elif isinstance(query_string, Mapping):
        query = urlencode(list(query_string.items()), doseq=True).encode("latin-1")
    else:
        query = query_string.encode("latin-1") if isinstance(query_string, str) else query_string
    raw_headers = [(k.lower(), v) for k, v in (headers.items() if isinstance(headers, Mapping) else headers or [])]
    body = b""
    if json is not None:
        body = _json.dumps(json).encode()
        content_type = content_type or "application/json"
    elif isinstance(data, Mapping):
        body = urlencode(list(data.items()), doseq=True).encode()
        content_type = content_type or "application/x-www-form-urlencoded"
    elif data is not None:
        body = data.encode() if isinstance(data, str) else data
    if content_type:
        raw_headers.append(("content-type", content_type))
    if body:
        raw_headers.append(("content-length", str(len(body))))
    if not any(k == "host" for k, _ in raw_headers):
        raw_headers.append(("host", base.netloc))
    root = (root_path or base.path).rstrip("/")
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method.upper(),
        "scheme": base.scheme or "http",
        "path": root + (split.path or "/"),
        "raw_path": (root + (split.path or "/")).encode(),
        "root_path": root,
        "query_string": query,
        "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in raw_headers],
        "client": ("127.0.0.1", 50000),
        "server": (base.hostname or "localhost", base.port or (443 if base.scheme == "https" else 80)),
        "app": app,
    }
    if errors_stream is not None:
        scope[ERRORS_STREAM_KEY] = errors_stream
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    request = app.request_class(scope, receive)
    try:
        rule, values = app.url_map.match(split.path or "/", method.upper(), query)
        request.url_rule, request.view_args = rule, values
    except Exception as e:  # kept, as in Flask, for the code under test to inspect
        request.routing_exception = e
    return RequestContext(app, request)
