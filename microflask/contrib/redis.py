"""Redis for apps that run as several processes or on several hosts (``pip install 'microflask[redis]'``).

- :class:`RedisSessionInterface`: server-side sessions. The cookie holds only a random
  session id, signed with ``SECRET_KEY``; the data lives in Redis for
  ``PERMANENT_SESSION_LIFETIME``. :func:`regenerate_session` gives the session a new id (call
  it on login).
- :class:`RedisRateLimitStorage`: rate limit counters shared by every process
  (``RateLimiter(app, storage=RedisRateLimitStorage(url))``).
- :class:`RedisBroadcast`: publish/subscribe across processes, for websockets.

Every Redis call is bounded: connecting gives up after ``connect_timeout`` seconds, a reply
after ``timeout``, and a failed call is retried ``retries`` times at once. When Redis cannot
be reached the request gets ``503 Service Unavailable`` (:class:`RedisUnavailable`), and the
app logs why; nothing waits for Redis forever. Once Redis is back, the next request
reconnects.

Each component owns a client made from ``url`` (one per event loop) and closes it when the
app stops serving; pass ``client=`` to share a ``redis.asyncio.Redis`` you manage yourself.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
import weakref
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import anyio
from itsdangerous import BadSignature, Signer
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError
from redis.exceptions import TimeoutError as RedisTimeoutError
from starlette.responses import Response as StarletteResponse

from ..broadcast import BroadcastBase
from ..ctx import current_context, session
from ..ratelimit import StorageUnavailable
from ..responses import error_response
from ..sessions import SecureCookieSession, SessionInterface, TaggedJSONSerializer, _vary_cookie

if TYPE_CHECKING:
    from redis.asyncio.client import PubSub
    from starlette.responses import Response

    from ..app import MicroFlask
    from ..wrappers import Request

__all__ = [
    "RedisBroadcast",
    "RedisConnector",
    "RedisRateLimitStorage",
    "RedisSession",
    "RedisSessionInterface",
    "RedisUnavailable",
    "regenerate_session",
]

T = TypeVar("T")
DEFAULT_URL = "redis://127.0.0.1:6379/0"
#: The errors that mean "Redis cannot be reached now" (a refused or dropped connection, a timeout).
UNREACHABLE: tuple[type[BaseException], ...] = (RedisConnectionError, RedisTimeoutError, OSError, TimeoutError)

logger = logging.getLogger("microflask.contrib.redis")


class RedisUnavailable(StorageUnavailable):
    """503: Redis could not be reached in time (the reason is logged, not shown)."""

    description = "A backing service is unavailable. Please try again shortly."


def _log(message: str, *args: Any) -> None:
    """Log on the app's logger inside a request or app context, else on this module's."""
    ctx = current_context()
    (ctx.app.logger if ctx is not None else logger).error(message, *args)


class RedisConnector:
    """A lazily made ``redis.asyncio.Redis`` with bounded timeouts, and the 503 translation.

    ``url``: ``redis://[:password@]host:port/db`` (``rediss://`` for TLS, ``unix://`` for a
    socket). ``connect_timeout`` and ``timeout`` (seconds) bound connecting and each reply;
    ``retries`` immediate retries follow a failed call. ``client``: use this client instead
    (it is not closed for you).
    """

    def __init__(
        self,
        url: str = DEFAULT_URL,
        client: Redis | None = None,
        *,
        connect_timeout: float = 0.5,
        timeout: float = 1.0,
        retries: int = 1,
    ) -> None:
        self.url = url
        self.connect_timeout = connect_timeout
        self.timeout = timeout
        self.retries = retries
        self._external = client
        self._client: Redis | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._bound: weakref.WeakSet[MicroFlask] = weakref.WeakSet()

    @property
    def deadline(self) -> float:
        """The longest one operation may take, retries included (a hard bound on top of the
        socket timeouts)."""
        return (self.retries + 1) * (self.connect_timeout + self.timeout) + 0.5

    @property
    def safe_url(self) -> str:
        """The URL without its password, for logs."""
        parts = urlsplit(self.url)
        if parts.password is None:
            return self.url
        host = parts.hostname or ""
        netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
        return urlunsplit(parts._replace(netloc=netloc))

    def client(self) -> Redis:
        """The client for the running event loop (made on first use)."""
        if self._external is not None:
            return self._external
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            # A new loop (another test client, say): the old client's connections belong to the
            # old loop; they are dropped with it.
            self._client = Redis.from_url(
                self.url,
                socket_connect_timeout=self.connect_timeout,
                socket_timeout=self.timeout,
                retry=Retry(NoBackoff(), self.retries),
            )
            self._loop = loop
        return self._client

    async def run(self, what: str, operation: Callable[[Redis], Awaitable[T]]) -> T:
        """``await operation(client)``, bounded by :attr:`deadline`; an unreachable Redis raises
        :class:`RedisUnavailable` (503) after logging ``what`` failed and why."""
        try:
            with anyio.fail_after(self.deadline):
                return await operation(self.client())
        except UNREACHABLE as e:
            _log("Redis at %s is unavailable (%s): %s: %s", self.safe_url, what, type(e).__name__, e)
            raise RedisUnavailable() from e

    async def aclose(self) -> None:
        """Close the client this connector made (not one passed in)."""
        client, self._client, self._loop = self._client, None, None
        if client is not None:
            await client.aclose()

    def close_at_shutdown(self, app: MicroFlask) -> None:
        """Close the client when ``app`` stops serving (once per app)."""
        if app in self._bound:
            return
        self._bound.add(app)
        # The list, not the setup method: this may run after the app started serving.
        app.after_serving_funcs.append(self.aclose)


# -- sessions ---------------------------------------------------------------------------
class RedisSession(SecureCookieSession):
    """A session stored in Redis under :attr:`sid`."""

    def __init__(self, initial: Any = None, new: bool = False, sid: str | None = None) -> None:
        super().__init__(initial, new)
        #: The session id (None until the session is first saved).
        self.sid = sid
        self.regenerated = False

    def regenerate(self) -> None:
        """Save this session under a new id and delete the old one (against session fixation:
        call it when the user logs in or gains privileges)."""
        self.regenerated = True
        self.modified = True


def regenerate_session() -> None:
    """Give the current session a new id when it is saved (call it on login). A signed-cookie
    session has no id to steal in advance, so there it does nothing."""
    regenerate = getattr(session, "regenerate", None)
    if regenerate is not None:
        regenerate()


class RedisSessionInterface(SessionInterface):
    """Sessions in Redis; the cookie carries only a random id signed with ``SECRET_KEY``.

    ``app.session_interface = RedisSessionInterface("redis://127.0.0.1:6379/0")``, or
    ``RedisSessionInterface(...).init_app(app)`` which also closes the client at shutdown.
    The data is JSON (the cookie session's tagged format), kept for
    ``PERMANENT_SESSION_LIFETIME`` after the last request that read it (with
    ``SESSION_REFRESH_EACH_REQUEST``, the default) or wrote it. An emptied session
    (``session.clear()``) deletes its key and its cookie. Cookie attributes follow the
    ``SESSION_COOKIE_*`` settings. Redis unreachable: 503, logged.
    """

    session_class = RedisSession
    serializer = TaggedJSONSerializer()
    salt = "microflask-redis-session"
    opens_lazily = False

    def __init__(
        self,
        url: str = DEFAULT_URL,
        prefix: str = "session:",
        client: Redis | None = None,
        *,
        connect_timeout: float = 0.5,
        timeout: float = 1.0,
        retries: int = 1,
    ) -> None:
        self.prefix = prefix
        self.connector = RedisConnector(url, client, connect_timeout=connect_timeout, timeout=timeout, retries=retries)
        self._signers: dict[tuple[Any, ...], Signer] = {}

    def init_app(self, app: MicroFlask) -> None:
        """Make this ``app.session_interface`` and close its Redis client at shutdown."""
        app.session_interface = self
        self.connector.close_at_shutdown(app)

    async def aclose(self) -> None:
        """Close the Redis client (done at shutdown when the app has served)."""
        await self.connector.aclose()

    def get_signer(self, app: MicroFlask) -> Signer | None:
        """The cookie signer for the current ``SECRET_KEY`` (and ``SECRET_KEY_FALLBACKS``)."""
        key = app.config["SECRET_KEY"]
        if not key:
            return None
        fallbacks = tuple(app.config.get("SECRET_KEY_FALLBACKS") or ())
        cache_key = (key, fallbacks)
        signer = self._signers.get(cache_key)
        if signer is None:
            signer = Signer([*fallbacks, key], salt=self.salt, key_derivation="hmac", digest_method=hashlib.sha256)
            self._signers = {cache_key: signer}
        return signer

    def ttl(self, app: MicroFlask) -> int:
        """How long Redis keeps a session, in seconds: ``PERMANENT_SESSION_LIFETIME``."""
        return max(1, int(app.permanent_session_lifetime.total_seconds()))

    def key(self, sid: str) -> str:
        return f"{self.prefix}{sid}"

    @staticmethod
    def new_sid() -> str:
        """A new random session id: 32 random bytes, URL-safe."""
        return secrets.token_urlsafe(32)

    async def open_session(self, app: MicroFlask, request: Request) -> RedisSession | None:
        self.connector.close_at_shutdown(app)
        signer = self.get_signer(app)
        if signer is None:
            return None  # a NullSession: reading works, writing explains SECRET_KEY is missing
        cookie = request.cookies.get(self.get_cookie_name(app))
        if not cookie:
            return self.session_class(new=True)
        try:
            sid = signer.unsign(cookie).decode("ascii")
        except (BadSignature, UnicodeDecodeError):
            return self.session_class(new=True)
        key = self.key(sid)
        if app.config["SESSION_REFRESH_EACH_REQUEST"]:
            ttl = self.ttl(app)
            raw = await self.connector.run("loading a session", lambda r: r.getex(key, ex=ttl))
        else:
            raw = await self.connector.run("loading a session", lambda r: r.get(key))
        if raw is None:  # expired, deleted, or never stored: a fresh session (and, on save, a fresh id)
            return self.session_class(new=True)
        try:
            data = self.serializer.loads(raw)
        except ValueError:
            return self.session_class(new=True)
        if not isinstance(data, dict):
            return self.session_class(new=True)
        return self.session_class(data, sid=sid)

    async def save_session(self, app: MicroFlask, session: Any, response: Response) -> None:
        try:
            await self._save(app, session, response)
        except RedisUnavailable as e:
            _become_error_page(app, response, e)

    async def _save(self, app: MicroFlask, session: Any, response: Response) -> None:
        if session.accessed:
            _vary_cookie(response)
        old_sid: str | None = session.sid
        if not session:  # empty: a cleared session loses its key and its cookie
            if session.modified:
                if old_sid is not None:
                    await self.connector.run("deleting a session", lambda r: r.delete(self.key(old_sid)))
                    session.sid = None
                self.delete_cookie(app, response)
            return
        rotate = old_sid is None or session.regenerated
        if rotate:
            session.sid = self.new_sid()
            session.regenerated = False
        if rotate or session.modified:
            data = self.serializer.dumps(dict(session))
            key, ttl = self.key(session.sid), self.ttl(app)
            stale = self.key(old_sid) if rotate and old_sid is not None else None

            async def write(r: Redis) -> Any:
                async with r.pipeline(transaction=True) as pipe:
                    if stale is not None:
                        pipe.delete(stale)
                    pipe.set(key, data, ex=ttl)
                    return await pipe.execute()

            await self.connector.run("saving a session", write)
        if rotate or self.should_set_cookie(app, session):
            signer = self.get_signer(app)
            assert signer is not None
            value = signer.sign(session.sid).decode("ascii")
            self.set_cookie(app, response, value, self.get_expiration_time(app, session))


def _become_error_page(app: MicroFlask, response: Response, error: RedisUnavailable) -> None:
    """Turn the view's response into the 503 page, in place: the session could not be saved, so
    the response (its cookie, its redirect) must not go out as if it had been. The app raises
    errors from ``save_session`` as 500s; this keeps the answer a 503. A streamed or file
    response has no body to replace: the error is raised (a 500)."""
    if type(response) is not StarletteResponse and type(response) is not app.response_class:
        raise error
    page = error_response(app, error)
    response.status_code = page.status_code
    response.body = page.body
    response.raw_headers = list(page.raw_headers)
    response.background = None


# -- rate limits ------------------------------------------------------------------------
_HIT = """
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if count == 1 or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
"""
_HIT_SHA = hashlib.sha1(_HIT.encode()).hexdigest()


class RedisRateLimitStorage:
    """Rate limit counters in Redis, shared by every process and host using the same Redis.

    One atomic Lua script per hit (INCR; PEXPIRE on the window's first hit), so concurrent
    requests in different processes never lose a count. Redis unreachable: 503 (or, with
    ``RateLimiter(..., fail_open=True)``, the request passes unlimited).
    """

    def __init__(
        self,
        url: str = DEFAULT_URL,
        client: Redis | None = None,
        *,
        connect_timeout: float = 0.5,
        timeout: float = 1.0,
        retries: int = 1,
    ) -> None:
        self.connector = RedisConnector(url, client, connect_timeout=connect_timeout, timeout=timeout, retries=retries)

    def init_app(self, app: MicroFlask) -> None:
        """Close the Redis client at shutdown (``RateLimiter.init_app`` calls this)."""
        self.connector.close_at_shutdown(app)

    async def hit(self, key: str, period: int) -> tuple[int, float]:
        async def run_script(r: Redis) -> Any:
            try:
                return await r.evalsha(_HIT_SHA, 1, key, period * 1000)  # type: ignore[no-untyped-call]
            except NoScriptError:  # a new (or restarted) Redis: send the script itself
                return await r.eval(_HIT, 1, key, period * 1000)  # type: ignore[no-untyped-call]

        count, ttl_ms = await self.connector.run("counting a rate limit", run_script)
        return int(count), int(ttl_ms) / 1000

    async def reset(self, key: str) -> None:
        await self.connector.run("resetting a rate limit", lambda r: r.delete(key))

    async def aclose(self) -> None:
        await self.connector.aclose()


# -- broadcast --------------------------------------------------------------------------
class RedisBroadcast(BroadcastBase):
    """Publish/subscribe over Redis: a message published in any process reaches the
    subscribers of every process connected to the same Redis.

    ``broadcast = RedisBroadcast(url)``, ``broadcast.init_app(app)`` (connects at startup,
    disconnects at shutdown), then ``broadcast.subscribe`` / ``broadcast.publish`` as with
    :class:`microflask.broadcast.Broadcast`. Each process keeps one pub/sub connection for all
    its channels, made and remade by a listener task. If Redis goes away the listener
    reconnects by itself and subscribes again (messages published meanwhile are lost, as
    pub/sub has no memory); meanwhile ``publish`` and ``subscribe`` raise
    :class:`RedisUnavailable` (503) after a bounded wait.
    """

    #: The longest pause between two reconnection attempts (a subscriber cuts it short).
    max_reconnect_delay = 2.0
    #: How long the listener waits for a message before reading again.
    poll_interval = 1.0

    def __init__(
        self,
        url: str = DEFAULT_URL,
        client: Redis | None = None,
        *,
        prefix: str = "broadcast:",
        connect_timeout: float = 0.5,
        timeout: float = 1.0,
        retries: int = 1,
        max_buffer: int = 1000,
    ) -> None:
        super().__init__(max_buffer)
        self.prefix = prefix
        self.connector = RedisConnector(url, client, connect_timeout=connect_timeout, timeout=timeout, retries=retries)
        self._pubsub: PubSub | None = None
        self._task: asyncio.Task[None] | None = None
        self._confirmed: dict[str, asyncio.Event] = {}
        #: Why the listener's last connection attempt failed (None while connected or connecting).
        self._down: BaseException | None = None
        #: Connection attempts finished so far (made or failed).
        self._attempts = 0
        self._changed = asyncio.Event()  # pulsed (set, then replaced) on every change of state
        self._wake = asyncio.Event()  # cuts the listener's pause between attempts short

    def _pulse(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def connect(self) -> None:
        """Start the listener (it connects, and reconnects, in the background)."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._listener(), name="RedisBroadcast listener")

    async def disconnect(self) -> None:
        """Stop the listener, end every subscriber's iteration, close the client."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with anyio.CancelScope(shield=True), anyio.move_on_after(self.connector.deadline):
                await asyncio.gather(task, return_exceptions=True)
        self._down = None
        await super().disconnect()
        await self.connector.aclose()

    async def publish(self, channel: str, message: str) -> None:
        """Send ``message`` to ``channel``'s subscribers in every process; 503 if Redis is down."""
        await self.connector.run("publishing", lambda r: r.publish(self.prefix + channel, message))

    async def _listen(self, channel: str) -> None:
        self._confirmed[channel] = asyncio.Event()
        pubsub = self._pubsub
        if pubsub is not None:  # else the listener subscribes when it (re)connects
            try:
                await pubsub.subscribe(self.prefix + channel)
            except UNREACHABLE:
                pass  # the listener notices, reconnects and subscribes again
        await self._ready(channel)

    async def _ready(self, channel: str) -> None:
        """Wait for Redis to confirm the subscription; fail once a connection attempt made
        after this call failed, or after the deadline."""
        if self._task is None:
            raise RuntimeError("RedisBroadcast is not connected: call init_app(app) or 'await broadcast.connect()'.")
        event = self._confirmed.setdefault(channel, asyncio.Event())
        attempts = self._attempts
        if not event.is_set() and self._down is not None:
            self._wake.set()  # Redis was down: try again now rather than after the pause
        with anyio.move_on_after(self.connector.deadline):
            while not event.is_set():
                if self._down is not None and self._attempts > attempts:
                    break  # a fresh attempt failed: Redis is down
                changed = self._changed
                await changed.wait()
        if not event.is_set():
            reason = self._down or "no answer in time"
            _log("Redis at %s is unavailable (subscribing to %r): %s", self.connector.safe_url, channel, reason)
            raise RedisUnavailable()

    async def _unlisten(self, channel: str) -> None:
        self._confirmed.pop(channel, None)
        pubsub = self._pubsub
        if pubsub is not None:
            try:
                with anyio.move_on_after(self.connector.deadline):
                    await pubsub.unsubscribe(self.prefix + channel)
            except UNREACHABLE:
                pass  # a new connection subscribes only to the channels still in use

    async def _listener(self) -> None:
        """Connect, subscribe to every channel in use, hand messages out; on failure, pause
        (doubling up to ``max_reconnect_delay``) and start again."""
        delay = 0.05
        while True:
            pubsub = self.connector.client().pubsub()
            try:
                with anyio.fail_after(self.connector.deadline):
                    await pubsub.connect()
                self._pubsub, self._down = pubsub, None
                self._attempts += 1
                self._pulse()
                channels = [self.prefix + c for c in self._subscribers]
                if channels:
                    await pubsub.subscribe(*channels)
                delay = 0.05
                while True:
                    message = await pubsub.get_message(timeout=self.poll_interval)
                    if message is not None:
                        self._handle(message)
            except Exception as e:
                self._down = e
                self._attempts += 1
                self._pulse()
                if isinstance(e, UNREACHABLE):
                    logger.warning(
                        "Redis pub/sub at %s: %s: %s; reconnecting", self.connector.safe_url, type(e).__name__, e
                    )
                else:  # not a connection problem: log it fully, and keep listening all the same
                    logger.exception("Redis pub/sub listener failed; reconnecting")
            finally:
                self._pubsub = None
                for event in self._confirmed.values():
                    event.clear()  # to be confirmed again on the next connection
                with anyio.CancelScope(shield=True), anyio.move_on_after(self.connector.deadline):
                    try:
                        await pubsub.aclose()
                    except Exception:
                        pass  # the connection is gone anyway
            with anyio.move_on_after(delay):  # the pause between attempts
                await self._wake.wait()
            self._wake.clear()
            delay = min(delay * 2, self.max_reconnect_delay)

    def _handle(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        raw_channel = message.get("channel")
        channel = raw_channel.decode() if isinstance(raw_channel, bytes) else str(raw_channel)
        if not channel.startswith(self.prefix):
            return
        channel = channel[len(self.prefix) :]
        if kind == "message":
            data = message.get("data")
            self._deliver(channel, data.decode() if isinstance(data, bytes) else str(data))
        elif kind == "subscribe":
            event = self._confirmed.get(channel)
            if event is not None:
                event.set()
                self._pulse()
