"""Websockets: ``@app.websocket(rule)`` views and the ``websocket`` object they use (Quart's API).

::

    @app.websocket("/echo")
    async def echo():
        await websocket.accept()
        while True:
            await websocket.send(await websocket.receive())

``receive()`` and ``send()`` accept the connection first if the view has not. When the
client goes away, ``receive()`` raises :class:`WebSocketDisconnect` (catch it to clean up).
An ``abort()`` or error before the connection is accepted answers with an HTTP error
response (ASGI's websocket denial response, where the server supports it; else a close).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import HTTPConnection
from starlette.websockets import WebSocket as StarletteWebSocket
from starlette.websockets import WebSocketDisconnect, WebSocketState

from . import json
from .concurrency import is_async_callable
from .ctx import AppContext
from .exceptions import HTTPException, InternalServerError, NotFound
from .globals import _cv_context
from .schema.adapters import ModelError, adapter_for
from .schema.spec import ResponseValidationError
from .sessions import open_session_before_view
from .wrappers import ConnectionAttributes

if TYPE_CHECKING:
    from starlette.responses import Response
    from starlette.types import Receive, Scope, Send

    from .app import MicroFlask
    from .plans import EndpointPlan
    from .routing import Rule

__all__ = ["MessageValidationError", "WebSocketDisconnect", "Websocket", "WebsocketContext", "dispatch_websocket"]

#: The close code for a message that does not validate (RFC 6455: "inconsistent" payload data).
INVALID_MESSAGE = 1007


class MessageValidationError(WebSocketDisconnect):
    """``receive_as`` got a message that does not validate: the connection is closed with
    1007 and the errors as the reason. A view that does not catch it ends quietly, as when the
    client leaves; ``errors`` holds FastAPI-shaped items (see :mod:`microflask.schema`)."""

    def __init__(self, errors: list[dict[str, Any]], reason: str) -> None:
        super().__init__(INVALID_MESSAGE, reason)
        self.errors = errors


def _close_reason(errors: list[dict[str, Any]]) -> str:
    """The errors, short enough for a close frame (at most 123 bytes of UTF-8)."""
    text = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'message'}: {e['msg']}" for e in errors)
    data = text.encode("utf-8")
    return text if len(data) <= 123 else data[:120].decode("utf-8", "ignore") + "..."


class Websocket(ConnectionAttributes, HTTPConnection):  # type: ignore[misc]
    """A websocket connection, with Flask's sync attributes (``args``, ``path``, ``headers``...)."""

    def __init__(self, scope: Scope, receive: Receive, send: Send) -> None:
        super().__init__(scope)
        self._socket = StarletteWebSocket(scope, receive, send)

    @property
    def requested_subprotocols(self) -> list[str]:
        return list(self.scope.get("subprotocols", []))

    @property
    def accepted(self) -> bool:
        return self._socket.application_state is not WebSocketState.CONNECTING

    @property
    def closed(self) -> bool:
        """True once either side closed the connection."""
        disconnected = WebSocketState.DISCONNECTED
        return self._socket.application_state is disconnected or self._socket.client_state is disconnected

    async def accept(self, subprotocol: str | None = None, headers: dict[str, str] | None = None) -> None:
        """Accept the connection (optionally choosing a subprotocol and adding headers)."""
        raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
        await self._socket.accept(subprotocol, raw)

    async def receive(self) -> str | bytes:
        """The next message, text or bytes. Raises :class:`WebSocketDisconnect` when the client left."""
        if not self.accepted:
            await self.accept()
        message = await self._socket.receive()
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message.get("code", 1000), message.get("reason"))
        text = message.get("text")
        return text if text is not None else message.get("bytes", b"")

    async def send(self, data: str | bytes) -> None:
        """Send a text (str) or binary (bytes) message."""
        if not self.accepted:
            await self.accept()
        if isinstance(data, str):
            await self._socket.send({"type": "websocket.send", "text": data})
        else:
            await self._socket.send({"type": "websocket.send", "bytes": bytes(data)})

    async def receive_json(self) -> Any:
        """The next message parsed as JSON (with the app's JSON provider)."""
        return json.loads(await self.receive())

    async def send_json(self, data: Any) -> None:
        """Send ``data`` as a JSON text message."""
        await self.send(json.dumps(data))

    async def receive_as(self, model: Any) -> Any:
        """The next message (JSON) validated as ``model``: a pydantic model, a msgspec Struct, a
        dataclass or a list of one (see :mod:`microflask.schema`). A message that does not
        validate closes the connection with 1007 and says why in the close reason, then raises
        :class:`MessageValidationError`."""
        adapter = adapter_for(model)
        data = await self.receive()
        try:
            return adapter.from_json(data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data)
        except ModelError as e:
            reason = _close_reason(e.errors)
            await self.close(INVALID_MESSAGE, reason)
            raise MessageValidationError(e.errors, reason) from None

    async def send_as(self, value: Any, model: Any) -> None:
        """Send ``value`` (a model instance, or a dict or list the model accepts) as a JSON text
        message, checked against ``model``. A value that does not fit is the server's bug:
        :class:`~microflask.schema.ResponseValidationError`."""
        adapter = adapter_for(model)
        try:
            body = adapter.to_json(value)
        except ModelError as e:
            endpoint = self.url_rule.endpoint if self.url_rule is not None else None
            raise ResponseValidationError(endpoint, None, adapter.name, e.errors) from None
        await self.send(body.decode("utf-8"))

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        """Close the connection (before accepting it: refuse it)."""
        await self._socket.close(code, reason)

    def __aiter__(self) -> Websocket:
        return self

    async def __anext__(self) -> str | bytes:
        try:
            return await self.receive()
        except WebSocketDisconnect:
            raise StopAsyncIteration from None

    async def _refuse(self, response: Response) -> None:
        """Answer the handshake with an HTTP response, or close if the server cannot."""
        if "websocket.http.response" in self.scope.get("extensions", {}):
            await self._socket.send_denial_response(response)
        else:
            await self.close(1008 if response.status_code < 500 else 1011)


