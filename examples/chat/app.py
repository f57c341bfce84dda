"""A websocket chat on microflask: rooms, a member list, recent history, one small HTML/JS page.

Run it from this folder (after ``make install`` at the repository root) and open
http://127.0.0.1:8000/ in two browser windows::

    ../../.venv/bin/uvicorn app:app --reload

How it works: the page opens a websocket to ``/ws/<room>?name=<name>``. The server keeps, per
room, one in-memory queue (an anyio memory stream) per connected member; a message from one
member is put on every member's queue, and each connection's own task sends its queue to its
browser. Everything a connection sends goes through its queue, so only one task ever writes
to a socket. The rooms live in this process: with several workers, members connected to
different processes would not see each other (use a broker such as Redis pub/sub there).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from microflask import MicroFlask, abort, current_app, render_template, websocket
from microflask.websockets import WebSocketDisconnect

ROOM_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,32}")
NAME_MAX = 24
TEXT_MAX = 1000
BAD_MESSAGE = f'Send JSON like {{"text": "hello"}}, with 1 to {TEXT_MAX} characters of text.'


# -- rooms --------------------------------------------------------------------------------------


@dataclass(eq=False)
class Member:
    id: int
    name: str
    room: str
    outbox: MemoryObjectSendStream[dict[str, Any]]
    #: Set when the member fell too far behind and was dropped from the room.
    dropped: bool = False


@dataclass
class Room:
    members: dict[int, Member] = field(default_factory=dict)
    history: deque[dict[str, Any]] = field(default_factory=deque)


class ChatRooms:
    """The rooms of this process: who is in each, and its last ``history`` messages.

    ``buffer``: how many messages may wait for one member; a member whose browser reads
    slower than the room talks is dropped (its connection closed) rather than slowing the
    others down or growing memory without bound.
    """

    def __init__(self, history: int = 50, buffer: int = 100) -> None:
        self.rooms: dict[str, Room] = {}
        self.history = history
        self.buffer = buffer
        self._ids = itertools.count(1)

    def join(self, room: str, name: str) -> tuple[Member, MemoryObjectReceiveStream[dict[str, Any]]]:
        """Add a member; returns it and the stream of the messages for it."""
        outbox, inbox = anyio.create_memory_object_stream[dict[str, Any]](self.buffer)
        member = Member(next(self._ids), name, room, outbox)
        self.rooms.setdefault(room, Room(history=deque(maxlen=self.history))).members[member.id] = member
        return member, inbox

    def leave(self, member: Member) -> None:
        room = self.rooms.get(member.room)
        if room is not None:
            room.members.pop(member.id, None)
            if not room.members:  # the last one out: forget the room and its history
                del self.rooms[member.room]
        member.outbox.close()

    def names(self, room: str) -> list[str]:
        found = self.rooms.get(room)
        return sorted((m.name for m in found.members.values()), key=str.lower) if found else []

    def recent(self, room: str) -> list[dict[str, Any]]:
        found = self.rooms.get(room)
        return list(found.history) if found else []

    def publish(self, room: str, message: dict[str, Any], keep: bool = False) -> None:
        """Queue ``message`` for every member of ``room`` (``keep``: also add it to the history)."""
        found = self.rooms.get(room)
        if found is None:
            return
        if keep:
            found.history.append(message)
        for member in list(found.members.values()):
            self.send(member, message)

    def send(self, member: Member, message: dict[str, Any]) -> None:
        """Queue ``message`` for one member; drop the member if its queue is full."""
        try:
            member.outbox.send_nowait(message)
        except anyio.WouldBlock:
            member.dropped = True
            self.leave(member)  # closing its queue ends its connection
        except (anyio.ClosedResourceError, anyio.BrokenResourceError):
            pass  # it is leaving already


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def read_message(raw: str | bytes) -> str | None:
    """The text of a ``{"text": "..."}`` message from the browser; None if it is not one."""
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    text = data.get("text") if isinstance(data, dict) else None
    if not isinstance(text, str) or not text.strip() or len(text) > TEXT_MAX:
        return None
    return text.strip()


# -- the app ------------------------------------------------------------------------------------


def create_app(config: dict[str, Any] | None = None) -> MicroFlask:
    """Build the chat. Config: ``CHAT_HISTORY`` (messages kept per room), ``CHAT_BUFFER``."""
    app = MicroFlask(__name__)
    app.config.from_mapping(CHAT_HISTORY=50, CHAT_BUFFER=100)
    app.config.from_mapping(config or {})
    app.extensions["chat"] = ChatRooms(app.config["CHAT_HISTORY"], app.config["CHAT_BUFFER"])

    @app.route("/")
    async def index() -> Any:
        return await render_template("index.html", name_max=NAME_MAX, text_max=TEXT_MAX)

    @app.route("/rooms")
    async def rooms() -> Any:
        """The open rooms and how many are in each (JSON)."""
        chat: ChatRooms = current_app.extensions["chat"]
        return {name: len(room.members) for name, room in sorted(chat.rooms.items())}

    @app.websocket("/ws/<room>")
    async def chat_socket(room: str) -> None:
        # Checked before accepting: a bad request is refused with an HTTP 400.
        name = websocket.args.get("name", "").strip()
        if not ROOM_PATTERN.fullmatch(room):
            abort(400, "A room name is 1 to 32 letters, digits, '-' or '_'.")
        if not name or len(name) > NAME_MAX or not name.isprintable():
            abort(400, f"A name is 1 to {NAME_MAX} printable characters.")
        chat: ChatRooms = current_app.extensions["chat"]
        await websocket.accept()
        member, inbox = chat.join(room, name)
        try:
            chat.send(
                member,
                {
                    "type": "welcome",
                    "you": member.id,
                    "name": name,
                    "room": room,
                    "members": chat.names(room),
                    "history": chat.recent(room),
                },
            )
            chat.publish(room, {"type": "join", "name": name, "members": chat.names(room), "time": now()})
            async with anyio.create_task_group() as tasks:

                async def deliver() -> None:  # this member's queue -> its browser
                    try:
                        async with inbox:
                            async for message in inbox:
                                await websocket.send_json(message)
                    except (WebSocketDisconnect, OSError, RuntimeError):
                        pass  # the browser went away mid-send: the loop below ends too
                    tasks.cancel_scope.cancel()  # dropped or gone: stop listening too

                tasks.start_soon(deliver)
                # The browser -> the room. The loop ends when the browser goes away.
                async for raw in websocket:
                    text = read_message(raw)
                    if text is None:
                        chat.send(member, {"type": "error", "message": BAD_MESSAGE})
                        continue
                    message = {"type": "message", "from": member.id, "name": name, "text": text, "time": now()}
                    chat.publish(room, message, keep=True)
                tasks.cancel_scope.cancel()
        finally:
            inbox.close()
            chat.leave(member)
            chat.publish(room, {"type": "leave", "name": name, "members": chat.names(room), "time": now()})
        if member.dropped:
            with contextlib.suppress(Exception):  # the browser may be gone already
                await websocket.close(1013, "Too far behind; reconnect.")

    return app


app = create_app()
