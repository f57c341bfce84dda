"""Rate limiting: ``@limit("10/minute")`` on a view, and an app-wide default.

::

    from microflask.ratelimit import RateLimiter, limit

    limiter = RateLimiter(app, default="100/minute")   # every request, per client address

    @app.post("/login")
    @limit("5/minute")                                  # this route: its own, stricter limit
    async def login(): ...

A request over the limit gets ``429 Too Many Requests`` with ``Retry-After``; every limited
response carries ``RateLimit-Limit``, ``RateLimit-Remaining`` and ``RateLimit-Reset`` (the
IETF draft's names; the reset is in seconds from now).

The counter is a fixed window that starts at a key's first hit: ``"10/minute"`` allows ten
requests in the minute after the first one, then the count starts again. The counters live
in a *storage*: :class:`MemoryStorage` (the default) counts within one process; with several
worker processes or hosts use ``microflask.contrib.redis.RedisRateLimitStorage`` so that all
of them share one count. A storage that cannot be reached answers ``503`` (or lets the
request through, with ``fail_open=True``).

This module imports no storage client; the Redis storage lives in ``microflask.contrib.redis``.
"""

from __future__ import annotations

import functools
import inspect
import math
import re
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import anyio.from_thread

from .concurrency import is_async_callable
from .ctx import after_this_request, current_app, current_context, g, request
from .exceptions import ServiceUnavailable, TooManyRequests

if TYPE_CHECKING:
    from .app import MicroFlask
    from .wrappers import Response

__all__ = [
    "Limit",
    "LimitResult",
    "MemoryStorage",
    "RateLimitExceeded",
    "RateLimitStorage",
    "RateLimiter",
    "StorageUnavailable",
    "check",
    "exempt",
    "limit",
    "parse_rate",
    "remote_address",
]

F = TypeVar("F", bound=Callable[..., Any])
KeyFunc = Callable[[], "str | Awaitable[str | None] | None"]

_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
_RATE = re.compile(r"^\s*(\d+)\s*(?:/|per)\s*(\d+)?\s*(second|minute|hour|day|sec|min|hr|s|m|h|d)s?\s*$", re.IGNORECASE)
_SHORT = {"sec": "second", "s": "second", "min": "minute", "m": "minute", "hr": "hour", "h": "hour", "d": "day"}
_MARK = "__microflask_rate_limited__"
_EXEMPT = "__microflask_rate_limit_exempt__"
_RESULTS = "_microflask_rate_limits"


# -- rates ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Limit:
    """A parsed rate: ``amount`` requests per ``period`` seconds."""

    amount: int
    period: int
    text: str

    def __str__(self) -> str:
        return self.text


@functools.lru_cache(maxsize=256)
def parse_rate(text: str) -> Limit:
    """``"10/minute"``, ``"100 per hour"``, ``"5/10seconds"``, ``"1/s"`` -> :class:`Limit`.

    Units: second, minute, hour, day (singular or plural, or s/m/h/d). Raises ``ValueError``
    for anything else, so a typo fails when the decorator is applied, not at request time.
    """
    match = _RATE.match(text)
    if match is None:
        raise ValueError(
            f"Invalid rate {text!r}: write 'N/unit' or 'N/Munits', e.g. '10/minute', '1000/hour', '5/10seconds'."
        )
    amount, multiple, unit = int(match[1]), int(match[2] or 1), match[3].lower()
    period = _UNITS[_SHORT.get(unit, unit)] * multiple
    if amount < 1 or period < 1:
        raise ValueError(f"Invalid rate {text!r}: the amount and the period must be at least 1.")
    return Limit(amount, period, text.strip())


# -- storages ---------------------------------------------------------------------------
@dataclass(frozen=True)
class LimitResult:
    """One counted hit: the limit, the count in the current window, and when it ends."""

    limit: Limit
    count: int
    #: Seconds until the window ends and the count starts again.
    reset_after: float

    @property
    def allowed(self) -> bool:
        return self.count <= self.limit.amount

    @property
    def remaining(self) -> int:
        return max(0, self.limit.amount - self.count)

    def headers(self) -> dict[str, str]:
        """``RateLimit-Limit``, ``RateLimit-Remaining``, ``RateLimit-Reset`` (+ ``Retry-After`` when over)."""
        reset = str(max(0, math.ceil(self.reset_after)))
        headers = {"RateLimit-Limit": str(self.limit.amount), "RateLimit-Remaining": str(self.remaining)}
        headers["RateLimit-Reset"] = reset
        if not self.allowed:
            headers["Retry-After"] = reset
        return headers


