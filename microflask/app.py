"""The application: configuration, registration, the ASGI entry point and the request path.

Read :meth:`MicroFlask._dispatch` top to bottom for the whole life of a request::

    __call__ -> (user middleware) -> _asgi -> match in the route index -> _dispatch:
    push context -> url value preprocessors -> before_request -> view -> make_response
    -> after_this_request / after_request -> session save -> send -> teardown -> pop

Everything that depends only on the endpoint (its hook chains, whether its view is async)
is computed once, when the app starts serving; after that the app is frozen.
"""

from __future__ import annotations

import functools
import inspect
import logging
import os
import sys
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import timedelta
from types import CoroutineType
from typing import TYPE_CHECKING, Any

from starlette.routing import Router

from . import responses as _responses
from .concurrency import ThreadLane, is_async_callable
from .config import DEFAULT_CONFIG, Config
from .ctx import AppContext, RequestContext, _AppCtxGlobals, _cv_context, current_context
from .exceptions import HTTPException, InternalServerError, MethodNotAllowed, NotFound, RequestRedirect
from .httputil import route_path
from .json import DefaultJSONProvider, JSONProvider
from .lifespan import BackgroundTasks, Mounts, run_lifespan
from .logging import create_logger
from .plans import EndpointPlan, RuleEndpoint
from .routing import Map, Rule, RuleRoute
from .scaffold import Scaffold, default_instance_path, setupmethod
from .sessions import SecureCookieSessionInterface, SessionInterface, open_session_before_view
from .wrappers import Request, Response

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Receive, Scope, Send

    from .blueprints import Blueprint
    from .testing import AsyncTestClient, TestClient

__all__ = ["MicroFlask"]

_ROUTING_ERRORS = (NotFound, MethodNotAllowed, RequestRedirect)
_PLAIN_RESULTS = frozenset({str, bytes, dict, list, tuple, Response})


