"""The chat example, scaled out: any number of processes and hosts sharing one Redis.

It speaks the same websocket protocol as ``examples/chat`` and serves that example's page, but
keeps nothing in the process: sessions, rate limits, the room's messages, members and
history all live in Redis, so two people connected to two different processes chat as if
they were on one. Run two processes on two ports (after ``make install`` and with a Redis
on 127.0.0.1:6379) and open one page on each::

    export SECRET_KEY=change-me REDIS_URL=redis://127.0.0.1:6379/0
    ../../.venv/bin/uvicorn app:app --port 8001 &
    ../../.venv/bin/uvicorn app:app --port 8002 &

(``uvicorn app:app --workers 4`` is the same thing on one port.) Settings, from the
environment: ``REDIS_URL``; ``SECRET_KEY`` (the same in every process); ``CHAT_SESSIONS``:
``redis`` (server-side, the default) or ``cookie`` (signed cookies: they need only the shared
``SECRET_KEY``); ``RATE_LIMIT`` (the app-wide default, ``120/minute``); ``LOGIN_LIMIT``
(``10/minute``); ``QUOTA_LIMIT`` (``/api/quota``, ``30/minute``).

Routes: ``/`` the page; ``POST /login`` (``{"name": ...}``) signs in (a new session id);
``GET /me``; ``POST /logout``; ``GET /api/quota`` (a rate-limited endpoint); ``/healthz``
(liveness: the process answers) and ``/readyz`` (readiness: Redis answers); websocket
``/ws/<room>`` (the name comes from the session, else from ``?name=``).
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
from datetime import UTC, datetime
from typing import Any

import anyio

from microflask import MicroFlask, abort, render_template, request, session, websocket
from microflask.contrib.redis import (
    RedisBroadcast,
    RedisRateLimitStorage,
    RedisSessionInterface,
    RedisUnavailable,
    regenerate_session,
)
from microflask.ratelimit import RateLimiter, exempt, limit
from microflask.websockets import WebSocketDisconnect

ROOM_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,32}")
NAME_MAX = 24
TEXT_MAX = 1000
HISTORY = 50
BAD_MESSAGE = f'Send JSON like {{"text": "hello"}}, with 1 to {TEXT_MAX} characters of text.'


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def valid_name(name: str) -> bool:
    return bool(name) and len(name) <= NAME_MAX and name.isprintable()


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


def create_app(config: dict[str, Any] | None = None) -> MicroFlask:
    """Build the app; ``config`` overrides what the environment says."""
    # The page is the in-memory chat's (examples/chat): same protocol, same page.
    app = MicroFlask(__name__, template_folder="../chat/templates", static_folder="../chat/static")
    app.config.from_mapping(
        REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        SECRET_KEY=os.environ.get("SECRET_KEY"),
        CHAT_SESSIONS=os.environ.get("CHAT_SESSIONS", "redis"),
        RATE_LIMIT=os.environ.get("RATE_LIMIT", "120/minute"),
        LOGIN_LIMIT=os.environ.get("LOGIN_LIMIT", "10/minute"),
        QUOTA_LIMIT=os.environ.get("QUOTA_LIMIT", "30/minute"),
    )
    app.config.from_mapping(config or {})
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = secrets.token_hex(32)
        logging.getLogger(__name__).warning(
            "SECRET_KEY is not set: using a random one, so sessions are not shared between processes."
        )
    url = app.config["REDIS_URL"]
    if app.config["CHAT_SESSIONS"] == "redis":
        RedisSessionInterface(url).init_app(app)
    RateLimiter(app, default=app.config["RATE_LIMIT"], storage=RedisRateLimitStorage(url))
    broadcast = RedisBroadcast(url)
    broadcast.init_app(app)
    pid = os.getpid()

    def members_key(room: str) -> str:
        return f"chat:members:{room}"

    def history_key(room: str) -> str:
        return f"chat:history:{room}"

    @app.route("/")
    async def index() -> Any:
        return await render_template("index.html", name_max=NAME_MAX, text_max=TEXT_MAX)

    @app.post("/login")
    @limit(app.config["LOGIN_LIMIT"])
    async def login() -> Any:
        data = await request.get_json(silent=True) or await request.form
        name = str(data.get("name", "")).strip()
        if not valid_name(name):
            abort(400, f"A name is 1 to {NAME_MAX} printable characters.")
        regenerate_session()  # a new session id at login: no session fixation
        session["name"] = name
        return {"name": name, "pid": pid}

    @app.get("/me")
    async def me() -> Any:
        return {"name": session.get("name"), "pid": pid}

    @app.post("/logout")
    async def logout() -> Any:
        session.clear()
        return {"name": None, "pid": pid}

    @app.get("/api/quota")
    @limit(app.config["QUOTA_LIMIT"])
    async def quota() -> Any:
        return {"ok": True, "pid": pid}

    @app.get("/healthz")
    @exempt
    async def healthz() -> Any:
        """Liveness: the process is up and its event loop answers. No Redis call (a Redis outage
        must not get every process restarted)."""
        return {"ok": True, "pid": pid}

    @app.get("/readyz")
    @exempt
    async def readyz() -> Any:
        """Readiness: Redis answers (a load balancer stops sending traffic here while it does not)."""
        await broadcast.connector.run("readiness check", lambda r: r.ping())
        return {"ok": True, "pid": pid}

    async def members(room: str) -> list[str]:
        names = await broadcast.connector.run("listing members", lambda r: r.hvals(members_key(room)))
        return sorted((n.decode() if isinstance(n, bytes) else n for n in names), key=str.lower)

    @app.websocket("/ws/<room>")
    async def chat_socket(room: str) -> None:
        name = (session.get("name", "") or websocket.args.get("name", "")).strip()
        if not ROOM_PATTERN.fullmatch(room):
            abort(400, "A room name is 1 to 32 letters, digits, '-' or '_'.")
        if not valid_name(name):
            abort(400, f"A name is 1 to {NAME_MAX} printable characters (log in, or pass ?name=).")
        member_id = f"{pid}-{secrets.token_hex(4)}"
        run = broadcast.connector.run
        # Subscribed before accepting: without Redis the handshake is refused with a 503, and
        # whatever is said after the welcome reaches this member.
        async with broadcast.subscribe(room) as subscriber:
            await websocket.accept()
            try:
                await run("joining", lambda r: r.hset(members_key(room), member_id, name))
                raw_history = await run("reading history", lambda r: r.lrange(history_key(room), 0, HISTORY - 1))
                history = [json.loads(item) for item in reversed(raw_history)]
                names = await members(room)
                welcome = {"type": "welcome", "you": member_id, "name": name, "room": room, "members": names}
                await websocket.send_json({**welcome, "history": history, "pid": pid})
                joined = {"type": "join", "name": name, "members": names, "time": now()}
                await broadcast.publish(room, json.dumps(joined))

                async with anyio.create_task_group() as tasks:

                    async def deliver() -> None:  # the room (every process) -> this browser
                        try:
                            async for message in subscriber:
                                await websocket.send(message)
                        except (WebSocketDisconnect, OSError, RuntimeError):
                            pass  # the browser left mid-send
                        tasks.cancel_scope.cancel()

                    tasks.start_soon(deliver)
                    async for raw in websocket:  # this browser -> the room
                        text = read_message(raw)
                        if text is None:
                            await websocket.send_json({"type": "error", "message": BAD_MESSAGE})
                            continue
                        said = {"type": "message", "from": member_id, "name": name, "text": text, "time": now()}
                        message = json.dumps({**said, "pid": pid})

                        async def remember(r: Any, message: str = message) -> Any:
                            async with r.pipeline(transaction=True) as pipe:
                                pipe.lpush(history_key(room), message).ltrim(history_key(room), 0, HISTORY - 1)
                                return await pipe.execute()

                        await run("saving history", remember)
                        await broadcast.publish(room, message)
                    tasks.cancel_scope.cancel()
            finally:
                with anyio.CancelScope(shield=True):
                    try:
                        await run("leaving", lambda r: r.hdel(members_key(room), member_id))
                        left = {"type": "leave", "name": name, "members": await members(room), "time": now()}
                        await broadcast.publish(room, json.dumps(left))
                    except RedisUnavailable:
                        pass  # logged; the member list heals when Redis is back and people rejoin

    return app


app = create_app()