class WebsocketContext(AppContext):
    """The context of one websocket connection: ``current_app``, ``g`` and ``websocket``."""

    def __init__(self, app: MicroFlask, websocket: Websocket) -> None:
        super().__init__(app)
        self.websocket = websocket


async def dispatch_websocket(
    app: MicroFlask, scope: Scope, receive: Receive, send: Send, rule: Rule | None, values: dict[str, Any]
) -> None:
    """Handle one websocket connection to ``rule`` (None: no route, refused with 404)."""
    socket = Websocket(scope, receive, send)
    if rule is None:
        await socket._refuse(app.response_class("Not Found", 404))
        return
    socket.url_rule, socket.view_args = rule, values
    plan: EndpointPlan = rule.plan
    ctx = WebsocketContext(app, socket)
    token = _cv_context.set(ctx)
    error: BaseException | None = None
    try:
        rv = None
        try:
            if not app.session_interface.opens_lazily:
                await open_session_before_view(app, ctx)
            rv, _ = await app._before_view(ctx, plan, rule.endpoint, values)
            if rv is None:
                assert plan.view is not None
                rv = await plan.view(**values)
        except WebSocketDisconnect:
            pass  # the client left; nothing to answer
        except Exception as e:
            rv = await _handled(app, ctx, plan, e)
            if rv is None:  # no handler: a 500, logged
                error = e
                app.log_unhandled(e)
                rv = InternalServerError(original_exception=e)
        response = None if rv is None else app.make_response(rv)
        for func, is_async in plan.after:
            response = await app._call(ctx, func, is_async, response)
        if not socket.accepted:
            await socket._refuse(response if response is not None else app.make_response(NotFound()))
        elif not socket.closed:
            try:
                await socket.close(1011 if error is not None else 1000)
            except (WebSocketDisconnect, OSError):
                pass  # the client left while we were closing
    finally:
        try:
            await app._teardown(ctx, plan, error)
        finally:
            _cv_context.reset(token)


async def _handled(app: MicroFlask, ctx: WebsocketContext, plan: EndpointPlan, e: Exception) -> Any:
    """An error in a websocket view or hook: its error handler's answer, the HTTP error itself,
    or None when nothing handles it."""
    handler = app._find_error_handler(e, plan.scopes)
    if handler is None:
        return e if isinstance(e, HTTPException) else None
    return await app._call(ctx, handler, is_async_callable(handler), e)
