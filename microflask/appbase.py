"""The app as a registry (as Flask's ``sansio.App``): identity and config, registration
(rules, blueprints, hooks, lifespans, middleware, mounts), URL building and error-handler lookup.

:class:`AppBase` does no I/O and handles no request; :class:`~microflask.app.MicroFlask`
builds the app's collaborators on top of it, freezes it, and serves it.
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
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from starlette.routing import Router

from .blueprints import Blueprint
from .concurrency import is_async_callable
from .config import DEFAULT_CONFIG, Config
from .ctx import RequestContext, _AppCtxGlobals
from .globals import current_context
from .json.provider import DefaultJSONProvider, JSONProvider
from .logging import create_logger
from .mounts import Mounts
from .plans import EndpointPlan, RuleEndpoint
from .routing import Map, Rule, RuleRoute
from .scaffold import Scaffold, default_instance_path, setupmethod
from .sessions import SecureCookieSessionInterface, SessionInterface
from .wrappers import Request, Response

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["AppBase", "SetupFinishedError"]


class SetupFinishedError(AssertionError, RuntimeError):
    """A setup method (``route``, ``register_blueprint``, ...) called after the app started
    serving. An ``AssertionError`` as in Flask, and a ``RuntimeError`` as microflask raised before."""


class AppBase(Scaffold):
    """The app as a registry: config, registration, URL building; no I/O, no requests."""

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
        if instance_path is not None and not os.path.isabs(instance_path):
            raise ValueError("If an instance path is provided it must be absolute. A relative path was given instead.")
        self.instance_path = (
            instance_path if instance_path is not None else default_instance_path(self.import_name, self.root_path)
        )
        self.config = self.config_class(
            self.instance_path if instance_relative_config else self.root_path, self.default_config
        )
        self.url_map = Map()
        self.router = Router(routes=[])
        self.json: JSONProvider = self.json_provider_class(self)
        self.extensions: dict[str, Any] = {}
        self.blueprints: dict[str, Blueprint] = {}
        self.mounts = Mounts()
        self.teardown_appcontext_funcs: list[Callable[..., Any]] = []
        self.before_serving_funcs: list[Callable[..., Any]] = []
        self.after_serving_funcs: list[Callable[..., Any]] = []
        self.lifespan_contexts: list[Callable[[Any], AbstractAsyncContextManager[Any]]] = []
        self.user_middleware: list[tuple[type, tuple[Any, ...], dict[str, Any]]] = []
        self.jinja_options: dict[str, Any] = {}
        self.shell_context_processors: list[Callable[[], dict[str, Any]]] = []
        #: Extensions' view wrappers, applied when the app freezes: ``wrap(app, rule, view)``
        #: returns the view to serve for ``rule``'s endpoint (the same kind, sync or async). An
        #: extension that types views (``microflask.schema``) registers here; none: no cost.
        self.view_wrappers: list[Callable[[AppBase, Rule, Callable[..., Any]], Callable[..., Any]]] = []
        self._entry: ASGIApp | None = None
        self._no_route_plan: EndpointPlan | None = None
        #: Set at freeze: a permanent session is refreshed by requests that do not touch it (Flask's
        #: SESSION_REFRESH_EACH_REQUEST; the cookie session opens lazily, so only then is it opened).
        self._refresh_sessions = False
        if self.static_folder is not None:
            self.add_url_rule(
                f"{self.static_url_path}/<path:filename>", endpoint="static", view_func=self._static_view()
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

    @permanent_session_lifetime.setter
    def permanent_session_lifetime(self, value: timedelta | int) -> None:
        self.config["PERMANENT_SESSION_LIFETIME"] = value

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
            raise SetupFinishedError(
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
            provide_automatic_options = getattr(view_func, "provide_automatic_options", None)
        if provide_automatic_options is None:
            provide_automatic_options = True
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
            # Compared with ==, as Flask: the same bound method, fetched twice, is two objects.
            if existing is not None and existing != view_func:
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
        """Build the URL of ``endpoint``; see :func:`microflask.url_for`.

        Relative inside a request of this app, external (which needs ``SERVER_NAME``) outside one.
        """
        ctx = current_context()
        request = (ctx.request or ctx.websocket) if ctx is not None and ctx.app is self else None
        if request is not None:
            if endpoint[:1] == ".":
                blueprint = request.blueprint
                endpoint = f"{blueprint}{endpoint}" if blueprint else endpoint[1:]
            if _external is None:
                _external = _scheme is not None
            root, host, default_scheme = request.root_path, request.host, request.scheme
        else:
            server_name = self.config["SERVER_NAME"]
            if server_name is None:
                raise RuntimeError(
                    "Unable to build URLs outside an active request without 'SERVER_NAME' configured."
                    " Also configure 'APPLICATION_ROOT' and 'PREFERRED_URL_SCHEME' as needed."
                )
            if _external is None:
                _external = True
            root = (self.config["APPLICATION_ROOT"] or "/").rstrip("/")
            host, default_scheme = server_name, self.config["PREFERRED_URL_SCHEME"]
            endpoint = endpoint.lstrip(".")
        if _scheme is not None and not _external:
            raise ValueError("When specifying '_scheme', '_external' must be True.")
        values = dict(values)
        if ":" in endpoint:  # "name:endpoint" builds into the MicroFlask app mounted as name
            mount_name, _, endpoint = endpoint.partition(":")
            path = self.mounts.build(mount_name, endpoint, values, _method)
        else:
            self.inject_url_defaults(endpoint, values)
            path = self.url_map.build(endpoint, values, _method)
        url = quote(root, safe="/%") + path
        if _external:
            url = f"{_scheme or default_scheme}://{host}{url}"
        if _anchor is not None:
            url += "#" + quote(_anchor, safe="%!#$&'()*+,/:;=?@")
        return url

    def inject_url_defaults(self, endpoint: str, values: dict[str, Any]) -> None:
        """Let the ``url_defaults`` functions of the app and the endpoint's blueprints fill ``values``."""
        parts = endpoint.split(".")[:-1]
        for scope in [None] + [".".join(parts[: i + 1]) for i in range(len(parts))]:
            for func in self.url_default_functions.get(scope, ()):
                func(endpoint, values)

    # -- resources -------------------------------------------------------------------
    def open_instance_resource(self, resource: str, mode: str = "rb", encoding: str | None = "utf-8") -> Any:
        """Open a file relative to ``instance_path`` (which may be written to, unlike resources)."""
        path = os.path.join(self.instance_path, resource)
        return open(path, mode) if "b" in mode else open(path, mode, encoding=encoding)

    # -- mounts and background tasks ---------------------------------------------------
    @setupmethod
    def mount(self, path: str, app: ASGIApp, name: str | None = None) -> None:
        """Serve any ASGI app (a Starlette app, another MicroFlask app) below ``path``.

        Its lifespan runs with this app's; ``url_for("name:endpoint")`` builds URLs into a mounted
        MicroFlask app. The app's own routes take precedence over mounts.
        """
        self.mounts.add(path, app, name)

    @setupmethod
    def shell_context_processor(self, f: Callable[[], dict[str, Any]]) -> Callable[[], dict[str, Any]]:
        """Add the names ``f()`` returns to ``microflask shell``."""
        self.shell_context_processors.append(f)
        return f

    # -- templates ---------------------------------------------------------------------
    @functools.cached_property
    def jinja_env(self) -> Any:
        """The Jinja environment, created on first use by :meth:`create_jinja_environment`."""
        return self.create_jinja_environment()

    def create_jinja_environment(self) -> Any:
        """Create the Jinja environment (MicroFlask's)."""
        raise NotImplementedError

    @property
    def templates_auto_reload(self) -> bool:
        """Reload changed templates: ``TEMPLATES_AUTO_RELOAD``, or DEBUG when that is None."""
        value = self.config["TEMPLATES_AUTO_RELOAD"]
        return bool(self.debug if value is None else value)

    # -- serving (MicroFlask's) ---------------------------------------------------------
    async def _serve_rule(self, rule: Rule, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve a request that a Starlette router matched to ``rule`` (through ``app.routes``)."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<MicroFlask {self.name!r}>"
