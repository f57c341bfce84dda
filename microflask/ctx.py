"""The contexts: :class:`AppContext` (``current_app``, ``g``) and :class:`RequestContext`.

A request pushes a single :class:`RequestContext` (which *is* an app context with a request in
it) into the one context variable of ``globals.py``, so each request costs one
``ContextVar.set`` and one ``reset``, and ``g`` never leaks between concurrent requests.
Leaving a context runs its teardown functions through the app that owns it.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable, Iterator
from contextvars import Token
from typing import TYPE_CHECKING, Any, TypeVar, cast

from . import signals as _signals
from .globals import (
    _cv_context,
    _lookup_request_context,
    app_ctx,
    current_app,
    current_context,
    g,
    has_app_context,
    has_request_context,
    request,
    request_ctx,
    session,
    websocket,
)

if TYPE_CHECKING:
    from .app import MicroFlask
    from .wrappers import Request, Response

__all__ = [
    "AppContext",
    "RequestContext",
    "after_this_request",
    "app_ctx",
    "copy_current_request_context",
    "current_app",
    "current_context",
    "g",
    "has_app_context",
    "has_request_context",
    "request",
    "request_ctx",
    "session",
    "websocket",
]

F = TypeVar("F", bound=Callable[..., Any])


class _AppCtxGlobals:
    """The ``g`` namespace: a plain object with Flask's dict-like helpers."""

    def get(self, name: str, default: Any = None) -> Any:
        return self.__dict__.get(name, default)

    def pop(self, name: str, *default: Any) -> Any:
        return self.__dict__.pop(name, *default)

    def setdefault(self, name: str, default: Any = None) -> Any:
        return self.__dict__.setdefault(name, default)

    def __contains__(self, name: str) -> bool:
        return name in self.__dict__

    def __iter__(self) -> Iterator[str]:
        return iter(self.__dict__)

    def __repr__(self) -> str:
        return f"<microflask.g of {_cv_context.get().app.name!r}>"

    if TYPE_CHECKING:  # for type checkers only: g takes any attribute (as Flask's)

        def __getattr__(self, name: str) -> Any: ...
        def __setattr__(self, name: str, value: Any) -> None: ...
        def __delattr__(self, name: str) -> None: ...


class AppContext:
    """The app context: ``current_app`` and ``g``. Use ``async with app.app_context():``
    (or plain ``with``); on exit the ``teardown_appcontext`` functions run."""

    request: Request | None = None
    websocket: Any = None
    session: Any = None
    #: The request's worker thread for sync code (set for requests to sync views).
    lane: Any = None
    #: The error handler last called and its error (to name it if its answer is not a valid response).
    error_handler: Any = None
    handled_error: BaseException | None = None

    def __init__(self, app: MicroFlask) -> None:
        self.app = app

    def __getattr__(self, name: str) -> Any:
        # ``g`` is made on first use: most requests never touch it.
        if name == "g":
            g = self.g = self.app.app_ctx_globals_class()
            return g
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def push(self) -> None:
        """Make this the active context of the current task or thread."""
        if self._activate():
            _signals.send_sync(_signals.appcontext_pushed, self.app)

    def _activate(self) -> bool:
        """Make this context current; False if it already was (a re-entry: no signal, no teardown)."""
        if "_tokens" not in self.__dict__:
            self._tokens: list[Token[AppContext]] = []
        token = _cv_context.set(self)
        self._tokens.append(token)
        return token.old_value is not self

    def _leave_reentered(self) -> bool:
        """Leave a push of this context made while it was already current (``with app_ctx:`` in
        a view): as Flask counts them, only the outermost exit tears the context down."""
        token = self._tokens[-1]
        if token.old_value is not self:
            return False
        _cv_context.reset(self._tokens.pop())
        return True

    def pop(self, exc: BaseException | None = None) -> None:
        """Run the teardown functions (sync ones only: async ones need ``async with``), deactivate."""
        if self._leave_reentered():
            return
        try:
            self.app.do_teardown_sync(self, exc)
        finally:
            _cv_context.reset(self._tokens.pop())
        _signals.send_sync(_signals.appcontext_popped, self.app)

    async def apop(self, exc: BaseException | None = None) -> None:
        """Run the teardown functions, awaiting async ones, and deactivate."""
        if self._leave_reentered():
            return
        try:
            await self.app.do_teardown(self, exc)
        finally:
            _cv_context.reset(self._tokens.pop())
        await _signals.send_async(_signals.appcontext_popped, self.app)

    @property
    def _session(self) -> Any:
        """Flask's private name for the context's session object, which tests of sessions read
        (``app_ctx._session.accessed``): opened here if no code has yet, without counting as an
        access."""
        if self.session is None and (self.request is not None or self.websocket is not None):
            self.session = self.open_session_lazily()
        return self.session

    def open_session_lazily(self) -> Any:
        """Open the session on first use of ``session`` (interfaces that need no I/O, like the
        cookie one; the others open it before the view)."""
        app = self.app
        interface = app.session_interface
        if not interface.opens_lazily:
            raise RuntimeError(f"{type(interface).__name__} opens sessions before the view; none is open here.")
        connection = self.request or self.websocket  # a websocket reads the handshake's cookies
        if connection is None:
            raise RuntimeError("There is no request or websocket in this context to read a session from.")
        opened = interface.open_session_sync(app, connection)
        return opened if opened is not None else interface.make_null_session(app)

    def __enter__(self) -> AppContext:
        self.push()
        return self

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        self.pop(exc)

    async def __aenter__(self) -> AppContext:
        if self._activate():
            await _signals.send_async(_signals.appcontext_pushed, self.app)
        return self

    async def __aexit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        await self.apop(exc)