class StorageUnavailable(ServiceUnavailable):
    """503: the store behind rate limits or sessions (Redis) could not be reached in time."""

    description = "A backing service is unavailable. Please try again shortly."


class RateLimitStorage(Protocol):
    """Where counters live. ``hit`` adds one to ``key``'s window and returns the new count and
    the seconds left in the window; it must be atomic across all the processes sharing it, and
    raise :class:`StorageUnavailable` (never hang) when the store cannot be reached."""

    async def hit(self, key: str, period: int) -> tuple[int, float]: ...

    async def reset(self, key: str) -> None: ...


class MemoryStorage:
    """Counters in this process's memory: right for one process (``uvicorn`` without
    ``--workers``, tests). Safe to use from the event loop and from worker threads."""

    #: Sweep expired windows once the table holds this many keys.
    sweep_at = 10_000

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._windows: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()

    def hit_sync(self, key: str, period: int) -> tuple[int, float]:
        """The sync form of :meth:`hit` (it does no I/O)."""
        now = self._clock()
        with self._lock:
            count, ends = self._windows.get(key, (0, 0.0))
            if ends <= now:  # no window, or it is over: this hit starts a new one
                count, ends = 0, now + period
            count += 1
            self._windows[key] = (count, ends)
            if len(self._windows) > self.sweep_at:
                self._windows = {k: v for k, v in self._windows.items() if v[1] > now}
        return count, ends - now

    async def hit(self, key: str, period: int) -> tuple[int, float]:
        return self.hit_sync(key, period)

    async def reset(self, key: str) -> None:
        with self._lock:
            self._windows.pop(key, None)

    def clear(self) -> None:
        """Forget every counter."""
        with self._lock:
            self._windows.clear()


# -- the check --------------------------------------------------------------------------
class RateLimitExceeded(TooManyRequests):
    """429, with ``Retry-After`` and the ``RateLimit-*`` headers."""

    def __init__(self, result: LimitResult) -> None:
        super().__init__(f"Rate limit exceeded: {result.limit}. Try again in {math.ceil(result.reset_after)} s.")
        self.result = result

    def get_headers(self) -> dict[str, str]:
        return self.result.headers()


def remote_address() -> str:
    """The default key: the client's address (``request.remote_addr``; a websocket's too). Behind a
    proxy, let the server trust ``X-Forwarded-For`` (``uvicorn --proxy-headers --forwarded-allow-ips=...``)."""
    ctx = current_context()
    connection = ctx.request or ctx.websocket if ctx is not None else None
    address = connection.remote_addr if connection is not None else None
    return address or "unknown"


@dataclass
class _Settings:
    storage: RateLimitStorage
    prefix: str
    fail_open: bool
    headers: bool
    enabled: bool


def _settings(app: MicroFlask) -> _Settings:
    """The app's rate limit settings: the :class:`RateLimiter`'s, or defaults with a memory storage."""
    limiter: RateLimiter | None = app.extensions.get("ratelimit")
    if limiter is not None:
        return limiter._settings(app)
    storage = app.extensions.get("ratelimit.memory")
    if storage is None:  # (setdefault: two worker threads may get here at once)
        storage = app.extensions.setdefault("ratelimit.memory", MemoryStorage())
    config = app.config
    return _Settings(
        storage,
        config.get("RATELIMIT_KEY_PREFIX", "ratelimit:"),
        bool(config.get("RATELIMIT_FAIL_OPEN", False)),
        bool(config.get("RATELIMIT_HEADERS_ENABLED", True)),
        bool(config.get("RATELIMIT_ENABLED", True)),
    )


async def _key_of(key: KeyFunc | None) -> str:
    value = (key or remote_address)()
    if inspect.isawaitable(value):
        value = await value
    return "unknown" if value is None else str(value)


def _current_app() -> MicroFlask:
    ctx = current_context()
    if ctx is None:
        raise RuntimeError("Rate limits are checked inside a request (or websocket) context.")
    return ctx.app


