"""Note events for the live websocket: a tiny in-process publish/subscribe hub.

Views call ``note_events().publish({...})``; each websocket subscribed gets every event
through its own bounded buffer. A subscriber that falls too far behind is dropped (its
socket then closes) rather than slowing the views down. One hub per app, created when the
``api`` blueprint is registered (see ``routes.py``). For several server processes, swap
this for a broker (Redis pub/sub, Postgres LISTEN/NOTIFY...).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from microflask import current_app

__all__ = ["EXTENSION_KEY", "NoteEvents", "note_events"]

EXTENSION_KEY = "largeapp.note_events"


class NoteEvents:
    def __init__(self, buffer: int = 100) -> None:
        self.buffer = buffer
        self._subscribers: set[MemoryObjectSendStream[dict[str, Any]]] = set()

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    def publish(self, event: dict[str, Any]) -> None:
        """Hand ``event`` to every subscriber, without waiting."""
        for stream in list(self._subscribers):
            try:
                stream.send_nowait(event)
            except (anyio.WouldBlock, anyio.BrokenResourceError, anyio.ClosedResourceError):
                self._subscribers.discard(stream)
                stream.close()  # too slow or gone: its reader sees the end of the stream

    @asynccontextmanager
    async def subscribe(self) -> AsyncIterator[MemoryObjectReceiveStream[dict[str, Any]]]:
        """``async with hub.subscribe() as events: async for event in events: ...``"""
        send, receive = anyio.create_memory_object_stream[dict[str, Any]](self.buffer)
        self._subscribers.add(send)
        try:
            async with receive:
                yield receive
        finally:
            self._subscribers.discard(send)
            send.close()


def note_events() -> NoteEvents:
    """The current app's hub."""
    return current_app.extensions[EXTENSION_KEY]  # type: ignore[no-any-return]
