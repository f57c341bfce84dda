"""Error handling shared by the request and websocket paths: finding an error's handler, Flask's
trapping and propagation settings, calling hooks and handlers, logging unhandled errors.

:class:`ErrorHandling` sits between the registry (:class:`~microflask.appbase.AppBase`, where
handlers are registered) and the app (:class:`~microflask.app.MicroFlask`, which serves): the
request path in ``app.py`` calls these on its way.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from types import CoroutineType
from typing import TYPE_CHECKING, Any

from .appbase import AppBase
from .concurrency import Pending, is_async_callable
from .exceptions import BadRequest, BadRequestKeyError, HTTPException, RequestRedirect
from .globals import current_context
from .werkzeug_interop import as_ours, error_lookup_classes, is_foreign_http_exception
from .wrappers import ClientDisconnect

if TYPE_CHECKING:
    from .ctx import AppContext, RequestContext
    from .plans import EndpointPlan

__all__ = ["ErrorHandling"]

_UNAWAITED = frozenset({CoroutineType, Pending})


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

    async def _handle_user_exception(self, ctx: RequestContext, plan: EndpointPlan, e: Exception) -> Any:
        """An error raised by a hook or view: its handler's answer, an HTTP error, or re-raise."""
        if isinstance(e, ClientDisconnect):  # the client left mid-body: nobody to answer, nothing broke
            self.logger.info("Client disconnected before sending the whole request body")
            e = BadRequest("The client disconnected before sending the whole request body.")
        if isinstance(e, BadRequestKeyError) and (self.debug or self.config["TRAP_BAD_REQUEST_ERRORS"]):
            e.show_exception = True
        http = e if isinstance(e, HTTPException) else as_ours(e) if is_foreign_http_exception(e) else None
        if http is not None and not self.trap_http_exception(http):
            if http.code is None or isinstance(http, RequestRedirect):
                return http
            handler = self._find_error_handler(e, plan.scopes)
            if handler is None:
                return http
        else:
            handler = self._find_error_handler(e, plan.scopes)
            if handler is None:
                raise e
        ctx.error_handler, ctx.handled_error = handler, e  # to name it if its answer is invalid
        return await self._call(ctx, handler, is_async_callable(handler), e)

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

    def log_exception(self, ctx: AppContext | None, exc_info: Any) -> None:
        """Log an unhandled error with its traceback on ``app.logger`` (``Exception on /path [GET]``).
        Flask's signature; an override written as Flask 3.1's ``log_exception(self, exc_info)``
        is called that way."""
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