def _bucket(settings: _Settings, scope: str, rate: Limit, key: str) -> str:
    return f"{settings.prefix}{scope}:{rate.amount}/{rate.period}:{key}"


async def _count(
    app: MicroFlask, settings: _Settings, scope: str, limits: tuple[Limit, ...], key: str
) -> list[LimitResult] | None:
    """Count one hit on each limit; None when the storage failed and ``fail_open`` lets it pass."""
    results = []
    try:
        for rate in limits:
            count, reset_after = await settings.storage.hit(_bucket(settings, scope, rate, key), rate.period)
            results.append(LimitResult(rate, count, reset_after))
    except StorageUnavailable:
        if settings.fail_open:
            app.logger.warning("Rate limit storage unavailable: letting the request through (fail_open).")
            return None
        raise
    return results


def _apply(results: list[LimitResult] | None, headers: bool) -> None:
    """Remember the results for the response headers; raise 429 if any limit is exceeded."""
    if not results:
        return
    ctx = current_context()
    if headers and ctx is not None and ctx.request is not None:  # (a websocket has no response to decorate)
        pending: list[LimitResult] | None = g.get(_RESULTS)
        if pending is None:
            pending = []
            setattr(g, _RESULTS, pending)
            after_this_request(_add_headers)
        pending.extend(results)
    for result in results:
        if not result.allowed:
            raise RateLimitExceeded(result)


def _add_headers(response: Response) -> Response:
    """Put the most restrictive limit's headers on the response."""
    results: list[LimitResult] = g.get(_RESULTS) or []
    if results:
        tightest = min(results, key=lambda r: (r.allowed, r.remaining, -r.reset_after))
        for name, value in tightest.headers().items():
            response.headers[name] = value
    return response


async def check(limits: tuple[Limit, ...], scope: str, key: KeyFunc | None = None) -> None:
    """Count this request against ``limits`` under ``scope``; raise 429 (or 503) as needed.

    For use in a hook or view of your own; :func:`limit` and :class:`RateLimiter` call it.
    """
    app = _current_app()
    settings = _settings(app)
    if not settings.enabled:
        return
    results = await _count(app, settings, scope, limits, await _key_of(key))
    _apply(results, settings.headers)


def _check_from_thread(limits: tuple[Limit, ...], scope: str, key: KeyFunc | None) -> None:
    """:func:`check` for a sync view, in its worker thread: a memory storage counts right here,
    any other storage on the event loop (``anyio.from_thread.run``)."""
    app = _current_app()
    settings = _settings(app)
    if not settings.enabled:
        return
    value = (key or remote_address)()
    if inspect.isawaitable(value):
        close = getattr(value, "close", None)
        if close is not None:
            close()  # never awaited: say so without a second warning
        raise TypeError("The key function of a rate limit on a sync view must be sync.")
    bucket_key = "unknown" if value is None else str(value)
    storage = settings.storage
    results: list[LimitResult] | None
    if isinstance(storage, MemoryStorage):  # no I/O
        results = []
        for rate in limits:
            count, reset_after = storage.hit_sync(_bucket(settings, scope, rate, bucket_key), rate.period)
            results.append(LimitResult(rate, count, reset_after))
    else:
        results = anyio.from_thread.run(_count, app, settings, scope, limits, bucket_key)
    _apply(results, settings.headers)


def limit(rate: str, key: KeyFunc | None = None, scope: str | None = None) -> Callable[[F], F]:
    """Limit a view to ``rate`` per key (``"10/minute"``; see :func:`parse_rate`).

    ``key()`` returns the bucket's key (sync, or async on an async view); the default is the
    client's address. ``scope`` names the counter (default: the view's qualified name), so
    views sharing a scope share a count. Stack the decorator for several limits
    (``"10/second"`` and ``"500/hour"``). A view with its own limit is not counted against the
    :class:`RateLimiter`'s default.

    Place it under ``@app.route``. A ``def`` view stays sync (it still runs in a worker thread)
    and an ``async def`` view stays async.
    """
    parsed = (parse_rate(rate),)

    def decorator(view: F) -> F:
        name = scope or f"{view.__module__}.{view.__qualname__}"
        # The app runs a view on the event loop when it, or what it wraps, is async (a Flask-style
        # sync decorator around an async view): then count there too. Otherwise the view and
        # this check run in the request's worker thread.
        if is_async_callable(view) or is_async_callable(inspect.unwrap(view)):

            @functools.wraps(view)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                await check(parsed, name, key)
                rv = view(*args, **kwargs)
                while inspect.isawaitable(rv):
                    rv = await rv
                return rv

            wrapper: Any = async_wrapper
        else:

            @functools.wraps(view)
            def sync_wrapper(*args: Any, **kwargs: Any) -> Any:
                _check_from_thread(parsed, name, key)
                return view(*args, **kwargs)

            wrapper = sync_wrapper
        setattr(wrapper, _MARK, True)
        return wrapper  # type: ignore[no-any-return]

    return decorator