class RequestContext(AppContext):
    """The context of one request: an app context that also holds ``request`` and ``session``."""

    #: The flashed messages, once get_flashed_messages() took them from the session.
    flashes: list[tuple[str, Any]] | None = None
    #: Background tasks to start once the response went out (app.add_background_task); a list
    #: once there is one (most requests have none: the class's empty tuple stands for it).
    background_jobs: list[Callable[[], Any]] | tuple[()] = ()
    #: The after_this_request functions, as background_jobs.
    after_request_functions: list[Callable[[Response], Any]] | tuple[()] = ()

    def __init__(self, app: MicroFlask, request: Request) -> None:
        # AppContext.__init__ inlined: this runs once per request.
        self.app = app
        self.request = request

    def copy(self) -> RequestContext:
        """A context for the same request and session, to push in another task or thread (Flask's
        way to hand a request to a greenlet; ``copy_current_request_context`` wraps it for you).
        It has its own ``g``."""
        copied = type(self)(self.app, self.request)  # type: ignore[arg-type]
        copied.session = self.session
        copied.flashes = self.flashes
        return copied

    def match_request(self) -> None:
        """Flask's hook for matching the URL early (e.g. in ``open_session``): the request is
        already matched before its context exists, so ``request.endpoint`` is set; a no-op."""


def _joined(ctx: AppContext) -> AppContext:
    """``ctx`` (a request's context), or where another context of its app is active, a copy of
    ``ctx`` with that context's ``g``."""
    active = _cv_context.get(None)
    if active is None or active is ctx or active.app is not ctx.app or not isinstance(ctx, RequestContext):
        return ctx
    joined = ctx.copy()
    joined.g = active.g
    return joined


def copy_current_request_context(func: F) -> F:
    """Wrap ``func`` so it runs with the current request's context, wherever it is called
    later (another task, a thread, after the view returned). Sync or async.

    Its ``g`` is the request's; but called where an app context of the same app is active (one
    the caller pushed, as Flask-Executor does in its worker with a copy of ``g``), it uses that
    context's ``g``, as Flask joins the request to an active app context."""
    ctx = _lookup_request_context()

    if inspect.iscoroutinefunction(func):

        @functools.wraps(func)
        async def run_async(*args: Any, **kwargs: Any) -> Any:
            token = _cv_context.set(_joined(ctx))
            try:
                return await func(*args, **kwargs)
            finally:
                _cv_context.reset(token)

        return cast(F, run_async)

    @functools.wraps(func)
    def run(*args: Any, **kwargs: Any) -> Any:
        token = _cv_context.set(_joined(ctx))
        try:
            return func(*args, **kwargs)
        finally:
            _cv_context.reset(token)

    return cast(F, run)


def after_this_request(
    func: Callable[[Response], Response | Awaitable[Response]],
) -> Callable[[Response], Response | Awaitable[Response]]:
    """Run ``func(response)`` after this request's view, before the ``after_request`` hooks."""
    ctx = _lookup_request_context()
    ctx = cast(RequestContext, ctx)
    if not ctx.after_request_functions:
        ctx.after_request_functions = []
    ctx.after_request_functions.append(func)  # type: ignore[union-attr]
    return func