class MicroFlask(Scaffold):
    """The application object: ``app = MicroFlask(__name__)``, then ``uvicorn module:app``."""

    request_class: type[Request] = Request
    response_class: type[Response] = Response
    json_provider_class: type[JSONProvider] = DefaultJSONProvider
    app_ctx_globals_class: type = _AppCtxGlobals
    config_class: type[Config] = Config
    default_config = DEFAULT_CONFIG
    #: Loads and saves ``session``; the default keeps it in a signed cookie.
    session_interface: SessionInterface = SecureCookieSessionInterface()
    #: Set by a test client inside ``with client:``: receives each request's finished context.
    _context_sink: Callable[[RequestContext], None] | None = None
    #: Whether an async filter/test/global/context processor is registered (see templating.py).
    _templates_need_async: bool | None = None

    def __init__(
        self,
        import_name: str,
        static_url_path: str | None = None,
        static_folder: str | os.PathLike[str] | None = "static",
        template_folder: str | os.PathLike[str] | None = "templates",
        instance_path: str | None = None,
        instance_relative_config: bool = False,
        root_path: str | None = None,
    ) -> None:
        super().__init__(import_name, static_folder, static_url_path, template_folder, root_path)
        self.instance_path = (
            instance_path if instance_path is not None else default_instance_path(self.import_name, self.root_path)
        )
        self.config = self.config_class(
            self.instance_path if instance_relative_config else self.root_path, self.default_config
        )
        self.json: JSONProvider = self.json_provider_class(self)
        self.url_map = Map()
        self.router = Router(routes=[])
        self.extensions: dict[str, Any] = {}
        self.blueprints: dict[str, Blueprint] = {}
        self.mounts = Mounts()
        self.background_tasks = BackgroundTasks(self)
        self.teardown_appcontext_funcs: list[Callable[..., Any]] = []
        self.before_serving_funcs: list[Callable[..., Any]] = []
        self.after_serving_funcs: list[Callable[..., Any]] = []
        self.lifespan_contexts: list[Callable[[MicroFlask], AbstractAsyncContextManager[Any]]] = []
        self.user_middleware: list[tuple[type, tuple[Any, ...], dict[str, Any]]] = []
        self.jinja_options: dict[str, Any] = {}
        self.shell_context_processors: list[Callable[[], dict[str, Any]]] = []
        self._entry: ASGIApp | None = None
        self._no_route_plan: EndpointPlan | None = None
        if self.static_folder is not None:
            self.add_url_rule(
                f"{self.static_url_path}/<path:filename>", endpoint="static", view_func=self.send_static_file
            )

    # -- identity, config, logging ----------------------------------------------------
    @functools.cached_property
    def name(self) -> str:  # type: ignore[override]
        """The import name, or the script's name when run as ``__main__``."""
        if self.import_name == "__main__":
            path = getattr(sys.modules["__main__"], "__file__", None)
            return os.path.splitext(os.path.basename(path))[0] if path else "__main__"
        return self.import_name

    @property
    def debug(self) -> bool:
        """``config["DEBUG"]``: tracebacks on error pages, template reloading."""
        return bool(self.config["DEBUG"])

    @debug.setter
    def debug(self, value: bool) -> None:
        self.config["DEBUG"] = value
        if "jinja_env" in self.__dict__ and self.config["TEMPLATES_AUTO_RELOAD"] is None:
            # As Flask: debug mode reloads changed templates (in the async twin too, if made).
            for env in (self.jinja_env, getattr(self.jinja_env, "async_twin", None)):
                if env is not None:
                    env.auto_reload = value

    @property
    def permanent_session_lifetime(self) -> timedelta:
        """``PERMANENT_SESSION_LIFETIME`` as a timedelta (the config may hold seconds)."""
        value = self.config["PERMANENT_SESSION_LIFETIME"]
        return value if isinstance(value, timedelta) else timedelta(seconds=value)

    @property
    def testing(self) -> bool:
        return bool(self.config["TESTING"])

    @testing.setter
    def testing(self, value: bool) -> None:
        self.config["TESTING"] = value

    @property
    def secret_key(self) -> str | bytes | None:
        return self.config["SECRET_KEY"]  # type: ignore[no-any-return]

    @secret_key.setter
    def secret_key(self, value: str | bytes | None) -> None:
        self.config["SECRET_KEY"] = value

    @functools.cached_property
    def logger(self) -> logging.Logger:
        """``logging.getLogger(app.name)``; gets a stderr handler if nothing else handles it."""
        return create_logger(self)

    @property
    def routes(self) -> list[Any]:
        """The Starlette routes the rules compiled into."""
        return self.router.routes

    # -- registration -----------------------------------------------------------------
    def _check_setup_finished(self, f_name: str) -> None:
        if self._entry is not None:
            raise RuntimeError(
                f"The setup method '{f_name}' can no longer be called on the application: it has"
                " already started serving (it handled a request or its lifespan started)."
                " Register routes, hooks and handlers before that, at import time or in create_app()."
            )

    @setupmethod
    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: Callable[..., Any] | None = None,
        provide_automatic_options: bool | None = None,
        **options: Any,
    ) -> None:
        if endpoint is None:
            if view_func is None:
                raise TypeError("add_url_rule() needs an endpoint or a view_func.")
            endpoint = view_func.__name__
        methods = options.pop("methods", None)
        if methods is None:
            methods = getattr(view_func, "methods", None) or ("GET",)
        if isinstance(methods, str):
            raise TypeError("Allowed methods must be a list of strings, for example: @app.route(..., methods=['POST'])")
        if provide_automatic_options is None:
            provide_automatic_options = getattr(view_func, "provide_automatic_options", True)
        url_rule = Rule(
            rule,
            endpoint,
            methods,
            defaults=options.pop("defaults", None),
            strict_slashes=options.pop("strict_slashes", None),
            websocket=options.pop("websocket", False),
            provide_automatic_options=bool(provide_automatic_options),
        )
        if options:
            raise TypeError(f"Unknown route options: {', '.join(sorted(options))}")
        if url_rule.websocket and view_func is not None and not is_async_callable(view_func):
            raise TypeError(f"The websocket view {endpoint!r} must be an async function (async def).")
        if view_func is not None:
            existing = self.view_functions.get(endpoint)
            if existing is not None and existing is not view_func:
                raise AssertionError(f"View function mapping is overwriting an existing endpoint function: {endpoint}")
            self.view_functions[endpoint] = view_func
        self.url_map.add(url_rule)
        self.router.routes.append(RuleRoute(url_rule, RuleEndpoint(self, url_rule), view_func))

    @setupmethod
    def register_blueprint(self, blueprint: Blueprint, **options: Any) -> None:
        """Add a blueprint's routes (under ``url_prefix``), hooks and handlers to the app.

        ``name=`` registers it again under another name (its endpoints become ``name.view``).
        """
        blueprint.register(self, options)

    @setupmethod
    def teardown_appcontext(self, f: Callable[..., Any]) -> Callable[..., Any]:
        """Run ``f(exc)`` when an app context ends (after every request, and on leaving ``app_context()``)."""
        self.teardown_appcontext_funcs.append(f)
        return f

    @setupmethod
    def before_serving(self, f: Callable[..., Any]) -> Callable[..., Any]:
        """Run ``f()`` once at startup (ASGI lifespan), inside an app context."""
        self.before_serving_funcs.append(f)
        return f

    @setupmethod
    def after_serving(self, f: Callable[..., Any]) -> Callable[..., Any]:
        """Run ``f()`` once at shutdown (ASGI lifespan), inside an app context."""
        self.after_serving_funcs.append(f)
        return f

    @setupmethod
    def lifespan(self, factory: Callable[..., Any]) -> Callable[..., Any]:
        """Register a lifespan: an async context manager factory ``factory(app)`` (or an async
        generator function, wrapped for you). Entered at startup, exited at shutdown; a
        mapping it yields becomes the lifespan state (``request.state``)."""
        if inspect.isasyncgenfunction(factory):
            self.lifespan_contexts.append(asynccontextmanager(factory))
        else:
            self.lifespan_contexts.append(factory)
        return factory

    @setupmethod
    def add_middleware(self, middleware_class: type, *args: Any, **kwargs: Any) -> None:
        """Wrap the app in ASGI middleware (any Starlette middleware). The first added is outermost."""
        self.user_middleware.append((middleware_class, args, kwargs))

    # -- starting to serve --------------------------------------------------------------
    def _ensure_setup(self) -> None:
        if self._entry is None:
            self._setup()

    def _setup(self) -> None:
        """Freeze: compute every endpoint's plan, build the route index and the ASGI stack."""
        plans: dict[str, EndpointPlan] = {}
        for rule in self.url_map:
            plan = plans.get(rule.endpoint)
            if plan is None:
                view = self.view_functions.get(rule.endpoint)
                if view is None:
                    raise RuntimeError(
                        f"No view function for endpoint {rule.endpoint!r} (rule {rule.rule!r}). Pass"
                        " view_func to add_url_rule or decorate one with @app.endpoint(...)."
                    )
                plan = plans[rule.endpoint] = EndpointPlan(self, rule.endpoint, view, rule.websocket)
            rule.plan = plan
        self._no_route_plan = EndpointPlan(self, None, None)
        self.url_map._index(False)
        self.url_map._index(True)
        entry: ASGIApp = self._asgi
        for cls, args, kwargs in reversed(self.user_middleware):
            entry = cls(entry, *args, **kwargs)
        self._entry = entry

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        entry = self._entry
        if entry is None:
            self._setup()
            entry = self._entry
            assert entry is not None
        await entry(scope, receive, send)

    async def _asgi(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The app inside any user middleware: route the scope by type."""
        kind = scope["type"]
        if kind == "http":
            scope["app"] = self
            path = route_path(scope) if scope.get("root_path") else scope["path"]
            try:
                rule, values = self.url_map.match(path, scope["method"], scope.get("query_string", b""))
            except _ROUTING_ERRORS as e:
                mounted = self.mounts.find(scope, path) if isinstance(e, NotFound) else None
                if mounted is not None:
                    await mounted(scope, receive, send)
                else:
                    await self._dispatch(scope, receive, send, None, None, e)
                return
            await self._dispatch(scope, receive, send, rule, values, None)
        elif kind == "lifespan":
            await run_lifespan(self, scope, receive, send)
        elif kind == "websocket":
            from .websockets import dispatch_websocket

            mounted = self.mounts.find(scope, route_path(scope))
            await (mounted or functools.partial(dispatch_websocket, self))(scope, receive, send)
        else:
            raise RuntimeError(f"Unsupported ASGI scope type {kind!r}.")

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
        try:
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

    async def _handle(
        self, ctx: RequestContext, plan: EndpointPlan, scope: Scope, receive: Receive, send: Send
    ) -> None:
        error: BaseException | None = None
        try:
            try:
                response = await self._full_dispatch(ctx, plan)
            except Exception as e:
                error = e
                response = await self._handle_exception(ctx, plan, e)
            await _responses.send(response, scope, receive, send, self)
            if ctx.background_jobs:
                await self.background_tasks.run_after_response(ctx.background_jobs)
        except Exception as e:
            error = error or e
            raise
        finally:
            await self._teardown(ctx, plan, error)

    async def _full_dispatch(self, ctx: RequestContext, plan: EndpointPlan) -> Any:
        request = ctx.request
        assert request is not None
        try:
            rv = None
            if not self.session_interface.opens_lazily:
                await open_session_before_view(self, ctx)
            for func, is_async in plan.preprocessors:
                await self._call(ctx, func, is_async, request.endpoint, request.view_args)
            for func, is_async in plan.before:
                rv = await self._call(ctx, func, is_async)
                if rv is not None:
                    break
            if rv is None:
                if request.routing_exception is not None:
                    raise request.routing_exception
                rv = await self._call_view(ctx, plan, request)
        except Exception as e:
            rv = await self._handle_user_exception(ctx, plan, e)
        response = self.make_response(rv)
        return await self._finalize(ctx, plan, response)

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
        # An awaitable result is awaited: an async view, a Flask-style sync decorator around one,
        # or a helper returned without "await" (return render_template(...)).
        while type(rv) is CoroutineType:
            rv = await rv
        if type(rv) not in _PLAIN_RESULTS and inspect.isawaitable(rv):
            rv = await rv
        return rv

    @staticmethod
    async def _call(ctx: AppContext, func: Callable[..., Any], is_async: bool, *args: Any) -> Any:
        """Call a hook: awaited if async; on the request's thread lane if the request has one."""
        if is_async:
            return await func(*args)
        lane = getattr(ctx, "lane", None)
        if lane is not None:
            return await lane.run(func, *args)
        return func(*args)

    async def _finalize(self, ctx: RequestContext, plan: EndpointPlan, response: Any) -> Any:
        for func in ctx.after_request_functions:
            response = await self._call(ctx, func, is_async_callable(func), response)
        for func, is_async in plan.after:
            response = await self._call(ctx, func, is_async, response)
        session = ctx.session
        if session is not None and not self.session_interface.is_null_session(session):
            await self.session_interface.save_session(self, session, response)
        return response

    async def _teardown(self, ctx: RequestContext, plan: EndpointPlan, error: BaseException | None) -> None:
        for func, is_async in plan.teardown:
            try:
                await self._call(ctx, func, is_async, error)
            except Exception:
                self.logger.exception("Error in teardown function %s", getattr(func, "__qualname__", func))
        request = ctx.request
        if request is not None and request._form is not None:
            await request.close()

    # -- errors ------------------------------------------------------------------------
    def _find_error_handler(self, e: BaseException, scopes: tuple[str | None, ...]) -> Callable[..., Any] | None:
        """The handler for ``e``: by status code, then by class along the MRO; blueprint scopes first."""
        codes: tuple[int | None, ...] = (e.code, None) if isinstance(e, HTTPException) else (None,)
        for code in codes:
            for scope in scopes:
                handlers = self.error_handler_spec.get(scope, {}).get(code)
                if not handlers:
                    continue
                for cls in type(e).__mro__:
                    handler = handlers.get(cls)
                    if handler is not None:
                        return handler
        return None

    async def _handle_user_exception(self, ctx: RequestContext, plan: EndpointPlan, e: Exception) -> Any:
        """An error raised by a hook or view: its handler's answer, an HTTP error, or re-raise."""
        if isinstance(e, HTTPException) and (e.code is None or isinstance(e, RequestRedirect)):
            return e
        handler = self._find_error_handler(e, plan.scopes)
        if handler is None:
            if isinstance(e, HTTPException):
                return e
            raise e
        return await self._call(ctx, handler, is_async_callable(handler), e)

    async def _handle_exception(self, ctx: RequestContext, plan: EndpointPlan, e: Exception) -> Any:
        """An unhandled error: log it, then answer 500 (its handler's, or the default page)."""
        propagate = self.config["PROPAGATE_EXCEPTIONS"]
        if propagate is None:
            propagate = self.testing
        if propagate:
            raise e
        self.log_exception(e)
        server_error = InternalServerError(original_exception=e)
        response: Any = None
        try:
            handler = self._find_error_handler(server_error, plan.scopes)
            if handler is not None:
                response = self.make_response(await self._call(ctx, handler, is_async_callable(handler), server_error))
        except Exception:
            self.logger.exception("The error handler for 500 failed; sending the plain 500 page")
        if response is None:
            response = _responses.error_response(self, server_error)
        try:
            return await self._finalize(ctx, plan, response)
        except Exception:  # after_request hooks may fail again on an error page: log, keep the page
            self.logger.exception("An after_request function failed on the 500 response")
            return response

    def log_exception(self, e: BaseException) -> None:
        """Log an unhandled error with its traceback on ``app.logger``."""
        ctx = current_context()
        where = ""
        if ctx is not None and ctx.request is not None:
            where = f" on {ctx.request.path} [{ctx.request.method}]"
        self.logger.error("Exception%s", where, exc_info=(type(e), e, e.__traceback__))

    # -- responses ----------------------------------------------------------------------
    def make_response(self, rv: Any) -> Any:
        """Turn what a view returned into a response (see :func:`microflask.responses.make_response`)."""
        return _responses.make_response(self, rv)

    def make_default_options_response(self) -> Response:
        """The answer to an automatic OPTIONS request: empty, with ``Allow``."""
        ctx = current_context()
        assert ctx is not None and ctx.request is not None
        methods = self.url_map.allowed_methods(ctx.request.path)
        return self.response_class(headers={"Allow": ", ".join(sorted(methods))})

    # -- URLs ---------------------------------------------------------------------------
    def url_for(
        self,
        endpoint: str,
        *,
        _anchor: str | None = None,
        _method: str | None = None,
        _scheme: str | None = None,
        _external: bool | None = None,
        **values: Any,
    ) -> str:
        """Build the URL of ``endpoint``; see :func:`microflask.url_for`."""
        from .helpers import build_url

        return build_url(self, endpoint, values, _anchor, _method, _scheme, _external)

    def inject_url_defaults(self, endpoint: str, values: dict[str, Any]) -> None:
        """Let the ``url_defaults`` functions of the app and the endpoint's blueprints fill ``values``."""
        parts = endpoint.split(".")[:-1]
        for scope in [None] + [".".join(parts[: i + 1]) for i in range(len(parts))]:
            for func in self.url_default_functions.get(scope, ()):
                func(endpoint, values)

    # -- contexts ----------------------------------------------------------------------
    def app_context(self) -> AppContext:
        """``async with app.app_context():`` (or ``with``): ``current_app`` and ``g`` outside a request."""
        return AppContext(self)

    def test_request_context(self, *args: Any, **kwargs: Any) -> RequestContext:
        """A request context for a fake request: ``with app.test_request_context("/x?a=1"):``."""
        from .testing import make_test_request_context

        return make_test_request_context(self, *args, **kwargs)

    # -- mounts and background tasks ---------------------------------------------------
    @setupmethod
    def mount(self, path: str, app: ASGIApp, name: str | None = None) -> None:
        """Serve any ASGI app (a Starlette app, another MicroFlask app) below ``path``.

        Its lifespan runs with this app's; ``url_for("name:endpoint")`` builds URLs into a mounted
        MicroFlask app. The app's own routes take precedence over mounts.
        """
        self.mounts.add(path, app, name)

    def add_background_task(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Run ``func(*args, **kwargs)`` (sync or async) after the current response is sent, in its
        own app context; errors are logged. Pending tasks are awaited (bounded by
        ``BACKGROUND_TASK_SHUTDOWN_TIMEOUT``) at shutdown, before ``after_serving``."""
        self.background_tasks.add(func, args, kwargs)

    # -- command line ------------------------------------------------------------------
    @functools.cached_property
    def cli(self) -> Any:
        """The app's command group (Typer): ``@app.cli.command()`` adds a ``microflask`` command."""
        from .cli import AppGroup

        return AppGroup(self)

    @setupmethod
    def shell_context_processor(self, f: Callable[[], dict[str, Any]]) -> Callable[[], dict[str, Any]]:
        """Add the names ``f()`` returns to ``microflask shell``."""
        self.shell_context_processors.append(f)
        return f

    def make_shell_context(self) -> dict[str, Any]:
        """The names ``microflask shell`` starts with: ``app``, ``g``, and the processors' values."""
        from .ctx import g

        names: dict[str, Any] = {"app": self, "g": g}
        for processor in self.shell_context_processors:
            names.update(processor())
        return names

    def test_cli_runner(self, **kwargs: Any) -> Any:
        """A runner for the app's commands: ``app.test_cli_runner().invoke(args=["hello"])``."""
        from .cli import CliRunner

        return CliRunner(self, **kwargs)

    # -- testing -------------------------------------------------------------------------
    def test_client(self, **kwargs: Any) -> TestClient:
        """A sync test client: ``with app.test_client() as client: client.get("/")``."""
        from .testing import TestClient

        return TestClient(self, **kwargs)

    def async_test_client(self, **kwargs: Any) -> AsyncTestClient:
        """An async test client: ``async with app.async_test_client() as client: await client.get("/")``."""
        from .testing import AsyncTestClient

        return AsyncTestClient(self, **kwargs)

    # -- templates ---------------------------------------------------------------------
    @functools.cached_property
    def jinja_env(self) -> Any:
        """The Jinja environment, created on first use (``app.jinja_options`` shape it)."""
        from .templating import create_jinja_environment

        return create_jinja_environment(self)

    @property
    def templates_auto_reload(self) -> bool:
        """Reload changed templates: ``TEMPLATES_AUTO_RELOAD``, or DEBUG when that is None."""
        value = self.config["TEMPLATES_AUTO_RELOAD"]
        return bool(self.debug if value is None else value)

    def _add_template_item(
        self, registry: dict[str, Any], env_attr: str, f: Callable[..., Any], name: str | None
    ) -> None:
        super()._add_template_item(registry, env_attr, f, name)
        if "jinja_env" in self.__dict__:  # already created: keep it in step
            getattr(self.jinja_env, env_attr)[name or f.__name__] = f
        self.__dict__.pop("_templates_need_async", None)

    def __repr__(self) -> str:
        return f"<MicroFlask {self.name!r}>"