def exempt(view: F) -> F:
    """Leave a view out of the :class:`RateLimiter`'s default limit (health checks, static files)."""
    setattr(view, _EXEMPT, True)
    return view


class RateLimiter:
    """The app-wide default limit, and the storage every limit of the app uses.

    ``RateLimiter(app, default="100/minute", storage=MemoryStorage(), key=remote_address)``
    or ``limiter = RateLimiter(...)`` then ``limiter.init_app(app)`` in a factory. The default
    (one string, or several) counts every request of a client against one shared budget,
    except views with their own :func:`limit`, :func:`exempt` views and static files.
    Config: ``RATELIMIT_ENABLED`` (True), ``RATELIMIT_FAIL_OPEN`` (False: a storage outage
    answers 503; True: requests pass unlimited), ``RATELIMIT_HEADERS_ENABLED`` (True),
    ``RATELIMIT_KEY_PREFIX`` (``"ratelimit:"``).
    """

    def __init__(
        self,
        app: MicroFlask | None = None,
        default: str | list[str] | tuple[str, ...] | None = None,
        storage: RateLimitStorage | None = None,
        key: KeyFunc | None = None,
        fail_open: bool | None = None,
        exempt_static: bool = True,
    ) -> None:
        defaults = [default] if isinstance(default, str) else list(default or ())
        self.default: tuple[Limit, ...] = tuple(parse_rate(d) for d in defaults)
        self.storage: RateLimitStorage = storage if storage is not None else MemoryStorage()
        self.key = key
        self.fail_open = fail_open
        self.exempt_static = exempt_static
        if app is not None:
            self.init_app(app)

    def init_app(self, app: MicroFlask) -> None:
        """Register on ``app``: config defaults, ``app.extensions["ratelimit"]``, the default-limit
        hook, and the storage's ``init_app`` (a Redis storage closes its client at shutdown)."""
        app.config.setdefault("RATELIMIT_ENABLED", True)
        app.config.setdefault("RATELIMIT_FAIL_OPEN", False)
        app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
        app.config.setdefault("RATELIMIT_KEY_PREFIX", "ratelimit:")
        app.extensions["ratelimit"] = self
        init_storage = getattr(self.storage, "init_app", None)
        if init_storage is not None:
            init_storage(app)
        if self.default:
            app.before_request(self._check_default)

    def _settings(self, app: MicroFlask) -> _Settings:
        config = app.config
        fail_open = self.fail_open if self.fail_open is not None else bool(config["RATELIMIT_FAIL_OPEN"])
        return _Settings(
            self.storage,
            str(config["RATELIMIT_KEY_PREFIX"]),
            fail_open,
            bool(config["RATELIMIT_HEADERS_ENABLED"]),
            bool(config["RATELIMIT_ENABLED"]),
        )

    async def _check_default(self) -> None:
        endpoint = request.endpoint
        if endpoint is not None:
            if self.exempt_static and (endpoint == "static" or endpoint.endswith(".static")):
                return
            view = current_app.view_functions.get(endpoint)
            if view is not None and (getattr(view, _MARK, False) or getattr(view, _EXEMPT, False)):
                return
        await check(self.default, "default", self.key)

    def limit(self, rate: str, key: KeyFunc | None = None, scope: str | None = None) -> Callable[[F], F]:
        """:func:`limit`, with this limiter's key function unless ``key`` is given."""
        return limit(rate, key if key is not None else self.key, scope)

    async def reset(self) -> None:
        """Forget every counter of a :class:`MemoryStorage` (tests)."""
        if isinstance(self.storage, MemoryStorage):
            self.storage.clear()
