"""Serving without the command line: ``app.run()`` with Uvicorn, and the environment it shares
with the ``microflask`` command (the ``.env`` files, the debug flag).

The command line's own names start with ``MICROFLASK_``; Flask's (``FLASK_APP``, ``FLASK_DEBUG``,
``FLASK_SKIP_DOTENV``, the ``.flaskenv`` file) are read too, after ours, so a project moving over
from Flask keeps its settings. Uvicorn and python-dotenv are imported when they are used.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .config import Config

__all__ = [
    "DOTENV_FILES",
    "debug_from_env",
    "env_flag",
    "environ_set",
    "is_running_from_reloader",
    "load_dotenv",
    "reloader_child",
    "run_app",
    "running_from_cli",
    "server_address",
]

#: The ``.env`` files loaded by default, nearest first (searched from the current directory
#: up); a file earlier in the list wins over a later one, and the environment wins over all.
DOTENV_FILES = (".env", ".microflaskenv", ".flaskenv")
#: Set by the command line while it runs: ``app.run()`` then does nothing (the command serves).
RUN_FROM_CLI = "MICROFLASK_RUN_FROM_CLI"
#: The debug flag's variable (``FLASK_DEBUG`` is read after it).
DEBUG_ENV = "MICROFLASK_DEBUG"
#: ``"true"`` in the process the reloader starts to serve the app: Werkzeug's name, which code
#: that starts background work once checks (Flask-APScheduler in debug mode, for one).
RUN_MAIN = "WERKZEUG_RUN_MAIN"
#: ``app.run()`` options that only Werkzeug's development server knows: dropped, since
#: Uvicorn serves an app object without a reloader, threads or an interactive debugger.
WERKZEUG_ONLY_OPTIONS = frozenset(
    {
        "use_reloader",
        "use_debugger",
        "use_evalex",
        "threaded",
        "processes",
        "reloader_type",
        "reloader_interval",
        "extra_files",
        "exclude_patterns",
        "passthrough_errors",
        "request_handler",
        "static_files",
    }
)
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_flag(*names: str) -> bool | None:
    """The first of the environment variables ``names`` that is set, as a bool (``1``, ``true``,
    ``yes``, ``on`` / ``0``, ``false``, ``no``, ``off``, empty); None when none is set (or when
    the value is neither)."""
    for name in names:
        value = os.environ.get(name)
        if value is not None:
            value = value.strip().lower()
            return True if value in _TRUE else False if value in _FALSE else None
    return None


def debug_from_env() -> bool | None:
    """``MICROFLASK_DEBUG`` (else ``FLASK_DEBUG``) as a bool; None when unset."""
    return env_flag(DEBUG_ENV, "FLASK_DEBUG")


def load_dotenv(path: str | os.PathLike[str] | None = None, load_defaults: bool = True) -> bool:
    """Load ``.env`` files into ``os.environ``, without overriding what is set already.

    With ``load_defaults``, the nearest ``.env``, ``.microflaskenv`` and ``.flaskenv`` (searched
    from the current directory up; ``.env`` wins) are loaded, unless ``MICROFLASK_SKIP_DOTENV``
    (or ``FLASK_SKIP_DOTENV``) is set. ``path`` names one more file, which wins over them.
    Returns whether any variable was read. Without python-dotenv nothing is loaded: a tip on
    stderr says so when such files are there.
    """
    if load_defaults and env_flag("MICROFLASK_SKIP_DOTENV", "FLASK_SKIP_DOTENV"):
        load_defaults = False
    try:
        import dotenv  # optional (uvicorn[standard] brings it); imported only here
    except ImportError:
        if path is not None or (load_defaults and any(os.path.isfile(name) for name in DOTENV_FILES)):
            print(" * Tip: there are .env files here: install python-dotenv to use them.", file=sys.stderr)
        return False
    values: dict[str, str | None] = {}
    if load_defaults:
        for name in reversed(DOTENV_FILES):  # the earlier files win: they are read last
            found = dotenv.find_dotenv(name, usecwd=True)
            if found:
                values.update(dotenv.dotenv_values(found, encoding="utf-8"))
    if path is not None and os.path.isfile(path):
        values.update(dotenv.dotenv_values(path, encoding="utf-8"))
    for key, value in values.items():
        if value is not None:
            os.environ.setdefault(key, value)
    return bool(values)


@contextlib.contextmanager
def environ_set(name: str, value: str) -> Iterator[None]:
    """``os.environ[name] = value`` for the block (inherited by processes started in it), then
    as before."""
    before = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before


def running_from_cli() -> contextlib.AbstractContextManager[None]:
    """While a command runs: ``app.run()`` called by the app's module then does nothing (the
    command serves, or is not a server at all). Processes started meanwhile inherit it."""
    return environ_set(RUN_FROM_CLI, "true")


def reloader_child() -> contextlib.AbstractContextManager[None]:
    """While the reloader runs (``microflask run --debug``): the processes it starts to serve
    the app have ``WERKZEUG_RUN_MAIN=true``, as under Flask's reloader, so
    :func:`is_running_from_reloader` (and Werkzeug's) is true there. The reloader's own process
    has loaded the app before, without it."""
    return environ_set(RUN_MAIN, "true")


def is_running_from_reloader() -> bool:
    """Whether this process serves the app for the reloader of ``microflask run`` (Werkzeug's
    ``werkzeug.serving.is_running_from_reloader``): ``WERKZEUG_RUN_MAIN`` is ``"true"``. Code
    that must run once under the reloader (a scheduler, a background thread) checks it in debug
    mode, since the app is loaded by the reloader's process first and by its child again."""
    return os.environ.get(RUN_MAIN) == "true"


def server_address(config: Config | dict[str, Any], host: str | None, port: int | str | None) -> tuple[str, int]:
    """Where ``app.run()`` serves: the arguments, else ``SERVER_NAME``'s host and port, else
    127.0.0.1 and 5000."""
    server_name = config.get("SERVER_NAME") or ""
    name_host, _, name_port = server_name.rpartition(":") if ":" in server_name else (server_name, "", "")
    if port is None or port == "":
        port = name_port or 5000
    return host or name_host or "127.0.0.1", int(port)


def run_app(
    app: Any,
    host: str | None = None,
    port: int | str | None = None,
    debug: bool | None = None,
    load_dotenv: bool = True,
    **options: Any,
) -> None:
    """``app.run()``: serve ``app`` with Uvicorn until interrupted (see ``MicroFlask.run``)."""
    if os.environ.get(RUN_FROM_CLI) == "true":  # a command imported a module that calls app.run()
        print(
            " * Ignoring a call to app.run() made while a microflask command runs: the command serves."
            " Call app.run() under 'if __name__ == \"__main__\":'.",
            file=sys.stderr,
        )
        return
    if app.testing:
        raise RuntimeError(
            "app.run() does not serve an app with TESTING on: it would block the test session. Tests drive"
            " the app with app.test_client(); for a live server, run uvicorn.run(app) in a thread or process."
        )
    if load_dotenv:
        _load_dotenv()
    env_debug = debug_from_env()
    if env_debug is not None:
        app.debug = env_debug
    if debug is not None:
        app.debug = bool(debug)
    host, port = server_address(app.config, host, port)
    ssl_context = options.pop("ssl_context", None)
    if isinstance(ssl_context, tuple):  # Werkzeug's (cert_file, key_file)
        options.setdefault("ssl_certfile", ssl_context[0])
        options.setdefault("ssl_keyfile", ssl_context[1])
    elif ssl_context is not None:
        raise ValueError("app.run() serves with Uvicorn, which takes ssl_certfile= and ssl_keyfile= paths.")
    for name in WERKZEUG_ONLY_OPTIONS:
        options.pop(name, None)
    import uvicorn  # imported when serving only: `import microflask` stays light

    uvicorn.run(app, host=host, port=port, **options)


_load_dotenv = load_dotenv  # run_app's argument has the same name
