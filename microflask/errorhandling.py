"""Error handling shared by the request and websocket paths: finding an error's handler, Flask's
trapping and propagation settings, calling hooks and handlers, logging unhandled errors.

:class:`ErrorHandling` sits between the registry (:class:`~microflask.appbase.AppBase`, where
handlers are registered) and the app (:class:`~microflask.app.MicroFlask`, which serves): the
request path in ``app.py`` calls these on its way.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable, Coroutine
from types import CoroutineType, FrameType
from typing import TYPE_CHECKING, Any

from .appbase import AppBase
from .concurrency import (
    Pending,
    awaiting_caller,
    call_async_from_sync,
    finish_without_loop,
    is_async_callable,
    on_event_loop,
)
from .exceptions import BadRequest, BadRequestKeyError, HTTPException, RequestRedirect
from .globals import _lookup_request_context, current_context
from .plans import plan_of
from .werkzeug_interop import as_ours, error_lookup_classes, is_foreign_http_exception
from .wrappers import ClientDisconnect

if TYPE_CHECKING:
    from .ctx import AppContext, RequestContext
    from .plans import EndpointPlan

__all__ = ["ErrorHandling"]

_UNAWAITED = frozenset({CoroutineType, Pending})
_NOT_GIVEN: Any = object()


class ErrorHandling(AppBase):
    """The app's error handling (see the module's docstring)."""

    def _find_error_handler(self, e: BaseException, scopes: tuple[str | None, ...]) -> Callable[..., Any] | None:
        """The handler for ``e``: by status code, then by class along the MRO; blueprint scopes first.
        A Werkzeug HTTP exception is looked up as the equivalent of ours."""
        code = e.code if isinstance(e, HTTPException) or is_foreign_http_exception(e) else None  # type: ignore[attr-defined]
        classes = error_lookup_classes(e)
        for c in (code, None) if code is not None else (None,):
            for scope in scopes:
                handlers = self.error_handler_spec.get(scope, {}).get(c)
                if not handlers:
                    continue
                for cls in classes:
                    handler = handlers.get(cls)
                    if handler is not None:
                        return handler
        return None

    def _propagates_exceptions(self) -> bool:
        """``PROPAGATE_EXCEPTIONS``, which follows ``TESTING`` or ``DEBUG`` when left at None."""
        propagate = self.config["PROPAGATE_EXCEPTIONS"]
        return bool(self.testing or self.debug) if propagate is None else bool(propagate)

    def trap_http_exception(self, e: BaseException) -> bool:
        """Whether the HTTP error ``e`` is treated as an unhandled error instead of becoming its
        response (Flask's ``TRAP_HTTP_EXCEPTIONS`` and ``TRAP_BAD_REQUEST_ERRORS``; a missing form or
        query key is trapped under DEBUG)."""
        if self.config["TRAP_HTTP_EXCEPTIONS"]:
            return True
        trap_bad_request = self.config["TRAP_BAD_REQUEST_ERRORS"]
        if trap_bad_request is None and self.debug and isinstance(e, BadRequestKeyError):
            return True
        return bool(trap_bad_request) and isinstance(e, BadRequest)

    # -- Flask's public error handling. The request path goes through these when an app's class
    # or an extension replaced them (Flask-RESTful and Flask-CORS wrap them); otherwise it calls
    # the private forms directly, with the endpoint's plan at hand. Extensions call them from
    # sync code: a caller that cannot await gets the answer itself (see _answer).
    def handle_user_exception(self, e: Exception) -> Any:
        """The answer to an error raised by a hook or the view of the current request: its
        error handler's answer, the HTTP error itself, or ``e`` raised again when nothing
        handles it (Flask's; ``await`` it in async code, as Quart's)."""
        return self._answer(self._current_user_error_answer, e, caller=sys._getframe(1))

    def handle_http_exception(self, e: HTTPException) -> Any:
        """The answer to an HTTP error of the current request: its error handler's answer, or the
        error itself (a redirect and an error without a code always the error itself)."""
        return self._answer(self._current_http_error_answer, e, caller=sys._getframe(1))

    def handle_exception(self, e: Exception) -> Any:
        """The response to an unhandled error of the current request: logged, and answered 500
        (the 500 handler's answer, or the default page); raised again instead where errors
        propagate (``PROPAGATE_EXCEPTIONS``, by default under TESTING or DEBUG)."""
        return self._answer(self._current_unhandled_answer, e, caller=sys._getframe(1))

    @staticmethod
    def _answer(work: Callable[..., Coroutine[Any, Any, Any]], *args: Any, caller: FrameType | None) -> Any:
        """``work(*args)`` to await for a caller that can await; otherwise its result: run to its
        end at once on the event loop (hooks and handlers that do not wait, as Flask's), or on the
        loop from a worker thread."""
        if awaiting_caller(caller):
            return work(*args)
        if on_event_loop():
            return finish_without_loop(
                work(*args),
                f"{work.__name__.strip('_')} waited while sync code on the event loop asked for its answer.",
            )
        return call_async_from_sync(work, *args)

    async def _current_user_error_answer(self, e: Exception) -> Any:
        ctx = _lookup_request_context()
        return await self._handle_user_exception(ctx, plan_of(ctx), e)  # type: ignore[arg-type]

    async def _current_http_error_answer(self, e: Exception) -> Any:
        if not isinstance(e, HTTPException):
            return e
        ctx = _lookup_request_context()
        return await self._http_error_answer(ctx, plan_of(ctx), e, e)  # type: ignore[arg-type]

    async def _current_unhandled_answer(self, e: Exception) -> Any:
        ctx = _lookup_request_context()
        response, reraise = await self._handle_exception(ctx, plan_of(ctx), e)  # type: ignore[arg-type]
        if reraise:
            raise e
        return response

    async def _handle_exception(self, ctx: RequestContext, plan: EndpointPlan, e: Exception) -> tuple[Any, bool]:
        raise NotImplementedError  # the request path's (MicroFlask), which finalizes the 500 response

    def make_response(self, rv: Any) -> Any:
        raise NotImplementedError  # the app's (MicroFlask)

    def _replaced(self, name: str) -> Callable[..., Any] | None:
        """The app's ``name`` method if a subclass or an extension replaced ours, else None."""
        method = getattr(self, name)
        return None if getattr(method, "__func__", None) is getattr(ErrorHandling, name) else method

    async def _user_error_answer(self, ctx: RequestContext, plan: EndpointPlan, e: Exception) -> Any:
        """What the request path does with an error from a hook or the view."""
        replaced = self._replaced("handle_user_exception")
        if replaced is None:
            return await self._handle_user_exception(ctx, plan, e)
        # Called as a hook is: a sync function (an extension's wrapper) on the request's thread
        # lane if it has one, else on the loop, where ours answers it directly (see _answer).
        return await self._call(ctx, replaced, is_async_callable(replaced), e)

    async def _unhandled_error_answer(self, ctx: RequestContext, plan: EndpointPlan, e: Exception) -> tuple[Any, bool]:
        """What the request path does with an unhandled error: ``(response, reraise)``."""
        replaced = self._replaced("handle_exception")
        if replaced is None:
            return await self._handle_exception(ctx, plan, e)
        rv = await self._call(ctx, replaced, is_async_callable(replaced), e)
        return self.make_response(rv), False  # a response, as Flask's; a view's return value too

    async def _handle_user_exception(self, ctx: RequestContext, plan: EndpointPlan, e: Exception) -> Any:
        """An error raised by a hook or view: its handler's answer, an HTTP error, or re-raise."""
        if isinstance(e, ClientDisconnect):  # the client left mid-body: nobody to answer, nothing broke
            self.logger.info("Client disconnected before sending the whole request body")
            e = BadRequest("The client disconnected before sending the whole request body.")
        if isinstance(e, BadRequestKeyError) and (self.debug or self.config["TRAP_BAD_REQUEST_ERRORS"]):
            e.show_exception = True
        http = e if isinstance(e, HTTPException) else as_ours(e) if is_foreign_http_exception(e) else None
        if http is not None and not self.trap_http_exception(http):
            replaced = self._replaced("handle_http_exception")
            if replaced is not None:
                return await self._call(ctx, replaced, is_async_callable(replaced), http)
            return await self._http_error_answer(ctx, plan, http, e)
        handler = self._find_error_handler(e, plan.scopes)
        if handler is None:
            raise e
        ctx.error_handler, ctx.handled_error = handler, e  # to name it if its answer is invalid
        return await self._call(ctx, handler, is_async_callable(handler), e)

    async def _http_error_answer(
        self, ctx: RequestContext, plan: EndpointPlan, http: HTTPException, e: Exception
    ) -> Any:
        """An HTTP error's answer: the handler's for ``e`` (the error as raised, maybe Werkzeug's),
        else ``http`` itself; a redirect and an error without a code are always ``http``."""
        if http.code is None or isinstance(http, RequestRedirect):
            return http
        handler = self._find_error_handler(e, plan.scopes)
        if handler is None:
            return http
        ctx.error_handler, ctx.handled_error = handler, e  # to name it if its answer is invalid
        return await self._call(ctx, handler, is_async_callable(handler), e)

    async def _before_view(self, ctx: Any, plan: EndpointPlan, endpoint: str | None, view_args: Any) -> tuple[Any, Any]:
        """The URL value preprocessors, then the ``before_request`` (or ``before_websocket``)
        functions until one answers: ``(its answer, that function)``, or ``(None, None)``."""
        for func, is_async in plan.preprocessors:
            await self._call(ctx, func, is_async, endpoint, view_args)
        for func, is_async in plan.before:
            rv = await self._call(ctx, func, is_async)
            if rv is not None:
                return rv, func
        return None, None

    @staticmethod
    async def _call(ctx: AppContext, func: Callable[..., Any], is_async: bool, *args: Any) -> Any:
        """Call a hook: awaited if async; on the request's thread lane if the request has one."""
        if is_async:
            return await func(*args)
        lane = getattr(ctx, "lane", None)
        if lane is not None:
            return await lane.run(func, *args)
        rv = func(*args)
        # A sync hook or handler on the event loop (a routing 404, an async view's request) gets the
        # awaitable forms of the helpers (render_template, ...): what it returns unawaited is awaited.
        if type(rv) in _UNAWAITED:
            return await rv
        if type(rv) is tuple and rv and type(rv[0]) in _UNAWAITED:
            return (await rv[0], *rv[1:])
        return rv

    def log_exception(self, ctx: Any, exc_info: Any = _NOT_GIVEN) -> None:
        """Log an unhandled error with its traceback on ``app.logger`` (``Exception on /path [GET]``).
        Flask's signature, ``log_exception(ctx, exc_info)``; Flask 3.1's ``log_exception(exc_info)``
        (what extensions written for it call) works too, for the current context. An override
        written either way is called its way."""
        if exc_info is _NOT_GIVEN:
            ctx, exc_info = current_context(), ctx
        where = ""
        if ctx is not None and ctx.request is not None:
            where = f" on {ctx.request.path} [{ctx.request.method}]"
        self.logger.error(f"Exception{where}", exc_info=exc_info)

    def log_unhandled(self, e: BaseException) -> None:
        """Log ``e`` through :meth:`log_exception`, whichever of Flask's signatures it has."""
        exc_info = (type(e), e, e.__traceback__)
        if len(inspect.signature(self.log_exception).parameters) == 1:
            self.log_exception(exc_info)  # type: ignore[call-arg,arg-type]
        else:
            self.log_exception(current_context(), exc_info)
