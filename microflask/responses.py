"""From what a view returns to bytes on the wire: ``make_response``, error pages, sending."""

from __future__ import annotations

from collections.abc import AsyncIterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import anyio.to_thread
from anyio.lowlevel import checkpoint
from starlette.datastructures import Headers
from starlette.requests import ClientDisconnect
from starlette.responses import Response as StarletteResponse
from starlette.responses import StreamingResponse

from .datastructures import Accept
from .exceptions import HTTPException, InternalServerError
from .globals import current_context
from .httputil import safe_header_value, status_code
from .wrappers import Response

if TYPE_CHECKING:
    from starlette.types import Message, Receive, Scope, Send

    from .app import MicroFlask

__all__ = ["StreamedResponse", "error_response", "make_response", "send"]


class StreamedResponse(StreamingResponse):
    """A streamed body (a view returned a generator). The first chunk is produced before the
    status line goes out, so a generator that fails at once still gets a proper 500."""

    def __init__(self, content: Any, *args: Any, **kwargs: Any) -> None:
        self.source = content
        super().__init__(content, *args, **kwargs)

    async def stream_response(self, send: Send) -> None:
        try:
            chunks = aiter(self.body_iterator)
            first: str | bytes | memoryview | None
            try:
                first = await anext(chunks)
            except StopAsyncIteration:
                first = None
            await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
            if first is not None:
                await send({"type": "http.response.body", "body": _encode(first, self.charset), "more_body": True})
                async for chunk in chunks:
                    await send({"type": "http.response.body", "body": _encode(chunk, self.charset), "more_body": True})
                    # A generator that never awaits would otherwise hold the loop (and keep running
                    # after the client left, since the server's send returns at once then).
                    await checkpoint()
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            # Stopped early (the client left, or the generator failed): close the generator so its
            # finally blocks run now, not whenever it is garbage-collected.
            await _close(self.source)


async def _close(source: Any) -> None:
    aclose = getattr(source, "aclose", None)
    if aclose is not None:
        await aclose()
    elif callable(getattr(source, "close", None)):
        await anyio.to_thread.run_sync(source.close)  # a sync generator's finally may block


def _encode(chunk: str | bytes | memoryview, charset: str) -> bytes | memoryview:
    return chunk.encode(charset) if isinstance(chunk, str) else chunk


def make_response(app: MicroFlask, rv: Any) -> StarletteResponse:
    """Turn a view's return value into a response.

    ``str``/``bytes`` -> HTML response; ``dict``/``list`` -> JSON; a response -> itself; an
    :class:`HTTPException` -> its error page; a (sync or async) iterator -> streamed; a
    tuple ``(body, status)``, ``(body, headers)`` or ``(body, status, headers)``.
    """
    kind = type(rv)
    if kind is str or kind is bytes:  # the common cases first
        return app.response_class(rv)
    if kind is dict or kind is list:
        return app.response_class(app.json.encode_body(rv), mimetype=app.json.mimetype)
    status = headers = None
    if kind is tuple:
        if len(rv) == 3:
            rv, status, headers = rv
        elif len(rv) == 2:
            if isinstance(rv[1], Headers | Mapping | list):
                rv, headers = rv
            else:
                rv, status = rv
        else:
            raise TypeError(
                "The view function did not return a valid response tuple. The tuple must have the"
                " form (body, status, headers), (body, status), or (body, headers)."
            )
    response = _to_response(app, rv)
    if status is not None:
        response.status_code = code = status_code(status)
        body: bytes | memoryview = getattr(response, "body", b"")
        if (code < 200 or code in (204, 304)) and body:
            response.body = b""  # these statuses never carry a body
            del response.headers["content-length"]
    if headers:
        # Values pass through safe_header_value: a view echoing input can't split a header.
        if isinstance(headers, Mapping | Headers):
            for key, value in headers.items():
                response.headers[key] = safe_header_value(value)
        else:
            for key, value in headers:
                response.headers.append(key, safe_header_value(value))
    return response


def _to_response(app: MicroFlask, rv: Any) -> StarletteResponse:
    if isinstance(rv, StarletteResponse):
        return rv
    if isinstance(rv, str | bytes | bytearray):
        return app.response_class(bytes(rv) if isinstance(rv, bytearray) else rv)
    if isinstance(rv, dict | list):
        return app.response_class(app.json.encode_body(rv), mimetype=app.json.mimetype)
    if isinstance(rv, HTTPException):
        return error_response(app, rv)
    if isinstance(rv, AsyncIterable | Iterator):
        return StreamedResponse(rv, media_type="text/html")
    if rv is None:
        ctx = current_context()
        endpoint = ctx.request.endpoint if ctx is not None and ctx.request is not None else None
        raise TypeError(
            f"The view function for {endpoint!r} did not return a valid response. The function"
            " either returned None or ended without a return statement."
        )
    raise TypeError(
        "The view function did not return a valid response: return a str, bytes, dict, list, a response,"
        f" a generator, or a tuple of (body, status, headers), but it was a {type(rv).__name__}."
    )


def error_response(app: MicroFlask, error: HTTPException) -> StarletteResponse:
    """The default page for an HTTP error: short HTML, JSON when the client prefers JSON.

    With DEBUG on, a 500 caused by an exception shows its traceback; never otherwise.
    """
    if error.response is not None:
        return error.response
    ctx = current_context()
    request = ctx.request if ctx is not None else None
    headers = error.get_headers()
    if request is not None and _prefers_json(request.headers.get("accept")):
        body = app.json.encode_body(error.get_json_body())
        return app.response_class(body, error.code, headers, mimetype=app.json.mimetype)
    if app.debug and isinstance(error, InternalServerError) and error.original_exception is not None:
        from .debug import render_debug_page  # imported on first use: the debug page is slow to import

        return app.response_class(render_debug_page(error.original_exception, request), error.code, headers)
    return app.response_class(error.get_body(), error.code, headers)


def _prefers_json(accept: str | None) -> bool:
    if not accept or "json" not in accept:
        return False
    return Accept(accept).best_match(("text/html", "application/json")) == "application/json"


async def send(response: StarletteResponse, scope: Scope, receive: Receive, send: Send, app: MicroFlask) -> None:
    """Send ``response``. HEAD requests get the headers only. If a streamed body fails before
    anything was sent, a 500 goes out instead; after that, the error is logged and the
    connection is left for the server to close (the body is incomplete)."""
    if scope["method"] == "HEAD":
        send = _without_body(send)
    if type(response) is Response or type(response) is StarletteResponse:
        await response(scope, receive, send)  # an in-memory body: nothing can fail midway
        return
    started = False

    async def tracking_send(message: Message) -> None:
        nonlocal started
        started = True
        await send(message)

    try:
        await response(scope, receive, tracking_send)
    except Exception as e:
        if isinstance(e, ClientDisconnect | OSError):
            app.logger.info("Client disconnected while the response was sent")
            return
        if started:
            app.log_unhandled(e)
            return
        app.log_unhandled(e)
        await error_response(app, InternalServerError(original_exception=e))(scope, receive, send)


def _without_body(send: Send) -> Send:
    async def send_headers_only(message: Message) -> None:
        if message["type"] == "http.response.body":
            if message.get("more_body"):
                return
            message = {"type": "http.response.body", "body": b""}
        await send(message)

    return send_headers_only
