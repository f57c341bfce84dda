"""The app as a registry (as Flask's ``sansio.App``): identity and config, registration
(rules, blueprints, hooks, lifespans, middleware, mounts), URL building and error-handler lookup.

:class:`AppBase` does no I/O and handles no request; :class:`~microflask.app.MicroFlask`
builds the app's collaborators on top of it, freezes it, and serves it.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import anyio.to_thread
from starlette.routing import Router

from .appclass import AppClass
from .blueprints import Blueprint
from .concurrency import call_async_from_sync, is_async_callable, on_event_loop
from .config import DEFAULT_CONFIG, Config
from .ctx import RequestContext, _AppCtxGlobals
from .debughelpers import FormDataRoutingRedirect
from .exceptions import Aborter, BuildError, RequestRedirect
from .globals import current_context
from .helpers import build_redirect
from .json.provider import DefaultJSONProvider, JSONProvider
from .logging import create_logger
from .mounts import Mounts
from .plans import EndpointPlan, RuleEndpoint
from .routing import Map, MapAdapter, Rule, RuleRoute, request_host, strip_default_port, subdomain_of
from .scaffold import Scaffold, default_instance_path, setupmethod
from .sessions import SecureCookieSessionInterface, SessionInterface
from .wrappers import Request, Response

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["AppBase", "SetupFinishedError"]

#: The template extensions that autoescape (Flask's list; ``templating`` configures Jinja so).
_AUTOESCAPED = (".html", ".htm", ".xml", ".xhtml", ".svg")

Matcher = Callable[[str, "Scope"], tuple[Rule, dict[str, Any]]]


class SetupFinishedError(AssertionError, RuntimeError):
    """A setup method (``route``, ``register_blueprint``, ...) called after the app started
    serving. An ``AssertionError`` as in Flask, and a ``RuntimeError`` as microflask raised before."""


class AppBase(Scaffold, metaclass=AppClass):
    """The app as a registry: config, registration, URL building; no I/O, no requests."""

    request_class: type[Request] = Request
    response_class: type[Response] = Response
    json_provider_class: type[JSONProvider] = DefaultJSONProvider
    app_ctx_globals_class: type = _AppCtxGlobals
    config_class: type[Config] = Config
    url_map_class: type[Map] = Map
    url_rule_class: type[Rule] = Rule
    #: What ``app.aborter`` (and so :func:`microflask.abort`) is made from.
    aborter_class: type[Aborter] = Aborter
    default_config = DEFAULT_CONFIG
    #: Loads and saves ``session``; the default keeps it in a signed cookie.
    session_interface: SessionInterface = SecureCookieSessionInterface()
    #: Set by a test client inside ``with client:``: receives each request's finished context.
    _context_sink: Callable[[RequestContext], None] | None = None
    #: The class of ``app.jinja_env``, called as ``cls(app, **options)``: a subclass of
    #: :class:`microflask.templating.Environment`; None for that class itself.
    jinja_environment: type[Any] | None = None
    #: Whether an async filter/test/global/context processor is registered (see templating.py).
    _templates_need_async: bool | None = None
    #: Run Flask extensions' sync code around ``async def`` views as Flask would: the body is read
    #: before an async view and its hooks (so sync code on the event loop can use ``request.form``,
    #: ``get_json()``...), and a sync decorator around an async view (``@cache.cached``,
    #: ``@limiter.limit``) runs on the request's worker thread, where ``app.ensure_sync`` gives it
    #: the view's result. None (the default): when ``microflask.flask_patch`` is active. Decided
    #: when the app freezes; see docs/flask-extensions.md.
    flask_extension_support: bool | None = None
    #: Set at freeze by :meth:`request_matcher`: the request path's rule lookup.
    _match_http: Matcher

    def __init__(
        self,
        import_name: str,
        static_url_path: str | None = None,
        static_folder: str | os.PathLike[str] | None = "static",
        template_folder: str | os.PathLike[str] | None = "templates",
        instance_path: str | None = None,
        instance_relative_config: bool = False,
        root_path: str | None = None,
        *,
        host_matching: bool = False,
        subdomain_matching: bool = False,
        static_host: str | None = None,
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
        self.url_map = self.url_map_class(host_matching=host_matching)
        #: Match rules' ``subdomain`` against the request's host below ``SERVER_NAME``. Off by
        #: default: then rules of the default subdomain match whatever the host.
        self.subdomain_matching = subdomain_matching
        #: Called as ``handler(error, endpoint, values)`` when ``url_for`` raises ``BuildError``;
        #: the first that returns something other than None gives the URL.
        self.url_build_error_handlers: list[Callable[[Exception, str, dict[str, Any]], str | None]] = []
        self.aborter = self.make_aborter()
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
        #: Set at freeze: no user middleware and no TRUSTED_HOSTS check around the app, so
        #: ``__call__`` routes the scope itself.
        self._direct = False
        self._no_route_plan: EndpointPlan | None = None
        #: Set at freeze: a permanent session is refreshed by requests that do not touch it (Flask's
        #: SESSION_REFRESH_EACH_REQUEST; the cookie session opens lazily, so only then is it opened).
        self._refresh_sessions = False
        if self.static_folder is not None:
            if bool(static_host) != host_matching:
                # With host matching every rule needs a host, the static route too.
                raise AssertionError("Invalid static_host/host_matching combination: give both or neither.")
            self.add_url_rule(
                f"{self.static_url_path}/<path:filename>",
                endpoint="static",
                view_func=self._static_view(),
                host=static_host,
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

    def make_config(self, instance_relative: bool = False) -> Config:
        """A fresh config of the app's ``config_class``, with its defaults, relative to the
        instance folder or the root path (what ``app.config`` was made from)."""
        root = self.instance_path if instance_relative else self.root_path
        return self.config_class(root, self.default_config)

    def auto_find_instance_path(self) -> str:
        """The default instance folder: ``instance`` beside the app's package or module."""
        return default_instance_path(self.import_name, self.root_path)

    def iter_blueprints(self) -> Iterator[Blueprint]:
        """The registered blueprints, in the order they were registered."""
        return iter(self.blueprints.values())

    @staticmethod
    def select_jinja_autoescape(filename: str | None) -> bool:
        """Whether a template autoescapes: strings always, files by their extension
        (``.html``, ``.htm``, ``.xml``, ``.xhtml``, ``.svg``)."""
        return filename is None or filename.endswith(_AUTOESCAPED)

    def should_ignore_error(self, error: BaseException | None) -> bool:
        """Flask's hook to hide an error from the teardown functions; none is hidden."""
        return False

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
        url_rule = self.url_rule_class(
            rule,
            endpoint,
            methods,
            defaults=options.pop("defaults", None),
            subdomain=options.pop("subdomain", None),
            host=options.pop("host", None),
            strict_slashes=options.pop("strict_slashes", None),
            merge_slashes=options.pop("merge_slashes", None),
            build_only=options.pop("build_only", False),
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
    def _binding(self) -> tuple[str | None, str | None]:
        """The server name and subdomain a request's URL adapter is bound with (Flask's rules):
        with host matching, the request's own host; without subdomain matching, the default
        subdomain whatever the host; else the subdomain in front of ``SERVER_NAME``."""
        if self.url_map.host_matching:
            return None, None
        server_name = self.config["SERVER_NAME"]
        return server_name, (None if self.subdomain_matching else self.url_map.default_subdomain or "")

    def create_url_adapter(self, request: Request | None, *, warn: bool = True) -> MapAdapter | None:
        """The URL map bound to ``request`` (its host, scheme and root path), or, without one, to
        ``SERVER_NAME``, ``APPLICATION_ROOT`` and ``PREFERRED_URL_SCHEME``; None when neither
        is known. ``url_for`` builds with it."""
        if request is not None:
            server_name, subdomain = self._binding()
            return self.url_map.bind_to_scope(request.scope, server_name, subdomain, warn=warn)
        if self.config["SERVER_NAME"] is not None:
            return self.url_map.bind(
                self.config["SERVER_NAME"],
                script_name=self.config["APPLICATION_ROOT"],
                url_scheme=self.config["PREFERRED_URL_SCHEME"],
            )
        return None

    def request_domain(self, scope: Scope) -> str | None:
        """What routing matches rules' domains against for this request: its host (host
        matching), its subdomain (subdomain matching), or None (neither: the default domain)."""
        if self.url_map.host_matching:
            return request_host(scope)
        if not self.subdomain_matching:
            return None
        server_name = self.config["SERVER_NAME"]
        if server_name is None:
            return ""
        return subdomain_of(request_host(scope), strip_default_port(server_name.lower(), scope.get("scheme", "http")))

    def request_matcher(self) -> Matcher:
        """``matcher(path, scope) -> (rule, values)`` for the request path, chosen at freeze: an
        app that matches neither subdomains nor hosts never looks at the host."""
        url_map = self.url_map
        match = url_map.match
        if not url_map.host_matching and not self.subdomain_matching:
            url_map._index(False)
            url_map._index(True)
            return url_map.match_request
        url_map._domain_index(False)
        url_map._domain_index(True)
        domain_of = self.request_domain

        def by_domain(path: str, scope: Scope) -> tuple[Rule, dict[str, Any]]:
            return match(path, scope["method"], scope.get("query_string", b""), False, domain_of(scope))

        return by_domain

    def raise_routing_exception(self, request: Request) -> None:
        """Raise the routing error of ``request`` (404, 405, or a redirect to the canonical URL).

        A redirect goes below the request's root path. In debug mode, a 301 or 302 redirect of a
        request that is not GET, HEAD or OPTIONS raises :class:`FormDataRoutingRedirect`
        instead: the browser would repeat it as a GET and lose the form.
        """
        error = request.routing_exception
        assert error is not None
        if isinstance(error, RequestRedirect):
            if error.new_url.startswith("/") and request.root_path:
                error.new_url = quote(request.root_path, safe="/%") + error.new_url
            if self.debug and error.code not in (307, 308) and request.method not in ("GET", "HEAD", "OPTIONS"):
                target = error.new_url
                if "://" not in target:
                    target = f"{request.scheme}://{request.host}{target}"
                raise FormDataRoutingRedirect(request, target)
        raise error

    def url_for(
        self,
        /,
        endpoint: str,
        *,
        _anchor: str | None = None,
        _method: str | None = None,
        _scheme: str | None = None,
        _external: bool | None = None,
        **values: Any,
    ) -> str:
        """Build the URL of ``endpoint``; see :func:`microflask.url_for`.

        Relative inside a request of this app (unless the rule's subdomain or host is another),
        external (which needs ``SERVER_NAME``) outside one. A :class:`BuildError` goes to
        ``url_build_error_handlers`` first.
        """
        ctx = current_context()
        if ctx is None or ctx.app is not self:
            ctx = None
        # Bound once per context, as Flask's ctx.url_adapter.
        adapter: MapAdapter | None = ctx.__dict__.get("url_adapter") if ctx is not None else None
        request = (ctx.request or ctx.websocket) if ctx is not None else None
        if request is not None:
            if adapter is None:
                adapter = ctx.__dict__["url_adapter"] = self.create_url_adapter(request, warn=False)  # type: ignore[union-attr]
            if endpoint[:1] == ".":
                blueprint = request.blueprint
                endpoint = f"{blueprint}{endpoint}" if blueprint else endpoint[1:]
            if _external is None:
                _external = _scheme is not None
        else:
            if adapter is None:
                adapter = self.create_url_adapter(None)
                if adapter is None:
                    raise RuntimeError(
                        "Unable to build URLs outside an active request without 'SERVER_NAME' configured."
                        " Also configure 'APPLICATION_ROOT' and 'PREFERRED_URL_SCHEME' as needed."
                    )
                if ctx is not None:
                    ctx.__dict__["url_adapter"] = adapter
            if _external is None:
                _external = True
            endpoint = endpoint.lstrip(".")
        assert adapter is not None
        if _scheme is not None and not _external:
            raise ValueError("When specifying '_scheme', '_external' must be True.")
        try:
            if ":" in endpoint:  # "name:endpoint" builds into the MicroFlask app mounted as name
                mount_name, _, mounted = endpoint.partition(":")
                path = self.mounts.build(mount_name, mounted, values, _method)
                url = quote(adapter.script_name[:-1], safe="/%") + path
                if _external:
                    url = f"{_scheme or adapter.url_scheme}://{adapter.server_name}{url}"
            else:
                self.inject_url_defaults(endpoint, values)
                url = adapter.build(endpoint, values, _method, force_external=_external, url_scheme=_scheme)
        except BuildError as error:
            values.update(_anchor=_anchor, _method=_method, _scheme=_scheme, _external=_external)
            return self.handle_url_build_error(error, endpoint, values)
        if _anchor is not None:
            url += "#" + quote(_anchor, safe="%!#$&'()*+,/:;=?@")
        return url

    def handle_url_build_error(self, error: BuildError, endpoint: str, values: dict[str, Any]) -> str:
        """Ask ``url_build_error_handlers`` for a URL ``url_for`` could not build; the first
        answer that is not None is it. A handler may raise a ``BuildError`` of its own, which
        replaces ``error``; when none answers, the error is raised."""
        for handler in self.url_build_error_handlers:
            try:
                rv = handler(error, endpoint, values)
            except BuildError as e:
                error = e
            else:
                if rv is not None:
                    return rv
        if error is sys.exc_info()[1]:
            raise  # keep the traceback of the url_for call
        raise error

    # -- aborting and redirecting -----------------------------------------------------------
    def make_aborter(self) -> Aborter:
        """The object behind ``app.aborter``: an instance of :attr:`aborter_class`."""
        return self.aborter_class()

    def redirect(self, location: str, code: int = 302) -> Response:
        """A redirect response of :attr:`response_class`; what :func:`microflask.redirect` returns
        inside this app (override it to change every redirect of the app)."""
        return build_redirect(location, code, self.response_class)

    def inject_url_defaults(self, endpoint: str, values: dict[str, Any]) -> None:
        """Let the ``url_defaults`` functions of the app and the endpoint's blueprints fill ``values``."""
        parts = endpoint.split(".")[:-1]
        for scope in [None] + [".".join(parts[: i + 1]) for i in range(len(parts))]:
            for func in self.url_default_functions.get(scope, ()):
                func(endpoint, values)

    # -- calling user functions (Flask's names, used by extensions) ----------------------
    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """``func`` itself if it is sync; for an ``async def`` one, a sync function calling it.
        From sync code (a sync view's worker thread) that runs it on the event loop to its end
        (:func:`~microflask.concurrency.call_async_from_sync`). On the event loop, which cannot
        wait, it gives the coroutine: a Flask extension's view decorator
        (``return current_app.ensure_sync(view)(**kwargs)``) returns it, and the app awaits it."""
        if not is_async_callable(func):
            return func

        @functools.wraps(func)
        def call(*args: Any, **kwargs: Any) -> Any:
            if on_event_loop():
                return func(*args, **kwargs)
            return call_async_from_sync(func, *args, **kwargs)

        return call

    def ensure_async(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """``func`` itself if it is async; a sync one becomes an ``async def`` running it in a
        worker thread (so blocking code does not hold the event loop), with the caller's context."""
        if is_async_callable(func):
            return func

        @functools.wraps(func)
        async def run(*args: Any, **kwargs: Any) -> Any:
            return await anyio.to_thread.run_sync(
                contextvars.copy_context().run, functools.partial(func, *args, **kwargs)
            )

        return run

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
