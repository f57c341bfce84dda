"""The application: its collaborators (contexts, templates, test clients, the CLI), freezing,
and serving (the ASGI entry point and the request path). Registration and URL building are
the registry's, in ``appbase.py``.

Read :meth:`MicroFlask._dispatch` top to bottom for the whole life of a request::

    __call__ -> (user middleware -> __call__) -> match in the route index -> _dispatch:
    push context -> url value preprocessors -> before_request -> view -> make_response
    -> after_this_request / after_request -> session save -> send -> teardown -> pop

An endpoint with none of those hooks (most endpoints: ``plan.lean``) takes :meth:`_serve_lean`
instead: the view, then its response sent straight away; whatever the common case does not cover
(an error, a session to save, HEAD...) continues on the general path from where it arises.

Everything that depends only on the endpoint (its hook chains, whether its view is async)
is computed once, when the app starts serving; after that the app is frozen.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from types import CoroutineType, ModuleType
from typing import TYPE_CHECKING, Any

from . import responses as _responses
from . import signals as _signals
from . import teardown
from .background import BackgroundTasks
from .concurrency import Pending, ThreadLane, async_partial, is_async_callable
from .ctx import AppContext, RequestContext
from .exceptions import (
    HTTPException,
    InternalServerError,
    MethodNotAllowed,
    NotFound,
    RequestRedirect,
    SecurityError,
)
from .fakerequest import make_test_request_context
from .globals import _cv_context, current_context, g
from .httputil import content_type_header, host_is_trusted, route_path
from .lifespan import run_lifespan
from .plans import EndpointPlan, supports_flask_extensions
from .requeststeps import RequestSteps
from .routing import Rule
from .serving import run_app
from .sessions import open_session_before_view
from .werkzeug_interop import adopt_werkzeug_hierarchy
from .wrappers import Request, Response

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Receive, Scope, Send

    from .testing import AsyncTestClient, TestClient


__all__ = ["MicroFlask"]

_ROUTING_ERRORS = (NotFound, MethodNotAllowed, RequestRedirect)
_NO_RESPONSE = "returned None: it must return the response it was given, or another one."
_SIGNALS = _signals.state  # read on the request path: one attribute, False until a receiver connects
_PLAIN_RESULTS = frozenset({str, bytes, dict, list, tuple, Response})
_UNAWAITED = frozenset({CoroutineType, Pending})
#: Methods a lean endpoint leaves to the general path: HEAD's body is cut, OPTIONS may be automatic.
_NOT_LEAN_METHODS = frozenset({"HEAD", "OPTIONS"})
_VIEW_NOT_CALLED: Any = object()


def _missing_view(endpoint: str) -> Any:
    async def missing(**values: Any) -> Any:
        raise RuntimeError(
            f"No view function for endpoint {endpoint!r}: register one with @app.endpoint({endpoint!r})."
        )

    return missing


def _templating() -> ModuleType:
    from . import templating  # imported on first use: Jinja is slow to import

    return templating


def _host_header(scope: Scope) -> str:
    for key, value in scope.get("headers", ()):
        if key == b"host":
            return str(value.decode("latin-1"))
    return ""


class MicroFlask(RequestSteps):
    """The application object: ``app = MicroFlask(__name__)``, then ``uvicorn module:app``."""

    #: The class of :meth:`test_client` (a :class:`~microflask.testing.FlaskClient` subclass), as Flask's.
    test_client_class: type[TestClient] | None = None
    #: The class of :meth:`test_cli_runner` (a :class:`~microflask.testing.FlaskCliRunner` subclass).
    test_cli_runner_class: type[Any] | None = None

    # -- building: contexts, background tasks, tools ---------------------------------------
    def app_context(self) -> AppContext:
        """``async with app.app_context():`` (or ``with``): ``current_app`` and ``g`` outside a request."""
        return AppContext(self)

    def test_request_context(self, *args: Any, **kwargs: Any) -> RequestContext:
        """A request context for a fake request: ``with app.test_request_context("/x?a=1"):``."""
        return make_test_request_context(self, *args, **kwargs)

    @functools.cached_property
    def background_tasks(self) -> BackgroundTasks:
        """The tasks started by :meth:`add_background_task` (their task group runs while serving)."""
        return BackgroundTasks(self)

    def add_background_task(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Run ``func(*args, **kwargs)`` (sync or async) after the current response is sent, in its
        own app context; errors are logged. Pending tasks are awaited (bounded by
        ``BACKGROUND_TASK_SHUTDOWN_TIMEOUT``) at shutdown, before ``after_serving``."""
        self.background_tasks.add(func, args, kwargs)

    # -- tools: command line, tests, templates ---------------------------------------------
    def _cli_app(self) -> MicroFlask:
        return self  # app.cli (Scaffold.cli) runs its commands in this app's context

    def run(
        self,
        host: str | None = None,
        port: int | None = None,
        debug: bool | None = None,
        load_dotenv: bool = True,
        **options: Any,
    ) -> None:
        """Serve the app with Uvicorn until interrupted, for development: Flask's ``app.run()``.
        ``host`` and ``port`` default to ``SERVER_NAME``'s, else 127.0.0.1:5000; ``options`` go
        to ``uvicorn.run`` (Werkzeug-only ones are dropped). An app with ``TESTING`` on is not
        served (RuntimeError). See ``serving.run_app``."""
        run_app(self, host, port, debug, load_dotenv, **options)

    def make_shell_context(self) -> dict[str, Any]:
        """The names ``microflask shell`` starts with: ``app``, ``g``, and the processors' values."""
        names: dict[str, Any] = {"app": self, "g": g}
        for processor in self.shell_context_processors:
            names.update(processor())
        return names

    def test_cli_runner(self, **kwargs: Any) -> Any:
        """A runner for the app's commands: ``app.test_cli_runner().invoke(args=["hello"])``;
        an instance of ``test_cli_runner_class`` when set."""
        from .cli import CliRunner  # imported on first use: Typer is slow to import

        return (self.test_cli_runner_class or CliRunner)(self, **kwargs)

    # -- testing -------------------------------------------------------------------------
    def test_client(self, use_cookies: bool = True, **kwargs: Any) -> TestClient:
        """A sync test client: ``with app.test_client() as client: client.get("/")``."""
        from .testing import TestClient  # imported on first use: the test transport is slow to import

        return (self.test_client_class or TestClient)(self, use_cookies=use_cookies, **kwargs)

    def async_test_client(self, **kwargs: Any) -> AsyncTestClient:
        """An async test client: ``async with app.async_test_client() as client: await client.get("/")``."""
        from .testing import AsyncTestClient  # imported on first use: the test transport is slow to import

        return AsyncTestClient(self, **kwargs)

    def create_jinja_environment(self) -> Any:
        """The Jinja environment behind ``app.jinja_env`` (``app.jinja_options`` shape it)."""
        return _templating().create_jinja_environment(self)

    def create_global_jinja_loader(self) -> Any:
        """The loader of ``app.jinja_env``: the app's template folder, then each blueprint's.
        Override to load templates from elsewhere."""
        return _templating().DispatchingJinjaLoader(self)

    def _add_template_item(
        self, registry: dict[str, Any], env_attr: str, f: Callable[..., Any], name: str | None
    ) -> None:
        super()._add_template_item(registry, env_attr, f, name)
        if "jinja_env" in self.__dict__:  # already created: keep it in step
            getattr(self.jinja_env, env_attr)[name or f.__name__] = f
        self.__dict__.pop("_templates_need_async", None)

    # -- starting to serve --------------------------------------------------------------
    def _ensure_setup(self) -> None:
        if self._entry is None:
            self._setup()

    def _setup(self) -> None:
        """Freeze: compute every endpoint's plan, build the route index and the ASGI stack."""
        adopt_werkzeug_hierarchy()  # if the app imported Werkzeug, our errors become its classes too
        plans: dict[str, EndpointPlan] = {}
        for_extensions = supports_flask_extensions(self)
        for rule in self.url_map:
            plan = plans.get(rule.endpoint)
            if plan is None:
                # A rule with no view is an alias for url_for (add_url_rule("/", endpoint="index"));
                # should a request ever reach it, the 500 names what is missing.
                view = self.view_functions.get(rule.endpoint) or _missing_view(rule.endpoint)
                for wrap in self.view_wrappers:
                    view = wrap(self, rule, view)
                plan = plans[rule.endpoint] = EndpointPlan(self, rule.endpoint, view, rule.websocket, for_extensions)
            rule.plan = plan
        self._no_route_plan = EndpointPlan(self, None, None, for_extensions=for_extensions)
        self._own_dispatch = self._replaced_dispatch()
        for plan in plans.values() if self._own_dispatch is not None else ():  # it stands before the view
            plan.lean = False
        self._refresh_sessions = bool(
            self.session_interface.opens_lazily and self.config["SESSION_REFRESH_EACH_REQUEST"] and self.secret_key
        )
        self._match_http = self.request_matcher()
        # What a lean endpoint's str or dict result is sent with, when responses are ours unchanged.
        self._plain_headers = (
            (content_type_header(Response.media_type), content_type_header(self.json.mimetype))
            if self.response_class is Response
            else None
        )
        entry: ASGIApp = async_partial(self.__call__, _inner=True)
        if self.config["TRUSTED_HOSTS"]:  # checked only when configured: no cost otherwise
            entry = async_partial(self._check_host, tuple(self.config["TRUSTED_HOSTS"]))
        for cls, args, kwargs in reversed(self.user_middleware):
            entry = cls(entry, *args, **kwargs)
        self._entry = entry
        self._direct = not (self.config["TRUSTED_HOSTS"] or self.user_middleware)

    async def _serve_rule(self, rule: Rule, scope: Scope, receive: Receive, send: Send) -> None:
        self._ensure_setup()
        await self._dispatch(scope, receive, send, rule, dict(scope.get("path_params", {})), None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send, _inner: bool = False) -> None:
        """The ASGI app: route the scope by type. With user middleware or ``TRUSTED_HOSTS``, the
        scope goes through them first, and their innermost app calls back here with ``_inner``
        (the routing is inline rather than one more call: this runs for every request)."""
        if not (self._direct or _inner):
            self._ensure_setup()  # the first request or lifespan freezes the app
            if not self._direct:
                await self._entry(scope, receive, send)  # type: ignore[misc]
                return
        kind = scope["type"]
        if kind == "http":
            scope["app"] = self
            path = route_path(scope) if scope.get("root_path") else scope["path"]
            try:
                rule, values = self._match_http(path, scope)
            except _ROUTING_ERRORS as e:
                mounted = self.mounts.find(scope, path) if isinstance(e, NotFound) else None
                if mounted is not None:
                    await mounted(scope, receive, send)
                else:
                    await self._dispatch(scope, receive, send, None, None, e)
                return
            if rule.plan.lean and not _SIGNALS.connected and scope["method"] not in _NOT_LEAN_METHODS:
                await self._serve_lean(scope, receive, send, rule, values)
            else:
                await self._dispatch(scope, receive, send, rule, values, None)
        elif kind == "lifespan":
            await run_lifespan(self, scope, receive, send)
        elif kind == "websocket":
            from .websockets import dispatch_websocket  # imported on first use: many apps serve no websocket

            path = route_path(scope)
            try:
                rule, values = self.url_map.match(path, "GET", websocket=True, domain=self.request_domain(scope))
            except HTTPException:  # not ours: a mounted app's, or refused
                mounted = self.mounts.find(scope, path)
                if mounted is not None:
                    await mounted(scope, receive, send)
                    return
                rule, values = None, {}
            await dispatch_websocket(self, scope, receive, send, rule, values)
        else:
            raise RuntimeError(f"Unsupported ASGI scope type {kind!r}.")

    async def _check_host(self, trusted: tuple[str, ...], scope: Scope, receive: Receive, send: Send) -> None:
        """``TRUSTED_HOSTS``: a request for any other ``Host`` is answered 400 (through the error handlers)."""
        if scope["type"] in ("http", "websocket") and not host_is_trusted(_host_header(scope), trusted):
            error = SecurityError(f"Host {_host_header(scope)!r} is not trusted.")
            if scope["type"] == "http":
                await self._dispatch(scope, receive, send, None, None, error)
            else:
                await send({"type": "websocket.close", "code": 1008})
            return
        await self(scope, receive, send, _inner=True)

    # -- the request path -------------------------------------------------------------
    async def _dispatch(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        rule: Rule | None,
        view_args: dict[str, Any] | None,
        routing_error: Exception | None,
    ) -> None:
        """Handle one HTTP request, from pushing its context to tearing it down."""
        request = self.request_class(scope, receive)
        if rule is not None:
            request.url_rule = rule
            request.view_args = view_args
            plan: EndpointPlan = rule.plan
        else:
            request.routing_exception = routing_error
            plan = self._no_route_plan  # type: ignore[assignment]
        ctx = RequestContext(self, request)
        token = _cv_context.set(ctx)
        signalled = _SIGNALS.connected
        try:
            if signalled:
                await _signals.send_async(_signals.appcontext_pushed, self)
            if plan.threaded:
                async with ThreadLane() as lane:
                    ctx.lane = lane
                    await self._handle(ctx, plan, scope, receive, send)
            else:
                await self._handle(ctx, plan, scope, receive, send)
        finally:
            _cv_context.reset(token)
            if self._context_sink is not None:
                self._context_sink(ctx)
            if signalled:
                await _signals.send_async(_signals.appcontext_popped, self)

    async def _serve_lean(self, scope: Scope, receive: Receive, send: Send, rule: Rule, values: dict[str, Any]) -> None:
        """:meth:`_dispatch` for an endpoint with no hooks (``plan.lean``), shortened for the
        common case: an async view returns a str or a dict, and its response goes out at once. Any
        other case goes on with :meth:`_handle` from where it arises (the view's error, another
        kind of result, a session to save, after_this_request, background tasks, a form to close)."""
        request = self.request_class(scope, receive)
        request.url_rule = rule
        request.view_args = values
        plan: EndpointPlan = rule.plan  # type: ignore[assignment]
        ctx = RequestContext(self, request)
        token = _cv_context.set(ctx)
        try:
            try:
                if plan.reads_body_first and request.body_to_read_first():  # Flask extensions' mode only
                    await request.load_body()
                rv = plan.view(**values)  # type: ignore[misc]
                while type(rv) is CoroutineType:
                    rv = await rv
            except Exception as e:
                await self._handle(ctx, plan, scope, receive, send, raised=e)
                return
            kind = type(rv)
            headers = self._plain_headers
            if (
                headers is None
                or (kind is not str and kind is not dict)
                or ctx.session is not None
                or ctx.after_request_functions
                or ctx.background_jobs
                or request._form is not None
                or (self._refresh_sessions and self.session_interface.get_cookie_name(self) in request.cookies)
            ):
                await self._handle(ctx, plan, scope, receive, send, rv=rv)
                return
            try:
                if kind is str:
                    body = rv.encode()
                    ctype = headers[0]
                else:
                    body = self.json.encode_body(rv)
                    ctype = headers[1]
            except Exception:  # not JSON-serialisable, a lone surrogate: the general path's error answer
                await self._handle(ctx, plan, scope, receive, send, rv=rv)
                return
        finally:
            _cv_context.reset(token)
            if self._context_sink is not None:
                self._context_sink(ctx)
        # Sent outside the request's context: see _send_outside_context.
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-length", b"%d" % len(body)), (b"content-type", ctype)],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def _handle(
        self,
        ctx: RequestContext,
        plan: EndpointPlan,
        scope: Scope,
        receive: Receive,
        send: Send,
        rv: Any = _VIEW_NOT_CALLED,
        raised: Exception | None = None,
    ) -> None:
        """The request from its hooks to its teardown; ``rv`` or ``raised``: the view already ran
        (a lean endpoint's) and returned or raised that."""
        error: BaseException | None = None
        reraise = False
        try:
            try:
                response = await self._full_dispatch(ctx, plan, rv, raised)
            except Exception as e:
                error = e
                response, reraise = await self._unhandled_error_answer(ctx, plan, e)
            if type(response) is Response and response.background is None:
                await self._send_outside_context(response, scope, receive, send)
            else:  # streamed, or with a background task: they may use the context
                await _responses.send(response, scope, receive, send, self)
            if reraise:  # DEBUG: the debug page went out; the error goes on to the server's log or the test client
                raise error  # type: ignore[misc]
            if ctx.background_jobs:
                await self.background_tasks.run_after_response(ctx.background_jobs)
        except Exception as e:
            error = error or e
            raise
        finally:
            await self._teardown(ctx, plan, error)

    async def _send_outside_context(self, response: Response, scope: Scope, receive: Receive, send: Send) -> None:
        """Send an in-memory response with no request context current. The server may capture it
        while it sends (uvicorn's keep-alive ``call_later`` does): the request's objects would live
        on until the connection's next request and make full GC passes frequent and slow (p99)."""
        token = _cv_context.set(None)  # type: ignore[arg-type]  # no code of ours or the app runs meanwhile
        try:
            await _responses.send(response, scope, receive, send, self)
        finally:
            _cv_context.reset(token)

    async def _full_dispatch(
        self, ctx: RequestContext, plan: EndpointPlan, rv: Any = _VIEW_NOT_CALLED, raised: Exception | None = None
    ) -> Any:
        request = ctx.request
        assert request is not None
        source: Any = None  # who returned rv, when not the view: named only if it is invalid
        try:
            if raised is not None:  # a lean endpoint's view raised it
                raise raised
            if rv is not _VIEW_NOT_CALLED:  # a lean endpoint's view returned it
                rv = await self._view_result(plan, rv)
            else:
                rv = None
                if _SIGNALS.connected:
                    await _signals.send_async(_signals.request_started, self, ctx.lane)
                if not self.session_interface.opens_lazily:
                    await open_session_before_view(self, ctx)
                if plan.reads_body_first and request.body_to_read_first():  # Flask extensions' mode only
                    await request.load_body()
                if plan.preprocessors or plan.before:
                    rv, source = await self._before_view(ctx, plan, request.endpoint, request.view_args)
                if rv is None and self._own_dispatch is not None:  # a replaced dispatch_request routes itself
                    rv = await self._view_result(plan, await self._call_replaced_dispatch(ctx))
                elif rv is None:
                    if request.routing_exception is not None:
                        self.raise_routing_exception(request)
                    rv = await self._call_view(ctx, plan, request)
        except Exception as e:
            rv = await self._user_error_answer(ctx, plan, e)
            source = ctx.error_handler
        try:
            response = self.make_response(rv)
        except _responses.InvalidResponseError as e:
            raise e.blame(_responses.who_returned(ctx, plan, source)) from None
        return await self._finalize(ctx, plan, response)

    def _response_naming(self, ctx: RequestContext, plan: EndpointPlan, rv: Any, source: Any) -> Any:
        """``make_response(rv)``; if ``rv`` is invalid the error names ``source``, who returned it."""
        try:
            return self.make_response(rv)
        except _responses.InvalidResponseError as e:
            raise e.blame(_responses.who_returned(ctx, plan, source)) from None

    async def _call_view(self, ctx: RequestContext, plan: EndpointPlan, request: Request) -> Any:
        if request.scope["method"] == "OPTIONS" and request.url_rule.provide_automatic_options:  # type: ignore[union-attr]
            return self.make_default_options_response()
        view = plan.view
        assert view is not None
        view_args = request.view_args or {}
        if plan.view_is_async:
            rv = view(**view_args)
        else:
            rv = await ctx.lane.run(functools.partial(view, **view_args))
        while type(rv) is CoroutineType:  # an async view, or a sync decorator around one
            rv = await rv
        kind = type(rv)
        return rv if kind in _PLAIN_RESULTS and kind is not tuple else await self._view_result(plan, rv)

    @staticmethod
    async def _view_result(plan: EndpointPlan, rv: Any) -> Any:
        """What the view returned, awaited: an async view, a Flask-style sync decorator around one,
        or a helper returned without "await" (return render_template(...))."""
        while type(rv) is CoroutineType:
            rv = await rv
        kind = type(rv)
        if kind not in _PLAIN_RESULTS:
            if kind is Pending:  # a helper not awaited: an error from async def code (see unawaited)
                rv = await _responses.unawaited(plan, rv)
            elif inspect.isawaitable(rv):
                rv = await rv
        elif kind is tuple and rv and type(rv[0]) in _UNAWAITED:  # (render_template(...), 404)
            rv = (await _responses.unawaited(plan, rv[0]), *rv[1:])
        return rv

    async def _finalize(self, ctx: RequestContext, plan: EndpointPlan, response: Any) -> Any:
        for func in ctx.after_request_functions:
            response = await self._call(ctx, func, is_async_callable(func), response)
            if response is None:
                raise _responses.InvalidResponseError(
                    _NO_RESPONSE, _responses.returned_by("after_this_request function", func)
                )
        for func, is_async in plan.after:
            response = await self._call(ctx, func, is_async, response)
            if response is None:
                raise _responses.InvalidResponseError(
                    _NO_RESPONSE, _responses.returned_by("after_request function", func)
                )
        session = ctx.session
        if session is None and self._refresh_sessions:
            session = self._permanent_session_to_refresh(ctx)
        if session is not None and not self.session_interface.is_null_session(session):
            try:
                saved = self.session_interface.save_session(self, session, response)
                if saved is not None:  # a Flask-style sync interface returns None
                    await saved
            except HTTPException as e:  # e.g. 503 from a session store that is down
                rv = await self._user_error_answer(ctx, plan, e)
                response = self._response_naming(ctx, plan, rv, ctx.error_handler)
        if _SIGNALS.connected:
            await _signals.send_async(_signals.request_finished, self, ctx.lane, response=response)
        return response

    def _permanent_session_to_refresh(self, ctx: AppContext) -> Any:
        """The session of a request that never used it, if it is permanent: saving it again moves
        its expiry, as Flask does on every request. Opened only when the request has the cookie."""
        assert ctx.request is not None
        if self.session_interface.get_cookie_name(self) not in ctx.request.cookies:
            return None
        session = ctx._session  # opened now: nothing in the request did
        accessed = session.accessed
        permanent = session.permanent
        session.accessed = accessed  # our look at it is not the app's access (no Vary: Cookie)
        return session if permanent else None

    async def _teardown(self, ctx: AppContext, plan: EndpointPlan, error: BaseException | None) -> None:
        """Run the teardown functions and signals, release uploaded files. Each error is logged and
        the rest still run; where errors propagate (TESTING, DEBUG) they are then raised together."""
        failed = failed_app = None
        if plan.teardown_request or plan.teardown_app or _SIGNALS.connected:  # most requests have none
            failed = await teardown.run(self, ctx, plan.teardown_request, error, _signals.request_tearing_down)
            failed_app = await teardown.run(self, ctx, plan.teardown_app, error, _signals.appcontext_tearing_down)
        request = ctx.request
        if request is not None and request._form is not None:
            await request.close()
        if (failed or failed_app) and self._propagates_exceptions():
            raise teardown.grouped(failed, failed_app)

    async def do_teardown(self, ctx: AppContext, exc: BaseException | None = None) -> None:
        """Run the teardown functions and signals of ``ctx`` on leaving ``async with`` it; every one
        runs, then their errors are raised together (as Flask 3.2's context pop)."""
        await teardown.leave_context(self, ctx, exc)

    def do_teardown_sync(self, ctx: AppContext, exc: BaseException | None = None) -> None:
        """:meth:`do_teardown` on leaving a plain ``with`` (sync teardown functions only)."""
        teardown.leave_context_sync(self, ctx, exc)

    async def _handle_exception(self, ctx: RequestContext, plan: EndpointPlan, e: Exception) -> tuple[Any, bool]:
        """An unhandled error: ``(response, reraise)``. Logged and answered 500 (its handler's, or
        the default page); propagated instead under ``PROPAGATE_EXCEPTIONS`` (by default under
        TESTING or DEBUG, as Flask): raised at once, or under DEBUG after the debug page is sent."""
        if _SIGNALS.connected:
            await _signals.send_async(_signals.got_request_exception, self, ctx.lane, exception=e)
        if self._propagates_exceptions():
            if not self.debug:
                raise e
            return _responses.error_response(self, InternalServerError(original_exception=e)), True
        self.log_unhandled(e)
        server_error = InternalServerError(original_exception=e)
        response: Any = None
        try:
            handler = self._find_error_handler(server_error, plan.scopes)
            if handler is not None:
                ctx.error_handler, ctx.handled_error = handler, server_error
                rv = await self._call(ctx, handler, is_async_callable(handler), server_error)
                response = self._response_naming(ctx, plan, rv, handler)
        except Exception:
            self.logger.exception("The error handler for 500 failed; sending the plain 500 page")
        if response is None:
            response = _responses.error_response(self, server_error)
        try:
            return await self._finalize(ctx, plan, response), False
        except Exception:  # after_request hooks may fail again on an error page: log, keep the page
            self.logger.exception("An after_request function failed on the 500 response")
            return response, False

    # -- responses ----------------------------------------------------------------------
    def make_response(self, rv: Any) -> Any:
        """Turn what a view returned into a response (see :func:`microflask.responses.make_response`)."""
        return _responses.make_response(self, rv)

    def make_default_options_response(self) -> Response:
        """The answer to an automatic OPTIONS request: empty, with ``Allow``."""
        ctx = current_context()
        assert ctx is not None and ctx.request is not None
        methods = self.url_map.allowed_methods(ctx.request.path, self.request_domain(ctx.request.scope))
        return self.response_class(headers={"Allow": ", ".join(sorted(methods))})
