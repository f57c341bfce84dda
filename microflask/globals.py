"""The context variable and the proxies that read it: ``current_app``, ``g``, ``request``,
``session``, ``websocket`` (as Flask's ``flask.globals``).

One :class:`~contextvars.ContextVar` holds the active context (see ``ctx.py`` for the context
classes). A request pushes a single context, so each request costs one ``ContextVar.set`` and
one ``reset``; every task and worker thread sees its own value. This module knows the contexts
only by their attributes (``app``, ``g``, ``request``, ``session``, ``websocket``), so it sits at
the bottom of the package and anything may import it.
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from .app import MicroFlask
    from .ctx import AppContext, RequestContext, _AppCtxGlobals
    from .sessions import SessionMixin
    from .websockets import Websocket
    from .wrappers import Request

__all__ = [
    "app_ctx",
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

_cv_context: ContextVar[AppContext] = ContextVar("microflask.context")
#: Flask's name for the same variable (one context holds the app and, in a request, the request).
_cv_app = _cv_context


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


_werkzeug_proxy_classes: dict[type, type] = {}


def _unbound_proxy_class() -> type:
    """What a proxy's ``__class__`` is outside its context: :class:`_Proxy`, or once Werkzeug's
    ``werkzeug.local`` is imported, a class counting as its ``LocalProxy``, so code written for
    Flask that leaves proxies alone (``isinstance(value, LocalProxy)``: Flask-Injector going
    through ``app.jinja_env.globals``) leaves ours alone too. Never imports Werkzeug."""
    local = sys.modules.get("werkzeug.local")
    base = getattr(local, "LocalProxy", None)
    if not isinstance(base, type):
        return _Proxy
    marker = _werkzeug_proxy_classes.get(base)
    if marker is None:
        marker = _werkzeug_proxy_classes[base] = type("LocalProxy", (base,), {"__slots__": (), "__module__": __name__})
    return marker


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
            return _unbound_proxy_class()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._lookup(), name)

    # copy.copy(g) copies the object behind the proxy, as Werkzeug's proxies do (Flask-Executor
    # hands a copy of g to its worker).
    def __copy__(self) -> Any:
        return copy.copy(self._lookup())

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        return copy.deepcopy(self._lookup(), memo)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._lookup(), name, value)

    def __delattr__(self, name: str) -> None:
        delattr(self._lookup(), name)

    def __getitem__(self, key: Any) -> Any:
        return self._lookup()[key]

    # ``with app_ctx:`` / ``async with app_ctx:`` (Werkzeug's proxies forward these too).
    def __enter__(self) -> Any:
        return self._lookup().__enter__()

    def __exit__(self, *exc_info: Any) -> Any:
        return self._lookup().__exit__(*exc_info)

    async def __aenter__(self) -> Any:
        return await self._lookup().__aenter__()

    async def __aexit__(self, *exc_info: Any) -> Any:
        return await self._lookup().__aexit__(*exc_info)

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
            return "<LocalProxy unbound>"  # Werkzeug's text, which Flask code may compare

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
        ctx.session = ctx.open_session_lazily()
    return ctx.session


def _get_websocket() -> Any:
    ctx = _cv_context.get(None)
    if ctx is None or ctx.websocket is None:
        raise RuntimeError("Working outside of websocket context: use websocket in a @websocket view or its hooks.")
    return ctx.websocket


current_app: MicroFlask = cast("MicroFlask", _Proxy(_get_app, "current_app"))
#: The active app context (Flask's ``app_ctx``); inside a request, the request context.
app_ctx: AppContext = cast("AppContext", _Proxy(_lookup_context, "app_ctx"))
#: The active request context (Flask's ``request_ctx``).
request_ctx: RequestContext = cast("RequestContext", _Proxy(_lookup_request_context, "request_ctx"))
#: The active websocket connection (in a ``@websocket`` view and its hooks).
websocket: Websocket = cast("Websocket", _Proxy(_get_websocket, "websocket"))
#: The app context's namespace (``app.app_ctx_globals_class``): ``g.db = ...``.
g: _AppCtxGlobals = cast("_AppCtxGlobals", _Proxy(_get_g, "g"))
request: Request = cast("Request", _Proxy(_get_request, "request"))
#: The request's session: a ``str``-keyed mutable mapping with ``permanent``, ``new``, ``modified``.
session: SessionMixin = cast("SessionMixin", _Proxy(_get_session, "session"))


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
