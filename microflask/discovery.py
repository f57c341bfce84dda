"""Finding the application for the ``microflask`` command (Flask's rules, ``MICROFLASK_`` names).

Where the app comes from, first match wins: ``--app``, then the ``MICROFLASK_APP`` environment
variable (or Flask's ``FLASK_APP``), then ``app.py``, ``asgi.py`` or ``wsgi.py`` in the current directory. A location is
``MODULE`` (an instance named ``app``/``application``, the only instance, or a
``create_app``/``make_app`` factory), ``MODULE:ATTR``, ``MODULE:create_app()`` or
``MODULE:create_app("dev", debug=True)`` (literal arguments only); ``MODULE`` may be a dotted
name or a file path such as ``examples/hello/app.py`` (its folder is put on ``sys.path``).

Every failure raises :class:`NoAppException`, whose message is one line naming what was tried.
Flask's functions are here with Flask's signatures: :func:`prepare_import`, :func:`locate_app`,
:func:`find_best_app`, :func:`find_app_by_string`, and :class:`ScriptInfo`.
"""

from __future__ import annotations

import ast
import inspect
import os
import re
import sys
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from importlib import metadata
from types import ModuleType
from typing import TYPE_CHECKING, Any

import click

from .app import MicroFlask
from .serving import DEBUG_ENV, debug_from_env, environ_set, load_dotenv

if TYPE_CHECKING:
    from typer.core import TyperGroup

__all__ = [
    "DEFAULT_FILES",
    "FactoryError",
    "ModuleMissing",
    "NoAppException",
    "ScriptInfo",
    "apply_debug",
    "debug_from_env",
    "find_app_by_string",
    "find_best_app",
    "load_dotenv",
    "locate_app",
    "plugin_entry_points",
    "prepare_import",
]

#: Tried, in this order, in the current directory when no location is given.
DEFAULT_FILES = ("app.py", "asgi.py", "wsgi.py")


class NoAppException(click.UsageError):
    """The application could not be found or loaded. ``str(e)`` is one line naming what was tried.

    A Click usage error, as Flask's: a Click command that cannot load the app exits with 2."""

    def __init__(self, message: str, *, show_traceback: bool = False) -> None:
        super().__init__(message)
        #: Set when ``--debug`` is on: the CLI prints the cause's traceback above the message.
        self.show_traceback = show_traceback


class ModuleMissing(NoAppException):
    """The module named as the app's location does not exist."""


class FactoryError(NoAppException):
    """The app factory raised; ``__cause__`` is its error. The command line reports it in one
    line; Flask's functions (:func:`find_best_app`, :func:`locate_app`) let the error through."""


def prepare_import(path: str) -> str:
    """The module name to import for ``path`` (a file path or a module name); puts the folder
    that module lives in first on ``sys.path`` (the package root for a file inside packages)."""
    path = os.path.realpath(path)
    base, ext = os.path.splitext(path)
    if ext == ".py":
        path = base
    if os.path.basename(path) == "__init__":
        path = os.path.dirname(path)
    parts: list[str] = []
    while True:
        path, name = os.path.split(path)
        parts.append(name)
        if not os.path.exists(os.path.join(path, "__init__.py")):
            break
    if sys.path[0] != path:
        sys.path.insert(0, path)
    return ".".join(reversed(parts))


def _import(module_name: str, where: str) -> ModuleType:
    try:
        __import__(module_name)
    except ModuleNotFoundError as e:
        if e.name is not None and (module_name == e.name or module_name.startswith(e.name + ".")):
            raise ModuleMissing(
                f"Could not import {module_name!r} ({where}): no such module in {sys.path[0]} or on sys.path."
            ) from None
        raise NoAppException(f"Importing {module_name!r} ({where}) failed: {_describe(e)}") from e
    except Exception as e:  # SyntaxError, NameError... raised by the app's own code
        raise NoAppException(f"Importing {module_name!r} ({where}) failed: {_describe(e)}") from e
    return sys.modules[module_name]


def _describe(e: BaseException) -> str:
    text = " ".join(str(e).split())  # one line, whatever the message holds
    return f"{type(e).__name__}: {text}" if text else type(e).__name__


def _call_factory(func: Any, args: list[Any], kwargs: dict[str, Any], label: str) -> Any:
    """Call an app factory; a wrong signature or an error inside it becomes NoAppException."""
    if inspect.iscoroutinefunction(func):
        raise NoAppException(f"{label} is an async function; an app factory must be a plain def returning the app.")
    try:
        inspect.signature(func).bind(*args, **kwargs)
    except TypeError as e:
        raise NoAppException(f"{label} cannot be called with these arguments: {e}.") from None
    try:
        return func(*args, **kwargs)
    except Exception as e:
        raise FactoryError(f"{label} raised {_describe(e)}") from e


