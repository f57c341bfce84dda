"""Flask's public steps of the request path, for code that drives them itself (tests of hooks,
extensions): ``preprocess_request``, ``dispatch_request``, ``full_dispatch_request``,
``finalize_request``, ``process_response``, ``do_teardown_request``, ``do_teardown_appcontext``,
``update_template_context``.

They act on the current request (its context must be active) and run what the request path
would run for its endpoint. Async in async code, as Quart's (``await app.preprocess_request()``);
sync code gets the result itself, as with Flask (see ``ErrorHandling._answer``). The request
path does not call them: it calls the steps directly, with the endpoint's plan at hand.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Coroutine, Mapping
from typing import TYPE_CHECKING, Any

from . import signals as _signals
from . import teardown
from .concurrency import ThreadLane, call_async_from_sync, is_async_callable
from .errorhandling import ErrorHandling
from .fakerequest import make_test_request_context
from .globals import _lookup_context, _lookup_request_context
from .helpers import context_processor_values
from .plans import plan_of

if TYPE_CHECKING:
    from .ctx import RequestContext
    from .plans import EndpointPlan
    from .wrappers import Request

__all__ = ["RequestSteps"]

_NO_ERROR: Any = object()


class RequestSteps(ErrorHandling):
    """The app's public request-path steps (see the module's docstring)."""

    def preprocess_request(self) -> Any:
        """Run the URL value preprocessors and the ``before_request`` functions of the current
        request's endpoint; the first value a ``before_request`` function returns, else None."""
        return self._answer(self._preprocess, caller=sys._getframe(1))

    def dispatch_request(self) -> Any:
        """Call the current request's view (or raise its routing error); what the view returned."""
        return self._answer(self._dispatch_view, caller=sys._getframe(1))

    def full_dispatch_request(self) -> Any:
        """The hooks, the view (errors go to their handlers) and the response, finalized."""
        return self._answer(self._dispatch_fully, caller=sys._getframe(1))

    def finalize_request(self, rv: Any, from_error_handler: bool = False) -> Any:
        """``rv`` made a response and processed (:meth:`process_response`). With
        ``from_error_handler``, an error while processing is logged and the bare response kept."""
        return self._answer(self._finalize_rv, rv, from_error_handler, caller=sys._getframe(1))

    def process_response(self, response: Any) -> Any:
        """The ``after_this_request`` and ``after_request`` functions on ``response``, then the
        session saved into it; the response they give."""
        return self._answer(self._process, response, caller=sys._getframe(1))

    def do_teardown_request(self, exc: BaseException | None = _NO_ERROR) -> Any:
        """Run the ``teardown_request`` functions of the current request with ``exc`` (by default
        the error being handled, if any), then send ``request_tearing_down``."""
        error = sys.exc_info()[1] if exc is _NO_ERROR else exc
        return self._answer(self._teardown_request, error, caller=sys._getframe(1))

    def do_teardown_appcontext(self, exc: BaseException | None = _NO_ERROR) -> Any:
        """Run the ``teardown_appcontext`` functions with ``exc`` (by default the error being
        handled, if any), then send ``appcontext_tearing_down``."""
        error = sys.exc_info()[1] if exc is _NO_ERROR else exc
        return self._answer(self._teardown_appcontext, error, caller=sys._getframe(1))

    def update_template_context(self, context: dict[str, Any]) -> Any:
        """Add the context processors' values (the app's, then the current blueprint's) to
        ``context``, whose own keys win, as Flask's (``await`` it in async code). The request,
        session, ``g``, ``config`` and ``url_for`` are the templates' globals, not added here."""
        return self._answer(self._update_context, context, caller=sys._getframe(1))

    def request_context(self, environ: Mapping[str, Any]) -> RequestContext:
        """A request context for a WSGI environ (Flask's: ``with app.request_context(
        EnvironBuilder(app, "/x").get_environ()):``): the request it describes, matched against
        the rules; its body is the environ's ``wsgi.input``."""
        return make_test_request_context(self, environ)  # type: ignore[arg-type]

    def async_to_sync(self, func: Callable[..., Coroutine[Any, Any, Any]]) -> Callable[..., Any]:
        """A sync function calling the coroutine function ``func`` (from a ``def`` view's worker
        thread it runs on the request's event loop)."""
        return functools.partial(call_async_from_sync, func)

    # -- the work, on the current context ---------------------------------------------------
    async def _update_context(self, context: dict[str, Any]) -> None:
        context.update(await context_processor_values(self, dict(context)))

    async def _preprocess(self) -> Any:
        ctx = _lookup_request_context()
        request = ctx.request
        assert request is not None
        rv, _ = await self._before_view(ctx, plan_of(ctx), request.endpoint, request.view_args)
        return rv

    async def _dispatch_view(self) -> Any:
        ctx = _lookup_request_context()
        request = ctx.request
        assert request is not None
        if request.routing_exception is not None:
            self.raise_routing_exception(request)
        plan = plan_of(ctx)
        return await self._on_lane(ctx, plan.threaded, self._call_view, ctx, plan, request)

    async def _dispatch_fully(self) -> Any:
        ctx = _lookup_request_context()
        plan = plan_of(ctx)
        return await self._on_lane(ctx, plan.threaded, self._full_dispatch, ctx, plan)

    @staticmethod
    async def _on_lane(ctx: Any, threaded: bool, step: Callable[..., Any], *args: Any) -> Any:
        """``step(*args)``; for ``threaded`` work (a sync view's request) the request's worker
        thread is there meanwhile: its own, or one taken for the step, as when served."""
        if not threaded or ctx.lane is not None:
            return await step(*args)
        async with ThreadLane() as lane:
            ctx.lane = lane
            try:
                return await step(*args)
            finally:
                ctx.lane = None

    async def _finalize_rv(self, rv: Any, from_error_handler: bool) -> Any:
        response = self.make_response(rv)
        try:
            return await self._process(response)
        except Exception:
            if not from_error_handler:
                raise
            self.logger.exception("Request finalizing failed with an error while handling an error")
            return response

    async def _process(self, response: Any) -> Any:
        ctx = _lookup_request_context()
        return await self._finalize(ctx, plan_of(ctx), response)  # type: ignore[arg-type]

    async def _teardown_request(self, error: BaseException | None) -> None:
        ctx = _lookup_request_context()
        await teardown.run(self, ctx, plan_of(ctx).teardown_request, error, _signals.request_tearing_down)  # type: ignore[arg-type]

    async def _teardown_appcontext(self, error: BaseException | None) -> None:
        ctx = _lookup_context()
        await teardown.run(self, ctx, plan_of(ctx).teardown_app, error, _signals.appcontext_tearing_down)  # type: ignore[arg-type]

    def _replaced_dispatch(self) -> Callable[[], Any] | None:
        """``dispatch_request`` if a subclass or an extension replaced ours (Flask-DebugToolbar and
        Frozen-Flask's static app do), else None: the request path then calls it, as Flask's does,
        instead of raising the routing error and calling the view itself."""
        method = self.dispatch_request
        return None if getattr(method, "__func__", None) is RequestSteps.dispatch_request else method

    async def _call_replaced_dispatch(self, ctx: RequestContext) -> Any:
        """The replaced ``dispatch_request`` (see :meth:`_replaced_dispatch`), called as Flask
        calls it: an async one awaited; a sync one on the request's worker thread, one taken for
        the call if the request has none (an async view's). It may call ours, which waits for
        the loop; a sync view then runs on that same thread meanwhile (``ThreadLane`` is re-entrant)."""
        own = self._own_dispatch
        assert own is not None
        if is_async_callable(own):
            return await own()

        async def on_the_lane() -> Any:
            assert ctx.lane is not None
            return await ctx.lane.run(own)

        return await self._on_lane(ctx, True, on_the_lane)

    # -- the request path's own steps (MicroFlask's) ------------------------------------------
    #: The replaced ``dispatch_request`` the request path calls (see _replaced_dispatch); set when serving.
    _own_dispatch: Callable[[], Any] | None = None

    async def _call_view(self, ctx: RequestContext, plan: EndpointPlan, request: Request) -> Any:
        raise NotImplementedError

    async def _full_dispatch(self, ctx: RequestContext, plan: EndpointPlan) -> Any:
        raise NotImplementedError

    async def _finalize(self, ctx: RequestContext, plan: EndpointPlan, response: Any) -> Any:
        raise NotImplementedError
