"""Sessions: a signed cookie by default (itsdangerous, keyed by ``SECRET_KEY``), pluggable.

The default interface opens the session lazily, the first time a request touches
``session``, so requests that never use it pay nothing. Interfaces that must do I/O (a
server-side store) implement the async :meth:`SessionInterface.open_session` and are
opened before the view runs.
"""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Callable, Iterator, MutableMapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from .httputil import dump_cookie
from .json.tag import TaggedJSONSerializer

if TYPE_CHECKING:
    from itsdangerous import URLSafeTimedSerializer
    from starlette.responses import Response

    from .app import MicroFlask
    from .ctx import AppContext
    from .wrappers import Request

__all__ = [
    "NullSession",
    "SecureCookieSession",
    "SecureCookieSessionInterface",
    "SessionInterface",
    "SessionMixin",
    "TaggedJSONSerializer",
    "open_session_before_view",
]


class SessionMixin(MutableMapping[str, Any]):
    """What every session has besides the mapping: ``permanent``, ``new``, ``modified``, ``accessed``."""

    #: The session was just created (no valid cookie came with the request).
    new = False
    #: Set when the session is written; set it yourself after changing a value in place.
    modified = True
    #: Set when the session is read (the response then varies by ``Cookie``).
    accessed = True

    @property
    def permanent(self) -> bool:
        """A permanent session lasts ``PERMANENT_SESSION_LIFETIME``; otherwise until the browser closes."""
        return bool(self.get("_permanent", False))

    @permanent.setter
    def permanent(self, value: bool) -> None:
        self["_permanent"] = bool(value)


class SecureCookieSession(dict[str, Any], SessionMixin):  # type: ignore[misc]
    """The session of the cookie interface: a dict that notes reads and writes."""

    modified = False
    accessed = False

    def __init__(self, initial: Any = None, new: bool = False) -> None:
        super().__init__(initial or ())
        self.new = new

    def _written(self) -> None:
        self.modified = self.accessed = True

    def __getitem__(self, key: str) -> Any:
        self.accessed = True
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self.accessed = True
        return super().get(key, default)

    def __contains__(self, key: object) -> bool:
        self.accessed = True
        return super().__contains__(key)

    def setdefault(self, key: str, default: Any = None) -> Any:
        self._written()
        return super().setdefault(key, default)

    def __setitem__(self, key: str, value: Any) -> None:
        self._written()
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        self._written()
        super().__delitem__(key)

    def pop(self, key: str, *default: Any) -> Any:
        self._written()
        return super().pop(key, *default)

    def popitem(self) -> tuple[str, Any]:
        self._written()
        return super().popitem()

    def clear(self) -> None:
        self._written()
        super().clear()

    def update(self, *args: Any, **kwargs: Any) -> None:
        self._written()
        super().update(*args, **kwargs)

    def __iter__(self) -> Iterator[str]:
        self.accessed = True
        return super().__iter__()