def _parse_attr(expr: str, module_name: str) -> tuple[str, list[Any] | None, dict[str, Any]]:
    """``name`` -> (name, None, {}); ``name(1, x="a")`` -> (name, [1], {"x": "a"})."""
    what = f"{expr!r} (in '{module_name}:{expr}')"
    try:
        node = ast.parse(expr.strip(), mode="eval").body
    except SyntaxError:
        raise NoAppException(f"Could not parse {what} as an attribute name or a function call.") from None
    if isinstance(node, ast.Name):
        return node.id, None, {}
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
        raise NoAppException(f"Could not parse {what}: use a name (app) or a call of a name (create_app()).")
    try:
        args = [ast.literal_eval(arg) for arg in node.args]
        kwargs = {kw.arg: ast.literal_eval(kw.value) for kw in node.keywords if kw.arg is not None}
    except ValueError:
        raise NoAppException(f"Could not parse the arguments of {what}: only literal values may be passed.") from None
    return node.func.id, args, kwargs


def find_app_by_string(module: ModuleType, expr: str) -> MicroFlask:
    """The app named by ``expr`` in ``module``: an attribute, or a factory called (with literal args)."""
    name, args, kwargs = _parse_attr(expr, module.__name__)
    label = f"'{module.__name__}:{expr}'"
    try:
        attr = getattr(module, name)
    except AttributeError:
        raise NoAppException(f"Module {module.__name__!r} has no attribute {name!r} (looked for {label}).") from None
    if inspect.isfunction(attr):
        app = _call_factory(attr, args or [], kwargs, label)
    elif args is not None:
        raise NoAppException(f"{label}: {name!r} is a {type(attr).__name__}, not a function, so it cannot be called.")
    else:
        app = attr
    if not isinstance(app, MicroFlask):
        raise NoAppException(f"{label} is a {type(app).__name__}, not a MicroFlask application.")
    return app


def _best_app(module: ModuleType | type) -> MicroFlask:
    name = module.__name__
    for attr in ("app", "application"):
        candidate = getattr(module, attr, None)
        if isinstance(candidate, MicroFlask):
            return candidate
    found = [value for value in vars(module).values() if isinstance(value, MicroFlask)]
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        raise NoAppException(
            f"Module {name!r} holds {len(found)} MicroFlask applications; name one with '{name}:NAME'."
        )
    for factory in ("create_app", "make_app"):
        func = getattr(module, factory, None)
        if inspect.isfunction(func):
            app = _call_factory(func, [], {}, f"'{name}:{factory}()'")
            if isinstance(app, MicroFlask):
                return app
            raise NoAppException(f"'{name}:{factory}()' returned a {type(app).__name__}, not a MicroFlask application.")
    raise NoAppException(
        f"Module {name!r} has no MicroFlask application (looked for app, application, any single instance,"
        f" create_app() and make_app()); name it with '{name}:NAME'."
    )


def find_best_app(module: ModuleType | type) -> MicroFlask:
    """The app in ``module``: ``app``/``application``, the only instance, or ``create_app()``/``make_app()``.

    Raises :class:`NoAppException` when there is none (or more than one); an error raised inside
    the factory propagates unchanged, as in Flask (the command line reports it in one line)."""
    try:
        return _best_app(module)
    except FactoryError as e:
        raise e.__cause__ from None  # type: ignore[misc]


def _find_app(location: str | None, where: str | None = None) -> tuple[MicroFlask, str]:
    """The app at ``location`` (or in the default files) and the location that found it.
    ``where`` says where the location came from, for error messages (``--app x``)."""
    if location is None:
        for filename in DEFAULT_FILES:
            if os.path.isfile(filename):
                location, where = filename[:-3], f"found {filename}"
                break
        else:
            raise NoAppException(
                "Could not locate a microflask application: no --app option, no MICROFLASK_APP environment"
                f" variable, and no {', '.join(DEFAULT_FILES[:-1])} or {DEFAULT_FILES[-1]} in {os.getcwd()}."
            )
    path, *rest = re.split(r":(?![\\/])", location, maxsplit=1)
    module = _import(prepare_import(path), where or f"--app {location}")
    app = find_app_by_string(module, rest[0]) if rest and rest[0] else _best_app(module)
    return app, location


def locate_app(module_name: str, app_name: str | None, raise_if_not_found: bool = True) -> MicroFlask | None:
    """Flask's ``locate_app``: import ``module_name`` (a module name, see :func:`prepare_import`)
    and return the app ``app_name`` names in it (an attribute or a factory call such as
    ``create_app("dev")``), or the best one (:func:`find_best_app`) when it is None.

    Raises :class:`NoAppException`; with ``raise_if_not_found=False``, a module that does not
    exist gives None instead (an import error inside it still raises). An error raised inside a
    factory propagates unchanged."""
    try:
        module = _import(module_name, f"--app {module_name}")
    except ModuleMissing:
        if raise_if_not_found:
            raise
        return None
    try:
        return find_app_by_string(module, app_name) if app_name else _best_app(module)
    except FactoryError as e:
        raise e.__cause__ from None  # type: ignore[misc]


