"""Server-Sent Events: stream events to the browser's ``EventSource`` from any (async) iterator.

::

    @app.route("/clock")
    async def clock():
        async def ticks():
            while True:
                yield ServerSentEvent(datetime.now().isoformat(), event="tick")
                await anyio.sleep(1)
        return EventStream(ticks(), keep_alive=15)

Items may be :class:`ServerSentEvent`, ``str`` (a data-only event) or anything JSON-able
(sent as JSON data). While the source is idle, a comment line keeps proxies from closing
the connection. The stream stops when the source ends or the client goes away.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import AsyncIterable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import anyio
from starlette.concurrency import iterate_in_threadpool
from starlette.responses import Response

if TYPE_CHECKING:
    from starlette.types import Receive, Scope, Send

__all__ = ["EventStream", "ServerSentEvent"]


class ServerSentEvent:
    """One event: ``data`` plus the optional ``event`` name, ``id`` and ``retry`` (milliseconds)."""

    __slots__ = ("data", "event", "id", "retry")

    def __init__(self, data: Any = "", event: str | None = None, id: str | int | None = None, retry: int | None = None):
        self.data = data
        self.event = event
        self.id = id
        self.retry = retry

    def encode(self) -> bytes:
        """The event in the ``text/event-stream`` format (fields, one line each, then a blank line)."""
        lines: list[str] = []
        if self.event is not None:
            lines.append(f"event: {_one_line(self.event)}")
        if self.id is not None:
            lines.append(f"id: {_one_line(str(self.id))}")
        if self.retry is not None:
            lines.append(f"retry: {int(self.retry)}")
        data = self.data if isinstance(self.data, str) else json.dumps(self.data, separators=(",", ":"))
        lines.extend(f"data: {line}" for line in _LINE_BREAK.split(data))
        return ("\n".join(lines) + "\n\n").encode()

    def __repr__(self) -> str:
        return f"ServerSentEvent(data={self.data!r}, event={self.event!r}, id={self.id!r})"


# The event-stream format breaks lines at CR, LF and CRLF only (not at str.splitlines' others).
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _one_line(value: str) -> str:
    # A newline in a field name or id would start a new field: drop line breaks.
    return value.replace("\r", "").replace("\n", "")


KEEP_ALIVE_COMMENT = b": keep-alive\n\n"


class EventStream(Response):
    """A ``text/event-stream`` response of the events ``source`` yields.

    ``keep_alive``: seconds of silence after which a comment line is sent (None: never).
    """

    media_type = "text/event-stream"

    def __init__(
        self,
        source: AsyncIterable[Any] | Iterable[Any],
        keep_alive: float | None = 15.0,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.source = source
        self.keep_alive = keep_alive
        super().__init__(None, status_code, {"cache-control": "no-cache", "x-accel-buffering": "no", **(headers or {})})
        del self.headers["content-length"]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        events = self.source if isinstance(self.source, AsyncIterable) else iterate_in_threadpool(iter(self.source))
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        # The source is read by its own task, so that waiting for the next event can time out
        # into a keep-alive comment without cancelling the source midway.
        to_sender, from_source = anyio.create_memory_object_stream[Any](math.inf)
        async with anyio.create_task_group() as task_group, from_source:
            task_group.start_soon(_pump, events, to_sender)
            task_group.start_soon(_cancel_on_disconnect, receive, task_group.cancel_scope)
            while True:
                item: Any = _SILENCE
                with anyio.move_on_after(math.inf if self.keep_alive is None else self.keep_alive):
                    item = await from_source.receive()
                if item is _END:
                    break
                chunk = KEEP_ALIVE_COMMENT if item is _SILENCE else _encode(item)
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            task_group.cancel_scope.cancel()
        await send({"type": "http.response.body", "body": b"", "more_body": False})


_SILENCE = object()
_END = object()


async def _pump(events: AsyncIterable[Any], to_sender: Any) -> None:
    async with to_sender:
        async for item in events:
            await to_sender.send(item)
        await to_sender.send(_END)


async def _cancel_on_disconnect(receive: Receive, scope: anyio.CancelScope) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
    scope.cancel()


def _encode(item: Any) -> bytes:
    if isinstance(item, ServerSentEvent):
        return item.encode()
    return ServerSentEvent(item).encode()
