"""Publish/subscribe between connections: the building block of a websocket chat.

::

    broadcast = Broadcast()
    broadcast.init_app(app)          # connect at startup, disconnect at shutdown

    @app.websocket("/ws/<room>")
    async def chat(room):
        await websocket.accept()
        async with broadcast.subscribe(room) as subscriber:
            ...                      # in one task:   async for message in subscriber: send it
            ...                      # in another:    await broadcast.publish(room, received)

:class:`Broadcast` delivers within one process. With several worker processes or hosts use
``microflask.contrib.redis.RedisBroadcast`` (the same interface over Redis pub/sub), so a
message published in one process reaches the subscribers of every process.

Delivery is at most once, as pub/sub is: a subscriber gets the messages published while it
is subscribed; one that falls more than ``max_buffer`` messages behind loses the excess
(logged) rather than slowing everyone else down.
"""

from __future__ import annotations

import logging
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

if TYPE_CHECKING:
    from .app import MicroFlask

__all__ = ["Broadcast", "BroadcastBase", "Subscriber"]

logger = logging.getLogger("microflask.broadcast")


class Subscriber:
    """One subscription to ``channel``: ``async for message in subscriber`` (or ``await
    subscriber.get()``). Iteration ends when the broadcast disconnects (at shutdown)."""

    def __init__(self, channel: str, max_buffer: int) -> None:
        self.channel = channel
        send: MemoryObjectSendStream[str]
        receive: MemoryObjectReceiveStream[str]
        send, receive = anyio.create_memory_object_stream[str](max_buffer if max_buffer > 0 else math.inf)
        self._send, self._receive = send, receive
        self.dropped = 0

    def _deliver(self, message: str) -> None:
        try:
            self._send.send_nowait(message)
        except anyio.WouldBlock:
            self.dropped += 1
            logger.warning("A subscriber of %r is too slow: a message was dropped.", self.channel)
        except (anyio.BrokenResourceError, anyio.ClosedResourceError):
            pass  # it is leaving

    def _close(self) -> None:
        """No more messages: iteration ends once the buffered ones are read."""
        self._send.close()

    def _release(self) -> None:
        self._send.close()
        self._receive.close()

    async def get(self) -> str:
        """The next message; raises ``anyio.EndOfStream`` once the broadcast is disconnected."""
        return await self._receive.receive()

    def __aiter__(self) -> Subscriber:
        return self

    async def __anext__(self) -> str:
        try:
            return await self._receive.receive()
        except anyio.EndOfStream:
            raise StopAsyncIteration from None

    def __repr__(self) -> str:
        return f"<Subscriber {self.channel!r}>"


class BroadcastBase:
    """What every broadcast has: local subscribers per channel, ``subscribe`` and ``init_app``.

    Subclasses implement :meth:`publish` and, to reach other processes, the hooks
    :meth:`_listen` / :meth:`_unlisten` (called when a channel gets its first local subscriber
    or loses its last) and :meth:`connect` / :meth:`disconnect`.
    """

    def __init__(self, max_buffer: int = 1000) -> None:
        self.max_buffer = max_buffer
        self._subscribers: dict[str, set[Subscriber]] = {}

    def init_app(self, app: MicroFlask) -> None:
        """Connect when ``app`` starts serving and disconnect when it stops; ``app.extensions["broadcast"]``."""
        app.extensions["broadcast"] = self
        app.before_serving(self.connect)
        app.after_serving(self.disconnect)

    async def connect(self) -> None:
        """Start (``before_serving`` calls it)."""

    async def disconnect(self) -> None:
        """Stop: every subscriber's iteration ends (``after_serving`` calls it)."""
        for subscribers in self._subscribers.values():
            for subscriber in subscribers:
                subscriber._close()

    async def publish(self, channel: str, message: str) -> None:
        """Send ``message`` to every subscriber of ``channel``."""
        raise NotImplementedError

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[Subscriber]:
        """``async with broadcast.subscribe(channel) as subscriber:``; the subscription is in
        place when the block starts (a message published after that is received)."""
        subscriber = Subscriber(channel, self.max_buffer)
        local = self._subscribers.setdefault(channel, set())
        local.add(subscriber)
        try:
            if len(local) == 1:
                await self._listen(channel)
            else:
                await self._ready(channel)
            yield subscriber
        finally:
            subscriber._release()
            local.discard(subscriber)
            if not local and self._subscribers.get(channel) is local:
                del self._subscribers[channel]
                with anyio.CancelScope(shield=True):
                    await self._unlisten(channel)

    def _deliver(self, channel: str, message: str) -> None:
        """Hand ``message`` to this process's subscribers of ``channel``."""
        for subscriber in list(self._subscribers.get(channel, ())):
            subscriber._deliver(message)

    def subscriber_count(self, channel: str) -> int:
        """How many subscribers ``channel`` has in this process."""
        return len(self._subscribers.get(channel, ()))

    async def _listen(self, channel: str) -> None:
        """``channel`` got its first local subscriber."""

    async def _ready(self, channel: str) -> None:
        """Wait until ``channel``'s subscription is in place (another subscriber started it)."""

    async def _unlisten(self, channel: str) -> None:
        """``channel`` lost its last local subscriber."""

    async def __aenter__(self) -> Any:
        await self.connect()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.disconnect()


class Broadcast(BroadcastBase):
    """In-process publish/subscribe: for one process (and tests). Messages are strings; send
    JSON text for structured data."""

    async def publish(self, channel: str, message: str) -> None:
        self._deliver(channel, message)