def apply_debug(app: MicroFlask, debug: bool) -> None:
    """Set ``DEBUG``; with it on, templates reload when changed (unless the app set otherwise)."""
    app.config["DEBUG"] = debug
    if debug and app.config.get("TEMPLATES_AUTO_RELOAD") is None:
        app.config["TEMPLATES_AUTO_RELOAD"] = True
        if "jinja_env" in app.__dict__:
            app.jinja_env.auto_reload = True


@dataclass
class ScriptInfo:
    """What the command line knows about the app: where it is, ``--debug``, and the app once loaded.

    As Flask's: ``ScriptInfo(app_import_path="web:app")``, or ``ScriptInfo(create_app=factory)``
    (called without arguments); ``load_app()`` loads the app once. ``set_debug_flag`` says what
    happens to the app's ``DEBUG``: True (Flask's default) sets it from ``--debug``, else
    ``MICROFLASK_DEBUG``/``FLASK_DEBUG``, else off; None sets it only when one of those is given
    (the ``microflask`` command); False leaves it alone. ``ScriptInfo(app=app)`` hands an app
    over directly (the test CLI runner does that). ``data`` is free for extensions.
    """

    app_import_path: str | None = None
    create_app: Callable[..., Any] | None = None
    set_debug_flag: bool | None = True
    load_dotenv_defaults: bool = True
    debug: bool | None = None
    app: MicroFlask | None = None
    #: The location that found the app (given or discovered); None for an app handed over.
    location: str | None = None
    data: dict[Any, Any] = field(default_factory=dict)
    _group: TyperGroup | None = field(default=None, init=False, repr=False)

    def effective_debug(self) -> bool | None:
        """``--debug``/``--no-debug`` when given, else ``MICROFLASK_DEBUG`` (or ``FLASK_DEBUG``), else None."""
        return self.debug if self.debug is not None else debug_from_env()

    def load_app(self) -> MicroFlask:
        """Find and import the app once; apply the debug setting. Raises NoAppException."""
        if self.app is None:
            try:
                # A --debug/--no-debug given is in the environment while the app loads, as in
                # Flask: its module and factory see it through get_debug_flag().
                given = self.debug
                with environ_set(DEBUG_ENV, "1" if given else "0") if given is not None else nullcontext():
                    self.app = self._load()
            except NoAppException as e:
                e.show_traceback = bool(self.effective_debug())
                raise
        debug = self.effective_debug()
        if self.set_debug_flag or (self.set_debug_flag is None and debug is not None):
            apply_debug(self.app, bool(debug))
        return self.app

    def _load(self) -> MicroFlask:
        if self.create_app is not None:
            label = f"{getattr(self.create_app, '__name__', 'create_app')}()"
            app = _call_factory(self.create_app, [], {}, label)
            if not isinstance(app, MicroFlask):
                raise NoAppException(f"{label} returned a {type(app).__name__}, not a MicroFlask application.")
            return app
        location, where = self.app_import_path, f"--app {self.app_import_path}"
        if location is None:
            for name in ("MICROFLASK_APP", "FLASK_APP"):
                location = os.environ.get(name) or None
                if location is not None:
                    where = f"{name}={location}"
                    break
        app, self.location = _find_app(location, where)
        return app

    def app_group(self) -> TyperGroup:
        """The app's commands (``app.cli``) as one command group, built once."""
        if self._group is None:
            self._group = self.load_app().cli.get_group()
        return self._group


#: The entry-point group of command-line plugins written for microflask.
PLUGIN_GROUP = "microflask.commands"
#: Flask's: its plugins import ``flask``, so they are used only while the patch is active.
FLASK_PLUGIN_GROUP = "flask.commands"


def _flask_patch_active() -> bool:
    patch = sys.modules.get("microflask.flask_patch")  # never imported from here: it is a layer above
    return patch is not None and bool(patch.patched())


def plugin_entry_points() -> dict[str, metadata.EntryPoint]:
    """The command-line plugins installed as packages, by command name (not loaded yet), as
    Flask's ``flask.commands`` entry points: microflask's ``microflask.commands`` ones, and
    Flask's ``flask.commands`` ones while :mod:`microflask.flask_patch` is active (they import
    ``flask``, which without the patch would be the real Flask). On a clash, microflask's wins."""
    groups = [FLASK_PLUGIN_GROUP, PLUGIN_GROUP] if _flask_patch_active() else [PLUGIN_GROUP]
    return {entry.name: entry for group in groups for entry in metadata.entry_points(group=group)}