class NullSession(SecureCookieSession):
    """The session when no ``SECRET_KEY`` is set: reading works (it is empty), writing explains."""

    def _fail(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(
            "The session is unavailable because no secret key was set. Set SECRET_KEY in the app's"
            " config (app.config['SECRET_KEY'] = ..., e.g. from secrets.token_hex()) to use sessions."
        )

    __setitem__ = __delitem__ = clear = pop = popitem = update = setdefault = _fail  # type: ignore[assignment]


class SessionInterface:
    """How sessions are loaded and saved. Subclass and set ``app.session_interface``.

    Implement ``async open_session(app, request)`` (return a session, or None for a
    :class:`NullSession`) and ``async save_session(app, session, response)``.
    """

    null_session_class: type[SecureCookieSession] = NullSession
    #: True if ``open_session_sync`` can open the session without I/O: it is then opened on
    #: first use instead of before every request.
    opens_lazily = False

    def make_null_session(self, app: MicroFlask) -> SecureCookieSession:
        return self.null_session_class()

    def is_null_session(self, session: Any) -> bool:
        return isinstance(session, self.null_session_class)

    def get_cookie_name(self, app: MicroFlask) -> str:
        return str(app.config["SESSION_COOKIE_NAME"])

    def get_cookie_domain(self, app: MicroFlask) -> str | None:
        return app.config["SESSION_COOKIE_DOMAIN"] or None

    def get_cookie_path(self, app: MicroFlask) -> str:
        return str(app.config["SESSION_COOKIE_PATH"] or app.config["APPLICATION_ROOT"] or "/")

    def get_cookie_httponly(self, app: MicroFlask) -> bool:
        return bool(app.config["SESSION_COOKIE_HTTPONLY"])

    def get_cookie_secure(self, app: MicroFlask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"])

    def get_cookie_samesite(self, app: MicroFlask) -> str | None:
        return app.config["SESSION_COOKIE_SAMESITE"]  # type: ignore[no-any-return]

    def get_cookie_partitioned(self, app: MicroFlask) -> bool:
        return bool(app.config["SESSION_COOKIE_PARTITIONED"])

    def get_expiration_time(self, app: MicroFlask, session: SessionMixin) -> datetime | None:
        if session.permanent:
            lifetime: timedelta = app.permanent_session_lifetime
            return datetime.now(UTC) + lifetime
        return None

    def should_set_cookie(self, app: MicroFlask, session: SessionMixin) -> bool:
        """Write the cookie when the session changed, or to refresh a permanent one."""
        return session.modified or (session.permanent and bool(app.config["SESSION_REFRESH_EACH_REQUEST"]))

    def open_session_sync(self, app: MicroFlask, request: Request) -> SecureCookieSession | None:
        raise NotImplementedError

    async def open_session(self, app: MicroFlask, request: Request) -> Any:
        return self.open_session_sync(app, request)

    async def save_session(self, app: MicroFlask, session: Any, response: Response) -> None:
        raise NotImplementedError

    def set_cookie(self, app: MicroFlask, response: Response, value: str, expires: datetime | None) -> None:
        """Add the session cookie with the configured attributes (HttpOnly, SameSite=Lax by default)."""
        response.headers.append("set-cookie", self._cookie(app, value, expires=expires))

    def delete_cookie(self, app: MicroFlask, response: Response) -> None:
        """Tell the browser to drop the session cookie."""
        response.headers.append("set-cookie", self._cookie(app, "", max_age=0, expires=0))

    def _cookie(self, app: MicroFlask, value: str, **timing: Any) -> str:
        return dump_cookie(
            self.get_cookie_name(app),
            value,
            path=self.get_cookie_path(app),
            domain=self.get_cookie_domain(app),
            secure=self.get_cookie_secure(app),
            httponly=self.get_cookie_httponly(app),
            samesite=self.get_cookie_samesite(app),
            partitioned=self.get_cookie_partitioned(app),
            **timing,
        )


class SecureCookieSessionInterface(SessionInterface):
    """The whole session in a cookie, signed (not encrypted) with ``SECRET_KEY``.

    ``SECRET_KEY_FALLBACKS`` lists older keys still accepted, for rotation. A tampered,
    foreign or expired cookie gives an empty session, never an error.
    """

    salt = "cookie-session"
    digest_method: Callable[..., Any] = staticmethod(hashlib.sha1)
    key_derivation = "hmac"
    serializer = TaggedJSONSerializer()
    session_class = SecureCookieSession
    opens_lazily = True

    def __init__(self) -> None:
        self._serializers: dict[tuple[Any, ...], URLSafeTimedSerializer] = {}

    def get_signing_serializer(self, app: MicroFlask) -> URLSafeTimedSerializer | None:
        """The signer for the current keys (built once per key set), or None without SECRET_KEY."""
        key = app.config["SECRET_KEY"]
        if not key:
            return None
        fallbacks = tuple(app.config["SECRET_KEY_FALLBACKS"] or ())
        cache_key = (key, fallbacks)
        signer = self._serializers.get(cache_key)
        if signer is None:
            from itsdangerous import URLSafeTimedSerializer

            # itsdangerous signs with the last key and accepts all of them.
            signer = URLSafeTimedSerializer(
                [*fallbacks, key],
                salt=self.salt,
                serializer=self.serializer,
                signer_kwargs={"key_derivation": self.key_derivation, "digest_method": self.digest_method},
            )
            self._serializers = {cache_key: signer}
        return signer

    def open_session_sync(self, app: MicroFlask, request: Request) -> SecureCookieSession | None:
        signer = self.get_signing_serializer(app)
        if signer is None:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class(new=True)
        max_age = int(app.permanent_session_lifetime.total_seconds())
        try:
            data = signer.loads(value, max_age=max_age)
        except Exception:  # bad signature, expired, or not even a token: start afresh
            return self.session_class(new=True)
        return self.session_class(data if isinstance(data, dict) else None)

    async def save_session(self, app: MicroFlask, session: Any, response: Response) -> None:
        if not session:  # empty: delete the cookie if the session was cleared
            if session.modified:
                self.delete_cookie(app, response)
                _vary_cookie(response)
            elif session.accessed:
                _vary_cookie(response)
            return
        if session.accessed:
            _vary_cookie(response)
        if not self.should_set_cookie(app, session):
            return
        signer = self.get_signing_serializer(app)
        assert signer is not None
        value = signer.dumps(dict(session))
        text = value if isinstance(value, str) else value.decode()
        limit = app.config["MAX_COOKIE_SIZE"]
        if limit and len(text) > limit:  # browsers drop it silently: say so where someone looks
            app.logger.warning(
                "The session cookie is %d bytes, over MAX_COOKIE_SIZE (%d): browsers may ignore it."
                " Store less in the session, or use a server-side session interface.",
                len(text),
                limit,
            )
        self.set_cookie(app, response, text, self.get_expiration_time(app, session))
        _vary_cookie(response)


async def open_session_before_view(app: MicroFlask, ctx: AppContext) -> None:
    """Open the session before the view, for interfaces that must do I/O (a server-side store)."""
    interface = app.session_interface
    connection = ctx.request or ctx.websocket
    assert connection is not None
    session = interface.open_session(app, connection)
    if inspect.isawaitable(session):  # async here; a sync one written for Flask works as well
        session = await session
    ctx.session = session if session is not None else interface.make_null_session(app)


def _vary_cookie(response: Response) -> None:
    vary = response.headers.get("vary")
    if vary is None:
        response.headers["vary"] = "Cookie"
    elif "cookie" not in vary.lower():
        response.headers["vary"] = f"{vary}, Cookie"
