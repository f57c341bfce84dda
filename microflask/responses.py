"""From what a view returns to bytes on the wire: ``make_response``, error pages, sending."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from starlette.datastructures import Headers
from starlette.requests import ClientDisconnect
from starlette.responses import Response as StarletteResponse

from .concurrency import Pending, is_async_callable
from .datastructures import Accept
from .exceptions import HTTPException, InternalServerError
from .globals import current_context
from .httputil import safe_header_value, status_code
from .wrappers import Response, StreamedResponse

if TYPE_CHECKING:
    from starlette.types import Message, Receive, Scope, Send

    from .app import MicroFlask
    from .ctx import AppContext
    from .plans import EndpointPlan

__all__ = [
    "InvalidResponseError",
    "StreamedResponse",
    "error_response",
    "make_response",
    "returned_by",
    "send",
    "unawaited",
    "who_returned",
]


class InvalidResponseError(TypeError):
    """What a view, error handler or hook returned cannot become a response. The message names
    who returned it: "The view function" until :meth:`blame` names the function (the request
    path does, only when this is raised: the names cost nothing when responses are valid)."""

    def __init__(self, problem: str, who: str = "The view function") -> None:
        self.problem = problem
        super().__init__(f"{who} {problem}")

    def blame(self, who: str) -> InvalidResponseError:
        """This error, its message now starting with ``who`` (e.g. "The error handler 'page' for 404")."""
        self.args = (f"{who} {self.problem}",)
        return self


def unawaited(plan: EndpointPlan, rv: Any) -> Any:
    """An awaitable that a view returned, to await: a coroutine, or a helper's :class:`Pending`
    (``render_template(...)``) returned by sync code on the event loop (a Flask-style decorator
    around an async view, which cannot await). A ``Pending`` from ``async def`` code, where the
    ``await`` was forgotten, raises the error saying so."""
    if type(rv) is not Pending or plan.view is None or not is_async_callable(plan.view):
        return rv
    who = returned_by("view function", plan.view, f" for endpoint {plan.endpoint!r}")
    raise rv.missing_await(f"{who} returned {rv.what} without awaiting it: write 'return await {rv.what}'.")


def who_returned(ctx: AppContext, plan: EndpointPlan, source: Any) -> str:
    """Who returned an invalid response value (``source``; None: the view), for its error message."""
    if source is None:
        return returned_by("view function", plan.view, f" for endpoint {plan.endpoint!r}")
    if source is ctx.error_handler:
        return returned_by("error handler", source, f" for {type(ctx.handled_error).__name__}")
    return returned_by("before_request function", source)


def returned_by(role: str, func: Any, detail: str = "") -> str:
    """``"The <role> 'qualname'<detail>"``: who returned a value, for :class:`InvalidResponseError`."""
    func = getattr(func, "func", func)  # a functools.partial
    name = getattr(func, "__qualname__", None) or getattr(func, "__name__", None) or repr(func)
    module = getattr(func, "__module__", None)
    where = f" (in {module})" if module and module not in ("__main__", "builtins") else ""
    return f"The {role} {name!r}{detail}{where}"


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
            raise InvalidResponseError(
                "did not return a valid response tuple. The tuple must have the"
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
        return StreamedResponse(rv)
    if rv is None:
        ctx = current_context()
        endpoint = ctx.request.endpoint if ctx is not None and ctx.request is not None else None
        raise InvalidResponseError(
            "did not return a valid response. The function either returned None or ended without a return statement.",
            f"The view function for {endpoint!r}",
        )
    hint = ""
    if type(rv) is Pending:
        rv.close()
        hint = f" ({rv.what} not awaited: write 'await {rv.what}')"
    elif inspect.isawaitable(rv):
        hint = " (an awaitable: it must be awaited, e.g. return await render_template(...))"
    raise InvalidResponseError(
        "did not return a valid response: return a str, bytes, dict, list, a response, a generator,"
        f" or a tuple of (body, status, headers), but it was a {type(rv).__name__}{hint}."
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
    if type(response.status_code) is not int:  # response.status_code = "422" (Werkzeug takes it)
        response.status_code = status_code(response.status_code)
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
