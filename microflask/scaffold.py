"""The registration API shared by :class:`MicroFlask` and :class:`Blueprint`.

Routes, hooks and error handlers are recorded here, keyed by scope: ``None`` for the app,
a blueprint's name for its own. Nothing here runs on the request path; the app turns
these records into per-endpoint plans once, when it starts serving.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import sys
import weakref
from collections import defaultdict
from collections.abc import Callable
from datetime import timedelta
from typing import IO, Any, TypeVar, overload

from .exceptions import HTTPException, default_exceptions
from .globals import current_app
from .helpers import send_from_directory
from .typing import RouteCallable
from .werkzeug_interop import error_class_key

__all__ = ["Scaffold", "default_instance_path", "get_root_path", "setupmethod"]

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T", bound=Callable[..., Any])
#: An HTTP view: it must return a valid response value (a type checker refuses ``-> None`` or ``-> int``).
T_route = TypeVar("T_route", bound=RouteCallable)

ErrorHandler = Callable[[Any], Any]


def setupmethod(func: F) -> F:
    """Mark a registration method: calling it after the app started serving is an error."""

    @functools.wraps(func)
    def wrapper(self: Scaffold, *args: Any, **kwargs: Any) -> Any:
        self._check_setup_finished(func.__name__)
        return func(self, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def get_root_path(import_name: str) -> str:
    """The folder of the module or package ``import_name`` (the cwd if it has none)."""
    module = sys.modules.get(import_name)
    filename: str | None = getattr(module, "__file__", None)
    if filename:
        return os.path.dirname(os.path.abspath(filename))
    try:
        spec = importlib.util.find_spec(import_name)
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.origin or spec.origin in ("built-in", "namespace"):
        return os.getcwd()
    return os.path.dirname(os.path.abspath(spec.origin))


def default_instance_path(import_name: str, root_path: str) -> str:
    """``instance/`` beside the app's module, or beside its package's folder (as Flask)."""
    module = sys.modules.get(import_name)
    is_package = module is not None and hasattr(module, "__path__")
    return os.path.join(os.path.dirname(root_path) if is_package else root_path, "instance")


class Scaffold:
    """Registration shared by the app and blueprints: ``route``, hooks, ``errorhandler``."""

    name: str

    def __init__(
        self,
        import_name: str,
        static_folder: str | os.PathLike[str] | None = None,
        static_url_path: str | None = None,
        template_folder: str | os.PathLike[str] | None = None,
        root_path: str | None = None,
    ) -> None:
        self.import_name = import_name
        self.root_path = root_path if root_path is not None else get_root_path(import_name)
        # Trailing slashes dropped, as Flask: "static/" is served under /static; "" is the root path itself.
        self.static_folder = (
            os.path.join(self.root_path, os.fspath(static_folder).rstrip("/\\")) if static_folder is not None else None
        )
        self._static_url_path: str | None = None
        self.static_url_path = static_url_path
        self.template_folder = os.fspath(template_folder) if template_folder is not None else None
        #: endpoint -> view function
        self.view_functions: dict[str, Callable[..., Any]] = {}
        #: scope (None = app, else blueprint name) -> functions, in registration order
        self.before_request_funcs: dict[str | None, list[Callable[..., Any]]] = defaultdict(list)
        self.after_request_funcs: dict[str | None, list[Callable[..., Any]]] = defaultdict(list)
        self.teardown_request_funcs: dict[str | None, list[Callable[..., Any]]] = defaultdict(list)
        self.before_websocket_funcs: dict[str | None, list[Callable[..., Any]]] = defaultdict(list)
        self.after_websocket_funcs: dict[str | None, list[Callable[..., Any]]] = defaultdict(list)
        self.teardown_websocket_funcs: dict[str | None, list[Callable[..., Any]]] = defaultdict(list)
        self.url_value_preprocessors: dict[str | None, list[Callable[..., Any]]] = defaultdict(list)
        self.url_default_functions: dict[str | None, list[Callable[..., Any]]] = defaultdict(list)
        self.template_context_processors: dict[str | None, list[Callable[..., Any]]] = defaultdict(list)
        #: name -> function, added to the app's Jinja environment
        self.template_filters: dict[str, Callable[..., Any]] = {}
        self.template_tests: dict[str, Callable[..., Any]] = {}
        self.template_globals: dict[str, Any] = {}
        #: scope (None = app, else blueprint name) -> status code (None for non-HTTP errors) -> class -> handler
        self.error_handler_spec: dict[str | None, dict[int | None, dict[type[BaseException], ErrorHandler]]] = (
            defaultdict(lambda: defaultdict(dict))
        )

    def _check_setup_finished(self, f_name: str) -> None:
        raise NotImplementedError

    @property
    def has_static_folder(self) -> bool:
        """Whether a static folder is set (Flask's)."""
        return self.static_folder is not None

    @functools.cached_property
    def cli(self) -> Any:
        """The command group (a Click group and a Typer app, named after this app or blueprint):
        ``@app.cli.command()`` adds a ``microflask`` command, ``@bp.cli.command()`` one under
        the blueprint's group. Commands run in the app context."""
        from .appcli import AppGroup  # imported on first use: Click and Typer are slow to import

        return AppGroup(self.name, app=self._cli_app())

    def _cli_app(self) -> Any:
        """The app whose context ``self.cli``'s commands run in: None for a blueprint (the app
        that runs the command is found when it runs); the app overrides this."""
        return None

    @functools.cached_property
    def jinja_loader(self) -> Any:
        """A loader for ``template_folder`` (None without one)."""
        if self.template_folder is None:
            return None
        from jinja2 import FileSystemLoader

        return FileSystemLoader(os.path.join(self.root_path, self.template_folder))

    @property
    def static_url_path(self) -> str | None:
        if self._static_url_path is not None:
            return self._static_url_path
        if self.static_folder is not None:
            # As Flask: the folder's last name, none when static_folder="" (the root path itself).
            return ("/" + os.path.basename(self.static_folder)).rstrip("/")
        return None

    @static_url_path.setter
    def static_url_path(self, value: str | None) -> None:
        self._static_url_path = value.rstrip("/") if value is not None else None

    # -- static files ------------------------------------------------------------------
    def send_static_file(self, filename: str | os.PathLike[str]) -> Any:
        """The view of the ``static`` endpoint: ``filename`` from ``static_folder`` (404 outside it).
        Awaitable on the event loop, the response itself in sync code (as ``send_from_directory``)."""
        if self.static_folder is None:
            raise RuntimeError(f"{self.name!r} has no static_folder to send {filename!r} from.")
        max_age = self.get_send_file_max_age(os.fspath(filename))
        return send_from_directory(self.static_folder, filename, max_age=max_age)

    def _static_view(self) -> Callable[..., Any]:
        """The ``static`` endpoint's view, calling :meth:`send_static_file`. It holds the app weakly,
        as Flask's does: a view referring to the app would make a reference cycle (the app holds its
        views), and an app dropped by a test would wait for the garbage collector."""
        owner = weakref.ref(self)

        async def send_static_file(filename: str) -> Any:
            scaffold = owner()
            assert scaffold is not None
            return await scaffold.send_static_file(filename)

        return send_static_file

    def get_send_file_max_age(self, filename: str | None) -> int | None:
        """Seconds static files may be cached (``SEND_FILE_MAX_AGE_DEFAULT``; None: revalidate)."""
        value = current_app.config["SEND_FILE_MAX_AGE_DEFAULT"]
        if isinstance(value, timedelta):
            return int(value.total_seconds())
        return None if value is None else int(value)

    def open_resource(self, resource: str, mode: str = "rb", encoding: str | None = None) -> IO[Any]:
        """Open a file below ``root_path`` for reading: ``app.open_resource("schema.sql")``."""
        if mode not in {"r", "rt", "rb"}:
            raise ValueError("Resources can only be opened for reading.")
        path = os.path.join(self.root_path, resource)
        if mode == "rb":
            return open(path, mode)
        return open(path, mode, encoding=encoding)

    # -- routes ------------------------------------------------------------------------
    @setupmethod
    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: Callable[..., Any] | None = None,
        provide_automatic_options: bool | None = None,
        **options: Any,
    ) -> None:
        """Register ``view_func`` for ``rule`` (the non-decorator form of :meth:`route`).

        ``options``: ``methods``, ``defaults``, ``strict_slashes``, ``websocket``.
        """
        raise NotImplementedError

    def route(self, rule: str, **options: Any) -> Callable[[T_route], T_route]:
        """Decorate a view: ``@app.route("/users/<int:id>", methods=["GET", "POST"])``. Typed as
        Flask's: the view must return a valid response value (:data:`~microflask.typing.ResponseReturnValue`)."""
        return self._route(rule, options)

    def _route(self, rule: str, options: dict[str, Any]) -> Callable[[T], T]:
        def decorator(f: T) -> T:
            endpoint = options.pop("endpoint", None)
            self.add_url_rule(rule, endpoint, f, **options)
            return f

        return decorator

    def _method_route(self, method: str, rule: str, options: dict[str, Any]) -> Callable[[T_route], T_route]:
        if "methods" in options:
            raise TypeError("Use the 'route' decorator to use the 'methods' argument.")
        return self.route(rule, methods=[method], **options)

    def get(self, rule: str, **options: Any) -> Callable[[T_route], T_route]:
        """``route(rule, methods=["GET"])``."""
        return self._method_route("GET", rule, options)

    def post(self, rule: str, **options: Any) -> Callable[[T_route], T_route]:
        """``route(rule, methods=["POST"])``."""
        return self._method_route("POST", rule, options)

    def put(self, rule: str, **options: Any) -> Callable[[T_route], T_route]:
        """``route(rule, methods=["PUT"])``."""
        return self._method_route("PUT", rule, options)

    def delete(self, rule: str, **options: Any) -> Callable[[T_route], T_route]:
        """``route(rule, methods=["DELETE"])``."""
        return self._method_route("DELETE", rule, options)

    def patch(self, rule: str, **options: Any) -> Callable[[T_route], T_route]:
        """``route(rule, methods=["PATCH"])``."""
        return self._method_route("PATCH", rule, options)

    def websocket(self, rule: str, **options: Any) -> Callable[[T], T]:
        """Decorate an async websocket view: ``@app.websocket("/ws")`` (see :mod:`microflask.websockets`)."""
        return self._route(rule, {**options, "websocket": True})

    @setupmethod
    def endpoint(self, endpoint: str) -> Callable[[F], F]:
        """Attach a view to an endpoint registered by ``add_url_rule(rule, endpoint)`` alone."""

        def decorator(f: F) -> F:
            self.view_functions[endpoint] = f
            return f

        return decorator

    # -- hooks -------------------------------------------------------------------------
    @setupmethod
    def before_request(self, f: T) -> T:
        """Run ``f()`` before each view; a non-None return value is the response (the view is skipped)."""
        self.before_request_funcs[None].append(f)
        return f

    @setupmethod
    def after_request(self, f: T) -> T:
        """Run ``f(response)`` after each view; it must return a response (the same or a new one)."""
        self.after_request_funcs[None].append(f)
        return f

    @setupmethod
    def teardown_request(self, f: T) -> T:
        """Run ``f(exc)`` after the response is sent, even on errors (``exc`` is the unhandled one or None)."""
        self.teardown_request_funcs[None].append(f)
        return f

    @setupmethod
    def before_websocket(self, f: T) -> T:
        """Run ``f()`` before each websocket view; a non-None return value refuses the connection with it."""
        self.before_websocket_funcs[None].append(f)
        return f

    @setupmethod
    def after_websocket(self, f: T) -> T:
        """Run ``f(response)`` after each websocket view (``response`` is None unless the view returned one)."""
        self.after_websocket_funcs[None].append(f)
        return f

    @setupmethod
    def teardown_websocket(self, f: T) -> T:
        """Run ``f(exc)`` when a websocket connection ends, even on errors."""
        self.teardown_websocket_funcs[None].append(f)
        return f

    @setupmethod
    def context_processor(self, f: T) -> T:
        """Add the dict ``f()`` returns to every template's context."""
        self.template_context_processors[None].append(f)
        return f

    @setupmethod
    def url_value_preprocessor(self, f: T) -> T:
        """Run ``f(endpoint, values)`` with the matched URL values before the ``before_request`` hooks."""
        self.url_value_preprocessors[None].append(f)
        return f

    @setupmethod
    def url_defaults(self, f: T) -> T:
        """Run ``f(endpoint, values)`` in ``url_for`` to fill in values (it may change ``values``)."""
        self.url_default_functions[None].append(f)
        return f

    # -- templates ---------------------------------------------------------------------
    @overload
    def template_filter(self, name: T) -> T: ...
    @overload
    def template_filter(self, name: str | None = None) -> Callable[[T], T]: ...
    def template_filter(self, name: T | str | None = None) -> T | Callable[[T], T]:
        """Register a Jinja filter (sync or async): ``@app.template_filter("reverse")``, or bare."""
        return _register_or_decorate(self.add_template_filter, name)

    @setupmethod
    def add_template_filter(self, f: Callable[..., Any], name: str | None = None) -> None:
        self._add_template_item(self.template_filters, "filters", f, name)

    @overload
    def template_test(self, name: T) -> T: ...
    @overload
    def template_test(self, name: str | None = None) -> Callable[[T], T]: ...
    def template_test(self, name: T | str | None = None) -> T | Callable[[T], T]:
        """Register a Jinja test: ``{% if n is prime %}``. Also bare: ``@app.template_test``."""
        return _register_or_decorate(self.add_template_test, name)

    @setupmethod
    def add_template_test(self, f: Callable[..., Any], name: str | None = None) -> None:
        self._add_template_item(self.template_tests, "tests", f, name)

    @overload
    def template_global(self, name: T) -> T: ...
    @overload
    def template_global(self, name: str | None = None) -> Callable[[T], T]: ...
    def template_global(self, name: T | str | None = None) -> T | Callable[[T], T]:
        """Make a function available in every template. Also bare: ``@app.template_global``."""
        return _register_or_decorate(self.add_template_global, name)

    @setupmethod
    def add_template_global(self, f: Callable[..., Any], name: str | None = None) -> None:
        self._add_template_item(self.template_globals, "globals", f, name)

    def _add_template_item(
        self, registry: dict[str, Any], env_attr: str, f: Callable[..., Any], name: str | None
    ) -> None:
        registry[name or f.__name__] = f

    # -- errors ------------------------------------------------------------------------
    @setupmethod
    def errorhandler(self, code_or_exception: type[BaseException] | int) -> Callable[[T], T]:
        """Handle an error: ``@app.errorhandler(404)``, ``@app.errorhandler(ValueError)``.

        The handler gets the exception and returns a response. The most specific class wins.
        """

        def decorator(f: T) -> T:
            self.register_error_handler(code_or_exception, f)
            return f

        return decorator

    @setupmethod
    def register_error_handler(self, code_or_exception: type[BaseException] | int, f: ErrorHandler) -> None:
        """The non-decorator form of :meth:`errorhandler`."""
        exc_class, code = self._get_exc_class_and_code(code_or_exception)
        self.error_handler_spec[None][code][exc_class] = f

    @staticmethod
    def _get_exc_class_and_code(exc_class_or_code: type[BaseException] | int) -> tuple[type[BaseException], int | None]:
        if isinstance(exc_class_or_code, int):
            try:
                exc_class: type[BaseException] = default_exceptions[exc_class_or_code]
            except KeyError:
                raise ValueError(
                    f"'{exc_class_or_code}' is not a recognized HTTP error code. Use a subclass of"
                    " HTTPException with that code instead."
                ) from None
        else:
            exc_class = exc_class_or_code
        if isinstance(exc_class, BaseException):
            raise TypeError(f"{exc_class!r} is an instance, not a class. Handlers take exception classes.")
        if not (isinstance(exc_class, type) and issubclass(exc_class, Exception)):
            name = exc_class.__name__ if isinstance(exc_class, type) else repr(exc_class)
            raise ValueError(
                f"'{name}' is not a subclass of Exception. Handlers can only be registered"
                " for Exception classes or HTTP error codes."
            )
        werkzeug_key = error_class_key(exc_class)  # Werkzeug's NotFound stands for ours, and so on
        if werkzeug_key is not None:
            return werkzeug_key
        if issubclass(exc_class, HTTPException):
            return exc_class, exc_class.code
        return exc_class, None


def _register_or_decorate(add: Callable[..., None], name: Any) -> Any:
    """``@app.template_filter`` bare (``name`` is the function) or called (``name`` a str or None)."""
    if callable(name):
        add(name)
        return name

    def decorator(f: T) -> T:
        add(f, name)
        return f

    return decorator
