"""Contexts and the proxies that read them: ``request``, ``g``, ``session``, ``current_app``.

One :class:`~contextvars.ContextVar` holds the active context. A request pushes a single
:class:`RequestContext` (which *is* an app context with a request in it), so each request
costs one ``ContextVar.set`` and one ``reset``. Every task and worker thread sees its own
value, so ``g`` never leaks between concurrent requests.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable, Iterator
from contextvars import ContextVar, Token
from typing import TYPE_CHECKING, Any, TypeVar, cast

if TYPE_CHECKING:
    from .app import MicroFlask
    from .wrappers import Request, Response

__all__ = [
    "AppContext",
    "RequestContext",
    "after_this_request",
    "copy_current_request_context",
    "current_app",
    "g",
    "has_app_context",
    "has_request_context",
    "request",
    "session",
    "websocket",
]

F = TypeVar("F", bound=Callable[..., Any])

_cv_context: ContextVar[AppContext] = ContextVar("microflask.context")


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


class AppContext:
    """The app context: ``current_app`` and ``g``. Use ``async with app.app_context():``
    (or plain ``with``); on exit the ``teardown_appcontext`` functions run."""

    request: Request | None = None
    websocket: Any = None
    session: Any = None
    #: The request's worker thread for sync code (set for requests to sync views).
    lane: Any = None

    def __init__(self, app: MicroFlask) -> None:
        self.app = app
        self.g: Any = app.app_ctx_globals_class()

    def push(self) -> None:
        """Make this the active context of the current task or thread."""
        if "_tokens" not in self.__dict__:
            self._tokens: list[Token[AppContext]] = []
        self._tokens.append(_cv_context.set(self))

    def pop(self, exc: BaseException | None = None) -> None:
        """Run the teardown functions (sync ones only: async ones need ``async with``), deactivate."""
        from .plans import run_teardown_sync

        try:
            run_teardown_sync(self.app, self, exc)
        finally:
            _cv_context.reset(self._tokens.pop())

    async def apop(self, exc: BaseException | None = None) -> None:
        """Run the teardown functions, awaiting async ones, and deactivate."""
        from .plans import run_teardown

        try:
            await run_teardown(self.app, self, exc)
        finally:
            _cv_context.reset(self._tokens.pop())

    def __enter__(self) -> AppContext:
        self.push()
        return self

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        self.pop(exc)

    async def __aenter__(self) -> AppContext:
        self.push()
        return self

    async def __aexit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        await self.apop(exc)


class RequestContext(AppContext):
    """The context of one request: an app context that also holds ``request`` and ``session``."""

    def __init__(self, app: MicroFlask, request: Request) -> None:
        super().__init__(app)
        self.request = request
        self.session = None
        #: The flashed messages, once get_flashed_messages() took them from the session.
        self.flashes: list[tuple[str, Any]] | None = None
        #: Background tasks to start once the response went out (app.add_background_task).
        self.background_jobs: list[Callable[[], Any]] = []
        self.after_request_functions: list[Callable[[Response], Any]] = []


def _lookup_context() -> AppContext:
    try:
        return _cv_context.get()
    except LookupError:
        raise RuntimeError(
            "Working outside of application context. Code that uses current_app or g needs an"
            " active app: inside a request, or within 'async with app.app_context():'."
        ) from None


def _lookup_request_context() -> AppContext:
    ctx = _cv_context.get(None)
    if ctx is None or ctx.request is None:
        raise RuntimeError(
            "Working outside of request context. Code that uses request or session needs an"
            " active request: inside a view or hook, or within 'app.test_request_context()'."
        )
    return ctx


class _Proxy:
    """Forwards every operation to the object ``lookup()`` returns right now."""

    __slots__ = ("__name", "_lookup")

    def __init__(self, lookup: Callable[[], Any], name: str) -> None:
        object.__setattr__(self, "_lookup", lookup)
        object.__setattr__(self, "_Proxy__name", name)

    def _get_current_object(self) -> Any:
        """The real object behind the proxy (to pass to another task or thread)."""
        return self._lookup()

    @property  # type: ignore[misc]
    def __class__(self) -> type:  # so isinstance(request, Request) holds, as in Flask
        try:
            return type(self._lookup())
        except RuntimeError:
            return _Proxy

    def __getattr__(self, name: str) -> Any:
        return getattr(self._lookup(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._lookup(), name, value)

    def __delattr__(self, name: str) -> None:
        delattr(self._lookup(), name)

    def __getitem__(self, key: Any) -> Any:
        return self._lookup()[key]

    def __setitem__(self, key: Any, value: Any) -> None:
        self._lookup()[key] = value

    def __delitem__(self, key: Any) -> None:
        del self._lookup()[key]

    def __contains__(self, item: Any) -> bool:
        return item in self._lookup()

    def __iter__(self) -> Iterator[Any]:
        return iter(self._lookup())

    def __len__(self) -> int:
        return len(self._lookup())

    def __aiter__(self) -> Any:
        return self._lookup().__aiter__()

    def __bool__(self) -> bool:
        try:
            return bool(self._lookup())
        except RuntimeError:
            return False

    def __eq__(self, other: object) -> bool:
        return bool(self._lookup() == other)

    def __ne__(self, other: object) -> bool:
        return bool(self._lookup() != other)

    __hash__ = None  # type: ignore[assignment]

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._lookup()(*args, **kwargs)

    def __str__(self) -> str:
        return str(self._lookup())

    def __repr__(self) -> str:
        try:
            return repr(self._lookup())
        except RuntimeError:
            return f"<unbound proxy {self.__name}>"

    def __dir__(self) -> list[str]:
        try:
            return dir(self._lookup())
        except RuntimeError:
            return []


def _get_app() -> MicroFlask:
    return _lookup_context().app


def _get_g() -> Any:
    return _lookup_context().g


def _get_request() -> Request:
    return cast("Request", _lookup_request_context().request)


def _get_session() -> Any:
    ctx = _cv_context.get(None)
    if ctx is None or (ctx.request is None and ctx.websocket is None):
        ctx = _lookup_request_context()  # raises the clear "outside of request context" error
    if ctx.session is None:
        from .sessions import open_session_lazily

        ctx.session = open_session_lazily(ctx.app, cast(RequestContext, ctx))
    return ctx.session


def _get_websocket() -> Any:
    ctx = _cv_context.get(None)
    if ctx is None or ctx.websocket is None:
        raise RuntimeError("Working outside of websocket context: use websocket in a @websocket view or its hooks.")
    return ctx.websocket


current_app: MicroFlask = cast("MicroFlask", _Proxy(_get_app, "current_app"))
websocket: Any = _Proxy(_get_websocket, "websocket")
g: Any = _Proxy(_get_g, "g")
request: Request = cast("Request", _Proxy(_get_request, "request"))
session: Any = _Proxy(_get_session, "session")


def current_context() -> AppContext | None:
    """The active context, or None (a cheap accessor for framework code)."""
    return _cv_context.get(None)


def has_app_context() -> bool:
    """True inside a request or an ``app.app_context()`` block."""
    return _cv_context.get(None) is not None


def has_request_context() -> bool:
    """True while a request is being handled (or in ``app.test_request_context()``)."""
    ctx = _cv_context.get(None)
    return ctx is not None and ctx.request is not None


def copy_current_request_context(func: F) -> F:
    """Wrap ``func`` so it runs with the current request's context, wherever it is called
    later (another task, a thread, after the view returned). Sync or async."""
    ctx = _lookup_request_context()

    if inspect.iscoroutinefunction(func):

        @functools.wraps(func)
        async def run_async(*args: Any, **kwargs: Any) -> Any:
            token = _cv_context.set(ctx)
            try:
                return await func(*args, **kwargs)
            finally:
                _cv_context.reset(token)

        return cast(F, run_async)

    @functools.wraps(func)
    def run(*args: Any, **kwargs: Any) -> Any:
        token = _cv_context.set(ctx)
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
    cast(RequestContext, ctx).after_request_functions.append(func)
    return func
